// engine/op_profiler.h on the CPU: the profiler counts every dispatch of a small known op sequence
// under its kernel's name, its CPU times are non-negative, add up to its total and fit inside the
// wall time around them, and when it is off nothing is recorded.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "engine/dispatch.h"
#include "engine/op_profiler.h"
#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace cromss {
namespace {

constexpr int64_t kNumel = 1 << 16;

// Three `scale` and two `relu_forward` dispatches on f32 CPU tensors made beforehand (making a
// filled tensor is a dispatch too).
struct KnownOps {
  Tensor x = Tensor::full({kNumel}, -1.5, DType::f32, Device::cpu());
  Tensor y = Tensor::empty({kNumel}, DType::f32, Device::cpu());
  void run() {
    for (int i = 0; i < 3; ++i)
      dispatch(kernels::scale, Device::cpu(), x.raw_data(), 2.0, y.raw_data(), DType::f32, kNumel);
    for (int i = 0; i < 2; ++i)
      dispatch(kernels::relu_forward, Device::cpu(), x.raw_data(), y.raw_data(), DType::f32,
               kNumel);
  }
};

std::map<std::string, int64_t> calls_by_op(const OpProfile& profile) {
  std::map<std::string, int64_t> calls;
  for (const OpProfileRow& row : profile.rows) calls[row.op] = row.calls;
  return calls;
}

TEST(OpProfiler, CountsEachDispatchUnderItsKernelName) {
  KnownOps ops;
  op_profiler::start(OpProfiling::count);
  EXPECT_TRUE(op_profiler::on());
  ops.run();
  const OpProfile profile = op_profiler::stop();
  EXPECT_FALSE(op_profiler::on());
  EXPECT_EQ(calls_by_op(profile),
            (std::map<std::string, int64_t>{{"relu_forward", 2}, {"scale", 3}}));
  EXPECT_EQ(profile.calls(), 5);
  EXPECT_EQ(profile.total_ms(), 0.0) << "count mode times nothing";
}

TEST(OpProfiler, CpuTimesAreNonNegativeAndAddUpInsideTheWallTime) {
  KnownOps ops;
  const auto t0 = std::chrono::steady_clock::now();
  op_profiler::start(OpProfiling::time);
  ops.run();
  const OpProfile profile = op_profiler::stop();
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(calls_by_op(profile),
            (std::map<std::string, int64_t>{{"relu_forward", 2}, {"scale", 3}}));
  double sum = 0;
  for (const OpProfileRow& row : profile.rows) {
    EXPECT_GE(row.total_ms, 0.0) << row.op;
    sum += row.total_ms;
  }
  EXPECT_DOUBLE_EQ(profile.total_ms(), sum);
  EXPECT_GT(profile.total_ms(), 0.0) << "five passes over 64 Ki floats take some time";
  EXPECT_LE(profile.total_ms(), wall_ms);
  for (size_t i = 1; i < profile.rows.size(); ++i)
    EXPECT_GE(profile.rows[i - 1].total_ms, profile.rows[i].total_ms) << "rows by time, descending";
}

TEST(OpProfiler, OffRecordsNothing) {
  KnownOps ops;
  op_profiler::stop();
  EXPECT_FALSE(op_profiler::on());
  ops.run();
  EXPECT_TRUE(op_profiler::stop().rows.empty());

  op_profiler::start(OpProfiling::count);
  ops.run();
  op_profiler::stop();
  ops.run();  // after stop: not recorded
  EXPECT_TRUE(op_profiler::stop().rows.empty());
}

TEST(OpProfiler, StartDiscardsEarlierRecords) {
  KnownOps ops;
  op_profiler::start(OpProfiling::count);
  ops.run();
  op_profiler::start(OpProfiling::count);
  dispatch(kernels::relu_forward, Device::cpu(), nullptr, nullptr, DType::f32, int64_t{0});
  EXPECT_EQ(calls_by_op(op_profiler::stop()),
            (std::map<std::string, int64_t>{{"relu_forward", 1}}));
}

}  // namespace
}  // namespace cromss
