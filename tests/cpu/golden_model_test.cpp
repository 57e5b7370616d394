// Golden tests against PyTorch + smp 0.3.3 (fixtures from tools/make_golden.py, whose docstring
// defines the deterministic fill formula reproduced here): mid fusion, late fusion and the
// single-modal U-Net-ResNet50 at batch 2, 64x64 (why not 32x32: see tools/make_golden.py).
// The reference is a float64 torch run. The engine runs twice: in float64, where every
// quantity matches at the float64 NMSE limit, and in float32, where logits, loss and running
// stats match at the float32 limit (float32 gradients are too ill-conditioned to compare: torch's
// own float32 and float64 gradients differ by NMSE ~4e-3, see tools/make_golden.py). Compares eval-
// and train-mode logits, the CE loss, every parameter's gradient (full tensors for a few, L2 norm +
// sum + 64 seeded elements for the rest) and the BN running stats / num_batches_tracked after one
// training forward. Skips when the fixtures are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/device.h"
#include "core/random.cuh"
#include "engine/hdf5_file.h"
#include "engine/ops.h"
#include "layers/parameter_store.h"
#include "models/segmentation_net.h"
#include "tests/golden_fixture.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

using test::expect_summary_close;
using test::split_lines;

constexpr int64_t kBatch = 2, kSize = 64, kBands = 13, kClasses = 9,
                  kSamples = test::kGoldenSamples, kLogitSamples = 1024;

void run_golden(const std::string& name, const ModelConfig& config, DType dtype,
                Device device = Device::cpu()) {
  if (device.is_cuda() && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::string path = std::string(CROMSS_SOURCE_DIR) + "/tests/fixtures/golden_" + name + ".h5";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixture " << path;
  H5File golden(path, H5File::Mode::read);
  std::printf("fixture %s: torch %s, smp %s\n", path.c_str(),
              golden.read_attr("/", "torch").c_str(), golden.read_attr("/", "smp").c_str());
  std::printf("engine dtype %s on %s\n", dtype_name(dtype), device.str().c_str());
  const double limit = test::nmse_limit_for(dtype);
  const bool compare_gradients = dtype == DType::f64;

  auto net = build_model(config, 0, /*initialize=*/false);  // every value comes from fill()
  for (auto& s : net->state()) test::golden_fill(s.name, *s.tensor);
  net->to(dtype);
  net->to(device);
  Tensor s1 = test::golden_input("input.s1", kBatch, 2, kSize).to(dtype).to(device);
  Tensor s2 = test::golden_input("input.s2", kBatch, kBands, kSize).to(dtype).to(device);
  const bool has_s1 = config.has_s1();

  auto logits_keys = split_lines(golden.read_attr("/", "logits_keys"));
  Tensor logits_stats = golden.read("logits_stats").contiguous();
  Tensor logits_samples = golden.read("logits_samples").contiguous();
  auto expect_logits = [&](const std::string& key, const Tensor& logits) {
    auto it = std::find(logits_keys.begin(), logits_keys.end(), key);
    ASSERT_NE(it, logits_keys.end()) << key;
    size_t i = size_t(it - logits_keys.begin());
    expect_summary_close(key, logits, limit, logits_stats.data<double>() + 2 * i,
                         logits_samples.data<double>() + kLogitSamples * i, kLogitSamples);
    // The full logits are stored rounded to float32: compared at the float32 limit.
    if (golden.has("logits_full/" + key))
      EXPECT_TRUE(test::nmse_close(logits.to(DType::f32), golden.read("logits_full/" + key),
                                   test::nmse_limit_for(DType::f32)))
          << key;
  };

  net->eval();
  {
    NoGrad no_grad;
    BranchLogits e = net->forward(s1, s2);
    if (has_s1) expect_logits("eval_s1", e.s1);
    expect_logits("eval_s2", e.s2);
  }

  ParameterStore store(*net);
  net->train();
  BranchLogits t = net->forward(s1, s2);
  Tensor y = test::golden_target_one_hot(kBatch, kClasses, kSize).to(dtype).to(device);
  Tensor loss = test::golden_cross_entropy(t.s2, y);
  if (has_s1) {
    loss = add(test::golden_cross_entropy(t.s1, y), loss);
    expect_logits("train_s1", t.s1);
  }
  expect_logits("train_s2", t.s2);
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
                         buffer_samples.data<double>() + kSamples * i);
    if (golden.has("buffer_full/" + key))
      EXPECT_TRUE(test::nmse_close(*buffers[key], golden.read("buffer_full/" + key), limit)) << key;
  }
  auto nbt_keys = split_lines(golden.read_attr("/", "nbt_keys"));
  auto nbt = golden.read("nbt_values").to_vector<int64_t>();
  for (size_t i = 0; i < nbt_keys.size(); ++i)
    EXPECT_EQ(buffers.at(nbt_keys[i])->item(), double(nbt[i])) << nbt_keys[i];

  if (!compare_gradients) return;
  loss.backward();
  auto grad_keys = split_lines(golden.read_attr("/", "grad_keys"));
  auto params = net->named_parameters();
  ASSERT_EQ(grad_keys.size(), params.size());
  Tensor grad_stats = golden.read("grad_stats").contiguous();
  Tensor grad_samples = golden.read("grad_samples").contiguous();
  for (size_t i = 0; i < params.size(); ++i) {
    ASSERT_EQ(params[i].name, grad_keys[i]);
    Tensor g = params[i].tensor->grad();
    ASSERT_TRUE(g.defined()) << params[i].name;
    expect_summary_close(params[i].name, g, limit, grad_stats.data<double>() + 2 * i,
                         grad_samples.data<double>() + kSamples * i);
    if (golden.has("grad_full/" + params[i].name))
      EXPECT_TRUE(test::nmse_close(g, golden.read("grad_full/" + params[i].name), limit))
          << "full gradient of " << params[i].name;
  }
}

