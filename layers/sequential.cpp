// Sequential's forward (see sequential.h).
#include "layers/sequential.h"

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"

namespace cromss {

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  const auto is_relu = [&](size_t i) {
    return i < layers_.size() && dynamic_cast<ReLU*>(layers_[i]) != nullptr;
  };
  const auto batch_norm_at = [&](size_t i) {
    return i < layers_.size() ? dynamic_cast<BatchNorm2d*>(layers_[i]) : nullptr;
  };
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(layers_[i]);
    if (BatchNorm2d* bn = batch_norm_at(i + 1); conv != nullptr && bn != nullptr) {
      const bool relu = is_relu(i + 2);
      y = bn->forward_conv(*conv, y, relu);
      i += relu ? 2 : 1;  // the batch norm (and the ReLU) ran inside
      continue;
    }
    if (BatchNorm2d* bn = batch_norm_at(i); bn != nullptr && is_relu(i + 1)) {
      y = bn->forward_relu(y);
      ++i;  // the ReLU ran inside
      continue;
    }
    y = layers_[i]->forward(y);
  }
  return y;
}

}  // namespace cromss
