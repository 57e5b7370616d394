// Conv2d layer: torch.nn.Conv2d's parameters ("weight" (C_out, C_in/groups, k, k), optional
// "bias" (C_out)) and default init (kaiming-uniform a=sqrt(5) for the weight, U(+-1/sqrt(fan_in))
// for the bias); models override the init where torchvision/smp do (method-spec.md §1.1).
#pragma once

#include "engine/ops/conv2d.h"
#include "layers/module.h"

namespace cromss {

class Conv2d : public Layer {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         int64_t padding = 0, bool bias = false, int64_t dilation = 1, int64_t groups = 1);
  Tensor forward(const Tensor& x) override;

  Tensor& weight() { return weight_; }
  bool has_bias() const { return bias_ != nullptr; }
  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  int64_t kernel() const { return kernel_; }
  const Conv2dParams& params() const { return params_; }
  // fan_in / fan_out of the weight as torch computes them.
  int64_t fan_in() const;
  int64_t fan_out() const;

 private:
  int64_t in_channels_, out_channels_, kernel_;
  Conv2dParams params_;
  Tensor& weight_;
  Tensor* bias_ = nullptr;
};

}  // namespace cromss
