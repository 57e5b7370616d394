// CPU reference of the class argmax (kernels/argmax.h), OpenMP over pixels. bf16/f16 logits are
// compared as float, like the CUDA kernel.
#include "kernels/argmax.h"

#include "kernels/argmax.cuh"
#include "kernels/cpu/float_dispatch.h"

namespace cromss::cpu_kernels {
namespace {

template <class T, class Load>
void argmax_pixels(const T* x, int64_t batch, int classes, int64_t pixels, uint8_t* out,
                   Load load) {
  const int64_t n = batch * pixels;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / pixels, p = i % pixels;
    out[i] = argmax_pixel(x + b * classes * pixels + p, pixels, classes, load);
  }
}

}  // namespace

void argmax_channels(const void* x, DType dtype, int64_t batch, int classes, int64_t pixels,
                     uint8_t* out, const Context&) {
  const auto* bits = static_cast<const uint16_t*>(x);
  switch (dtype) {
    case DType::bf16:
      return argmax_pixels(bits, batch, classes, pixels, out,
                           [](const uint16_t* p, int64_t i) { return bf16_bits_to_float(p[i]); });
    case DType::f16:
      return argmax_pixels(bits, batch, classes, pixels, out,
                           [](const uint16_t* p, int64_t i) { return f16_bits_to_float(p[i]); });
    default:
      CROMSS_CPU_FLOAT(dtype, "argmax_channels", [&] {
        argmax_pixels(typed<scalar_t>(x), batch, classes, pixels, out,
                      [](const scalar_t* p, int64_t i) { return p[i]; });
      });
  }
}

}  // namespace cromss::cpu_kernels
