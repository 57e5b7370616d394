// Per-element math of the optimizers over the flat fp32 parameter buffer, shared by the CPU
// reference (kernels/cpu/optimizer.cpp) and the fused CUDA kernel (kernels/cuda/optimizer.cu).
// The update rules transcribe torch.optim (1.13, single-tensor path) exactly, in the same order
// of float operations (compilers may contract a*b + c into an FMA, nvcc by default, so CPU and
// CUDA agree within the f32 tolerance policy, not bit for bit):
//   Adam: g += wd*p (coupled L2); m = m*b1 + (1-b1)*g; v = v*b2 + (1-b2)*g*g;
//         p += -(lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps), bc_i = 1 - b_i^t (t counts from 1).
//   SGD:  g += wd*p; buf = g at t = 1, else buf = momentum*buf + (1-dampening)*g; p += -lr*buf
//         (nesterov off).
// The scalars that torch computes in Python double (bias corrections, step size) are computed
// here in double from the step count and then rounded to float, as torch hands them to its kernels.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace cromss {

struct AdamScalars {
  float lr_over_bc1;  // step_size = lr / (1 - beta1^t)
  float bc2_sqrt;     // sqrt(1 - beta2^t)
  float beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay;
};

// t is the 1-based index of the step being taken.
CROMSS_HD AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps,
                                   double weight_decay, int64_t t) {
  const double bc1 = 1.0 - pow(beta1, static_cast<double>(t));
  const double bc2 = 1.0 - pow(beta2, static_cast<double>(t));
  AdamScalars s;
  s.lr_over_bc1 = static_cast<float>(lr / bc1);
  s.bc2_sqrt = static_cast<float>(sqrt(bc2));
  s.beta1 = static_cast<float>(beta1);
  s.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  s.beta2 = static_cast<float>(beta2);
  s.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  s.eps = static_cast<float>(eps);
  s.weight_decay = static_cast<float>(weight_decay);
  return s;
}

CROMSS_HD void adam_update(float& p, float g, float& m, float& v, const AdamScalars& s) {
  if (s.weight_decay != 0.0f) g = g + s.weight_decay * p;
  m = m * s.beta1 + s.one_minus_beta1 * g;
  v = v * s.beta2 + s.one_minus_beta2 * (g * g);
  const float denom = sqrtf(v) / s.bc2_sqrt + s.eps;
  p = p + (-s.lr_over_bc1) * (m / denom);
}

struct SgdScalars {
  float lr, momentum, one_minus_dampening, weight_decay;
  bool first_step;  // t == 1: the momentum buffer is initialised with the gradient
};

CROMSS_HD SgdScalars sgd_scalars(double lr, double momentum, double dampening, double weight_decay,
                                 int64_t t) {
  SgdScalars s;
  s.lr = static_cast<float>(lr);
  s.momentum = static_cast<float>(momentum);
  s.one_minus_dampening = static_cast<float>(1.0 - dampening);
  s.weight_decay = static_cast<float>(weight_decay);
  s.first_step = t == 1;
  return s;
}

CROMSS_HD void sgd_update(float& p, float g, float& buf, const SgdScalars& s) {
  if (s.weight_decay != 0.0f) g = g + s.weight_decay * p;
  if (s.momentum != 0.0f) {
    buf = s.first_step ? g : buf * s.momentum + s.one_minus_dampening * g;
    g = buf;
  }
  p = p + (-s.lr) * g;
}

}  // namespace cromss
