// Upstream LMDB dataset readers (see ssl4eo_dataset.h).
#include "data/ssl4eo_dataset.h"

#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "data/pickle_reader.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

std::string where(const LmdbReader& env, const std::string& key) {
  return fmt::format("LMDB {} key '{}'", env.path(), key);
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// Reads and parses env[key], checks the shape against `expect` (-1 = any extent, returned
// filled) and the byte count against the element size, then hands the record to fn.
template <typename Fn>
void read_record(const LmdbReader& env, const std::string& key, std::vector<int64_t>& expect,
                 size_t elem_size, const char* dtype, Fn&& fn) {
  const std::string w = where(env, key);
  const bool found = env.with_value(key, [&](const uint8_t* p, size_t n) {
    const ArrayRecord r = parse_array_record(p, n, w);
    bool ok = r.shape.size() == expect.size();
    for (size_t i = 0; ok && i < expect.size(); ++i) ok = expect[i] < 0 || expect[i] == r.shape[i];
    if (!ok) {
      std::vector<int64_t> e = expect;
      std::string want = "(";
      for (size_t i = 0; i < e.size(); ++i)
        want += (i ? ", " : "") + (e[i] < 0 ? std::string("*") : std::to_string(e[i]));
      CROMSS_THROW(IoError, "{}: array shape {} but expected {}", w, shape_str(r.shape),
                   want + ")");
    }
    expect = r.shape;
    size_t count = 1;
    for (int64_t d : r.shape) count *= static_cast<size_t>(d);
    const size_t want = count * elem_size;
    if (r.data.size() < want)
      CROMSS_THROW(IoError, "{}: truncated value: {} data bytes for shape {} of {} (needs {})", w,
                   r.data.size(), shape_str(r.shape), dtype, want);
    if (r.data.size() != want)
      CROMSS_THROW(IoError, "{}: {} data bytes for shape {} but {} needs {} (wrong dtype?)", w,
                   r.data.size(), shape_str(r.shape), dtype, want);
    fn(r);
  });
  if (!found) CROMSS_THROW(IoError, "{}: key is missing", w);
}

void check_labels(const std::vector<uint8_t>& l, int max_value, const LmdbReader& env,
                  const std::string& key) {
  for (size_t i = 0; i < l.size(); ++i)
    if (l[i] > max_value)
      CROMSS_THROW(IoError, "{}: label value {} at element {} is out of range 0..{}",
                   where(env, key), l[i], i, max_value);
}

void copy_bytes(const ArrayRecord& r, std::vector<uint8_t>& out) {
  out.resize(r.data.size());
  std::memcpy(out.data(), r.data.data(), r.data.size());
}

// Runs `read`: true, or false with the IoError's message in *error (the try_read of both datasets).
template <class Read>
bool succeeds(Read read, std::string* error) {
  try {
    read();
    return true;
  } catch (const IoError& e) {
    if (error) *error = e.what();
    return false;
  }
}

}  // namespace

PretrainDataset::PretrainDataset(const PretrainPaths& paths) {
  namespace fs = std::filesystem;
  const fs::path root(paths.data_path);
  if (!fs::is_directory(root))
    CROMSS_THROW(IoError, "--data_path {} is not a directory", paths.data_path);
  if (!paths.name_s1.empty()) s1_ = std::make_unique<LmdbReader>((root / paths.name_s1).string());
  s2_ = std::make_unique<LmdbReader>((root / paths.name_s2).string());
  label_ = std::make_unique<LmdbReader>((root / paths.name_label).string());
  if (!paths.name_clean_label.empty() && fs::exists(root / paths.name_clean_label))
    clean_ = std::make_unique<LmdbReader>((root / paths.name_clean_label).string());
  size_ = label_->entries();
  if (size_ == 0) CROMSS_THROW(IoError, "LMDB {} has no entries", label_->path());
  for (const LmdbReader* e : {s1_.get(), s2_.get(), clean_.get()}) {
    if (e && e->entries() != size_)
      CROMSS_THROW(IoError,
                   "LMDBs of different lengths: {} has {} entries but the label LMDB {} has {}",
                   e->path(), e->entries(), label_->path(), size_);
  }
  std::vector<int64_t> shape = {kSeasons, -1, -1};
  read_record(*label_, "0", shape, 1, "uint8", [](const ArrayRecord&) {});
  height_ = static_cast<int>(shape[1]);
  width_ = static_cast<int>(shape[2]);
}