ModelConfig golden_config(const std::string& input, const std::string& fusion) {
  ModelConfig c;
  c.input_type = input;
  c.fusion_type = fusion;
  c.n_channels = kBands;
  c.n_classes = kClasses;
  return c;
}

TEST(GoldenPyTorch, MiddleFusionUnetResNet50Float64) {
  run_golden("mid", golden_config("s12", "mid"), DType::f64);
}
TEST(GoldenPyTorch, LateFusionUnetResNet50Float64) {
  run_golden("late", golden_config("s12", "late"), DType::f64);
}
TEST(GoldenPyTorch, SingleModalUnetResNet50Float64) {
  run_golden("single", golden_config("s2", "mid"), DType::f64);
}
TEST(GoldenPyTorch, MiddleFusionUnetResNet50Float32) {
  run_golden("mid", golden_config("s12", "mid"), DType::f32);
}
TEST(GoldenPyTorch, LateFusionUnetResNet50Float32) {
  run_golden("late", golden_config("s12", "late"), DType::f32);
}
TEST(GoldenPyTorch, SingleModalUnetResNet50Float32) {
  run_golden("single", golden_config("s2", "mid"), DType::f32);
}

// The same comparisons with the model on CUDA (skipped without a device). cuDNN runs f32
// convolutions without TF32 (kernels/cuda/conv2d_cudnn.cpp), so the f32 limits hold there too.
TEST(GoldenPyTorch, MiddleFusionUnetResNet50Float64Cuda) {
  run_golden("mid", golden_config("s12", "mid"), DType::f64, Device::cuda());
}
TEST(GoldenPyTorch, LateFusionUnetResNet50Float32Cuda) {
  run_golden("late", golden_config("s12", "late"), DType::f32, Device::cuda());
}
TEST(GoldenPyTorch, SingleModalUnetResNet50Float64Cuda) {
  run_golden("single", golden_config("s2", "mid"), DType::f64, Device::cuda());
}
TEST(GoldenPyTorch, SingleModalUnetResNet50Float32Cuda) {
  run_golden("single", golden_config("s2", "mid"), DType::f32, Device::cuda());
}

}  // namespace
}  // namespace cromss
