// CromSS networks: exact parameter and key counts (method-spec.md §1.2-1.4), every key's shape
// against the smp/PyTorch listing (tests/fixtures/golden_state_keys.txt, written by
// tools/make_golden.py), forward shapes and the clear error for H/W not divisible by 32.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/autograd.h"
#include "models/segmentation_net.h"

namespace cromss {
namespace {

ModelConfig config(const std::string& input, const std::string& fusion, int64_t channels,
                   const std::string& model_type = "resnet50") {
  ModelConfig c;
  c.input_type = input;
  c.fusion_type = fusion;
  c.n_channels = channels;
  c.model_type = model_type;
  return c;
}

int64_t count(const ModelConfig& c) {
  auto m = c.two_branch()
               ? (c.fusion_type == "mid"
                      ? std::unique_ptr<SegmentationNet>(std::make_unique<MidFusionUnet>(c))
                      : std::make_unique<LateFusionUnet>(c))
               : std::make_unique<SingleUnet>(c);
  return m->parameter_count();
}

TEST(SegmentationNet, ParameterCountsMatchTheSpec) {
  EXPECT_EQ(count(config("s12", "mid", 13)), 56058521);
  EXPECT_EQ(count(config("s12", "mid", 9)), 56045977);
  EXPECT_EQ(count(config("s12", "late", 13)), 65072754);
  EXPECT_EQ(count(config("s12", "late", 9)), 65060210);
  EXPECT_EQ(count(config("s2", "mid", 13)), 32553625);  // smp.Unet(resnet50, 13, 9)
}

TEST(SegmentationNet, KeyCountsAndPartsMatchTheSpec) {
  MidFusionUnet mid(config("s12", "mid", 13));
  EXPECT_EQ(mid.state().size(), 698u);
  int64_t enc1 = 0, enc = 0, dec = 0, head = 0;
  for (auto& p : mid.named_parameters()) {
    const std::string& n = p.name;
    int64_t k = p.tensor->numel();
    if (n.rfind("encoder1.", 0) == 0)
      enc1 += k;
    else if (n.rfind("encoder.", 0) == 0)
      enc += k;
    else if (n.rfind("decoder.", 0) == 0)
      dec += k;
    else if (n.rfind("segmentation_head.", 0) == 0)
      head += k;
  }
  EXPECT_EQ(enc1, 23504896);
  EXPECT_EQ(enc, 23539392);
  EXPECT_EQ(dec, 9012928);
  EXPECT_EQ(head, 1305);
  LateFusionUnet late(config("s12", "late", 13));
  EXPECT_EQ(late.state().size(), 760u);
  EXPECT_EQ(late.state()[0].name, "model1.encoder.conv1.weight");
}

// Every key and shape equals the listing torch/smp produced for the same configuration.
TEST(SegmentationNet, EveryKeyShapeMatchesPyTorch) {
  std::string path = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/golden_state_keys.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path << " (tools/make_golden.py)";
  std::map<std::string, std::map<std::string, Shape>> expected;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string model, key;
    ls >> model >> key;
    Shape s;
    int64_t d;
    while (ls >> d) s.push_back(d);
    expected[model][key] = s;
  }
  const std::map<std::string, ModelConfig> models{{"mid13", config("s12", "mid", 13)},
                                                  {"late13", config("s12", "late", 13)},
                                                  {"mid9", config("s12", "mid", 9)},
                                                  {"s2_13", config("s2", "mid", 13)}};
  for (auto& [name, cfg] : models) {
    ASSERT_TRUE(expected.count(name)) << name;
    auto net = build_model(cfg, 1);
    std::map<std::string, Shape> actual;
    for (auto& s : net->state()) actual[s.name] = s.tensor->shape();
    EXPECT_EQ(actual, expected[name]) << name;
  }
}

TEST(SegmentationNet, ForwardShapesPerBranch) {
  NoGrad no_grad;
  auto mid = build_model(config("s12", "mid", 13, "resnet18"), 1);
  mid->eval();
  Tensor s1 = Tensor::uniform({1, 2, 32, 64}, -1, 1, 1);
  Tensor s2 = Tensor::uniform({1, 13, 32, 64}, -1, 1, 2);
  BranchLogits out = mid->forward(s1, s2);
  EXPECT_EQ(out.s1.shape(), (Shape{1, 9, 32, 64}));
  EXPECT_EQ(out.s2.shape(), (Shape{1, 9, 32, 64}));

  auto single = build_model(config("s1", "mid", 2, "resnet18"), 1);
  single->eval();
  BranchLogits one = single->forward(s1, Tensor());
  EXPECT_EQ(one.s1.shape(), (Shape{1, 9, 32, 64}));
  EXPECT_FALSE(one.s2.defined());
}

TEST(SegmentationNet, RejectsSizesNotDivisibleBy32AndWrongChannels) {
  auto net = build_model(config("s12", "late", 13, "resnet18"), 1);
  Tensor s1 = Tensor::zeros({1, 2, 48, 32});
  Tensor s2 = Tensor::zeros({1, 13, 48, 32});
  try {
    net->forward(s1, s2);
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("divisible by 32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(net->forward(Tensor::zeros({1, 2, 32, 32}), Tensor::zeros({1, 9, 32, 32})),
               ValueError);
}

TEST(ModelConfig, ValidatesFlagsAndRoundTripsJson) {
  ModelConfig c = config("s12", "late", 9, "resnet34");
  EXPECT_EQ(ModelConfig::from_json(c.to_json()).to_json(), c.to_json());
  EXPECT_THROW(config("s3", "mid", 13).validate(), ValueError);
  EXPECT_THROW(ModelConfig::from_json({{"n_channels", "thirteen"}}), ValueError);
  EXPECT_THROW(config("s12", "early", 13).validate(), ValueError);
}

std::map<std::string, Shape> state_shapes(const ModelConfig& c) {
  auto net = build_model(c, 1, /*initialize=*/false);
  std::map<std::string, Shape> shapes;
  for (auto& s : net->state()) shapes[s.name] = s.tensor->shape();
  return shapes;
}

TEST(ModelConfig, InfersTheNetworkFromStateKeysAndShapes) {
  for (auto c : {config("s12", "mid", 9, "resnet18"), config("s12", "late", 13, "resnet34"),
                 config("s2", "mid", 13, "resnet50"), config("s1", "mid", 2, "resnet18")}) {
    c.n_classes = 7;
    ModelConfig inferred = ModelConfig::infer_from_state(state_shapes(c), ModelConfig());
    if (!c.two_branch()) inferred.fusion_type = c.fusion_type;  // not a property of one U-Net
    EXPECT_EQ(inferred.to_json(), c.to_json());
  }
  EXPECT_THROW(ModelConfig::infer_from_state({{"fc.weight", {9, 16}}}, ModelConfig()), ValueError);
}

}  // namespace
}  // namespace cromss
