// CPU reference of sum over axes and its backward (see kernels/reduce.h), plus the layout builder
// both backends use.
#include "kernels/reduce.h"
#include "kernels/cpu/float_dispatch.h"

#include "core/error.h"

namespace cromss {

ReduceLayout make_reduce_layout(const std::vector<int64_t>& shape,
                                const std::vector<bool>& reduce_dim) {
  ReduceLayout l;
  int64_t stride = 1;
  // Walk from the innermost dim outwards, merging neighbours of the same kind.
  std::vector<int64_t> size, in_stride;
  std::vector<bool> reduced;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    const int64_t s = shape[d];
    if (reduce_dim[d])
      l.reduced_count *= s;
    else
      l.kept_count *= s;
    if (s != 1) {
      if (!size.empty() && reduced.back() == reduce_dim[d]) {
        size.back() *= s;
      } else {
        size.push_back(s);
        in_stride.push_back(stride);
        reduced.push_back(reduce_dim[d]);
      }
    }
    stride *= s;
  }
  CROMSS_CHECK(size.size() <= static_cast<size_t>(kMaxReduceDims),
               "reduce: {} alternating kept/reduced axis groups, at most {} supported", size.size(),
               kMaxReduceDims);
  l.ndim = static_cast<int>(size.size());
  int64_t out_stride = 1;
  for (int i = 0; i < l.ndim; ++i) {  // i = 0 is the innermost group
    const int d = l.ndim - 1 - i;
    l.size[d] = size[i];
    l.in_stride[d] = in_stride[i];
    l.reduced[d] = reduced[i];
    l.out_stride[d] = reduced[i] ? 0 : out_stride;
    if (!reduced[i]) out_stride *= size[i];
  }
  return l;
}

namespace cpu_kernels {

template <class T>
void reduce_sum(const T* x, T* out, const ReduceLayout& layout, double scale) {
  for (int64_t o = 0; o < layout.kept_count; ++o) {
    const T* base = x + kept_offset(layout, o);
    double acc = 0;
    for (int64_t r = 0; r < layout.reduced_count; ++r) acc += base[reduced_offset(layout, r)];
    out[o] = static_cast<T>(acc * scale);
  }
}

template <class T>
void reduce_sum_backward(const T* grad_out, T* grad_in, const ReduceLayout& layout, double scale,
                         int64_t numel) {
  for (int64_t i = 0; i < numel; ++i)
    grad_in[i] = static_cast<T>(scale * grad_out[out_index(layout, i)]);
}

// The kernels' CPU entries (kernels/kernel_table.h): the typed reference above, by dtype.

void reduce_sum(const void* x, void* out, DType dtype, const ReduceLayout& layout, double scale,
                const Context&) {
  CROMSS_CPU_FLOAT(dtype, "reduce_sum", [&] {
    reduce_sum<scalar_t>(typed<scalar_t>(x), typed<scalar_t>(out), layout, scale);
  });
}

void reduce_sum_backward(const void* grad_out, void* grad_in, DType dtype,
                         const ReduceLayout& layout, double scale, int64_t numel, const Context&) {
  CROMSS_CPU_FLOAT(dtype, "reduce_sum_backward", [&] {
    reduce_sum_backward<scalar_t>(typed<scalar_t>(grad_out), typed<scalar_t>(grad_in), layout,
                                  scale, numel);
  });
}

}  // namespace cpu_kernels
}  // namespace cromss
