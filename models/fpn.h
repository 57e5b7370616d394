// smp 0.3.3 FPN (spec §7.2, SSL4EO-S12@OSM's decoder): ResNet encoder of depth 5. Top-down path:
// P5 = 1x1 conv(C5 -> 256, bias); P4, P3, P2 = nearest x2 of the level above + 1x1 conv of C4, C3,
// C2 (layer1). Segmentation blocks (Conv3x3 no bias + GroupNorm(32) + ReLU, then bilinear x2 with
// align_corners=True while upsampling remains): 3 stages from P5, 2 from P4, 1 from P3 and one
// without upsampling from P2; merged by sum (128 channels, stride 4); Dropout2d(0.2); head 1x1
// conv -> classes and bilinear x4 (align_corners=True).
// Keys: decoder.p5.*, decoder.p{4,3,2}.skip_conv.*, decoder.seg_blocks.{i}.block.{j}.block.{0,1}.*,
// segmentation_head.0.*. Init: smp initialize_decoder / initialize_head (GroupNorm stays 1/0).
#pragma once

#include <string>
#include <vector>

#include "layers/dropout.h"
#include "models/segmentation_model.h"
#include "models/unet_decoder.h"

namespace cromss {

class FPNDecoder : public Module {
 public:
  static constexpr int64_t kPyramidChannels = 256, kSegmentationChannels = 128, kGroups = 32;
  static constexpr double kDropout = 0.2;
  // encoder_channels: the encoder's out_channels() (C_in, f1..f5).
  explicit FPNDecoder(const std::vector<int64_t>& encoder_channels);
  Tensor forward(const std::vector<Tensor>& features);

 private:
  Conv2d& p5_;
  std::vector<Conv2d*> skip_convs_;  // p4, p3, p2
  std::vector<Sequential*> seg_blocks_;
  Dropout* dropout_ = nullptr;
};

class FPN : public SegmentationModel {
 public:
  FPN(const std::string& model_type, int64_t in_channels, int64_t classes);
  Tensor forward(const Tensor& x) override;
  ResNetEncoder& encoder() override { return encoder_; }
  int64_t input_stride() override { return encoder_.output_stride(); }

 private:
  ResNetEncoder& encoder_;
  FPNDecoder& decoder_;
  SegmentationHead& head_;
};

}  // namespace cromss
