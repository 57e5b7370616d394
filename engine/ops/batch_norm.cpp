// batch_norm2d: device dispatch and backward (see batch_norm.h), for NCHW and NHWC x: the
// kernels see x through its ChannelView, y and the input gradient are written in x's format.
// Statistics, affine parameters and their gradients are in the parameter dtype (f32, or f64 for f64
// x); the kernels accumulate in that type or wider.
#include "engine/ops/batch_norm.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/batch_norm_statistics.h"
#include "engine/ops/op_checks.h"
#include "kernels/batch_norm.h"

namespace cromss {
namespace {

// Per-channel sums of dy and dy * xhat, then the input gradient; weight/bias gradients are the
// sums themselves.
std::vector<Tensor> batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight,
                                        const BatchNormStatistics& d, double eps, bool training,
                                        const std::vector<bool>& needs) {
  const Tensor &mean = d.mean, &var = d.var;
  const DType pt = mean.dtype();
  Tensor sum_g = Tensor::empty({d.c}, pt, x.device());
  Tensor sum_g_xhat = Tensor::empty({d.c}, pt, x.device());
  Tensor gx = needs[0] ? Tensor::empty_like(x) : Tensor();
  dispatch(kernels::batch_norm_channel_sums, x.device(), g.raw_data(), x.raw_data(),
           mean.raw_data(), var.raw_data(), eps, x.dtype(), d.view, sum_g.raw_data(),
           sum_g_xhat.raw_data());
  if (needs[0])
    dispatch(kernels::batch_norm_backward_x, x.device(), g.raw_data(), x.raw_data(),
             mean.raw_data(), var.raw_data(), weight.defined() ? weight.raw_data() : nullptr,
             sum_g.raw_data(), sum_g_xhat.raw_data(), eps, training, x.dtype(), d.view,
             gx.raw_data());
  return {gx, needs[1] ? sum_g_xhat : Tensor(), needs[2] ? sum_g : Tensor()};
}

void check_param(const char* op, const Tensor& p, const char* what, const Tensor& x,
                 bool optional) {
  if (optional && !p.defined()) return;
  const DType want = param_dtype_for(x.dtype());
  CROMSS_CHECK(p.defined(), "{}: {} is required", op, what);
  CROMSS_CHECK(p.dim() == 1 && p.size(0) == x.size(1) && p.dtype() == want &&
                   p.device() == x.device() && p.is_contiguous(),
               "{}: {} must be a contiguous {}[{}] on {}, got {}", op, what, dtype_name(want),
               x.size(1), x.device().str(), p.str());
}

}  // namespace

DType param_dtype_for(DType x) {
  return x == DType::f64 ? DType::f64 : DType::f32;
}

BatchNormStatistics batch_norm_layout(const char* op, const Tensor& x, const Tensor& weight,
                                      const Tensor& bias, const Tensor& running_mean,
                                      const Tensor& running_var, bool training) {
  const MemoryFormat format = check_float_activations(op, {&x});
  check_dim(op, x, 4, "x (N, C, H, W)");
  check_param(op, weight, "weight", x, true);
  check_param(op, bias, "bias", x, true);
  check_param(op, running_mean, "running_mean", x, training);
  check_param(op, running_var, "running_var", x, training);
  CROMSS_CHECK(running_mean.defined() == running_var.defined(),
               "{}: pass both running_mean and running_var or neither", op);
  BatchNormStatistics st;
  st.format = format;
  st.c = x.size(1);
  st.view = channel_view(format, x.size(0), st.c, x.size(2) * x.size(3));
  CROMSS_CHECK(!training || st.view.per_channel() > 1,
               "{}: training needs more than one value per channel, got {}", op, x.str());
  return st;
}

void update_running_statistics(const BatchNormStatistics& st, const Tensor& x, Tensor& running_mean,
                               Tensor& running_var, double momentum) {
  if (!running_mean.defined()) return;
  dispatch(kernels::batch_norm_update_running, x.device(), st.mean.raw_data(), st.var.raw_data(),
           x.dtype(), st.c, st.view.per_channel(), momentum, running_mean.raw_data(),
           running_var.raw_data());
}

BatchNormStatistics batch_norm_statistics(const char* op, const Tensor& x, const Tensor& weight,
                                          const Tensor& bias, Tensor& running_mean,
                                          Tensor& running_var, bool training, double momentum) {
  BatchNormStatistics st =
      batch_norm_layout(op, x, weight, bias, running_mean, running_var, training);
  if (!training) {
    st.mean = running_mean.clone();
    st.var = running_var.clone();
    return st;
  }
  const DType pt = param_dtype_for(x.dtype());
  st.mean = Tensor::empty({st.c}, pt, x.device());
  st.var = Tensor::empty({st.c}, pt, x.device());
  dispatch(kernels::batch_norm_stats, x.device(), x.raw_data(), x.dtype(), st.view,
           st.mean.raw_data(), st.var.raw_data());
  update_running_statistics(st, x, running_mean, running_var, momentum);
  return st;
}

Tensor batch_norm2d_apply(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const BatchNormStatistics& st, bool training, double eps) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), st.format);
  dispatch(kernels::batch_norm_forward, x.device(), x.raw_data(), st.mean.raw_data(),
           st.var.raw_data(), weight.defined() ? weight.raw_data() : nullptr,
           bias.defined() ? bias.raw_data() : nullptr, eps, x.dtype(), st.view, y.raw_data());

  if (any_requires_grad({&x, &weight, &bias})) {
    Tensor sx = x.detach(), sw = weight.defined() ? weight.detach() : Tensor();
    record_op("batch_norm2d", y, {&x, &weight, &bias},
              [sx, sw, st, eps, training](const Tensor& g,
                                          const std::vector<bool>& needs) -> std::vector<Tensor> {
                return batch_norm_backward(g.contiguous(st.format), sx, sw, st, eps, training,
                                           needs);
              });
  }
  return y;
}

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  const BatchNormStatistics st = batch_norm_statistics(
      "batch_norm2d", x, weight, bias, running_mean, running_var, training, momentum);
  return batch_norm2d_apply(x, weight, bias, st, training, eps);
}

}  // namespace cromss
