// Differentiable spatial resizing of (N, C, H, W) activations, nchw or nhwc (the output and the
// input gradient in the input's format): nearest-neighbour x2 upsampling (U-Net decoder) and
// bilinear resize to any size with align_corners true or false (PSPNet, DeepLabV3+, FPN),
// matching torch.nn.functional.interpolate.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

Tensor upsample_nearest2x(const Tensor& x);
Tensor resize_bilinear(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners);

}  // namespace cromss
