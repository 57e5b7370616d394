// Conv2d layer (see conv2d.h).
#include "layers/conv2d.h"

namespace cromss {

namespace {
Shape weight_shape(int64_t in, int64_t out, int64_t kernel, int64_t groups) {
  CROMSS_CHECK(
      in > 0 && out > 0 && kernel > 0 && groups > 0 && in % groups == 0 && out % groups == 0,
      "Conv2d: bad configuration in={} out={} kernel={} groups={}", in, out, kernel, groups);
  return {out, in / groups, kernel, kernel};
}
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
               int64_t padding, bool bias, int64_t dilation, int64_t groups)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      params_(Conv2dParams::square(stride, padding, dilation, groups)),
      weight_(register_parameter(
          "weight", Tensor::zeros(weight_shape(in_channels, out_channels, kernel, groups)),
          Init{Init::Kind::kaiming_uniform_a_sqrt5, fan_in(), fan_out()})) {
  if (bias)
    bias_ = &register_parameter("bias", Tensor::zeros({out_channels}),
                                {Init::Kind::uniform_inv_sqrt_fan_in, fan_in(), fan_out()});
}

int64_t Conv2d::fan_in() const {
  return in_channels_ / params_.groups * kernel_ * kernel_;
}
int64_t Conv2d::fan_out() const {  // torch: weight.size(0) * kH * kW, groups do not divide it
  return out_channels_ * kernel_ * kernel_;
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight_, bias_ ? *bias_ : Tensor(), params_);
}

}  // namespace cromss
