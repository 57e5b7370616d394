// smp.Unet (see unet.h).
#include "models/unet.h"

#include "models/smp_blocks.h"

namespace cromss {

void check_unet_input(const Tensor& x, int64_t channels, const std::string& what) {
  check_model_input(x, channels, kEncoderOutputStride, what);
}

void initialize_model(Module& model, uint64_t seed) {
  model.initialize_parameters(seed);
}

Unet::Unet(const std::string& model_type, int64_t in_channels, int64_t classes)
    : encoder_(add_child("encoder", std::make_unique<ResNetEncoder>(model_type, in_channels))),
      decoder_(add_child("decoder", std::make_unique<UnetDecoder>(encoder_.out_channels()))),
      head_(add_child("segmentation_head",
                      std::make_unique<SegmentationHead>(decoder_.out_channels(), classes))) {}

Tensor Unet::forward(const Tensor& x) {
  check_unet_input(x, encoder_.in_channels(), "U-Net input");
  return leave(head_.forward(decoder_.forward(encoder_.forward(enter(x)))));
}

}  // namespace cromss
