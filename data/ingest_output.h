// The LMDB set one ingest writes into (data/ingest.h): upstream's LMDB(s) of the format, keys
// continuing after what they already hold, and the progress record that makes a run resumable:
// ingest_progress.json in the label LMDB directory (format, tile, stride, next key, finished
// scene ids), rewritten atomically after every LMDB is synced. On open, keys at or past the
// record's next key (a scene interrupted mid-way) are dropped; without a record the next key is
// the number of samples the LMDBs hold (an upstream-built set can be appended to).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "data/ingest_tiles.h"
#include "data/lmdb_env.h"

namespace cromss::data {

class IngestOutput {
 public:
  IngestOutput(const std::string& out_dir, const TileSettings& settings, const std::string& name,
               int protocol);
  ~IngestOutput();
  IngestOutput(const IngestOutput&) = delete;
  IngestOutput& operator=(const IngestOutput&) = delete;

  int64_t next_key() const { return next_key_; }
  bool done(const std::string& scene_id) const { return done_.count(scene_id) > 0; }
  void put(const EncodedTile& tile);  // under next_key(), which then advances
  void rollback(int64_t key);         // erases keys key..next_key()-1; next_key() = key
  // Marks a scene finished; saves the progress record when a second passed since the last save.
  void scene_finished(const std::string& scene_id);
  void save();  // syncs every LMDB, then rewrites the progress record
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  // (writer, key) of every record of sample `index`.
  std::vector<std::pair<size_t, std::string>> keys_of(int64_t index) const;
  void open_existing(const std::string& progress_file);

  TileSettings settings_;
  int protocol_;
  std::vector<std::string> paths_;
  std::string progress_path_;
  std::vector<std::unique_ptr<LmdbWriter>> writers_;
  std::set<std::string> done_;
  int64_t next_key_ = 0;
  std::chrono::steady_clock::time_point last_save_;
};

}  // namespace cromss::data
