// Parameter-free layers: ReLU and MaxPool2d (torch.nn semantics, engine/ops).
#pragma once

#include "engine/ops/elementwise.h"
#include "engine/ops/pooling.h"
#include "layers/module.h"

namespace cromss {

class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
};

class MaxPool2d : public Layer {
 public:
  MaxPool2d(int64_t kernel, int64_t stride, int64_t padding)
      : kernel_(kernel), stride_(stride), padding_(padding) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_, padding_); }

 private:
  int64_t kernel_, stride_, padding_;
};

}  // namespace cromss
