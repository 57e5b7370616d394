// Shared pieces of the PyTorch/smp golden tests (tools/make_golden.py, whose docstring defines the
// deterministic fill formula, and tools/make_golden_decoders.py): the fill of every parameter and
// buffer from its state_dict key, the seeded inputs and targets, and the comparison of a tensor
// with its fixture summary (L2 norm, sum, seeded samples) at an NMSE limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss::test {

constexpr int64_t kGoldenSamples = 64;

// uniform_double(fnv1a64(key), i) for i < n.
std::vector<double> golden_uniform(const std::string& key, int64_t n);
// make_golden.py fill_value: the value of the state tensor `key`, written into t (f32).
void golden_fill(const std::string& key, Tensor& t);
// (batch, channels, size, size) f32 input 2u - 1 under `key`.
Tensor golden_input(const std::string& key, int64_t batch, int64_t channels, int64_t size);
// One-hot (batch, classes, size, size) f32 of the target floor(classes u) under "target".
Tensor golden_target_one_hot(int64_t batch, int64_t classes, int64_t size);
// Mean pixel-wise cross-entropy of logits against a one-hot target (F.cross_entropy).
Tensor golden_cross_entropy(const Tensor& logits, const Tensor& one_hot);
std::vector<std::string> split_lines(const std::string& s);

// Compares a tensor with its fixture summary: norm, sum and the seeded samples (positions
// random_bits(fnv1a64("sample:" + what), j) mod numel). Deep-network results differ from PyTorch
// by summation order only, so every check is an NMSE against `limit`. The sum is bounded by
// norm*sqrt(numel) (Cauchy-Schwarz), which is its scale; the samples are normalised by the larger
// of their own energy and the energy `count` average elements would have, so near-zero samples are
// not judged by noise alone.
void expect_summary_close(const std::string& what, const Tensor& actual, double limit,
                          const double* stats, const double* samples,
                          int64_t count = kGoldenSamples);

}  // namespace cromss::test
