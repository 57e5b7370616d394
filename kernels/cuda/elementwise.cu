// CUDA elementwise kernels (see kernels/elementwise.h); math from kernels/elementwise.cuh.
// Each kernel runs over 128-bit items (kernels/cuda/vector_access.cuh) when every buffer is
// 16-byte aligned, with the < 1-vector remainder as a scalar tail, and counts in int32 when the
// element count allows (kernels/vector_split.cuh).
#include <algorithm>

#include "core/cuda/context_cuda.h"
#include "kernels/cuda/types.cuh"
#include "kernels/cuda/vector_access.cuh"
#include "kernels/elementwise.h"

namespace cromss::cuda_kernels {
namespace {

struct BinaryFn {
  BinaryOp op;
  template <class A>
  __device__ A operator()(A a, A b) const {
    return binary_apply(op, a, b);
  }
};

template <class A>
struct ScaleFn {
  A alpha;
  __device__ A operator()(A x) const { return alpha * x; }
};

struct AddFn {
  template <class A>
  __device__ A operator()(A a, A b) const {
    return a + b;
  }
};

struct ReluFn {
  template <class A>
  __device__ A operator()(A x) const {
    return cromss::relu_forward(x);
  }
};

struct ReluBackwardFn {
  template <class A>
  __device__ A operator()(A grad_out, A out) const {
    return cromss::relu_backward(grad_out, out);
  }
};

template <int W, class T, class I, class Fn>
__device__ __forceinline__ void map1_item(const Fn& fn, const T* a, T* out, I item) {
  const Vec<T, W> va = load_vec<W>(a, item);
  Vec<T, W> vo;
#pragma unroll
  for (int k = 0; k < W; ++k) store(vo.v, k, fn(load(va.v, k)));
  store_vec<W>(out, item, vo);
}

template <int W, class T, class I, class Fn>
__device__ __forceinline__ void map2_item(const Fn& fn, const T* a, const T* b, T* out, I item) {
  const Vec<T, W> va = load_vec<W>(a, item), vb = load_vec<W>(b, item);
  Vec<T, W> vo;
#pragma unroll
  for (int k = 0; k < W; ++k) store(vo.v, k, fn(load(va.v, k), load(vb.v, k)));
  store_vec<W>(out, item, vo);
}

// out = fn(a): `items` items of W elements, then elements [tail_begin, n) one by one.
template <int W, class T, class I, class Fn>
__global__ void map1_kernel(Fn fn, const T* a, T* out, I items, I tail_begin, I n) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, items) map1_item<W>(fn, a, out, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, n - tail_begin) map1_item<1>(fn, a, out, tail_begin + i);
}

// out = fn(a, b), likewise.
template <int W, class T, class I, class Fn>
__global__ void map2_kernel(Fn fn, const T* a, const T* b, T* out, I items, I tail_begin, I n) {
  CROMSS_GRID_STRIDE_LOOP_AS(I, item, items) map2_item<W>(fn, a, b, out, item);
  CROMSS_GRID_STRIDE_LOOP_AS(I, i, n - tail_begin) map2_item<1>(fn, a, b, out, tail_begin + i);
}

template <class T, class Fn>
void launch_map1(const Fn& fn, const T* a, T* out, int64_t n, const Context& ctx) {
  const VectorSplit split = vector_split(n, sizeof(T), {a, out});
  const unsigned blocks = blocks_for(std::max(split.items, n - split.tail_begin));
  with_vector_width<T>(split, [&](auto width) {
    with_index_type(n, blocks, [&](auto index) {
      using I = decltype(index);
      map1_kernel<decltype(width)::value><<<blocks, kThreads, 0, stream_of(ctx)>>>(
          fn, a, out, I(split.items), I(split.tail_begin), I(n));
    });
  });
  CUDA_CHECK_LAUNCH();
}

template <class T, class Fn>
void launch_map2(const Fn& fn, const T* a, const T* b, T* out, int64_t n, const Context& ctx) {
  const VectorSplit split = vector_split(n, sizeof(T), {a, b, out});
  const unsigned blocks = blocks_for(std::max(split.items, n - split.tail_begin));
  with_vector_width<T>(split, [&](auto width) {
    with_index_type(n, blocks, [&](auto index) {
      using I = decltype(index);
      map2_kernel<decltype(width)::value><<<blocks, kThreads, 0, stream_of(ctx)>>>(
          fn, a, b, out, I(split.items), I(split.tail_begin), I(n));
    });
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void binary(BinaryOp op, const void* a, const void* b, void* out, DType dtype, int64_t n,
            const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "binary", [&] {
    launch_map2(BinaryFn{op}, static_cast<const scalar_t*>(a), static_cast<const scalar_t*>(b),
                static_cast<scalar_t*>(out), n, ctx);
  });
}

void scale(const void* x, double alpha, void* out, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "scale", [&] {
    using A = acc_t<scalar_t>;
    launch_map1(ScaleFn<A>{static_cast<A>(alpha)}, static_cast<const scalar_t*>(x),
                static_cast<scalar_t*>(out), n, ctx);
  });
}

void add_inplace(void* dst, const void* src, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "add_inplace", [&] {
    launch_map2(AddFn{}, static_cast<const scalar_t*>(dst), static_cast<const scalar_t*>(src),
                static_cast<scalar_t*>(dst), n, ctx);
  });
}

void relu_forward(const void* x, void* out, DType dtype, int64_t n, const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "relu", [&] {
    launch_map1(ReluFn{}, static_cast<const scalar_t*>(x), static_cast<scalar_t*>(out), n, ctx);
  });
}

void relu_backward(const void* g, const void* y, void* gi, DType dtype, int64_t n,
                   const Context& ctx) {
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(dtype, "relu_backward", [&] {
    launch_map2(ReluBackwardFn{}, static_cast<const scalar_t*>(g), static_cast<const scalar_t*>(y),
                static_cast<scalar_t*>(gi), n, ctx);
  });
}

}  // namespace cromss::cuda_kernels
