// Weight exports without Python: safetensors and torch .pt writers read back by this engine's own
// readers (bit-exact round trips), the smp / timm key mapping of every model kind, and the model
// metadata that checkpoints carry (tests/cpu/export_test.py checks the same files with the
// safetensors package and torch.load).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/safetensors_file.h"
#include "data/torch_checkpoint.h"
#include "data/torch_save.h"
#include "train/checkpoint.h"
#include "train/model_metadata.h"
#include "train/weights_export.h"

namespace cromss {
namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "cromss_export_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

data::NamedTensors sample_tensors() {
  return {{"encoder.conv1.weight", Tensor::normal({4, 3, 3, 3}, 0, 1, 7)},
          {"encoder.bn1.num_batches_tracked", Tensor::full({}, 123456789012, DType::i64)},
          {"f64", Tensor::normal({2, 5}, 0, 1, 8, DType::f64)},
          {"bf16", Tensor::normal({3}, 0, 1, 9, DType::bf16)},
          {"i32", Tensor::full({2, 2}, -5, DType::i32)},
          {"u8", Tensor::full({7}, 200, DType::u8)},
          {"empty", Tensor::empty({0, 3})}};
}

void expect_same(const data::NamedTensors& got, const data::NamedTensors& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].first);
    EXPECT_EQ(got[i].first, want[i].first);
    const Tensor& a = got[i].second;
    const Tensor& b = want[i].second;
    ASSERT_EQ(a.dtype(), b.dtype());
    ASSERT_EQ(a.shape(), b.shape());
    EXPECT_EQ(0, std::memcmp(a.raw_data(), b.raw_data(), b.nbytes()));
  }
}

TEST(Export, SafetensorsRoundTripIsBitExact) {
  const std::string path = temp_path("t.safetensors");
  const auto tensors = sample_tensors();
  data::write_safetensors(path, tensors, {{"bands", "[\"VV\",\"VH\"]"}, {"note", "x"}});
  const auto back = data::read_safetensors(path);
  expect_same(back.tensors, tensors);
  EXPECT_EQ(back.metadata.at("bands"), "[\"VV\",\"VH\"]");
  EXPECT_EQ(back.metadata.at("note"), "x");
  // The header is padded to a multiple of 8 bytes, as the reference implementation writes it.
  std::ifstream f(path, std::ios::binary);
  uint64_t header = 0;
  f.read(reinterpret_cast<char*>(&header), 8);
  EXPECT_EQ(header % 8, 0u);
}

TEST(Export, TorchPtRoundTripsThroughTheStrictCkptReader) {
  const std::string path = temp_path("t.pt");
  const auto tensors = sample_tensors();
  data::write_torch_save(path, tensors, {{"k", "v"}});
  const auto back = data::read_torch_checkpoint(path);
  expect_same(back.state_dict, tensors);
}

TEST(Export, CorruptSafetensorsHeaderIsAnIoError) {
  const std::string path = temp_path("bad.safetensors");
  std::ofstream(path, std::ios::binary) << std::string("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10);
  EXPECT_THROW(data::read_safetensors(path), IoError);
}

ModelConfig config_of(const std::string& input, const std::string& fusion) {
  ModelConfig c;
  c.input_type = input;
  c.fusion_type = fusion;
  c.model_type = "resnet18";
  c.n_channels = input == "s1" ? 2 : 9;
  return c;
}

std::vector<std::string> exported_names(const ModelConfig& c, const ExportOptions& o,
                                        int64_t* in_channels = nullptr) {
  const std::string path = temp_path(c.input_type + c.fusion_type + ".h5");
  auto model = build_model(c, 1, /*initialize=*/false);
  save_checkpoint(path, *model, c.to_json());
  H5File f(path, H5File::Mode::read);
  ExportedWeights w = export_weights(f, c, o);
  if (in_channels) *in_channels = w.in_channels;
  std::vector<std::string> names;
  for (const auto& [name, t] : w.tensors) names.push_back(name);
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(Export, MidFusionBranchesBecomeSmpUnets) {
  const ModelConfig c = config_of("s12", "mid");
  int64_t channels = 0;
  auto s1 = exported_names(c, {"s1", false, "smp"}, &channels);
  EXPECT_EQ(channels, 2);
  EXPECT_TRUE(has(s1, "encoder.conv1.weight"));
  EXPECT_TRUE(has(s1, "decoder.blocks.0.conv1.0.weight"));
  EXPECT_TRUE(has(s1, "segmentation_head.0.bias"));
  // smp.Unet(resnet18) has 122 + 60 + 2 state tensors: one encoder, the decoder, the head.
  auto s2 = exported_names(c, {"s2", false, "smp"}, &channels);
  EXPECT_EQ(channels, 9);
  EXPECT_EQ(s1.size(), s2.size());
  auto timm = exported_names(c, {"s2", false, "timm"});
  EXPECT_TRUE(has(timm, "conv1.weight"));
  EXPECT_TRUE(has(timm, "layer4.1.bn2.running_var"));
  EXPECT_FALSE(has(timm, "decoder.blocks.0.conv1.0.weight"));
  auto enc = exported_names(c, {"s1", true, "smp"});
  EXPECT_EQ(enc.size(), timm.size());
  for (const auto& n : enc) EXPECT_EQ(n.rfind("encoder.", 0), 0u) << n;
  EXPECT_THROW(exported_names(c, {"", false, "smp"}), ValueError);  // which branch?
}

TEST(Export, LateFusionAndSingleModal) {
  auto late = exported_names(config_of("s12", "late"), {"s1", false, "smp"});
  EXPECT_TRUE(has(late, "encoder.conv1.weight"));
  EXPECT_TRUE(has(late, "segmentation_head.0.weight"));
  EXPECT_FALSE(has(late, "model1.encoder.conv1.weight"));
  auto single = exported_names(config_of("s2", "mid"), {"", false, "smp"});
  EXPECT_EQ(single.size(), late.size());
  EXPECT_THROW(exported_names(config_of("s2", "mid"), {"s1", false, "smp"}), ValueError);
}

TEST(Export, CheckpointsCarryBandsNormalisationAndClassNames) {
  const ModelConfig c = config_of("s12", "mid");
  const std::string path = temp_path("meta.h5");
  auto model = build_model(c, 1, /*initialize=*/false);
  save_checkpoint(path, *model, c.to_json());
  H5File f(path, H5File::Mode::read);
  ASSERT_TRUE(f.has_attr("/", kMetadataAttribute));
  const nlohmann::json m = read_model_metadata(f);
  EXPECT_EQ(m["s1"]["bands"], (std::vector<std::string>{"VV", "VH"}));
  EXPECT_EQ(m["s2"]["bands"],
            (std::vector<std::string>{"B2", "B3", "B4", "B5", "B6", "B7", "B8", "B11", "B12"}));
  EXPECT_DOUBLE_EQ(m["s2"]["mean"][0].get<double>(), 1390.782);  // B2 (spec §6.2)
  EXPECT_DOUBLE_EQ(m["s1"]["std"][1].get<double>(), 5.9115);     // VH
  EXPECT_EQ(m["class_names"][8], "snow_and_ice");
  EXPECT_EQ(m["model"]["n_channels"], 9);
}

}  // namespace
}  // namespace cromss
