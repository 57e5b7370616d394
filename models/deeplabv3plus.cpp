// smp DeepLabV3+ (see deeplabv3plus.h).
#include "models/deeplabv3plus.h"

#include "engine/ops/concat.h"
#include "engine/ops/resize.h"
#include "layers/dropout.h"
#include "models/smp_blocks.h"

namespace cromss {

namespace {

constexpr int64_t kRates[3] = {12, 24, 36};

// Sequential(layer, BatchNorm2d, ReLU) with `layer` at index 0.
template <class L>
std::unique_ptr<Sequential> then_bn_relu(std::unique_ptr<L> layer, int64_t channels) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::move(layer));
  seq->add(std::make_unique<BatchNorm2d>(channels));
  seq->add(std::make_unique<ReLU>());
  return seq;
}

// smp ASPPPooling: Sequential(AdaptiveAvgPool2d(1), conv 1x1, BN, ReLU), then bilinear back to
// the input's size (align_corners=False).
class ASPPPooling : public Sequential {
 public:
  ASPPPooling(int64_t in, int64_t out) {
    add(std::make_unique<AdaptiveAvgPool2d>(1));
    add(std::make_unique<Conv2d>(in, out, 1));
    add(std::make_unique<BatchNorm2d>(out));
    add(std::make_unique<ReLU>());
  }
  Tensor forward(const Tensor& x) override {
    return resize_bilinear(Sequential::forward(x), x.size(2), x.size(3), false);
  }
};

// smp ASPP (separable=True): children "convs" (5 branches) and "project".
class ASPP : public Layer {
 public:
  ASPP(int64_t in, int64_t out)
      : convs_(add_child("convs", std::make_unique<ModuleList>())),
        project_(
            add_child("project", then_bn_relu(std::make_unique<Conv2d>(5 * out, out, 1), out))) {
    project_.add(std::make_unique<Dropout>(0.5, /*channelwise=*/false));
    branches_.push_back(&convs_.append(then_bn_relu(std::make_unique<Conv2d>(in, out, 1), out)));
    for (int64_t rate : kRates)
      branches_.push_back(
          &convs_.append(then_bn_relu(separable_conv2d(in, out, 3, rate, rate, false), out)));
    branches_.push_back(&convs_.append(std::make_unique<ASPPPooling>(in, out)));
  }
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> res;
    for (Layer* branch : branches_) res.push_back(branch->forward(x));
    return project_.forward(concat(res, 1));
  }

 private:
  ModuleList& convs_;
  Sequential& project_;
  std::vector<Layer*> branches_;
};

std::unique_ptr<Sequential> aspp_stage(int64_t in, int64_t out) {
  auto seq = std::make_unique<Sequential>();
  seq->add(std::make_unique<ASPP>(in, out));
  seq->add(separable_conv2d(out, out, 3, 1, 1, false));
  seq->add(std::make_unique<BatchNorm2d>(out));
  seq->add(std::make_unique<ReLU>());
  return seq;
}

}  // namespace

DeepLabV3PlusDecoder::DeepLabV3PlusDecoder(const std::vector<int64_t>& enc)
    : aspp_(add_child("aspp", aspp_stage(enc.back(), kOutChannels))),
      block1_(add_child(
          "block1", then_bn_relu(std::make_unique<Conv2d>(enc[enc.size() - 4], kHighResChannels, 1),
                                 kHighResChannels))),
      block2_(add_child("block2", then_bn_relu(separable_conv2d(kHighResChannels + kOutChannels,
                                                                kOutChannels, 3, 1, 1, false),
                                               kOutChannels))) {
  CROMSS_CHECK(enc.size() == 6, "DeepLabV3+ decoder: expected 6 encoder channel counts, got {}",
               enc.size());
}

Tensor DeepLabV3PlusDecoder::forward(const std::vector<Tensor>& features) {
  CROMSS_CHECK(features.size() == 6, "DeepLabV3+ decoder: expected [x, f1..f5], got {} features",
               features.size());
  Tensor aspp = aspp_.forward(features[5]);
  // smp: UpsamplingBilinear2d(scale_factor=4) for output stride 16.
  aspp = resize_bilinear(aspp, aspp.size(2) * 4, aspp.size(3) * 4, /*align_corners=*/true);
  Tensor high_res = block1_.forward(features[2]);
  return block2_.forward(concat({aspp, high_res}, 1));
}

DeepLabV3Plus::DeepLabV3Plus(const std::string& model_type, int64_t in_channels, int64_t classes)
    : encoder_(add_child(
          "encoder", std::make_unique<ResNetEncoder>(model_type, in_channels, 5, kOutputStride))),
      decoder_(
          add_child("decoder", std::make_unique<DeepLabV3PlusDecoder>(encoder_.out_channels()))),
      head_(add_child("segmentation_head",
                      std::make_unique<SegmentationHead>(DeepLabV3PlusDecoder::kOutChannels,
                                                         classes, 1, /*upsampling=*/4))) {
  torch_default_init(head_);
}

Tensor DeepLabV3Plus::forward(const Tensor& x) {
  check_model_input(x, encoder_.in_channels(), input_stride(), "DeepLabV3+ input");
  return leave(head_.forward(decoder_.forward(encoder_.forward(enter(x)))));
}

}  // namespace cromss
