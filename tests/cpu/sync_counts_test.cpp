// The counting behind the steady-state sync test (tests/gpu/step_sync_test.cpp), on the CPU:
// the counters and their scopes (engine/sync_counts.h), that CPU work never reaches the CUDA API
// layer's counters, and the one-step-late read-out queue (engine/step_readout.h).
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "core/sync_counts.h"
#include "engine/autograd.h"
#include "engine/step_readout.h"
#include "tests/random_prior.h"
#include "train/cromss_loss.h"

namespace cromss {
namespace {

TEST(SyncCounts, ScopesCountWhatHappensInside) {
  const SyncCounts before = sync_counts();
  SyncCountScope scope;
  EXPECT_EQ(scope.elapsed(), SyncCounts{});
  count_device_to_host();
  count_synchronization();
  count_synchronization();
  EXPECT_EQ(scope.elapsed().device_to_host, 1);
  EXPECT_EQ(scope.elapsed().synchronizations, 2);
  EXPECT_EQ(scope.elapsed().total(), 3);
  EXPECT_EQ((sync_counts() - before).total(), 3);
  SyncCountScope inner;
  count_device_to_host();
  EXPECT_EQ(inner.elapsed().total(), 1);
  EXPECT_EQ(scope.elapsed().total(), 4);
}

TEST(SyncCounts, ConcurrentCountsAreNotLost) {
  SyncCountScope scope;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 1000; ++i) {
        count_device_to_host();
        count_synchronization();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(scope.elapsed().device_to_host, 4000);
  EXPECT_EQ(scope.elapsed().synchronizations, 4000);
}

TEST(SyncCounts, CpuTrainingStepCountsNothing) {
  const uint64_t seed = 5;
  SCOPED_TRACE("seed 5");
  Tensor z1 = Tensor::normal({2, 4, 8, 8}, 0, 2, seed).set_requires_grad(true);
  Tensor z2 = Tensor::normal({2, 4, 8, 8}, 0, 2, seed + 1).set_requires_grad(true);
  Tensor y = Tensor::uniform({2, 8, 8}, 0, 3.99, seed + 2).to(DType::i64);
  Tensor prior = test::random_prior(2, 4, 8, 8, 0.1, seed + 3, DType::f32);
  SyncCountScope scope;
  Tensor step_losses;
  Tensor loss = cromss_loss(z1, z2, y, prior, 10, ObjectiveConfig{}, nullptr, &step_losses);
  loss.backward();
  EXPECT_EQ(scope.elapsed(), SyncCounts{});
  EXPECT_EQ(step_losses.numel(), StepLosses::count);
}

TEST(StepReadout, HandsBackEachStepInOrderOnTheCpu) {
  StepReadout readout(Device::cpu(), 2, 64);
  readout.push({Tensor::from_vector<double>({1, 2}, {2}), Tensor::from_vector<int32_t>({7}, {1})});
  readout.push({Tensor::from_vector<double>({3, 4}, {2})});
  EXPECT_EQ(readout.pending(), 2);
  EXPECT_THROW(readout.push({Tensor::zeros({1})}), ValueError);  // both slots in flight
  std::vector<char> first = readout.pop();
  ASSERT_EQ(first.size(), 2 * sizeof(double) + sizeof(int32_t));
  double v[2];
  int32_t w;
  std::memcpy(v, first.data(), sizeof v);
  std::memcpy(&w, first.data() + sizeof v, sizeof w);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[1], 2);
  EXPECT_EQ(w, 7);
  readout.push({Tensor::from_vector<double>({5}, {1})});  // reuses the freed slot
  std::vector<char> second = readout.pop(), third = readout.pop();
  std::memcpy(v, second.data(), sizeof v);
  EXPECT_EQ(v[0], 3);
  std::memcpy(v, third.data(), sizeof(double));
  EXPECT_EQ(v[0], 5);
  EXPECT_THROW(readout.pop(), ValueError);
  EXPECT_THROW(readout.push({Tensor::zeros({100}, DType::f64)}), ValueError);  // > 64 bytes
}

}  // namespace
}  // namespace cromss
