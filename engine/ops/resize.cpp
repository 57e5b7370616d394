// Resize ops: device dispatch and backward (see resize.h); nchw and nhwc inputs, outputs and
// input gradients in the input's format.
#include "engine/ops/resize.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/resize.h"

namespace cromss {
namespace {

// The planes of x (N, C, H, W) in x's format, checked as an activation of `op`.
DensePlanes planes_of(const char* op, const Tensor& x) {
  check_dim(op, x, 4, "x (N, C, H, W)");
  const MemoryFormat format = check_float_activations(op, {&x});
  return {format, x.size(0), x.size(1), x.size(2), x.size(3)};
}

Tensor empty_planes(const DensePlanes& p, const Tensor& like) {
  return Tensor::empty({p.n, p.c, p.h, p.w}, like.dtype(), like.device(), p.format);
}

}  // namespace

Tensor upsample_nearest2x(const Tensor& x) {
  const DensePlanes in = planes_of("upsample_nearest2x", x);
  Tensor y = empty_planes(in.resized(2 * in.h, 2 * in.w), x);
  dispatch(kernels::upsample_nearest2x_forward, x.device(), x.raw_data(), x.dtype(), in,
           y.raw_data());
  if (any_requires_grad({&x})) {
    record_op("upsample_nearest2x", y, {&x},
              [in](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gy = g.contiguous(in.format);
                Tensor gx = empty_planes(in, gy);
                dispatch(kernels::upsample_nearest2x_backward, gy.device(), gy.raw_data(),
                         gy.dtype(), in, gx.raw_data());
                return {gx};
              });
  }
  return y;
}

Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners) {
  const DensePlanes in = planes_of("resize_bilinear", x);
  CROMSS_CHECK(out_h > 0 && out_w > 0 && in.h > 0 && in.w > 0,
               "resize_bilinear: sizes must be positive, got {} -> {}x{}", x.str(), out_h, out_w);
  Tensor y = empty_planes(in.resized(out_h, out_w), x);
  dispatch(kernels::resize_bilinear_forward, x.device(), x.raw_data(), x.dtype(), in, out_h, out_w,
           align_corners, y.raw_data());
  if (any_requires_grad({&x})) {
    record_op("resize_bilinear", y, {&x},
              [in, out_h, out_w, align_corners](const Tensor& g,
                                                const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor gy = g.contiguous(in.format);
                Tensor gx = empty_planes(in, gy);
                dispatch(kernels::resize_bilinear_backward, gy.device(), gy.raw_data(), gy.dtype(),
                         in, out_h, out_w, align_corners, gx.raw_data());
                return {gx};
              });
  }
  return y;
}

}  // namespace cromss
