// HDF5 checkpoints (DESIGN.md "Files people exchange", method-spec.md §1.4).
//
// Layout: root attributes format_version, engine_version, config (JSON of every flag of the run,
// model flags included); /model/<key> for every parameter and buffer, where <key> is the upstream
// Lightning state_dict key = "net." + the module's state_dict key, in PyTorch's dtype and shape
// (float32; num_batches_tracked a 0-d int64). Other groups (/optimizer/<state>/<key>, /scaler,
// /scheduler, /rng, /data, /step) belong to the training loop, which writes and reads them through
// the `extra` callbacks; this file never interprets them.
// write_checkpoint_attributes also writes the root attribute metadata (train/model_metadata.h).
//
// Writes are atomic (write_atomically: temporary file, fsync, rename). Loading checks every name,
// shape and dtype first and reports ALL mismatches (missing, unexpected, mis-shaped, wrong dtype)
// in one ValueError before touching the model; an unreadable, truncated or corrupt file is an
// IoError.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/hdf5_file.h"
#include "layers/module.h"

namespace cromss {

constexpr const char* kCheckpointFormatVersion = "1";
constexpr const char* kLightningPrefix = "net.";  // the LightningModule's attribute `net`
constexpr const char* kModelGroup = "model";

// Checkpoint key of a module state key, and back ("" when `key` lacks the prefix).
std::string checkpoint_key(const std::string& state_key);
std::string state_key(const std::string& checkpoint_key);

// Writes `path` atomically: attributes, /model, then whatever `write_extra` adds.
void save_checkpoint(const std::string& path, Module& model, const nlohmann::json& config,
                     const std::function<void(H5File&)>& write_extra = {});
// The pieces of save_checkpoint, for writers that compose their own file.
void write_checkpoint_attributes(H5File& file, const nlohmann::json& config);
void write_model_state(H5File& file, Module& model);

// Copies /model into `model` (any device) after checking every key, shape and dtype.
void load_model_state(const H5File& file, Module& model);
// Opens `path`, loads /model into `model`, then lets `read_extra` read the other groups.
void load_checkpoint(const std::string& path, Module& model,
                     const std::function<void(const H5File&)>& read_extra = {});

// Root attribute `config` parsed (an empty object when absent); IoError when it is not JSON.
nlohmann::json read_checkpoint_config(const H5File& file);
// Module state keys (prefix removed) and shapes of every dataset under /model.
std::map<std::string, Shape> checkpoint_state_shapes(const H5File& file);

}  // namespace cromss
