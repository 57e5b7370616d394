// The one tolerance policy of the test suites (DESIGN.md "Testing"). Every comparison of
// floating results goes through these helpers; an override states its cause in a comment next
// to the call.
//
// Element test: |a - r| <= atol + rtol * |r|, with (rtol, atol) per dtype from torch.testing:
//   f64 1e-7/1e-7, f32 1.3e-6/1e-5, bf16 1.6e-2/1e-5, f16 1e-3/1e-5.
// Large reductions (conv/GEMM outputs compared across backends, whose summation orders differ)
// use the normalised mean squared error NMSE = sum (a-r)^2 / sum r^2 against kNmse per dtype.
// Finite-difference gradient checks (double precision, central differences with step kFdStep)
// use kFdRtol/kFdAtol.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "engine/tensor.h"

namespace cromss::test {

struct Tolerance {
  double rtol;
  double atol;
};

Tolerance tolerance_for(DType dtype);
double nmse_limit_for(DType dtype);

constexpr double kFdStep = 1e-6;  // central-difference step in double precision
constexpr double kFdRtol = 1e-5;
constexpr double kFdAtol = 1e-7;

struct Comparison {
  bool ok = true;
  int64_t count = 0;
  int64_t failures = 0;
  double max_abs = 0, max_rel = 0, budget_used = 0;  // budget_used: max |a-r| / (atol+rtol|r|)
  int64_t worst_index = -1;
  std::string summary(const std::string& what) const;
};

Comparison compare_elementwise(const std::vector<double>& actual,
                               const std::vector<double>& reference, Tolerance tol);
double nmse(const std::vector<double>& actual, const std::vector<double>& reference);

// gtest assertions that print max abs/rel error and the share of the budget used.
::testing::AssertionResult all_close(const Tensor& actual, const Tensor& reference, Tolerance tol);
::testing::AssertionResult all_close(const Tensor& actual,
                                     const Tensor& reference);  // dtype of actual
::testing::AssertionResult nmse_close(const Tensor& actual, const Tensor& reference, double limit);

}  // namespace cromss::test
