// CPU reference of the pooling kernels (see kernels/pooling.h). Planes (n, c) are independent
// and run in parallel; each plane is written by one thread, so results do not depend on the
// thread count. The backward passes scatter into a zeroed grad_x within the plane. Planes are
// addressed through DensePlanes, so both memory formats run the same loops in the same order.
#include <algorithm>

#include "kernels/cpu/float_dispatch.h"
#include "kernels/pooling.h"

namespace cromss::cpu_kernels {

template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, int64_t* indices) {
  const DensePlanes in = g.input(), out = g.output();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes(); ++p)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t o = out.offset(p, oh * g.ow + ow);
        y[o] = max_pool_cell<T>(
            g, oh, ow, [&](int64_t s) { return x[in.offset(p, s)]; }, &indices[o]);
      }
}

template <class T>
void max_pool2d_backward(const PoolGeometry& g, const T* grad_y, const int64_t* indices,
                         T* grad_x) {
  const DensePlanes in = g.input(), out = g.output();
  std::fill(grad_x, grad_x + in.numel(), T(0));
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes(); ++p)
    for (int64_t s = 0; s < out.pixels(); ++s) {
      const int64_t o = out.offset(p, s);
      grad_x[in.offset(p, indices[o])] += grad_y[o];
    }
}

template <class T>
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y) {
  const DensePlanes in = g.input(), out = g.output();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes(); ++p)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = adaptive_bin_begin(oh, g.h, g.oh), h1 = adaptive_bin_end(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = adaptive_bin_begin(ow, g.w, g.ow), w1 = adaptive_bin_end(ow, g.w, g.ow);
        T sum = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) sum += x[in.offset(p, h * g.w + w)];
        y[out.offset(p, oh * g.ow + ow)] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
}

template <class T>
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const T* grad_y, T* grad_x) {
  const DensePlanes in = g.input(), out = g.output();
  std::fill(grad_x, grad_x + in.numel(), T(0));
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes(); ++p)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = adaptive_bin_begin(oh, g.h, g.oh), h1 = adaptive_bin_end(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = adaptive_bin_begin(ow, g.w, g.ow), w1 = adaptive_bin_end(ow, g.w, g.ow);
        const T share =
            grad_y[out.offset(p, oh * g.ow + ow)] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) grad_x[in.offset(p, h * g.w + w)] += share;
      }
    }
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void max_pool2d_forward(const PoolGeometry& g, const void* x, void* y, int64_t* indices,
                        DType dtype, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "max_pool2d_forward", [&] {
    max_pool2d_forward<scalar_t>(g, typed<scalar_t>(x), typed<scalar_t>(y), indices);
  });
}

void max_pool2d_backward(const PoolGeometry& g, const void* grad_y, const int64_t* indices,
                         void* grad_x, DType dtype, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "max_pool2d_backward", [&] {
    max_pool2d_backward<scalar_t>(g, typed<scalar_t>(grad_y), indices, typed<scalar_t>(grad_x));
  });
}

void adaptive_avg_pool2d_forward(const PoolGeometry& g, const void* x, void* y, DType dtype,
                                 const Context&) {
  CROMSS_CPU_FLOAT(dtype, "adaptive_avg_pool2d_forward", [&] {
    adaptive_avg_pool2d_forward<scalar_t>(g, typed<scalar_t>(x), typed<scalar_t>(y));
  });
}

void adaptive_avg_pool2d_backward(const PoolGeometry& g, const void* grad_y, void* grad_x,
                                  DType dtype, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "adaptive_avg_pool2d_backward", [&] {
    adaptive_avg_pool2d_backward<scalar_t>(g, typed<scalar_t>(grad_y), typed<scalar_t>(grad_x));
  });
}

}  // namespace cromss::cpu_kernels
