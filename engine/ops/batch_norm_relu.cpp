// batch_norm_relu: device dispatch and backward (see batch_norm_relu.h), for NCHW and NHWC x (the
// residual in x's format). The forward's output y is kept for the backward: the ReLU mask is
// y > 0. y and the input gradients are written in x's format.
#include "engine/ops/batch_norm_relu.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/batch_norm_statistics.h"
#include "engine/ops/op_checks.h"
#include "kernels/batch_norm_relu.h"

namespace cromss {
namespace {

// Gradients of x, weight, bias and residual from the output gradient g.
std::vector<Tensor> batch_norm_relu_backward(const Tensor& g, const Tensor& y, const Tensor& x,
                                             const Tensor& weight, const BatchNormStatistics& st,
                                             double eps, bool training,
                                             const std::vector<bool>& needs) {
  const DType pt = st.mean.dtype();
  Tensor sum_g = Tensor::empty({st.c}, pt, x.device());
  Tensor sum_g_xhat = Tensor::empty({st.c}, pt, x.device());
  dispatch(kernels::batch_norm_relu_channel_sums, x.device(), g.raw_data(), y.raw_data(),
           x.raw_data(), st.mean.raw_data(), st.var.raw_data(), eps, x.dtype(), st.view,
           sum_g.raw_data(), sum_g_xhat.raw_data());
  Tensor gx, gr;
  if (needs[0] || needs[3]) {
    gx = Tensor::empty_like(x);
    if (needs[3]) gr = Tensor::empty_like(x);
    dispatch(kernels::batch_norm_relu_backward_x, x.device(), g.raw_data(), y.raw_data(),
             x.raw_data(), st.mean.raw_data(), st.var.raw_data(),
             weight.defined() ? weight.raw_data() : nullptr, sum_g.raw_data(),
             sum_g_xhat.raw_data(), eps, training, x.dtype(), st.view, gx.raw_data(),
             gr.defined() ? gr.raw_data() : nullptr);
  }
  return {needs[0] ? gx : Tensor(), needs[1] ? sum_g_xhat : Tensor(), needs[2] ? sum_g : Tensor(),
          gr};
}

}  // namespace

Tensor batch_norm_relu_apply(const char* op, const Tensor& x, const Tensor& weight,
                             const Tensor& bias, const BatchNormStatistics& st, bool training,
                             const Tensor& residual, double eps) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), st.format);
  dispatch(kernels::batch_norm_relu_forward, x.device(), x.raw_data(),
           residual.defined() ? residual.raw_data() : nullptr, st.mean.raw_data(),
           st.var.raw_data(), weight.defined() ? weight.raw_data() : nullptr,
           bias.defined() ? bias.raw_data() : nullptr, eps, x.dtype(), st.view, y.raw_data());

  if (any_requires_grad({&x, &weight, &bias, &residual})) {
    Tensor sy = y.detach(), sx = x.detach(), sw = weight.defined() ? weight.detach() : Tensor();
    record_op(op, y, {&x, &weight, &bias, &residual},
              [sy, sx, sw, st, eps, training](
                  const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return batch_norm_relu_backward(g.contiguous(st.format), sy, sx, sw, st, eps,
                                                training, needs);
              });
  }
  return y;
}

void check_residual(const char* op, const Tensor& x, const Tensor& residual) {
  if (!residual.defined()) return;
  check_float_activations(op, {&x, &residual});
  check_same_shape(op, x, residual);
}

Tensor batch_norm_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       Tensor& running_mean, Tensor& running_var, bool training,
                       const Tensor& residual, double momentum, double eps) {
  const char* op = residual.defined() ? "batch_norm_add_relu" : "batch_norm_relu";
  check_residual(op, x, residual);
  const BatchNormStatistics st =
      batch_norm_statistics(op, x, weight, bias, running_mean, running_var, training, momentum);
  return batch_norm_relu_apply(op, x, weight, bias, st, training, residual, eps);
}

}  // namespace cromss
