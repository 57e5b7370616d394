// dL/dlogits of the CromSS objective against central finite differences in double
// (tests/tolerance.h kFdStep/kFdRtol/kFdAtol). The masks and teacher distributions depend on the
// logits but are detached (method-spec.md §4.5), so the differences evaluate frozen_objective_loss
// with the selection of the unperturbed point. Also: the autograd node of cromss_loss and the
// single-branch variant.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/autograd.h"
#include "tests/objective_frozen_loss.h"
#include "tests/random_prior.h"
#include "tests/tolerance.h"
#include "train/cromss_loss.h"

namespace cromss {
namespace {

constexpr uint64_t kSeed = 4242;

struct Inputs {
  Tensor z1, z2, labels, prior;
};

Inputs make_inputs(uint64_t seed, int64_t B = 2, int64_t C = 5, int64_t H = 3, int64_t W = 4) {
  Inputs in;
  in.z1 = Tensor::normal({B, C, H, W}, 0, 2, seed, DType::f64);
  in.z2 = Tensor::normal({B, C, H, W}, 0, 2, seed + 1, DType::f64);
  std::vector<int64_t> y(B * H * W);
  std::vector<double> u =
      Tensor::uniform({B * H * W}, 0, 1, seed + 2, DType::f64).to_vector<double>();
  for (size_t i = 0; i < y.size(); ++i) y[i] = std::min<int64_t>(C - 2, int64_t(u[i] * (C - 1)));
  in.labels = Tensor::from_vector(y, {B, H, W});  // class C-1 absent
  in.prior = test::random_prior(B, C, H, W, 0.05, seed + 3, DType::f64);
  return in;
}

void expect_fd_matches(const ObjectiveConfig& config, int epoch, const std::string& what) {
  SCOPED_TRACE(what + " (seed " + std::to_string(kSeed) + ")");
  Inputs in = make_inputs(kSeed);
  const ObjectiveResult r = cromss_objective(in.z1, in.z2, in.labels, in.prior, epoch, config);
  const FrozenSelection frozen = freeze(r, in.z1, in.z2);
  EXPECT_NEAR(frozen_objective_loss(in.z1, in.z2, frozen, config), r.loss,
              1e-12 * std::abs(r.loss));
  Tensor z[2] = {in.z1.clone(), in.z2.clone()};
  for (int d = 0; d < 2; ++d) {
    const std::vector<double> analytic = r.grad_logits[d].to_vector<double>();
    double* x = z[d].data<double>();
    for (int64_t i = 0; i < z[d].numel(); ++i) {
      const double keep = x[i];
      x[i] = keep + test::kFdStep;
      const double up = frozen_objective_loss(z[0], z[1], frozen, config);
      x[i] = keep - test::kFdStep;
      const double down = frozen_objective_loss(z[0], z[1], frozen, config);
      x[i] = keep;
      const double numeric = (up - down) / (2 * test::kFdStep);
      EXPECT_NEAR(analytic[i], numeric, test::kFdAtol + test::kFdRtol * std::abs(numeric))
          << "branch " << d << " index " << i;
    }
  }
}

TEST(ObjectiveGradient, MatchesFiniteDifferencesDefault) {
  expect_fd_matches(ObjectiveConfig{}, 40, "default flags, epoch 40");
  expect_fd_matches(ObjectiveConfig{}, 120, "default flags, epoch 120");
}

TEST(ObjectiveGradient, MatchesFiniteDifferencesOptions) {
  ObjectiveConfig kl;
  kl.consist_loss_type = ConsistencyKind::kl;
  expect_fd_matches(kl, 60, "kl");
  ObjectiveConfig mse;
  mse.consist_loss_type = ConsistencyKind::mse;
  mse.consist_loss_weight = 0.7;
  expect_fd_matches(mse, 60, "mse, lambda 0.7");
  ObjectiveConfig gini;
  gini.sample_selection_confidence_type = ConfidenceType::gini;
  gini.label_smoothing = false;
  expect_fd_matches(gini, 90, "gini, hard targets (absent class zeroed in Dice)");
  ObjectiveConfig dice;
  dice.loss_type = "d";
  dice.sample_selection = false;
  expect_fd_matches(dice, 10, "Dice only, no selection");
}

TEST(ObjectiveGradient, AutogradNodeReturnsScaledGradients) {
  Inputs in = make_inputs(kSeed + 10);
  ObjectiveConfig config;
  Tensor z1 = in.z1.clone().set_requires_grad(true);
  Tensor z2 = in.z2.clone().set_requires_grad(true);
  ObjectiveResult details;
  Tensor loss = cromss_loss(z1, z2, in.labels, in.prior, 50, config, &details);
  EXPECT_DOUBLE_EQ(loss.item(), details.loss);
  loss.backward(Tensor::full({}, 2.0, DType::f64));
  for (int d = 0; d < 2; ++d) {
    const std::vector<double> g = (d == 0 ? z1 : z2).grad().to_vector<double>();
    const std::vector<double> e = details.grad_logits[d].to_vector<double>();
    ASSERT_EQ(g.size(), e.size());
    for (size_t i = 0; i < g.size(); ++i) EXPECT_DOUBLE_EQ(g[i], 2 * e[i]) << d << " " << i;
  }
}

TEST(ObjectiveGradient, SingleBranchIsTheTwoBranchSegmentationTerm) {
  Inputs in = make_inputs(kSeed + 20);
  ObjectiveConfig config;
  config.sample_selection = false;
  config.consist_loss_type = ConsistencyKind::none;
  const ObjectiveResult two = cromss_objective(in.z1, in.z2, in.labels, in.prior, 3, config);
  Tensor z = in.z1.clone().set_requires_grad(true);
  Tensor loss = single_branch_loss(z, in.labels, in.prior, config);
  EXPECT_NEAR(loss.item(), two.loss_seg[0], 1e-12);
  loss.backward();
  EXPECT_TRUE(test::all_close(z.grad(), two.grad_logits[0]));
}

}  // namespace
}  // namespace cromss
