// Tiling and encoding of one ingest scene (see ingest_tiles.h).
#include "data/ingest_tiles.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "core/error.h"
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

using Sources = std::vector<std::unique_ptr<RasterWindows>>;

Sources open_all(const std::vector<std::string>& paths, int bands, const char* what,
                 const std::vector<std::string>& band_files) {
  Sources out;
  for (const auto& p : paths)
    out.push_back(std::make_unique<RasterWindows>(p, bands, what, band_files));
  return out;
}

// One window of every date of a modality: (date, bands, h, w).
struct Window {
  std::vector<std::vector<double>> dates;
  void read(const Sources& src, int y0, int x0, int h, int w) {
    dates.resize(src.size());
    for (size_t d = 0; d < src.size(); ++d) dates[d] = src[d]->read(x0, y0, w, h);
  }
};

}  // namespace

int TileSettings::max_class() const {
  if (format == "pretrain" || format == "DW") return kDwClasses - 1;
  return format == "DFC" ? 7 : 12;
}

int64_t tile_scene(const IngestScene& scene, const TileSettings& st,
                   const std::function<void(EncodedTile&&)>& emit) {
  const bool pre = st.format == "pretrain", dfc = st.format == "DFC";
  if (scene.s1.empty() || scene.s1.size() > 4 || scene.s2.empty() || scene.s2.size() > 4 ||
      scene.label.empty() || scene.label.size() > 4)
    CROMSS_THROW(IoError, "scene {}: {} S1, {} S2 and {} label dates; give 1 to 4 of each",
                 scene.id(), scene.s1.size(), scene.s2.size(), scene.label.size());
  const Sources s1 = open_all(scene.s1, kS1Bands, "S1", s1_band_files());
  const Sources s2 = open_all(scene.s2, kS2Bands, "S2", s2_band_files());
  const Sources lab = open_all(scene.label, 0, "label", {});
  const Raster& ref = s1[0]->info();
  for (const Sources* group : {&s1, &s2, &lab})
    for (const auto& r : *group)
      if (const std::string why = georeference_mismatch(ref, r->info()); !why.empty())
        CROMSS_THROW(IoError, "rasters must be co-registered (same size, CRS and pixel grid): {}",
                     why);
  const int h = ref.height, w = ref.width;
  const int th = st.tile > 0 ? st.tile : h, tw = st.tile > 0 ? st.tile : w;
  const int stride = st.stride > 0 ? st.stride : std::max(th, tw);
  const auto ys = tile_origins(h, th, stride), xs = tile_origins(w, tw, stride);
  if (ys.empty() || xs.empty())
    CROMSS_THROW(IoError, "scene {}: rasters of {}x{} are smaller than --tile {}", scene.id(), h, w,
                 st.tile);
  const int max_class = st.max_class();
  const size_t thw = static_cast<size_t>(th) * tw;
  // File ids "s1_<name>": the S1 file name without a "s1_" prefix, plus the tile origin unless
  // the tile is the whole scene (then the ids are upstream's for its DW/OSM tiles).
  std::string stem = std::filesystem::path(scene.s1[0]).stem().string();
  if (stem.rfind("s1_", 0) == 0) stem = stem.substr(3);
  Window w1, w2, wl;
  int64_t skipped = 0;
  for (int y0 : ys) {
    for (int x0 : xs) {
      EncodedTile t;
      t.height = th;
      t.width = tw;
      t.class_pixels.assign(max_class + 2, 0);
      wl.read(lab, y0, x0, th, tw);
      // Mapped labels per season: class or -1 (ignore / nodata).
      const int seasons = pre ? kSeasons : 1;
      std::vector<int> labels(seasons * thw);
      bool any_ignore = false;
      for (int s = 0; s < seasons; ++s) {
        const size_t d = s % lab.size();
        const Raster& li = lab[d]->info();
        for (size_t p = 0; p < thw; ++p) {
          const double v = wl.dates[d][p];  // band 1
          int c;
          if (li.is_nodata(0, v)) {
            c = -1;
          } else if (st.label_map.empty()) {
            c = static_cast<int>(v);
          } else {
            auto it = st.label_map.find(static_cast<int64_t>(v));
            if (it == st.label_map.end())
              CROMSS_THROW(IoError, "label raster {}: value {} has no --label_map entry", li.path,
                           v);
            c = it->second;
          }
          if (c > max_class || c < -1)
            CROMSS_THROW(IoError,
                         "label raster {}: class {} (from value {}) outside 0..{} for format {}",
                         li.path, c, v, max_class, st.format);
          labels[s * thw + p] = c;
          any_ignore |= c < 0;
        }
      }
      if ((pre || dfc) && any_ignore) {
        ++skipped;
        continue;
      }
      for (int c : labels) ++t.class_pixels[c < 0 ? max_class + 1 : c];
      w1.read(s1, y0, x0, th, tw);
      w2.read(s2, y0, x0, th, tw);
      auto at = [&](int band, size_t p) { return static_cast<size_t>(band) * thw + p; };
      if (pre) {
        std::vector<uint8_t> a(kSeasons * kS1Bands * thw), b(kSeasons * kS2Bands * thw),
            l(kSeasons * thw);
        for (int s = 0; s < kSeasons; ++s) {
          const size_t d1 = s % s1.size(), d2 = s % s2.size();
          const Raster &i1 = s1[d1]->info(), &i2 = s2[d2]->info();
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p) {
              const double v = w1.dates[d1][at(band, p)];
              a[(s * kS1Bands + band) * thw + p] =
                  i1.is_nodata(band, v) ? 0 : ssl4eo_encode(v, kS1Mean[band], kS1Std[band]);
            }
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p) {
              const double v = w2.dates[d2][at(band, p)];
              b[(s * kS2Bands + band) * thw + p] =
                  i2.is_nodata(band, v) ? 0 : ssl4eo_encode(v, kS2Mean[band], kS2Std[band]);
            }
        }
        for (size_t p = 0; p < l.size(); ++p) l[p] = static_cast<uint8_t>(labels[p]);
        t.s1 = raw_bytes(a);
        t.s2 = raw_bytes(b);
        t.label = raw_bytes(l);
      } else {
        t.name = st.tile > 0 ? fmt::format("{}_{}_{}.tif", stem, y0, x0) : stem + ".tif";
        const Raster &i1 = s1[0]->info(), &i2 = s2[0]->info();
        auto s1_val = [&](int band, size_t p) {
          const double v = w1.dates[0][at(band, p)];
          return i1.is_nodata(band, v) ? std::nan("") : v;
        };
        auto s2_val = [&](int band, size_t p) {
          const double v = w2.dates[0][at(band, p)];
          return i2.is_nodata(band, v) ? 0.0 : v;
        };
        std::vector<uint8_t> l(thw);
        for (size_t p = 0; p < thw; ++p)
          l[p] = dfc ? static_cast<uint8_t>(labels[p]) : static_cast<uint8_t>(labels[p] + 1);
        t.label = raw_bytes(l);
        if (dfc) {
          std::vector<double> a(kS1Bands * thw);
          std::vector<uint16_t> b(kS2Bands * thw);
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p) a[at(band, p)] = s1_val(band, p);
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p)
              b[at(band, p)] = static_cast<uint16_t>(std::clamp(s2_val(band, p), 0.0, 65535.0));
          t.s1 = raw_bytes(a);
          t.s2 = raw_bytes(b);
        } else {
          std::vector<float> a(kS1Bands * thw);
          std::vector<int16_t> b(kS2Bands * thw);
          for (int band = 0; band < kS1Bands; ++band)
            for (size_t p = 0; p < thw; ++p) a[at(band, p)] = static_cast<float>(s1_val(band, p));
          for (int band = 0; band < kS2Bands; ++band)
            for (size_t p = 0; p < thw; ++p)
              b[at(band, p)] = static_cast<int16_t>(std::clamp(s2_val(band, p), 0.0, 32767.0));
          t.s1 = raw_bytes(a);
          t.s2 = raw_bytes(b);
        }
      }
      emit(std::move(t));
    }
  }
  return skipped;
}

}  // namespace cromss::data
