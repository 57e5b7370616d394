// ResNet encoders (see resnet.h).
#include "models/resnet.h"

#include <algorithm>

namespace cromss {

namespace {

// torchvision's ResNet init for every conv of a block: kaiming-normal, fan_out, relu.
Conv2d& torchvision_conv(Conv2d& conv) {
  conv.set_init("weight", {Init::Kind::kaiming_normal_fan_out_relu, conv.fan_in(), conv.fan_out()});
  return conv;
}

template <class Owner>
Conv2d& add_conv(Owner& owner, const std::string& name, int64_t in, int64_t out, int64_t kernel,
                 int64_t stride, int64_t dilation = 1) {
  const int64_t padding = kernel / 2 * dilation;
  return torchvision_conv(owner.template add_child<Conv2d>(
      name, std::make_unique<Conv2d>(in, out, kernel, stride, padding, false, dilation)));
}

Sequential* make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  auto seq = std::make_unique<Sequential>();
  torchvision_conv(seq->add(std::make_unique<Conv2d>(in, out, 1, stride, 0)));
  seq->add(std::make_unique<BatchNorm2d>(out));
  return seq.release();
}

}  // namespace

ResNetSpec ResNetSpec::parse(const std::string& model_type) {
  if (model_type == "resnet18") return {model_type, false, {2, 2, 2, 2}};
  if (model_type == "resnet34") return {model_type, false, {3, 4, 6, 3}};
  if (model_type == "resnet50") return {model_type, true, {3, 4, 6, 3}};
  CROMSS_THROW(ValueError, "--model_type '{}': expected resnet18, resnet34 or resnet50",
               model_type);
}

BasicBlock::BasicBlock(int64_t in, int64_t width, int64_t stride, int64_t dilation)
    : conv1_(add_conv(*this, "conv1", in, width, 3, stride, dilation)),
      bn1_(add_child<BatchNorm2d>("bn1", std::make_unique<BatchNorm2d>(width))),
      conv2_(add_conv(*this, "conv2", width, width, 3, 1, dilation)),
      bn2_(add_child<BatchNorm2d>("bn2", std::make_unique<BatchNorm2d>(width))) {
  if (Sequential* ds = make_downsample(in, width * kExpansion, stride))
    downsample_ = &add_child<Sequential>("downsample", std::unique_ptr<Sequential>(ds));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = bn1_.forward_conv(conv1_, x, true);
  return bn2_.forward_conv(conv2_, out, true, downsample_ ? downsample_->forward(x) : x);
}

Bottleneck::Bottleneck(int64_t in, int64_t width, int64_t stride, int64_t dilation)
    : conv1_(add_conv(*this, "conv1", in, width, 1, 1)),
      bn1_(add_child<BatchNorm2d>("bn1", std::make_unique<BatchNorm2d>(width))),
      conv2_(add_conv(*this, "conv2", width, width, 3, stride, dilation)),
      bn2_(add_child<BatchNorm2d>("bn2", std::make_unique<BatchNorm2d>(width))),
      conv3_(add_conv(*this, "conv3", width, width * kExpansion, 1, 1)),
      bn3_(add_child<BatchNorm2d>("bn3", std::make_unique<BatchNorm2d>(width * kExpansion))) {
  if (Sequential* ds = make_downsample(in, width * kExpansion, stride))
    downsample_ = &add_child<Sequential>("downsample", std::unique_ptr<Sequential>(ds));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = bn1_.forward_conv(conv1_, x, true);
  out = bn2_.forward_conv(conv2_, out, true);
  return bn3_.forward_conv(conv3_, out, true, downsample_ ? downsample_->forward(x) : x);
}

ResNetEncoder::ResNetEncoder(const std::string& model_type, int64_t in_channels, int depth,
                             int64_t output_stride)
    : conv1_(add_child<Conv2d>("conv1", std::make_unique<Conv2d>(in_channels, 64, 7, 2, 3))),
      bn1_(add_child<BatchNorm2d>("bn1", std::make_unique<BatchNorm2d>(64))),
      depth_(depth),
      output_stride_(output_stride) {
  ResNetSpec spec = ResNetSpec::parse(model_type);
  CROMSS_CHECK(depth >= 3 && depth <= 5, "ResNet encoder: depth {} (expected 3, 4 or 5)", depth);
  CROMSS_CHECK(output_stride == 32 || output_stride == 16,
               "ResNet encoder: output stride {} (expected 32, or 16 with a dilated layer4)",
               output_stride);
  // smp patch_first_conv: C_in != 3 without pretrained weights keeps torch's reset_parameters
  // init (the Conv2d default); C_in == 3 keeps torchvision's.
  if (in_channels == 3) torchvision_conv(conv1_);
  const int64_t expansion = spec.bottleneck ? Bottleneck::kExpansion : BasicBlock::kExpansion;
  out_channels_ = {in_channels, 64};
  int64_t in = 64;
  const int64_t widths[4] = {64, 128, 256, 512};
  for (int l = 0; l < 4; ++l) {
    auto layer = std::make_unique<Sequential>();
    const bool dilated = l == 3 && output_stride == 16;
    for (int b = 0; b < spec.blocks[l]; ++b) {
      int64_t stride = (l > 0 && b == 0 && !dilated) ? 2 : 1, dilation = dilated ? 2 : 1;
      if (spec.bottleneck)
        layer->add(std::make_unique<Bottleneck>(in, widths[l], stride, dilation));
      else
        layer->add(std::make_unique<BasicBlock>(in, widths[l], stride, dilation));
      in = widths[l] * expansion;
    }
    layers_.push_back(&add_child<Sequential>("layer" + std::to_string(l + 1), std::move(layer)));
    out_channels_.push_back(in);
  }
  out_channels_.resize(size_t(depth) + 1);
}

int64_t ResNetEncoder::output_stride() const {
  return std::min<int64_t>(output_stride_, int64_t(1) << depth_);
}

std::vector<Tensor> ResNetEncoder::forward(const Tensor& x) {
  CROMSS_CHECK(x.dim() == 4 && x.size(1) == in_channels(),
               "ResNet encoder: expected an NCHW input with {} channels, got {}", in_channels(),
               x.str());
  std::vector<Tensor> features{x};
  Tensor f = bn1_.forward_conv(conv1_, x, true);
  features.push_back(f);
  f = max_pool2d(f, 3, 2, 1);
  for (int l = 0; l + 2 <= depth_; ++l) {
    f = layers_[size_t(l)]->forward(f);
    features.push_back(f);
  }
  return features;
}

}  // namespace cromss
