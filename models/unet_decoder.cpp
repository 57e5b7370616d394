// smp U-Net decoder and segmentation head (see unet_decoder.h).
#include "models/unet_decoder.h"

#include "engine/ops/concat.h"
#include "engine/ops/resize.h"

namespace cromss {

namespace {

std::unique_ptr<Sequential> conv_bn_relu(int64_t in, int64_t out) {
  auto seq = std::make_unique<Sequential>();
  Conv2d& conv = seq->add(std::make_unique<Conv2d>(in, out, 3, 1, 1));
  conv.set_init("weight", {Init::Kind::kaiming_uniform_fan_in_relu, conv.fan_in(), conv.fan_out()});
  seq->add(std::make_unique<BatchNorm2d>(out));
  seq->add(std::make_unique<ReLU>());
  return seq;
}

}  // namespace

UnetDecoderBlock::UnetDecoderBlock(int64_t in, int64_t skip, int64_t out)
    : skip_channels_(skip),
      conv1_(add_child("conv1", conv_bn_relu(in + skip, out))),
      conv2_(add_child("conv2", conv_bn_relu(out, out))) {}

Tensor UnetDecoderBlock::forward(const Tensor& x, const Tensor& skip) {
  Tensor y = upsample_nearest2x(x);
  if (skip_channels_ > 0) {
    CROMSS_CHECK(skip.defined() && skip.dim() == 4 && skip.size(1) == skip_channels_ &&
                     skip.size(2) == y.size(2) && skip.size(3) == y.size(3),
                 "U-Net decoder block: skip feature {} does not fit upsampled {} with {} channels",
                 skip.str(), y.str(), skip_channels_);
    y = concat({y, skip}, 1);
  }
  return conv2_.forward(conv1_.forward(y));
}

UnetDecoder::UnetDecoder(const std::vector<int64_t>& encoder_channels,
                         const std::vector<int64_t>& decoder_channels) {
  CROMSS_CHECK(encoder_channels.size() == 6 && decoder_channels.size() == 5,
               "U-Net decoder: expected 6 encoder channel counts and 5 decoder channels");
  // smp: drop the input's entry, reverse; head = deepest feature, skips = the rest, last block
  // none.
  std::vector<int64_t> enc(encoder_channels.rbegin(), encoder_channels.rend() - 1);
  auto& list = add_child("blocks", std::make_unique<ModuleList>());
  int64_t in = enc[0];
  for (size_t i = 0; i < decoder_channels.size(); ++i) {
    int64_t skip = i + 1 < enc.size() ? enc[i + 1] : 0;
    blocks_.push_back(&list.add_child(
        std::to_string(i), std::make_unique<UnetDecoderBlock>(in, skip, decoder_channels[i])));
    in = decoder_channels[i];
  }
  out_channels_ = decoder_channels.back();
}

Tensor UnetDecoder::forward(const std::vector<Tensor>& features) {
  CROMSS_CHECK(features.size() == 6, "U-Net decoder: expected [x, f1..f5], got {} features",
               features.size());
  Tensor x = features[5];  // center: identity
  for (size_t i = 0; i < blocks_.size(); ++i) {
    Tensor skip = i < 4 ? features[4 - i] : Tensor();
    x = blocks_[i]->forward(x, skip);
  }
  return x;
}

SegmentationHead::SegmentationHead(int64_t in_channels, int64_t classes, int64_t kernel,
                                   int64_t upsampling) {
  Conv2d& conv = add(std::make_unique<Conv2d>(in_channels, classes, kernel, 1, kernel / 2, true));
  conv.set_init("weight", {Init::Kind::xavier_uniform, conv.fan_in(), conv.fan_out()});
  conv.set_init("bias", {Init::Kind::zeros});
  if (upsampling > 1) add(std::make_unique<UpsamplingBilinear2d>(upsampling));
}

}  // namespace cromss
