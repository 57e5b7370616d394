// Configuration of `cromss finetune` (spec §7; ../shared/UPSTREAM_FLAGS.md §2,
// get_args_finetune.py): upstream's flag names, with the three shell scripts' values as defaults
// where they set one (Adam 5e-4, weight decay 1e-8, `--scheduler_type cos --scheduler_values 40` =
// cosine to 1e-5 over 40 epochs then flat, 50 epochs, batch 32, `--loss_type cd`, `--validation 0`)
// and the per-dataset settings of §7.2 (decoder, classes, ignore index, train crop, test batch)
// filled in by apply_dataset_defaults() for every flag the command line left unset.
//
// Encoder handling: `--encoder_finetune_tag efix` freezes every encoder parameter (upstream: names
// containing "encoder"; BN running statistics still update because the module stays in train
// mode), `etr` trains everything, `eft` freezes until epoch `--encoder_finetune_epoch`.
// `--freeze_bn` (not upstream) also keeps the frozen encoder's BN layers in eval mode.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/downstream.h"
#include "train/compute_flags.h"

namespace cromss {

struct FinetuneConfig {
  std::string dataset = "DFC";  // DFC | DW | OSM
  std::string train_path, test_path, save_dir = "Results_test";
  std::string input_type = "s2";               // s1 | s2
  std::optional<std::string> model_framework;  // default per dataset
  std::string model_type = "resnet50";
  int64_t n_channels = 13;
  std::optional<int64_t> n_classes;   // default per dataset
  std::string pretrain_tag = "rand";  // rand | mfs1 | mfs2 | lfs1 | lfs2 | nss1 | nss2
  std::string weight_path;            // the pretraining checkpoint (cromss HDF5)
  std::string weight_load_tag = "encoder";
  std::string encoder_finetune_tag = "etr";  // efix | etr | eft
  int64_t encoder_finetune_epoch = 0;
  bool freeze_bn = false;
  std::string loss_type = "cd";
  double learning_rate = 5e-4;
  double weight_decay = 1e-8;
  int64_t epochs = 50;
  int64_t batch_size = 32;
  std::optional<int64_t> test_batch_size;  // default per dataset
  std::optional<int64_t> crop_size;        // default per dataset and decoder
  std::string scheduler_type = "cos";      // none | cos
  std::vector<double> scheduler_values = {40};
  std::optional<bool> if_mask;  // ignore label 255; default: DW/OSM yes, DFC no
  uint64_t seed = 42;
  std::string optimizer = "adam";  // adam | sgd (SGD: momentum 0.9, weight decay 1e-4)
  int64_t num_workers = 8;         // threads building a training batch
  int64_t save_interval = 10;      // checkpoint every N epochs (all kept, as upstream)
  std::string resume;              // "" | PATH | auto
  // Compute (train/compute_flags.h): --accelerator, --amp (given: mixed precision off),
  // --precision, --device, --deterministic, --channels_last, --conv_bn_fusion.
  std::string accelerator = "gpu";
  bool amp = true;
  std::string precision = "auto";
  std::string device;
  bool deterministic = false;
  bool channels_last = false;
  bool conv_bn_fusion = false;

  // Fills every per-dataset default that is unset (spec §7.2): DFC pspnet / 8 classes / full
  // 256 tiles / test batch 300 / no mask; DW deeplabv3plus / 9 / crop 496 (480 for unet and fpn)
  // / 100 / mask; OSM fpn / 13 / crop 480 / 100 / mask.
  void apply_dataset_defaults();
  // ValueError naming the flag for every inconsistent setting (call after the defaults).
  void validate() const;
  DownstreamConfig model_config() const;
  nlohmann::json to_json() const;
  ComputeFlags compute_flags() const;
  // Learning rate of epoch e (0-based): `cos` = final + (lr - final) (1 + cos(pi e / T)) / 2 for
  // e < T, then final (T = scheduler_values[0], final = scheduler_values[1] or 1e-5); `none` = lr.
  double lr_at_epoch(int64_t epoch) const;
  // Whether the encoder's parameters are trained in epoch e (efix never, etr always, eft from
  // --encoder_finetune_epoch on).
  bool encoder_trains(int64_t epoch) const;
  // The run directory under --save_dir:
  // <dataset>_<framework>_<model_type>_<input_type>_<pretrain_tag>_<encoder_finetune_tag>/
  // seed_<seed>_bs_<batch_size>.
  std::string run_dir() const;
};

}  // namespace cromss
