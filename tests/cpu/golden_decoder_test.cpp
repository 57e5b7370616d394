// Golden tests of the fine-tuning decoders against PyTorch + smp 0.3.3 (fixtures from
// tools/make_golden_decoders.py): PSPNet (DFC2020), DeepLabV3+ (DW) and FPN (OSM) with ResNet-50
// encoders, batch 2 at 64x64. Checks that every state_dict key and shape equals smp's, in smp's
// order (so checkpoints load both ways), then one eval-mode forward and one training step: logits,
// CE loss, the BN running stats after the training forward, and (float64 engine) every
// parameter's gradient. The training step runs with dropout in eval mode, as the fixture does
// (torch's masks cannot be reproduced; the dropout ops have their own tests). Float32 compares
// forward quantities only, for the reason given in tools/make_golden.py. Skips without fixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/device.h"
#include "engine/hdf5_file.h"
#include "engine/ops.h"
#include "layers/dropout.h"
#include "layers/parameter_store.h"
#include "models/downstream.h"
#include "tests/golden_fixture.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::expect_summary_close;
using test::split_lines;

constexpr int64_t kBatch = 2, kSize = 64, kLogitSamples = 1024;

struct GoldenCase {
  std::string name;  // fixture golden_<name>.h5 and the model's tag in the key listing
  DownstreamConfig config;
};

GoldenCase golden_case(const std::string& framework) {
  DownstreamConfig c;
  c.model_framework = framework;
  if (framework == "pspnet") c.n_channels = 13, c.n_classes = 8;
  if (framework == "deeplabv3plus") c.n_channels = 13, c.n_classes = 9;
  if (framework == "fpn") c.n_channels = 2, c.n_classes = 13;
  return {framework, c};
}

std::string fixture(const std::string& file) {
  return std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/" + file;
}

void set_dropout_training(Module& m, bool on) {
  if (auto* d = dynamic_cast<Dropout*>(&m)) d->train(on);
  for (auto& [name, child] : m.named_children()) set_dropout_training(*child, on);
}

void run_golden(const GoldenCase& gc, DType dtype, Device device = Device::cpu()) {
  if (device.is_cuda() && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const std::string path = fixture("golden_" + gc.name + ".h5");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixture " << path;
  H5File golden(path, H5File::Mode::read);
  std::printf("fixture %s: torch %s, smp %s; engine %s on %s\n", path.c_str(),
              golden.read_attr("/", "torch").c_str(), golden.read_attr("/", "smp").c_str(),
              dtype_name(dtype), device.str().c_str());
  const double limit = test::nmse_limit_for(dtype);
  const DownstreamConfig& c = gc.config;

  auto net = build_segmentation_model(c, 0, /*initialize=*/false);
  for (auto& s : net->state()) test::golden_fill(s.name, *s.tensor);
  net->to(dtype);
  net->to(device);
  Tensor x = test::golden_input(golden.read_attr("/", "input_key"), kBatch, c.n_channels, kSize)
                 .to(dtype)
                 .to(device);

  auto logits_keys = split_lines(golden.read_attr("/", "logits_keys"));
  Tensor logits_stats = golden.read("logits_stats").contiguous();
  Tensor logits_samples = golden.read("logits_samples").contiguous();
  auto expect_logits = [&](const std::string& key, const Tensor& logits) {
    ASSERT_EQ(logits.shape(), (Shape{kBatch, c.n_classes, kSize, kSize})) << key;
    auto it = std::find(logits_keys.begin(), logits_keys.end(), key);
    ASSERT_NE(it, logits_keys.end()) << key;
    const size_t i = size_t(it - logits_keys.begin());
    expect_summary_close(key, logits, limit, logits_stats.data<double>() + 2 * i,
                         logits_samples.data<double>() + kLogitSamples * i, kLogitSamples);
  };

  net->eval();
  {
    NoGrad no_grad;
    expect_logits("eval", net->forward(x));
  }

  ParameterStore store(*net);
  net->train();
  set_dropout_training(*net, false);
  Tensor t = net->forward(x);
  expect_logits("train", t);
  Tensor y = test::golden_target_one_hot(kBatch, c.n_classes, kSize).to(dtype).to(device);
  Tensor loss = test::golden_cross_entropy(t, y);
  EXPECT_TRUE(test::nmse_close(loss.to(DType::f64).view({1}),
                               Tensor::full({1}, golden.read_scalar("loss"), DType::f64), limit))
      << "loss " << loss.item() << " vs " << golden.read_scalar("loss");

  std::map<std::string, Tensor*> buffers;
  for (auto& b : net->named_buffers()) buffers[b.name] = b.tensor;
  auto buffer_keys = split_lines(golden.read_attr("/", "buffer_keys"));
  Tensor buffer_stats = golden.read("buffer_stats").contiguous();
  Tensor buffer_samples = golden.read("buffer_samples").contiguous();
  for (size_t i = 0; i < buffer_keys.size(); ++i) {
    const std::string& key = buffer_keys[i];
    ASSERT_TRUE(buffers.count(key)) << key;
    expect_summary_close(key, *buffers[key], limit, buffer_stats.data<double>() + 2 * i,
                         buffer_samples.data<double>() + test::kGoldenSamples * i);
    if (golden.has("buffer_full/" + key))
      EXPECT_TRUE(test::nmse_close(*buffers[key], golden.read("buffer_full/" + key), limit)) << key;
  }
  auto nbt_keys = split_lines(golden.read_attr("/", "nbt_keys"));
  auto nbt = golden.read("nbt_values").to_vector<int64_t>();
  for (size_t i = 0; i < nbt_keys.size(); ++i)
    EXPECT_EQ(buffers.at(nbt_keys[i])->item(), double(nbt[i])) << nbt_keys[i];

  if (dtype != DType::f64) return;
  loss.backward();
  auto grad_keys = split_lines(golden.read_attr("/", "grad_keys"));
  auto no_grad_keys = split_lines(golden.read_attr("/", "no_grad_keys"));
  auto params = net->named_parameters();
  ASSERT_EQ(grad_keys.size(), params.size());
  Tensor grad_stats = golden.read("grad_stats").contiguous();
  Tensor grad_samples = golden.read("grad_samples").contiguous();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_EQ(params[i].name, grad_keys[i]);
    Tensor g = params[i].tensor->grad();
    const bool unused =
        std::find(no_grad_keys.begin(), no_grad_keys.end(), params[i].name) != no_grad_keys.end();
    if (unused) {  // torch leaves it None; the engine may hold zeros (flat gradient buffer)
      if (g.defined())
        for (double v : g.to_vector<double>()) ASSERT_EQ(v, 0.0) << params[i].name;
      continue;
    }
    ASSERT_TRUE(g.defined()) << params[i].name;
    expect_summary_close(params[i].name, g, limit, grad_stats.data<double>() + 2 * i,
                         grad_samples.data<double>() + test::kGoldenSamples * i);
    if (golden.has("grad_full/" + params[i].name))
      EXPECT_TRUE(test::nmse_close(g, golden.read("grad_full/" + params[i].name), limit))
          << "full gradient of " << params[i].name;
  }
}

