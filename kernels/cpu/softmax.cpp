// CPU reference of softmax / log-softmax and their backward (see kernels/softmax.h).
#include "kernels/softmax.h"
#include "kernels/cpu/float_dispatch.h"

#include <limits>

namespace cromss::cpu_kernels {

template <class T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t channels, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * channels * inner + i;
      SoftmaxStats<T> st{-std::numeric_limits<T>::infinity(), T(0)};
      for (int64_t c = 0; c < channels; ++c) softmax_accumulate(st, x[base + c * inner]);
      for (int64_t c = 0; c < channels; ++c)
        y[base + c * inner] = softmax_output(x[base + c * inner], st, log);
    }
  }
}

template <class T>
void softmax_backward(const T* grad_out, const T* y, T* grad_in, int64_t outer, int64_t channels,
                      int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * channels * inner + i;
      T dot = 0;
      for (int64_t c = 0; c < channels; ++c)
        dot += softmax_backward_term(grad_out[base + c * inner], y[base + c * inner], log);
      for (int64_t c = 0; c < channels; ++c) {
        const int64_t k = base + c * inner;
        grad_in[k] = softmax_grad_input(grad_out[k], y[k], dot, log);
      }
    }
  }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void softmax_forward(const void* x, void* y, DType dtype, int64_t outer, int64_t channels,
                     int64_t inner, bool log, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "softmax_forward", [&] {
    softmax_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(y), outer, channels, inner, log);
  });
}

void softmax_backward(const void* grad_out, const void* y, void* grad_in, DType dtype,
                      int64_t outer, int64_t channels, int64_t inner, bool log, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "softmax_backward", [&] {
    softmax_backward<scalar_t>(typed<scalar_t>(grad_out), typed<scalar_t>(y),
                               typed<scalar_t>(grad_in), outer, channels, inner, log);
  });
}

}  // namespace cromss::cpu_kernels
