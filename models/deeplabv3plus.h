// smp 0.3.3 DeepLabV3+ (spec §7.2, SSL4EO-S12@DW's decoder): ResNet encoder with output stride
// 16 (layer4 dilated, see resnet.h). ASPP on the deepest map: 1x1 conv, three depthwise-separable
// 3x3 convs at dilation 12, 24, 36 and image pooling (global average -> 1x1 conv -> BN -> ReLU ->
// bilinear back, align_corners=False), each to 256 channels with BN + ReLU; concat (1280) ->
// 1x1 conv -> BN -> ReLU -> Dropout(0.5); separable 3x3 -> BN -> ReLU; bilinear x4
// (align_corners=True). The layer1 skip: 1x1 conv -> 48 -> BN -> ReLU; concat (304) ->
// separable 3x3 -> 256 -> BN -> ReLU. Head: 1x1 conv -> classes, bilinear x4.
// Keys: decoder.aspp.0.convs.{0..4}.*, decoder.aspp.0.project.{0,1}.*, decoder.aspp.{1,2}.*,
// decoder.block1.{0,1}.*, decoder.block2.{0,1}.*, segmentation_head.0.*.
// Init: smp 0.3.3's DeepLabV3Plus never calls initialize(): every layer keeps torch's default.
#pragma once

#include <string>

#include "models/segmentation_model.h"
#include "models/unet_decoder.h"

namespace cromss {

class DeepLabV3PlusDecoder : public Module {
 public:
  static constexpr int64_t kOutChannels = 256, kHighResChannels = 48;
  // encoder_channels: the encoder's out_channels() (C_in, f1..f5).
  explicit DeepLabV3PlusDecoder(const std::vector<int64_t>& encoder_channels);
  Tensor forward(const std::vector<Tensor>& features);

 private:
  Sequential& aspp_;
  Sequential& block1_;
  Sequential& block2_;
};

class DeepLabV3Plus : public SegmentationModel {
 public:
  static constexpr int64_t kOutputStride = 16;
  DeepLabV3Plus(const std::string& model_type, int64_t in_channels, int64_t classes);
  Tensor forward(const Tensor& x) override;
  ResNetEncoder& encoder() override { return encoder_; }
  int64_t input_stride() override { return encoder_.output_stride(); }

 private:
  ResNetEncoder& encoder_;
  DeepLabV3PlusDecoder& decoder_;
  SegmentationHead& head_;
};

}  // namespace cromss
