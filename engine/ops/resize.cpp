// Resize ops: device dispatch and backward (see resize.h).
#include "engine/ops/resize.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/resize.h"

namespace cromss {
namespace {

Tensor nearest2x_backward(const Tensor& g, const Shape& in_shape) {
  Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
  const int64_t planes = in_shape[0] * in_shape[1], h = in_shape[2], w = in_shape[3];
  dispatch(kernels::upsample_nearest2x_backward, g.device(), g.raw_data(), g.dtype(), planes, h, w,
           gx.raw_data());
  return gx;
}

Tensor bilinear_backward(const Tensor& g, const Shape& in_shape, bool align_corners) {
  Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
  const int64_t planes = in_shape[0] * in_shape[1];
  dispatch(kernels::resize_bilinear_backward, g.device(), g.raw_data(), g.dtype(), planes,
           in_shape[2], in_shape[3], g.size(2), g.size(3), align_corners, gx.raw_data());
  return gx;
}

}  // namespace

Tensor upsample_nearest2x(const Tensor& x) {
  check_float_inputs("upsample_nearest2x", {&x});
  check_dim("upsample_nearest2x", x, 4, "x (NCHW)");
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  Tensor y = Tensor::empty({x.size(0), x.size(1), 2 * h, 2 * w}, x.dtype(), x.device());
  dispatch(kernels::upsample_nearest2x_forward, x.device(), x.raw_data(), x.dtype(), planes, h, w,
           y.raw_data());
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op("upsample_nearest2x", y, {&x},
              [in_shape](const Tensor& g, const std::vector<bool>&) -> std::vector<Tensor> {
                return {nearest2x_backward(g.contiguous(), in_shape)};
              });
  }
  return y;
}

Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners) {
  check_float_inputs("resize_bilinear", {&x});
  check_dim("resize_bilinear", x, 4, "x (NCHW)");
  CROMSS_CHECK(out_h > 0 && out_w > 0 && x.size(2) > 0 && x.size(3) > 0,
               "resize_bilinear: sizes must be positive, got {} -> {}x{}", x.str(), out_h, out_w);
  const int64_t planes = x.size(0) * x.size(1);
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  dispatch(kernels::resize_bilinear_forward, x.device(), x.raw_data(), x.dtype(), planes, x.size(2),
           x.size(3), out_h, out_w, align_corners, y.raw_data());
  if (any_requires_grad({&x})) {
    Shape in_shape = x.shape();
    record_op("resize_bilinear", y, {&x},
              [in_shape, align_corners](const Tensor& g,
                                        const std::vector<bool>&) -> std::vector<Tensor> {
                return {bilinear_backward(g.contiguous(), in_shape, align_corners)};
              });
  }
  return y;
}

}  // namespace cromss
