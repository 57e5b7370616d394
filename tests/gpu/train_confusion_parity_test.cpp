// CUDA confusion-matrix accumulation vs the CPU reference for u8/i32/i64 labels with ignored
// pixels, over several batches (per-block shared histograms + 64-bit global atomics).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/gpu_test.h"
#include "train/metrics.h"

namespace cromss {
namespace {

class ConfusionParity : public ::testing::TestWithParam<DType> {};

TEST_P(ConfusionParity, MatchesCpuReference) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 31;
  const DType dt = GetParam();
  std::printf("seed %llu dtype %s\n", static_cast<unsigned long long>(seed), dtype_name(dt));
  test::GuardBytesScope guard;
  const int64_t n_classes = 9;
  ConfusionMatrix cpu(n_classes), gpu(n_classes, Device::cuda());
  for (int b = 0; b < 3; ++b) {
    const Shape shape{4, 255, 257};
    // Integer draws: a float uniform in [0, 9) truncated to an integer can round up to 9.
    std::mt19937_64 rng(seed + b);
    std::uniform_int_distribution<int64_t> draw_class(0, n_classes - 1), draw_label(0, n_classes);
    std::vector<int64_t> prediction(shape_numel(shape)), target(shape_numel(shape));
    for (auto& p : prediction) p = draw_class(rng);
    for (auto& t : target) {
      t = draw_label(rng);
      if (t == n_classes) t = 255;  // about a tenth of the pixels are ignored
    }
    Tensor pred = Tensor::from_vector(prediction, shape).to(dt);
    Tensor tgt = Tensor::from_vector(target, shape).to(dt);
    cpu.accumulate(pred, tgt);
    gpu.accumulate(pred.to(Device::cuda()), tgt.to(Device::cuda()));
  }
  EXPECT_EQ(gpu.counts(), cpu.counts());
}

INSTANTIATE_TEST_SUITE_P(Labels, ConfusionParity,
                         ::testing::Values(DType::u8, DType::i32, DType::i64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace cromss
