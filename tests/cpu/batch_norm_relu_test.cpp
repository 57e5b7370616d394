// batch_norm_relu on the CPU: the fused op against the unfused composition relu(batch_norm2d(x)
// [+ residual]) (forward, running statistics and every gradient, f32 and f64, training and eval),
// and finite-difference gradients in f64; both ops give the same bits with 1 and 2 OpenMP threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdio>

#include "engine/ops/batch_norm.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/elementwise.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::grad_input;

struct FusedCase {
  Shape shape;
  bool training;
  bool residual;
};

class BatchNormReluVsUnfused : public ::testing::TestWithParam<DType> {};

TEST_P(BatchNormReluVsUnfused, ForwardRunningStatsAndGradients) {
  const DType dt = GetParam();
  const FusedCase cases[] = {{{2, 3, 4, 5}, true, false},  {{2, 3, 4, 5}, true, true},
                             {{3, 17, 7, 9}, true, true},  {{5, 4, 1, 1}, true, true},
                             {{2, 6, 3, 3}, false, false}, {{2, 6, 3, 3}, false, true}};
  uint64_t seed = 300;
  for (const FusedCase& k : cases) {
    ++seed;
    std::printf("seed %llu dtype %s shape %s training %d residual %d\n",
                static_cast<unsigned long long>(seed), dtype_name(dt), shape_str(k.shape).c_str(),
                k.training, k.residual);
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_str(k.shape));
    const int64_t c = k.shape[1];
    const Tensor x = Tensor::normal(k.shape, 0.2, 1.5, seed, dt);
    const Tensor r = Tensor::normal(k.shape, 0.0, 1.0, seed + 1, dt);
    const Tensor g = Tensor::uniform(k.shape, -1, 1, seed + 2, dt);
    const Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 3, dt);
    const Tensor b = Tensor::uniform({c}, -1, 1, seed + 4, dt);
    const Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 5, dt);
    const Tensor rv = Tensor::uniform({c}, 0.5, 1.5, seed + 6, dt);

    Tensor xf = x.clone().set_requires_grad(true), xu = x.clone().set_requires_grad(true);
    Tensor rf = r.clone().set_requires_grad(true), ru = r.clone().set_requires_grad(true);
    Tensor wf = w.clone().set_requires_grad(true), wu = w.clone().set_requires_grad(true);
    Tensor bf = b.clone().set_requires_grad(true), bu = b.clone().set_requires_grad(true);
    Tensor rmf = rm.clone(), rvf = rv.clone(), rmu = rm.clone(), rvu = rv.clone();

    Tensor yf = batch_norm_relu(xf, wf, bf, rmf, rvf, k.training, k.residual ? rf : Tensor());
    Tensor bn = batch_norm2d(xu, wu, bu, rmu, rvu, k.training);
    Tensor yu = relu(k.residual ? add(bn, ru) : bn);
    const test::Tolerance tol = test::tolerance_for(dt);
    EXPECT_TRUE(test::all_close(yf, yu, tol));
    EXPECT_TRUE(test::all_close(rmf, rmu, tol));
    EXPECT_TRUE(test::all_close(rvf, rvu, tol));

    yf.backward(g);
    yu.backward(g);
    EXPECT_TRUE(test::all_close(xf.grad(), xu.grad(), tol));
    EXPECT_TRUE(test::all_close(wf.grad(), wu.grad(), tol));
    EXPECT_TRUE(test::all_close(bf.grad(), bu.grad(), tol));
    if (k.residual) EXPECT_TRUE(test::all_close(rf.grad(), ru.grad(), tol));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, BatchNormReluVsUnfused, ::testing::Values(DType::f32, DType::f64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

void check_fused_gradients(const Shape& s, bool training, bool residual, uint64_t seed) {
  std::printf("seed %llu shape %s training %d residual %d\n", static_cast<unsigned long long>(seed),
              shape_str(s).c_str(), training, residual);
  const int64_t c = s[1];
  Tensor rm = Tensor::uniform({c}, -0.5, 0.5, seed + 4, DType::f64);
  Tensor rv = Tensor::uniform({c}, 0.5, 1.5, seed + 5, DType::f64);
  std::vector<Tensor> inputs{grad_input(s, seed), grad_input({c}, seed + 1, 0.5, 1.5),
                             grad_input({c}, seed + 2)};
  if (residual) inputs.push_back(grad_input(s, seed + 3));
  test::expect_gradients_match(
      [&](const std::vector<Tensor>& in) {
        return batch_norm_relu(in[0], in[1], in[2], rm, rv, training,
                               in.size() > 3 ? in[3] : Tensor());
      },
      inputs);
}

TEST(BatchNormReluGrad, FiniteDifferences) {
  check_fused_gradients({2, 3, 4, 5}, true, false, 41);
  check_fused_gradients({2, 3, 4, 5}, true, true, 42);
  check_fused_gradients({3, 5, 3, 2}, true, true, 43);
  check_fused_gradients({2, 4, 3, 3}, false, true, 44);
}

TEST(BatchNormRelu, ResidualOfAnotherShapeIsAClearError) {
  Tensor x = Tensor::zeros({2, 3, 4, 4}), r = Tensor::zeros({2, 3, 4, 5});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0);
  EXPECT_THROW(
      {
        try {
          batch_norm_relu(x, Tensor(), Tensor(), rm, rv, true, r);
        } catch (const std::exception& e) {
          EXPECT_NE(std::string(e.what()).find("batch_norm_add_relu"), std::string::npos)
              << e.what();
          throw;
        }
      },
      std::exception);
}

