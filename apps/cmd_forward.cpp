// `cromss forward --ckpt M.h5|M.ckpt --input X.h5 --output Y.h5`: eval-mode inference on tensor
// files; a Lightning .ckpt (upstream's published weights) is read natively (train/model_file.h).
// Input datasets s1 (N,2,H,W) and/or s2 (N,C,H,W) float32, one per branch the model has; output
// logits_s1 and/or logits_s2 (N,K,H,W) float32. The model flags (upstream's names) default to
// what the checkpoint says: its config attribute, then its keys and shapes (net.encoder1 -> mid
// fusion, net.model1 -> late fusion, conv1/head shapes -> channels/classes); flags given on the
// command line win. H and W must be multiples of 32. A checkpoint holding NaN/Inf is refused,
// naming the datasets, unless --allow_nonfinite (train/finite_checks.h).
// Fine-tuned checkpoints (PSPNet, DeepLabV3+, FPN, or any whose config says "task": "finetune";
// train/evaluate.h load_finetuned_model) read the dataset named by their input type (s1 or s2)
// and write `logits`; H and W must be multiples of the model's input stride.
#include <cstdio>
#include <optional>

#include "apps/registry.h"
#include "core/device.h"
#include "engine/autograd.h"
#include "engine/hdf5_file.h"
#include "models/segmentation_net.h"
#include "models/smp_blocks.h"
#include "train/checkpoint.h"
#include "train/evaluate.h"
#include "train/finite_checks.h"
#include "train/model_file.h"

