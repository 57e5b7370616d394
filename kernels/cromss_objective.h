// Kernels of the CromSS objective (spec §2-§4), one per pass over the batch; the per-pixel math is
// in kernels/cromss_objective.cuh. Layout: logits/targets/priors NCHW contiguous (B,C,HW),
// per-pixel maps (B,HW), labels int32 in 0..C-1. cpu_kernels:: run in A = float or double;
// cuda_kernels:: load f32/f64/bf16/f16 logits and compute in fp32 (all other arrays f32).
#pragma once

#include <cstdint>

#include "core/cross_rank.h"
#include "core/dtype.h"
#include "kernels/cromss_objective.cuh"

namespace cromss {

// How W_l is formed from the thresholds (spec §4.4): all ones (no selection, or r >= 1), the
// entangled confidence itself (r <= 0), or the class-wise thresholded weight (0 < r < 1).
enum class SegWeightMode : int { ones = 0, confidence = 1, thresholded = 2 };

// Sums over the local batch for one student branch (double on the host).
struct ObjectiveSums {
  double seg_weight = 0;                          // sum W_l
  double seg_ce = 0;                              // sum W_l ce
  double con_weight = 0;                          // sum W_e of the teacher
  double con = 0;                                 // sum W_e(teacher) l(student <- teacher)
  double dice_inter[kMaxObjectiveClasses] = {};   // sum W p_c t_c
  double dice_pred[kMaxObjectiveClasses] = {};    // sum W p_c
  double dice_target[kMaxObjectiveClasses] = {};  // sum W t_c
  double target_mass[kMaxObjectiveClasses] = {};  // sum t_c (unweighted)
};

// Per-pixel coefficients of the gradient pass, derived from ObjectiveSums on the host.
struct GradientScales {
  double ce = 0;    // multiplies W_l(x): 1 / sum W_l (0 if the sum is 0 or CE is off)
  double dice = 0;  // 1 if Dice is on
  double dice_a[kMaxObjectiveClasses] = {};
  double dice_b[kMaxObjectiveClasses] = {};
  double con = 0;  // multiplies W_e(teacher)(x): lambda / sum W_e (0 if the sum is 0)
};

struct ConfidenceArgs {
  double w_onehot = 1, w_prior = 0, w_uniform = 0;  // smoothed target weights (spec §3.2)
  bool gini = false;                                // prediction confidence type (spec §4.1)
  bool entangle = true;  // cross-modal entangling (spec §4.2); off: each branch's own confidence
};

}  // namespace cromss

namespace cromss::cpu_kernels {

// Pass 1: targets, entangled label and prediction confidences of both branches (z2 may be null
// for a single branch: conf outputs may then be null). prior may be null when w_prior == 0.
template <class A>
void objective_confidences(const A* z1, const A* z2, const int32_t* labels, const A* prior,
                           int64_t B, int C, int64_t HW, ConfidenceArgs args, A* target,
                           A* conf_label1, A* conf_label2, A* conf_pred1, A* conf_pred2);
// theta_c = k_c-th largest conf among pixels of class c, k_c = floor(f32(n_c) f32(r)), 0 if k_c = 0
// (std::nth_element). Writes theta (C) and k (C).
template <class A>
void class_thresholds(const A* conf, const int32_t* labels, int64_t n, int C, double ratio,
                      A* theta, int64_t* k);
// --global_selection: the same thresholds over the union of every rank's batch. n_c is summed
// over the ranks, then the radix select of kernels/cromss_radix_select.cuh runs with each pass's
// per-class digit histogram summed over the ranks, so every rank ends with the same theta_c (bit
// for bit the k_c-th largest value of the union) without gathering the confidences.
void class_thresholds_across_ranks(const float* conf, const int32_t* labels, int64_t n, int C,
                                   double ratio, float* theta, int64_t* k, CrossRankSum& ranks);
// W_l and W_e of one branch (spec §4.3, §4.4).
template <class A>
void selection_weights(const A* conf_label, const A* conf_pred, const int32_t* labels,
                       const A* theta, const int64_t* k, int64_t n, SegWeightMode mode,
                       bool select_con, double ramp, bool ramping, A* w_seg, A* w_con);
// Pass 2: loss sums of one student branch; z_teacher/w_con_teacher may be null (no consistency).
template <class A>
void objective_sums(const A* z, const A* z_teacher, const A* target, const A* w_seg,
                    const A* w_con_teacher, int64_t B, int C, int64_t HW, ConsistencyKind kind,
                    ObjectiveSums* sums);
// Pass 3: dL/dz of one student branch.
template <class A>
void objective_gradient(const A* z, const A* z_teacher, const A* target, const A* w_seg,
                        const A* w_con_teacher, int64_t B, int C, int64_t HW, ConsistencyKind kind,
                        const GradientScales& scales, A* grad);

}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {

// Same passes on the device; logits of `logit_dtype`, all other arrays f32 - the gradient too:
// it is scaled (fp16 loss scale) before any rounding to the logits' dtype (train/cromss_loss.cpp),
// because unscaled per-pixel gradients (~1/(B H W)) underflow f16. The thresholds use a
// radix select over the float bit patterns (no sort of the batch), counts per class.
void objective_confidences(const void* z1, const void* z2, DType logit_dtype, const int32_t* labels,
                           const float* prior, int64_t B, int C, int64_t HW, ConfidenceArgs args,
                           float* target, float* conf_label1, float* conf_label2, float* conf_pred1,
                           float* conf_pred2, int device);
// With `ranks` (--global_selection) the class counts and each pass's histograms are summed
// over the ranks on the host between the kernels (one small copy and stream sync per pass).
void class_thresholds(const float* conf, const int32_t* labels, int64_t n, int C, double ratio,
                      float* theta, int64_t* k, int device, CrossRankSum* ranks = nullptr);
void selection_weights(const float* conf_label, const float* conf_pred, const int32_t* labels,
                       const float* theta, const int64_t* k, int64_t n, SegWeightMode mode,
                       bool select_con, double ramp, bool ramping, float* w_seg, float* w_con,
                       int device);
void objective_sums(const void* z, const void* z_teacher, DType logit_dtype, const float* target,
                    const float* w_seg, const float* w_con_teacher, int64_t B, int C, int64_t HW,
                    ConsistencyKind kind, ObjectiveSums* sums, int device);
void objective_gradient(const void* z, const void* z_teacher, DType logit_dtype,
                        const float* target, const float* w_seg, const float* w_con_teacher,
                        int64_t B, int C, int64_t HW, ConsistencyKind kind,
                        const GradientScales& scales, float* grad, int device);

}  // namespace cromss::cuda_kernels