// Seeds 900-905. The CPU kernels run channels in parallel; each channel's sums stay one thread's
// loop, in NCHW and in NHWC (where the per-element passes run over (pixel, channel) rows). x is
// two leaves, so that no gradient needs accumulating.
TEST(BatchNormRelu, ResultsDoNotDependOnThreadCount) {
  auto run = [](int threads, MemoryFormat format) {
    omp_set_num_threads(threads);
    const Shape shape{3, 7, 9, 11};
    const Tensor x0 = Tensor::normal(shape, 0.3, 1.2, 900).contiguous(format);
    Tensor x = x0.clone().set_requires_grad(true), xp = x0.clone().set_requires_grad(true);
    Tensor r = Tensor::normal(shape, 0.0, 1.0, 901).contiguous(format).set_requires_grad(true);
    Tensor w = Tensor::uniform({7}, 0.5, 1.5, 902).set_requires_grad(true);
    Tensor b = Tensor::uniform({7}, -0.5, 0.5, 903).set_requires_grad(true);
    Tensor rm = Tensor::zeros({7}), rv = Tensor::full({7}, 1.0);
    Tensor fused = batch_norm_relu(x, w, b, rm, rv, true, r);
    Tensor plain = batch_norm2d(xp, w, b, rm, rv, true);
    fused.backward(Tensor::uniform(shape, -1, 1, 904).contiguous(format));
    plain.backward(Tensor::uniform(shape, -1, 1, 905).contiguous(format));
    return std::vector<std::vector<float>>{
        fused.to_vector<float>(),    plain.to_vector<float>(),    rm.to_vector<float>(),
        rv.to_vector<float>(),       x.grad().to_vector<float>(), xp.grad().to_vector<float>(),
        r.grad().to_vector<float>(), w.grad().to_vector<float>(), b.grad().to_vector<float>()};
  };
  const int saved = omp_get_max_threads();
  std::printf("seeds 900-905\n");
  for (MemoryFormat format : {MemoryFormat::nchw, MemoryFormat::nhwc}) {
    SCOPED_TRACE(memory_format_name(format));
    const auto one = run(1, format), two = run(2, format);
    EXPECT_EQ(one, two);
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace cromss
