// The LMDB set of an ingest run and its progress record (see ingest_output.h).
#include "data/ingest_output.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/atomic_file.h"
#include "data/pickle_writer.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {
namespace {

namespace fs = std::filesystem;

// Sparse on Linux: LMDB grows data.mdb as it writes; the full SSL4EO-S12@NoL set is ~450 GB.
constexpr size_t kMapSize = size_t{1} << 40;
// Values a write transaction holds in memory before it is committed (bounds the writer's memory).
constexpr size_t kCommitEveryBytes = size_t{32} << 20;
constexpr char kProgressFile[] = "ingest_progress.json";

// The sample index of a key ("12", "s1_12" -> 12), or -1.
int64_t key_index(const std::string& key) {
  const std::string digits = key.substr(key.find_last_of('_') + 1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), ::isdigit)) return -1;
  return std::stoll(digits);
}

bool lmdb_exists(const std::string& path) {
  return fs::exists(fs::path(path) / "data.mdb");
}

}  // namespace

IngestOutput::IngestOutput(const std::string& out_dir, const TileSettings& settings,
                           const std::string& name, int protocol)
    : settings_(settings), protocol_(protocol) {
  const std::string& f = settings.format;
  CROMSS_CHECK(f == "pretrain" || f == "DW" || f == "OSM" || f == "DFC",
               "--format must be pretrain, DW, OSM or DFC, got '{}'", f);
  CROMSS_CHECK(protocol == 2 || protocol == 4, "--protocol must be 2 or 4, got {}", protocol);
  if (f == "pretrain") {
    for (const char* n : {"0k_251k_uint8_s1.lmdb", "0k_251k_uint8_s2c.lmdb", "dw_labels.lmdb"})
      paths_.push_back((fs::path(out_dir) / n).string());
  } else {
    std::string lower = f;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    const std::string dir = name.empty() ? "ingest_" + lower + "_lmdb" : name;
    // The DW/OSM reader counts 4 keys per sample only when the directory name contains "osm".
    CROMSS_CHECK((f == "OSM") == (dir.find("osm") != std::string::npos),
                 "--name '{}': the LMDB directory name must contain 'osm' exactly for --format OSM",
                 dir);
    paths_.push_back((fs::path(out_dir) / dir).string());
  }
  progress_path_ = (fs::path(paths_.back()) / kProgressFile).string();
  open_existing(progress_path_);
  last_save_ = std::chrono::steady_clock::now();
}

void IngestOutput::open_existing(const std::string& progress_file) {
  const bool has_progress = fs::exists(progress_file);
  std::vector<std::vector<std::string>> stale(paths_.size());
  if (has_progress) {
    nlohmann::json rec;
    try {
      std::ifstream(progress_file) >> rec;
      if (rec.at("format") != settings_.format || rec.at("tile") != settings_.tile ||
          rec.at("stride") != settings_.stride)
        CROMSS_THROW(IoError,
                     "{}: this LMDB set was built with --format {} --tile {} --stride {}; append "
                     "with the same (or write to another --out)",
                     progress_file, rec.at("format").get<std::string>(), rec.at("tile").get<int>(),
                     rec.at("stride").get<int>());
      next_key_ = rec.at("next_key").get<int64_t>();
      for (const auto& id : rec.at("done")) done_.insert(id.get<std::string>());
    } catch (const nlohmann::json::exception& e) {
      CROMSS_THROW(IoError, "{}: not a valid ingest progress record: {}", progress_file, e.what());
    }
  }
  // Samples already stored: from the record, else counted (per LMDB: keys per sample).
  const bool pre = settings_.format == "pretrain";
  const size_t per = pre ? 1 : (settings_.format == "OSM" ? 4 : 3);
  std::vector<size_t> samples;
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (!lmdb_exists(paths_[i])) {
      samples.push_back(0);
      continue;
    }
    const LmdbReader r(paths_[i]);
    if (has_progress) {
      for (const auto& k : r.keys())
        if (key_index(k) >= next_key_) stale[i].push_back(k);
    } else if (r.entries() % per != 0) {
      CROMSS_THROW(IoError, "LMDB {}: {} entries, not a multiple of the {} keys per {} sample",
                   paths_[i], r.entries(), per, settings_.format);
    }
    samples.push_back(r.entries() / per);
  }
  if (!has_progress) {
    next_key_ = static_cast<int64_t>(samples.back());
    for (size_t i = 0; i < paths_.size(); ++i)
      if (samples[i] != samples.back())
        CROMSS_THROW(IoError,
                     "cannot append: LMDB {} holds {} samples but {} holds {} (and no {} says "
                     "which run wrote what)",
                     paths_[i], samples[i], paths_.back(), samples.back(), kProgressFile);
  }
  for (size_t i = 0; i < paths_.size(); ++i) {
    writers_.push_back(std::make_unique<LmdbWriter>(paths_[i], kMapSize, kCommitEveryBytes));
    for (const auto& k : stale[i]) writers_[i]->erase(k);
    writers_[i]->commit();
  }
}

