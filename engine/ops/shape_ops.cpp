// reshape, slice, to_memory_format and the copy_range block copy (see shape_ops.h).
#include "engine/ops/shape_ops.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "kernels/shape.h"

namespace cromss {

void copy_range(const Tensor& src, int64_t src_start, Tensor& dst, int64_t dst_start, int64_t dim,
                int64_t length) {
  CROMSS_CHECK(src.is_contiguous() && dst.is_contiguous(),
               "copy_range: {} and {} must be contiguous", src.str(), dst.str());
  CROMSS_CHECK(src.dtype() == dst.dtype() && src.device() == dst.device(),
               "copy_range: {} and {} differ in dtype or device", src.str(), dst.str());
  CROMSS_CHECK(dim >= 0 && dim < src.dim() && src.dim() == dst.dim(),
               "copy_range: dim {} invalid for {} and {}", dim, src.str(), dst.str());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < src.dim(); ++d) {
    if (d == dim) continue;
    CROMSS_CHECK(src.size(d) == dst.size(d), "copy_range: {} and {} differ on axis {}", src.str(),
                 dst.str(), d);
    (d < dim ? outer : inner) *= src.size(d);
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
  Tensor xc = x.contiguous();
  Shape s = x.shape();
  s[d] = length;
  Tensor out = Tensor::empty(s, x.dtype(), x.device());
  copy_range(xc, start, out, 0, d, length);
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op("slice", out, {&x},
              [in_shape, d, start, length](const Tensor& g,
                                           const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gi = Tensor::zeros(in_shape, g.dtype(), g.device());
                copy_range(g.contiguous(), 0, gi, start, d, length);
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
