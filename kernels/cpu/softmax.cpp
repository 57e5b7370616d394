// CPU reference of softmax / log-softmax and their backward (see kernels/softmax.h).
#include "kernels/softmax.h"

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

#define INSTANTIATE(T)                                                             \
  template void softmax_forward<T>(const T*, T*, int64_t, int64_t, int64_t, bool); \
  template void softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, bool);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE

}  // namespace cromss::cpu_kernels
