// engine/op_profiler.h on CUDA (label gpu; skips without a device): the objective's forward and
// backward, profiled in timing mode, record the same dispatches as in count mode, every op's
// event time is non-negative and positive overall, and recording adds no host sync - the events
// are read only in op_profiler::stop(). The counting logic has a CPU test
// (tests/cpu/engine_op_profiler_test.cpp).
#include <gtest/gtest.h>

#include "core/sync_counts.h"
#include "engine/autograd.h"
#include "engine/op_profiler.h"
#include "engine/ops/elementwise.h"
#include "tests/gpu_test.h"
#include "tests/random_prior.h"
#include "train/cromss_loss.h"

namespace cromss {
namespace {

TEST(OpProfilerCuda, TimesWithEventsAndAddsNoHostSync) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 23;
  SCOPED_TRACE("seed 23");
  const Device dev = Device::cuda(0);
  Tensor z1 = Tensor::normal({2, 9, 32, 32}, 0, 2, seed).to(dev).set_requires_grad(true);
  Tensor z2 = Tensor::normal({2, 9, 32, 32}, 0, 2, seed + 1).to(dev).set_requires_grad(true);
  Tensor y = Tensor::uniform({2, 32, 32}, 0, 8.99, seed + 2).to(DType::i64).to(dev);
  Tensor prior = test::random_prior(2, 9, 32, 32, 0.1, seed + 3, DType::f32).to(dev);
  auto step = [&] {
    Tensor loss = cromss_loss(z1, z2, y, prior, 40, ObjectiveConfig{});
    scale(loss, 2.0).backward();
  };
  step();  // warms the caching allocator and the event pool's first use below
  op_profiler::start(OpProfiling::count);
  step();
  const OpProfile counted = op_profiler::stop();

  op_profiler::start(OpProfiling::time);
  SyncCountScope scope;
  step();
  EXPECT_EQ(scope.elapsed().total(), 0) << "recording events must not wait for the device";
  const OpProfile timed = op_profiler::stop();

  EXPECT_GT(counted.calls(), 0);
  EXPECT_EQ(timed.calls(), counted.calls());
  ASSERT_EQ(timed.rows.size(), counted.rows.size());
  for (const OpProfileRow& row : timed.rows) EXPECT_GE(row.total_ms, 0.0) << row.op;
  EXPECT_GT(timed.total_ms(), 0.0);
}

}  // namespace
}  // namespace cromss
