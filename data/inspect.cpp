// Dataset inspection (see inspect.h).
#include "data/inspect.h"

#include "core/error.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

constexpr const char* kDwNames[kDwClasses] = {
    "water",           "trees",      "grass",       "flooded_vegetation", "crops",
    "shrub_and_scrub", "built_area", "bare_ground", "snow_and_ice"};

std::string class_name(const std::string& kind, int c, int n) {
  if (c == n) return "ignore(255)";
  if (kind != "OSM" && c < kDwClasses) return kDwNames[c];
  return "class_" + std::to_string(c);
}

void note_error(InspectReport& r, const std::string& e, size_t max_errors) {
  ++r.bad_samples;
  if (r.errors.size() < max_errors) r.errors.push_back(e);
}

}  // namespace

InspectReport inspect_pretrain(const PretrainPaths& paths, size_t max_errors) {
  PretrainDataset ds(paths);
  InspectReport r;
  r.kind = "pretrain";
  r.samples = ds.size();
  r.n_classes = kDwClasses;
  r.noisy_hist.assign(kDwClasses, 0);
  if (ds.has_clean_labels()) r.clean_hist.assign(kDwClasses, 0);
  const std::string hw = fmt::format("{}, {}", ds.height(), ds.width());
  r.arrays = {{"s1", "uint8 (4, 2, " + hw + ")"},
              {"s2", "uint8 (4, 13, " + hw + ")"},
              {"label", "uint8 (4, " + hw + ")"}};
  if (ds.has_clean_labels()) r.arrays.push_back({"clean_label", "uint8 (4, " + hw + ")"});
  LocationData loc;
  for (size_t i = 0; i < ds.size(); ++i) {
    std::string err;
    if (!ds.try_read(i, loc, &err)) {
      note_error(r, err, max_errors);
      continue;
    }
    for (uint8_t v : loc.label) ++r.noisy_hist[v];
    for (size_t p = 0; p < loc.clean_label.size(); ++p) {
      ++r.clean_hist[loc.clean_label[p]];
      r.disagree += loc.clean_label[p] != loc.label[p];
    }
  }
  for (const auto& p : {paths.name_s1, paths.name_s2, paths.name_label}) {
    LmdbReader env(paths.data_path + "/" + p);
    r.lmdb_entries.push_back({env.path(), env.entries()});
  }
  if (ds.has_clean_labels()) {
    LmdbReader env(paths.data_path + "/" + paths.name_clean_label);
    r.lmdb_entries.push_back({env.path(), env.entries()});
  }
  return r;
}

InspectReport inspect_downstream(DownstreamKind kind, const std::string& path, size_t max_errors) {
  DownstreamDataset ds(kind, path);
  InspectReport r;
  r.kind = downstream_name(kind);
  r.samples = ds.size();
  r.n_classes = downstream_classes(kind);
  r.noisy_hist.assign(r.n_classes + 1, 0);
  {
    LmdbReader env(path);
    r.lmdb_entries.push_back({env.path(), env.entries()});
  }
  DownstreamSample s;
  std::string shape;
  for (size_t i = 0; i < ds.size(); ++i) {
    std::string err;
    if (!ds.try_read(i, s, &err)) {
      note_error(r, err, max_errors);
      continue;
    }
    const std::string sh = fmt::format("{}, {}", s.height, s.width);
    if (shape.empty())
      shape = sh;
    else if (shape != sh)
      shape = "varying";
    for (uint8_t v : s.label) ++r.noisy_hist[v == 255 ? r.n_classes : v];
  }
  const bool dfc = kind == DownstreamKind::DFC;
  r.arrays = {{"s1", std::string(dfc ? "float64" : "float32") + " (2, " + shape + ")"},
              {"s2", std::string(dfc ? "uint16" : "int16") + " (13, " + shape + ")"},
              {"label", "uint8 (" + shape + ")"}};
  return r;
}

nlohmann::json InspectReport::to_json() const {
  nlohmann::json j;
  j["kind"] = kind;
  j["samples"] = samples;
  j["bad_samples"] = bad_samples;
  j["errors"] = errors;
  for (const auto& [p, n] : lmdb_entries) j["lmdb_entries"][p] = n;
  for (const auto& [n, d] : arrays) j["arrays"][n] = d;
  auto hist = [&](const std::vector<uint64_t>& h) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t c = 0; c < h.size(); ++c)
      o[class_name(kind, static_cast<int>(c), n_classes)] = h[c];
    return o;
  };
  j["class_pixels"] = hist(noisy_hist);
  if (!clean_hist.empty()) {
    j["clean_class_pixels"] = hist(clean_hist);
    j["noisy_clean_disagreeing_pixels"] = disagree;
  }
  j["consistent"] = bad_samples == 0;
  return j;
}

std::string InspectReport::to_table() const {
  std::string o =
      fmt::format("dataset: {}  samples: {}  bad samples: {}\n", kind, samples, bad_samples);
  for (const auto& [p, n] : lmdb_entries) o += fmt::format("  {:<60} {:>10} entries\n", p, n);
  for (const auto& [n, d] : arrays) o += fmt::format("  {:<12} {}\n", n, d);
  uint64_t tn = 0, tc = 0;
  for (auto v : noisy_hist) tn += v;
  for (auto v : clean_hist) tc += v;
  o += fmt::format("  {:<20} {:>14} {:>8}", "class", clean_hist.empty() ? "pixels" : "noisy pixels",
                   "%");
  o += clean_hist.empty() ? "\n" : fmt::format(" {:>14} {:>8}\n", "clean pixels", "%");
  for (size_t c = 0; c < noisy_hist.size(); ++c) {
    o += fmt::format("  {:<20} {:>14} {:>8.3f}", class_name(kind, static_cast<int>(c), n_classes),
                     noisy_hist[c], tn ? 100.0 * noisy_hist[c] / tn : 0.0);
    o += clean_hist.empty() ? "\n"
                            : fmt::format(" {:>14} {:>8.3f}\n", clean_hist[c],
                                          tc ? 100.0 * clean_hist[c] / tc : 0.0);
  }
  if (!clean_hist.empty())
    o += fmt::format("  noisy labels differ from clean on {} pixels ({:.2f} %)\n", disagree,
                     tc ? 100.0 * disagree / tc : 0.0);
  for (const auto& e : errors) o += "  error: " + e + "\n";
  return o;
}

}  // namespace cromss::data