namespace cromss {
namespace {

struct ForwardOptions {
  std::string ckpt, input, output, device = "cpu";
  std::optional<std::string> input_type, fusion_type, model_type;
  std::optional<int64_t> n_channels, n_classes;
  int64_t batch_size = 8;
  bool allow_nonfinite = false;
};

ModelConfig resolve_config(const H5File& ckpt, const ForwardOptions& o) {
  ModelConfig c = ModelConfig::from_json(read_checkpoint_config(ckpt));
  std::map<std::string, Shape> state;
  for (auto& [key, shape] : checkpoint_state_shapes(ckpt)) {
    std::string k = state_key(key);
    if (!k.empty()) state[k] = shape;
  }
  if (o.input_type) c.input_type = *o.input_type;
  c = ModelConfig::infer_from_state(state, c);
  if (o.input_type) c.input_type = *o.input_type;
  if (o.fusion_type) c.fusion_type = *o.fusion_type;
  if (o.model_type) c.model_type = *o.model_type;
  if (o.n_channels) c.n_channels = *o.n_channels;
  if (o.n_classes) c.n_classes = *o.n_classes;
  c.validate();
  return c;
}

Tensor read_input(const H5File& file, const std::string& name, int64_t channels) {
  CROMSS_CHECK(file.has(name), "{}: no dataset '{}' (the model has a{} branch)", file.path(), name,
               name == "s1" ? "n S1" : "n S2");
  Tensor x = file.read(name);
  CROMSS_CHECK(is_floating(x.dtype()), "{}: dataset '{}' is {}, expected float32", file.path(),
               name, dtype_name(x.dtype()));
  CROMSS_CHECK(x.dim() == 4 && x.size(1) == channels,
               "{}: dataset '{}' has shape {}, expected (N, {}, H, W) for this model", file.path(),
               name, shape_str(x.shape()), channels);
  return x.to(DType::f32);
}

// A fine-tuned model: a non-U-Net decoder, or a config written by fine-tuning.
bool is_finetuned(const H5File& ckpt) {
  const nlohmann::json config = read_checkpoint_config(ckpt);
  if (config.value("task", "") == "finetune") return true;
  const auto shapes = checkpoint_state_shapes(ckpt);
  for (const char* key : {"decoder.psp.blocks.0.pool.1.0.weight", "decoder.aspp.0.convs.0.0.weight",
                          "decoder.p5.weight"})
    if (shapes.count(checkpoint_key(key))) return true;
  return false;
}

// Logits of x in batches of `batch_size` on `device`, gathered on the host.
template <class F>
Tensor batched(const Tensor& x, int64_t batch_size, Device device, const F& forward) {
  Tensor out;
  const int64_t n = x.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min(batch_size, n - start);
    Tensor y = forward(x.narrow(0, start, len).contiguous().to(device));
    if (!out.defined()) out = Tensor::empty({n, y.size(1), y.size(2), y.size(3)});
    out.narrow(0, start, len).copy_(y);
  }
  return out;
}

void run_forward_finetuned(const ForwardOptions& o, Device device) {
  FinetunedModel m = load_finetuned_model(o.ckpt, o.input_type.value_or(""));
  m.net->to(device);
  m.net->eval();
  H5File in(o.input, H5File::Mode::read);
  Tensor x = read_input(in, m.input_type, m.config.n_channels);
  check_model_input(x, m.config.n_channels, m.net->input_stride(),
                    o.input + ": dataset '" + m.input_type + "'");
  std::printf(
      "forward: fine-tuned %s %s, %s input, %lld channels, %lld classes; %lld samples on "
      "%s\n",
      m.config.model_framework.c_str(), m.config.model_type.c_str(), m.input_type.c_str(),
      static_cast<long long>(m.config.n_channels), static_cast<long long>(m.config.n_classes),
      static_cast<long long>(x.size(0)), device.str().c_str());
  NoGrad no_grad;
  Tensor logits =
      batched(x, o.batch_size, device, [&](const Tensor& b) { return m.net->forward(b); });
  write_atomically(o.output, [&](H5File& f) { f.write("logits", logits); });
  std::printf("wrote %s\n", o.output.c_str());
}

void run_forward(const ForwardOptions& o) {
  Device device = Device::parse(o.device);
  CROMSS_CHECK(device.is_cpu() || device.index < cuda_device_count(),
               "--device {}: no such CUDA device ({} visible{})", o.device, cuda_device_count(),
               built_with_cuda() ? "" : "; this build has no CUDA backend");
  CROMSS_CHECK(o.batch_size > 0, "--batch_size {}: must be positive", o.batch_size);
  H5File ckpt = open_model_file(o.ckpt);
  if (!o.allow_nonfinite) check_finite_checkpoint(ckpt);
  if (is_finetuned(ckpt)) return run_forward_finetuned(o, device);
  ModelConfig config = resolve_config(ckpt, o);
  auto net = build_model(config, 0, /*initialize=*/false);
  load_model_state(ckpt, *net);
  net->to(device);
  net->eval();

  H5File in(o.input, H5File::Mode::read);
  Tensor s1, s2;
  if (config.has_s1()) s1 = read_input(in, "s1", config.two_branch() ? 2 : config.n_channels);
  if (config.has_s2()) s2 = read_input(in, "s2", config.n_channels);
  for (const auto& [x, name] : {std::pair{s1, "s1"}, std::pair{s2, "s2"}})
    if (x.defined()) check_unet_input(x, x.size(1), o.input + ": dataset '" + name + "'");
  const int64_t n = s1.defined() ? s1.size(0) : s2.size(0);
  CROMSS_CHECK(!(s1.defined() && s2.defined()) || s1.size(0) == s2.size(0),
               "{}: s1 has {} samples, s2 has {}", o.input, s1.size(0), s2.size(0));

  std::printf("forward: %s %s fusion, %s, %lld S2 channels, %lld classes; %lld samples on %s\n",
              config.input_type.c_str(), config.fusion_type.c_str(), config.model_type.c_str(),
              static_cast<long long>(config.n_channels), static_cast<long long>(config.n_classes),
              static_cast<long long>(n), device.str().c_str());
  Tensor out_s1, out_s2;
  NoGrad no_grad;
  for (int64_t start = 0; start < n; start += o.batch_size) {
    const int64_t len = std::min(o.batch_size, n - start);
    auto chunk = [&](const Tensor& x) {
      return x.defined() ? x.narrow(0, start, len).contiguous().to(device) : Tensor();
    };
    BranchLogits y = net->forward(chunk(s1), chunk(s2));
    auto store = [&](Tensor& out, const Tensor& logits) {
      if (!logits.defined()) return;
      if (!out.defined()) out = Tensor::empty({n, logits.size(1), logits.size(2), logits.size(3)});
      out.narrow(0, start, len).copy_(logits);
    };
    store(out_s1, y.s1);
    store(out_s2, y.s2);
  }
  write_atomically(o.output, [&](H5File& f) {
    if (out_s1.defined()) f.write("logits_s1", out_s1);
    if (out_s2.defined()) f.write("logits_s2", out_s2);
  });
  std::printf("wrote %s\n", o.output.c_str());
}

void setup_forward(CLI::App& root) {
  auto opts = std::make_shared<ForwardOptions>();
  auto* cmd = root.add_subcommand(
      "forward", "Eval-mode inference: logits_s1/logits_s2 of a checkpoint on s1/s2 tensors");
  cmd->add_option("--ckpt", opts->ckpt,
                  "cromss HDF5 checkpoint or PyTorch Lightning .ckpt (read without Python)")
      ->required();
  cmd->add_option("--input", opts->input, "HDF5 with s1 (N,2,H,W) and/or s2 (N,C,H,W) float32")
      ->required();
  cmd->add_option("--output", opts->output, "HDF5 to write logits_s1/logits_s2 to")->required();
  cmd->add_option("--input_type", opts->input_type, "s1|s2|s12 (default: from the checkpoint)");
  cmd->add_option("--fusion_type", opts->fusion_type, "mid|late (default: from the checkpoint)");
  cmd->add_option("--model_type", opts->model_type,
                  "resnet18|resnet34|resnet50 (default: from the checkpoint)");
  cmd->add_option("--n_channels", opts->n_channels, "S2 bands (default: from the checkpoint)");
  cmd->add_option("--n_classes", opts->n_classes, "classes (default: from the checkpoint)");
  cmd->add_option("--device", opts->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--batch_size", opts->batch_size, "samples per forward pass")
      ->capture_default_str();
  cmd->add_flag("--allow_nonfinite", opts->allow_nonfinite,
                "Load the checkpoint even if it holds NaN/Inf values (the logits will show them)");
  cmd->callback([opts] { run_forward(*opts); });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(forward, cromss::setup_forward);
