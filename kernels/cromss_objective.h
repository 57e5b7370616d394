// The passes of the CromSS objective behind one signature for both backends (docs/method-spec.md
// §2-§4; the equations are in train/cromss_objective.h). A backend is a table of functions, one
// per pass (as ggml's backends); objective_backend(device) is the one place that picks CPU or
// CUDA. Every pass takes the same ObjectiveArrays (raw arrays on one device) and runs the pass
// bodies of kernels/cromss_objective.cuh over the pixels.
//
// Layout: logits/targets/priors NCHW contiguous (B,C,HW), per-pixel maps (B,HW), labels int32 in
// 0..C-1 after the labels pass. Dtypes: the CPU backend reads f32 or f64 logits and works in
// that dtype; the CUDA backend reads f32/f64/bf16/f16 logits and works in f32 - the gradient too:
// it is scaled (fp16 loss scale) before any rounding to the logits' dtype
// (train/cromss_loss.cpp), because unscaled per-pixel gradients (~1/(B H W)) underflow f16.
#pragma once

#include <cstdint>

#include "core/cross_rank.h"
#include "core/device.h"
#include "core/dtype.h"
#include "kernels/cromss_objective.cuh"

namespace cromss {

// The objective's state buffer (doubles on the device), one per call: the sums of branch 0 and of
// branch 1 (layout ObjectiveSums each), a slot holding, as uint64 bits, n - i for the first pixel
// i whose label is outside 0..C-1 (0: every label is in range), the losses (ObjectiveLosses),
// then the gradient coefficients of each branch (GradientScales, read on the device only). The
// span [bad_label, losses + ObjectiveLosses::count) is what comes back to the host: one copy.
struct ObjectiveState {
  int C;
  CROMSS_HD int sums(int branch) const { return branch * ObjectiveSums{C}.count(); }
  CROMSS_HD int bad_label() const { return 2 * ObjectiveSums{C}.count(); }
  CROMSS_HD int losses() const { return bad_label() + 1; }
  CROMSS_HD int scales(int branch) const {
    return losses() + ObjectiveLosses::count + branch * kGradientScalesDoubles;
  }
  CROMSS_HD int count() const { return scales(2); }
};

// Raw arrays of one objective evaluation, all on `device`. Second-branch entries are null with
// one branch. `work` is the dtype of every float array but the logits (ObjectiveBackend).
struct ObjectiveArrays {
  Device device;
  DType logits = DType::f32, work = DType::f32;
  int64_t B = 0, HW = 0;
  int C = 0;
  bool two = true;  // two branches (else branch 0 only, no confidences, no consistency)
  const void* z[2] = {nullptr, nullptr};
  int32_t* labels = nullptr;    // written by the labels pass
  const void* prior = nullptr;  // null when the target does not use it
  void* target = nullptr;
  void* conf_label[2] = {nullptr, nullptr};
  void* conf_pred[2] = {nullptr, nullptr};
  void* threshold[2] = {nullptr, nullptr};  // (C) each
  int64_t* k[2] = {nullptr, nullptr};       // (C) each: pixels selected per class
  void* weight_seg[2] = {nullptr, nullptr};
  void* weight_con[2] = {nullptr, nullptr};
  void* grad[2] = {nullptr, nullptr};
  double* state = nullptr;  // ObjectiveState, zeroed before the labels pass
  int64_t n() const { return B * HW; }
};

struct ObjectiveBackend {
  DType (*work_dtype)(DType logits);   // dtype of the maps, targets and gradients
  DType (*logit_dtype)(DType logits);  // the dtype the logits must be given in
  // int64 labels -> a.labels, recording the first out-of-range one in the state.
  void (*labels)(const ObjectiveArrays& a, const int64_t* labels);
  void (*confidences)(const ObjectiveArrays& a, const ConfidenceArgs& args);
  // theta_c = k_c-th largest conf_label among pixels of class c, k_c = floor(f32(n_c) f32(r)),
  // 0 if k_c = 0. With `ranks` (--global_selection) over the union of every rank's batch.
  void (*thresholds)(const ObjectiveArrays& a, int branch, double ratio, CrossRankSum* ranks);
  void (*weights)(const ObjectiveArrays& a, int branch, const WeightArgs& w);
  // Sums of student `branch` (teacher 1 - branch) into the state.
  void (*sums)(const ObjectiveArrays& a, int branch, ConsistencyKind kind);
  // The losses and the gradient coefficients from the sums, in the state (reduce_sums).
  void (*reduce)(const ObjectiveArrays& a, const ReduceArgs& args);
  // dL/dz of `branch` times *upstream (a scalar in the work dtype on the device; null: 1).
  void (*gradient)(const ObjectiveArrays& a, int branch, ConsistencyKind kind,
                   const void* upstream);
};

// The dispatch point: the backend of the device (kernels/cromss_objective.cpp).
const ObjectiveBackend& objective_backend(Device device);

namespace cpu_kernels {
extern const ObjectiveBackend kObjectiveBackend;
}  // namespace cpu_kernels
namespace cuda_kernels {
extern const ObjectiveBackend kObjectiveBackend;
}  // namespace cuda_kernels

}  // namespace cromss
