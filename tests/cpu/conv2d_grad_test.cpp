// conv2d on the CPU: forward against a naive direct-convolution loop written here (f64 exact-ish,
// f32 by NMSE), finite-difference gradients in f64 for every parameter combination the models
// use (stride, padding, dilation, groups, depthwise, 1x1, the ResNet 7x7/2 stem, bias or not,
// awkward channel counts and image sizes), and results that are repeatable for a fixed thread
// count (oneDNN partitions its f32 work by thread, so other counts agree within NMSE only).
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/ops/conv2d.h"
#include "tests/conv_case.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::ConvCase;

const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> all = {
      {"basic3x3", 2, 4, 9, 8, 6, 3, 3, Conv2dParams::square(1, 1), true},
      {"stride2_pad1", 2, 3, 11, 10, 5, 3, 3, Conv2dParams::square(2, 1), true},
      {"asymmetric", 1, 3, 10, 12, 4, 3, 2, {2, 1, 0, 2, 1, 2, 1}, false},
      {"dilation2", 1, 3, 12, 11, 4, 3, 3, Conv2dParams::square(1, 2, 2), false},
      {"groups2", 2, 4, 8, 8, 6, 3, 3, Conv2dParams::square(1, 1, 1, 2), true},
      {"depthwise", 2, 5, 9, 9, 5, 3, 3, Conv2dParams::square(2, 1, 1, 5), true},
      {"pointwise", 2, 6, 5, 7, 4, 1, 1, Conv2dParams::square(1, 0), true},
      {"pointwise_stride2", 1, 6, 8, 9, 4, 1, 1, Conv2dParams::square(2, 0), false},
      {"stem7x7_s2_p3", 1, 3, 32, 30, 8, 7, 7, Conv2dParams::square(2, 3), false},
      {"channels31to33", 1, 31, 6, 5, 33, 3, 3, Conv2dParams::square(1, 1), true},
      {"groups11_33ch", 2, 33, 5, 6, 22, 3, 3, Conv2dParams::square(1, 1, 1, 11), false},
      {"image255x257", 1, 2, 255, 257, 3, 3, 3, Conv2dParams::square(2, 1), true},
      {"kernel_wider_than_image", 1, 2, 3, 3, 2, 5, 5, Conv2dParams::square(1, 2), true},
  };
  return all;
}

// Direct convolution: y[n,k,oh,ow] = b[k] + sum_{c,i,j} w[k,c,i,j] x[n, g*Cg + c, h, w].
std::vector<double> naive_conv2d(const ConvCase& cs, const std::vector<double>& x,
                                 const std::vector<double>& wt, const std::vector<double>& b) {
  const Conv2dParams& p = cs.p;
  const int64_t oh = conv_output_size(cs.h, cs.kh, p.stride_h, p.pad_h, p.dilation_h);
  const int64_t ow = conv_output_size(cs.w, cs.kw, p.stride_w, p.pad_w, p.dilation_w);
  const int64_t cg = cs.c / p.groups, kg = cs.k / p.groups;
  std::vector<double> y(cs.n * cs.k * oh * ow);
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t k = 0; k < cs.k; ++k)
      for (int64_t r = 0; r < oh; ++r)
        for (int64_t q = 0; q < ow; ++q) {
          double acc = b.empty() ? 0.0 : b[k];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < cs.kh; ++i)
              for (int64_t j = 0; j < cs.kw; ++j) {
                const int64_t hh = r * p.stride_h - p.pad_h + i * p.dilation_h;
                const int64_t ww = q * p.stride_w - p.pad_w + j * p.dilation_w;
                if (hh < 0 || hh >= cs.h || ww < 0 || ww >= cs.w) continue;
                const int64_t ci = (k / kg) * cg + c;
                acc += wt[((k * cg + c) * cs.kh + i) * cs.kw + j] *
                       x[((n * cs.c + ci) * cs.h + hh) * cs.w + ww];
              }
          y[((n * cs.k + k) * oh + r) * ow + q] = acc;
        }
  return y;
}

struct ConvInputs {
  Tensor x, w, b;  // b undefined without bias
};

ConvInputs make_inputs(const ConvCase& cs, uint64_t seed, DType dtype) {
  ConvInputs in;
  in.x = Tensor::uniform({cs.n, cs.c, cs.h, cs.w}, -1, 1, seed, dtype);
  in.w = Tensor::uniform({cs.k, cs.c / cs.p.groups, cs.kh, cs.kw}, -1, 1, seed + 1, dtype);
  if (cs.bias) in.b = Tensor::uniform({cs.k}, -1, 1, seed + 2, dtype);
  return in;
}

