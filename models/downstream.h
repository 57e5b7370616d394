// The fine-tuning models by upstream's flags (spec §7, get_args_finetune.py): --model_framework
// unet | pspnet | deeplabv3plus | fpn (smp 0.3.3 layouts, see each model's header), --model_type
// (ResNet encoder), --n_channels, --n_classes.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "models/segmentation_model.h"

namespace cromss {

struct DownstreamConfig {
  std::string model_framework = "unet";
  std::string model_type = "resnet50";
  int64_t n_channels = 13;
  int64_t n_classes = 8;

  void validate() const;  // ValueError naming the flag
  nlohmann::json to_json() const;
  static DownstreamConfig from_json(const nlohmann::json& config);
  // What a state (keys with shapes) of one of these models tells: the framework from the decoder
  // keys, n_channels from encoder.conv1, n_classes from the head, model_type from the blocks.
  // ValueError when the keys are none of the four models.
  static DownstreamConfig infer_from_state(const std::map<std::string, Shape>& state);
};

// Builds the model and initialises it as smp does (initialize_model with `seed`; dropout layers
// seeded from `seed`) unless `initialize` is false (weights about to be loaded).
std::unique_ptr<SegmentationModel> build_segmentation_model(const DownstreamConfig& config,
                                                            uint64_t seed = 42,
                                                            bool initialize = true);

}  // namespace cromss
