// smp 0.3.3 PSPNet (spec §7.2, DFC2020's decoder): ResNet encoder of depth 3 (stem, layer1,
// layer2; layer3/layer4 keep their parameters but never run), so the decoder sees the stride-8
// map (512 channels for ResNet-50). Pyramid pooling: adaptive average pooling to 1, 2, 3 and 6,
// each a Conv2dReLU 1x1 to C/4 (with BN, except the 1x1 branch: conv with bias, no BN), bilinear
// back (align_corners=True), concatenated with the input (2C); Conv2dReLU 1x1 -> 512;
// Dropout2d(0.2); head 3x3 conv -> classes and bilinear x8 (align_corners=True).
// Keys: decoder.psp.blocks.{i}.pool.1.{0,1}.*, decoder.conv.{0,1}.*, segmentation_head.0.*.
// Init: smp initialize_decoder / initialize_head.
#pragma once

#include <string>
#include <vector>

#include "layers/dropout.h"
#include "models/segmentation_model.h"
#include "models/unet_decoder.h"

namespace cromss {

class PSPDecoder : public Module {
 public:
  static constexpr int64_t kOutChannels = 512;
  static constexpr double kDropout = 0.2;
  explicit PSPDecoder(int64_t in_channels);
  Tensor forward(const Tensor& x);

 private:
  std::vector<Sequential*> pools_;
  Module& psp_;
  Sequential& conv_;
  Dropout& dropout_;
};

class PSPNet : public SegmentationModel {
 public:
  static constexpr int kEncoderDepth = 3;
  PSPNet(const std::string& model_type, int64_t in_channels, int64_t classes);
  Tensor forward(const Tensor& x) override;
  ResNetEncoder& encoder() override { return encoder_; }
  int64_t input_stride() override { return encoder_.output_stride(); }

 private:
  ResNetEncoder& encoder_;
  PSPDecoder& decoder_;
  SegmentationHead& head_;
};

}  // namespace cromss
