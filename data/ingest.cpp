// GeoTIFF ingest (see ingest.h): tiles the rasters that data/raster_reader.h reads and writes them
// in upstream's LMDB formats.
#include "data/ingest.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "data/lmdb_env.h"
#include "data/pickle_writer.h"
#include "data/raster_reader.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

std::vector<int> tile_origins(int extent, int tile, int stride) {
  std::vector<int> o;
  if (extent < tile) return o;
  for (int p = 0; p + tile <= extent; p += stride) o.push_back(p);
  if (o.back() + tile < extent) o.push_back(extent - tile);
  return o;
}

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

std::map<int64_t, int> parse_label_map(const std::string& spec) {
  std::map<int64_t, int> m;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    const auto colon = item.find(':');
    CROMSS_CHECK(colon != std::string::npos,
                 "--label_map item '{}' must look like 'value:class' or 'value:ignore'", item);
    try {
      const int64_t from = std::stoll(item.substr(0, colon));
      const std::string to = item.substr(colon + 1);
      const int cls = to == "ignore" ? -1 : std::stoi(to);
      CROMSS_CHECK(cls >= -1 && cls < 255, "--label_map class {} out of range", cls);
      m[from] = cls;
    } catch (const std::invalid_argument&) {
      CROMSS_THROW(ValueError, "--label_map item '{}' is not 'int:int' or 'int:ignore'", item);
    }
    pos = end + 1;
  }
  return m;
}

