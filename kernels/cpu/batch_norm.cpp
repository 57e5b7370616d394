// CPU reference of the batch-normalisation kernels (see kernels/batch_norm.h). Sums accumulate
// in double; the per-element math comes from kernels/batch_norm.cuh.
#include "kernels/batch_norm.h"

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
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T invstd = norm_invstd(var[ch], static_cast<T>(eps));
      const T w = weight_or_one(weight, ch), b = bias ? bias[ch] : T(0);
      const int64_t base = (s * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j)
        y[base + j] = norm_affine(x[base + j], mean[ch], invstd, w, b);
    }
}

template <class T>
void batch_norm_channel_sums(const T* grad_out, const T* x, const T* mean, const T* var, double eps,
                             int64_t n, int64_t c, int64_t hw, T* sum_g, T* sum_g_xhat) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const T invstd = norm_invstd(var[ch], static_cast<T>(eps));
    double sg = 0, sgx = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t j = 0; j < hw; ++j) {
        const int64_t i = (s * c + ch) * hw + j;
        sg += grad_out[i];
        sgx += static_cast<double>(grad_out[i]) * ((x[i] - mean[ch]) * invstd);
      }
    sum_g[ch] = static_cast<T>(sg);
    sum_g_xhat[ch] = static_cast<T>(sgx);
  }
}

template <class T>
void batch_norm_backward_x(const T* grad_out, const T* x, const T* mean, const T* var,
                           const T* weight, const T* sum_g, const T* sum_g_xhat, double eps,
                           bool training, int64_t n, int64_t c, int64_t hw, T* grad_x) {
  const T count = static_cast<T>(n * hw);
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T invstd = norm_invstd(var[ch], static_cast<T>(eps));
      const T w = weight_or_one(weight, ch);
      // dxhat = dy * w, so mean(dxhat) = w * sum_g / count and likewise for dxhat * xhat.
      const T mean_dxhat = training ? w * sum_g[ch] / count : T(0);
      const T mean_dxhat_xhat = training ? w * sum_g_xhat[ch] / count : T(0);
      const int64_t base = (s * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j) {
        const T xhat = (x[base + j] - mean[ch]) * invstd;
        grad_x[base + j] =
            norm_grad_input(grad_out[base + j] * w, xhat, invstd, mean_dxhat, mean_dxhat_xhat);
      }
    }
}

#define INSTANTIATE(T)                                                                          \
  template void batch_norm_stats<T>(const T*, int64_t, int64_t, int64_t, T*, T*);               \
  template void batch_norm_update_running<T>(const T*, const T*, int64_t, int64_t, double, T*,  \
                                             T*);                                               \
  template void batch_norm_forward<T>(const T*, const T*, const T*, const T*, const T*, double, \
                                      int64_t, int64_t, int64_t, T*);                           \
  template void batch_norm_channel_sums<T>(const T*, const T*, const T*, const T*, double,      \
                                           int64_t, int64_t, int64_t, T*, T*);                  \
  template void batch_norm_backward_x<T>(const T*, const T*, const T*, const T*, const T*,      \
                                         const T*, const T*, double, bool, int64_t, int64_t,    \
                                         int64_t, T*);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE

}  // namespace cromss::cpu_kernels
