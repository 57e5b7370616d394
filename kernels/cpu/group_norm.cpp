// CPU reference of the group-normalisation kernels (see kernels/group_norm.h). Sums accumulate
// in double; the per-element math comes from kernels/batch_norm.cuh. Each (sample, group) is
// visited channel by channel, pixels in order, in either memory format (only the strides
// differ), so NCHW and NHWC give the same sums in the same order.
#include "kernels/group_norm.h"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {
namespace {

// Element (s, ch, p) of a dense [n, c, hw] tensor sits at s * sample + ch * channel + p * pixel.
struct Strides {
  int64_t sample, channel, pixel;
  int64_t at(int64_t s, int64_t ch, int64_t p) const {
    return s * sample + ch * channel + p * pixel;
  }
};

Strides strides_of(MemoryFormat format, int64_t c, int64_t hw) {
  return format == MemoryFormat::nhwc ? Strides{c * hw, 1, c} : Strides{c * hw, hw, 1};
}

}  // namespace

template <class T>
void group_norm_stats(const T* x, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      MemoryFormat format, T* mean, T* var) {
  const Strides st = strides_of(format, c, hw);
  const int64_t cg = c / groups;
  const double count = static_cast<double>(cg * hw);
  for (int64_t r = 0; r < n * groups; ++r) {
    const int64_t s = r / groups, c0 = r % groups * cg;
    double sum = 0;
    for (int64_t ch = c0; ch < c0 + cg; ++ch)
      for (int64_t p = 0; p < hw; ++p) sum += x[st.at(s, ch, p)];
    const double m = sum / count;
    double sq = 0;
    for (int64_t ch = c0; ch < c0 + cg; ++ch)
      for (int64_t p = 0; p < hw; ++p) {
        const double d = x[st.at(s, ch, p)] - m;
        sq += d * d;
      }
    mean[r] = static_cast<T>(m);
    var[r] = static_cast<T>(sq / count);
  }
}

template <class T>
void group_norm_forward(const T* x, const T* mean, const T* var, const T* weight, const T* bias,
                        double eps, int64_t n, int64_t c, int64_t hw, int64_t groups,
                        MemoryFormat format, T* y) {
  const Strides st = strides_of(format, c, hw);
  const int64_t cg = c / groups;
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t r = s * groups + ch / cg;
      const T invstd = norm_invstd(var[r], static_cast<T>(eps));
      const T w = weight ? weight[ch] : T(1), b = bias ? bias[ch] : T(0);
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t i = st.at(s, ch, p);
        y[i] = norm_affine(x[i], mean[r], invstd, w, b);
      }
    }
}

template <class T>
void group_norm_param_grads(const T* grad_out, const T* x, const T* mean, const T* var, double eps,
                            int64_t n, int64_t c, int64_t hw, int64_t groups, MemoryFormat format,
                            T* grad_weight, T* grad_bias) {
  const Strides st = strides_of(format, c, hw);
  const int64_t cg = c / groups;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sg = 0, sgx = 0;
    for (int64_t s = 0; s < n; ++s) {
      const int64_t r = s * groups + ch / cg;
      const T invstd = norm_invstd(var[r], static_cast<T>(eps));
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t i = st.at(s, ch, p);
        sg += grad_out[i];
        sgx += static_cast<double>(grad_out[i]) * ((x[i] - mean[r]) * invstd);
      }
    }
    if (grad_weight) grad_weight[ch] = static_cast<T>(sgx);
    if (grad_bias) grad_bias[ch] = static_cast<T>(sg);
  }
}

template <class T>
void group_norm_backward_x(const T* grad_out, const T* x, const T* mean, const T* var,
                           const T* weight, double eps, int64_t n, int64_t c, int64_t hw,
                           int64_t groups, MemoryFormat format, T* grad_x) {
  const Strides st = strides_of(format, c, hw);
  const int64_t cg = c / groups;
  const double count = static_cast<double>(cg * hw);
  for (int64_t r = 0; r < n * groups; ++r) {
    const int64_t s = r / groups, c0 = r % groups * cg;
    const T invstd = norm_invstd(var[r], static_cast<T>(eps));
    double sd = 0, sdx = 0;  // sums of dxhat and dxhat * xhat over the group
    for (int64_t ch = c0; ch < c0 + cg; ++ch) {
      const T w = weight ? weight[ch] : T(1);
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t i = st.at(s, ch, p);
        const T dxhat = grad_out[i] * w;
        sd += dxhat;
        sdx += static_cast<double>(dxhat) * ((x[i] - mean[r]) * invstd);
      }
    }
    const T mean_d = static_cast<T>(sd / count), mean_dx = static_cast<T>(sdx / count);
    for (int64_t ch = c0; ch < c0 + cg; ++ch) {
      const T w = weight ? weight[ch] : T(1);
      for (int64_t p = 0; p < hw; ++p) {
        const int64_t i = st.at(s, ch, p);
        grad_x[i] =
            norm_grad_input(grad_out[i] * w, (x[i] - mean[r]) * invstd, invstd, mean_d, mean_dx);
      }
    }
  }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void group_norm_stats(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                      MemoryFormat format, void* mean, void* var, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_stats", [&] {
    group_norm_stats<scalar_t>(typed<scalar_t>(x), n, c, hw, groups, format, typed<scalar_t>(mean),
                               typed<scalar_t>(var));
  });
}

void group_norm_forward(const void* x, const void* mean, const void* var, const void* weight,
                        const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                        int64_t groups, MemoryFormat format, void* y, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_forward", [&] {
    group_norm_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
                                 typed<scalar_t>(weight), typed<scalar_t>(bias), eps, n, c, hw,
                                 groups, format, typed<scalar_t>(y));
  });
}

void group_norm_param_grads(const void* grad_out, const void* x, const void* mean, const void* var,
                            double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                            int64_t groups, MemoryFormat format, void* grad_weight, void* grad_bias,
                            const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_param_grads", [&] {
    group_norm_param_grads<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
        eps, n, c, hw, groups, format, typed<scalar_t>(grad_weight), typed<scalar_t>(grad_bias));
  });
}

void group_norm_backward_x(const void* grad_out, const void* x, const void* mean, const void* var,
                           const void* weight, double eps, DType dtype, int64_t n, int64_t c,
                           int64_t hw, int64_t groups, MemoryFormat format, void* grad_x,
                           const Context&) {
  CROMSS_CPU_FLOAT(dtype, "group_norm_backward_x", [&] {
    group_norm_backward_x<scalar_t>(
        typed<scalar_t>(grad_out), typed<scalar_t>(x), typed<scalar_t>(mean), typed<scalar_t>(var),
        typed<scalar_t>(weight), eps, n, c, hw, groups, format, typed<scalar_t>(grad_x));
  });
}

}  // namespace cromss::cpu_kernels
