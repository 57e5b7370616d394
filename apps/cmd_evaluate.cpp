// `cromss evaluate --ckpt M.h5 --dataset DFC|DW|OSM --test_path T.lmdb`: scores a fine-tuned
// checkpoint on every test sample (train/evaluate.h): a terminal table, optionally --json and a
// confusion-matrix PNG. Flag names follow upstream's fine-tuning parser (--dataset, --test_path,
// --test_batch_size, --input_type). --precision picks the compute dtype
// (train/inference_weights.h).
#include <cstdio>
#include <fstream>

#include "apps/registry.h"
#include "core/conv_bn_fusion.h"
#include "core/device.h"
#include "train/compute_flags.h"
#include "train/evaluate.h"
#include "train/inference_weights.h"

namespace cromss {
namespace {

struct EvaluateOptions {
  std::string ckpt, dataset, test_path, input_type, json, confusion_png, device = "cpu";
  std::string precision = "fp32";
  int64_t test_batch_size = 0;  // 0: upstream's per-dataset value (DFC 300, DW/OSM 100)
  bool strict = false;
  bool channels_last = false;
  bool conv_bn_fusion = false;
};

void run_evaluate(const EvaluateOptions& o) {
  Device device = Device::parse(o.device);
  CROMSS_CHECK(device.is_cpu() || device.index < cuda_device_count(),
               "--device {}: no such CUDA device ({} visible{})", o.device, cuda_device_count(),
               built_with_cuda() ? "" : "; this build has no CUDA backend");
  const Precision precision = inference_precision(o.precision, device);
  set_conv_bn_fusion(o.conv_bn_fusion);
  const data::DownstreamKind kind = data::parse_downstream_kind(o.dataset);
  FinetunedModel model = load_finetuned_model(o.ckpt, o.input_type);
  model.net->set_memory_format(o.channels_last ? MemoryFormat::nhwc : MemoryFormat::nchw);
  const InferenceWeights weights(*model.net, device, precision);
  data::DownstreamDataset test(kind, o.test_path);
  const int64_t batch =
      o.test_batch_size > 0 ? o.test_batch_size : (kind == data::DownstreamKind::DFC ? 300 : 100);
  std::printf(
      "evaluate: %s (%s, %s, %lld channels, %s input) on %s: %zu samples, batch %lld, %s (%s)\n",
      o.ckpt.c_str(), model.config.model_framework.c_str(), model.config.model_type.c_str(),
      static_cast<long long>(model.config.n_channels), model.input_type.c_str(),
      o.test_path.c_str(), test.size(), static_cast<long long>(batch), device.str().c_str(),
      precision_name(precision));
  Evaluation e = evaluate_model(*model.net, model, test, batch, device, o.strict, precision);
  std::fputs(evaluation_table(e).c_str(), stdout);
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << evaluation_json(e).dump(2) << "\n";
    CROMSS_CHECK(out.good(), "--json {}: cannot write the file", o.json);
    std::printf("wrote %s\n", o.json.c_str());
  }
  if (!o.confusion_png.empty()) {
    write_confusion_png(o.confusion_png, e);
    std::printf("wrote %s\n", o.confusion_png.c_str());
  }
}

void setup_evaluate(CLI::App& root) {
  auto opts = std::make_shared<EvaluateOptions>();
  auto* cmd = root.add_subcommand(
      "evaluate", "Score a fine-tuned checkpoint on a DFC2020 / SSL4EO-S12@DW / @OSM test LMDB");
  cmd->add_option("--ckpt", opts->ckpt, "fine-tuned cromss HDF5 checkpoint")->required();
  cmd->add_option("--dataset", opts->dataset, "DFC, DW or OSM")->required();
  cmd->add_option("--test_path", opts->test_path, "test LMDB")->required();
  cmd->add_option("--input_type", opts->input_type, "s1|s2 (default: from the checkpoint)");
  cmd->add_option("--test_batch_size", opts->test_batch_size,
                  "samples per forward pass (default: DFC 300, DW/OSM 100 as upstream)");
  cmd->add_flag("--strict", opts->strict,
                "a 0/0 scores 0 instead of upstream's 1 (smp zero_division)");
  cmd->add_option("--json", opts->json, "also write the scores and the matrix as JSON here");
  cmd->add_option("--confusion_png", opts->confusion_png,
                  "also write the row-normalised confusion matrix as a PNG here");
  cmd->add_option("--device", opts->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--precision", opts->precision, kInferencePrecisionHelp)->capture_default_str();
  cmd->add_flag("--channels_last,!--no-channels_last", opts->channels_last,
                "nhwc activations (the GPU's fast path; same scores up to rounding)");
  cmd->add_flag("--conv_bn_fusion,!--no-conv_bn_fusion", opts->conv_bn_fusion,
                std::string(kConvBnFusionHelp) + " (here only with --precision bf16/fp16/auto)");
  cmd->callback([opts] { run_evaluate(*opts); });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(evaluate, cromss::setup_evaluate);
