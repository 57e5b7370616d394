// CPU reference of the batch-normalisation kernels (see kernels/batch_norm.h). Sums accumulate
// in double; the per-element math comes from kernels/batch_norm.cuh. Channels (and samples) run
// in parallel with OpenMP; each channel's sums are one thread's sequential loop, so the results
// do not depend on the thread count. The backward passes run the fused kernels' CPU reference
// (kernels/cpu/batch_norm_relu.cpp) without the ReLU mask.
#include "kernels/batch_norm.h"
#include "kernels/batch_norm_relu.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {
namespace {

template <class T>
T weight_or_one(const T* weight, int64_t ch) {
  return weight ? weight[ch] : T(1);
}

}  // namespace

template <class T>
void batch_norm_stats(const T* x, int64_t n, int64_t c, int64_t hw, T* mean, T* var) {
  const double count = static_cast<double>(n * hw);
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) sum += x[(s * c + ch) * hw + j];
    const double m = sum / count;
    double sq = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) {
        const double d = x[(s * c + ch) * hw + j] - m;
        sq += d * d;
      }
    mean[ch] = static_cast<T>(m);
    var[ch] = static_cast<T>(sq / count);
  }
}

template <class T>
void batch_norm_update_running(const T* mean, const T* var, int64_t c, int64_t count,
                               double momentum, T* running_mean, T* running_var) {
  const T mom = static_cast<T>(momentum);
  for (int64_t ch = 0; ch < c; ++ch) {
    running_mean[ch] = running_update(running_mean[ch], mean[ch], mom);
    running_var[ch] = running_update(running_var[ch], unbiased_variance(var[ch], count), mom);
  }
}

template <class T>
void batch_norm_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                        double eps, int64_t n, int64_t c, int64_t hw, T* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T invstd = norm_invstd(var[ch], static_cast<T>(eps));
      const T w = weight_or_one(weight, ch), b = bias ? bias[ch] : T(0);
      const int64_t base = (s * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j)
        y[base + j] = norm_affine(x[base + j], mean[ch], invstd, w, b);
    }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void batch_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, void* mean,
                      void* var, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_stats", [&] {
    batch_norm_stats<scalar_t>(typed<scalar_t>(x), n, c, hw, typed<scalar_t>(mean),
                               typed<scalar_t>(var));
  });
}

void batch_norm_update_running(const void* mean, const void* var, DType dtype, int64_t c,
                               int64_t count, double momentum, void* running_mean,
                               void* running_var, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_update_running", [&] {
    batch_norm_update_running<scalar_t>(typed<scalar_t>(mean), typed<scalar_t>(var), c, count,
                                        momentum, typed<scalar_t>(running_mean),
                                        typed<scalar_t>(running_var));
  });
}

void batch_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_forward", [&] {
    batch_norm_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
                                 typed<scalar_t>(weight), typed<scalar_t>(bias), eps, n, c, hw,
                                 typed<scalar_t>(y));
  });
}

// The backward passes are the fused kernels' without a ReLU mask (y = null, no residual).
void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, int64_t n, int64_t c, int64_t hw, void* sum_g,
                             void* sum_g_xhat, const Context& ctx) {
  batch_norm_relu_channel_sums(grad_out, nullptr, x, mean, var, eps, dtype, n, c, hw, sum_g,
                               sum_g_xhat, ctx);
}

void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                           void* grad_x, const Context& ctx) {
  batch_norm_relu_backward_x(grad_out, nullptr, x, mean, var, weight, sum_g, sum_g_xhat, eps,
                             training, dtype, n, c, hw, grad_x, nullptr, ctx);
}

}  // namespace cromss::cpu_kernels
