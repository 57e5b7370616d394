// Class predictions: argmax over the class axis of (B,C,H,W) logits as u8 (B,H,W) on the logits'
// device (C <= 256), the first index of the largest value as torch.argmax. Not differentiable.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor argmax_classes(const Tensor& logits);

}  // namespace cromss
