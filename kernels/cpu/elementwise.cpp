// CPU reference of the elementwise kernels (see kernels/elementwise.h).
#include "kernels/elementwise.h"

namespace cromss::cpu_kernels {

template <class T>
void binary(BinaryOp op, const T* a, const T* b, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = binary_apply(op, a[i], b[i]);
}

template <class T>
void scale(const T* x, double alpha, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(alpha) * x[i];
}

template <class T>
void add_inplace(T* dst, const T* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

template <class T>
void relu_forward(const T* x, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = cromss::relu_forward(x[i]);
}

template <class T>
void relu_backward(const T* grad_out, const T* out, T* grad_in, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_in[i] = cromss::relu_backward(grad_out[i], out[i]);
}

#define INSTANTIATE(T)                                                \
  template void binary<T>(BinaryOp, const T*, const T*, T*, int64_t); \
  template void scale<T>(const T*, double, T*, int64_t);              \
  template void add_inplace<T>(T*, const T*, int64_t);                \
  template void relu_forward<T>(const T*, T*, int64_t);               \
  template void relu_backward<T>(const T*, const T*, T*, int64_t);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE

}  // namespace cromss::cpu_kernels
