// conv2d_batch_norm on the CPU against the composition it replaces,
// act(batch_norm2d(conv2d(x, w)) [+ residual]): forward, running statistics and every gradient
// (x, conv weight, BN weight and bias, residual), f32 and f64, NCHW and NHWC, training, eval with
// gradients and eval without (the inference kernel), with a ReLU, with a residual and a ReLU, and
// plain. Then the per-channel math the CUDA kernels run after a fused cuDNN graph
// (kernels/conv2d_batch_norm.cuh) against the batch-norm reference, and Sequential's dispatch of
// conv-BN(-ReLU) runs (a biased convolution runs layer by layer; num_batches_tracked counts once).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/conv2d_batch_norm.h"
#include "kernels/batch_norm.h"
#include "kernels/conv2d_batch_norm.cuh"
#include "layers/activation.h"
#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/sequential.h"
#include "tests/conv_batch_norm_unit.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

enum class Mode { training, eval_with_grad, inference };

using test::ConvBatchNormUnit;

const ConvBatchNormUnit kCases[] = {
    {"conv3x3_relu", {2, 3, 6, 7}, 5, 3, Conv2dParams::square(1, 1), true, false},
    {"conv3x3_add_relu", {2, 4, 5, 5}, 4, 3, Conv2dParams::square(1, 1), true, true},
    {"downsample1x1_s2", {3, 6, 7, 6}, 8, 1, Conv2dParams::square(2, 0), false, false},
    {"conv3x3_s2_dilated", {1, 5, 9, 9}, 3, 3, Conv2dParams::square(2, 2, 2), true, false},
};

const char* mode_name(Mode m) {
  return m == Mode::training ? "training" : m == Mode::eval_with_grad ? "eval+grad" : "inference";
}

class ConvBatchNormVsComposed
    : public ::testing::TestWithParam<std::tuple<DType, MemoryFormat, Mode>> {};

TEST_P(ConvBatchNormVsComposed, ForwardRunningStatsAndGradients) {
  const auto [dt, format, mode] = GetParam();
  const bool training = mode == Mode::training, grads = mode != Mode::inference;
  uint64_t seed = 900;
  for (const ConvBatchNormUnit& k : kCases) {
    ++seed;
    std::printf("seed %llu %s %s %s %s\n", static_cast<unsigned long long>(seed), k.name,
                dtype_name(dt), memory_format_name(format), mode_name(mode));
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << k.name);
    const int64_t cin = k.x_shape[1];
    const Tensor x = Tensor::normal(k.x_shape, 0.2, 1.0, seed, dt).contiguous(format);
    const Tensor w = Tensor::normal({k.out, cin, k.kernel, k.kernel}, 0, 0.5, seed + 1, dt);
    const Tensor bw = Tensor::uniform({k.out}, 0.5, 1.5, seed + 2, dt);
    const Tensor bb = Tensor::uniform({k.out}, -1, 1, seed + 3, dt);
    const Tensor rm = Tensor::uniform({k.out}, -0.5, 0.5, seed + 4, dt);
    const Tensor rv = Tensor::uniform({k.out}, 0.5, 1.5, seed + 5, dt);
    const Tensor probe = conv2d(x, w, Tensor(), k.params);
    const Tensor res = Tensor::normal(probe.shape(), 0, 1, seed + 6, dt).contiguous(format);
    const Tensor g = Tensor::uniform(probe.shape(), -1, 1, seed + 7, dt).contiguous(format);

    struct Run {
      Tensor x, w, bw, bb, res, rm, rv, y;
    };
    const auto inputs = [&] {
      Run r{x.clone(), w.clone(), bw.clone(), bb.clone(), res.clone(), rm.clone(), rv.clone(), {}};
      if (grads)
        for (Tensor* t : {&r.x, &r.w, &r.bw, &r.bb, &r.res}) t->set_requires_grad(true);
      return r;
    };
    const Tensor residual_of = Tensor();
    Run fused = inputs(), composed = inputs();
    {
      std::optional<NoGrad> no_grad;
      if (!grads) no_grad.emplace();
      fused.y = conv2d_batch_norm(fused.x, fused.w, k.params, fused.bw, fused.bb, fused.rm,
                                  fused.rv, training, k.relu, k.residual ? fused.res : residual_of);
      const Tensor c = conv2d(composed.x, composed.w, Tensor(), k.params);
      composed.y =
          k.relu ? batch_norm_relu(c, composed.bw, composed.bb, composed.rm, composed.rv, training,
                                   k.residual ? composed.res : residual_of)
                 : batch_norm2d(c, composed.bw, composed.bb, composed.rm, composed.rv, training);
    }
    const test::Tolerance tol = test::tolerance_for(dt);
    EXPECT_EQ(fused.y.memory_format(), format) << fused.y.str();
    EXPECT_TRUE(test::all_close(fused.y, composed.y, tol));
    EXPECT_TRUE(test::all_close(fused.rm, composed.rm, tol));
    EXPECT_TRUE(test::all_close(fused.rv, composed.rv, tol));
    if (!grads) {
      EXPECT_FALSE(fused.y.requires_grad());
      continue;
    }
    fused.y.backward(g);
    composed.y.backward(g);
    EXPECT_TRUE(test::all_close(fused.x.grad(), composed.x.grad(), tol));
    EXPECT_TRUE(test::all_close(fused.w.grad(), composed.w.grad(), tol));
    EXPECT_TRUE(test::all_close(fused.bw.grad(), composed.bw.grad(), tol));
    EXPECT_TRUE(test::all_close(fused.bb.grad(), composed.bb.grad(), tol));
    if (k.residual) EXPECT_TRUE(test::all_close(fused.res.grad(), composed.res.grad(), tol));
  }
}

