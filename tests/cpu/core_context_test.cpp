// core/context.h and core/scratch.h on the CPU: the CPU context exists in every build, a
// StreamScope selects a side stream and restores the previous one (also when nested or left by
// an exception), and Scratch gives its memory back on every exit path, exceptions included.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/allocator.h"
#include "core/context.h"
#include "core/error.h"
#include "core/scratch.h"

namespace cromss {
namespace {

using cuda_api::Stream;

TEST(CoreContext, CpuContextIsOneObjectWithoutHandles) {
  Context& ctx = Context::get(Device::cpu());
  EXPECT_EQ(&ctx, &Context::get(Device::cpu()));
  EXPECT_TRUE(ctx.device().is_cpu());
  EXPECT_EQ(ctx.cudnn(), nullptr);
  EXPECT_EQ(ctx.current_stream(), Stream::compute);
  ctx.synchronize();  // nothing to wait for
}

TEST(CoreContext, StreamScopeSelectsAndRestores) {
  Context& ctx = Context::get(Device::cpu());
  {
    StreamScope comm(ctx, Stream::comm);
    EXPECT_EQ(ctx.current_stream(), Stream::comm);
    {
      StreamScope copy(ctx, Stream::copy);
      EXPECT_EQ(ctx.current_stream(), Stream::copy);
    }
    EXPECT_EQ(ctx.current_stream(), Stream::comm);
  }
  EXPECT_EQ(ctx.current_stream(), Stream::compute);
  try {
    StreamScope copy(ctx, Stream::copy);
    throw std::runtime_error("op failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(ctx.current_stream(), Stream::compute);
}

TEST(CoreContext, ScratchIsReturnedOnEveryExit) {
  const Context& ctx = Context::get(Device::cpu());
  const size_t before = memory_stats(Device::cpu()).in_use;
  {
    Scratch s(ctx, 4096);
    ASSERT_NE(s.data(), nullptr);
    s.as<float>()[1023] = 1.0f;  // the whole block is usable
    EXPECT_EQ(memory_stats(Device::cpu()).in_use, before + 4096);
  }
  EXPECT_EQ(memory_stats(Device::cpu()).in_use, before);
  EXPECT_THROW(
      {
        Scratch s(ctx, 4096);
        CROMSS_THROW(ValueError, "kernel failed after taking its scratch");
      },
      ValueError);
  EXPECT_EQ(memory_stats(Device::cpu()).in_use, before);
  Scratch empty(ctx, 0);
  EXPECT_EQ(empty.data(), nullptr);
}

TEST(CoreContext, CudaContextOfAMissingDeviceIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device exists";
  EXPECT_THROW(Context::get(Device::cuda(0)), Error);
}

}  // namespace
}  // namespace cromss
