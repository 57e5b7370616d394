// What a user of the weights needs besides the tensors, derived from the model flags: per input
// branch the band names in channel order and the input normalisation (the SSL4EO-S12 uint8
// encoding with its per-band mean/std, then /255: spec §6.2-6.4), the class names (Dynamic World
// for 9 classes), and the model's shape (input_type, fusion_type, model_type, n_channels,
// n_classes). Stored as the JSON root attribute `metadata` of every checkpoint this engine writes,
// shown by `cromss info --ckpt`, and copied into exports (safetensors __metadata__, .pt
// 'metadata'). For files without the attribute (converted or older checkpoints) it is derived
// from their config and keys.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/hdf5_file.h"
#include "models/segmentation_net.h"

namespace cromss {

constexpr const char* kMetadataAttribute = "metadata";

nlohmann::json model_metadata(const ModelConfig& config);
// Writes model_metadata(ModelConfig::from_json(run_config)) as the root attribute.
void write_model_metadata(H5File& file, const nlohmann::json& run_config);

// The model flags of a checkpoint: its config attribute, completed from its /model keys.
ModelConfig checkpoint_model_config(const H5File& file);
// The stored metadata attribute, or the one derived from checkpoint_model_config.
nlohmann::json read_model_metadata(const H5File& file);

// The metadata as flat string pairs (nested values as JSON text), for safetensors/.pt headers.
std::map<std::string, std::string> flat_metadata(const nlohmann::json& metadata);

}  // namespace cromss