INSTANTIATE_TEST_SUITE_P(
    DtypesFormatsModes, ConvBatchNormVsComposed,
    ::testing::Combine(::testing::Values(DType::f32, DType::f64),
                       ::testing::Values(MemoryFormat::nchw, MemoryFormat::nhwc),
                       ::testing::Values(Mode::training, Mode::eval_with_grad, Mode::inference)),
    [](const auto& info) {
      const Mode m = std::get<2>(info.param);
      return std::string(dtype_name(std::get<0>(info.param))) + "_" +
             memory_format_name(std::get<1>(info.param)) + "_" +
             (m == Mode::training         ? "training"
              : m == Mode::eval_with_grad ? "eval_grad"
                                          : "infer");
    });

TEST(ConvBatchNormChecks, ResidualWithoutReluAndWrongResidualShapeAreErrors) {
  const Tensor x = Tensor::normal({1, 2, 4, 4}, 0, 1, 11);
  const Tensor w = Tensor::normal({3, 2, 3, 3}, 0, 1, 12);
  Tensor bw = Tensor::full({3}, 1.0), bb = Tensor::zeros({3});
  Tensor rm = Tensor::zeros({3}), rv = Tensor::full({3}, 1.0);
  const Conv2dParams p = Conv2dParams::square(1, 1);
  EXPECT_THROW(conv2d_batch_norm(x, w, p, bw, bb, rm, rv, true, false, Tensor::zeros({1, 3, 4, 4})),
               ValueError);
  EXPECT_THROW(conv2d_batch_norm(x, w, p, bw, bb, rm, rv, true, true, Tensor::zeros({1, 3, 4, 5})),
               ValueError);
  EXPECT_THROW(conv2d_batch_norm(x, w, p, bw, bb, rm, rv, false, true, Tensor::zeros({1, 3, 4, 5})),
               ValueError);
}

