// smp 0.3.3 building blocks and init rules (see smp_blocks.h).
#include "models/smp_blocks.h"

namespace cromss {

std::unique_ptr<Sequential> conv2d_relu(int64_t in, int64_t out, int64_t kernel, int64_t padding,
                                        bool batchnorm) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::make_unique<Conv2d>(in, out, kernel, 1, padding, /*bias=*/!batchnorm));
  if (batchnorm)
    seq->add(std::make_unique<BatchNorm2d>(out));
  else
    seq->add(std::make_unique<Identity>());
  seq->add(std::make_unique<ReLU>());
  return seq;
}

std::unique_ptr<Sequential> separable_conv2d(int64_t in, int64_t out, int64_t kernel,
                                             int64_t padding, int64_t dilation, bool bias) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::make_unique<Conv2d>(in, in, kernel, 1, padding, false, dilation, /*groups=*/in));
  seq->add(std::make_unique<Conv2d>(in, out, 1, 1, 0, bias));
  return seq;
}

namespace {

template <class F>
void for_each_conv(Module& module, const F& f) {
  if (auto* conv = dynamic_cast<Conv2d*>(&module)) f(*conv);
  for (auto& [name, child] : module.named_children()) for_each_conv(*child, f);
}

}  // namespace

void smp_initialize_decoder(Module& module) {
  for_each_conv(module, [](Conv2d& c) {
    c.set_init("weight", {Init::Kind::kaiming_uniform_fan_in_relu, c.fan_in(), c.fan_out()});
    if (c.has_bias()) c.set_init("bias", {Init::Kind::zeros});
  });
}

void smp_initialize_head(Module& module) {
  for_each_conv(module, [](Conv2d& c) {
    c.set_init("weight", {Init::Kind::xavier_uniform, c.fan_in(), c.fan_out()});
    if (c.has_bias()) c.set_init("bias", {Init::Kind::zeros});
  });
}

void torch_default_init(Module& module) {
  for_each_conv(module, [](Conv2d& c) {
    c.set_init("weight", {Init::Kind::kaiming_uniform_a_sqrt5, c.fan_in(), c.fan_out()});
    if (c.has_bias())
      c.set_init("bias", {Init::Kind::uniform_inv_sqrt_fan_in, c.fan_in(), c.fan_out()});
  });
}

void check_model_input(const Tensor& x, int64_t channels, int64_t stride, const std::string& what) {
  CROMSS_CHECK(x.dim() == 4, "{}: expected an (N, C, H, W) tensor, got {}", what, x.str());
  CROMSS_CHECK(x.size(1) == channels, "{}: the model expects {} channels, got {} ({})", what,
               channels, x.size(1), x.str());
  const int64_t h = x.size(2), w = x.size(3), s = stride;
  CROMSS_CHECK(h % s == 0 && w % s == 0,
               "{}: height {} and width {} must be divisible by {} (the encoder's output stride); "
               "pad or crop to {}x{}",
               what, h, w, s, (h + s - 1) / s * s, (w + s - 1) / s * s);
}

}  // namespace cromss
