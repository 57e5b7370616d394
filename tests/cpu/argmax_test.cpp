// Class argmax (engine/ops/argmax.h) against a plain loop written here: random logits with
// forced ties (the first maximal class wins, as torch.argmax), f32 / f64 / bf16 inputs, an odd
// shape, and a clear error for a non-4-d input.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "core/error.h"
#include "engine/ops/argmax.h"

namespace cromss {
namespace {

std::vector<uint8_t> reference_argmax(const std::vector<double>& x, int64_t B, int64_t C,
                                      int64_t HW) {
  std::vector<uint8_t> out(static_cast<size_t>(B * HW));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t p = 0; p < HW; ++p) {
      int64_t best = 0;
      for (int64_t c = 1; c < C; ++c)
        if (x[(b * C + c) * HW + p] > x[(b * C + best) * HW + p]) best = c;
      out[b * HW + p] = static_cast<uint8_t>(best);
    }
  return out;
}

TEST(Argmax, MatchesPlainLoopWithTies) {
  const uint64_t seed = 31;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const int64_t B = 3, C = 9, H = 5, W = 7;
  std::vector<double> x = Tensor::normal({B, C, H, W}, 0, 1, seed).to_vector<double>();
  for (size_t i = 0; i < x.size(); i += 5) x[i] = 2.5;  // ties at the maximum
  for (DType dt : {DType::f32, DType::f64, DType::bf16}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor logits = Tensor::from_vector(x, {B, C, H, W}).to(dt);
    const Tensor pred = argmax_classes(logits);
    EXPECT_EQ(pred.dtype(), DType::u8);
    EXPECT_EQ(pred.shape(), (Shape{B, H, W}));
    EXPECT_EQ(pred.to_vector<uint8_t>(), reference_argmax(logits.to_vector<double>(), B, C, H * W));
  }
}

TEST(Argmax, RejectsWrongRank) {
  EXPECT_THROW(argmax_classes(Tensor::zeros({2, 3})), ValueError);
}

}  // namespace
}  // namespace cromss
