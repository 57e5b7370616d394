// Scene lists for ingest (see ingest_scenes.h): list files and release folder layouts.
#include "data/ingest_scenes.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool is_tif(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".tif" || ext == ".tiff" || ext == ".TIF";
}

// The first 8-digit run (YYYYMMDD) of the name, or "" (then the name itself sorts).
std::string date_of(const fs::path& p) {
  static const std::regex date("(\\d{8})");
  std::smatch m;
  const std::string name = p.filename().string();
  return std::regex_search(name, m, date) ? m[1].str() : "";
}

// The season folders and GeoTIFFs of `dir` (not e.g. GDAL's .aux.xml side files), in date order.
std::vector<std::string> in_date_order(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const auto& e : sorted_entries(dir))
    if (fs::is_directory(e) || is_tif(e)) entries.push_back(e);
  std::stable_sort(entries.begin(), entries.end(),
                   [](const fs::path& a, const fs::path& b) { return date_of(a) < date_of(b); });
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.string());
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

void require_dir(const fs::path& dir, const std::string& layout) {
  if (!fs::is_directory(dir))
    CROMSS_THROW(IoError, "--layout {}: folder {} does not exist", layout, dir.string());
}

SceneList dfc2020(const fs::path& root) {
  SceneList out;
  std::vector<fs::path> s1_files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && is_tif(e.path()) &&
        e.path().filename().string().find("_s1_") != std::string::npos)
      s1_files.push_back(e.path());
  std::sort(s1_files.begin(), s1_files.end());
  for (const auto& s1 : s1_files) {
    const std::string dir = s1.parent_path().filename().string();
    const std::string name = s1.filename().string();
    auto sibling = [&](const std::string& kind) {
      return (s1.parent_path().parent_path() / replace_all(dir, "s1", kind) /
              replace_all(name, "_s1_", "_" + kind + "_"))
          .string();
    };
    IngestScene sc{{s1.string()}, {sibling("s2")}, {sibling("dfc")}};
    if (!fs::exists(sc.s2[0]))
      out.refused.push_back({sc.id(), fmt::format("no S2 counterpart {}", sc.s2[0])});
    else if (!fs::exists(sc.label[0]))
      out.refused.push_back({sc.id(), fmt::format("no label counterpart {}", sc.label[0])});
    else
      out.scenes.push_back(sc);
  }
  return out;
}

SceneList ssl4eo(const fs::path& root) {
  SceneList out;
  for (const char* d : {"s1", "s2c", "dw"}) require_dir(root / d, "ssl4eo");
  for (const auto& loc : sorted_entries(root / "s2c")) {
    if (!fs::is_directory(loc)) continue;
    const std::string name = loc.filename().string();
    IngestScene sc{in_date_order(root / "s1" / name), in_date_order(loc),
                   in_date_order(root / "dw" / name)};
    const std::string id = (root / "s1" / name).string();
    if (sc.s1.empty() || sc.label.empty())
      out.refused.push_back({id, fmt::format("location {} lacks {}", name,
                                             sc.s1.empty() ? "S1 (s1/)" : "labels (dw/)")});
    else if (sc.s1.size() != sc.s2.size() || sc.label.size() != sc.s2.size() || sc.s2.size() > 4)
      out.refused.push_back(
          {id, fmt::format("location {} has {} S1, {} S2 and {} label seasons (want 1-4 of each, "
                           "equally many)",
                           name, sc.s1.size(), sc.s2.size(), sc.label.size())});
    else
      out.scenes.push_back(sc);
  }
  return out;
}

// File name without an optional "<kind>_" prefix.
std::string tile_name(const fs::path& p) {
  const std::string n = p.filename().string();
  for (const char* prefix : {"s1_", "s2_", "dw_", "osm_"})
    if (n.rfind(prefix, 0) == 0) return n.substr(std::string(prefix).size());
  return n;
}

