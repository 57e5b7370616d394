// CPU reference of the group-normalisation kernels (see kernels/group_norm.h). Sums accumulate
// in double; the per-element math comes from kernels/batch_norm.cuh.
#include "kernels/group_norm.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {

template <class T>
void group_norm_stats(const T* x, int64_t n, int64_t c, int64_t hw, int64_t groups, T* mean,
                      T* var) {
  const int64_t row = c / groups * hw;
  for (int64_t r = 0; r < n * groups; ++r) {
    const T* p = x + r * row;
    double sum = 0;
    for (int64_t j = 0; j < row; ++j) sum += p[j];
    const double m = sum / static_cast<double>(row);
    double sq = 0;
    for (int64_t j = 0; j < row; ++j) sq += (p[j] - m) * (p[j] - m);
    mean[r] = static_cast<T>(m);
    var[r] = static_cast<T>(sq / static_cast<double>(row));
  }
}

template <class T>
void group_norm_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                        double eps, int64_t n, int64_t c, int64_t hw, int64_t groups, T* y) {
  const int64_t cg = c / groups;
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t r = s * groups + ch / cg;
      const T invstd = norm_invstd(var[r], static_cast<T>(eps));
      const T w = weight ? weight[ch] : T(1), b = bias ? bias[ch] : T(0);
      const int64_t base = (s * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j)
        y[base + j] = norm_affine(x[base + j], mean[r], invstd, w, b);
    }
}

template <class T>
void group_norm_param_grads(const T* grad_out, const T* x, const T* mean, const T* var, double eps,
                            int64_t n, int64_t c, int64_t hw, int64_t groups, T* grad_weight,
                            T* grad_bias) {
  const int64_t cg = c / groups;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sg = 0, sgx = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t r = s * groups + ch / cg;
      const T invstd = norm_invstd(var[r], static_cast<T>(eps));
      const int64_t base = (s * c + ch) * hw;
      for (int64_t j = 0; j < hw; ++j) {
        sg += grad_out[base + j];
        sgx += static_cast<double>(grad_out[base + j]) * ((x[base + j] - mean[r]) * invstd);
      }
    }
    if (grad_weight) grad_weight[ch] = static_cast<T>(sgx);
    if (grad_bias) grad_bias[ch] = static_cast<T>(sg);
  }
}

template <class T>
void group_norm_backward_x(const T* grad_out, const T* x, const T* mean, const T* var,
                           const T* weight, double eps, int64_t n, int64_t c, int64_t hw,
                           int64_t groups, T* grad_x) {
  const int64_t cg = c / groups, row = cg * hw;
  for (int64_t r = 0; r < n * groups; ++r) {
    const int64_t c0 = r % groups * cg;
    const T invstd = norm_invstd(var[r], static_cast<T>(eps));
    const T* g = grad_out + r * row;
    const T* p = x + r * row;
    double sd = 0, sdx = 0;  // sums of dxhat and dxhat * xhat over the row
    for (int64_t j = 0; j < row; ++j) {
      const T dxhat = g[j] * (weight ? weight[c0 + j / hw] : T(1));
      sd += dxhat;
      sdx += static_cast<double>(dxhat) * ((p[j] - mean[r]) * invstd);
    }
    const T mean_d = static_cast<T>(sd / row), mean_dx = static_cast<T>(sdx / row);
    for (int64_t j = 0; j < row; ++j) {
      const T dxhat = g[j] * (weight ? weight[c0 + j / hw] : T(1));
      grad_x[r * row + j] =
          norm_grad_input(dxhat, (p[j] - mean[r]) * invstd, invstd, mean_d, mean_dx);
    }
  }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void group_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      void* mean, void* var, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_stats", [&] {
    group_norm_stats<scalar_t>(typed<scalar_t>(x), n, c, hw, groups, typed<scalar_t>(mean),
                               typed<scalar_t>(var));
  });
}

void group_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        int64_t groups, void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_forward", [&] {
    group_norm_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
                                 typed<scalar_t>(weight), typed<scalar_t>(bias), eps, n, c, hw,
                                 groups, typed<scalar_t>(y));
  });
}

void group_norm_param_grads(const void* grad_out, const void* x, const void* mean, const void* var,
                            double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                            int64_t groups, void* grad_weight, void* grad_bias, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_param_grads", [&] {
    group_norm_param_grads<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
        eps, n, c, hw, groups, typed<scalar_t>(grad_weight), typed<scalar_t>(grad_bias));
  });
}

void group_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, double eps, DType dtype, int64_t n, int64_t c,
                           int64_t hw, int64_t groups, void* grad_x, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_backward_x", [&] {
    group_norm_backward_x<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
        typed<scalar_t>(weight), eps, n, c, hw, groups, typed<scalar_t>(grad_x));
  });
}

}  // namespace cromss::cpu_kernels
