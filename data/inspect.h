// Dataset inspection behind `cromss data inspect`: a full scan that reads every sample through
// the same readers as training, counting exact per-class pixels (after the readers' remapping,
// all seasons), shapes, dtypes and every bad sample with its error.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data/ssl4eo_dataset.h"

namespace cromss::data {

struct InspectReport {
  std::string kind;                                          // "pretrain", "DFC", "DW", "OSM"
  std::vector<std::pair<std::string, size_t>> lmdb_entries;  // path, entries
  size_t samples = 0, bad_samples = 0;
  std::vector<std::string> errors;                          // first few
  std::vector<std::pair<std::string, std::string>> arrays;  // name -> "dtype (shape)"
  int n_classes = 0;
  std::vector<uint64_t> noisy_hist;  // n_classes (+1 ignore for downstream)
  std::vector<uint64_t> clean_hist;  // empty without clean labels
  uint64_t disagree = 0;             // pixels where noisy != clean
  nlohmann::json to_json() const;
  std::string to_table() const;
};

InspectReport inspect_pretrain(const PretrainPaths& paths, size_t max_errors = 10);
InspectReport inspect_downstream(DownstreamKind kind, const std::string& path,
                                 size_t max_errors = 10);

}  // namespace cromss::data
