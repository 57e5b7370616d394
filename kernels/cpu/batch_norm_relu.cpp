// CPU reference of the fused batch norm + (residual add +) ReLU kernels (see
// kernels/batch_norm_relu.h), written as the unfused composition per element: batch norm's
// affine, the add, the ReLU; backward: the ReLU's mask, then batch norm's backward. Sums
// accumulate in double like kernels/cpu/batch_norm.cpp, so f32/f64 results equal the unfused ops',
// and are parallel over channels the same way (results independent of the thread count). Loops
// run over the ChannelView (NHWC, inner == 1, row by row), each channel summed in pixel order in
// both formats.
#include <vector>

#include "kernels/batch_norm_relu.h"
#include "kernels/cpu/batch_norm_apply.h"
#include "kernels/cpu/channel_blocks.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {

template <class T>
void batch_norm_relu_forward(const T* x, const T* residual, const T* mean, const T* var,
                             const T* weight, const T* bias, double eps, ChannelView v, T* y) {
  batch_norm_apply(x, mean, var, weight, bias, eps, v, y, [residual](T value, int64_t i) {
    if (residual) value += residual[i];
    return relu_forward(value);
  });
}

// NHWC (inner == 1): blocks of channels over the rows in order (kernels/cpu/channel_blocks.h).
template <class T>
void batch_norm_relu_channel_sums_rows(const T* grad_out, const T* y, const T* x, const T* mean,
                                       const T* var, double eps, int64_t rows, int64_t c, T* sum_g,
                                       T* sum_g_xhat) {
#pragma omp parallel for schedule(static)
  for (int64_t block = 0; block < channel_block_count(c); ++block) {
    const ChannelBlock b = channel_block(block, c);
    T invstd[kChannelBlock];
    double sg[kChannelBlock] = {}, sgx[kChannelBlock] = {};
    for (int64_t k = 0; k < b.size; ++k)
      invstd[k] = norm_invstd(var[b.first + k], static_cast<T>(eps));
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t k = 0; k < b.size; ++k) {
        const int64_t i = o * c + b.first + k;
        const T dy = y ? relu_backward(grad_out[i], y[i]) : grad_out[i];
        sg[k] += dy;
        sgx[k] += static_cast<double>(dy) * ((x[i] - mean[b.first + k]) * invstd[k]);
      }
    for (int64_t k = 0; k < b.size; ++k) {
      sum_g[b.first + k] = static_cast<T>(sg[k]);
      sum_g_xhat[b.first + k] = static_cast<T>(sgx[k]);
    }
  }
}

template <class T>
void batch_norm_relu_channel_sums(const T* grad_out, const T* y, const T* x, const T* mean,
                                  const T* var, double eps, ChannelView v, T* sum_g,
                                  T* sum_g_xhat) {
  if (v.inner == 1)
    return batch_norm_relu_channel_sums_rows(grad_out, y, x, mean, var, eps, v.outer, v.channels,
                                             sum_g, sum_g_xhat);
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < v.channels; ++ch) {
    const T invstd = norm_invstd(var[ch], static_cast<T>(eps));
    double sg = 0, sgx = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t j = 0; j < v.inner; ++j) {
        const int64_t i = v.offset(o, ch, j);
        const T dy = y ? relu_backward(grad_out[i], y[i]) : grad_out[i];
        sg += dy;
        sgx += static_cast<double>(dy) * ((x[i] - mean[ch]) * invstd);
      }
    sum_g[ch] = static_cast<T>(sg);
    sum_g_xhat[ch] = static_cast<T>(sgx);
  }
}

