// ResNet encoders: parameter and key counts against torchvision (fc removed), the smp conv1
// patch for C_in != 3, feature shapes and strides of forward.
#include <gtest/gtest.h>

#include "models/resnet.h"

namespace cromss {
namespace {

// torchvision resnet{18,34,50}(num_classes=1000) minus fc (512*1000+1000 or 2048*1000+1000),
// with conv1 resized from 3 to C_in input channels (method-spec.md §1.2).
int64_t torchvision_count(int64_t full, int64_t fc, int64_t in_channels) {
  return full - fc - 64 * 3 * 49 + 64 * in_channels * 49;
}

TEST(ResNetEncoder, ParameterCountsMatchTorchvision) {
  EXPECT_EQ(ResNetEncoder("resnet50", 2).parameter_count(),
            23504896);  // method-spec.md §1.2 encoder1
  EXPECT_EQ(ResNetEncoder("resnet50", 13).parameter_count(),
            23539392);  // method-spec.md §1.2 encoder
  EXPECT_EQ(ResNetEncoder("resnet50", 9).parameter_count(), 23526848);
  EXPECT_EQ(ResNetEncoder("resnet18", 3).parameter_count(), torchvision_count(11689512, 513000, 3));
  EXPECT_EQ(ResNetEncoder("resnet34", 2).parameter_count(), torchvision_count(21797672, 513000, 2));
}

TEST(ResNetEncoder, KeysFollowTorchvisionLayout) {
  ResNetEncoder r50("resnet50", 13);
  auto state = r50.state();
  EXPECT_EQ(state.size(), 318u);  // (698 - 60 - 2) / 2, method-spec.md §1.4
  EXPECT_EQ(state[0].name, "conv1.weight");
  EXPECT_EQ(state[0].tensor->shape(), (Shape{64, 13, 7, 7}));
  std::map<std::string, Shape> shapes;
  for (auto& s : state) shapes[s.name] = s.tensor->shape();
  EXPECT_EQ(shapes.at("layer2.0.conv2.weight"), (Shape{128, 128, 3, 3}));  // v1.5: stride on 3x3
  EXPECT_EQ(shapes.at("layer4.0.downsample.0.weight"), (Shape{2048, 1024, 1, 1}));
  EXPECT_EQ(shapes.at("layer3.5.bn3.running_var"), (Shape{1024}));
  EXPECT_EQ(shapes.at("layer1.0.downsample.1.num_batches_tracked"), Shape{});
  EXPECT_EQ(shapes.count("layer1.1.downsample.0.weight"), 0u);
  EXPECT_EQ(shapes.count("fc.weight"), 0u);

  ResNetEncoder r18("resnet18", 2);
  std::map<std::string, Shape> s18;
  for (auto& s : r18.state()) s18[s.name] = s.tensor->shape();
  EXPECT_EQ(s18.count("layer1.0.downsample.0.weight"), 0u);  // BasicBlock, 64 -> 64
  EXPECT_EQ(s18.at("layer2.0.downsample.0.weight"), (Shape{128, 64, 1, 1}));
  EXPECT_EQ(s18.count("layer1.0.conv3.weight"), 0u);
  EXPECT_EQ(r18.out_channels(), (std::vector<int64_t>{2, 64, 64, 128, 256, 512}));
  EXPECT_EQ(r50.out_channels(), (std::vector<int64_t>{13, 64, 256, 512, 1024, 2048}));
}

TEST(ResNetEncoder, InitFollowsTorchvisionAndSmp) {
  ResNetEncoder r("resnet18", 2);
  r.initialize_parameters(3);
  std::map<std::string, Tensor*> p;
  for (auto& s : r.named_parameters()) p[s.name] = s.tensor;
  // conv1 with C_in != 3: reset_parameters, U(+-1/sqrt(2*49)).
  auto c1 = p.at("conv1.weight")->to_vector<float>();
  for (float v : c1) EXPECT_LE(std::fabs(v), 1.0 / std::sqrt(98.0));
  // Other convs: kaiming-normal fan_out: std sqrt(2/(C_out*9)).
  auto w = p.at("layer3.0.conv2.weight")->to_vector<double>();
  double ss = 0;
  for (double v : w) ss += v * v;
  double std_measured = std::sqrt(ss / w.size()), std_expected = std::sqrt(2.0 / (256 * 9));
  EXPECT_NEAR(std_measured, std_expected, 0.02 * std_expected);
}

TEST(ResNetEncoder, RejectsUnknownModelTypes) {
  EXPECT_THROW(ResNetEncoder("resnet101", 3), ValueError);
}

TEST(ResNetEncoder, ForwardReturnsInputAndFiveFeatures) {
  ResNetEncoder r("resnet18", 2);
  r.initialize_parameters(1);
  r.eval();
  Tensor x = Tensor::uniform({1, 2, 64, 96}, -1, 1, 5);
  auto f = r.forward(x);
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0].shape(), x.shape());
  const int64_t ch[6] = {2, 64, 64, 128, 256, 512};
  for (int i = 1; i < 6; ++i) {
    int64_t s = int64_t(1) << i;
    EXPECT_EQ(f[i].shape(), (Shape{1, ch[i], 64 / s, 96 / s})) << "feature " << i;
  }
}

}  // namespace
}  // namespace cromss
