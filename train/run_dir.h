// The run directory under --save_dir (spec §5, issue 6 "Run directory"):
//   params.txt                        JSON of the run's arguments (as upstream, spec §9.33)
//   metrics.jsonl                     one JSON object per logged row, appended
//   metrics.csv                       the same rows as CSV; header = union of the keys in
//                                     first-seen order. A row that brings a new key rewrites
//                                     the whole file (temporary file + rename), so the CSV is
//                                     always complete and rectangular (missing cells empty).
//   checkpoints/epoch={e}-step={s}.h5 upstream's filename pattern, plus checkpoints/last.h5
// Checkpoint contents are written elsewhere (train/checkpoint.*); this file names, prunes and
// finds them. `--resume auto` (SLURM requeue) picks the newest VALID checkpoint: every *.h5 in
// checkpoints/ (never *.tmp) that opens as HDF5 and holds the 0-d `step` dataset of the
// checkpoint format (DESIGN.md); the highest step wins, ties go to the newer file time, then to
// the epoch-named file over last.h5 (same content by construction).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "train/metrics.h"

namespace cromss {

class RunDir {
 public:
  explicit RunDir(std::string save_dir);  // creates save_dir and save_dir/checkpoints

  const std::string& path() const { return dir_; }
  std::string checkpoint_dir() const;
  std::string checkpoint_path(int64_t epoch, int64_t step) const;  // .../epoch=E-step=S.h5
  std::string last_checkpoint_path() const;                        // .../last.h5

  void write_params(const nlohmann::json& args) const;  // params.txt, written atomically

  // Deletes all but the newest `keep_last` epoch=*-step=*.h5 files (by step); last.h5 is never
  // deleted. keep_last <= 0 keeps everything (upstream's save_top_k = -1).
  void prune_checkpoints(int64_t keep_last) const;

 private:
  std::string dir_;
};

// Parses "epoch={e}-step={s}.h5"; nullopt for any other name.
std::optional<std::pair<int64_t, int64_t>> parse_checkpoint_name(const std::string& filename);

// `--resume auto`: the newest valid checkpoint under <save_dir>/checkpoints (see above; the
// chosen file must also read back in full, so a file damaged past its header falls back to the
// next one), and why each other *.h5 there was rejected (the callers say so: a run whose every
// checkpoint is damaged must not silently start from epoch 0).
struct ResumeSearch {
  std::optional<std::string> path;    // nullopt: no valid checkpoint
  std::vector<std::string> rejected;  // one message per damaged *.h5, naming the file
};
ResumeSearch search_resume_checkpoint(const std::string& save_dir);
std::optional<std::string> find_resume_checkpoint(const std::string& save_dir);  // .path of it

// metrics.jsonl + metrics.csv (see above). Existing rows of metrics.jsonl are loaded on
// construction, so a resumed run keeps appending to the same files. A torn last line (a full
// disk, a crash in mid-write) is dropped with a warning and the file rewritten without it; a
// malformed line before the last one is an IoError naming the file and line.
class MetricsLog {
 public:
  explicit MetricsLog(const std::string& dir);
  void append(const NamedValues& row);
  // Removes the rows of epochs >= `epoch` (rewriting both files) and returns how many: a resumed
  // run drops the rows that a crash between logging an epoch and checkpointing it left behind,
  // so the epoch it trains again is not logged twice.
  size_t drop_rows_from_epoch(int64_t epoch);
  const std::vector<std::string>& columns() const { return columns_; }
  size_t rows() const { return rows_.size(); }

 private:
  void rewrite_csv() const;
  void rewrite_jsonl() const;
  void append_csv_row(const nlohmann::ordered_json& row) const;

  std::string jsonl_path_, csv_path_;
  std::vector<std::string> columns_;
  std::vector<nlohmann::ordered_json> rows_;
};

}  // namespace cromss
