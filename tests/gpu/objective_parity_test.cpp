// CUDA objective kernels against the CPU reference (label gpu; skips without a device): the full
// objective (targets, confidences, thresholds by radix selection, weights, losses, gradients) for
// f32, bf16 and f16 logits (bf16/f16 inputs are rounded first and the CPU runs on the rounded
// values), on a shape that straddles the block size, the --global_selection host round trip, and
// the prior blur. Guard bytes around every buffer.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "engine/ops/elementwise.h"
#include "engine/ops/label_prior.h"
#include "tests/gpu_test.h"
#include "tests/random_prior.h"
#include "tests/tolerance.h"
#include "train/cromss_loss.h"
#include "train/cromss_objective.h"

namespace cromss {
namespace {

struct Case {
  Tensor z1, z2, labels, prior;
};

Case make_case(uint64_t seed, int64_t B, int64_t C, int64_t H, int64_t W) {
  Case k;
  k.z1 = Tensor::normal({B, C, H, W}, 0, 3, seed);
  k.z2 = Tensor::normal({B, C, H, W}, 0, 3, seed + 1);
  std::vector<float> u = Tensor::uniform({B * H * W}, 0, 1, seed + 2).to_vector<float>();
  std::vector<int32_t> y(u.size());
  for (size_t i = 0; i < u.size(); ++i)
    y[i] = std::min<int32_t>(int32_t(C) - 1, int32_t(u[i] * u[i] * C));
  k.labels = Tensor::from_vector(y, {B, H, W});
  k.prior = test::random_prior(B, C, H, W, 0.1, seed + 3, DType::f32);
  return k;
}

void expect_objective_parity(DType dtype, int epoch, const ObjectiveConfig& config) {
  const uint64_t seed = 99;
  SCOPED_TRACE(std::string(dtype_name(dtype)) + " epoch " + std::to_string(epoch) + " seed 99");
  test::GuardBytesScope guard;
  Case k = make_case(seed, 3, 9, 33, 31);
  // Round the logits to the device dtype first so both sides see the same inputs.
  Tensor z1 = k.z1.to(dtype), z2 = k.z2.to(dtype);
  const ObjectiveResult cpu =
      cromss_objective(z1.to(DType::f32), z2.to(DType::f32), k.labels, k.prior, epoch, config);
  const Device dev = Device::cuda(0);
  const ObjectiveResult gpu =
      cromss_objective(z1.to(dev), z2.to(dev), k.labels.to(dev), k.prior.to(dev), epoch, config);
  EXPECT_TRUE(test::all_close(gpu.target.to(Device::cpu()), cpu.target));
  for (int d = 0; d < 2; ++d) {
    EXPECT_TRUE(test::all_close(gpu.conf_label[d].to(Device::cpu()), cpu.conf_label[d]));
    EXPECT_TRUE(test::all_close(gpu.conf_pred[d].to(Device::cpu()), cpu.conf_pred[d]));
    // Thresholds are values of the (matching) confidences: compared with the f32 policy.
    EXPECT_TRUE(test::all_close(gpu.threshold[d].to(Device::cpu()), cpu.threshold[d]));
    EXPECT_TRUE(test::all_close(gpu.weight_seg[d].to(Device::cpu()), cpu.weight_seg[d]));
    EXPECT_TRUE(test::all_close(gpu.weight_con[d].to(Device::cpu()), cpu.weight_con[d]));
    // Gradients: the GPU accumulates the sums in another order; nmse per the policy.
    EXPECT_TRUE(test::nmse_close(gpu.grad_logits[d].to(Device::cpu()).to(DType::f32),
                                 cpu.grad_logits[d], test::nmse_limit_for(DType::f32)));
    EXPECT_NEAR(gpu.loss_seg[d], cpu.loss_seg[d], 1e-5 * std::abs(cpu.loss_seg[d]));
    EXPECT_NEAR(gpu.loss_con[d], cpu.loss_con[d], 1e-5 * std::abs(cpu.loss_con[d]));
  }
  EXPECT_NEAR(gpu.loss, cpu.loss, 1e-5 * std::abs(cpu.loss));
}

TEST(ObjectiveParity, MatchesCpuForEveryLogitDtype) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  for (DType dt : {DType::f32, DType::bf16, DType::f16})
    for (int epoch : {0, 40, 120}) expect_objective_parity(dt, epoch, ObjectiveConfig{});
}

TEST(ObjectiveParity, MatchesCpuForOptions) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  ObjectiveConfig kl;
  kl.consist_loss_type = ConsistencyKind::kl;
  kl.sample_selection_confidence_type = ConfidenceType::gini;
  expect_objective_parity(DType::f32, 60, kl);
  ObjectiveConfig mse;
  mse.consist_loss_type = ConsistencyKind::mse;
  mse.label_smoothing = false;
  expect_objective_parity(DType::f32, 60, mse);
}

