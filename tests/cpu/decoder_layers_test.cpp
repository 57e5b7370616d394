// Layers and encoder options the fine-tuning decoders add (layers/dropout.h, group_norm.h,
// models/resnet.h): Dropout2d drops whole channels in training, is the identity in eval, draws a
// new mask per call and the same masks for the same seed; torch's fan_out of a grouped conv;
// the encoder's depth-3 and output-stride-16 variants (feature strides, unchanged parameters);
// clear errors for inputs that do not fit a decoder's stride.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "engine/autograd.h"
#include "layers/dropout.h"
#include "models/downstream.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(DropoutLayer, ChannelwiseInTrainingIdentityInEval) {
  const uint64_t seed = 5;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  Dropout d(0.5, /*channelwise=*/true);
  d.set_seed(seed);
  Tensor x = Tensor::full({4, 16, 3, 3}, 1.0);
  std::vector<float> y = d.forward(x).to_vector<float>();
  int dropped = 0;
  for (int64_t c = 0; c < 64; ++c) {
    const float first = y[size_t(c * 9)];
    EXPECT_TRUE(first == 0.0f || first == 2.0f) << first;
    for (int64_t p = 1; p < 9; ++p) EXPECT_EQ(y[size_t(c * 9 + p)], first) << "channel " << c;
    dropped += first == 0.0f;
  }
  EXPECT_GT(dropped, 10);
  EXPECT_LT(dropped, 54);
  EXPECT_FALSE(test::all_close(d.forward(x), Tensor::from_vector(y, x.shape())))
      << "a second call must draw a new mask";
  d.eval();
  EXPECT_TRUE(test::all_close(d.forward(x), x));
}

TEST(DropoutLayer, SameSeedSameMasksAcrossModels) {
  DownstreamConfig c;
  c.model_framework = "pspnet";
  c.model_type = "resnet18";
  c.n_channels = 3;
  c.n_classes = 4;
  Tensor x = Tensor::uniform({1, 3, 32, 32}, -1, 1, 3);
  auto a = build_segmentation_model(c, 11), b = build_segmentation_model(c, 11);
  EXPECT_TRUE(test::all_close(a->forward(x), b->forward(x)));
  auto other = build_segmentation_model(c, 12);
  EXPECT_FALSE(test::all_close(a->forward(x), other->forward(x)));
  EXPECT_THROW(Dropout(1.0, true), ValueError);
}

TEST(Conv2dLayer, GroupedFanOutIsTorchs) {
  Conv2d depthwise(8, 8, 3, 1, 1, false, 1, /*groups=*/8);
  EXPECT_EQ(depthwise.fan_in(), 9);
  EXPECT_EQ(depthwise.fan_out(), 72);  // torch: weight.size(0) * kH * kW
}

TEST(ResNetEncoderOptions, DepthAndOutputStride) {
  Tensor x = Tensor::uniform({1, 2, 64, 64}, -1, 1, 7);
  NoGrad no_grad;
  ResNetEncoder shallow("resnet18", 2, 3);
  auto f = shallow.forward(x);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f.back().shape(), (Shape{1, 128, 8, 8}));
  EXPECT_EQ(shallow.output_stride(), 8);
  EXPECT_EQ(shallow.out_channels(), (std::vector<int64_t>{2, 64, 64, 128}));

  ResNetEncoder dilated("resnet50", 2, 5, 16), plain("resnet50", 2);
  auto g = dilated.forward(x);
  ASSERT_EQ(g.size(), 6u);
  EXPECT_EQ(g[4].shape(), (Shape{1, 1024, 4, 4}));
  EXPECT_EQ(g[5].shape(), (Shape{1, 2048, 4, 4}));
  EXPECT_EQ(dilated.output_stride(), 16);
  auto ds = dilated.state(), ps = plain.state();
  ASSERT_EQ(ds.size(), ps.size());
  for (size_t i = 0; i < ds.size(); ++i) {
    EXPECT_EQ(ds[i].name, ps[i].name);
    EXPECT_EQ(ds[i].tensor->shape(), ps[i].tensor->shape()) << ds[i].name;
  }
  EXPECT_THROW(ResNetEncoder("resnet18", 2, 6), ValueError);
  EXPECT_THROW(ResNetEncoder("resnet18", 2, 5, 8), ValueError);
}

TEST(DownstreamModels, InputStrideErrorsAndOutputShapes) {
  for (const char* framework : {"unet", "pspnet", "deeplabv3plus", "fpn"}) {
    DownstreamConfig c;
    c.model_framework = framework;
    c.model_type = "resnet18";
    c.n_channels = 2;
    c.n_classes = 5;
    auto net = build_segmentation_model(c, 1);
    net->eval();
    NoGrad no_grad;
    const int64_t s = net->input_stride();
    EXPECT_EQ(net->forward(Tensor::uniform({1, 2, 2 * s, s}, -1, 1, 2)).shape(),
              (Shape{1, 5, 2 * s, s}))
        << framework;
    try {
      net->forward(Tensor::uniform({1, 2, s + 4, s}, -1, 1, 2));
      ADD_FAILURE() << framework << ": no error for a height not divisible by " << s;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("divisible by " + std::to_string(s)), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(net->forward(Tensor::uniform({1, 3, s, s}, -1, 1, 2)), ValueError);
  }
  DownstreamConfig bad;
  bad.model_framework = "segformer";
  EXPECT_THROW(bad.validate(), ValueError);
}

}  // namespace
}  // namespace cromss
