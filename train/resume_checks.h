// What a resumed run must share with the checkpoint it resumes (issue 11 items 3 and 5,
// docs/reliability.md), checked against the checkpoint's `config` attribute before any state is
// loaded, with a ValueError naming the flag, both values and the checkpoint:
// * always: the model-shaping flags --input_type, --fusion_type (two-branch runs), --model_type,
//   --n_channels, --n_classes (two runs whose flags differ here can share a run folder name, e.g.
//   --n_channels 13 and 12);
// * when the checkpoint stopped in the middle of an epoch: --batch_size, --data_path,
//   --validation and --seed, which decide the remaining batches of that epoch (another value
//   would silently skip or repeat samples, or count the epoch as done).
// A checkpoint without a config (a foreign file) is not checked; its shapes still are.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "train/pretrain_config.h"

namespace cromss {

void check_resume_model_flags(const nlohmann::json& checkpoint_config, const PretrainConfig& cfg,
                              const std::string& checkpoint_path);
void check_resume_mid_epoch_flags(const nlohmann::json& checkpoint_config,
                                  const PretrainConfig& cfg, const std::string& checkpoint_path,
                                  int64_t epoch, int64_t batches_done);

}  // namespace cromss