TEST(ObjectiveParity, EqualConfidencesAndUnderflowGiveEqualThresholdsAndNoNaN) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  Case k = make_case(7, 2, 9, 17, 19);
  for (double v : {0.0, 1000.0}) {
    // v = 0: every confidence equal (ties at theta); v = 1000: logits +-1000, probabilities 0.
    Tensor z = Tensor::full(k.z1.shape(), 0.0);
    if (v != 0) z = Tensor::normal(k.z1.shape(), 0, 1, 8).to(DType::f32);
    std::vector<float> zv = z.to_vector<float>();
    for (float& x : zv) x = v == 0 ? 0.f : (x > 0.5f ? float(v) : -float(v));
    z = Tensor::from_vector(zv, k.z1.shape());
    const ObjectiveResult cpu = cromss_objective(z, z, k.labels, k.prior, 120, ObjectiveConfig{});
    const ObjectiveResult gpu =
        cromss_objective(z.to(Device::cuda(0)), z.to(Device::cuda(0)), k.labels.to(Device::cuda(0)),
                         k.prior.to(Device::cuda(0)), 120, ObjectiveConfig{});
    EXPECT_TRUE(std::isfinite(gpu.loss));
    EXPECT_NEAR(gpu.loss, cpu.loss, 1e-5 * std::abs(cpu.loss));
    for (int d = 0; d < 2; ++d) {
      EXPECT_TRUE(test::all_close(gpu.threshold[d].to(Device::cpu()), cpu.threshold[d]));
      EXPECT_TRUE(test::all_close(gpu.weight_seg[d].to(Device::cpu()), cpu.weight_seg[d]));
    }
  }
}

// One rank: every sum over the ranks is the identity.
class OneRank : public CrossRankSum {
 public:
  int world_size() const override { return 1; }
  void sum(std::vector<int64_t>&) override {}
  void sum(std::vector<double>&) override {}
};

// --global_selection on CUDA: the counts and digit histograms take the host round trip between
// the kernels (kernels/cuda/cromss_threshold.cu); with one rank the result must be the
// device-only selection's exactly. Multi-rank equivalence is checked on the CPU and over MPI.
TEST(ObjectiveParity, GlobalSelectionRoundTripKeepsTheThresholds) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  test::GuardBytesScope guard;
  Case k = make_case(13, 3, 9, 33, 31);
  const Device dev = Device::cuda(0);
  OneRank one;
  ObjectiveConfig global;
  global.ranks = &one;
  for (int epoch : {0, 120}) {
    const ObjectiveResult local = cromss_objective(k.z1.to(dev), k.z2.to(dev), k.labels.to(dev),
                                                   k.prior.to(dev), epoch, ObjectiveConfig{});
    const ObjectiveResult shared = cromss_objective(k.z1.to(dev), k.z2.to(dev), k.labels.to(dev),
                                                    k.prior.to(dev), epoch, global);
    EXPECT_EQ(shared.loss, local.loss);  // fixed-order sums: the same bits
    for (int d = 0; d < 2; ++d) {
      EXPECT_EQ(shared.threshold[d].to_vector<float>(), local.threshold[d].to_vector<float>());
      EXPECT_EQ(shared.weight_seg[d].to_vector<float>(), local.weight_seg[d].to_vector<float>());
    }
  }
}

