// conv2d: argument checks, device dispatch and backward (see conv2d.h). The backward computes
// only the gradients that are needed: input (GEMM + col2im / cuDNN backward data), weight
// (GEMM / cuDNN backward filter) and bias (sum of grad_y over N, H, W). With an nhwc input the
// kernels get the weight as KRSC, (K, kh, kw, C/groups) row-major, which is what
// weight.contiguous(nhwc) holds for a 4-D weight, and write grad_weight in that layout into a
// (K, C/groups, kh, kw) tensor with nhwc strides, returned as a contiguous copy: the parameter,
// its gradient, checkpoints and optimizer buffers keep one layout whatever the activations'.
#include "engine/ops/conv2d.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/conv2d_parts.h"
#include "engine/ops/op_checks.h"
#include "kernels/conv2d.h"

namespace cromss {

Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& weight, const Tensor& bias,
                               const Conv2dParams& p) {
  check_dim("conv2d", x, 4, "input (N, C, H, W)");
  const MemoryFormat format = check_float_activations("conv2d", {&x});
  check_float_inputs("conv2d", {&weight, &bias});
  CROMSS_CHECK(weight.device() == x.device() && weight.dtype() == x.dtype(),
               "conv2d: input {} and weight {} must share device and dtype", x.str(), weight.str());
  check_dim("conv2d", weight, 4, "weight (C_out, C_in/groups, kH, kW)");
  CROMSS_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1 &&
                   p.pad_h >= 0 && p.pad_w >= 0 && p.groups >= 1,
               "conv2d: expected stride >= 1, dilation >= 1, padding >= 0, groups >= 1; got "
               "stride ({}, {}), dilation ({}, {}), padding ({}, {}), groups {}",
               p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_h, p.pad_w, p.groups);
  Conv2dGeometry g;
  g.n = x.size(0), g.c = x.size(1), g.h = x.size(2), g.w = x.size(3);
  g.k = weight.size(0), g.kh = weight.size(2), g.kw = weight.size(3);
  g.stride_h = p.stride_h, g.stride_w = p.stride_w, g.pad_h = p.pad_h, g.pad_w = p.pad_w;
  g.dilation_h = p.dilation_h, g.dilation_w = p.dilation_w, g.groups = p.groups;
  g.format = format;
  CROMSS_CHECK(g.c % g.groups == 0 && g.k % g.groups == 0,
               "conv2d: groups {} must divide input channels {} and output channels {}", g.groups,
               g.c, g.k);
  CROMSS_CHECK(weight.size(1) == g.c / g.groups,
               "conv2d: weight {} expects {} input channels per group, input {} has {} / {} groups",
               weight.str(), weight.size(1), x.str(), g.c, g.groups);
  if (bias.defined())
    CROMSS_CHECK(bias.dim() == 1 && bias.size(0) == g.k, "conv2d: bias must be ({}), got {}", g.k,
                 bias.str());
  g.oh = conv_output_size(g.h, g.kh, g.stride_h, g.pad_h, g.dilation_h);
  g.ow = conv_output_size(g.w, g.kw, g.stride_w, g.pad_w, g.dilation_w);
  CROMSS_CHECK(g.oh >= 1 && g.ow >= 1,
               "conv2d: input {} is too small for kernel {}x{} (output {}x{})", x.str(), g.kh, g.kw,
               g.oh, g.ow);
  return g;
}

Tensor conv2d_kernel_weight(const Conv2dGeometry& g, const Tensor& weight) {
  return weight.contiguous(g.format);
}

namespace {

Tensor conv2d_grad_input(const Conv2dGeometry& g, const Tensor& grad_y, const Tensor& weight) {
  Tensor gx = Tensor::empty({g.n, g.c, g.h, g.w}, grad_y.dtype(), grad_y.device(), g.format);
  if (gx.numel() == 0) return gx;
  dispatch(kernels::conv2d_backward_input, grad_y.device(), g, grad_y.raw_data(), weight.raw_data(),
           gx.raw_data(), grad_y.dtype());
  return gx;
}

Tensor conv2d_grad_weight(const Conv2dGeometry& g, const Tensor& x, const Tensor& grad_y) {
  const Shape shape{g.k, g.c_per_group(), g.kh, g.kw};
  if (g.n == 0) return Tensor::zeros(shape, grad_y.dtype(), grad_y.device());
  Tensor gw = Tensor::empty(shape, grad_y.dtype(), grad_y.device(), g.format);
  dispatch(kernels::conv2d_backward_weight, grad_y.device(), g, x.raw_data(), grad_y.raw_data(),
           gw.raw_data(), grad_y.dtype());
  return gw.contiguous(MemoryFormat::nchw);
}

Tensor conv2d_grad_bias(const Conv2dGeometry& g, const Tensor& grad_y) {
  if (g.n == 0) return Tensor::zeros({g.k}, grad_y.dtype(), grad_y.device());
  Tensor gb = Tensor::empty({g.k}, grad_y.dtype(), grad_y.device());
  dispatch(kernels::conv2d_backward_bias, grad_y.device(), g, grad_y.raw_data(), gb.raw_data(),
           grad_y.dtype());
  return gb;
}

}  // namespace

void record_conv2d(const Conv2dGeometry& g, Tensor& y, const Tensor& x, const Tensor& weight,
                   const Tensor& kernel_weight, const Tensor& bias) {
  if (!any_requires_grad({&x, &weight, &bias})) return;
  Tensor sx = x.detach(), sw = kernel_weight;
  record_op("conv2d", y, {&x, &weight, &bias},
            [g, sx, sw](const Tensor& gy, const std::vector<bool>& needs) -> std::vector<Tensor> {
              Tensor grad_y = gy.contiguous(g.format);
              return {needs[0] ? conv2d_grad_input(g, grad_y, sw) : Tensor(),
                      needs[1] ? conv2d_grad_weight(g, sx, grad_y) : Tensor(),
                      needs[2] ? conv2d_grad_bias(g, grad_y) : Tensor()};
            });
}

int64_t conv_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                         int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
  const Conv2dGeometry g = conv2d_geometry(x, weight, bias, p);
  const Tensor w = conv2d_kernel_weight(g, weight.detach());
  Tensor y = Tensor::empty({g.n, g.k, g.oh, g.ow}, x.dtype(), x.device(), g.format);
  if (y.numel() > 0) {
    dispatch(kernels::conv2d_forward, x.device(), g, x.raw_data(), w.raw_data(),
             bias.defined() ? bias.raw_data() : nullptr, y.raw_data(), x.dtype());
  }
  record_conv2d(g, y, x, weight, w, bias);
  return y;
}

}  // namespace cromss