template <class T>
void batch_norm_relu_backward_x(const T* grad_out, const T* y, const T* x, const T* mean,
                                const T* var, const T* weight, const T* sum_g, const T* sum_g_xhat,
                                double eps, bool training, ChannelView v, T* grad_x,
                                T* grad_residual) {
  const T count = static_cast<T>(v.per_channel());
  // Per-channel constants once: an NHWC row is a single value.
  std::vector<T> invstd(size_t(v.channels)), mean_dxhat(size_t(v.channels)),
      mean_dxhat_xhat(size_t(v.channels));
  for (int64_t ch = 0; ch < v.channels; ++ch) {
    const T w = weight ? weight[ch] : T(1);
    invstd[size_t(ch)] = norm_invstd(var[ch], static_cast<T>(eps));
    mean_dxhat[size_t(ch)] = training ? w * sum_g[ch] / count : T(0);
    mean_dxhat_xhat[size_t(ch)] = training ? w * sum_g_xhat[ch] / count : T(0);
  }
  if (v.inner == 1) {  // NHWC: a row of C values per thread iteration
    const size_t c = static_cast<size_t>(v.channels);
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < v.outer; ++o)
      for (size_t ch = 0; ch < c; ++ch) {
        const size_t i = size_t(o) * c + ch;
        const T w = weight ? weight[ch] : T(1);
        const T dy = y ? relu_backward(grad_out[i], y[i]) : grad_out[i];
        const T xhat = (x[i] - mean[ch]) * invstd[ch];
        grad_x[i] = norm_grad_input(dy * w, xhat, invstd[ch], mean_dxhat[ch], mean_dxhat_xhat[ch]);
        if (grad_residual) grad_residual[i] = dy;
      }
    return;
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t ch = 0; ch < v.channels; ++ch) {
      const T w = weight ? weight[ch] : T(1);
      const T is = invstd[size_t(ch)], md = mean_dxhat[size_t(ch)],
              mdx = mean_dxhat_xhat[size_t(ch)];
      const int64_t base = v.offset(o, ch, 0);
      for (int64_t j = 0; j < v.inner; ++j) {
        const T dy = y ? relu_backward(grad_out[base + j], y[base + j]) : grad_out[base + j];
        const T xhat = (x[base + j] - mean[ch]) * is;
        grad_x[base + j] = norm_grad_input(dy * w, xhat, is, md, mdx);
        if (grad_residual) grad_residual[base + j] = dy;
      }
    }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void batch_norm_relu_forward(const void* x, const void* residual, const void* mean, const void* var,
                             const void* weight, const void* bias, double eps, DType dtype,
                             ChannelView v, void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_relu_forward", [&] {
    batch_norm_relu_forward<scalar_t>(
        typed<scalar_t>(x), typed<scalar_t>(residual), typed<scalar_t>(mean), typed<scalar_t>(var),
        typed<scalar_t>(weight), typed<scalar_t>(bias), eps, v, typed<scalar_t>(y));
  });
}

void batch_norm_relu_channel_sums(const void* grad_out, const void* y, const void* x,
                                  const void* mean, const void* var, double eps, DType dtype,
                                  ChannelView v, void* sum_g, void* sum_g_xhat, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_relu_channel_sums", [&] {
    batch_norm_relu_channel_sums<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(y), typed<scalar_t>(x), typed<scalar_t>(mean),
        typed<scalar_t>(var), eps, v, typed<scalar_t>(sum_g), typed<scalar_t>(sum_g_xhat));
  });
}

void batch_norm_relu_backward_x(const void* grad_out, const void* y, const void* x,
                                const void* mean, const void* var, const void* weight,
                                const void* sum_g, const void* sum_g_xhat, double eps,
                                bool training, DType dtype, ChannelView v, void* grad_x,
                                void* grad_residual, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "batch_norm_relu_backward_x", [&] {
    batch_norm_relu_backward_x<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(y), typed<scalar_t>(x), typed<scalar_t>(mean),
        typed<scalar_t>(var), typed<scalar_t>(weight), typed<scalar_t>(sum_g),
        typed<scalar_t>(sum_g_xhat), eps, training, v, typed<scalar_t>(grad_x),
        typed<scalar_t>(grad_residual));
  });
}

}  // namespace cromss::cpu_kernels
