// CUDA class argmax against the CPU reference (label gpu; skips without a device): f32, bf16,
// f16 and f64 logits with ties, a shape that straddles the block size, guard bytes.
#include <gtest/gtest.h>

#include "engine/ops/argmax.h"
#include "tests/gpu_test.h"

namespace cromss {
namespace {

TEST(ArgmaxParity, MatchesCpu) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  test::GuardBytesScope guard;
  const uint64_t seed = 32;
  SCOPED_TRACE("seed 32");
  std::vector<float> x = Tensor::normal({2, 9, 33, 31}, 0, 1, seed).to_vector<float>();
  for (size_t i = 0; i < x.size(); i += 7) x[i] = 2.5f;  // ties
  for (DType dt : {DType::f32, DType::bf16, DType::f16, DType::f64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor logits = Tensor::from_vector(x, {2, 9, 33, 31}).to(dt);
    const Tensor cpu = argmax_classes(logits.to(DType::f32));
    const Tensor gpu = argmax_classes(logits.to(Device::cuda(0)));
    EXPECT_EQ(gpu.to_vector<uint8_t>(), cpu.to_vector<uint8_t>());
  }
}

}  // namespace
}  // namespace cromss
