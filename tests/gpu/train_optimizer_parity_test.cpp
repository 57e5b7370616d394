// Fused CUDA optimizer kernels vs the CPU reference: Adam and SGD over a flat buffer whose
// length straddles block sizes, several steps, a skipped step through the device flag, with
// guard bytes. nvcc may contract a*b+c into FMAs, so results agree to f32 tolerance, not bits.
#include <gtest/gtest.h>

#include "tests/gpu_test.h"
#include "tests/tolerance.h"
#include "train/optimizer.h"

namespace cromss {
namespace {

class OptimizerParity : public ::testing::TestWithParam<const char*> {};

TEST_P(OptimizerParity, MatchesCpuReference) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 17;
  std::printf("seed %llu optimizer %s\n", static_cast<unsigned long long>(seed), GetParam());
  test::GuardBytesScope guard;
  const int64_t n = 256 * 33 + 7;
  OptimizerConfig cfg = optimizer_config_for(GetParam(), 0.01);
  cfg.weight_decay = 0.05;
  Tensor pc = Tensor::uniform({n}, -1, 1, seed), gc = Tensor::zeros({n});
  Tensor pd = pc.to(Device::cuda()), gd = Tensor::zeros({n}, DType::f32, Device::cuda());
  Optimizer cpu(cfg, pc, gc), gpu(cfg, pd, gd);
  Tensor skip_c = Tensor::zeros({1}, DType::i32);
  Tensor skip_d = Tensor::zeros({1}, DType::i32, Device::cuda());
  for (int s = 0; s < 6; ++s) {
    Tensor g = Tensor::uniform({n}, -1, 1, seed + 1 + s);
    gc.copy_(g);
    gd.copy_(g);
    skip_c.fill_(s == 3 ? 1 : 0);
    skip_d.fill_(s == 3 ? 1 : 0);
    cpu.step(skip_c);
    gpu.step(skip_d);
  }
  EXPECT_EQ(gpu.step_count(), 5);
  EXPECT_TRUE(test::all_close(pd.to(Device::cpu()), pc, test::tolerance_for(DType::f32)));
  for (const auto& [name, m] : cpu.moments())
    EXPECT_TRUE(test::all_close(gpu.moments().at(name).to(Device::cpu()), m,
                                test::tolerance_for(DType::f32)))
        << name;
}

INSTANTIATE_TEST_SUITE_P(Kinds, OptimizerParity, ::testing::Values("adam", "sgd"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace cromss
