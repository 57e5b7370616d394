// CPU reference of the batch-normalisation kernels (see kernels/batch_norm.h) for NCHW and NHWC
// (ChannelView; NHWC, inner == 1, has its own row-major loops). Sums accumulate in double; the
// per-element math comes from kernels/batch_norm.cuh. Channels (and rows) run in parallel with
// OpenMP; each channel's sums are one thread's sequential loop over the pixels in (n, h, w) order
// in either format, so the results do not depend on the thread count. The forward's element pass
// (kernels/cpu/batch_norm_apply.h) and the backward passes (kernels/cpu/batch_norm_relu.cpp,
// without the ReLU mask) are the fused kernels'.

#include "kernels/batch_norm.h"
#include "kernels/batch_norm_relu.h"
#include "kernels/cpu/batch_norm_apply.h"
#include "kernels/cpu/channel_blocks.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {

// NHWC (inner == 1): blocks of channels over the rows in order (kernels/cpu/channel_blocks.h).
template <class T>
void batch_norm_stats_rows(const T* x, int64_t rows, int64_t c, T* mean, T* var) {
  const double count = static_cast<double>(rows);
#pragma omp parallel for schedule(static)
  for (int64_t block = 0; block < channel_block_count(c); ++block) {
    const ChannelBlock b = channel_block(block, c);
    double sum[kChannelBlock] = {}, m[kChannelBlock], sq[kChannelBlock] = {};
    for (int64_t o = 0; o < rows; ++o) {
      const T* row = x + o * c + b.first;
      for (int64_t k = 0; k < b.size; ++k) sum[k] += row[k];
    }
    for (int64_t k = 0; k < b.size; ++k) m[k] = sum[k] / count;
    for (int64_t o = 0; o < rows; ++o) {
      const T* row = x + o * c + b.first;
      for (int64_t k = 0; k < b.size; ++k) {
        const double d = row[k] - m[k];
        sq[k] += d * d;
      }
    }
    for (int64_t k = 0; k < b.size; ++k) {
      mean[b.first + k] = static_cast<T>(m[k]);
      var[b.first + k] = static_cast<T>(sq[k] / count);
    }
  }
}

template <class T>
void batch_norm_stats(const T* x, ChannelView v, T* mean, T* var) {
  if (v.inner == 1) return batch_norm_stats_rows(x, v.outer, v.channels, mean, var);
  const double count = static_cast<double>(v.per_channel());
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < v.channels; ++ch) {
    double sum = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) sum += x[v.offset(o, ch, i)];
    const double m = sum / count;
    double sq = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        const double d = x[v.offset(o, ch, i)] - m;
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
                        double eps, ChannelView v, T* y) {
  batch_norm_apply(x, mean, var, weight, bias, eps, v, y, [](T value, int64_t) { return value; });
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void batch_norm_stats(const void* x, DType dtype, ChannelView v, void* mean, void* var,
                      const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_stats", [&] {
    batch_norm_stats<scalar_t>(typed<scalar_t>(x), v, typed<scalar_t>(mean), typed<scalar_t>(var));
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
                        const void* bias, double eps, DType dtype, ChannelView v, void* y,
                        const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_forward", [&] {
    batch_norm_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
                                 typed<scalar_t>(weight), typed<scalar_t>(bias), eps, v,
                                 typed<scalar_t>(y));
  });
}

// The backward passes are the fused kernels' without a ReLU mask (y = null, no residual).
void batch_norm_channel_sums(const void* grad_out, const void* x, const void* mean, const void* var,
                             double eps, DType dtype, ChannelView v, void* sum_g, void* sum_g_xhat,
                             const Context& ctx) {
  batch_norm_relu_channel_sums(grad_out, nullptr, x, mean, var, eps, dtype, v, sum_g, sum_g_xhat,
                               ctx);
}

void batch_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, const void* sum_g, const void* sum_g_xhat,
                           double eps, bool training, DType dtype, ChannelView v, void* grad_x,
                           const Context& ctx) {
  batch_norm_relu_backward_x(grad_out, nullptr, x, mean, var, weight, sum_g, sum_g_xhat, eps,
                             training, dtype, v, grad_x, nullptr, ctx);
}

}  // namespace cromss::cpu_kernels
