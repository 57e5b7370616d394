// Random label prior for tests (see tests/random_prior.h).
#include "tests/random_prior.h"

#include <vector>

namespace cromss::test {

Tensor random_prior(int64_t B, int64_t C, int64_t H, int64_t W, double lo, uint64_t seed,
                    DType dtype) {
  std::vector<double> p =
      Tensor::uniform({B, C, H, W}, lo, 1, seed, dtype).to(DType::f64).to_vector<double>();
  const int64_t HW = H * W;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < HW; ++i) {
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += p[(b * C + c) * HW + i];
      for (int64_t c = 0; c < C; ++c) p[(b * C + c) * HW + i] /= s;
    }
  return Tensor::from_vector(p, {B, C, H, W}).to(dtype);
}

}  // namespace cromss::test
