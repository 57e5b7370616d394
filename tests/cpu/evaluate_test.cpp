// cromss evaluate's scoring (train/evaluate.h): metrics of hand-computed confusion matrices
// (upstream's zero_division = 1 and --strict's 0), and a whole evaluation of a checkpointed
// DeepLabV3+ on a synthetic SSL4EO-S12@DW LMDB whose confusion matrix is recounted here pixel by
// pixel from the model's own per-sample predictions (every sample, batches split by size, label
// 255 ignored); the JSON/PNG outputs; clear errors for a dataset whose classes do not match.
// --precision on the CPU (train/inference_weights.h): auto and fp32 give fp32 and exactly the
// scores of before (recorded in the table and the JSON); bf16/fp16 are a ValueError naming the
// flag. The CLI as real processes: `cromss evaluate --json` on a checkpointed FPN (default,
// --precision auto: the same scores; --precision bf16: a clear error), and `cromss forward` of the
// same checkpoint against the model's logits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <unistd.h>

#include "core/error.h"
#include "data/synth.h"
#include "engine/autograd.h"
#include "engine/hdf5_file.h"
#include "engine/ops/argmax.h"
#include "tests/tolerance.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/inference_weights.h"
#include "train/png_panel.h"

namespace cromss {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / fmt::format("cromss_{}_{}", tag, ::getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

TEST(EvaluateScores, HandComputedMatrix) {
  // rows = target, columns = prediction; class 2 never occurs and is never predicted.
  const std::vector<int64_t> m = {5, 1, 0,  //
                                  2, 2, 0,  //
                                  0, 0, 0};
  Evaluation e = evaluation_from_confusion("T", {"a", "b", "c"}, m, false);
  const ClassScores& s = e.scores;
  EXPECT_EQ(s.pixels, 10);
  EXPECT_DOUBLE_EQ(s.oa, 7.0 / 10);
  EXPECT_DOUBLE_EQ(s.iou[0], 5.0 / 8);  // tp 5, fp 2, fn 1
  EXPECT_DOUBLE_EQ(s.iou[1], 2.0 / 5);  // tp 2, fp 1, fn 2
  EXPECT_DOUBLE_EQ(s.iou[2], 1.0);      // 0/0 -> 1 (smp zero_division=1)
  EXPECT_DOUBLE_EQ(s.f1[0], 10.0 / 13);
  EXPECT_DOUBLE_EQ(s.f1[1], 4.0 / 7);
  EXPECT_DOUBLE_EQ(s.precision[0], 5.0 / 7);
  EXPECT_DOUBLE_EQ(s.precision[1], 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.recall[0], 5.0 / 6);
  EXPECT_DOUBLE_EQ(s.recall[1], 2.0 / 4);
  EXPECT_DOUBLE_EQ(s.miou, (5.0 / 8 + 2.0 / 5 + 1) / 3);
  EXPECT_DOUBLE_EQ(s.mrecall, (5.0 / 6 + 0.5 + 1) / 3);  // AA

  Evaluation strict = evaluation_from_confusion("T", {"a", "b", "c"}, m, true);
  EXPECT_DOUBLE_EQ(strict.scores.iou[2], 0.0);
  EXPECT_DOUBLE_EQ(strict.scores.miou, (5.0 / 8 + 2.0 / 5) / 3);
  EXPECT_DOUBLE_EQ(strict.scores.oa, 0.7);

  nlohmann::json j = evaluation_json(e);
  EXPECT_DOUBLE_EQ(j["aa"].get<double>(), s.mrecall);
  EXPECT_EQ(j["confusion"][1][0].get<int64_t>(), 2);
  EXPECT_EQ(j["classes"][2]["name"], "c");
  EXPECT_NE(evaluation_table(e).find("OA 70.00"), std::string::npos) << evaluation_table(e);
}

TEST(Evaluate, CheckpointOnSyntheticDwMatchesRecount) {
  TempDir dir("evaluate_dw");
  data::SynthOptions o;
  o.out_dir = dir.path.string();
  o.n = 5;
  o.size = 32;
  o.seed = 3;
  o.downstream = "DW";
  const std::string lmdb = data::write_synth_dataset(o).written.at(0);
  std::printf("synthetic DW: seed %llu, %lld samples of %dx%d\n",
              static_cast<unsigned long long>(o.seed), static_cast<long long>(o.n), o.size, o.size);

  DownstreamConfig c;
  c.model_framework = "deeplabv3plus";
  c.model_type = "resnet18";
  c.n_channels = 13;
  c.n_classes = 9;
  const std::string ckpt = (dir.path / "ft.h5").string();
  {
    auto net = build_segmentation_model(c, 21);
    nlohmann::json config = c.to_json();
    config["input_type"] = "s2";
    save_checkpoint(ckpt, *net, config);
  }
  FinetunedModel model = load_finetuned_model(ckpt);
  EXPECT_EQ(model.config.to_json(), c.to_json());
  EXPECT_EQ(model.input_type, "s2");
  data::DownstreamDataset test(data::DownstreamKind::DW, lmdb);
  // Batch 2 over 5 samples: the last batch holds one sample; all 5 must count.
  Evaluation e = evaluate_model(*model.net, model, test, 2, Device::cpu(), false);
  EXPECT_EQ(e.samples, 5);

  std::vector<int64_t> recount(81, 0);
  int64_t ignored = 0;
  NoGrad no_grad;
  data::DownstreamSample s;
  for (size_t i = 0; i < test.size(); ++i) {
    test.read(i, s);
    Tensor pred = argmax_classes(model.net->forward(model_input(s, "s2", 13, "test")));
    std::vector<uint8_t> p = pred.to_vector<uint8_t>();
    for (size_t k = 0; k < s.label.size(); ++k) {
      if (s.label[k] == 255) {
        ++ignored;
        continue;
      }
      ++recount[size_t(s.label[k]) * 9 + p[k]];
    }
  }
  EXPECT_GT(ignored, 0) << "the synthetic DW tiles have unlabelled pixels";
  EXPECT_EQ(e.confusion, recount);
  EXPECT_EQ(e.scores.pixels, 5 * 32 * 32 - ignored);
  EXPECT_EQ(e.precision, Precision::fp32);
  EXPECT_EQ(evaluation_json(e)["precision"], "fp32");
  EXPECT_NE(evaluation_table(e).find("labelled pixels, fp32"), std::string::npos)
      << evaluation_table(e);

  // --precision auto on the CPU: fp32 weights on the device, the very same confusion matrix.
  FinetunedModel automatic = load_finetuned_model(ckpt);
  const Precision p = inference_precision("auto", Device::cpu());
  EXPECT_EQ(p, Precision::fp32);
  const InferenceWeights weights(*automatic.net, Device::cpu(), p);
  EXPECT_EQ(weights.compute(), DType::f32);
  EXPECT_EQ(evaluate_model(*automatic.net, automatic, test, 2, Device::cpu(), false, p).confusion,
            e.confusion);

  const std::string png = (dir.path / "cm.png").string();
  write_confusion_png(png, e);
  Image img = read_png(png);
  EXPECT_EQ(img.width, 9 * 24);

  FinetunedModel osm_model;
  osm_model.config = c;
  osm_model.config.n_classes = 13;
  osm_model.input_type = "s2";
  osm_model.net = build_segmentation_model(osm_model.config, 1);
  try {
    evaluate_model(*osm_model.net, osm_model, test, 2, Device::cpu(), false);
    ADD_FAILURE() << "no error for 13 model classes on --dataset DW";
  } catch (const ValueError& err) {
    EXPECT_NE(std::string(err.what()).find("--dataset DW has 9"), std::string::npos) << err.what();
  }
  EXPECT_THROW(load_finetuned_model(ckpt, "s1"), ValueError);  // 13 channels are no S1 model
}

TEST(EvaluatePrecision, FlagRulesOnTheCpu) {
  EXPECT_EQ(inference_precision("fp32", Device::cpu()), Precision::fp32);
  EXPECT_EQ(inference_precision("auto", Device::cpu()), Precision::fp32);
  for (const std::string flag : {"bf16", "fp16", "fp64"}) {
    try {
      inference_precision(flag, Device::cpu());
      ADD_FAILURE() << "no error for --precision " << flag << " on the CPU";
    } catch (const ValueError& err) {
      EXPECT_NE(std::string(err.what()).find("--precision"), std::string::npos) << err.what();
      EXPECT_NE(std::string(err.what()).find(flag), std::string::npos) << err.what();
    }
  }
}

int run(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(EvaluateCli, EvaluateJsonAndForwardOfFinetunedFpn) {
  const std::string bin = std::string(CROMSS_BINARY_DIR) + "/cromss";
  if (!fs::exists(bin)) GTEST_SKIP() << bin << " not built";
  TempDir dir("evaluate_cli");
  std::string out;
  ASSERT_EQ(
      run(bin + " data synth --downstream OSM --n 3 --size 32 --seed 8 --out " + dir.path.string(),
          &out),
      0)
      << out;
  std::string lmdb;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().string().find("osm") != std::string::npos) lmdb = e.path().string();
  ASSERT_FALSE(lmdb.empty()) << out;

  DownstreamConfig c;
  c.model_framework = "fpn";
  c.model_type = "resnet18";
  c.n_channels = 2;
  c.n_classes = 13;
  const std::string ckpt = (dir.path / "fpn.h5").string();
  auto net = build_segmentation_model(c, 4);
  save_checkpoint(ckpt, *net, c.to_json());

  const std::string json = (dir.path / "scores.json").string();
  out.clear();
  ASSERT_EQ(run(bin + " evaluate --ckpt " + ckpt + " --dataset OSM --test_path " + lmdb +
                    " --test_batch_size 2 --json " + json,
                &out),
            0)
      << out;
  EXPECT_NE(out.find("mIoU"), std::string::npos) << out;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["samples"], 3);
  EXPECT_EQ(j["classes"].size(), 13u);
  EXPECT_EQ(j["precision"], "fp32");
  const std::string auto_json = (dir.path / "auto.json").string();
  out.clear();
  ASSERT_EQ(run(bin + " evaluate --ckpt " + ckpt + " --dataset OSM --test_path " + lmdb +
                    " --test_batch_size 2 --precision auto --json " + auto_json,
                &out),
            0)
      << out;
  EXPECT_NE(out.find("cpu (fp32)"), std::string::npos) << out;
  std::ifstream auto_in(auto_json);
  EXPECT_EQ(nlohmann::json::parse(auto_in), j) << "--precision auto on the CPU changed the scores";
  out.clear();
  EXPECT_NE(run(bin + " evaluate --ckpt " + ckpt + " --dataset OSM --test_path " + lmdb +
                    " --precision bf16",
                &out),
            0);
  EXPECT_NE(out.find("--precision bf16: mixed precision needs a CUDA device"), std::string::npos)
      << out;
  out.clear();
  EXPECT_NE(run(bin + " evaluate --ckpt " + ckpt + " --dataset DW --test_path " + lmdb, &out), 0);
  EXPECT_NE(out.find("--dataset DW"), std::string::npos) << out;

  Tensor x = Tensor::uniform({2, 2, 32, 64}, 0, 1, 9);
  const std::string input = (dir.path / "x.h5").string(), output = (dir.path / "y.h5").string();
  write_atomically(input, [&](H5File& f) { f.write("s1", x); });
  out.clear();
  ASSERT_EQ(
      run(bin + " forward --ckpt " + ckpt + " --input " + input + " --output " + output, &out), 0)
      << out;
  net->eval();
  NoGrad no_grad;
  EXPECT_TRUE(test::all_close(H5File(output, H5File::Mode::read).read("logits"), net->forward(x)));
}

}  // namespace
}  // namespace cromss
