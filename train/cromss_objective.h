// The CromSS objective: the loss that pretrains both branches (S1, S2) on noisy labels. The
// equations below are the whole objective; § numbers are sections of docs/method-spec.md.
//
// Notation: x a pixel of the local batch (all images together), C classes, branch d in {1, 2}
// (1 = S1, 2 = S2) and o = the other branch, z_d(x) the logits, p_d = softmax(z_d), y(x) the hard
// noisy label, e the 0-based epoch, lambda = --consist_loss_weight.
//
//   L = sum_d [ CE_w(d) + Dice_w(d) ] + lambda (L_con(1<-2) + L_con(2<-1))                    §2
//
// Segmentation, weighted by the selection weights W_l^(d) (all 1 without selection):
//   CE_w(d)   = sum_x W_l^(d) ce_d / sum_x W_l^(d),  ce_d(x) = -sum_c t_c(x) log p_d,c(x)    §2.1
//   Dice_w(d) = (1/C) sum_c [sum_x t_c > 0] (1 - 2 I_c / max(K_c, 1e-7))                     §2.2
//               I_c = sum_x W_l^(d) p_d,c t_c,   K_c = sum_x W_l^(d) (p_d,c + t_c)
//   --loss_type picks CE (c), Dice (d) or both; a term whose weights sum to 0 is 0 (§9.30).
// Smoothed target (factors a, b = --label_smoothing_factor; prior M):                       §3.2
//   t(x) = (1 - a - b) onehot(y(x)) + a M(x) + b / C
//   one factor: (1 - a) onehot + a M;  prior none: (1 - a) onehot + a / C;  off: onehot
//   M = (M_t + M_s) / 2 for prior ts: M_t the blurred temporal frequency of the four seasonal
//   labels, M_s the blurred one-hot label of the drawn season (t or s alone: that one)       §3.1
// Consistency, each branch pulled toward the other's detached distribution q = p_o:          §2.3
//   L_con(d<-o) = sum_x W_e^(o) l_d(x) / sum_x W_e^(o)            (weighted by the teacher's W_e)
//   l_d = -sum_c q_c log p_d,c (ce) | sum_c q_c (log q_c - log p_d,c) (kl, 0 where q_c = 0)
//         | sum_c (p_d,c - q_c)^2 (mse)
// Confidences, from detached logits, entangled across the modalities:                  §4.1, §4.2
//   label confidence       c_l^(d)(x) = p_d,y(x)(x)                         (the hard label)
//   prediction confidence  c_e^(d)(x) = 1 - H(p_d(x)) / ln C (ce) | sum_c p_d,c^2 (gini)
//                          H(p) = -sum_c p_c log p_c with 0 log 0 = 0, clamped to [0, 1] (§9.3)
//   entangled              c_hat^(d) = (c^(d) + c^(1) c^(2)) / 2       (for c_l and c_e alike)
// Ramp and schedules (N = --sample_selection_rmdown_epoch, P = --sample_selection_prop):      §4.3
//   f(e) = exp(-5 (1 - min(e, N) / N)^2) (exp) | min(e / N, 1) (linear) | 1 (none); 1 if N = 0
//   r(e) = 1 - f(e) (1 - P) for e <= N, else P                    (segmentation selection ratio)
//   W_e^(d)(x) = (1 - f(e)) + f(e) c_hat_e^(d)(x) for e <= N, else c_hat_e^(d)(x)
// Class-wise top-proportion thresholds and segmentation weights, for 0 < r < 1:             §4.4
//   n_c = #{x : y(x) = c},   k_c = floor(f32(n_c) * f32(r))                               (§9.29)
//   theta_c = the k_c-th largest c_hat_l^(d) among the pixels of class c
//   W_l^(d)(x) = 0 if k_c = 0;  1 if theta_c <= 0;  else clip(c_hat_l^(d)(x) / theta_c, 0, 1)
//                with c = y(x);   r >= 1: W_l = 1;   r <= 0: W_l = c_hat_l
// Gradient: t, W_l, W_e and q are detached (§4.5), so dL/dz_d is known once the sums are:
//   CE: W_l (p T - t) / sum W_l (T = sum_c t_c); Dice: the softmax Jacobian of
//   W_l (a_c t_c + b_c), a_c = -2/(C D_c), b_c = 2 I_c/(C D_c^2), D_c = max(K_c, 1e-7);
//   consistency ce/kl: lambda W_e^(o) (p sum_c q_c - q) / sum W_e^(o); mse: the Jacobian of
//   lambda W_e^(o) 2 (p - q) / sum W_e^(o).
// Validation (§2.5): one-hot targets, all weights 1. --global_selection: n_c, theta_c and every
// sum over x run over the union of the ranks' batches (train/objective_config.h).
//
// Where each piece is computed: per pixel (t, confidences, W_l, W_e, each pixel's share of the
// sums, dL/dz) and the losses and gradient coefficients from the sums (reduce_sums) in
// kernels/cromss_objective.cuh, run by the CPU and CUDA backends of kernels/cromss_objective.h;
// f(e) and r(e) in train/selection_schedule.cpp; M in engine/ops/label_prior.h; the passes in order
// in train/cromss_objective.cpp; the autograd node in train/cromss_loss.h.
//
// Below: every intermediate, the losses and dL/dlogits of both branches. CPU (f32, or f64 for
// gradient checks) and CUDA (f32/f64/bf16/f16 logits, fp32 math) give the same results within the
// tolerance policy. Labels stay on their device: a labels pass checks their range there and its
// error mark comes back with the losses, in the one device-to-host read-out of an evaluation.
//
// Conventions: branch 0 is S1, branch 1 is S2. loss_con[0] is L_con(1<-2) (S1 pulled toward S2,
// weighted by weight_con[1], the teacher's W_e), loss_con[1] is L_con(2<-1); both are reported
// before the factor --consist_loss_weight, which `loss` includes.
#pragma once

