// LeafGradReadyScope (engine/autograd.h): during backward every leaf used by the tape is reported
// exactly once, after the backward of its last use in reverse record order, with its final
// gradient; a parameter used twice (as the shared decoder of mid fusion) is reported after its
// second use; a leaf whose only use gets no gradient is still reported; no scope, no reports.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"

namespace cromss {
namespace {

struct Leaves {
  Tensor x = Tensor::from_vector<float>({1.f, 2.f, 3.f}, {3});  // constant input
  Tensor w = Tensor::from_vector<float>({0.5f, -1.f, 2.f}, {3}).set_requires_grad(true);
  Tensor u = Tensor::from_vector<float>({3.f, 1.f, -2.f}, {3}).set_requires_grad(true);
  Tensor unused = Tensor::from_vector<float>({1.f, 1.f, 1.f}, {3}).set_requires_grad(true);

  std::string name(const AutogradMeta& m) const {
    if (&m == w.autograd_meta().get()) return "w";
    if (&m == u.autograd_meta().get()) return "u";
    if (&m == unused.autograd_meta().get()) return "unused";
    return "?";
  }
  // loss = sum(((x * w) * u) * w), plus a branch x * unused that the loss does not use.
  Tensor loss() const {
    Tensor dead = mul(x, unused);
    Tensor a = mul(x, w);
    Tensor b = mul(a, u);
    return sum(mul(b, w));
  }
};

TEST(AutogradLeafReady, ReportsEachLeafOnceAfterItsLastUse) {
  Leaves l;
  std::vector<std::string> order;
  std::vector<std::vector<float>> w_grad_at_report;
  {
    LeafGradReadyScope scope([&](const AutogradMeta& m) {
      order.push_back(l.name(m));
      if (order.back() == "w") w_grad_at_report.push_back(m.grad.to_vector<float>());
    });
    l.loss().backward();
  }
  // Reverse walk: mul(b, w) [w: 1 use left], mul(a, u) [u done], mul(x, w) [w done], then the
  // dead branch mul(x, unused), skipped because its output got no gradient.
  EXPECT_EQ(order, (std::vector<std::string>{"u", "w", "unused"}));
  // d/dw sum(x * u * w^2) = 2 x u w: complete when reported.
  const std::vector<float> want{3.f, -4.f, -24.f};
  ASSERT_EQ(w_grad_at_report.size(), 1u);
  EXPECT_EQ(w_grad_at_report[0], want);
  EXPECT_EQ(l.w.grad().to_vector<float>(), want);
  EXPECT_FALSE(l.unused.grad().defined());
}

TEST(AutogradLeafReady, NothingReportedOutsideTheScope) {
  Leaves l;
  int reports = 0;
  {
    LeafGradReadyScope scope([&](const AutogradMeta&) { ++reports; });
  }
  l.loss().backward();
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(Tape::current().size(), 0u);
}

TEST(AutogradLeafReady, InnerScopeRestoresTheOuterObserver) {
  Leaves l;
  int outer = 0, inner = 0;
  LeafGradReadyScope outer_scope([&](const AutogradMeta&) { ++outer; });
  {
    LeafGradReadyScope inner_scope([&](const AutogradMeta&) { ++inner; });
    l.loss().backward();
  }
  l.loss().backward();
  EXPECT_EQ(inner, 3);
  EXPECT_EQ(outer, 3);
}

}  // namespace
}  // namespace cromss
