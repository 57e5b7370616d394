// `cromss info`: what this build is and which devices it sees; with --ckpt M.h5|M.ckpt, what a
// checkpoint holds: model flags, tensor and value counts, step/epoch, and its metadata (band
// order and normalisation per branch, class names; train/model_metadata.h).
#include <cstdio>

#include "apps/registry.h"
#include "core/allocator.h"
#include "core/device.h"
#include "core/version.h"
#include "train/checkpoint.h"
#include "train/model_file.h"
#include "train/model_metadata.h"

namespace {

void print_checkpoint(const std::string& path) {
  using namespace cromss;
  H5File f = open_model_file(path);
  auto attr = [&](const char* name) {
    return f.has_attr("/", name) ? f.read_attr("/", name) : std::string("<none>");
  };
  int64_t values = 0;
  const auto shapes = checkpoint_state_shapes(f);
  for (const auto& [key, shape] : shapes) values += shape_numel(shape);
  std::printf("checkpoint %s\n", path.c_str());
  std::printf("format_version: %s\nengine_version: %s\n", attr("format_version").c_str(),
              attr("engine_version").c_str());
  std::printf("tensors: %zu (%lld values)\n", shapes.size(), static_cast<long long>(values));
  if (f.has("step")) std::printf("step: %lld\n", static_cast<long long>(f.read_scalar("step")));
  if (f.has("data/epoch"))
    std::printf("epoch: %lld\n", static_cast<long long>(f.read_scalar("data/epoch")));
  try {
    const nlohmann::json meta = read_model_metadata(f);
    std::printf("metadata%s:\n%s\n",
                f.has_attr("/", kMetadataAttribute) ? "" : " (derived from config and keys)",
                meta.dump(2).c_str());
  } catch (const ValueError& e) {  // keys that are not a U-Net of this engine
    std::printf("metadata: none (not derivable: %s)\n", e.what());
  }
}

void setup_info(CLI::App& root) {
  auto ckpt = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand(
      "info", "Print the build configuration and visible devices, or what a checkpoint holds");
  cmd->add_option("--ckpt", *ckpt, "cromss HDF5 checkpoint or Lightning .ckpt to describe");
  cmd->callback([ckpt] {
    if (!ckpt->empty()) {
      print_checkpoint(*ckpt);
      return;
    }
    std::printf("cromss %s (%s)\n", CROMSS_VERSION, CROMSS_GIT_SHA);
    std::printf("CUDA backend: %s\n", cromss::built_with_cuda() ? "built" : "not built");
    std::printf("CUDA devices: %d\n", cromss::cuda_device_count());
  });
}

}  // namespace

CROMSS_REGISTER_COMMAND(info, setup_info);
