// --channels_last on the CPU: a training step of a small U-Net (resnet18; single-modal and
// middle fusion; late fusion runs two of the single U-Nets, whose forward the last test covers) in
// nhwc equals the step in nchw (logits, loss, every parameter gradient, BatchNorm statistics;
// tests/tolerance.h: the convolutions sum in another order, so the gradients compare by NMSE), the
// logits come back nchw, and the step makes exactly the entry and head conversions and no other
// activation conversion (strided_copy dispatches counted by the op profiler, less the conv weights'
// documented re-layouts, tests/nhwc_step.h); the encoder's features, the decoder's output and the
// head's logits are all nhwc in between.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "engine/ops/shape_ops.h"
#include "models/unet.h"
#include "tests/nhwc_step.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

void expect_nhwc_step_equals_nchw(const std::string& input_type, const std::string& fusion) {
  const uint64_t seed = 13;
  std::printf("seed %llu, input %s, %s fusion\n", static_cast<unsigned long long>(seed),
              input_type.c_str(), fusion.c_str());
  ModelConfig c;
  c.input_type = input_type;
  c.fusion_type = fusion;
  const auto [nchw, nhwc] = test::nhwc_steps(c, seed, Device::cpu());
  for (const auto& [ref, got, name] : {std::tuple{nchw.logits_s1, nhwc.logits_s1, "logits_s1"},
                                       std::tuple{nchw.logits_s2, nhwc.logits_s2, "logits_s2"}}) {
    ASSERT_EQ(ref.defined(), got.defined()) << name;
    if (!ref.defined()) continue;
    EXPECT_EQ(got.memory_format(), MemoryFormat::nchw) << name << " " << got.str();
    EXPECT_TRUE(test::nmse_close(got, ref, test::nmse_limit_for(DType::f32))) << name;
  }
  EXPECT_TRUE(test::all_close(nhwc.loss, nchw.loss, {1e-4, 1e-4}))  // a sum of 2*9*32² terms
      << "loss " << nhwc.loss.item() << " vs " << nchw.loss.item();
  EXPECT_TRUE(test::nmse_close(nhwc.grads, nchw.grads, test::nmse_limit_for(DType::f32)))
      << "parameter gradients";
  ASSERT_EQ(nhwc.buffers.size(), nchw.buffers.size());
  for (size_t i = 0; i < nchw.buffers.size(); ++i)
    EXPECT_TRUE(
        test::nmse_close(nhwc.buffers[i], nchw.buffers[i], test::nmse_limit_for(DType::f32)))
        << "buffer " << i;
  EXPECT_EQ(nhwc.conversions - nchw.conversions, nhwc.expected_extra)
      << "nchw step: " << nchw.conversions << " strided copies, nhwc step: " << nhwc.conversions;
}

TEST(NhwcNetwork, SingleUnetStepEqualsNchw) {
  expect_nhwc_step_equals_nchw("s2", "mid");
}

TEST(NhwcNetwork, MidFusionStepEqualsNchw) {
  expect_nhwc_step_equals_nchw("s12", "mid");
}

TEST(NhwcNetwork, EveryActivationBetweenEntryAndHeadIsNhwc) {
  Unet net("resnet18", 3, 5);
  net.initialize_parameters(3);
  net.train(true);
  const Tensor x = to_memory_format(Tensor::uniform({2, 3, 32, 32}, -1, 1, 4), MemoryFormat::nhwc);
  const std::vector<Tensor> features = net.encoder().forward(x);
  for (size_t i = 0; i < features.size(); ++i)
    EXPECT_EQ(features[i].memory_format(), MemoryFormat::nhwc) << "feature " << i;
  const Tensor decoded = net.decoder().forward(features);
  EXPECT_EQ(decoded.memory_format(), MemoryFormat::nhwc) << decoded.str();
  const Tensor logits = net.segmentation_head().forward(decoded);
  EXPECT_EQ(logits.memory_format(), MemoryFormat::nhwc) << logits.str();
  net.set_memory_format(MemoryFormat::nhwc);
  EXPECT_EQ(net.forward(x.contiguous()).memory_format(), MemoryFormat::nchw);
}

}  // namespace
}  // namespace cromss
