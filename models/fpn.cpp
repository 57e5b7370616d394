// smp FPN (see fpn.h).
#include "models/fpn.h"

#include "engine/ops/elementwise.h"
#include "engine/ops/resize.h"
#include "layers/group_norm.h"
#include "models/smp_blocks.h"

namespace cromss {

namespace {

// smp Conv3x3GNReLU: child "block" = Sequential(conv 3x3, GroupNorm, ReLU), then bilinear x2.
class Conv3x3GNReLU : public Layer {
 public:
  Conv3x3GNReLU(int64_t in, int64_t out, bool upsample)
      : upsample_(upsample), block_(add_child("block", std::make_unique<Sequential>())) {
    block_.add(std::make_unique<Conv2d>(in, out, 3, 1, 1));
    block_.add(std::make_unique<GroupNorm>(FPNDecoder::kGroups, out));
    block_.add(std::make_unique<ReLU>());
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = block_.forward(x);
    return upsample_ ? resize_bilinear(y, y.size(2) * 2, y.size(3) * 2, /*align_corners=*/true) : y;
  }

 private:
  bool upsample_;
  Sequential& block_;
};

// smp FPNBlock: its only child "skip_conv".
class FPNBlock : public Module {
 public:
  FPNBlock(int64_t pyramid, int64_t skip)
      : skip_conv_(add_child("skip_conv", std::make_unique<Conv2d>(skip, pyramid, 1, 1, 0, true))) {
  }
  Conv2d& skip_conv() { return skip_conv_; }

 private:
  Conv2d& skip_conv_;
};

// smp SegmentationBlock: child "block" = Sequential of max(1, n_upsamples) Conv3x3GNReLU.
class SegmentationBlock : public Module {
 public:
  SegmentationBlock(int64_t in, int64_t out, int n_upsamples)
      : block_(add_child("block", std::make_unique<Sequential>())) {
    block_.add(std::make_unique<Conv3x3GNReLU>(in, out, n_upsamples > 0));
    for (int i = 1; i < n_upsamples; ++i)
      block_.add(std::make_unique<Conv3x3GNReLU>(out, out, true));
  }
  Sequential& block() { return block_; }

 private:
  Sequential& block_;
};

}  // namespace

FPNDecoder::FPNDecoder(const std::vector<int64_t>& enc)
    : p5_(add_child("p5", std::make_unique<Conv2d>(enc.back(), kPyramidChannels, 1, 1, 0, true))) {
  CROMSS_CHECK(enc.size() == 6, "FPN decoder: expected 6 encoder channel counts, got {}",
               enc.size());
  const std::pair<const char*, size_t> levels[3] = {{"p4", 4}, {"p3", 3}, {"p2", 2}};
  for (const auto& [name, level] : levels)
    skip_convs_.push_back(
        &add_child(name, std::make_unique<FPNBlock>(kPyramidChannels, enc[level])).skip_conv());
  auto& list = add_child("seg_blocks", std::make_unique<ModuleList>());
  for (int n_upsamples : {3, 2, 1, 0})
    seg_blocks_.push_back(&list.append(std::make_unique<SegmentationBlock>(
                                           kPyramidChannels, kSegmentationChannels, n_upsamples))
                               .block());
  dropout_ = &add_child("dropout", std::make_unique<Dropout>(kDropout, /*channelwise=*/true));
  smp_initialize_decoder(*this);
}

Tensor FPNDecoder::forward(const std::vector<Tensor>& features) {
  CROMSS_CHECK(features.size() == 6, "FPN decoder: expected [x, f1..f5], got {} features",
               features.size());
  std::vector<Tensor> pyramid{p5_.forward(features[5])};
  for (size_t i = 0; i < skip_convs_.size(); ++i)  // p4 from c4, p3 from c3, p2 from c2
    pyramid.push_back(
        add(upsample_nearest2x(pyramid.back()), skip_convs_[i]->forward(features[4 - i])));
  Tensor merged;
  for (size_t i = 0; i < seg_blocks_.size(); ++i) {
    Tensor y = seg_blocks_[i]->forward(pyramid[i]);
    merged = merged.defined() ? add(merged, y) : y;
  }
  return dropout_->forward(merged);
}

FPN::FPN(const std::string& model_type, int64_t in_channels, int64_t classes)
    : encoder_(add_child("encoder", std::make_unique<ResNetEncoder>(model_type, in_channels))),
      decoder_(add_child("decoder", std::make_unique<FPNDecoder>(encoder_.out_channels()))),
      head_(add_child("segmentation_head",
                      std::make_unique<SegmentationHead>(FPNDecoder::kSegmentationChannels, classes,
                                                         1, /*upsampling=*/4))) {}

Tensor FPN::forward(const Tensor& x) {
  check_model_input(x, encoder_.in_channels(), input_stride(), "FPN input");
  return leave(head_.forward(decoder_.forward(encoder_.forward(enter(x)))));
}

}  // namespace cromss
