// `cromss predict --ckpt M.h5 [--s1 S1.tif] [--s2 S2.tif] --output OUT.tif`: a fine-tuned model
// over whole GeoTIFF scenes with sliding, blended windows, written as a georeferenced uint8 class
// map (train/scene_predict.h), optionally with a PNG preview, in the --precision of
// train/inference_weights.h.
#include <cstdio>
#include <memory>

#include "apps/registry.h"
#include "core/conv_bn_fusion.h"
#include "core/device.h"
#include "core/error.h"
#include "train/compute_flags.h"
#include "train/inference_weights.h"
#include "train/scene_predict.h"

namespace cromss {
namespace {

struct PredictCommand {
  PredictOptions options;
  std::string device = "cpu";
  std::string precision = "fp32";
  bool channels_last = false;
  bool conv_bn_fusion = false;
};

void setup_predict(CLI::App& root) {
  auto c = std::make_shared<PredictCommand>();
  auto* cmd = root.add_subcommand("predict",
                                  "Class map of S1/S2 GeoTIFF scenes from a fine-tuned checkpoint");
  PredictOptions& o = c->options;
  cmd->add_option("--ckpt", o.ckpt, "fine-tuned checkpoint (.h5 or Lightning .ckpt)")->required();
  cmd->add_option("--s1", o.s1, "Sentinel-1 GeoTIFF: 2 bands VV, VH in dB");
  cmd->add_option("--s2", o.s2, "Sentinel-2 L1C GeoTIFF: 13 bands in digital numbers");
  cmd->add_option("--output", o.output, "class-map GeoTIFF to write (uint8, nodata 255)")
      ->required();
  cmd->add_option("--window", o.window, "window side in pixels (rounded up to the model's stride)")
      ->capture_default_str();
  cmd->add_option("--overlap", o.overlap, "overlap of neighbouring windows in pixels (blended)")
      ->capture_default_str();
  cmd->add_option("--preview", o.preview, "also write a PNG preview (Dynamic World palette)");
  cmd->add_option("--device", c->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--precision", c->precision, kInferencePrecisionHelp)->capture_default_str();
  cmd->add_flag("--channels_last,!--no-channels_last", c->channels_last,
                "nhwc activations (the GPU's fast path; same class map up to rounding)");
  cmd->add_flag("--conv_bn_fusion,!--no-conv_bn_fusion", c->conv_bn_fusion,
                std::string(kConvBnFusionHelp) + " (here only with --precision bf16/fp16/auto)");
  cmd->callback([c] {
    c->options.device = Device::parse(c->device);
    c->options.memory_format = c->channels_last ? MemoryFormat::nhwc : MemoryFormat::nchw;
    set_conv_bn_fusion(c->conv_bn_fusion);
    CROMSS_CHECK(c->options.device.is_cpu() || c->options.device.index < cuda_device_count(),
                 "--device {}: no such CUDA device ({} visible)", c->device, cuda_device_count());
    c->options.precision = inference_precision(c->precision, c->options.device);
    const PredictReport r = predict_scene(c->options);
    std::printf("predict: %dx%d scene, %lld windows of %d px, %lld nodata pixels, %s on %s\n",
                r.width, r.height, static_cast<long long>(r.windows), r.window,
                static_cast<long long>(r.nodata_pixels), precision_name(c->options.precision),
                c->options.device.str().c_str());
    std::printf("wrote %s\n", c->options.output.c_str());
    if (!c->options.preview.empty()) std::printf("wrote %s\n", c->options.preview.c_str());
  });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(predict, cromss::setup_predict);
