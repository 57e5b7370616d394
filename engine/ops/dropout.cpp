// Dropout and Dropout2d: dispatch and backward (see dropout.h). The mask is never stored: the
// backward regenerates it from the seed (kernels/dropout.cuh).
#include "engine/ops/dropout.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/dropout.h"

namespace cromss {
namespace {

Tensor apply_mask(const Tensor& x, int64_t group, uint64_t seed, float p) {
  Tensor xc = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch(kernels::dropout_apply, x.device(), xc.raw_data(), out.raw_data(), x.dtype(), x.numel(),
           group, seed, p);
  return out;
}

// group: elements sharing one mask entry.
Tensor dropout_impl(const char* op, const Tensor& x, double p, bool training, uint64_t seed,
                    int64_t group) {
  check_float_inputs(op, {&x});
  CROMSS_CHECK(p >= 0.0 && p <= 1.0, "{}: p must be in [0, 1], got {}", op, p);
  if (!training || p == 0.0) return x;
  const float pf = static_cast<float>(p);
  Tensor out = apply_mask(x, group, seed, pf);
  if (any_requires_grad({&x}))
    record_op(op, out, {&x},
              [group, seed, pf](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {apply_mask(g, group, seed, pf)};
              });
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, uint64_t seed) {
  return dropout_impl("dropout", x, p, training, seed, 1);
}

Tensor dropout2d(const Tensor& x, double p, bool training, uint64_t seed) {
  CROMSS_CHECK(x.dim() == 4, "dropout2d: input must be NCHW, got {}", x.str());
  return dropout_impl("dropout2d", x, p, training, seed, x.size(2) * x.size(3));
}

}  // namespace cromss
