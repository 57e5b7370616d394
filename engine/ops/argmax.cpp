// Dispatch of the class argmax (engine/ops/argmax.h, kernels/argmax.h). bf16/f16 logits on the
// CPU are widened to f32 first (the CPU kernels run f32/f64).
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
  if (logits.device().is_cpu()) {
    const Tensor x =
        logits.dtype() == DType::f64 ? logits.contiguous() : logits.contiguous().to(DType::f32);
    CROMSS_DISPATCH_CPU_FLOAT(x.dtype(), "argmax_classes", [&] {
      cpu_kernels::argmax_channels(x.data<scalar_t>(), batch, classes, pixels, out.data<uint8_t>());
    });
  } else {
    const Tensor x = logits.contiguous();
    CROMSS_ON_CUDA(cuda_kernels::argmax_channels(x.raw_data(), x.dtype(), batch, classes, pixels,
                                                 out.data<uint8_t>(), logits.device().index));
  }
  return out;
}

}  // namespace cromss
