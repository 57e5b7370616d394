// Finite-difference gradient checks in double precision on the CPU.
//
// For an op f(inputs) -> output, the checked scalar is L = sum(f(x) * R) with a fixed random
// projection R (seeded). The analytic gradient comes from output.backward(R). It is compared
// (tests/tolerance.h: kFdRtol/kFdAtol) with central differences (L(x+h) - L(x-h)) / 2h:
//   - at every coordinate of small inputs, or at `max_coords` seeded coordinates of large ones;
//   - along `directions` random directions over all inputs at once (catches errors the sampled
//     coordinates miss: <grad, v> against the directional difference).
// Inputs must be f64 CPU tensors; those that should be checked need requires_grad.
#pragma once

#include <functional>
#include <vector>

#include "engine/tensor.h"

namespace cromss::test {

struct GradCheckOptions {
  uint64_t seed = 1234;
  int max_coords = 48;  // per input
  int directions = 2;
  double step = 1e-6;
  double rtol = 1e-5;
  double atol = 1e-7;
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// A seeded uniform [lo, hi) f64 CPU tensor that requires grad: an input to check.
Tensor grad_input(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1);

// Adds gtest failures naming the input, coordinate, analytic and numeric values.
void expect_gradients_match(const OpFn& f, std::vector<Tensor> inputs,
                            const GradCheckOptions& options = {});

}  // namespace cromss::test
