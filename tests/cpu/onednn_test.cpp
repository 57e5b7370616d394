// The oneDNN f32 CPU path (kernels/onednn/) against the readable reference (kernels/cpu/) run in
// f64 on the same values: convolution forward (with and without bias), backward data, backward
// weights, backward bias in both memory formats, and GEMM, under the NMSE policy of
// tests/tolerance.h (summation orders differ). The table covers the gradient checks' awkward
// shapes: 31/32/33 channels, a 255x257 image, batch 1, stride 2, dilation, groups and depthwise,
// 1x1, the 7x7/2 stem, a kernel wider than the image. For a fixed thread count every result is
// bit-repeatable.
#include <gtest/gtest.h>
#include <omp.h>

#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/matmul.h"
#include "kernels/onednn/onednn.h"
#include "tests/conv_case.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::ConvCase;

const std::vector<ConvCase>& cases() {
  static const std::vector<ConvCase> all = {
      {"c31_k33_255x257_s2", 1, 31, 255, 257, 33, 3, 3, Conv2dParams::square(2, 1), true},
      {"c32_k32_dilation2", 2, 32, 33, 31, 32, 3, 3, Conv2dParams::square(1, 2, 2), true},
      {"c33_k33_groups3", 1, 33, 20, 21, 33, 3, 3, Conv2dParams::square(1, 1, 1, 3), false},
      {"depthwise32_s2", 2, 32, 17, 19, 32, 3, 3, Conv2dParams::square(2, 1, 1, 32), true},
      {"depthwise33_dilation3", 1, 33, 23, 22, 33, 3, 3, Conv2dParams::square(1, 3, 3, 33), false},
      {"depthwise_multiplier2", 1, 16, 12, 13, 32, 3, 3, Conv2dParams::square(1, 1, 1, 16), true},
      {"pointwise_s2", 2, 32, 15, 16, 64, 1, 1, Conv2dParams::square(2, 0), false},
      {"pointwise", 1, 33, 9, 10, 31, 1, 1, Conv2dParams::square(1, 0), true},
      {"stem7x7_s2_p3_13bands", 2, 13, 64, 62, 64, 7, 7, Conv2dParams::square(2, 3), false},
      {"asymmetric", 1, 3, 10, 12, 4, 3, 2, {2, 1, 0, 2, 1, 2, 1}, true},
      {"kernel_wider_than_image", 1, 2, 3, 3, 2, 5, 5, Conv2dParams::square(1, 2), true},
  };
  return all;
}

Conv2dGeometry geometry(const ConvCase& cs) {
  Conv2dGeometry g;
  g.n = cs.n, g.c = cs.c, g.h = cs.h, g.w = cs.w, g.k = cs.k, g.kh = cs.kh, g.kw = cs.kw;
  g.stride_h = cs.p.stride_h, g.stride_w = cs.p.stride_w, g.pad_h = cs.p.pad_h;
  g.pad_w = cs.p.pad_w, g.dilation_h = cs.p.dilation_h, g.dilation_w = cs.p.dilation_w;
  g.groups = cs.p.groups;
  g.oh = conv_output_size(g.h, g.kh, g.stride_h, g.pad_h, g.dilation_h);
  g.ow = conv_output_size(g.w, g.kw, g.stride_w, g.pad_w, g.dilation_w);
  return g;
}

