// Sum and mean over a set of axes: dispatch and backward (see reduce.h). The backward of both is
// the output gradient broadcast back over the reduced axes (times 1/count for mean).
#include "engine/ops/reduce.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/reduce.h"

namespace cromss {
namespace {

std::vector<bool> reduced_axes(const char* op, const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<bool> reduce(x.dim(), dims.empty());
  for (int64_t d : dims) {
    const int64_t a = d < 0 ? d + x.dim() : d;
    CROMSS_CHECK(a >= 0 && a < x.dim(), "{}: axis {} out of range for {}", op, d, x.str());
    CROMSS_CHECK(!reduce[a], "{}: axis {} given twice", op, d);
    reduce[a] = true;
  }
  return reduce;
}

Shape reduced_shape(const Shape& in, const std::vector<bool>& reduce, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduce[d])
      out.push_back(in[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

Tensor sum_backward(const Tensor& g, const Shape& in_shape, const ReduceLayout& layout,
                    double scale) {
  Tensor gc = g.contiguous();
  Tensor gi = Tensor::empty(in_shape, g.dtype(), g.device());
  dispatch(kernels::reduce_sum_backward, g.device(), gc.raw_data(), gi.raw_data(), g.dtype(),
           layout, scale, gi.numel());
  return gi;
}

Tensor scaled_sum(const char* op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
                  bool average) {
  check_float_inputs(op, {&x});
  const std::vector<bool> reduce = reduced_axes(op, x, dims);
  const ReduceLayout layout = make_reduce_layout(x.shape(), reduce);
  // mean over zero elements is NaN, as in PyTorch.
  const double scale = average ? 1.0 / static_cast<double>(layout.reduced_count) : 1.0;
  Tensor out = Tensor::empty(reduced_shape(x.shape(), reduce, keepdim), x.dtype(), x.device());
  dispatch(kernels::reduce_sum, x.device(), x.raw_data(), out.raw_data(), x.dtype(), layout, scale);
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op(op, out, {&x},
              [in_shape, layout, scale](const Tensor& g, const std::vector<bool>&)
                  -> std::vector<Tensor> { return {sum_backward(g, in_shape, layout, scale)}; });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return scaled_sum("sum", x, dims, keepdim, false);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return scaled_sum("mean", x, dims, keepdim, true);
}

}  // namespace cromss
