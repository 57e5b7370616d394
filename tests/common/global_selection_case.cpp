// See tests/global_selection_case.h.
#include "tests/global_selection_case.h"

#include <fmt/format.h>

#include <cmath>

#include "engine/ops/elementwise.h"
#include "tests/random_prior.h"
#include "tests/tolerance.h"
#include "train/cromss_objective.h"

namespace cromss::test {
namespace {

constexpr int64_t kClasses = 9, kHeight = 7, kWidth = 5;

struct Batch {
  Tensor z1, z2, labels, prior;
};

// Logits with a spread that puts confidences all over (0, 1); labels mostly 0..7 with a rare
// class 8 (so some k_c = floor(n_c r) are 0 on a rank but not over the union) and ties.
Batch make_batch(uint64_t seed) {
  const Shape full{kGlobalSelectionBatch, kClasses, kHeight, kWidth};
  Batch b;
  b.z1 = Tensor::normal(full, 0, 2, seed);
  b.z2 = Tensor::normal(full, 0, 2, seed + 1);
  std::vector<float> u =
      Tensor::uniform({kGlobalSelectionBatch, kHeight, kWidth}, 0, 1, seed + 2).to_vector<float>();
  std::vector<int32_t> y(u.size());
  for (size_t i = 0; i < u.size(); ++i) y[i] = u[i] < 0.02f ? 8 : static_cast<int32_t>(u[i] * 8);
  b.labels = Tensor::from_vector(y, {kGlobalSelectionBatch, kHeight, kWidth});
  b.prior =
      random_prior(kGlobalSelectionBatch, kClasses, kHeight, kWidth, 0.05, seed + 3, DType::f32);
  return b;
}

Tensor part(const Tensor& t, int rank, int world) {
  const int64_t n = t.size(0) / world;
  return t.narrow(0, rank * n, n).contiguous();
}

void expect_identical(const Tensor& actual, const Tensor& reference, const std::string& what,
                      std::vector<std::string>& failures) {
  const auto a = actual.to_vector<float>(), r = reference.to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != r[i]) {
      failures.push_back(fmt::format("{}: element {} is {} instead of {}", what, i, a[i], r[i]));
      return;
    }
}

void expect_close(const Tensor& actual, const Tensor& reference, const std::string& what,
                  std::vector<std::string>& failures) {
  const Comparison c = compare_elementwise(
      actual.to_vector<double>(), reference.to_vector<double>(), tolerance_for(DType::f32));
  if (!c.ok) failures.push_back(c.summary(what));
}

}  // namespace

std::vector<GlobalSelectionCase> global_selection_cases() {
  std::vector<GlobalSelectionCase> cases;
  for (int epoch : {0, 30, 100}) cases.push_back({fmt::format("cromss_epoch{}", epoch), epoch, {}});
  GlobalSelectionCase gini{"gini_kl", 50, {}};
  gini.config.sample_selection_confidence_type = ConfidenceType::gini;
  gini.config.consist_loss_type = ConsistencyKind::kl;
  cases.push_back(gini);
  GlobalSelectionCase ce_only{"ce_only_mse", 60, {}};
  ce_only.config.loss_type = "c";
  ce_only.config.consist_loss_type = ConsistencyKind::mse;
  cases.push_back(ce_only);
  GlobalSelectionCase single{"single_branch", 0, {}};
  single.single_branch = true;
  cases.push_back(single);
  return cases;
}

std::vector<std::string> check_global_selection(const GlobalSelectionCase& test_case,
                                                CrossRankSum& ranks, int rank, uint64_t seed) {
  const int world = ranks.world_size();
  const Batch all = make_batch(seed);
  ObjectiveConfig global = test_case.config;
  global.ranks = &ranks;
  const Tensor z1 = part(all.z1, rank, world), z2 = part(all.z2, rank, world);
  const Tensor labels = part(all.labels, rank, world), prior = part(all.prior, rank, world);
  std::vector<std::string> failures;
  const std::string at = fmt::format("{} rank {}/{}", test_case.name, rank, world);

  if (test_case.single_branch) {
    const SingleBranchResult ref =
        single_branch_objective(all.z1, all.labels, all.prior, test_case.config);
    const SingleBranchResult got = single_branch_objective(z1, labels, prior, global);
    if (std::fabs(got.loss - ref.loss) > 1e-9 * std::fabs(ref.loss) + 1e-12)
      failures.push_back(fmt::format("{}: loss {} instead of {}", at, got.loss, ref.loss));
    expect_close(got.grad_logits, scale(part(ref.grad_logits, rank, world), world), at + " grad",
                 failures);
    return failures;
  }
  const ObjectiveResult ref =
      cromss_objective(all.z1, all.z2, all.labels, all.prior, test_case.epoch, test_case.config);
  const ObjectiveResult got = cromss_objective(z1, z2, labels, prior, test_case.epoch, global);
  // Sums of the same terms in another order (double accumulators): relative 1e-9.
  if (std::fabs(got.loss - ref.loss) > 1e-9 * std::fabs(ref.loss) + 1e-12)
    failures.push_back(fmt::format("{}: loss {} instead of {}", at, got.loss, ref.loss));
  for (int d = 0; d < 2; ++d) {
    const std::string branch = fmt::format("{} branch {}", at, d + 1);
    expect_identical(got.threshold[d], ref.threshold[d], branch + " theta", failures);
    expect_identical(got.weight_seg[d], part(ref.weight_seg[d], rank, world), branch + " W_l",
                     failures);
    expect_identical(got.weight_con[d], part(ref.weight_con[d], rank, world), branch + " W_e",
                     failures);
    expect_close(got.grad_logits[d], scale(part(ref.grad_logits[d], rank, world), world),
                 branch + " dL/dlogits x world", failures);
  }
  return failures;
}

}  // namespace cromss::test