std::vector<float> uniform(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<double> widen(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

// oneDNN's f32 result against the f64 reference on the same inputs.
void expect_close(const char* what, const std::vector<float>& actual,
                  const std::vector<double>& reference) {
  const double e = test::nmse(widen(actual), reference);
  EXPECT_LE(e, test::nmse_limit_for(DType::f32)) << what << ": NMSE " << e;
}

// Inputs of one case and the results of all four oneDNN kernels.
struct ConvRun {
  std::vector<float> x, w, b, dy;
  std::vector<float> y, dx, dw, db;
};

ConvRun make_run(const ConvCase& cs, const Conv2dGeometry& g, uint64_t seed) {
  ConvRun r;
  r.x = uniform(g.n * g.c * g.h * g.w, seed);
  r.w = uniform(g.k * g.c_per_group() * g.kh * g.kw, seed + 1);
  if (cs.bias) r.b = uniform(g.k, seed + 2);
  r.dy = uniform(g.n * g.k * g.oh * g.ow, seed + 3);
  return r;
}

void run_onednn(const Conv2dGeometry& g, ConvRun& r) {
  r.y.assign(g.n * g.k * g.oh * g.ow, 0);
  r.dx.assign(r.x.size(), 0);
  r.dw.assign(r.w.size(), 0);
  r.db.assign(g.k, 0);
  onednn_kernels::conv2d_forward(g, r.x.data(), r.w.data(), r.b.empty() ? nullptr : r.b.data(),
                                 r.y.data());
  onednn_kernels::conv2d_backward_input(g, r.dy.data(), r.w.data(), r.dx.data());
  onednn_kernels::conv2d_backward_weight(g, r.x.data(), r.dy.data(), r.dw.data());
  onednn_kernels::conv2d_backward_bias(g, r.dy.data(), r.db.data());
}

// oneDNN's four kernels against the f64 reference on the same flat buffers, read in `format`
// (NCHW with a KCRS weight, or NHWC with a KRSC weight: kernels/conv2d.cuh).
void expect_matches_reference(const ConvCase& cs, MemoryFormat format) {
  Conv2dGeometry g = geometry(cs);
  g.format = format;
  const uint64_t seed = 1200;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  ConvRun r = make_run(cs, g, seed);
  run_onednn(g, r);

  const std::vector<double> x = widen(r.x), w = widen(r.w), b = widen(r.b), dy = widen(r.dy);
  std::vector<double> y(r.y.size()), dx(r.dx.size()), dw(r.dw.size()), db(r.db.size());
  cpu_kernels::conv2d_forward(g, x.data(), w.data(), b.empty() ? nullptr : b.data(), y.data());
  cpu_kernels::conv2d_backward_input(g, dy.data(), w.data(), dx.data());
  cpu_kernels::conv2d_backward_weight(g, x.data(), dy.data(), dw.data());
  cpu_kernels::conv2d_backward_bias(g, dy.data(), db.data());
  expect_close("forward", r.y, y);
  expect_close("backward data", r.dx, dx);
  expect_close("backward weights", r.dw, dw);
  expect_close("backward bias", r.db, db);
}

class OnednnConv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OnednnConv, MatchesReferenceInEveryDirection) {
  for (MemoryFormat format : {MemoryFormat::nchw, MemoryFormat::nhwc}) {
    SCOPED_TRACE(memory_format_name(format));
    expect_matches_reference(GetParam(), format);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, OnednnConv, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Runs f with `threads` OpenMP threads and restores the previous count.
void with_threads(int threads, const std::function<void()>& f) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  f();
  omp_set_num_threads(saved);
}

TEST(OnednnConv, BitRepeatableForAFixedThreadCount) {
  const ConvCase cs = cases()[1];  // dilated, bias, batch 2
  const Conv2dGeometry g = geometry(cs);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << threads << " threads");
    ConvRun first = make_run(cs, g, 1300), second = make_run(cs, g, 1300);
    with_threads(threads, [&] {
      run_onednn(g, first);
      run_onednn(g, second);
    });
    EXPECT_EQ(first.y, second.y);
    EXPECT_EQ(first.dx, second.dx);
    EXPECT_EQ(first.dw, second.dw);
    EXPECT_EQ(first.db, second.db);
  }
}

// The NHWC bias gradient sums chunks of pixels in parallel and adds the chunks in order: the same
// bits for 1 and 2 threads (2 x 31 x 29 output pixels: several chunks).
TEST(OnednnConv, NhwcBiasGradientIsTheSameForAnyThreadCount) {
  Conv2dGeometry g = geometry(cases()[1]);
  g.format = MemoryFormat::nhwc;
  const std::vector<float> dy = uniform(g.n * g.k * g.oh * g.ow, 1350);
  std::vector<float> one(g.k), two(g.k);
  with_threads(1, [&] { onednn_kernels::conv2d_backward_bias(g, dy.data(), one.data()); });
  with_threads(2, [&] { onednn_kernels::conv2d_backward_bias(g, dy.data(), two.data()); });
  EXPECT_EQ(one, two);
}

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
};

std::vector<float> onednn_gemm(const GemmCase& c, const std::vector<float>& a,
                               const std::vector<float>& b) {
  std::vector<float> out(c.m * c.n, -1);
  onednn_kernels::gemm(c.ta, c.tb, c.m, c.n, c.k, a.data(), b.data(), out.data());
  return out;
}

TEST(OnednnGemm, MatchesReferenceForEveryTransposeAndAwkwardSizes) {
  const uint64_t seed = 1400;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (const auto& [m, n, k] :
       {std::array<int64_t, 3>{31, 33, 32}, {1, 257, 255}, {64, 9, 1000}, {33, 1, 31}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const GemmCase c{m, n, k, ta, tb};
        SCOPED_TRACE(::testing::Message()
                     << m << "x" << n << "x" << k << " ta " << ta << " tb " << tb);
        const std::vector<float> a = uniform(m * k, seed), b = uniform(k * n, seed + 1);
        const std::vector<double> a64 = widen(a), b64 = widen(b);
        std::vector<double> ref(m * n);
        cpu_kernels::gemm(ta, tb, m, n, k, a64.data(), b64.data(), ref.data());
        expect_close("gemm", onednn_gemm(c, a, b), ref);
      }
}

TEST(OnednnGemm, EmptyInnerDimensionGivesZerosAndResultsAreRepeatable) {
  const GemmCase empty{3, 4, 0, false, false};
  EXPECT_EQ(onednn_gemm(empty, {}, {}), std::vector<float>(12, 0.0f));
  const GemmCase c{200, 300, 400, false, true};
  const std::vector<float> a = uniform(c.m * c.k, 1500), b = uniform(c.k * c.n, 1501);
  for (int threads : {1, 2})
    with_threads(threads, [&] { EXPECT_EQ(onednn_gemm(c, a, b), onednn_gemm(c, a, b)); });
}

}  // namespace
}  // namespace cromss