class Conv2dCases : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dCases, ForwardMatchesDirectLoop) {
  const ConvCase& cs = GetParam();
  const uint64_t seed = 100;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (DType dt : {DType::f64, DType::f32}) {
    SCOPED_TRACE(dtype_name(dt));
    ConvInputs in = make_inputs(cs, seed, dt);
    Tensor y = conv2d(in.x, in.w, in.b, cs.p);
    std::vector<double> ref =
        naive_conv2d(cs, in.x.to_vector<double>(), in.w.to_vector<double>(),
                     cs.bias ? in.b.to_vector<double>() : std::vector<double>{});
    Tensor expected = Tensor::from_vector<double>(ref, y.shape());
    if (dt == DType::f64)
      EXPECT_TRUE(test::all_close(y, expected));
    else  // summation orders differ (oneDNN vs the loop): compare by NMSE
      EXPECT_TRUE(test::nmse_close(y.to(DType::f64), expected, test::nmse_limit_for(dt)));
  }
}

TEST_P(Conv2dCases, GradientsMatchFiniteDifferences) {
  const ConvCase& cs = GetParam();
  ConvInputs in = make_inputs(cs, 200, DType::f64);
  in.x.set_requires_grad(true);
  in.w.set_requires_grad(true);
  if (cs.bias) in.b.set_requires_grad(true);
  const Conv2dParams p = cs.p;
  test::expect_gradients_match(
      [p](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t[2], p); },
      {in.x, in.w, in.b});
}

TEST_P(Conv2dCases, OnlyRequestedGradients) {
  const ConvCase& cs = GetParam();
  ConvInputs in = make_inputs(cs, 300, DType::f64);
  in.w.set_requires_grad(true);
  Tensor y = conv2d(in.x, in.w, in.b, cs.p);
  y.backward(Tensor::uniform(y.shape(), -1, 1, 301, DType::f64));
  EXPECT_TRUE(in.w.grad().defined());
  EXPECT_FALSE(in.x.grad().defined());
}

INSTANTIATE_TEST_SUITE_P(Table, Conv2dCases, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Run to run the same bits for a fixed thread count. Across thread counts oneDNN (OpenMP runtime)
// partitions its f32 work differently, so results agree within the f32 NMSE policy only.
TEST(Conv2d, ResultsAreRepeatableAndCloseAcrossThreadCounts) {
  const ConvCase cs{"t", 2, 16, 40, 41, 32, 3, 3, Conv2dParams::square(1, 1),
                    true};  // big enough for threaded GEMMs
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    ConvInputs in = make_inputs(cs, 400, DType::f32);
    in.x.set_requires_grad(true);
    in.w.set_requires_grad(true);
    in.b.set_requires_grad(true);
    Tensor y = conv2d(in.x, in.w, in.b, cs.p);
    y.backward(Tensor::uniform(y.shape(), -1, 1, 401));
    return std::vector<Tensor>{y, in.x.grad(), in.w.grad(), in.b.grad()};
  };
  const int saved = omp_get_max_threads();
  auto one = run(1), two = run(2), again = run(2);
  omp_set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i) {
    SCOPED_TRACE("output " + std::to_string(i) + " (y, dx, dw, db)");
    EXPECT_EQ(two[i].to_vector<float>(), again[i].to_vector<float>()) << "not repeatable";
    EXPECT_TRUE(test::nmse_close(two[i], one[i], test::nmse_limit_for(DType::f32)));
  }
}

TEST(Conv2d, RejectsMismatchedShapes) {
  Tensor x = Tensor::zeros({1, 4, 8, 8}), w = Tensor::zeros({6, 3, 3, 3});
  EXPECT_THROW(conv2d(x, w, Tensor(), Conv2dParams::square(1, 1)), Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros({6, 2, 3, 3}), Tensor(), Conv2dParams::square(1, 1, 1, 3)),
               Error);
  EXPECT_THROW(
      conv2d(x, Tensor::zeros({6, 4, 3, 3}), Tensor::zeros({5}), Conv2dParams::square(1, 1)),
      Error);
  EXPECT_THROW(conv2d(x, Tensor::zeros({6, 4, 9, 9}), Tensor(), Conv2dParams::square(1, 0)), Error);
}

}  // namespace
}  // namespace cromss
