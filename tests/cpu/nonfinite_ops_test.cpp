// NaN/Inf propagate through the ops as in PyTorch (issue 11 item 2): relu(NaN) = NaN (it used to
// return 0, so a NaN weight or pixel gave finite logits and a healthy-looking loss), relu's
// backward passes the gradient where the output is NaN (torch's threshold_backward), max pooling
// returns a NaN in its window, argmax picks the first NaN (torch.argmax), and a whole
// ResNet-18 forward with one NaN weight gives NaN logits. Reference values: PyTorch 2.x
// (torch.relu(torch.tensor([nan, -1., 0., 2., inf, -inf])) = [nan, 0, 0, 2, inf, 0]).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/pooling.h"
#include "models/segmentation_net.h"

namespace cromss {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(NonfiniteOps, ReluPropagatesNaNAsPyTorch) {
  Tensor x = Tensor::from_vector<float>({kNaN, -1.f, 0.f, 2.f, kInf, -kInf}, {6});
  x.set_requires_grad(true);
  Tensor y = relu(x);
  const auto v = y.to_vector<float>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], 0.f);
  EXPECT_EQ(v[2], 0.f);
  EXPECT_EQ(v[3], 2.f);
  EXPECT_EQ(v[4], kInf);
  EXPECT_EQ(v[5], 0.f);
  y.backward(Tensor::full({6}, 3.0));
  // torch: x.grad = [3, 0, 0, 3, 3, 0]
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3.f, 0.f, 0.f, 3.f, 3.f, 0.f}));
}

TEST(NonfiniteOps, MaxPoolAndArgmaxPickNaN) {
  // One 1x1x2x4 plane, 2x2 windows: [1 NaN | 5 6 / 2 3 | 7 8].
  Tensor x = Tensor::from_vector<float>({1.f, kNaN, 5.f, 6.f, 2.f, 3.f, 7.f, 8.f}, {1, 1, 2, 4});
  const auto pooled = max_pool2d(x, 2, 2, 0).to_vector<float>();
  ASSERT_EQ(pooled.size(), 2u);
  EXPECT_TRUE(std::isnan(pooled[0]));
  EXPECT_EQ(pooled[1], 8.f);
  // Per-pixel argmax over 3 classes (N=1, C=3, H=1, W=3): torch.argmax gives [1, 1, 0].
  Tensor logits =
      Tensor::from_vector<float>({0.f, 0.f, kNaN, kNaN, kNaN, 1.f, 1.f, 5.f, kNaN}, {1, 3, 1, 3});
  EXPECT_EQ(argmax_classes(logits).to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 0}));
}

TEST(NonfiniteOps, ResNetWithOneNaNWeightGivesNaNLogits) {
  ModelConfig mc;
  mc.input_type = "s2";
  mc.model_type = "resnet18";
  mc.n_channels = 13;
  mc.n_classes = 9;
  mc.validate();
  auto net = build_model(mc, 7);
  net->eval();
  NoGrad no_grad;
  const Tensor s2 = Tensor::uniform({1, 13, 32, 32}, 0, 1, 3);
  const Tensor clean = net->forward(Tensor(), s2).s2;
  for (float v : clean.to_vector<float>()) ASSERT_TRUE(std::isfinite(v));
  auto params = net->named_parameters();
  ASSERT_FALSE(params.empty());
  params.back().tensor->data<float>()[0] = kNaN;  // one weight of the segmentation head
  int nan_logits = 0;
  for (float v : net->forward(Tensor(), s2).s2.to_vector<float>()) nan_logits += std::isnan(v);
  EXPECT_GT(nan_logits, 0);
  params.front().tensor->data<float>()[0] = kNaN;  // and one of the encoder's first convolution
  nan_logits = 0;
  for (float v : net->forward(Tensor(), s2).s2.to_vector<float>()) nan_logits += std::isnan(v);
  EXPECT_EQ(nan_logits, 32 * 32 * 9);
}

}  // namespace
}  // namespace cromss
