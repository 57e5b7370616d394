// smp PSPNet (see pspnet.h).
#include "models/pspnet.h"

#include "engine/ops/concat.h"
#include "engine/ops/resize.h"
#include "models/smp_blocks.h"

namespace cromss {

namespace {

// smp PSPBlock: its only child "pool" = Sequential(AdaptiveAvgPool2d, Conv2dReLU).
class PSPBlock : public Module {
 public:
  PSPBlock(int64_t in, int64_t out, int64_t size)
      : pool_(add_child("pool", std::make_unique<Sequential>())) {
    pool_.add(std::make_unique<AdaptiveAvgPool2d>(size));
    pool_.add(conv2d_relu(in, out, 1, 0, /*batchnorm=*/size != 1));
  }
  Sequential& pool() { return pool_; }

 private:
  Sequential& pool_;
};

// smp PSPModule: child "blocks" (ModuleList of one PSPBlock per pooling size 1, 2, 3, 6).
std::unique_ptr<Module> psp_module(int64_t in_channels, std::vector<Sequential*>& pools) {
  const std::vector<int64_t> sizes = {1, 2, 3, 6};
  CROMSS_CHECK(in_channels % int64_t(sizes.size()) == 0,
               "PSPNet decoder: {} input channels do not split into {} pyramid branches",
               in_channels, sizes.size());
  auto psp = std::make_unique<Module>();
  auto& blocks = psp->add_child("blocks", std::make_unique<ModuleList>());
  for (int64_t size : sizes)
    pools.push_back(&blocks
                         .append(std::make_unique<PSPBlock>(
                             in_channels, in_channels / int64_t(sizes.size()), size))
                         .pool());
  return psp;
}

}  // namespace

PSPDecoder::PSPDecoder(int64_t in_channels)
    : psp_(add_child("psp", psp_module(in_channels, pools_))),
      conv_(add_child("conv", conv2d_relu(2 * in_channels, kOutChannels, 1, 0, true))),
      dropout_(add_child("dropout", std::make_unique<Dropout>(kDropout, /*channelwise=*/true))) {
  smp_initialize_decoder(*this);
}

Tensor PSPDecoder::forward(const Tensor& x) {
  std::vector<Tensor> xs;
  for (Sequential* pool : pools_)
    xs.push_back(resize_bilinear(pool->forward(x), x.size(2), x.size(3), /*align_corners=*/true));
  xs.push_back(x);
  return dropout_.forward(conv_.forward(concat(xs, 1)));
}

PSPNet::PSPNet(const std::string& model_type, int64_t in_channels, int64_t classes)
    : encoder_(add_child("encoder",
                         std::make_unique<ResNetEncoder>(model_type, in_channels, kEncoderDepth))),
      decoder_(add_child("decoder", std::make_unique<PSPDecoder>(encoder_.out_channels().back()))),
      head_(add_child("segmentation_head",
                      std::make_unique<SegmentationHead>(PSPDecoder::kOutChannels, classes, 3,
                                                         /*upsampling=*/8))) {}

Tensor PSPNet::forward(const Tensor& x) {
  check_model_input(x, encoder_.in_channels(), input_stride(), "PSPNet input");
  return leave(head_.forward(decoder_.forward(encoder_.forward(enter(x)).back())));
}

}  // namespace cromss
