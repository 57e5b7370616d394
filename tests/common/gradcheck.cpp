// Finite-difference gradient checker (see tests/gradcheck.h).
#include "tests/gradcheck.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/random.cuh"
#include "engine/autograd.h"

namespace cromss::test {
namespace {

double projected(const OpFn& f, const std::vector<Tensor>& inputs, const std::vector<double>& r) {
  NoGrad no_grad;
  std::vector<double> out = f(inputs).to_vector<double>();
  double acc = 0;
  for (size_t i = 0; i < out.size(); ++i) acc += out[i] * r[i];
  return acc;
}

bool close(double a, double n, const GradCheckOptions& o) {
  return std::fabs(a - n) <= o.atol + o.rtol * std::max(std::fabs(a), std::fabs(n));
}

}  // namespace

void expect_gradients_match(const OpFn& f, std::vector<Tensor> inputs, const GradCheckOptions& o) {
  SCOPED_TRACE(::testing::Message() << "gradcheck seed " << o.seed);
  for (auto& t : inputs)
    ASSERT_TRUE(!t.defined() || (t.dtype() == DType::f64 && t.device().is_cpu()))
        << "gradcheck inputs must be f64 on the CPU, got " << t.str();

  Tensor out = f(inputs);
  ASSERT_EQ(out.dtype(), DType::f64);
  Tensor r = Tensor::uniform(out.shape(), -1.0, 1.0, o.seed, DType::f64);
  std::vector<double> rv = r.to_vector<double>();
  out.backward(r);
  std::vector<std::vector<double>> analytic(inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].defined() || !inputs[k].requires_grad()) continue;
    Tensor g = inputs[k].grad();
    ASSERT_TRUE(g.defined()) << "input " << k << " received no gradient";
    // In the input's memory order, as the perturbations below walk its storage (nhwc leaves).
    const Tensor in_order = g.contiguous(inputs[k].memory_format());
    analytic[k].assign(in_order.data<double>(), in_order.data<double>() + in_order.numel());
  }

  for (size_t k = 0; k < inputs.size(); ++k) {
    if (analytic[k].empty()) continue;
    Tensor& x = inputs[k];
    double* p = x.data<double>();
    int64_t n = x.numel();
    std::set<int64_t> coords;
    if (n <= o.max_coords) {
      for (int64_t i = 0; i < n; ++i) coords.insert(i);
    } else {
      for (int64_t j = 0; static_cast<int>(coords.size()) < o.max_coords; ++j)
        coords.insert(static_cast<int64_t>(random_bits(o.seed + 17 * (k + 1), j) % n));
    }
    for (int64_t i : coords) {
      double saved = p[i];
      p[i] = saved + o.step;
      double lp = projected(f, inputs, rv);
      p[i] = saved - o.step;
      double lm = projected(f, inputs, rv);
      p[i] = saved;
      double numeric = (lp - lm) / (2 * o.step);
      EXPECT_TRUE(close(analytic[k][i], numeric, o))
          << "input " << k << " " << x.str() << " flat index " << i << ": analytic "
          << analytic[k][i] << " vs numeric " << numeric;
    }
  }

  for (int d = 0; d < o.directions; ++d) {
    std::vector<std::vector<double>> v(inputs.size());
    double predicted = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (analytic[k].empty()) continue;
      v[k].resize(analytic[k].size());
      for (size_t i = 0; i < v[k].size(); ++i) {
        v[k][i] = 2 * uniform_double(o.seed * 31 + 7 * d + 1000 * (k + 1), i) - 1;
        predicted += analytic[k][i] * v[k][i];
      }
    }
    auto shift = [&](double s) {
      for (size_t k = 0; k < inputs.size(); ++k)
        for (size_t i = 0; i < v[k].size(); ++i) inputs[k].data<double>()[i] += s * v[k][i];
    };
    shift(o.step);
    double lp = projected(f, inputs, rv);
    shift(-2 * o.step);
    double lm = projected(f, inputs, rv);
    shift(o.step);
    double numeric = (lp - lm) / (2 * o.step);
    EXPECT_TRUE(close(predicted, numeric, o))
        << "direction " << d << ": <grad, v> " << predicted << " vs numeric " << numeric;
  }
}

Tensor grad_input(const Shape& shape, uint64_t seed, double lo, double hi) {
  return Tensor::uniform(shape, lo, hi, seed, DType::f64).set_requires_grad(true);
}

}  // namespace cromss::test
