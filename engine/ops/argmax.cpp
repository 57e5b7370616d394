// Dispatch of the class argmax (engine/ops/argmax.h, kernels/argmax.h).
#include "engine/ops/argmax.h"

#include "engine/dispatch.h"
#include "kernels/argmax.h"

namespace cromss {

Tensor argmax_classes(const Tensor& logits) {
  CROMSS_CHECK(
      logits.defined() && logits.dim() == 4 && logits.size(1) >= 1 && logits.size(1) <= 256,
      "argmax_classes: expected (B,C,H,W) logits with 1..256 classes, got {}",
      logits.defined() ? logits.str() : std::string("nothing"));
  const int64_t batch = logits.size(0), pixels = logits.size(2) * logits.size(3);
  const int classes = static_cast<int>(logits.size(1));
  Tensor out = Tensor::empty({batch, logits.size(2), logits.size(3)}, DType::u8, logits.device());
  const Tensor x = logits.contiguous();
  dispatch(kernels::argmax_channels, x.device(), x.raw_data(), x.dtype(), batch, classes, pixels,
           out.data<uint8_t>());
  return out;
}

}  // namespace cromss
