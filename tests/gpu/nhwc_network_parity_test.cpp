// --channels_last on a GPU (label gpu, skips without a device): a training step
// of a small mid-fusion U-Net (resnet18, f32) in nhwc equals the step in nchw
// on the same device (logits, loss, parameter gradients, BatchNorm statistics,
// by NMSE: the convolutions sum in another order), and makes exactly the entry
// and head conversions besides the conv weights' re-layouts (tests/nhwc_step.h).
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/gpu_test.h"
#include "tests/nhwc_step.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(NhwcNetworkParity, MidFusionStepOnTheGpuEqualsNchw) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 17;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  ModelConfig c;
  c.input_type = "s12";
  c.fusion_type = "mid";
  const auto [nchw, nhwc] = test::nhwc_steps(c, seed, Device::cuda());
  const double limit = test::nmse_limit_for(DType::f32);
  EXPECT_EQ(nhwc.logits_s1.memory_format(), MemoryFormat::nchw);
  EXPECT_TRUE(
      test::nmse_close(nhwc.logits_s1.to(Device::cpu()), nchw.logits_s1.to(Device::cpu()), limit));
  EXPECT_TRUE(
      test::nmse_close(nhwc.logits_s2.to(Device::cpu()), nchw.logits_s2.to(Device::cpu()), limit));
  EXPECT_TRUE(test::all_close(nhwc.loss.to(Device::cpu()), nchw.loss.to(Device::cpu()),
                              {1e-4, 1e-4}));  // a sum of 2*9*32² terms
  EXPECT_TRUE(test::nmse_close(nhwc.grads.to(Device::cpu()), nchw.grads.to(Device::cpu()), limit));
  ASSERT_EQ(nhwc.buffers.size(), nchw.buffers.size());
  for (size_t i = 0; i < nchw.buffers.size(); ++i)
    EXPECT_TRUE(test::nmse_close(nhwc.buffers[i].to(Device::cpu()),
                                 nchw.buffers[i].to(Device::cpu()), limit))
        << "buffer " << i;
  EXPECT_EQ(nhwc.conversions - nchw.conversions, nhwc.expected_extra);
}

}  // namespace
}  // namespace cromss
