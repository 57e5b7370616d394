// No host synchronisation inside a CUDA training step in the steady state (issue 10 item 4),
// counted in the engine's CUDA API layer (engine/sync_counts.h; its counting logic has a CPU
// test, tests/cpu/sync_counts_test.cpp). Label gpu: skips without a device.
//   * the objective (forward, the loss tensor, backward) after a warm-up call: 0 blocking
//     device-to-host copies and 0 stream/device synchronisations;
//   * `cromss pretrain` (run_pretrain) on a tiny synthetic dataset, bf16 and fp16: a run of
//     kLong steps and one of kShort steps differ by nothing but the steps in between (setup,
//     the stop and its checkpoint are the same), so their count difference is what those steady-
//     state steps did - asserted 0.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/sync_counts.h"
#include "data/synth.h"
#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "tests/gpu_test.h"
#include "tests/random_prior.h"
#include "train/cromss_loss.h"
#include "train/pretrain_loop.h"

namespace cromss {
namespace {

TEST(StepSync, ObjectiveForwardAndBackwardWaitForNothing) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 21;
  SCOPED_TRACE("seed 21");
  const Device dev = Device::cuda(0);
  Tensor z1 = Tensor::normal({2, 9, 32, 32}, 0, 2, seed).to(dev).set_requires_grad(true);
  Tensor z2 = Tensor::normal({2, 9, 32, 32}, 0, 2, seed + 1).to(dev).set_requires_grad(true);
  Tensor y = Tensor::uniform({2, 32, 32}, 0, 8.99, seed + 2).to(DType::i64).to(dev);
  Tensor prior = test::random_prior(2, 9, 32, 32, 0.1, seed + 3, DType::f32).to(dev);
  for (int call = 0; call < 2; ++call) {  // call 0 warms the caching allocator
    SyncCountScope scope;
    Tensor step_losses;
    Tensor loss = cromss_loss(z1, z2, y, prior, 40, ObjectiveConfig{}, nullptr, &step_losses);
    scale(loss, 2.0).backward();
    if (call == 1) {
      EXPECT_EQ(scope.elapsed().device_to_host, 0);
      EXPECT_EQ(scope.elapsed().synchronizations, 0);
    }
  }
}

SyncCounts pretrain_counts(const std::string& data, const std::string& run, const char* precision,
                           int64_t steps) {
  PretrainConfig c;
  c.data_path = data;
  c.model_type = "resnet18";
  c.validation = 0;
  c.accelerator = "gpu";
  c.precision = precision;
  c.num_workers = 1;
  c.crop_size = 32;
  c.batch_size = 2;
  c.epochs = 1;
  c.sample_selection_rmdown_epoch = 2;
  PretrainRunOptions o;
  o.max_steps = steps;
  o.run_dir = run;
  o.quiet = true;
  SyncCountScope scope;
  const PretrainResult r = run_pretrain(c, o);
  EXPECT_EQ(r.step, steps);
  return scope.elapsed();
}

TEST(StepSync, PretrainingStepsInTheSteadyStateWaitForNothing) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  constexpr int64_t kShort = 3, kLong = 7;  // 16 locations, batch 2: 8 steps in the epoch
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("cromss_step_sync_" + std::to_string(getpid()));
  std::filesystem::remove_all(work);
  data::SynthOptions synth;
  synth.out_dir = (work / "data").string();
  synth.n = 16;
  synth.seed = 7;
  synth.size = 64;
  synth.threads = 1;
  data::write_synth_dataset(synth);
  for (const char* precision : {"bf16", "fp16"}) {
    SCOPED_TRACE(precision);
    const SyncCounts short_run =
        pretrain_counts(synth.out_dir, (work / "short").string(), precision, kShort);
    const SyncCounts long_run =
        pretrain_counts(synth.out_dir, (work / "long").string(), precision, kLong);
    const SyncCounts steady = long_run - short_run;
    EXPECT_EQ(steady.device_to_host, 0) << "over " << kLong - kShort << " steady-state steps";
    EXPECT_EQ(steady.synchronizations, 0) << "over " << kLong - kShort << " steady-state steps";
    std::filesystem::remove_all(work / "short");
    std::filesystem::remove_all(work / "long");
  }
  std::filesystem::remove_all(work);
}

}  // namespace
}  // namespace cromss