std::string PretrainDataset::describe() const {
  return fmt::format("S1 {}, S2 {}, labels {}{}", s1_ ? s1_->path() : "(not read)", s2_->path(),
                     label_->path(), clean_ ? ", clean labels " + clean_->path() : "");
}

void PretrainDataset::read(size_t index, LocationData& out) const {
  CROMSS_CHECK(index < size_, "PretrainDataset: index {} outside 0..{}", index, size_ - 1);
  const std::string key = std::to_string(index);
  const int64_t h = height_, w = width_;
  out.height = height_;
  out.width = width_;
  int64_t label_id = 0;
  std::vector<int64_t> ls = {kSeasons, h, w};
  read_record(*label_, key, ls, 1, "uint8", [&](const ArrayRecord& r) {
    copy_bytes(r, out.label);
    label_id = r.int_id;
    if (r.id_kind == ArrayRecord::IdKind::Str)
      CROMSS_THROW(IoError, "{}: id must be an integer", where(*label_, key));
  });
  check_labels(out.label, kDwClasses - 1, *label_, key);
  out.id = label_id;
  auto check_id = [&](const LmdbReader& env, const ArrayRecord& r) {
    if (r.id_kind != ArrayRecord::IdKind::Int || r.int_id != label_id)
      CROMSS_THROW(IoError, "{}: id {} disagrees with the label LMDB's id {} for this key",
                   where(env, key), r.id_string(), label_id);
  };
  if (s1_) {
    std::vector<int64_t> s1s = {kSeasons, kS1Bands, h, w};
    read_record(*s1_, key, s1s, 1, "uint8", [&](const ArrayRecord& r) {
      check_id(*s1_, r);
      copy_bytes(r, out.s1);
    });
  } else {
    out.s1.assign(static_cast<size_t>(kSeasons * kS1Bands * h * w), 0);  // S2-only runs
  }
  std::vector<int64_t> s2s = {kSeasons, kS2Bands, h, w};
  read_record(*s2_, key, s2s, 1, "uint8", [&](const ArrayRecord& r) {
    check_id(*s2_, r);
    copy_bytes(r, out.s2);
  });
  out.clean_label.clear();
  if (clean_) {
    std::vector<int64_t> cs = {kSeasons, h, w};
    read_record(*clean_, key, cs, 1, "uint8", [&](const ArrayRecord& r) {
      check_id(*clean_, r);
      copy_bytes(r, out.clean_label);
    });
    check_labels(out.clean_label, kDwClasses - 1, *clean_, key);
  }
}

bool PretrainDataset::try_read(size_t index, LocationData& out, std::string* error) const {
  return succeeds([&] { read(index, out); }, error);
}

DownstreamKind parse_downstream_kind(const std::string& s) {
  if (s == "DFC") return DownstreamKind::DFC;
  if (s == "DW") return DownstreamKind::DW;
  if (s == "OSM") return DownstreamKind::OSM;
  CROMSS_THROW(ValueError, "--dataset must be DFC, DW or OSM, got '{}'", s);
}
const char* downstream_name(DownstreamKind k) {
  return k == DownstreamKind::DFC ? "DFC" : (k == DownstreamKind::DW ? "DW" : "OSM");
}
int downstream_classes(DownstreamKind k) {
  return k == DownstreamKind::DFC ? 8 : (k == DownstreamKind::DW ? 9 : 13);
}

const std::vector<std::string>& downstream_class_names(DownstreamKind k) {
  static const std::vector<std::string> dfc = {
      "Water",    "Forest",    "Grassland",        "Wetland",
      "Cropland", "Shrubland", "Urban/Built area", "Barren"};
  static const std::vector<std::string> dw = {
      "Water",         "Trees",      "Grass",       "Flooded vegetation", "Crops",
      "Shrub & Scrub", "Built area", "Bare ground", "Snow & Ice"};
  static const std::vector<std::string> osm = {
      "Urban",     "Arable land", "Forest",          "Industrial", "Artificial vegetation",
      "Dump site", "Pasture",     "Permanent crops", "Water",      "Open space",
      "Shrub",     "Wetland",     "Coastal"};
  return k == DownstreamKind::DFC ? dfc : (k == DownstreamKind::DW ? dw : osm);
}

