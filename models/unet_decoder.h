// smp UnetDecoder (method-spec.md §1.1): decoder_channels (256, 128, 64, 32, 16), batchnorm on, no
// attention, center = identity. Block i: nearest x2 upsample of x, concat the skip feature (if
// any) on the channel axis, then two Conv3x3(no bias)+BN+ReLU, each an smp Conv2dReLU
// = Sequential(conv, bn, relu): keys blocks.{i}.conv{1,2}.{0,1}.*.
// Init (smp initialize_decoder): convs kaiming-uniform fan_in relu, BN 1/0.
// Also the segmentation head: Sequential(Conv2d(16 -> classes, 3x3, pad 1, bias)), keys
// segmentation_head.0.{weight,bias}, xavier-uniform weight, zero bias (smp initialize_head); the
// other decoders pass smp's kernel and upsampling factor (bilinear, align_corners=True).
#pragma once

#include <vector>

#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/sequential.h"

namespace cromss {

class UnetDecoderBlock : public Module {
 public:
  UnetDecoderBlock(int64_t in_channels, int64_t skip_channels, int64_t out_channels);
  Tensor forward(const Tensor& x, const Tensor& skip);  // skip may be undefined

 private:
  int64_t skip_channels_;
  Sequential& conv1_;
  Sequential& conv2_;
};

class UnetDecoder : public Module {
 public:
  static std::vector<int64_t> default_channels() { return {256, 128, 64, 32, 16}; }
  // encoder_channels: the encoder's out_channels() (C_in, f1..f5 channels).
  explicit UnetDecoder(const std::vector<int64_t>& encoder_channels,
                       const std::vector<int64_t>& decoder_channels = default_channels());
  // features: the encoder's [x, f1, ..., f5]; returns the stride-1 map (decoder_channels.back()).
  Tensor forward(const std::vector<Tensor>& features);
  int64_t out_channels() const { return out_channels_; }

 private:
  std::vector<UnetDecoderBlock*> blocks_;
  int64_t out_channels_;
};

class SegmentationHead : public Sequential {
 public:
  SegmentationHead(int64_t in_channels, int64_t classes, int64_t kernel = 3,
                   int64_t upsampling = 1);
};

}  // namespace cromss
