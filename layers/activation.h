// Parameter-free layers: ReLU, Identity, MaxPool2d, AdaptiveAvgPool2d and bilinear upsampling by
// an integer factor (torch.nn semantics, engine/ops). They hold no state, so in a Sequential they
// only take their index, as in torch (smp's Conv2dReLU without BN keeps "1" for the Identity).
#pragma once

#include "engine/ops/elementwise.h"
#include "engine/ops/pooling.h"
#include "engine/ops/resize.h"
#include "layers/module.h"

namespace cromss {

class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};

class Identity : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};

class MaxPool2d : public Layer {
 public:
  MaxPool2d(int64_t kernel, int64_t stride, int64_t padding)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_, padding_); }

 private:
  int64_t kernel_, stride_, padding_;
};

class AdaptiveAvgPool2d : public Layer {
 public:
  explicit AdaptiveAvgPool2d(int64_t size) : size_(size) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, size_, size_); }

 private:
  int64_t size_;
};

// torch.nn.UpsamplingBilinear2d(scale_factor): bilinear with align_corners=True.
class UpsamplingBilinear2d : public Layer {
 public:
  explicit UpsamplingBilinear2d(int64_t scale) : scale_(scale) {}
  Tensor forward(const Tensor& x) override {
    return resize_bilinear(x, x.size(2) * scale_, x.size(3) * scale_, /*align_corners=*/true);
  }

 private:
  int64_t scale_;
};

}  // namespace cromss
