// Readers of upstream's LMDB datasets, straight from the files Python wrote (spec §6.2-6.5):
// * PretrainDataset: the SSL4EO-S12@NoL triple (S1 (4,2,H,W), S2 (4,13,H,W), DW labels (4,H,W),
//   all uint8; keys "0".."N-1"; ids must agree; length = label LMDB entries), plus an optional
//   clean-label LMDB of the label format (synthetic data).
// * DownstreamDataset: DFC2020 (s1_i float64 dB, s2_i uint16, lbl_i uint8 in DW indices 0..7) and
//   SSL4EO-S12@DW/@OSM (s1_i float32 dB, s2_i int16 read as uint16, dw_i / osm_i raw labels;
//   length entries/3, or /4 when the directory name contains "osm"), encoded to uint8 with the
//   SSL4EO statistics and labels remapped (DW/OSM: 10 -> 0, 0 -> 255 ignore, v -> v - 1).
// Every bad sample (missing key, truncated value, wrong shape or dtype, label out of range, ids
// that disagree) raises an IoError naming the LMDB and key; with skip_bad_samples the loader
// counts it and substitutes another sample instead (try_read).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/lmdb_env.h"

namespace cromss::data {

struct PretrainPaths {
  std::string data_path;
  std::string name_s1 = "0k_251k_uint8_s1.lmdb";  // empty: no S1 (S2-only runs), zeros instead
  std::string name_s2 = "0k_251k_uint8_s2c.lmdb";
  std::string name_label = "dw_labels.lmdb";
  std::string name_clean_label = "dw_labels_clean.lmdb";  // used when it exists; empty: never
};

// One location, all seasons, uint8 as stored.
struct LocationData {
  int height = 0, width = 0;
  int64_t id = 0;
  std::vector<uint8_t> s1;           // (4, 2, H, W)
  std::vector<uint8_t> s2;           // (4, 13, H, W)
  std::vector<uint8_t> label;        // (4, H, W), 0..8
  std::vector<uint8_t> clean_label;  // (4, H, W) or empty
};

class PretrainDataset {
 public:
  explicit PretrainDataset(const PretrainPaths& paths);
  size_t size() const { return size_; }
  bool has_clean_labels() const { return clean_ != nullptr; }
  int height() const { return height_; }
  int width() const { return width_; }
  // Reads location i; throws IoError on a bad sample.
  void read(size_t index, LocationData& out) const;
  // As read(), but returns false and sets *error instead of throwing for a bad sample.
  bool try_read(size_t index, LocationData& out, std::string* error) const;
  std::string describe() const;  // paths, for messages

 private:
  std::unique_ptr<LmdbReader> s1_, s2_, label_, clean_;
  size_t size_ = 0;
  int height_ = 0, width_ = 0;
};

enum class DownstreamKind { DFC, DW, OSM };
DownstreamKind parse_downstream_kind(const std::string& s);  // "DFC", "DW" or "OSM"
const char* downstream_name(DownstreamKind k);
int downstream_classes(DownstreamKind k);  // 8, 9, 13

struct DownstreamSample {
  int height = 0, width = 0;
  std::string id;              // file id of the S1 record ("" for DFC)
  std::vector<uint8_t> s1;     // (2, H, W) SSL4EO uint8 code
  std::vector<uint8_t> s2;     // (13, H, W) SSL4EO uint8 code
  std::vector<uint8_t> label;  // (H, W) 0..n_classes-1 or 255 (ignore)
};

class DownstreamDataset {
 public:
  DownstreamDataset(DownstreamKind kind, const std::string& lmdb_path);
  size_t size() const { return size_; }
  DownstreamKind kind() const { return kind_; }
  const std::string& path() const { return env_->path(); }
  void read(size_t index, DownstreamSample& out) const;
  bool try_read(size_t index, DownstreamSample& out, std::string* error) const;

 private:
  DownstreamKind kind_;
  std::unique_ptr<LmdbReader> env_;
  size_t size_ = 0;
};

}  // namespace cromss::data
