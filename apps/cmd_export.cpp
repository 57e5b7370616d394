// `cromss export --ckpt M.h5|M.ckpt --output W.safetensors|W.pt [--format safetensors|pt]
// [--branch s1|s2] [--encoder-only] [--names smp|timm]`: one branch of a checkpoint as a
// safetensors file or a torch .pt ({'state_dict', 'metadata'}, loadable with
// weights_only=True), under the key names smp / timm / torchgeo expect (train/weights_export.h),
// with band order, normalisation, class names and model shape in the metadata
// (train/model_metadata.h). Written without Python (data/safetensors_file.h, data/torch_save.h).
#include <cstdio>

#include "apps/registry.h"
#include "data/safetensors_file.h"
#include "data/torch_save.h"
#include "train/model_file.h"
#include "train/model_metadata.h"
#include "train/weights_export.h"

namespace cromss {
namespace {

struct ExportCli {
  std::string ckpt, output, format;
  ExportOptions options;
};

std::string format_from(const ExportCli& o) {
  if (!o.format.empty()) return o.format;
  const auto dot = o.output.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : o.output.substr(dot + 1);
  if (ext == "safetensors") return "safetensors";
  if (ext == "pt" || ext == "pth") return "pt";
  CROMSS_THROW(ValueError, "--output {}: give --format safetensors|pt (or a .safetensors/.pt name)",
               o.output);
}

void run_export(const ExportCli& o) {
  const std::string format = format_from(o);
  CROMSS_CHECK(format == "safetensors" || format == "pt", "--format {}: expected safetensors or pt",
               format);
  H5File ckpt = open_model_file(o.ckpt);
  const ModelConfig config = checkpoint_model_config(ckpt);
  ExportedWeights w = export_weights(ckpt, config, o.options);
  nlohmann::json meta = read_model_metadata(ckpt);
  const std::string other = w.branch == "s1" ? "s2" : "s1";
  if (config.two_branch()) meta.erase(other);  // only the exported branch's inputs
  const bool encoder_only = o.options.encoder_only || o.options.names == "timm";
  meta["export"] = {{"source", o.ckpt},
                    {"branch", w.branch},
                    {"in_channels", w.in_channels},
                    {"names", o.options.names},
                    {"content", encoder_only ? "encoder" : "unet"}};
  const auto flat = flat_metadata(meta);
  if (format == "safetensors")
    data::write_safetensors(o.output, w.tensors, flat);
  else
    data::write_torch_save(o.output, w.tensors, flat);
  int64_t params = 0;
  for (const auto& [name, t] : w.tensors) params += t.numel();
  std::printf(
      "export: %s branch %s (%lld input channels), %s names, %zu tensors, %lld values -> %s (%s)\n",
      o.ckpt.c_str(), w.branch.c_str(), static_cast<long long>(w.in_channels),
      o.options.names.c_str(), w.tensors.size(), static_cast<long long>(params), o.output.c_str(),
      format.c_str());
}

void setup_export(CLI::App& root) {
  auto o = std::make_shared<ExportCli>();
  auto* cmd = root.add_subcommand(
      "export",
      "Write one branch of a checkpoint as safetensors or torch .pt for smp/timm/torchgeo");
  cmd->add_option("--ckpt", o->ckpt, "cromss HDF5 checkpoint or Lightning .ckpt")->required();
  cmd->add_option("--output", o->output, "file to write (.safetensors or .pt)")->required();
  cmd->add_option("--format", o->format, "safetensors|pt (default: from --output's extension)");
  cmd->add_option("--branch", o->options.branch,
                  "s1|s2: which branch of a two-branch model (single-modal: its own)");
  cmd->add_flag("--encoder-only", o->options.encoder_only, "only the encoder.* tensors");
  cmd->add_option(
         "--names", o->options.names,
         "smp (smp.Unet keys) or timm (encoder only, torchvision/timm/torchgeo ResNet keys)")
      ->capture_default_str();
  cmd->callback([o] { run_export(*o); });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(export, cromss::setup_export);
