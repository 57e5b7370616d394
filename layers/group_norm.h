// GroupNorm layer: torch.nn.GroupNorm(num_groups, channels) with affine weight (ones) and bias
// (zeros), eps 1e-5 (FPN's segmentation blocks; smp leaves its init at torch's default).
#pragma once

#include "layers/module.h"

namespace cromss {

class GroupNorm : public Layer {
 public:
  static constexpr double kEps = 1e-5;
  GroupNorm(int64_t num_groups, int64_t channels);
  Tensor forward(const Tensor& x) override;

 private:
  int64_t num_groups_;
  Tensor& weight_;
  Tensor& bias_;
};

}  // namespace cromss