TEST(GoldenDecoders, StateKeysAndShapesMatchSmp) {
  const std::string path = fixture("golden_decoder_state_keys.txt");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  std::map<std::string, std::vector<std::pair<std::string, Shape>>> expected;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string model, key;
    ls >> model >> key;
    Shape s;
    for (int64_t d; ls >> d;) s.push_back(d);
    expected[model].emplace_back(key, s);
  }
  for (const char* framework : {"pspnet", "deeplabv3plus", "fpn"}) {
    GoldenCase gc = golden_case(framework);
    auto net = build_segmentation_model(gc.config, 1, /*initialize=*/false);
    auto state = net->state();
    const auto& want = expected.at(gc.name);
    ASSERT_EQ(state.size(), want.size()) << framework;
    for (size_t i = 0; i < state.size(); ++i) {
      EXPECT_EQ(state[i].name, want[i].first) << framework << " key " << i;
      EXPECT_EQ(state[i].tensor->shape(), want[i].second) << state[i].name;
    }
    std::map<std::string, Shape> shapes;
    for (auto& s : state) shapes[s.name] = s.tensor->shape();
    DownstreamConfig inferred = DownstreamConfig::infer_from_state(shapes);
    EXPECT_EQ(inferred.to_json(), gc.config.to_json()) << framework;
  }
}

TEST(GoldenDecoders, PSPNetResNet50Float64) {
  run_golden(golden_case("pspnet"), DType::f64);
}
TEST(GoldenDecoders, DeepLabV3PlusResNet50Float64) {
  run_golden(golden_case("deeplabv3plus"), DType::f64);
}
TEST(GoldenDecoders, FPNResNet50Float64) {
  run_golden(golden_case("fpn"), DType::f64);
}
TEST(GoldenDecoders, PSPNetResNet50Float32) {
  run_golden(golden_case("pspnet"), DType::f32);
}
TEST(GoldenDecoders, DeepLabV3PlusResNet50Float32) {
  run_golden(golden_case("deeplabv3plus"), DType::f32);
}
TEST(GoldenDecoders, FPNResNet50Float32) {
  run_golden(golden_case("fpn"), DType::f32);
}

// The same on CUDA (skipped without a device): cuDNN's grouped/dilated convolutions, the
// pooling, resize and group-norm kernels inside whole networks.
TEST(GoldenDecoders, PSPNetResNet50Float64Cuda) {
  run_golden(golden_case("pspnet"), DType::f64, Device::cuda());
}
TEST(GoldenDecoders, DeepLabV3PlusResNet50Float64Cuda) {
  run_golden(golden_case("deeplabv3plus"), DType::f64, Device::cuda());
}
TEST(GoldenDecoders, FPNResNet50Float32Cuda) {
  run_golden(golden_case("fpn"), DType::f32, Device::cuda());
}

}  // namespace
}  // namespace cromss
