// smp.Unet (see unet.h).
#include "models/unet.h"

namespace cromss {

void check_unet_input(const Tensor& x, int64_t channels, const std::string& what) {
  CROMSS_CHECK(x.dim() == 4, "{}: expected an (N, C, H, W) tensor, got {}", what, x.str());
  CROMSS_CHECK(x.size(1) == channels, "{}: the model expects {} channels, got {} ({})", what,
               channels, x.size(1), x.str());
  const int64_t h = x.size(2), w = x.size(3), s = kEncoderOutputStride;
  CROMSS_CHECK(h % s == 0 && w % s == 0,
               "{}: height {} and width {} must be divisible by {} (the encoder's output stride); "
               "pad or crop to {}x{}",
               what, h, w, s, (h + s - 1) / s * s, (w + s - 1) / s * s);
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
  return head_.forward(decoder_.forward(encoder_.forward(x)));
}

}  // namespace cromss
