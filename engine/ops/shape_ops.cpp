// reshape, slice, to_memory_format and the copy_range block copy (see shape_ops.h).
#include "engine/ops/shape_ops.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/copy.h"
#include "kernels/shape.h"

namespace cromss {

namespace {

// t's axes in memory order, outermost first: row-major, or (N, H, W, C) for nhwc.
std::vector<int64_t> memory_order(const Tensor& t, MemoryFormat f) {
  if (f == MemoryFormat::nhwc) return {0, 2, 3, 1};
  std::vector<int64_t> order(t.dim());
  for (int64_t d = 0; d < t.dim(); ++d) order[d] = d;
  return order;
}

}  // namespace

void copy_range(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int64_t dim,
                int64_t length) {
  const MemoryFormat f = activation_format(src);
  CROMSS_CHECK(src.is_contiguous(f) && dst.is_contiguous(f),
               "copy_range: {} and {} must be dense in one memory format ({})", src.str(),
               dst.str(), memory_format_name(f));
  CROMSS_CHECK(src.dtype() == dst.dtype() && src.device() == dst.device(),
               "copy_range: {} and {} differ in dtype or device", src.str(), dst.str());
  CROMSS_CHECK(dim >= 0 && dim < src.dim() && src.dim() == dst.dim(),
               "copy_range: dim {} invalid for {} and {}", dim, src.str(), dst.str());
  // Read in memory order the tensors are [outer, size(dim), inner]; in nhwc a channel range is
  // a range of the last axis (outer = N*H*W, inner = 1).
  int64_t outer = 1, inner = 1;
  bool past_dim = false;
  for (int64_t d : memory_order(src, f)) {
    if (d == dim) {
      past_dim = true;
      continue;
    }
    CROMSS_CHECK(src.size(d) == dst.size(d), "copy_range: {} and {} differ on axis {}", src.str(),
                 dst.str(), d);
    (past_dim ? inner : outer) *= src.size(d);
  }
  CROMSS_CHECK(src_start >= 0 && dst_start >= 0 && length >= 0 &&
                   src_start + length <= src.size(dim) && dst_start + length <= dst.size(dim),
               "copy_range: range [{}, +{}) of {} into [{}, +{}) of {} is out of bounds", src_start,
               length, src.str(), dst_start, length, dst.str());
  const size_t es = dtype_size(src.dtype());
  const size_t row = static_cast<size_t>(length * inner) * es;
  const size_t src_pitch = static_cast<size_t>(src.size(dim) * inner) * es;
  const size_t dst_pitch = static_cast<size_t>(dst.size(dim) * inner) * es;
  const char* s = static_cast<const char*>(src.raw_data()) + src_start * inner * es;
  char* d = static_cast<char*>(dst.raw_data()) + dst_start * inner * es;
  if (src.numel() == 0 || dst.numel() == 0) return;
  dispatch(kernels::copy_2d, src.device(), d, dst_pitch, s, src_pitch, row, outer);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  Tensor out = x.contiguous().view(shape);
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op("reshape", out, {&x},
              [in_shape](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {g.contiguous().view(in_shape)};
              });
  }
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  CROMSS_CHECK(d >= 0 && d < x.dim(), "slice: dim {} out of range for {}", dim, x.str());
  CROMSS_CHECK(start >= 0 && length >= 0 && start + length <= x.size(d),
               "slice: range [{}, {}) out of bounds for axis {} of {}", start, start + length, d,
               x.str());
  const MemoryFormat f = activation_format(x);
  Tensor xc = x.contiguous(f);
  Shape s = x.shape();
  s[d] = length;
  Tensor out = Tensor::empty(s, x.dtype(), x.device(), f);
  copy_range(xc, start, out, 0, d, length);
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op("slice", out, {&x},
              [in_shape, d, start, length, f](const Tensor& g,
                                              const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gi = Tensor::empty(in_shape, g.dtype(), g.device(), f);
                if (gi.numel() > 0)
                  dispatch(kernels::fill, gi.device(), gi.raw_data(), gi.dtype(), 0.0, gi.numel());
                copy_range(g.contiguous(f), 0, gi, start, d, length);
                return {gi};
              });
  }
  return out;
}

Tensor to_memory_format(const Tensor& x, MemoryFormat f) {
  if (x.strides() == dense_strides(x.shape(), f)) return x;
  Tensor out = x.contiguous(f);
  if (!any_requires_grad({&x})) return out;
  const MemoryFormat back = x.memory_format();
  record_op("to_memory_format", out, {&x},
            [back](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
              return {g.contiguous(back)};
            });
  return out;
}

}  // namespace cromss