IngestReport ingest_geotiffs(const IngestOptions& opt) {
  const std::string fmt_name = opt.format;
  const bool pre = fmt_name == "pretrain", dfc = fmt_name == "DFC", osm = fmt_name == "OSM";
  CROMSS_CHECK(pre || dfc || osm || fmt_name == "DW",
               "--format must be pretrain, DW, OSM or DFC, got '{}'", fmt_name);
  CROMSS_CHECK(!opt.s1.empty() && opt.s1.size() <= 4 && !opt.s2.empty() && opt.s2.size() <= 4,
               "ingest: give 1 to 4 dates of --s1 and --s2");
  CROMSS_CHECK(!opt.label.empty() && opt.label.size() <= 4, "ingest: give 1 to 4 --label rasters");
  const int stride = opt.stride > 0 ? opt.stride : opt.tile;
  const auto map = parse_label_map(opt.label_map);
  std::vector<Raster> s1, s2, lab;
  for (const auto& p : opt.s1) s1.push_back(read_raster(p, kS1Bands, "S1"));
  for (const auto& p : opt.s2) s2.push_back(read_raster(p, kS2Bands, "S2"));
  for (const auto& p : opt.label) lab.push_back(read_raster(p, 0, "label"));
  const int h = s1[0].height, w = s1[0].width;
  for (const auto* group : {&s1, &s2, &lab})
    for (const auto& r : *group)
      if (const std::string why = georeference_mismatch(s1[0], r); !why.empty())
        CROMSS_THROW(IoError, "rasters must be co-registered (same size, CRS and pixel grid): {}",
                     why);
  const size_t hw = static_cast<size_t>(h) * w;
  const int max_class = pre ? kDwClasses - 1 : (dfc ? 7 : (osm ? 12 : 8));
  // Mapped labels per label raster: class or -1 (ignore / nodata).
  std::vector<std::vector<int>> mapped(lab.size(), std::vector<int>(hw));
  for (size_t d = 0; d < lab.size(); ++d) {
    for (size_t i = 0; i < hw; ++i) {
      const double v = lab[d].data[i];
      int c;
      if (lab[d].is_nodata(0, v)) {
        c = -1;
      } else if (map.empty()) {
        c = static_cast<int>(v);
      } else {
        auto it = map.find(static_cast<int64_t>(v));
        if (it == map.end())
          CROMSS_THROW(IoError, "label raster {}: value {} has no --label_map entry", lab[d].path,
                       v);
        c = it->second;
      }
      if (c > max_class)
        CROMSS_THROW(IoError, "label raster {}: class {} (from value {}) exceeds {} for format {}",
                     lab[d].path, c, v, max_class, fmt_name);
      mapped[d][i] = c;
    }
  }
  namespace fs = std::filesystem;
  IngestReport rep;
  rep.raster_height = h;
  rep.raster_width = w;
  rep.class_pixels.assign(max_class + 2, 0);
  const size_t thw = static_cast<size_t>(opt.tile) * opt.tile;
  const auto ys = tile_origins(h, opt.tile, stride), xs = tile_origins(w, opt.tile, stride);
  if (ys.empty() || xs.empty())
    CROMSS_THROW(IoError, "rasters of {}x{} are smaller than --tile {}", h, w, opt.tile);
  const size_t map_size = ys.size() * xs.size() * thw * 4 * 16 * 2 + (size_t{64} << 20);
  std::vector<std::unique_ptr<LmdbWriter>> writers;
  if (pre) {
    for (const char* n : {"0k_251k_uint8_s1.lmdb", "0k_251k_uint8_s2c.lmdb", "dw_labels.lmdb"}) {
      rep.written.push_back((fs::path(opt.out_dir) / n).string());
      writers.push_back(std::make_unique<LmdbWriter>(rep.written.back(), map_size));
    }
  } else {
    std::string lower = fmt_name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    rep.written.push_back(
        (fs::path(opt.out_dir) / (opt.name.empty() ? "ingest_" + lower + "_lmdb" : opt.name))
            .string());
    writers.push_back(std::make_unique<LmdbWriter>(rep.written.back(), map_size));
  }
  const std::string stem = fs::path(opt.s1[0]).stem().string();
  int64_t index = 0;
  for (int y0 : ys) {
    for (int x0 : xs) {
      auto at = [&](int b, size_t p) {
        return static_cast<size_t>(b) * hw + (y0 + p / opt.tile) * w + x0 + p % opt.tile;
      };
      const int seasons = pre ? kSeasons : 1;
      std::vector<int> labels(seasons * thw);
      bool any_ignore = false;
      for (int s = 0; s < seasons; ++s)
        for (size_t p = 0; p < thw; ++p) {
          const int c = mapped[s % lab.size()][(y0 + p / opt.tile) * w + x0 + p % opt.tile];
          labels[s * thw + p] = c;
          any_ignore |= c < 0;
        }
      if ((pre || dfc) && any_ignore) {
        ++rep.tiles_skipped;
        continue;
      }
      for (int c : labels) ++rep.class_pixels[c < 0 ? max_class + 1 : c];
      const std::string key = std::to_string(index);
      if (pre) {
        std::vector<uint8_t> a(kSeasons * kS1Bands * thw), b(kSeasons * kS2Bands * thw),
            l(kSeasons * thw);
        for (int s = 0; s < kSeasons; ++s) {
          const Raster& r1 = s1[s % s1.size()];
          const Raster& r2 = s2[s % s2.size()];
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p) {
              const double v = r1.data[at(band, p)];
              a[(s * kS1Bands + band) * thw + p] =
                  r1.is_nodata(band, v) ? 0 : ssl4eo_encode(v, kS1Mean[band], kS1Std[band]);
            }
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p) {
              const double v = r2.data[at(band, p)];
              b[(s * kS2Bands + band) * thw + p] =
                  r2.is_nodata(band, v) ? 0 : ssl4eo_encode(v, kS2Mean[band], kS2Std[band]);
            }
        }
        for (size_t p = 0; p < l.size(); ++p) l[p] = static_cast<uint8_t>(labels[p]);
        const int64_t t = opt.tile;
        writers[0]->put(key, write_array_record(raw_bytes(a), {kSeasons, kS1Bands, t, t},
                                                RecordId::integer(index), opt.protocol));
        writers[1]->put(key, write_array_record(raw_bytes(b), {kSeasons, kS2Bands, t, t},
                                                RecordId::integer(index), opt.protocol));
        writers[2]->put(key, write_array_record(raw_bytes(l), {kSeasons, t, t},
                                                RecordId::integer(index), opt.protocol));
      } else {
        const int64_t t = opt.tile;
        const std::string name = fmt::format("{}_{}_{}.tif", stem, y0, x0);
        std::vector<uint8_t> l(thw);
        for (size_t p = 0; p < thw; ++p)
          l[p] = dfc ? static_cast<uint8_t>(labels[p]) : static_cast<uint8_t>(labels[p] + 1);
        auto s1_val = [&](int band, size_t p) {
          const double v = s1[0].data[at(band, p)];
          return s1[0].is_nodata(band, v) ? std::nan("") : v;
        };
        auto s2_val = [&](int band, size_t p) {
          const double v = s2[0].data[at(band, p)];
          return s2[0].is_nodata(band, v) ? 0.0 : v;
        };
        std::string s1rec, s2rec;
        if (dfc) {
          std::vector<double> a(kS1Bands * thw);
          std::vector<uint16_t> b(kS2Bands * thw);
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p) a[band * thw + p] = s1_val(band, p);
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p)
              b[band * thw + p] = static_cast<uint16_t>(std::clamp(s2_val(band, p), 0.0, 65535.0));
          s1rec =
              write_array_record(raw_bytes(a), {kS1Bands, t, t}, RecordId::none(), opt.protocol);
          s2rec =
              write_array_record(raw_bytes(b), {kS2Bands, t, t}, RecordId::none(), opt.protocol);
          writers[0]->put("lbl_" + key,
                          write_array_record(raw_bytes(l), {t, t}, RecordId::none(), opt.protocol));
        } else {
          std::vector<float> a(kS1Bands * thw);
          std::vector<int16_t> b(kS2Bands * thw);
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p)
              a[band * thw + p] = static_cast<float>(s1_val(band, p));
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p)
              b[band * thw + p] = static_cast<int16_t>(std::clamp(s2_val(band, p), 0.0, 32767.0));
          s1rec = write_array_record(raw_bytes(a), {kS1Bands, t, t}, RecordId::string("s1_" + name),
                                     opt.protocol);
          s2rec = write_array_record(raw_bytes(b), {kS2Bands, t, t}, RecordId::string("s2_" + name),
                                     opt.protocol);
          writers[0]->put("dw_" + key,
                          write_array_record(raw_bytes(l), {t, t}, RecordId::string("dw_" + name),
                                             opt.protocol));
          if (osm)
            writers[0]->put("osm_" + key,
                            write_array_record(raw_bytes(l), {t, t},
                                               RecordId::string("osm_" + name), opt.protocol));
        }
        writers[0]->put("s1_" + key, s1rec);
        writers[0]->put("s2_" + key, s2rec);
      }
      ++index;
    }
  }
  for (auto& wr : writers) wr->commit();
  rep.tiles_written = index;
  return rep;
}

}  // namespace cromss::data
