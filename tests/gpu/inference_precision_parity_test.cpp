// Mixed-precision inference of `cromss evaluate` / `cromss predict` (train/inference_weights.h)
// on a GPU (label gpu, skips without a device): a checkpointed DeepLabV3+ (resnet18, 13 S2 bands,
// 9 DW classes) in bf16 and fp16 on CUDA, nchw and nhwc with --conv_bn_fusion (cuDNN's fused
// conv + BN + ReLU), against fp32 on the CPU: the weights are low precision except BatchNorm's,
// the fp32 logits of one random batch are close by NMSE and agree in their argmax, and
// evaluate_model's OA / mIoU on a synthetic SSL4EO-S12@DW LMDB stay close to the fp32 scores.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include "core/conv_bn_fusion.h"
#include "data/synth.h"
#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/inference_weights.h"

namespace cromss {
namespace {

namespace fs = std::filesystem;

// A whole network in 16 bits, not one op: its logits' NMSE against fp32 is held to 1e-2 (a
// wrong weight binding, e.g. BN in low precision or a missed cast, gives NMSE near 1).
constexpr double kNetworkNmse = 1e-2;
// Share of pixels whose 16-bit argmax must equal the fp32 one (near-ties of a random-init model
// may flip), and the largest OA / mIoU difference allowed.
constexpr double kArgmaxAgreement = 0.95;
constexpr double kScoreDifference = 0.02;

struct Inference {
  Tensor logits;  // fp32, on the CPU
  Evaluation eval;
};

Inference infer(const std::string& ckpt, const data::DownstreamDataset& test, const Tensor& x,
                Device device, Precision precision, MemoryFormat format) {
  FinetunedModel m = load_finetuned_model(ckpt);
  m.net->set_memory_format(format);
  const InferenceWeights weights(*m.net, device, precision);
  const std::set<std::string> bn = batch_norm_parameter_names(*m.net);
  for (const NamedTensor& p : m.net->named_parameters())
    EXPECT_EQ(p.tensor->dtype(), bn.count(p.name) ? DType::f32 : weights.compute()) << p.name;
  m.net->eval();
  Inference r;
  {
    NoGrad no_grad;
    r.logits = m.net->forward(x.to(device).to(weights.compute())).to(DType::f32).to(Device::cpu());
  }
  r.eval = evaluate_model(*m.net, m, test, 2, device, false, precision);
  EXPECT_EQ(r.eval.precision, precision);
  return r;
}

double argmax_agreement(const Tensor& a, const Tensor& b) {
  const std::vector<uint8_t> pa = argmax_classes(a).to_vector<uint8_t>();
  const std::vector<uint8_t> pb = argmax_classes(b).to_vector<uint8_t>();
  int64_t same = 0;
  for (size_t i = 0; i < pa.size(); ++i) same += pa[i] == pb[i];
  return double(same) / double(pa.size());
}

TEST(InferencePrecisionParity, LowPrecisionEvaluationMatchesFp32OnTheCpu) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  const uint64_t seed = 21;
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  EXPECT_EQ(inference_precision("auto", Device::cuda()),
            supports_bf16(Device::cuda()) ? Precision::bf16 : Precision::fp16);
  const fs::path dir = fs::temp_directory_path() / fmt::format("cromss_amp_eval_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  data::SynthOptions o;
  o.out_dir = dir.string();
  o.n = 4;
  o.size = 64;
  o.seed = seed;
  o.downstream = "DW";
  const std::string lmdb = data::write_synth_dataset(o).written.at(0);
  DownstreamConfig c;
  c.model_framework = "deeplabv3plus";
  c.model_type = "resnet18";
  c.n_channels = 13;
  c.n_classes = 9;
  const std::string ckpt = (dir / "ft.h5").string();
  {
    nlohmann::json config = c.to_json();
    config["input_type"] = "s2";
    save_checkpoint(ckpt, *build_segmentation_model(c, seed), config);
  }
  data::DownstreamDataset test(data::DownstreamKind::DW, lmdb);
  const Tensor x = Tensor::uniform({2, 13, 64, 64}, 0, 1, seed);
  const Inference ref = infer(ckpt, test, x, Device::cpu(), Precision::fp32, MemoryFormat::nchw);

  struct Case {
    Precision precision;
    MemoryFormat format;
    bool fusion;
  };
  std::vector<Case> cases = {{Precision::fp16, MemoryFormat::nchw, false},
                             {Precision::fp16, MemoryFormat::nhwc, true}};
  if (supports_bf16(Device::cuda())) {
    cases.push_back({Precision::bf16, MemoryFormat::nchw, false});
    cases.push_back({Precision::bf16, MemoryFormat::nhwc, true});
  }
  for (const Case& k : cases) {
    const std::string name = fmt::format("{} {}{}", precision_name(k.precision),
                                         memory_format_name(k.format), k.fusion ? " fused" : "");
    set_conv_bn_fusion(k.fusion);
    const Inference low = infer(ckpt, test, x, Device::cuda(), k.precision, k.format);
    set_conv_bn_fusion(false);
    EXPECT_TRUE(test::nmse_close(low.logits, ref.logits, kNetworkNmse)) << name;
    EXPECT_GE(argmax_agreement(low.logits, ref.logits), kArgmaxAgreement) << name;
    EXPECT_EQ(low.eval.scores.pixels, ref.eval.scores.pixels) << name;
    EXPECT_NEAR(low.eval.scores.oa, ref.eval.scores.oa, kScoreDifference) << name;
    EXPECT_NEAR(low.eval.scores.miou, ref.eval.scores.miou, kScoreDifference) << name;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cromss
