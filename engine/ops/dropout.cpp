// Dropout and Dropout2d: dispatch and backward (see dropout.h). The mask is never stored: the
// backward regenerates it from the seed (kernels/dropout.cuh). It is keyed by logical element
// index, so an nhwc input drops the same values as its nchw copy; the output and the input
// gradient are in the input's format.
#include "engine/ops/dropout.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/dropout.h"

namespace cromss {
namespace {

// x's layout for the mask: a 4-D tensor in its memory format, others as one row-major plane.
DensePlanes layout_of(const Tensor& x) {
  if (x.dim() == 4) return {x.memory_format(), x.size(0), x.size(1), x.size(2), x.size(3)};
  return {MemoryFormat::nchw, 1, 1, x.numel(), 1};
}

// x masked, in `format` (the op's input's; x is the input or the output gradient).
Tensor apply_mask(const Tensor& x, MemoryFormat format, int64_t group, uint64_t seed, float p) {
  const Tensor xc = x.dim() == 4 ? x.contiguous(format) : x.contiguous();
  Tensor out = Tensor::empty_like(xc);
  dispatch(kernels::dropout_apply, x.device(), xc.raw_data(), out.raw_data(), x.dtype(),
           layout_of(xc), group, seed, p);
  return out;
}

// group: elements sharing one mask entry.
Tensor dropout_impl(const char* op, const Tensor& x, double p, bool training, uint64_t seed,
                    int64_t group) {
  const MemoryFormat format = check_float_activations(op, {&x});
  CROMSS_CHECK(p >= 0.0 && p <= 1.0, "{}: p must be in [0, 1], got {}", op, p);
  if (!training || p == 0.0) return x;
  const float pf = static_cast<float>(p);
  Tensor out = apply_mask(x, format, group, seed, pf);
  if (any_requires_grad({&x}))
    record_op(op, out, {&x},
              [format, group, seed, pf](const Tensor& g, const std::vector<bool>&)
                  -> std::vector<Tensor> { return {apply_mask(g, format, group, seed, pf)}; });
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, uint64_t seed) {
  return dropout_impl("dropout", x, p, training, seed, 1);
}

Tensor dropout2d(const Tensor& x, double p, bool training, uint64_t seed) {
  CROMSS_CHECK(x.dim() == 4, "dropout2d: input must be 4-D (N, C, H, W), got {}", x.str());
  return dropout_impl("dropout2d", x, p, training, seed, x.size(2) * x.size(3));
}

}  // namespace cromss
