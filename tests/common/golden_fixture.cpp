// Shared golden-test helpers (see tests/golden_fixture.h).
#include "tests/golden_fixture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/random.cuh"
#include "engine/ops.h"
#include "layers/module.h"

namespace cromss::test {

std::vector<double> golden_uniform(const std::string& key, int64_t n) {
  std::vector<double> u(static_cast<size_t>(n));
  const uint64_t seed = fnv1a64(key);
  for (int64_t i = 0; i < n; ++i) u[size_t(i)] = uniform_double(seed, uint64_t(i));
  return u;
}

void golden_fill(const std::string& key, Tensor& t) {
  const std::string leaf = key.substr(key.rfind('.') + 1);
  if (leaf == "num_batches_tracked") {
    t.copy_(Tensor::zeros({}, DType::i64));
    return;
  }
  std::vector<double> u = golden_uniform(key, t.numel());
  std::vector<float> v(u.size());
  const Shape& s = t.shape();
  for (size_t i = 0; i < u.size(); ++i) {
    double x;
    if (leaf == "weight" && s.size() == 4)
      x = (2 * u[i] - 1) * std::sqrt(3.0 / double(s[1] * s[2] * s[3]));
    else if (leaf == "weight")
      x = 1 + 0.2 * (2 * u[i] - 1);
    else if (leaf == "bias" || leaf == "running_mean")
      x = 0.1 * (2 * u[i] - 1);
    else if (leaf == "running_var")
      x = 1 + 0.5 * u[i];
    else
      FAIL() << "no fill rule for " << key;
    v[i] = float(x);
  }
  t.copy_(Tensor::from_vector(v, s));
}

Tensor golden_input(const std::string& key, int64_t batch, int64_t channels, int64_t size) {
  std::vector<double> u = golden_uniform(key, batch * channels * size * size);
  std::vector<float> v(u.size());
  for (size_t i = 0; i < u.size(); ++i) v[i] = float(2 * u[i] - 1);
  return Tensor::from_vector(v, {batch, channels, size, size});
}

Tensor golden_target_one_hot(int64_t batch, int64_t classes, int64_t size) {
  const int64_t pixels = size * size;
  std::vector<double> u = golden_uniform("target", batch * pixels);
  std::vector<float> v(size_t(batch * classes * pixels), 0.0f);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t p = 0; p < pixels; ++p) {
      const int64_t c = int64_t(std::floor(double(classes) * u[size_t(n * pixels + p)]));
      v[size_t((n * classes + c) * pixels + p)] = 1.0f;
    }
  return Tensor::from_vector(v, {batch, classes, size, size});
}

Tensor golden_cross_entropy(const Tensor& logits, const Tensor& one_hot) {
  const double pixels = double(logits.size(0) * logits.size(2) * logits.size(3));
  return scale(sum(mul(log_softmax(logits, 1), one_hot)), -1.0 / pixels);
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void expect_summary_close(const std::string& what, const Tensor& actual, double limit,
                          const double* stats, const double* samples, int64_t count) {
  std::vector<double> a = actual.to_vector<double>();
  double norm = 0, total = 0;
  for (double x : a) norm += x * x, total += x;
  norm = std::sqrt(norm);
  const double n = double(a.size());
  EXPECT_LE(std::pow(norm - stats[0], 2), limit * stats[0] * stats[0] + 1e-30)
      << what << ": L2 norm " << norm << " vs " << stats[0];
  EXPECT_LE(std::pow(total - stats[1], 2), limit * stats[0] * stats[0] * n + 1e-30)
      << what << ": sum " << total << " vs " << stats[1];
  const uint64_t seed = fnv1a64("sample:" + what);
  double err = 0, energy = 0;
  for (int64_t j = 0; j < count; ++j) {
    const double r = samples[j], x = a[random_bits(seed, uint64_t(j)) % a.size()];
    err += (x - r) * (x - r);
    energy += r * r;
  }
  energy = std::max(energy, stats[0] * stats[0] * double(count) / n);
  EXPECT_LE(err, limit * energy + 1e-30) << what << ": samples NMSE " << err / energy;
}

}  // namespace cromss::test