std::vector<std::pair<size_t, std::string>> IngestOutput::keys_of(int64_t index) const {
  const std::string i = std::to_string(index);
  const std::string& f = settings_.format;
  if (f == "pretrain") return {{0, i}, {1, i}, {2, i}};
  if (f == "DFC") return {{0, "s1_" + i}, {0, "s2_" + i}, {0, "lbl_" + i}};
  std::vector<std::pair<size_t, std::string>> k = {{0, "s1_" + i}, {0, "s2_" + i}, {0, "dw_" + i}};
  if (f == "OSM") k.push_back({0, "osm_" + i});
  return k;
}

void IngestOutput::put(const EncodedTile& t) {
  const auto keys = keys_of(next_key_);
  const int64_t h = t.height, w = t.width;
  if (settings_.format == "pretrain") {
    const RecordId id = RecordId::integer(next_key_);
    writers_[0]->put(keys[0].second,
                     write_array_record(t.s1, {kSeasons, kS1Bands, h, w}, id, protocol_));
    writers_[1]->put(keys[1].second,
                     write_array_record(t.s2, {kSeasons, kS2Bands, h, w}, id, protocol_));
    writers_[2]->put(keys[2].second, write_array_record(t.label, {kSeasons, h, w}, id, protocol_));
  } else {
    const bool dfc = settings_.format == "DFC";
    auto id = [&](const char* kind) {
      return dfc ? RecordId::none() : RecordId::string(kind + t.name);
    };
    LmdbWriter& wr = *writers_[0];
    wr.put(keys[0].second, write_array_record(t.s1, {kS1Bands, h, w}, id("s1_"), protocol_));
    wr.put(keys[1].second, write_array_record(t.s2, {kS2Bands, h, w}, id("s2_"), protocol_));
    wr.put(keys[2].second, write_array_record(t.label, {h, w}, id("dw_"), protocol_));
    if (keys.size() > 3)
      wr.put(keys[3].second, write_array_record(t.label, {h, w}, id("osm_"), protocol_));
  }
  ++next_key_;
}

void IngestOutput::rollback(int64_t key) {
  for (int64_t k = key; k < next_key_; ++k)
    for (const auto& [writer, name] : keys_of(k)) writers_[writer]->erase(name);
  next_key_ = std::min(next_key_, key);
}

void IngestOutput::scene_finished(const std::string& scene_id) {
  done_.insert(scene_id);
  if (std::chrono::steady_clock::now() - last_save_ > std::chrono::seconds(1)) save();
}

void IngestOutput::save() {
  for (auto& w : writers_) w->sync();
  nlohmann::json rec = {{"format", settings_.format},
                        {"tile", settings_.tile},
                        {"stride", settings_.stride},
                        {"next_key", next_key_},
                        {"done", done_}};
  write_file_atomically(progress_path_, rec.dump(1) + "\n");
  last_save_ = std::chrono::steady_clock::now();
}

IngestOutput::~IngestOutput() = default;

}  // namespace cromss::data
