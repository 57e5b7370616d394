// The single-input segmentation models of fine-tuning, evaluation and prediction (spec §7): smp's
// SegmentationModel layout, children "encoder" (ResNet), "decoder" and "segmentation_head", so
// state_dict keys equal smp 0.3.3's. Implemented by Unet, PSPNet, DeepLabV3Plus and FPN.
#pragma once

#include "models/network_format.h"
#include "models/resnet.h"

namespace cromss {

class SegmentationModel : public Module, public NetworkFormat {
 public:
  // Raw logits (N, classes, H, W), nchw, of an (N, C_in, H, W) input whose H and W are multiples
  // of input_stride(); the activations in between in memory_format() (NetworkFormat).
  virtual Tensor forward(const Tensor& x) = 0;
  virtual ResNetEncoder& encoder() = 0;
  virtual int64_t input_stride() = 0;
};

}  // namespace cromss