DownstreamDataset::DownstreamDataset(DownstreamKind kind, const std::string& lmdb_path)
    : kind_(kind) {
  env_ = std::make_unique<LmdbReader>(lmdb_path);
  std::string dir = std::filesystem::path(lmdb_path).lexically_normal().filename().string();
  if (dir.empty())
    dir = std::filesystem::path(lmdb_path).lexically_normal().parent_path().filename().string();
  const bool osm_dir = dir.find("osm") != std::string::npos;
  if (kind == DownstreamKind::OSM && !osm_dir)
    CROMSS_THROW(IoError,
                 "LMDB {}: --dataset OSM needs a directory name containing 'osm' (upstream's "
                 "entries/4 rule)",
                 lmdb_path);
  const size_t per = kind == DownstreamKind::DFC ? 3 : (osm_dir ? 4 : 3);
  if (env_->entries() % per != 0)
    CROMSS_THROW(IoError, "LMDB {}: {} entries is not a multiple of {} (keys per sample)",
                 lmdb_path, env_->entries(), per);
  size_ = env_->entries() / per;
  if (size_ == 0) CROMSS_THROW(IoError, "LMDB {} has no samples", lmdb_path);
}

namespace {

// The part of a DW/OSM file id after its modality prefix: "s1_<name>.tif" -> "<name>.tif".
std::string id_suffix(const std::string& id) {
  const auto p = id.find('_');
  return p == std::string::npos ? id : id.substr(p + 1);
}

template <typename T>
void encode_bands(const ArrayRecord& r, int bands, size_t hw, const double* mean, const double* std,
                  std::vector<uint8_t>& out) {
  out.resize(bands * hw);
  for (int b = 0; b < bands; ++b) {
    for (size_t i = 0; i < hw; ++i) {
      T v;
      std::memcpy(&v, r.data.data() + (b * hw + i) * sizeof(T), sizeof(T));
      out[b * hw + i] = ssl4eo_encode(static_cast<double>(v), mean[b], std[b]);
    }
  }
}

}  // namespace

void DownstreamDataset::read(size_t index, DownstreamSample& out) const {
  CROMSS_CHECK(index < size_, "DownstreamDataset: index {} outside 0..{}", index, size_ - 1);
  const std::string i = std::to_string(index);
  const bool dfc = kind_ == DownstreamKind::DFC;
  const std::string lkey =
      dfc ? "lbl_" + i : (kind_ == DownstreamKind::OSM ? "osm_" + i : "dw_" + i);
  std::vector<int64_t> ls = {-1, -1};
  std::string label_id;
  read_record(*env_, lkey, ls, 1, "uint8", [&](const ArrayRecord& r) {
    copy_bytes(r, out.label);
    label_id = r.str_id;
  });
  const int64_t h = ls[0], w = ls[1];
  const size_t hw = static_cast<size_t>(h * w);
  out.height = static_cast<int>(h);
  out.width = static_cast<int>(w);
  std::string s1_id;
  std::vector<int64_t> s1s = {kS1Bands, h, w};
  read_record(*env_, "s1_" + i, s1s, dfc ? 8 : 4, dfc ? "float64" : "float32",
              [&](const ArrayRecord& r) {
                if (dfc)
                  encode_bands<double>(r, kS1Bands, hw, kS1Mean, kS1Std, out.s1);
                else
                  encode_bands<float>(r, kS1Bands, hw, kS1Mean, kS1Std, out.s1);
                s1_id = r.str_id;
              });
  std::string s2_id;
  std::vector<int64_t> s2s = {kS2Bands, h, w};
  read_record(*env_, "s2_" + i, s2s, 2, dfc ? "uint16" : "int16", [&](const ArrayRecord& r) {
    encode_bands<uint16_t>(r, kS2Bands, hw, kS2Mean, kS2Std,
                           out.s2);  // int16 read as uint16 (method-spec.md §6.5)
    s2_id = r.str_id;
  });
  out.id = s1_id;
  if (dfc) {
    check_labels(out.label, 7, *env_, lkey);  // class 8 must be absent (quirk 25)
    return;
  }
  if (id_suffix(s1_id) != id_suffix(s2_id) || id_suffix(s1_id) != id_suffix(label_id))
    CROMSS_THROW(IoError, "LMDB {} sample {}: file ids disagree: s1 '{}', s2 '{}', label '{}'",
                 env_->path(), i, s1_id, s2_id, label_id);
  const int raw_max = kind_ == DownstreamKind::DW ? 10 : 13;
  check_labels(out.label, raw_max, *env_, lkey);
  for (auto& v : out.label) {
    const uint8_t x = (kind_ == DownstreamKind::DW && v == 10) ? 0 : v;  // DW cloud -> unlabelled
    v = x == 0 ? 255 : static_cast<uint8_t>(x - 1);
  }
}

bool DownstreamDataset::try_read(size_t index, DownstreamSample& out, std::string* error) const {
  return succeeds([&] { read(index, out); }, error);
}

}  // namespace cromss::data
