// Implementation of the tolerance policy (tests/tolerance.h).
#include "tests/tolerance.h"

#include <fmt/format.h>

#include <algorithm>

namespace cromss::test {

Tolerance tolerance_for(DType dtype) {
  switch (dtype) {
    case DType::f64:
      return {1e-7, 1e-7};
    case DType::f32:
      return {1.3e-6, 1e-5};
    case DType::bf16:
      return {1.6e-2, 1e-5};
    case DType::f16:
      return {1e-3, 1e-5};
    default:
      return {0, 0};  // integers: exact
  }
}

double nmse_limit_for(DType dtype) {
  switch (dtype) {
    case DType::f64:
      return 1e-14;
    case DType::f32:
      return 5e-7;
    case DType::bf16:
      return 5e-4;
    case DType::f16:
      return 5e-5;
    default:
      return 0;
  }
}

std::string Comparison::summary(const std::string& what) const {
  return fmt::format(
      "{}: {} of {} elements outside tolerance; max abs {:.3g}, max rel {:.3g}, "
      "budget used {:.1f}% (worst at flat index {})",
      what, failures, count, max_abs, max_rel, 100.0 * budget_used, worst_index);
}

Comparison compare_elementwise(const std::vector<double>& a, const std::vector<double>& r,
                               Tolerance tol) {
  Comparison c;
  c.count = static_cast<int64_t>(r.size());
  if (a.size() != r.size()) {
    c.ok = false;
    c.failures = c.count;
    return c;
  }
  for (size_t i = 0; i < r.size(); ++i) {
    double diff = std::fabs(a[i] - r[i]);
    double allowed = tol.atol + tol.rtol * std::fabs(r[i]);
    bool bad = !(diff <= allowed) || std::isnan(a[i]) != std::isnan(r[i]);
    if (std::isnan(a[i]) && std::isnan(r[i])) bad = false;
    double used = allowed > 0 ? diff / allowed : (diff > 0 ? INFINITY : 0);
    if (bad) ++c.failures;
    c.max_abs = std::max(c.max_abs, diff);
    if (r[i] != 0) c.max_rel = std::max(c.max_rel, diff / std::fabs(r[i]));
    if (used > c.budget_used || (bad && c.worst_index < 0)) {
      c.budget_used = std::max(c.budget_used, used);
      c.worst_index = static_cast<int64_t>(i);
    }
  }
  c.ok = c.failures == 0;
  return c;
}

double nmse(const std::vector<double>& a, const std::vector<double>& r) {
  double num = 0, den = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    num += (a[i] - r[i]) * (a[i] - r[i]);
    den += r[i] * r[i];
  }
  return den > 0 ? num / den : num;
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& reference, Tolerance tol) {
  if (actual.shape() != reference.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape())
                                         << " vs reference " << shape_str(reference.shape());
  Comparison c =
      compare_elementwise(actual.to_vector<double>(), reference.to_vector<double>(), tol);
  std::string what = fmt::format("{} vs {} (rtol {:g}, atol {:g})", actual.str(), reference.str(),
                                 tol.rtol, tol.atol);
  if (c.ok) return ::testing::AssertionSuccess() << c.summary(what);
  return ::testing::AssertionFailure() << c.summary(what);
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& reference) {
  return all_close(actual, reference, tolerance_for(actual.dtype()));
}

::testing::AssertionResult nmse_close(const Tensor& actual, const Tensor& reference, double limit) {
  if (actual.shape() != reference.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape())
                                         << " vs reference " << shape_str(reference.shape());
  double e = nmse(actual.to_vector<double>(), reference.to_vector<double>());
  if (e <= limit) return ::testing::AssertionSuccess() << "nmse " << e;
  return ::testing::AssertionFailure() << actual.str() << ": nmse " << e << " > limit " << limit;
}

}  // namespace cromss::test
