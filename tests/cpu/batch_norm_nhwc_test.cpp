// Batch norm in NHWC (channels_last) on the CPU: batch_norm2d (training and eval) and
// batch_norm_relu with and without the residual on NHWC inputs give the NCHW
// results (same seeds; compared logically, tests/tolerance.h) for outputs, running statistics
// and every gradient, in f32 and f64; their outputs and input gradients are NHWC; an NCHW
// output gradient reaching an NHWC op is accepted; and finite differences through
// to_memory_format check the NHWC backward passes in f64.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/batch_norm.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/shape_ops.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;
constexpr MemoryFormat kNhwc = MemoryFormat::nhwc;

// Inputs of one case, each a fresh leaf in the requested format.
struct Leaves {
  Tensor x, residual, weight, bias, running_mean, running_var;
};

struct Draw {
  Tensor x, residual, grad, weight, bias, running_mean, running_var;

  Draw(const Shape& s, DType dt, uint64_t seed) {
    const int64_t c = s[1];
    x = Tensor::normal(s, 0.2, 1.5, seed, dt);
    residual = Tensor::normal(s, 0.0, 1.0, seed + 1, dt);
    grad = Tensor::uniform(s, -1, 1, seed + 2, dt);
    weight = Tensor::uniform({c}, 0.5, 1.5, seed + 3, dt);
    bias = Tensor::uniform({c}, -1, 1, seed + 4, dt);
    running_mean = Tensor::uniform({c}, -0.5, 0.5, seed + 5, dt);
    running_var = Tensor::uniform({c}, 0.5, 1.5, seed + 6, dt);
  }
  Leaves leaves(MemoryFormat f) const {
    return {x.contiguous(f).clone().set_requires_grad(true),
            residual.contiguous(f).clone().set_requires_grad(true),
            weight.clone().set_requires_grad(true),
            bias.clone().set_requires_grad(true),
            running_mean.clone(),
            running_var.clone()};
  }
};

// NHWC strides are NCHW's when only one of C and H*W exceeds 1; then the format check is moot.
bool formats_differ(const Shape& s) {
  return s[1] > 1 && s[2] * s[3] > 1;
}

void expect_nhwc(const Tensor& t, const Shape& s, const char* what) {
  EXPECT_TRUE(t.is_contiguous(kNhwc)) << what << " " << t.str();
  if (formats_differ(s)) EXPECT_EQ(t.memory_format(), kNhwc) << what << " " << t.str();
}

struct NormCase {
  Shape shape;
  bool training;
};

const NormCase kCases[] = {{{2, 3, 4, 5}, true},  {{3, 17, 7, 9}, true}, {{1, 31, 3, 3}, true},
                           {{5, 4, 1, 1}, true},  {{2, 1, 3, 4}, true},  {{2, 6, 3, 3}, false},
                           {{1, 33, 1, 1}, false}};

enum class Fused { none, relu, add_relu };

const char* fused_name(Fused f) {
  return f == Fused::none ? "batch_norm2d" : f == Fused::relu ? "batch_norm_relu" : "add_relu";
}

Tensor run(Fused fused, Leaves& l, bool training) {
  if (fused == Fused::none)
    return batch_norm2d(l.x, l.weight, l.bias, l.running_mean, l.running_var, training);
  return batch_norm_relu(l.x, l.weight, l.bias, l.running_mean, l.running_var, training,
                         fused == Fused::add_relu ? l.residual : Tensor());
}

class BatchNormNhwc : public ::testing::TestWithParam<DType> {};

