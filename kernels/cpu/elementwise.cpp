// CPU reference of the elementwise kernels (see kernels/elementwise.h).
#include "kernels/elementwise.h"
#include "kernels/cpu/float_dispatch.h"

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

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void binary(BinaryOp op, const void* a, const void* b, void* out, DType dtype, int64_t n,
            const Context&) {
  CROMSS_CPU_FLOAT(dtype, "binary", [&] {
    binary<scalar_t>(op, typed<scalar_t>(a), typed<scalar_t>(b), typed<scalar_t>(out), n);
  });
}

void scale(const void* x, double alpha, void* out, DType dtype, int64_t n, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "scale",
                   [&] { scale<scalar_t>(typed<scalar_t>(x), alpha, typed<scalar_t>(out), n); });
}

void add_inplace(void* dst, const void* src, DType dtype, int64_t n, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "add_inplace",
                   [&] { add_inplace<scalar_t>(typed<scalar_t>(dst), typed<scalar_t>(src), n); });
}

void relu_forward(const void* x, void* out, DType dtype, int64_t n, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "relu_forward",
                   [&] { relu_forward<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(out), n); });
}

void relu_backward(const void* grad_out, const void* out, void* grad_in, DType dtype, int64_t n,
                   const Context&) {
  CROMSS_CPU_FLOAT(dtype, "relu_backward", [&] {
    relu_backward<scalar_t>(typed<scalar_t>(grad_out), typed<scalar_t>(out),
                            typed<scalar_t>(grad_in), n);
  });
}

}  // namespace cromss::cpu_kernels
