// --branch_streams on a GPU (label gpu, skips without a device): the S1 branch's forward on the
// branch stream gives bit-identical logits, gradients and BatchNorm statistics to the one-stream
// step (the same kernels on the same data), and once the device has run the step every block
// freed across streams has come back to the caching allocator's pools (core/allocator.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/allocator.h"
#include "core/context.h"
#include "models/segmentation_net.h"
#include "tests/branch_step.h"
#include "tests/gpu_test.h"

namespace cromss {
namespace {

void expect_bit_identical_on_cuda(const std::string& fusion) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 11;
  std::printf("seed %llu, %s fusion\n", static_cast<unsigned long long>(seed), fusion.c_str());
  const Device cuda = Device::cuda();
  for (int repeat = 0; repeat < 2; ++repeat) {  // the second reuses the branch stream's pool
    const auto [off, on] = test::branch_steps(fusion, seed, cuda);
    EXPECT_TRUE(off.logits_s1 == on.logits_s1) << "logits_s1 differ";
    EXPECT_TRUE(off.logits_s2 == on.logits_s2) << "logits_s2 differ";
    EXPECT_TRUE(off.grads == on.grads) << "grads differ";
    ASSERT_EQ(off.buffers.size(), on.buffers.size());
    for (size_t i = 0; i < off.buffers.size(); ++i)
      EXPECT_TRUE(off.buffers[i] == on.buffers[i]) << "buffer " << i;
  }
  Context::get(cuda).synchronize();
  auto& cache = dynamic_cast<CachingAllocator&>(allocator_for(cuda));
  cache.deallocate(cache.allocate(512), 512);  // an allocation collects completed frees
  EXPECT_EQ(cache.pending_blocks(), 0u);
}

TEST(BranchStreams, MidFusionStepMatchesOneStreamOnCuda) {
  expect_bit_identical_on_cuda("mid");
}

TEST(BranchStreams, LateFusionStepMatchesOneStreamOnCuda) {
  expect_bit_identical_on_cuda("late");
}

}  // namespace
}  // namespace cromss