// The loss sums reduce in a fixed order (kernels/cuda/cromss_objective.cu): two runs give the
// same bits for the loss and every gradient element.
TEST(ObjectiveParity, RunsAreBitwiseIdentical) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  Case k = make_case(17, 4, 9, 64, 64);
  const Device dev = Device::cuda(0);
  const ObjectiveResult a = cromss_objective(k.z1.to(dev), k.z2.to(dev), k.labels.to(dev),
                                             k.prior.to(dev), 50, ObjectiveConfig{});
  const ObjectiveResult b = cromss_objective(k.z1.to(dev), k.z2.to(dev), k.labels.to(dev),
                                             k.prior.to(dev), 50, ObjectiveConfig{});
  EXPECT_EQ(a.loss, b.loss);
  for (int d = 0; d < 2; ++d)
    EXPECT_EQ(a.grad_logits[d].to_vector<float>(), b.grad_logits[d].to_vector<float>());
}

// fp16 with a loss scale: dL/dlogits (~1/(B H W) per pixel, below f16's normal range) is scaled
// in f32 before it is rounded to f16, so gradient / scale matches the f32 gradient.
TEST(ObjectiveParity, Fp16LossScaleKeepsSmallGradients) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  Case k = make_case(19, 4, 9, 64, 64);
  const Device dev = Device::cuda(0);
  Tensor z1 = k.z1.to(DType::f16).to(dev).set_requires_grad(true);
  Tensor z2 = k.z2.to(DType::f16).to(dev).set_requires_grad(true);
  ObjectiveResult details;
  const double loss_scale = 65536.0;
  Tensor loss =
      cromss_loss(z1, z2, k.labels.to(dev), k.prior.to(dev), 30, ObjectiveConfig{}, &details);
  scale(loss, loss_scale).backward();
  for (int d = 0; d < 2; ++d) {
    const Tensor grad = (d == 0 ? z1 : z2).grad().to(Device::cpu()).to(DType::f32);
    EXPECT_TRUE(test::nmse_close(scale(grad, 1.0 / loss_scale),
                                 details.grad_logits[d].to(Device::cpu()),
                                 test::nmse_limit_for(DType::f16)));
  }
}

TEST(ObjectiveParity, AutogradNodeOnCuda) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  Case k = make_case(11, 2, 9, 8, 8);
  const Device dev = Device::cuda(0);
  Tensor z1 = k.z1.to(dev).set_requires_grad(true);
  Tensor z2 = k.z2.to(dev).set_requires_grad(true);
  ObjectiveResult details;
  Tensor loss =
      cromss_loss(z1, z2, k.labels.to(dev), k.prior.to(dev), 30, ObjectiveConfig{}, &details);
  loss.backward();
  EXPECT_TRUE(
      test::all_close(z1.grad().to(Device::cpu()), details.grad_logits[0].to(Device::cpu())));
  EXPECT_TRUE(
      test::all_close(z2.grad().to(Device::cpu()), details.grad_logits[1].to(Device::cpu())));
}

// The tiled CUDA prior (kernels/prior_tile.cuh) against the CPU reference: a plane smaller than a
// tile, the odd 255x257 (clipped last tiles in both directions) and one smaller than the halo.
TEST(ObjectiveParity, PriorBlurMatchesCpu) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  test::GuardBytesScope guard;
  for (const auto& [H, W] : {std::pair{40, 37}, std::pair{255, 257}, std::pair{7, 9}}) {
    std::vector<float> u = Tensor::uniform({2 * 4 * H * W}, 0, 1, 5).to_vector<float>();
    std::vector<int32_t> ys(u.size());
    for (size_t i = 0; i < u.size(); ++i) ys[i] = int32_t(u[i] * 9) % 9;
    Tensor seasons = Tensor::from_vector(ys, {2, 4, H, W});
    Tensor season = Tensor::from_vector<int32_t>({3, 1}, {2});
    for (PriorType t : {PriorType::ts, PriorType::t, PriorType::s}) {
      Tensor cpu = label_prior(seasons, season, 9, t);
      Tensor gpu = label_prior(seasons.to(Device::cuda(0)), season, 9, t);
      EXPECT_TRUE(test::all_close(gpu.to(Device::cpu()), cpu)) << H << "x" << W;
    }
  }
}

}  // namespace
}  // namespace cromss
