// torchvision-layout ResNet-18/34/50 encoders as smp's ResNetEncoder builds them (method-spec.md
// §1.1): v1.5 (the stride sits on the 3x3 conv of a Bottleneck), BasicBlock for 18/34, any number
// of input channels, no avgpool/fc. forward returns [x, f1, f2, f3, f4, f5] at strides 1, 2, 4, 8,
// 16, 32. State keys: conv1, bn1, layer{1..4}.{b}.conv{1,2[,3]}, bn..., and
// layer{L}.0.downsample.{0,1} where the block changes shape.
//
// smp's encoder options used by the fine-tuning decoders (spec §7.2): `depth` 3..5 runs only the
// first stages (PSPNet: depth 3 returns [x, f1, f2, f3]; layer3/layer4 keep their parameters but
// never run), and output stride 16 (DeepLabV3+) turns layer4 into a dilated stage the way smp's
// replace_strides_with_dilation does: every conv of layer4 (downsample included) gets stride 1,
// and every 3x3 conv dilation 2 and padding 2.
//
// Init: torchvision's (convs kaiming-normal fan_out relu, BN 1/0); with C_in != 3 smp replaces
// conv1's weight by a fresh tensor and calls reset_parameters (kaiming-uniform a=sqrt(5)).
#pragma once

#include <string>
#include <vector>

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/sequential.h"

namespace cromss {

// Encoder depth by upstream's --model_type name: "resnet18", "resnet34", "resnet50".
struct ResNetSpec {
  std::string name;
  bool bottleneck;
  std::vector<int> blocks;                                 // per layer1..layer4
  static ResNetSpec parse(const std::string& model_type);  // ValueError for other names
};

class BasicBlock : public Layer {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlock(int64_t in_channels, int64_t width, int64_t stride, int64_t dilation = 1);
  Tensor forward(const Tensor& x) override;

 private:
  Conv2d& conv1_;
  BatchNorm2d& bn1_;
  Conv2d& conv2_;
  BatchNorm2d& bn2_;
  Sequential* downsample_ = nullptr;
};

class Bottleneck : public Layer {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in_channels, int64_t width, int64_t stride, int64_t dilation = 1);
  Tensor forward(const Tensor& x) override;

 private:
  Conv2d& conv1_;
  BatchNorm2d& bn1_;
  Conv2d& conv2_;
  BatchNorm2d& bn2_;
  Conv2d& conv3_;
  BatchNorm2d& bn3_;
  Sequential* downsample_ = nullptr;
};

class ResNetEncoder : public Module {
 public:
  ResNetEncoder(const std::string& model_type, int64_t in_channels, int depth = 5,
                int64_t output_stride = 32);
  // [x, f1, ..., f_depth]
  std::vector<Tensor> forward(const Tensor& x);
  // Channels of the forward outputs: (C_in, 64, 256, 512, 1024, 2048) for ResNet-50,
  // (C_in, 64, 64, 128, 256, 512) for ResNet-18/34, the first depth + 1 of them.
  const std::vector<int64_t>& out_channels() const { return out_channels_; }
  int64_t in_channels() const { return out_channels_[0]; }
  // smp's encoder.output_stride: min(output stride, 2^depth); inputs must be divisible by it.
  int64_t output_stride() const;

 private:
  Conv2d& conv1_;
  BatchNorm2d& bn1_;
  std::vector<Sequential*> layers_;
  std::vector<int64_t> out_channels_;
  int depth_;
  int64_t output_stride_;
};

}  // namespace cromss
