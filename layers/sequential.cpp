// Sequential's forward (see sequential.h).
#include "layers/sequential.h"

#include "layers/activation.h"
#include "layers/batch_norm2d.h"

namespace cromss {

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto* bn = dynamic_cast<BatchNorm2d*>(layers_[i]);
    if (bn != nullptr && i + 1 < layers_.size() && dynamic_cast<ReLU*>(layers_[i + 1]) != nullptr) {
      y = bn->forward_relu(y);
      ++i;  // the ReLU ran inside
      continue;
    }
    y = layers_[i]->forward(y);
  }
  return y;
}

}  // namespace cromss
