// conv2d_batch_norm: device dispatch and the tape (see conv2d_batch_norm.h). In training the
// convolution's tape entry is conv2d's (engine/ops/conv2d_parts.h) and the normalisation's is
// batch norm's, given the statistics the convolution kernel returned.
#include "engine/ops/conv2d_batch_norm.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/batch_norm_statistics.h"
#include "engine/ops/conv2d_parts.h"
#include "kernels/conv2d_batch_norm.h"

namespace cromss {
namespace {

constexpr const char* kOp = "conv2d_batch_norm";

Tensor normalise(const Tensor& y, const Tensor& bn_weight, const Tensor& bn_bias,
                 const BatchNormStatistics& st, bool training, bool relu, const Tensor& residual,
                 double eps) {
  if (!relu) return batch_norm2d_apply(y, bn_weight, bn_bias, st, training, eps);
  return batch_norm_relu_apply(residual.defined() ? "batch_norm_add_relu" : "batch_norm_relu", y,
                               bn_weight, bn_bias, st, training, residual, eps);
}

Tensor train_step(const Conv2dGeometry& g, const Tensor& x, const Tensor& conv_weight,
                  const Tensor& bn_weight, const Tensor& bn_bias, Tensor& running_mean,
                  Tensor& running_var, bool relu, const Tensor& residual, double momentum,
                  double eps) {
  const Tensor w = conv2d_kernel_weight(g, conv_weight.detach());
  Tensor y = Tensor::empty({g.n, g.k, g.oh, g.ow}, x.dtype(), x.device(), g.format);
  check_residual(kOp, y, residual);
  BatchNormStatistics st =
      batch_norm_layout(kOp, y, bn_weight, bn_bias, running_mean, running_var, true);
  const DType pt = param_dtype_for(x.dtype());
  st.mean = Tensor::empty({g.k}, pt, x.device());
  st.var = Tensor::empty({g.k}, pt, x.device());
  dispatch(kernels::conv2d_forward_batch_stats, x.device(), g, x.raw_data(), w.raw_data(),
           y.raw_data(), st.mean.raw_data(), st.var.raw_data(), x.dtype());
  update_running_statistics(st, y, running_mean, running_var, momentum);
  record_conv2d(g, y, x, conv_weight, w, Tensor());
  return normalise(y, bn_weight, bn_bias, st, true, relu, residual, eps);
}

Tensor inference(const Conv2dGeometry& g, const Tensor& x, const Tensor& conv_weight,
                 const Tensor& bn_weight, const Tensor& bn_bias, const Tensor& running_mean,
                 const Tensor& running_var, bool relu, const Tensor& residual, double eps) {
  const Tensor w = conv2d_kernel_weight(g, conv_weight);
  Tensor y = Tensor::empty({g.n, g.k, g.oh, g.ow}, x.dtype(), x.device(), g.format);
  check_residual(kOp, y, residual);
  batch_norm_layout(kOp, y, bn_weight, bn_bias, running_mean, running_var, false);
  dispatch(kernels::conv2d_batch_norm_inference, x.device(), g, x.raw_data(), w.raw_data(),
           running_mean.raw_data(), running_var.raw_data(),
           bn_weight.defined() ? bn_weight.raw_data() : nullptr,
           bn_bias.defined() ? bn_bias.raw_data() : nullptr, eps,
           residual.defined() ? residual.raw_data() : nullptr, relu, y.raw_data(), x.dtype());
  return y;
}

}  // namespace

Tensor conv2d_batch_norm(const Tensor& x, const Tensor& conv_weight, const Conv2dParams& p,
                         const Tensor& bn_weight, const Tensor& bn_bias, Tensor& running_mean,
                         Tensor& running_var, bool training, bool relu, const Tensor& residual,
                         double momentum, double eps) {
  CROMSS_CHECK(relu || !residual.defined(), "{}: a residual is only added before a ReLU", kOp);
  const Conv2dGeometry g = conv2d_geometry(x, conv_weight, Tensor(), p);
  const bool empty = g.n * g.k * g.oh * g.ow == 0;
  if (training && !empty)
    return train_step(g, x, conv_weight, bn_weight, bn_bias, running_mean, running_var, relu,
                      residual, momentum, eps);
  if (!training && !empty &&
      !any_requires_grad({&x, &conv_weight, &bn_weight, &bn_bias, &residual}))
    return inference(g, x, conv_weight, bn_weight, bn_bias, running_mean, running_var, relu,
                     residual, eps);
  // The composed ops: an empty batch, or eval with gradients (frozen statistics).
  const Tensor y = conv2d(x, conv_weight, Tensor(), p);
  return relu ? batch_norm_relu(y, bn_weight, bn_bias, running_mean, running_var, training,
                                residual, momentum, eps)
              : batch_norm2d(y, bn_weight, bn_bias, running_mean, running_var, training, momentum,
                             eps);
}

}  // namespace cromss
