// --branch_streams (SegmentationNet::set_branch_streams) on the CPU: the S1 branch's forward goes
// through the stream fork/join (core/stream_fork.h), which the CPU context runs in issue order,
// so one training step of a mid- and a late-fusion model must give bit-identical logits,
// parameter gradients and BatchNorm running statistics with the flag on and off.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "models/segmentation_net.h"
#include "tests/branch_step.h"

namespace cromss {
namespace {

void expect_bit_identical(const std::string& fusion) {
  const uint64_t seed = 7;
  std::printf("seed %llu, %s fusion\n", static_cast<unsigned long long>(seed), fusion.c_str());
  const auto [off, on] = test::branch_steps(fusion, seed, Device::cpu());
  EXPECT_TRUE(off.logits_s1 == on.logits_s1) << "logits_s1 differ";
  EXPECT_TRUE(off.logits_s2 == on.logits_s2) << "logits_s2 differ";
  ASSERT_TRUE(std::any_of(off.grads.begin(), off.grads.end(), [](float g) { return g != 0; }));
  EXPECT_TRUE(off.grads == on.grads) << "grads differ";
  ASSERT_EQ(off.buffers.size(), on.buffers.size());
  for (size_t i = 0; i < off.buffers.size(); ++i)
    EXPECT_TRUE(off.buffers[i] == on.buffers[i]) << "buffer " << i;
}

TEST(BranchStreams, MidFusionStepIsBitIdenticalOnTheCpu) {
  expect_bit_identical("mid");
}

TEST(BranchStreams, LateFusionStepIsBitIdenticalOnTheCpu) {
  expect_bit_identical("late");
}

}  // namespace
}  // namespace cromss