SceneList dw_osm(const fs::path& root, const std::string& label_dir) {
  SceneList out;
  for (const std::string& d : {std::string("s1"), std::string("s2"), label_dir})
    require_dir(root / d, label_dir);
  std::map<std::string, std::string> s2, label;
  for (const auto& p : sorted_entries(root / "s2"))
    if (is_tif(p)) s2[tile_name(p)] = p.string();
  for (const auto& p : sorted_entries(root / label_dir))
    if (is_tif(p)) label[tile_name(p)] = p.string();
  for (const auto& p : sorted_entries(root / "s1")) {
    if (!is_tif(p)) continue;
    const std::string n = tile_name(p);
    if (!s2.count(n))
      out.refused.push_back(
          {p.string(), fmt::format("no S2 tile {} in {}", n, (root / "s2").string())});
    else if (!label.count(n))
      out.refused.push_back(
          {p.string(), fmt::format("no label tile {} in {}", n, (root / label_dir).string())});
    else
      out.scenes.push_back({{p.string()}, {s2[n]}, {label[n]}});
  }
  return out;
}

}  // namespace

std::string IngestScene::id() const {
  std::vector<std::string> absolute;
  for (const auto& p : s1) absolute.push_back(fs::absolute(p).lexically_normal().string());
  return join(absolute);
}

SceneList scenes_from_list_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) CROMSS_THROW(IoError, "--list {}: cannot open it", path);
  const fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string& column) {
    std::vector<std::string> out;
    for (const auto& p : split(column, ','))
      out.push_back(fs::path(p).is_absolute() ? p : (base / p).string());
    return out;
  };
  SceneList out;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::vector<std::string> cols;
    for (std::string f; fields >> f;) cols.push_back(f);
    if (cols.empty()) continue;
    if (cols.size() != 3)
      CROMSS_THROW(IoError, "--list {} line {}: {} columns, expected 3 (S1 S2 LABEL)", path,
                   line_no, cols.size());
    out.scenes.push_back({resolve(cols[0]), resolve(cols[1]), resolve(cols[2])});
  }
  return out;
}

SceneList scenes_from_layout(const std::string& layout, const std::string& root) {
  require_dir(root, layout);
  if (layout == "dfc2020") return dfc2020(root);
  if (layout == "ssl4eo") return ssl4eo(root);
  if (layout == "dw") return dw_osm(root, "dw");
  if (layout == "osm") return dw_osm(root, "osm");
  CROMSS_THROW(ValueError, "--layout must be dfc2020, ssl4eo, dw or osm, got '{}'", layout);
}

LayoutDefaults layout_defaults(const std::string& layout) {
  if (layout == "dfc2020")
    return {"DFC", 256, "1:1,2:5,3:ignore,4:2,5:3,6:4,7:6,8:ignore,9:7,10:0"};
  if (layout == "ssl4eo") return {"pretrain", 264, ""};
  // DW/OSM label files hold the reader's raw coding: 0 unlabelled, v = class + 1, DW 10 cloud.
  auto raw_coding = [](int classes, bool cloud) {
    std::string map = "0:ignore";
    for (int c = 0; c < classes; ++c) map += fmt::format(",{}:{}", c + 1, c);
    return cloud ? map + fmt::format(",{}:ignore", classes + 1) : map;
  };
  // Whole tiles, as upstream stored them: fine-tuning crops 496/480 px from them (spec §7.2).
  if (layout == "dw") return {"DW", 0, raw_coding(9, true)};
  if (layout == "osm") return {"OSM", 0, raw_coding(13, false)};
  CROMSS_THROW(ValueError, "--layout must be dfc2020, ssl4eo, dw or osm, got '{}'", layout);
}

const std::vector<std::string>& s1_band_files() {
  static const std::vector<std::string> names = {"VV", "VH"};
  return names;
}

const std::vector<std::string>& s2_band_files() {
  static const std::vector<std::string> names = {"B1", "B2",  "B3", "B4",  "B5",  "B6", "B7",
                                                 "B8", "B8A", "B9", "B10", "B11", "B12"};
  return names;
}

}  // namespace cromss::data
