// HDF5 checkpoints: /model/net.<key> in PyTorch dtypes, root attributes, bit-exact round trip,
// every mismatch reported at once, corrupt files as IoError, extra groups through the hooks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/segmentation_net.h"
#include "train/checkpoint.h"

namespace cromss {
namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "cromss_checkpoint_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

ModelConfig small_config(int64_t channels = 13) {
  ModelConfig c;
  c.input_type = "s12";
  c.fusion_type = "mid";
  c.model_type = "resnet18";
  c.n_channels = channels;
  return c;
}

TEST(Checkpoint, RoundTripsBitExactlyWithPyTorchNamesAndDtypes) {
  std::string path = temp_path("roundtrip.h5");
  auto a = build_model(small_config(), 1);
  a->named_buffers()[0].tensor->fill_(0.25);  // encoder1.bn1.running_mean
  a->named_buffers()[2].tensor->copy_(Tensor::full({}, 7, DType::i64));  // num_batches_tracked
  nlohmann::json config = a->config().to_json();
  config["seed"] = 42;
  save_checkpoint(path, *a, config, [](H5File& f) { f.write_scalar_i64("step", 12); });

  H5File file(path, H5File::Mode::read);
  EXPECT_EQ(file.read_attr("/", "format_version"), kCheckpointFormatVersion);
  EXPECT_NE(file.read_attr("/", "engine_version").find("cromss"), std::string::npos);
  EXPECT_EQ(read_checkpoint_config(file)["seed"], 42);
  EXPECT_EQ(file.shape("model/net.encoder1.conv1.weight"), (Shape{64, 2, 7, 7}));
  Tensor nbt = file.read("model/net.encoder1.bn1.num_batches_tracked");
  EXPECT_EQ(nbt.dtype(), DType::i64);
  EXPECT_EQ(nbt.shape(), Shape{});
  EXPECT_EQ(nbt.to_vector<int64_t>()[0], 7);
  EXPECT_EQ(file.read("model/net.segmentation_head.0.bias").dtype(), DType::f32);
  EXPECT_EQ(checkpoint_state_shapes(file).size(), a->state().size());

  auto b = build_model(small_config(), 2);
  int64_t step = 0;
  load_checkpoint(path, *b, [&](const H5File& f) { step = int64_t(f.read_scalar("step")); });
  EXPECT_EQ(step, 12);
  auto sa = a->state(), sb = b->state();
  for (size_t i = 0; i < sa.size(); ++i) {
    ASSERT_EQ(sa[i].name, sb[i].name);
    Tensor x = sa[i].tensor->contiguous(), y = sb[i].tensor->contiguous();
    ASSERT_EQ(x.nbytes(), y.nbytes());
    EXPECT_EQ(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()), 0) << sa[i].name;
  }
}

TEST(Checkpoint, ReportsEveryMismatchInOneError) {
  std::string path = temp_path("mismatch.h5");
  auto a = build_model(small_config(13), 1);
  save_checkpoint(path, *a, a->config().to_json(), [](H5File& f) {
    f.write("model/net.extra.weight", Tensor::zeros({3}));
    // f32 instead of PyTorch's 0-d int64
    f.write("model/net.encoder1.bn1.num_batches_tracked", Tensor::zeros({}));
  });
  // Loaded into a 9-band model with 4 classes: mis-shaped conv1 and head, plus the unexpected
  // key and the wrong dtype.
  ModelConfig other = small_config(9);
  other.n_classes = 4;
  auto b = build_model(other, 1);
  try {
    H5File file(path, H5File::Mode::read);
    load_model_state(file, *b);
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("mis-shaped net.encoder.conv1.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("mis-shaped net.segmentation_head.0.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("mis-shaped net.segmentation_head.0.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected net.extra.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("wrong dtype net.encoder1.bn1.num_batches_tracked: file f32, model i64"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("5 problems"), std::string::npos) << msg;
  }
  // A late-fusion model finds none of its keys: all reported as missing.
  ModelConfig late = small_config(13);
  late.fusion_type = "late";
  auto c = build_model(late, 1);
  try {
    load_checkpoint(path, *c);
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("missing net.model1.encoder.conv1.weight"), std::string::npos);
    EXPECT_NE(msg.find("unexpected net.encoder1.conv1.weight"), std::string::npos);
  }
}

TEST(Checkpoint, TruncatedFileIsAnIoError) {
  std::string path = temp_path("truncated.h5");
  auto a = build_model(small_config(), 1);
  save_checkpoint(path, *a, nlohmann::json::object());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 3);
  auto b = build_model(small_config(), 1);
  EXPECT_THROW(load_checkpoint(path, *b), IoError);
  std::ofstream(temp_path("garbage.h5")) << "not an hdf5 file";
  EXPECT_THROW(load_checkpoint(temp_path("garbage.h5"), *b), IoError);
}

TEST(Checkpoint, KeyPrefixHelpers) {
  EXPECT_EQ(checkpoint_key("encoder1.conv1.weight"), "net.encoder1.conv1.weight");
  EXPECT_EQ(state_key("net.decoder.blocks.0.conv1.0.weight"), "decoder.blocks.0.conv1.0.weight");
  EXPECT_EQ(state_key("model.encoder.x"), "");
}

}  // namespace
}  // namespace cromss
