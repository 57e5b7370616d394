// Validation metrics (method-spec.md §5 "Validation metrics", §7.3): one exact int64 confusion
// matrix per branch, accumulated over the epoch (on the labels' device; smp's float32 histc loses
// counts above 2^24, method-spec.md §9.21 - this does not), then per-class IoU, F1, precision and
// recall with smp's zero_division = 1 (a 0/0 scores 1.0, method-spec.md §9.20), their plain class
// means, and OA = sum_c tp_c / #counted pixels. Pixels whose label is the ignore index are not
// counted. Names are upstream's logged keys: v{d}_iou_{c}, v{d}_miou, v{d}_f1_{c}, v{d}_mf1,
// v{d}_precise_{c}, v{d}_mprecise, v{d}_recall_{c}, v{d}_mrecall, v{d}_oa (d = 1 for the S1
// branch, 2 for S2).
// Also the selection precision of the CromSS sample selection on synthetic data: the share of
// the segmentation weight that falls on pixels whose noisy label equals the clean label.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

// An ordered list of named values (the order is the logging/CSV column order).
using NamedValues = std::vector<std::pair<std::string, double>>;

class ConfusionMatrix {
 public:
  ConfusionMatrix(int64_t n_classes, Device device = Device::cpu(), int64_t ignore_index = 255);

  // pred and target: integer tensors (u8, i32 or i64, the same dtype) of equal numel on the
  // matrix's device. Accumulates without a host sync on CUDA.
  void accumulate(const Tensor& pred, const Tensor& target);
  void reset();

  int64_t n_classes() const { return n_classes_; }
  // Row-major [target][prediction] counts on the host (a host sync on CUDA). Throws ValueError
  // when any counted pixel had a target or prediction outside [0, n_classes).
  std::vector<int64_t> counts() const;
  // The device buffer: n*n counts then the out-of-range counter (e.g. for an all-reduce).
  const Tensor& raw() const { return counts_; }

 private:
  int64_t n_classes_;
  int64_t ignore_index_;
  Device device_;
  Tensor counts_;  // i64[n*n + 1]
};

struct ClassScores {
  std::vector<double> iou, f1, precision, recall;
  double miou = 0, mf1 = 0, mprecision = 0, mrecall = 0, oa = 0;
  int64_t pixels = 0;
};

// Scores from row-major [target][prediction] counts of an n x n matrix. A 0/0 scores
// `zero_division` (upstream/smp: 1; `cromss evaluate --strict`: 0).
ClassScores scores_from_confusion(const std::vector<int64_t>& counts, int64_t n_classes,
                                  double zero_division = 1.0);

// Upstream's names with prefix "v1", "v2" (or "v" for a single branch); per-class entries first,
// then the mean, per metric, then OA: v1_iou_0..v1_iou_{n-1}, v1_miou, v1_f1_0.., v1_mf1, ...
NamedValues named_scores(const std::string& prefix, const ClassScores& scores);

// Accumulates sum(w * [noisy == clean]) and sum(w) over an epoch (f64, on the host).
class SelectionPrecision {
 public:
  // weight: float tensor; noisy, clean: integer tensors; all of equal numel, any device.
  // Pixels whose clean label is ignore_index are skipped.
  void accumulate(const Tensor& weight, const Tensor& noisy, const Tensor& clean,
                  int64_t ignore_index = 255);
  void reset() { correct_ = total_ = 0; }
  double weight_on_correct() const { return correct_; }
  double weight_total() const { return total_; }
  // correct / total; 1.0 when no weight was given (nothing selected, nothing wrong).
  double value() const { return total_ > 0 ? correct_ / total_ : 1.0; }

 private:
  double correct_ = 0, total_ = 0;
};

}  // namespace cromss
