// smp.Unet with a ResNet encoder (method-spec.md §1.1, §1.5): encoder, decoder, segmentation_head;
// raw logits (N, classes, H, W). Like smp's check_input_shape, H and W must be multiples of the
// encoder's output stride 32.
#pragma once

#include <string>

#include "models/resnet.h"
#include "models/segmentation_model.h"
#include "models/unet_decoder.h"

namespace cromss {

constexpr int64_t kEncoderOutputStride = 32;

// ValueError naming `what` unless x is NCHW with `channels` channels and H, W divisible by 32.
void check_unet_input(const Tensor& x, int64_t channels, const std::string& what);

// Initialises a freshly built model the way smp/torch do (method-spec.md §1.1), reproducibly from
// `seed`. Every parameter draws from its own counter-based stream keyed by (seed, state_dict key).
void initialize_model(Module& model, uint64_t seed);

class Unet : public SegmentationModel {
 public:
  Unet(const std::string& model_type, int64_t in_channels, int64_t classes);
  Tensor forward(const Tensor& x) override;
  ResNetEncoder& encoder() override { return encoder_; }
  int64_t input_stride() override { return kEncoderOutputStride; }
  UnetDecoder& decoder() { return decoder_; }
  SegmentationHead& segmentation_head() { return head_; }

 private:
  ResNetEncoder& encoder_;
  UnetDecoder& decoder_;
  SegmentationHead& head_;
};

}  // namespace cromss