TEST_P(BatchNormNhwc, MatchesNchwForwardRunningStatsAndGradients) {
  const DType dt = GetParam();
  const test::Tolerance tol = test::tolerance_for(dt);
  uint64_t seed = 1300;
  for (Fused fused : {Fused::none, Fused::relu, Fused::add_relu})
    for (const NormCase& k : kCases) {
      seed += 10;
      std::printf("seed %llu dtype %s %s shape %s training %d\n",
                  static_cast<unsigned long long>(seed), dtype_name(dt), fused_name(fused),
                  shape_str(k.shape).c_str(), k.training);
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << fused_name(fused) << " "
                                        << shape_str(k.shape) << " training " << k.training);
      const Draw d(k.shape, dt, seed);
      Leaves a = d.leaves(MemoryFormat::nchw), b = d.leaves(kNhwc);
      Tensor ya = run(fused, a, k.training), yb = run(fused, b, k.training);
      expect_nhwc(yb, k.shape, "y");
      EXPECT_TRUE(test::all_close(yb, ya, tol));
      EXPECT_TRUE(test::all_close(b.running_mean, a.running_mean, tol));
      EXPECT_TRUE(test::all_close(b.running_var, a.running_var, tol));

      ya.backward(d.grad);
      yb.backward(d.grad.contiguous(kNhwc));
      expect_nhwc(b.x.grad(), k.shape, "x.grad");
      EXPECT_TRUE(test::all_close(b.x.grad(), a.x.grad(), tol));
      EXPECT_TRUE(test::all_close(b.weight.grad(), a.weight.grad(), tol));
      EXPECT_TRUE(test::all_close(b.bias.grad(), a.bias.grad(), tol));
      if (fused == Fused::add_relu) {
        expect_nhwc(b.residual.grad(), k.shape, "residual.grad");
        EXPECT_TRUE(test::all_close(b.residual.grad(), a.residual.grad(), tol));
      }
    }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, BatchNormNhwc, ::testing::Values(DType::f32, DType::f64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// The output gradient may arrive in NCHW (e.g. from an op that served only NCHW): the backward
// reads it in x's format and still writes x's gradient in NHWC.
TEST(BatchNormNhwc, AcceptsAnNchwOutputGradient) {
  const uint64_t seed = 1401;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const Shape s{2, 5, 3, 4};
  const Draw d(s, DType::f32, seed);
  Leaves a = d.leaves(MemoryFormat::nchw), b = d.leaves(kNhwc);
  run(Fused::add_relu, a, true).backward(d.grad);
  run(Fused::add_relu, b, true).backward(d.grad);
  expect_nhwc(b.x.grad(), s, "x.grad");
  EXPECT_TRUE(test::all_close(b.x.grad(), a.x.grad()));
  EXPECT_TRUE(test::all_close(b.residual.grad(), a.residual.grad()));
}

TEST(BatchNormNhwc, ResidualInTheOtherFormatIsAClearError) {
  Tensor x = Tensor::zeros({2, 3, 4, 4}).contiguous(kNhwc), r = Tensor::zeros({2, 3, 4, 4});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0);
  try {
    batch_norm_relu(x, Tensor(), Tensor(), rm, rv, true, r);
    ADD_FAILURE() << "an nchw residual beside an nhwc x was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("batch_norm_add_relu"), std::string::npos) << e.what();
  }
}

// Finite differences in f64 through to_memory_format: the op runs on NHWC inputs, the checked
// inputs stay NCHW leaves.
TEST(BatchNormNhwc, FiniteDifferences) {
  const struct {
    Shape shape;
    bool training;
    Fused fused;
    uint64_t seed;
  } cases[] = {{{2, 3, 4, 5}, true, Fused::none, 1411},
               {{3, 5, 3, 2}, true, Fused::add_relu, 1412},
               {{2, 4, 3, 3}, false, Fused::relu, 1413}};
  for (const auto& k : cases) {
    std::printf("seed %llu shape %s training %d %s\n", static_cast<unsigned long long>(k.seed),
                shape_str(k.shape).c_str(), k.training, fused_name(k.fused));
    const int64_t c = k.shape[1];
    Tensor rm = Tensor::uniform({c}, -0.5, 0.5, k.seed + 4, DType::f64);
    Tensor rv = Tensor::uniform({c}, 0.5, 1.5, k.seed + 5, DType::f64);
    std::vector<Tensor> inputs{grad_input(k.shape, k.seed), grad_input({c}, k.seed + 1, 0.5, 1.5),
                               grad_input({c}, k.seed + 2)};
    if (k.fused == Fused::add_relu) inputs.push_back(grad_input(k.shape, k.seed + 3));
    test::expect_gradients_match(
        [&](const std::vector<Tensor>& in) {
          Leaves l{to_memory_format(in[0], kNhwc),
                   in.size() > 3 ? to_memory_format(in[3], kNhwc) : Tensor(),
                   in[1],
                   in[2],
                   rm,
                   rv};
          Tensor y = run(k.fused, l, k.training);
          EXPECT_EQ(y.memory_format(), kNhwc);
          return y;
        },
        inputs);
  }
}

}  // namespace
}  // namespace cromss
