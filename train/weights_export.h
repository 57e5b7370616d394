// Maps a checkpoint's tensors onto the names other frameworks load, for `cromss export`
// (docs/checkpoints.md "Exports"):
//   names smp  - a segmentation_models_pytorch smp.Unet(encoder_name=<model_type>,
//                in_channels=<branch channels>, classes=<n_classes>) state dict: encoder.*,
//                decoder.blocks.*, segmentation_head.0.*. Mid fusion: the chosen branch's encoder
//                (encoder1 for s1, encoder for s2) with the shared decoder and head; late fusion:
//                model1 (s1) or model2 (s2); single-modal: as stored.
//   names timm - encoder only, without the encoder. prefix: torchvision / timm ResNet names
//                (conv1, bn1, layer1..4), the layout of torchgeo's SSL4EO-S12 ResNet weights
//                (load with strict=False: there is no fc).
// --encoder-only keeps the encoder.* keys (as upstream's fine-tuning maps them, spec §1.4).
#pragma once

#include <string>

#include "data/safetensors_file.h"
#include "engine/hdf5_file.h"
#include "models/segmentation_net.h"

namespace cromss {

struct ExportOptions {
  std::string branch;         // s1 | s2; "" = the single-modal model's own branch
  bool encoder_only = false;  // implied by names == "timm"
  std::string names = "smp";  // smp | timm
};

struct ExportedWeights {
  data::NamedTensors tensors;  // sorted by name
  std::string branch;          // the branch exported
  int64_t in_channels = 0;
};

ExportedWeights export_weights(const H5File& file, const ModelConfig& config,
                               const ExportOptions& options);

}  // namespace cromss
