// Per-pixel math of the CromSS objective (spec §2, §3.2, §4), written once and called by the CPU
// reference (train/cromss_objective.cpp) and by the CUDA kernels (kernels/cuda/cromss_*.cu).
// Every function works on one pixel's C class values held in small local arrays (C <= 32) in the
// accumulation type A (float on the GPU, float or double on the CPU).
//
// Invariants: logits are finite; log-probabilities are computed as z - max - log(sum exp), so
// they stay finite even where the probability underflows to 0 (logits of +-1000), and
// 0 * log 0 is taken as 0 (spec §9.3): no NaN is ever produced.
#pragma once

#include <math.h>

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

// log_softmax and softmax of one pixel (spec §2.1, §2.2: p = exp(log_softmax(z))).
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

// Prediction confidence, type `ce` (spec §4.1): 1 - H(p)/ln C, H = -sum p log p with
// 0 log 0 = 0 (spec §9.3), clamped to [0, 1].
template <class A>
CROMSS_HD A entropy_confidence(const A* p, const A* logp, int C) {
  A h = A(0);
  for (int c = 0; c < C; ++c) h -= p[c] > A(0) ? p[c] * logp[c] : A(0);
  return hd_clamp(A(1) - h / hd_log(A(C)), A(0), A(1));
}

// Prediction confidence, type `gini` (spec §4.1): sum p^2, not rescaled.
template <class A>
CROMSS_HD A gini_confidence(const A* p, int C) {
  A g = A(0);
  for (int c = 0; c < C; ++c) g += p[c] * p[c];
  return g;
}

// Cross-modal entangling (spec §4.2): c_hat = (c + c * c_other) / 2.
template <class A>
CROMSS_HD A entangle(A c_self, A c_other) {
  return (c_self + c_self * c_other) / A(2);
}

// Smoothed target of class c (spec §3.2): t = w_onehot [c == y] + w_prior M_c + w_uniform / C.
// The weights encode the variants: two factors (1-a-b, a, b), one factor (1-a, a, 0), no prior
// (1-a, 0, a), no smoothing (1, 0, 0).
template <class A>
CROMSS_HD A smoothed_target(int y, int c, A prior_c, A w_onehot, A w_prior, A w_uniform, int C) {
  return (c == y ? w_onehot : A(0)) + w_prior * prior_c + w_uniform / A(C);
}

// Number of selected pixels of a class (spec §4.4, §9.29): k = floor(n_c * r) computed as
// upstream's 0-d int64 tensor times a Python float, i.e. in float32.
CROMSS_HD long long selection_count(long long n_c, double ratio) {
  const float product = static_cast<float>(n_c) * static_cast<float>(ratio);
  return static_cast<long long>(floorf(product));
}

// Segmentation selection weight of one pixel of class c (spec §4.4): 0 when k_c = 0, 1 when
// theta_c <= 0, else clip(c_hat / theta_c, 0, 1).
template <class A>
CROMSS_HD A selection_weight(A c_hat, A theta, bool k_positive) {
  if (!k_positive) return A(0);
  if (theta <= A(0)) return A(1);
  return hd_clamp(c_hat / theta, A(0), A(1));
}

// Consistency weight (spec §4.3): during the ramp (e <= N) W_e = (1 - f) + f c_hat, after it
// W_e = c_hat.
template <class A>
CROMSS_HD A consistency_weight(A c_hat, A f, bool ramping) {
  return ramping ? (A(1) - f) + f * c_hat : c_hat;
}

enum class ConsistencyKind : int { none = 0, ce = 1, kl = 2, mse = 3 };

// Soft-target cross entropy of one pixel (spec §2.1): -sum_c t_c log p_c.
template <class A>
CROMSS_HD A soft_cross_entropy(const A* t, const A* logp, int C) {
  A l = A(0);
  for (int c = 0; c < C; ++c) l -= t[c] * logp[c];
  return l;
}

// Consistency term of one pixel, student log-probs logp/probs p, detached teacher q/logq
// (spec §2.3): ce = -sum q log p; kl = sum q (log q - log p) (0 where q = 0); mse = sum (p-q)^2.
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

// Gradient of one pixel of one branch (spec §2, §4.5), everything but z detached:
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

}  // namespace cromss
