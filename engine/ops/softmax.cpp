// Softmax and log-softmax along one axis: dispatch and backward (see softmax.h). The backward
// uses only the saved output (kernels/softmax.cuh gives the formulas).
#include "engine/ops/softmax.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/softmax.h"

namespace cromss {
namespace {

struct Lines {
  int64_t outer = 1, channels = 1, inner = 1;
};

Lines lines_of(const char* op, const Tensor& x, int64_t dim) {
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  CROMSS_CHECK(d >= 0 && d < x.dim(), "{}: dim {} out of range for {}", op, dim, x.str());
  Lines l;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < d)
      l.outer *= x.size(i);
    else if (i > d)
      l.inner *= x.size(i);
  }
  l.channels = x.size(d);
  return l;
}

Tensor softmax_backward(const Tensor& g, const Tensor& y, const Lines& l, bool log) {
  Tensor gc = g.contiguous();
  Tensor gi = Tensor::empty(y.shape(), y.dtype(), y.device());
  dispatch(kernels::softmax_backward, y.device(), gc.raw_data(), y.raw_data(), gi.raw_data(),
           y.dtype(), l.outer, l.channels, l.inner, log);
  return gi;
}

Tensor softmax_impl(const char* op, const Tensor& x, int64_t dim, bool log) {
  check_float_inputs(op, {&x});
  const Lines l = lines_of(op, x, dim);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(kernels::softmax_forward, x.device(), x.raw_data(), y.raw_data(), x.dtype(), l.outer,
           l.channels, l.inner, log);
  if (any_requires_grad({&x})) {
    Tensor saved = y.detach();
    record_op(op, y, {&x},
              [saved, l, log](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {softmax_backward(g, saved, l, log)};
              });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_impl("softmax", x, dim, false);
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_impl("log_softmax", x, dim, true);
}

}  // namespace cromss
