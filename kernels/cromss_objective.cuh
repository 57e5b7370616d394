// Per-pixel math and per-pass bodies of the CromSS objective (train/cromss_objective.h has the
// equations; docs/method-spec.md §2-§4 the method), written once: the CPU backend
// (kernels/cpu/cromss_objective.cpp) runs each pass body in an OpenMP loop, the CUDA backend
// (kernels/cuda/cromss_objective.cu) in a grid-stride kernel. Every function works on one
// pixel's C class values held in small local arrays (C <= 32) in the accumulation type A (float
// on the GPU, float or double on the CPU).
//
// Invariants: logits are finite; log-probabilities are computed as z - max - log(sum exp), so
// they stay finite even where the probability underflows to 0 (logits of +-1000), and
// 0 * log 0 is taken as 0 (method-spec.md §9.3): no NaN is ever produced. Labels reaching the
// passes are in 0..C-1 (the labels pass checks them and records the first bad one).
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/hd.h"

namespace cromss {

constexpr int kMaxObjectiveClasses = 32;

CROMSS_HD float hd_exp(float x) {
  return expf(x);
}
CROMSS_HD double hd_exp(double x) {
  return exp(x);
}
CROMSS_HD float hd_log(float x) {
  return logf(x);
}
CROMSS_HD double hd_log(double x) {
  return log(x);
}

template <class A>
CROMSS_HD A hd_clamp(A x, A lo, A hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// log_softmax and softmax of one pixel (method-spec.md §2.1, §2.2: p = exp(log_softmax(z))).
template <class A>
CROMSS_HD void log_softmax_pixel(const A* z, int C, A* logp, A* p) {
  A m = z[0];
  for (int c = 1; c < C; ++c) m = z[c] > m ? z[c] : m;
  A s = A(0);
  for (int c = 0; c < C; ++c) s += hd_exp(z[c] - m);
  const A lse = hd_log(s);
  for (int c = 0; c < C; ++c) {
    logp[c] = z[c] - m - lse;
    p[c] = hd_exp(logp[c]);
  }
}

// Prediction confidence, type `ce` (method-spec.md §4.1): 1 - H(p)/ln C, H = -sum p log p with
// 0 log 0 = 0 (method-spec.md §9.3), clamped to [0, 1].
template <class A>
CROMSS_HD A entropy_confidence(const A* p, const A* logp, int C) {
  A h = A(0);
  for (int c = 0; c < C; ++c) h -= p[c] > A(0) ? p[c] * logp[c] : A(0);
  return hd_clamp(A(1) - h / hd_log(A(C)), A(0), A(1));
}

// Prediction confidence, type `gini` (method-spec.md §4.1): sum p^2, not rescaled.
template <class A>
CROMSS_HD A gini_confidence(const A* p, int C) {
  A g = A(0);
  for (int c = 0; c < C; ++c) g += p[c] * p[c];
  return g;
}

// Cross-modal entangling (method-spec.md §4.2): c_hat = (c + c * c_other) / 2.
template <class A>
CROMSS_HD A entangle(A c_self, A c_other) {
  return (c_self + c_self * c_other) / A(2);
}

// Smoothed target of class c (method-spec.md §3.2): t = w_onehot [c == y] + w_prior M_c + w_uniform
// / C. The weights encode the variants: two factors (1-a-b, a, b), one factor (1-a, a, 0), no prior
// (1-a, 0, a), no smoothing (1, 0, 0).
template <class A>
CROMSS_HD A smoothed_target(int y, int c, A prior_c, A w_onehot, A w_prior, A w_uniform, int C) {
  return (c == y ? w_onehot : A(0)) + w_prior * prior_c + w_uniform / A(C);
}

// Number of selected pixels of a class (method-spec.md §4.4, §9.29): k = floor(n_c * r) computed as
// upstream's 0-d int64 tensor times a Python float, i.e. in float32.
CROMSS_HD long long selection_count(long long n_c, double ratio) {
  const float product = static_cast<float>(n_c) * static_cast<float>(ratio);
  return static_cast<long long>(floorf(product));
}

// Segmentation selection weight of one pixel of class c (method-spec.md §4.4): 0 when k_c = 0, 1
// when theta_c <= 0, else clip(c_hat / theta_c, 0, 1).
template <class A>
CROMSS_HD A selection_weight(A c_hat, A theta, bool k_positive) {
  if (!k_positive) return A(0);
  if (theta <= A(0)) return A(1);
  return hd_clamp(c_hat / theta, A(0), A(1));
}

// Consistency weight (method-spec.md §4.3): during the ramp (e <= N) W_e = (1 - f) + f c_hat, after
// it W_e = c_hat.
template <class A>
CROMSS_HD A consistency_weight(A c_hat, A f, bool ramping) {
  return ramping ? (A(1) - f) + f * c_hat : c_hat;
}

enum class ConsistencyKind : int { none = 0, ce = 1, kl = 2, mse = 3 };

// Soft-target cross entropy of one pixel (method-spec.md §2.1): -sum_c t_c log p_c.
template <class A>
CROMSS_HD A soft_cross_entropy(const A* t, const A* logp, int C) {
  A l = A(0);
  for (int c = 0; c < C; ++c) l -= t[c] * logp[c];
  return l;
}

// Consistency term of one pixel, student log-probs logp/probs p, detached teacher q/logq
// (method-spec.md §2.3): ce = -sum q log p; kl = sum q (log q - log p) (0 where q = 0); mse = sum
// (p-q)^2.
template <class A>
CROMSS_HD A consistency_pixel(ConsistencyKind kind, const A* logp, const A* p, const A* q,
                              const A* logq, int C) {
  A l = A(0);
  for (int c = 0; c < C; ++c) {
    switch (kind) {
      case ConsistencyKind::ce:
        l -= q[c] * logp[c];
        break;
      case ConsistencyKind::kl:
        l += q[c] > A(0) ? q[c] * (logq[c] - logp[c]) : A(0);
        break;
      case ConsistencyKind::mse:
        l += (p[c] - q[c]) * (p[c] - q[c]);
        break;
      default:
        break;
    }
  }
  return l;
}

// d/dz_j of a loss whose derivative w.r.t. the probabilities is g (softmax Jacobian):
// p_j (g_j - sum_c g_c p_c), added into out.
template <class A>
CROMSS_HD void add_softmax_backward(const A* p, const A* g, int C, A* out) {
  A dot = A(0);
  for (int c = 0; c < C; ++c) dot += g[c] * p[c];
  for (int c = 0; c < C; ++c) out[c] += p[c] * (g[c] - dot);
}

// Gradient of one pixel of one branch (method-spec.md §2, §4.5), everything but z detached:
//   scale_ce  * (p_j T - t_j)                    CE_w, T = sum_c t_c, scale_ce = W_l / sum W_l
//   softmax-Jacobian of W_l (dice_a_c t_c + dice_b_c)     Dice_w (per-class coefficients)
//   scale_con * (p_j sum q - q_j)                consistency ce and kl, scale_con = lambda W_e /
//   sum W_e softmax-Jacobian of scale_con * 2 (p - q)    consistency mse
template <class A>
CROMSS_HD void pixel_gradient(const A* p, const A* t, const A* q, int C, A scale_ce, A w_dice,
                              const A* dice_a, const A* dice_b, ConsistencyKind kind, A scale_con,
                              A* grad) {
  A tsum = A(0), qsum = A(0);
  for (int c = 0; c < C; ++c) {
    tsum += t[c];
    qsum += q[c];
  }
  A g[kMaxObjectiveClasses];
  for (int c = 0; c < C; ++c) {
    grad[c] = scale_ce * (p[c] * tsum - t[c]);
    g[c] = w_dice * (dice_a[c] * t[c] + dice_b[c]);
    if (kind == ConsistencyKind::ce || kind == ConsistencyKind::kl)
      grad[c] += scale_con * (p[c] * qsum - q[c]);
    if (kind == ConsistencyKind::mse) g[c] += scale_con * A(2) * (p[c] - q[c]);
  }
  add_softmax_backward(p, g, C, grad);
}

// ---- Shared by the passes ------------------------------------------------------------------

// How W_l is formed from the thresholds (method-spec.md §4.4): all ones (no selection, or r >= 1),
// the entangled confidence itself (r <= 0), or the class-wise thresholded weight (0 < r < 1).
enum class SegWeightMode : int { ones = 0, confidence = 1, thresholded = 2 };

struct ConfidenceArgs {
  double w_onehot = 1, w_prior = 0, w_uniform = 0;  // smoothed target weights (method-spec.md §3.2)
  bool gini = false;  // prediction confidence type (method-spec.md §4.1)
  bool entangle =
      true;  // cross-modal entangling (method-spec.md §4.2); off: each branch's own confidence
};

struct WeightArgs {
  SegWeightMode mode = SegWeightMode::ones;
  bool select_con = false;  // W_e from the confidences (else 1)
  double ramp = 1;          // f(e) of the consistency blend (method-spec.md §4.3)
  bool ramping = false;     // e <= N: W_e = (1 - f) + f c_hat
};

// The sums of one student branch over the local batch, one flat array of doubles whose layout is
// defined here once: both backends accumulate into it, the cross-rank sum adds it as a whole and
// train/cromss_objective.cpp reads the losses from it.
//   [0] sum W_l   [1] sum W_l ce   [2] sum W_e(teacher)   [3] sum W_e(teacher) l(student<-teacher)
//   then per class c: I_c = sum W p_c t_c, P_c = sum W p_c, T_c = sum W t_c, M_c = sum t_c.
struct ObjectiveSums {
  static constexpr int seg_weight = 0, seg_ce = 1, con_weight = 2, con = 3, fixed = 4;
  int C;
  CROMSS_HD int inter(int c) const { return fixed + c; }
  CROMSS_HD int pred(int c) const { return fixed + C + c; }
  CROMSS_HD int target(int c) const { return fixed + 2 * C + c; }
  CROMSS_HD int mass(int c) const { return fixed + 3 * C + c; }
  CROMSS_HD int count() const { return fixed + 4 * C; }
};
constexpr int kMaxObjectiveSums = ObjectiveSums::fixed + 4 * kMaxObjectiveClasses;

// Coefficients of the gradient pass, derived from the sums by reduce_sums (below) and kept on
// the objective's device: d loss / d p_c(x) = W(x) (dice_a_c t_c(x) + dice_b_c) for Dice.
struct GradientScales {
  double ce = 0;    // multiplies W_l(x): 1 / sum W_l (0 if the sum is 0 or CE is off)
  double dice = 0;  // 1 if Dice is on
  double dice_a[kMaxObjectiveClasses] = {};
  double dice_b[kMaxObjectiveClasses] = {};
  double con = 0;  // multiplies W_e(teacher)(x): lambda / sum W_e (0 if the sum is 0)
};
constexpr int kGradientScalesDoubles = sizeof(GradientScales) / sizeof(double);
static_assert(sizeof(GradientScales) % sizeof(double) == 0, "GradientScales: doubles only");

// Pixel i of a (B, C, HW) batch: class c of it sits at (b C + c) HW + hw, b = i / HW, hw = i % HW.
// Z is a pointer or anything with operator[] giving A (the CUDA backend's 16-bit logit loads).
template <class A, class Z>
CROMSS_HD void load_pixel(const Z& z, int64_t i, int C, int64_t HW, A* out) {
  const int64_t base = i / HW * C * HW + i % HW;
  for (int c = 0; c < C; ++c) out[c] = static_cast<A>(z[base + c * HW]);
}

// ---- The passes, one pixel each -------------------------------------------------------------

// Labels pass: the label of pixel i as int32, or false for a value outside 0..C-1 (written as 0
// so that no later pass indexes outside its arrays; the caller records the first such pixel).
CROMSS_HD bool label_pixel(int64_t i, const int64_t* in, int C, int32_t* out) {
  const int64_t y = in[i];
  const bool ok = y >= 0 && y < C;
  out[i] = ok ? static_cast<int32_t>(y) : 0;
  return ok;
}

// Pass 1: the smoothed target t(x) (method-spec.md §3.2) and, with two branches, the entangled
// label and prediction confidences of both (method-spec.md §4.1, §4.2; the label confidence uses
// the hard label, method-spec.md §9.7). prior may be null when w_prior == 0.
template <class A, class Z>
CROMSS_HD void confidences_pixel(int64_t i, const Z& z1, const Z& z2, bool two,
                                 const int32_t* labels, const A* prior, int C, int64_t HW,
                                 const ConfidenceArgs& args, A* target, A* cl1, A* cl2, A* ce1,
                                 A* ce2) {
  const int y = labels[i];
  const int64_t base = i / HW * C * HW + i % HW;
  for (int c = 0; c < C; ++c) {
    const int64_t at = base + c * HW;
    target[at] = smoothed_target<A>(y, c, prior ? prior[at] : A(0), A(args.w_onehot),
                                    A(args.w_prior), A(args.w_uniform), C);
  }
  if (!two) return;
  A z[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses];
  A cl[2], ce[2];
  for (int d = 0; d < 2; ++d) {
    load_pixel(d == 0 ? z1 : z2, i, C, HW, z);
    log_softmax_pixel(z, C, logp, p);
    cl[d] = p[y];
    ce[d] = args.gini ? gini_confidence(p, C) : entropy_confidence(p, logp, C);
  }
  cl1[i] = args.entangle ? entangle(cl[0], cl[1]) : cl[0];
  cl2[i] = args.entangle ? entangle(cl[1], cl[0]) : cl[1];
  ce1[i] = args.entangle ? entangle(ce[0], ce[1]) : ce[0];
  ce2[i] = args.entangle ? entangle(ce[1], ce[0]) : ce[1];
}

// Pass 2 (after the thresholds theta_c, k_c of the branch): W_l and W_e (method-spec.md §4.3,
// §4.4).
template <class A>
CROMSS_HD void weights_pixel(int64_t i, const A* conf_label, const A* conf_pred,
                             const int32_t* labels, const A* theta, const int64_t* k,
                             const WeightArgs& w, A* w_seg, A* w_con) {
  const int y = labels[i];
  A ws = A(1);
  if (w.mode == SegWeightMode::confidence) ws = conf_label[i];
  if (w.mode == SegWeightMode::thresholded)
    ws = selection_weight(conf_label[i], theta[y], k[y] > 0);
  w_seg[i] = ws;
  w_con[i] = w.select_con ? consistency_weight(conf_pred[i], A(w.ramp), w.ramping) : A(1);
}

// Pass 3: pixel i's share of the sums of one student branch (layout ObjectiveSums), added into
// acc in the sum type S (double on the CPU, float per thread on the GPU). zt/w_con_t: the
// teacher branch, unused without consistency.
template <class A, class S, class Z>
CROMSS_HD void sums_pixel(int64_t i, const Z& z, const Z& zt, bool with_teacher, const A* target,
                          const A* w_seg, const A* w_con_t, int C, int64_t HW, ConsistencyKind kind,
                          S* acc) {
  const ObjectiveSums at{C};
  A zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
      t[kMaxObjectiveClasses];
  load_pixel(z, i, C, HW, zz);
  load_pixel(target, i, C, HW, t);
  log_softmax_pixel(zz, C, logp, p);
  const S w = S(w_seg[i]);
  acc[at.seg_weight] += w;
  acc[at.seg_ce] += w * S(soft_cross_entropy(t, logp, C));
  for (int c = 0; c < C; ++c) {
    acc[at.inter(c)] += w * S(p[c]) * S(t[c]);
    acc[at.pred(c)] += w * S(p[c]);
    acc[at.target(c)] += w * S(t[c]);
    acc[at.mass(c)] += S(t[c]);
  }
  if (kind == ConsistencyKind::none || !with_teacher) return;
  A q[kMaxObjectiveClasses], logq[kMaxObjectiveClasses];
  load_pixel(zt, i, C, HW, zz);
  log_softmax_pixel(zz, C, logq, q);
  const S we = S(w_con_t[i]);
  acc[at.con_weight] += we;
  acc[at.con] += we * S(consistency_pixel(kind, logp, p, q, logq, C));
}

// Pass 4: dL/dz of pixel i of one student branch, times the upstream gradient `up`, into grad
// (layout of the logits). The coefficients come in double and are rounded to A here.
template <class A, class Z>
CROMSS_HD void gradient_pixel(int64_t i, const Z& z, const Z& zt, bool with_teacher,
                              const A* target, const A* w_seg, const A* w_con_t, int C, int64_t HW,
                              ConsistencyKind kind, const GradientScales& s, A up, A* grad) {
  with_teacher = with_teacher && kind != ConsistencyKind::none;
  A zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
      t[kMaxObjectiveClasses], q[kMaxObjectiveClasses], g[kMaxObjectiveClasses];
  A dice_a[kMaxObjectiveClasses], dice_b[kMaxObjectiveClasses];
  for (int c = 0; c < C; ++c) {
    dice_a[c] = A(s.dice_a[c]);
    dice_b[c] = A(s.dice_b[c]);
  }
  load_pixel(z, i, C, HW, zz);
  load_pixel(target, i, C, HW, t);
  log_softmax_pixel(zz, C, logp, p);
  A scale_con = A(0);
  if (with_teacher) {
    A logq[kMaxObjectiveClasses];
    load_pixel(zt, i, C, HW, zz);
    log_softmax_pixel(zz, C, logq, q);
    scale_con = A(s.con) * w_con_t[i];
  } else {
    for (int c = 0; c < C; ++c) q[c] = A(0);
  }
  const A w = w_seg[i];
  pixel_gradient(p, t, q, C, A(s.ce) * w, A(s.dice) * w, dice_a, dice_b,
                 with_teacher ? kind : ConsistencyKind::none, scale_con, g);
  const int64_t base = i / HW * C * HW + i % HW;
  for (int c = 0; c < C; ++c) grad[base + c * HW] = g[c] * up;
}

// ---- From the sums to the losses and the gradient coefficients (method-spec.md §2), run once per
// call on the objective's device (one thread on the GPU)
// ---------------------------------------------

constexpr double kDiceEps = 1e-7;  // method-spec.md §2.2: dice_c = 2 I_c / max(K_c, eps)

struct ReduceArgs {
  bool use_ce = true, use_dice = true;  // --loss_type
  ConsistencyKind kind = ConsistencyKind::ce;
  double lambda = 1;  // --consist_loss_weight
  int branches = 2;
  // dL/dz is multiplied by the world size with --global_selection: the 1/world of the gradient
  // average then leaves sum_r dL_global/dz_r dz_r/dtheta = dL_global/dtheta.
  double grad_factor = 1;
};

// Indices of the losses: L, then per branch the segmentation loss CE_w + Dice_w, then per branch
// the consistency term before lambda (con[0] = L_con(1<-2), con[1] = L_con(2<-1)).
struct ObjectiveLosses {
  static constexpr int total = 0, seg = 1, con = 3, count = 5;
};

// CE_w = sum W ce / sum W, 0 when sum W = 0 (method-spec.md §2.1, §9.30).
CROMSS_HD double weighted_mean(double sum, double weight) {
  return weight > 0 ? sum / weight : 0.0;
}

CROMSS_HD double dice_denominator(double k) {
  return k > kDiceEps ? k : kDiceEps;
}

// Dice_w = (1/C) sum_c [sum t_c > 0] (1 - 2 I_c / max(K_c, eps)), K_c = sum W p_c + sum W t_c
// (method-spec.md §2.2; classes without unweighted target mass are 0 but still count in C).
CROMSS_HD double dice_loss(const double* s, const ObjectiveSums& at) {
  double total = 0;
  for (int c = 0; c < at.C; ++c) {
    if (!(s[at.mass(c)] > 0)) continue;
    total += 1.0 - 2.0 * s[at.inter(c)] / dice_denominator(s[at.pred(c)] + s[at.target(c)]);
  }
  return total / at.C;
}

// d loss / d p_c(x) = W(x) (a_c t_c(x) + b_c) with a_c = -2/(C D_c), b_c = 2 I_c/(C D_c^2) when
// K_c > eps (D_c = max(K_c, eps)), both 0 for zeroed classes.
CROMSS_HD void gradient_scales(const double* s, const ObjectiveSums& at, const ReduceArgs& r,
                               GradientScales* g) {
  const int C = at.C;
  const double seg_weight = s[ObjectiveSums::seg_weight];
  const double con_weight = s[ObjectiveSums::con_weight];
  g->ce = r.use_ce && seg_weight > 0 ? 1.0 / seg_weight * r.grad_factor : 0.0;
  g->dice = r.use_dice ? 1.0 * r.grad_factor : 0.0;
  for (int c = 0; c < C; ++c) {
    g->dice_a[c] = g->dice_b[c] = 0.0;
    if (!(s[at.mass(c)] > 0)) continue;
    const double k = s[at.pred(c)] + s[at.target(c)];
    const double d = dice_denominator(k);
    g->dice_a[c] = -2.0 / (C * d);
    g->dice_b[c] = k > kDiceEps ? 2.0 * s[at.inter(c)] / (C * d * d) : 0.0;
  }
  g->con = r.kind != ConsistencyKind::none && con_weight > 0 ? r.lambda / con_weight * r.grad_factor
                                                             : 0.0;
}

// The losses (ObjectiveLosses) and each branch's gradient coefficients from the sums of the
// branches (sums[d]: layout ObjectiveSums).
CROMSS_HD void reduce_sums(const double* const* sums, int C, const ReduceArgs& r, double* losses,
                           GradientScales* const* scales) {
  const ObjectiveSums at{C};
  losses[ObjectiveLosses::total] = 0;
  for (int d = 0; d < 2; ++d)
    losses[ObjectiveLosses::seg + d] = losses[ObjectiveLosses::con + d] = 0;
  for (int d = 0; d < r.branches; ++d) {
    const double* s = sums[d];
    double seg = 0;
    if (r.use_ce) seg += weighted_mean(s[ObjectiveSums::seg_ce], s[ObjectiveSums::seg_weight]);
    if (r.use_dice) seg += dice_loss(s, at);
    const double con = r.kind == ConsistencyKind::none
                           ? 0.0
                           : weighted_mean(s[ObjectiveSums::con], s[ObjectiveSums::con_weight]);
    losses[ObjectiveLosses::seg + d] = seg;
    losses[ObjectiveLosses::con + d] = con;
    losses[ObjectiveLosses::total] += seg + r.lambda * con;
    gradient_scales(s, at, r, scales[d]);
  }
}

}  // namespace cromss
