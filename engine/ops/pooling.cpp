// Pooling ops: argument checks, device dispatch and backward (see pooling.h). max_pool2d saves
// the argmax indices of its forward pass; the backward routes each output gradient there.
// adaptive_avg_pool2d's backward spreads each output gradient evenly over its bin. Both serve
// nchw and nhwc inputs; outputs, indices and input gradients are in the input's format.
#include "engine/ops/pooling.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/pooling.h"

namespace cromss {
namespace {

PoolGeometry plane_geometry(const char* op, const Tensor& x) {
  check_dim(op, x, 4, "input (N, C, H, W)");
  PoolGeometry g;
  g.format = check_float_activations(op, {&x});
  g.n = x.size(0), g.c = x.size(1), g.h = x.size(2), g.w = x.size(3);
  return g;
}

// A zero input gradient (the output was empty) in the input's format.
Tensor zeros_in(const Shape& shape, const Tensor& like, MemoryFormat format) {
  return Tensor::zeros(shape, like.dtype(), like.device()).contiguous(format);
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  PoolGeometry g = plane_geometry("max_pool2d", x);
  CROMSS_CHECK(kernel >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel,
               "max_pool2d: expected kernel >= 1, stride >= 1 and 0 <= padding <= kernel/2, got "
               "kernel {}, stride {}, padding {}",
               kernel, stride, padding);
  g.kernel = kernel, g.stride = stride, g.pad = padding;
  g.oh = max_pool_output_size(g.h, kernel, stride, padding);
  g.ow = max_pool_output_size(g.w, kernel, stride, padding);
  CROMSS_CHECK(g.oh >= 1 && g.ow >= 1, "max_pool2d: input {} is smaller than kernel {}", x.str(),
               kernel);
  Tensor y = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device(), g.format);
  Tensor indices = Tensor::empty(y.shape(), DType::i64, x.device(), g.format);
  if (y.numel() > 0) {
    dispatch(kernels::max_pool2d_forward, x.device(), g, x.raw_data(), y.raw_data(),
             indices.data<int64_t>(), x.dtype());
  }
  if (any_requires_grad({&x})) {
    record_op("max_pool2d", y, {&x},
              [g, indices](const Tensor& gy, const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor grad_y = gy.contiguous(g.format);
                const Shape shape{g.n, g.c, g.h, g.w};
                if (grad_y.numel() == 0) return {zeros_in(shape, gy, g.format)};
                Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device(), g.format);
                dispatch(kernels::max_pool2d_backward, gy.device(), g, grad_y.raw_data(),
                         indices.data<int64_t>(), gx.raw_data(), gy.dtype());
                return {gx};
              });
  }
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  PoolGeometry g = plane_geometry("adaptive_avg_pool2d", x);
  CROMSS_CHECK(out_h >= 1 && out_w >= 1 && g.h >= 1 && g.w >= 1,
               "adaptive_avg_pool2d: output size must be >= 1 and the input non-empty, got "
               "output {}x{} for input {}",
               out_h, out_w, x.str());
  g.oh = out_h, g.ow = out_w;
  Tensor y = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device(), g.format);
  if (y.numel() > 0) {
    dispatch(kernels::adaptive_avg_pool2d_forward, x.device(), g, x.raw_data(), y.raw_data(),
             x.dtype());
  }
  if (any_requires_grad({&x})) {
    record_op("adaptive_avg_pool2d", y, {&x},
              [g](const Tensor& gy, const std::vector<bool>&) -> std::vector<Tensor> {
                Tensor grad_y = gy.contiguous(g.format);
                const Shape shape{g.n, g.c, g.h, g.w};
                if (grad_y.numel() == 0) return {zeros_in(shape, gy, g.format)};
                Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device(), g.format);
                dispatch(kernels::adaptive_avg_pool2d_backward, gy.device(), g, grad_y.raw_data(),
                         gx.raw_data(), gy.dtype());
                return {gx};
              });
  }
  return y;
}

}  // namespace cromss