#include <memory>

#include "engine/tensor.h"
#include "train/objective_config.h"

namespace cromss {

enum class ObjectiveMode {
  training,    // method-spec.md §2, §4
  validation,  // method-spec.md §2.5: hard labels, no smoothing, no selection
};

struct ObjectiveResult {
  Tensor target;                        // (B,C,H,W) smoothed (or one-hot) target
  Tensor conf_label[2], conf_pred[2];   // (B,H,W) entangled label / prediction confidences
  Tensor threshold[2];                  // (C) theta_c, 0 where k = 0 or without selection
  Tensor weight_seg[2], weight_con[2];  // (B,H,W) W_l^(d) and W_e^(d)
  double selection_ratio = 1;           // r(e); 1 without selection
  double loss_seg[2] = {0, 0};          // CE_w + Dice_w per branch
  double loss_con[2] = {0, 0};          // consistency terms, before the weight lambda
  double loss = 0;
  Tensor grad_logits[2];  // dL/dlogits, (B,C,H,W)
};

// The read-out of one evaluation, StepLosses::count doubles: the labels pass's mark, then the
// losses in kernels/cromss_objective.cuh's ObjectiveLosses order (loss, loss_seg[2], loss_con[2]).
struct StepLosses {
  static constexpr int bad_label = 0, loss = 1, seg = 2, con = 4, count = 6;
};
// Throws ValueError naming the first out-of-range label if `values` (a read-out) marks one;
// `labels` are the evaluation's labels (read on the host on this error path only; undefined:
// the message names no value).
void check_labels_mark(const double* values, const Tensor& labels, int C);

// One evaluation of the objective on the logits' device, which it never waits for (except with
// --global_selection, whose sums cross the ranks on the host): every intermediate, the losses
// in losses() on the device, and the gradient pass on demand. cromss_objective() reads it out
// at once; the training step (train/cromss_loss.h) reads it a step later.
class ObjectiveEvaluation {
 public:
  ObjectiveEvaluation(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                      const Tensor& prior, int epoch, const ObjectiveConfig& config,
                      ObjectiveMode mode, int branches);
  ~ObjectiveEvaluation();
  // Intermediates; the double losses are set by read_out(), grad_logits by gradient().
  ObjectiveResult& result();
  // (StepLosses::count) f64 on the device.
  Tensor losses() const;
  // dL/dlogits of `branch` (0 or 1) times `upstream` (a one-element tensor on the logits'
  // device; undefined: 1), in f32 (f64 for f64 CPU logits), before any rounding to the logits'
  // dtype (unscaled f16 gradients would underflow).
  Tensor gradient(int branch, const Tensor& upstream = Tensor()) const;
  // The one device-to-host copy: the losses into result(); throws on a bad label.
  void read_out();
  const Tensor& labels() const;
  int classes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// logits (B,C,H,W) on one device; labels (B,H,W) any integer dtype with values in 0..C-1;
// prior (B,C,H,W), required when config.needs_prior() in training mode (may be undefined
// otherwise). Arrays come back on the logits' device in f32 (f64 for f64 CPU logits).
ObjectiveResult cromss_objective(const Tensor& logits_s1, const Tensor& logits_s2,
                                 const Tensor& labels, const Tensor& prior, int epoch,
                                 const ObjectiveConfig& config,
                                 ObjectiveMode mode = ObjectiveMode::training);

// Single-modal variant (method-spec.md §1.5 / pretraining of one branch): CE + Dice per --loss_type
// with the config's target smoothing, no selection, no consistency. Returns loss and dL/dlogits.
struct SingleBranchResult {
  double loss = 0;
  Tensor grad_logits;
};
SingleBranchResult single_branch_objective(const Tensor& logits, const Tensor& labels,
                                           const Tensor& prior, const ObjectiveConfig& config);

// Checks shapes and dtypes; throws ValueError naming the offending input. (The label range is
// checked on the device by the labels pass and reported by read_out.)
void check_objective_inputs(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                            const Tensor& prior, bool prior_required);

}  // namespace cromss
