// group_norm in NHWC (channels_last) on the CPU, where a (sample, group) is a strided set of
// values: forward and every gradient equal the NCHW results (same seeds; compared logically,
// tests/tolerance.h) in f32 and f64 for groups 1, a few and C; output and input gradient are
// NHWC; and finite differences through to_memory_format check the NHWC backward in f64.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/ops/group_norm.h"
#include "engine/ops/shape_ops.h"
#include "tests/gradcheck.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

constexpr MemoryFormat kNhwc = MemoryFormat::nhwc;

struct GnCase {
  Shape shape;
  int64_t groups;
};

class GroupNormNhwc : public ::testing::TestWithParam<DType> {};

TEST_P(GroupNormNhwc, MatchesNchwForwardAndGradients) {
  const DType dt = GetParam();
  const test::Tolerance tol = test::tolerance_for(dt);
  const GnCase cases[] = {{{2, 4, 3, 5}, 1},  {{2, 4, 3, 5}, 2}, {{2, 6, 3, 3}, 6},
                          {{1, 33, 2, 3}, 3}, {{3, 8, 5, 7}, 4}, {{2, 6, 1, 1}, 3}};
  uint64_t seed = 1500;
  for (const GnCase& k : cases) {
    seed += 10;
    std::printf("seed %llu dtype %s shape %s groups %lld\n", static_cast<unsigned long long>(seed),
                dtype_name(dt), shape_str(k.shape).c_str(), static_cast<long long>(k.groups));
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_str(k.shape));
    const int64_t c = k.shape[1];
    const Tensor x = Tensor::normal(k.shape, -0.4, 1.7, seed, dt);
    const Tensor g = Tensor::uniform(k.shape, -1, 1, seed + 1, dt);
    const Tensor w = Tensor::uniform({c}, 0.5, 1.5, seed + 2, dt);
    const Tensor b = Tensor::uniform({c}, -1, 1, seed + 3, dt);
    Tensor xa = x.clone().set_requires_grad(true);
    Tensor xb = x.contiguous(kNhwc).clone().set_requires_grad(true);
    Tensor wa = w.clone().set_requires_grad(true), wb = w.clone().set_requires_grad(true);
    Tensor ba = b.clone().set_requires_grad(true), bb = b.clone().set_requires_grad(true);
    Tensor ya = group_norm(xa, k.groups, wa, ba), yb = group_norm(xb, k.groups, wb, bb);
    EXPECT_TRUE(yb.is_contiguous(kNhwc)) << yb.str();
    EXPECT_TRUE(test::all_close(yb, ya, tol));
    ya.backward(g);
    yb.backward(g.contiguous(kNhwc));
    EXPECT_TRUE(xb.grad().is_contiguous(kNhwc)) << xb.grad().str();
    if (k.shape[2] * k.shape[3] > 1) EXPECT_EQ(xb.grad().memory_format(), kNhwc);
    EXPECT_TRUE(test::all_close(xb.grad(), xa.grad(), tol));
    EXPECT_TRUE(test::all_close(wb.grad(), wa.grad(), tol));
    EXPECT_TRUE(test::all_close(bb.grad(), ba.grad(), tol));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, GroupNormNhwc, ::testing::Values(DType::f32, DType::f64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(GroupNormNhwc, FiniteDifferences) {
  for (const GnCase& k : {GnCase{{2, 4, 3, 5}, 2}, GnCase{{1, 6, 2, 3}, 3}}) {
    const uint64_t seed = 1600 + static_cast<uint64_t>(k.groups);
    std::printf("seed %llu shape %s groups %lld\n", static_cast<unsigned long long>(seed),
                shape_str(k.shape).c_str(), static_cast<long long>(k.groups));
    const int64_t c = k.shape[1];
    test::expect_gradients_match(
        [&](const std::vector<Tensor>& in) {
          Tensor y = group_norm(to_memory_format(in[0], kNhwc), k.groups, in[1], in[2]);
          EXPECT_EQ(y.memory_format(), kNhwc);
          return y;
        },
        {test::grad_input(k.shape, seed), test::grad_input({c}, seed + 1, 0.5, 1.5),
         test::grad_input({c}, seed + 2)});
  }
}

}  // namespace
}  // namespace cromss
