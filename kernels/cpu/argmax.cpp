// CPU reference of the class argmax (kernels/argmax.h), OpenMP over pixels.
#include "kernels/argmax.h"

#include "kernels/argmax.cuh"

namespace cromss::cpu_kernels {

template <class T>
void argmax_channels(const T* x, int64_t batch, int classes, int64_t pixels, uint8_t* out) {
  const int64_t n = batch * pixels;
  const auto load = [](const T* p, int64_t i) { return p[i]; };
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / pixels, p = i % pixels;
    out[i] = argmax_pixel(x + b * classes * pixels + p, pixels, classes, load);
  }
}

template void argmax_channels<float>(const float*, int64_t, int, int64_t, uint8_t*);
template void argmax_channels<double>(const double*, int64_t, int, int64_t, uint8_t*);

}  // namespace cromss::cpu_kernels
