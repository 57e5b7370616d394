// fp16 loss scaler (CPU reference): unscale + finite check, growth after growth_interval clean
// steps, backoff on overflow, the floor, the hard error after K consecutive skips, disabled
// modes, state round trip, and the optimizer skipping on found_inf.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "train/loss_scaler.h"
#include "train/optimizer.h"

namespace cromss {
namespace {

LossScalerConfig small_config() {
  LossScalerConfig c;
  c.init_scale = 1024;
  c.growth_interval = 3;
  c.min_scale = 256;
  c.max_consecutive_skips = 4;
  return c;
}

TEST(TrainLossScaler, UnscalesAndDetectsOverflow) {
  LossScaler s(Precision::fp16, Device::cpu(), small_config());
  EXPECT_TRUE(s.enabled());
  EXPECT_DOUBLE_EQ(s.scale().to_vector<float>()[0], 1024.0);
  Tensor g = Tensor::from_vector<float>({1024.f, -512.f, 3.f}, {3});
  s.unscale_and_check(g);
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{1.f, -0.5f, 3.f / 1024.f}));
  EXPECT_EQ(s.found_inf().item(), 0);
  for (float bad : {std::numeric_limits<float>::infinity(), std::nanf("")}) {
    Tensor h = Tensor::from_vector<float>({1.f, bad}, {2});
    s.unscale_and_check(h);
    EXPECT_EQ(s.found_inf().item(), 1);
  }
  Tensor clean = Tensor::from_vector<float>({2.f}, {1});
  s.unscale_and_check(clean);  // found_inf is reset per call
  EXPECT_EQ(s.found_inf().item(), 0);
}

TEST(TrainLossScaler, GrowthBackoffFloorAndHardError) {
  LossScaler s(Precision::fp16, Device::cpu(), small_config());
  Tensor ok = Tensor::from_vector<float>({1.f}, {1});
  Tensor bad = Tensor::from_vector<float>({std::numeric_limits<float>::infinity()}, {1});
  auto step = [&](const Tensor& g) {
    Tensor copy = g.clone();
    s.unscale_and_check(copy);
    s.update();
  };
  step(ok);
  step(ok);
  EXPECT_DOUBLE_EQ(s.scale_value(), 1024);
  step(ok);  // third clean step in a row: growth
  EXPECT_DOUBLE_EQ(s.scale_value(), 2048);
  step(ok);
  step(ok);
  step(bad);  // backoff resets the growth tracker
  EXPECT_DOUBLE_EQ(s.scale_value(), 1024);
  step(ok);
  step(ok);
  EXPECT_DOUBLE_EQ(s.scale_value(), 1024);
  step(ok);
  EXPECT_DOUBLE_EQ(s.scale_value(), 2048);
  step(bad);
  step(bad);
  step(bad);
  EXPECT_DOUBLE_EQ(s.scale_value(), 256);  // 2048 -> 1024 -> 512 -> 256 (floor)
  EXPECT_EQ(s.consecutive_skips(), 3);
  EXPECT_NO_THROW(s.check_health());
  step(bad);
  EXPECT_DOUBLE_EQ(s.scale_value(), 256);  // stays at the floor
  EXPECT_EQ(s.consecutive_skips(), 4);
  EXPECT_THROW(s.check_health(), ValueError);
  step(ok);
  EXPECT_EQ(s.consecutive_skips(), 0);
  EXPECT_NO_THROW(s.check_health());
}

TEST(TrainLossScaler, TorchDefaults) {
  const LossScalerConfig c;
  EXPECT_DOUBLE_EQ(c.init_scale, 65536.0);
  EXPECT_DOUBLE_EQ(c.growth_factor, 2.0);
  EXPECT_DOUBLE_EQ(c.backoff_factor, 0.5);
  EXPECT_EQ(c.growth_interval, 2000);
  EXPECT_DOUBLE_EQ(c.min_scale, 1.0);
  EXPECT_EQ(c.max_consecutive_skips, 50);
}

TEST(TrainLossScaler, DisabledForBf16AndFp32) {
  for (Precision p : {Precision::bf16, Precision::fp32}) {
    LossScaler s(p, Device::cpu());
    EXPECT_FALSE(s.enabled());
    EXPECT_DOUBLE_EQ(s.scale_value(), 1.0);
    Tensor g = Tensor::from_vector<float>({std::numeric_limits<float>::infinity(), 3.f}, {2});
    s.unscale_and_check(g);
    s.update();
    EXPECT_EQ(s.found_inf().item(), 0);
    EXPECT_EQ(g.to_vector<float>()[1], 3.f);
    EXPECT_DOUBLE_EQ(s.scale_value(), 1.0);
  }
  EXPECT_EQ(parse_precision("bf16"), Precision::bf16);
  EXPECT_THROW(parse_precision("fp8"), ValueError);
}

TEST(TrainLossScaler, StateRoundTrip) {
  LossScaler a(Precision::fp16, Device::cpu(), small_config());
  Tensor g = Tensor::from_vector<float>({std::numeric_limits<float>::infinity()}, {1});
  a.unscale_and_check(g);
  a.update();
  std::map<std::string, Tensor> state;
  a.save(state, "scaler/");
  LossScaler b(Precision::fp16, Device::cpu(), small_config());
  b.load(state, "scaler/");
  EXPECT_DOUBLE_EQ(b.scale_value(), 512);
  EXPECT_EQ(b.consecutive_skips(), 1);
  state.erase("scaler/scale");
  EXPECT_THROW(b.load(state, "scaler/"), ValueError);
}

TEST(TrainLossScaler, OptimizerSkipsOnFoundInf) {
  LossScaler s(Precision::fp16, Device::cpu(), small_config());
  Tensor params = Tensor::from_vector<float>({1.f, 2.f}, {2});
  Tensor grads = Tensor::from_vector<float>({std::numeric_limits<float>::infinity(), 1.f}, {2});
  Optimizer opt(optimizer_config_for("adam", 0.1), params, grads);
  s.unscale_and_check(grads);
  opt.step(s.found_inf());
  s.update();
  EXPECT_EQ(params.to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(opt.step_count(), 0);
}

}  // namespace
}  // namespace cromss
