// CUDA loss scaler vs the CPU reference: unscale + finite check over a long flat buffer (an inf
// placed in a late block), backoff/growth on the device, and the optimizer skipping on the
// device found_inf flag without a host read in between.
#include <gtest/gtest.h>

#include <limits>

#include "tests/gpu_test.h"
#include "train/loss_scaler.h"
#include "train/optimizer.h"

namespace cromss {
namespace {

TEST(AmpParity, UnscaleCheckAndUpdate) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 23;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  test::GuardBytesScope guard;
  LossScalerConfig cfg;
  cfg.growth_interval = 2;
  LossScaler cpu(Precision::fp16, Device::cpu(), cfg), gpu(Precision::fp16, Device::cuda(), cfg);
  const int64_t n = 256 * 1000 + 3;
  for (int s = 0; s < 5; ++s) {
    Tensor g = Tensor::uniform({n}, -1000, 1000, seed + s);
    if (s == 2) {
      std::vector<float> v = g.to_vector<float>();
      v[n - 2] = std::numeric_limits<float>::infinity();
      g = Tensor::from_vector(v, {n});
    }
    Tensor gc = g.clone(), gd = g.to(Device::cuda());
    cpu.unscale_and_check(gc);
    gpu.unscale_and_check(gd);
    EXPECT_EQ(gpu.found_inf().item(), cpu.found_inf().item()) << "step " << s;
    EXPECT_EQ(gd.to(Device::cpu()).to_vector<float>(), gc.to_vector<float>()) << "step " << s;
    cpu.update();
    gpu.update();
    EXPECT_EQ(gpu.scale_value(), cpu.scale_value()) << "step " << s;
  }
}

TEST(AmpParity, OptimizerSkipsOnDeviceFlag) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  LossScaler scaler(Precision::fp16, Device::cuda());
  Tensor p = Tensor::full({300}, 1.0, DType::f32, Device::cuda());
  Tensor g =
      Tensor::full({300}, std::numeric_limits<float>::infinity(), DType::f32, Device::cuda());
  Optimizer opt(optimizer_config_for("adam", 0.1), p, g);
  scaler.unscale_and_check(g);
  opt.step(scaler.found_inf());
  scaler.update();
  EXPECT_EQ(opt.step_count(), 0);
  EXPECT_EQ(p.to_vector<float>(), std::vector<float>(300, 1.0f));
  EXPECT_EQ(scaler.scale_value(), 32768.0);
}

}  // namespace
}  // namespace cromss