// What a fused graph's sums turn into (batch_stats_from_sums) equals batch_norm_stats on the same
// values, and x * scale + shift (batch_norm_scale_shift) equals batch norm's affine map.
TEST(ConvBatchNormMath, StatisticsFromSumsAndScaleShiftMatchBatchNorm) {
  const uint64_t seed = 950;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  const Shape s{3, 5, 7, 6};
  const Tensor y = Tensor::normal(s, 0.7, 2.0, seed, DType::f64);
  const ChannelView v = channel_view(MemoryFormat::nchw, s[0], s[1], s[2] * s[3]);
  std::vector<double> mean(5), var(5);
  cpu_kernels::batch_norm_stats(y.raw_data(), DType::f64, v, mean.data(), var.data(),
                                Context::get(Device::cpu()));
  const std::vector<double> values = y.to_vector<double>();
  const double eps = 1e-5;
  for (int64_t c = 0; c < s[1]; ++c) {
    double sum = 0, sum_squares = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        const double value = values[size_t(v.offset(o, c, i))];
        sum += value;
        sum_squares += value * value;
      }
    double m = 0, var_c = 0;
    batch_stats_from_sums(sum, sum_squares, v.per_channel(), &m, &var_c);
    EXPECT_NEAR(m, mean[size_t(c)], 1e-12) << "channel " << c;
    EXPECT_NEAR(var_c, var[size_t(c)], 1e-10) << "channel " << c;
    const double weight = 0.5 + 0.1 * double(c), bias = -0.3 + 0.2 * double(c);
    double scale = 0, shift = 0;
    batch_norm_scale_shift(m, var_c, weight, bias, eps, &scale, &shift);
    for (const double value : {-2.0, 0.0, 1.5})
      EXPECT_NEAR(value * scale + shift,
                  norm_affine(value, m, norm_invstd(var_c, eps), weight, bias), 1e-12);
  }
  double m = 0, var_c = 0;  // rounding that would make the variance negative is clamped
  batch_stats_from_sums(3.0, 3.0 - 1e-12, 3, &m, &var_c);
  EXPECT_EQ(var_c, 0.0);
}

TEST(ConvBatchNormSequential, RunsOfConvBatchNormReluMatchTheLayersOneByOne) {
  const uint64_t seed = 960;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  for (const bool bias : {false, true}) {
    Sequential seq;
    Conv2d& conv = seq.add(std::make_unique<Conv2d>(3, 4, 3, 1, 1, bias));
    seq.add(std::make_unique<BatchNorm2d>(4));
    seq.add(std::make_unique<ReLU>());
    seq.initialize_parameters(seed);
    const Tensor x = Tensor::normal({2, 3, 5, 5}, 0, 1, seed + 1);
    const Tensor y = seq.forward(x);
    const auto find = [&](const std::string& name) {
      for (const NamedTensor& t : seq.state())
        if (t.name == name) return *t.tensor;
      ADD_FAILURE() << "no " << name;
      return Tensor();
    };
    EXPECT_EQ(find("1.num_batches_tracked").item(), 1.0) << "bias " << bias;
    Tensor rm = Tensor::zeros({4}), rv = Tensor::full({4}, 1.0);
    const Tensor reference =
        batch_norm_relu(conv.forward(x), find("1.weight"), find("1.bias"), rm, rv, true);
    EXPECT_TRUE(test::all_close(y, reference)) << "bias " << bias;
    EXPECT_TRUE(test::all_close(find("1.running_mean"), rm)) << "bias " << bias;
    EXPECT_TRUE(test::all_close(find("1.running_var"), rv)) << "bias " << bias;
  }
}

// A residual without a ReLU is refused whether the convolution has a bias (layers one by one) or
// not (the fused op): it would otherwise be dropped silently on the biased path.
TEST(ConvBatchNormLayer, ResidualWithoutReluIsRefusedWithAndWithoutConvBias) {
  for (const bool bias : {false, true}) {
    Conv2d conv(2, 3, 3, 1, 1, bias);
    BatchNorm2d bn(3);
    conv.initialize_parameters(970);
    const Tensor x = Tensor::normal({1, 2, 4, 4}, 0, 1, 971);
    EXPECT_THROW(bn.forward_conv(conv, x, false, Tensor::zeros({1, 3, 4, 4})), ValueError)
        << "bias " << bias;
  }
}

}  // namespace
}  // namespace cromss
