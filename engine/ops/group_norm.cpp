// group_norm: device dispatch and backward (see group_norm.h), for NCHW and NHWC x; y and the
// input gradient are written in x's format. Per-(sample, group) statistics,
// the affine parameters and their gradients are in the parameter dtype (f32, or f64 for f64 x).
#include "engine/ops/group_norm.h"

#include "engine/autograd.h"
#include "engine/dispatch.h"
#include "engine/ops/op_checks.h"
#include "kernels/group_norm.h"

namespace cromss {
namespace {

struct Dims {
  int64_t n, c, hw, groups;
  MemoryFormat format;  // x's; y and the input gradient are written in it
};

void check_param(const Tensor& p, const char* what, const Tensor& x) {
  if (!p.defined()) return;
  const DType want = x.dtype() == DType::f64 ? DType::f64 : DType::f32;
  CROMSS_CHECK(p.dim() == 1 && p.size(0) == x.size(1) && p.dtype() == want &&
                   p.device() == x.device() && p.is_contiguous(),
               "group_norm: {} must be a contiguous {}[{}] on {}, got {}", what, dtype_name(want),
               x.size(1), x.device().str(), p.str());
}

void* raw_or_null(const Tensor& t) {
  return t.defined() ? t.raw_data() : nullptr;
}

std::vector<Tensor> group_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight,
                                        const Tensor& mean, const Tensor& var, double eps, Dims d,
                                        const std::vector<bool>& needs) {
  const DType pt = mean.dtype();
  Tensor gx = needs[0] ? Tensor::empty_like(x) : Tensor();
  Tensor gw = needs[1] ? Tensor::empty({d.c}, pt, x.device()) : Tensor();
  Tensor gb = needs[2] ? Tensor::empty({d.c}, pt, x.device()) : Tensor();
  if (needs[1] || needs[2])
    dispatch(kernels::group_norm_param_grads, x.device(), g.raw_data(), x.raw_data(),
             mean.raw_data(), var.raw_data(), eps, x.dtype(), d.n, d.c, d.hw, d.groups, d.format,
             raw_or_null(gw), raw_or_null(gb));
  if (needs[0])
    dispatch(kernels::group_norm_backward_x, x.device(), g.raw_data(), x.raw_data(),
             mean.raw_data(), var.raw_data(), raw_or_null(weight), eps, x.dtype(), d.n, d.c, d.hw,
             d.groups, d.format, gx.raw_data());
  return {gx, gw, gb};
}

}  // namespace

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const MemoryFormat format = check_float_activations("group_norm", {&x});
  CROMSS_CHECK(x.dim() >= 2, "group_norm: x must be [N, C, ...], got {}", x.str());
  CROMSS_CHECK(num_groups > 0 && x.size(1) % num_groups == 0,
               "group_norm: num_groups {} must divide the {} channels of {}", num_groups, x.size(1),
               x.str());
  check_param(weight, "weight", x);
  check_param(bias, "bias", x);
  int64_t hw = 1;
  for (int64_t k = 2; k < x.dim(); ++k) hw *= x.size(k);
  const Dims d{x.size(0), x.size(1), hw, num_groups, format};
  const DType pt = x.dtype() == DType::f64 ? DType::f64 : DType::f32;
  Tensor mean = Tensor::empty({d.n * d.groups}, pt, x.device());
  Tensor var = Tensor::empty({d.n * d.groups}, pt, x.device());
  Tensor y = Tensor::empty_like(x);
  dispatch(kernels::group_norm_stats, x.device(), x.raw_data(), x.dtype(), d.n, d.c, d.hw, d.groups,
           d.format, mean.raw_data(), var.raw_data());
  dispatch(kernels::group_norm_forward, x.device(), x.raw_data(), mean.raw_data(), var.raw_data(),
           raw_or_null(weight), raw_or_null(bias), eps, x.dtype(), d.n, d.c, d.hw, d.groups,
           d.format, y.raw_data());

  if (any_requires_grad({&x, &weight, &bias})) {
    Tensor sx = x.detach(), sw = weight.defined() ? weight.detach() : Tensor();
    record_op("group_norm", y, {&x, &weight, &bias},
              [sx, sw, mean, var, eps, d](const Tensor& g,
                                          const std::vector<bool>& needs) -> std::vector<Tensor> {
                return group_norm_backward(g.contiguous(d.format), sx, sw, mean, var, eps, d,
                                           needs);
              });
  }
  return y;
}

}  // namespace cromss
