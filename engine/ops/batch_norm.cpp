// batch_norm2d: device dispatch and backward (see batch_norm.h). Statistics, affine parameters
// and their gradients are in the parameter dtype (f32, or f64 for f64 x); the kernels accumulate
// in that type or wider.
#include "engine/ops/batch_norm.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/batch_norm.h"

namespace cromss {
namespace {

DType param_dtype_for(DType x) {
  return x == DType::f64 ? DType::f64 : DType::f32;
}

void check_param(const Tensor& p, const char* what, const Tensor& x, bool optional) {
  if (optional && !p.defined()) return;
  const DType want = param_dtype_for(x.dtype());
  CROMSS_CHECK(p.defined(), "batch_norm2d: {} is required", what);
  CROMSS_CHECK(p.dim() == 1 && p.size(0) == x.size(1) && p.dtype() == want &&
                   p.device() == x.device() && p.is_contiguous(),
               "batch_norm2d: {} must be a contiguous {}[{}] on {}, got {}", what, dtype_name(want),
               x.size(1), x.device().str(), p.str());
}

struct Dims {
  int64_t n, c, hw;
};

// Per-channel sums of dy and dy * xhat, then the input gradient; weight/bias gradients are the
// sums themselves.
std::vector<Tensor> batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight,
                                        const Tensor& mean, const Tensor& var, double eps,
                                        bool training, Dims d, const std::vector<bool>& needs) {
  const DType pt = mean.dtype();
  Tensor sum_g = Tensor::empty({d.c}, pt, x.device());
  Tensor sum_g_xhat = Tensor::empty({d.c}, pt, x.device());
  Tensor gx = needs[0] ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  dispatch(kernels::batch_norm_channel_sums, x.device(), g.raw_data(), x.raw_data(),
           mean.raw_data(), var.raw_data(), eps, x.dtype(), d.n, d.c, d.hw, sum_g.raw_data(),
           sum_g_xhat.raw_data());
  if (needs[0])
    dispatch(kernels::batch_norm_backward_x, x.device(), g.raw_data(), x.raw_data(),
             mean.raw_data(), var.raw_data(), weight.defined() ? weight.raw_data() : nullptr,
             sum_g.raw_data(), sum_g_xhat.raw_data(), eps, training, x.dtype(), d.n, d.c, d.hw,
             gx.raw_data());
  return {gx, needs[1] ? sum_g_xhat : Tensor(), needs[2] ? sum_g : Tensor()};
}

}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum, double eps) {
  check_float_inputs("batch_norm2d", {&x});
  check_dim("batch_norm2d", x, 4, "x (NCHW)");
  check_param(weight, "weight", x, true);
  check_param(bias, "bias", x, true);
  check_param(running_mean, "running_mean", x, training);
  check_param(running_var, "running_var", x, training);
  CROMSS_CHECK(running_mean.defined() == running_var.defined(),
               "batch_norm2d: pass both running_mean and running_var or neither");
  const Dims d{x.size(0), x.size(1), x.size(2) * x.size(3)};
  const int64_t count = d.n * d.hw;
  CROMSS_CHECK(!training || count > 1,
               "batch_norm2d: training needs more than one value per channel, got {}", x.str());
  const DType pt = param_dtype_for(x.dtype());

  // mean / var: the statistics used for normalisation (batch stats, or running stats in eval).
  Tensor mean, var;
  if (training) {
    mean = Tensor::empty({d.c}, pt, x.device());
    var = Tensor::empty({d.c}, pt, x.device());
  } else {
    mean = running_mean.clone();
    var = running_var.clone();
  }
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (training) {
    dispatch(kernels::batch_norm_stats, x.device(), x.raw_data(), x.dtype(), d.n, d.c, d.hw,
             mean.raw_data(), var.raw_data());
    if (running_mean.defined())
      dispatch(kernels::batch_norm_update_running, x.device(), mean.raw_data(), var.raw_data(),
               x.dtype(), d.c, count, momentum, running_mean.raw_data(), running_var.raw_data());
  }
  dispatch(kernels::batch_norm_forward, x.device(), x.raw_data(), mean.raw_data(), var.raw_data(),
           weight.defined() ? weight.raw_data() : nullptr,
           bias.defined() ? bias.raw_data() : nullptr, eps, x.dtype(), d.n, d.c, d.hw,
           y.raw_data());

  if (any_requires_grad({&x, &weight, &bias})) {
    Tensor sx = x.detach(), sw = weight.defined() ? weight.detach() : Tensor();
    record_op("batch_norm2d", y, {&x, &weight, &bias},
              [sx, sw, mean, var, eps, training, d](
                  const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return batch_norm_backward(g.contiguous(), sx, sw, mean, var, eps, training, d,
                                           needs);
              });
  }
  return y;
}

}  // namespace cromss
