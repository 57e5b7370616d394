// Concatenation along one axis: forward copies each input into its range of the output; the
// backward hands each input its range of the output gradient (see concat.h). The output is in
// the first input's memory format (an input in the other one is converted explicitly); in nhwc a
// channel concat copies ranges of the innermost axis (copy_range). Each input gradient returns
// in its input's format.
#include "engine/ops/concat.h"

#include "engine/autograd.h"
#include "engine/ops/op_checks.h"
#include "engine/ops/shape_ops.h"

namespace cromss {
Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  CROMSS_CHECK(!xs.empty(), "concat: no inputs");
  const Tensor& first = xs.front();
  const int64_t d = dim < 0 ? dim + first.dim() : dim;
  CROMSS_CHECK(d >= 0 && d < first.dim(), "concat: dim {} out of range for {}", dim, first.str());
  Shape shape = first.shape();
  shape[d] = 0;
  for (const Tensor& x : xs) {
    CROMSS_CHECK(x.defined() && x.dim() == first.dim() && x.dtype() == first.dtype() &&
                     x.device() == first.device(),
                 "concat: input {} does not match {} in rank, dtype or device", x.str(),
                 first.str());
    for (int64_t a = 0; a < x.dim(); ++a)
      CROMSS_CHECK(a == d || x.size(a) == first.size(a),
                   "concat: input {} differs from {} on axis {} (concatenating along {})", x.str(),
                   first.str(), a, d);
    shape[d] += x.size(d);
  }
  const MemoryFormat f = activation_format(first);
  Tensor out = Tensor::empty(shape, first.dtype(), first.device(), f);
  std::vector<int64_t> sizes;
  std::vector<MemoryFormat> formats;
  int64_t offset = 0;
  for (const Tensor& x : xs) {
    copy_range(x.contiguous(f), 0, out, offset, d, x.size(d));
    offset += x.size(d);
    sizes.push_back(x.size(d));
    formats.push_back(activation_format(x));
  }
  std::vector<const Tensor*> inputs;
  for (const Tensor& x : xs) inputs.push_back(&x);
  if (any_requires_grad(inputs)) {
    auto backward = [sizes, formats, d, f](const Tensor& g, const std::vector<bool>& needs) {
      Tensor gc = g.contiguous(f);
      std::vector<Tensor> grads(sizes.size());
      int64_t start = 0;
      for (size_t k = 0; k < sizes.size(); ++k) {
        if (needs[k]) {
          Shape s = gc.shape();
          s[d] = sizes[k];
          grads[k] = Tensor::empty(s, gc.dtype(), gc.device(), f);
          copy_range(gc, start, grads[k], 0, d, sizes[k]);
          grads[k] = grads[k].contiguous(formats[k]);
        }
        start += sizes[k];
      }
      return grads;
    };
    record_op("concat", out, inputs, std::move(backward));
  }
  return out;
}

}  // namespace cromss
