// Fine-tuning configuration (see finetune_config.h).
#include "train/finetune_config.h"

#include <cmath>
#include <filesystem>

#include "data/ssl4eo_dataset.h"
#include "train/encoder_transfer.h"

namespace cromss {

void FinetuneConfig::apply_dataset_defaults() {
  const data::DownstreamKind kind = data::parse_downstream_kind(dataset);
  const bool dfc = kind == data::DownstreamKind::DFC;
  if (!model_framework)
    model_framework = dfc ? "pspnet" : (kind == data::DownstreamKind::DW ? "deeplabv3plus" : "fpn");
  if (!n_classes) n_classes = data::downstream_classes(kind);
  if (!test_batch_size) test_batch_size = dfc ? 300 : 100;
  if (!if_mask) if_mask = !dfc;
  if (!crop_size) {
    // Upstream's W script: 480 for unet, linknet, fpn, unetplusplus, manet, otherwise 496; D
    // trains on the full 256 x 256 tiles (0 = no crop).
    if (dfc)
      crop_size = 0;
    else
      crop_size = (*model_framework == "unet" || *model_framework == "fpn") ? 480 : 496;
  }
}

void FinetuneConfig::validate() const {
  const data::DownstreamKind kind = data::parse_downstream_kind(dataset);
  CROMSS_CHECK(model_framework && n_classes && test_batch_size && crop_size && if_mask,
               "fine-tuning config: apply_dataset_defaults() was not called");
  model_config().validate();
  CROMSS_CHECK(*n_classes == data::downstream_classes(kind),
               "--n_classes {}: --dataset {} has {} classes", *n_classes, dataset,
               data::downstream_classes(kind));
  CROMSS_CHECK(input_type == "s1" || input_type == "s2", "--input_type '{}': expected s1 or s2",
               input_type);
  CROMSS_CHECK(input_type == "s2" || n_channels == 2,
               "--input_type s1 needs --n_channels 2 (S1 has 2 bands), got {}", n_channels);
  pretrain_prefix(pretrain_tag);
  CROMSS_CHECK(pretrain_tag == "rand" || !weight_path.empty(),
               "--pretrain_tag {} loads an encoder: --weight_path must name the checkpoint",
               pretrain_tag);
  CROMSS_CHECK(weight_load_tag == "encoder" || weight_load_tag == "none",
               "--weight_load_tag '{}': only the encoder transfers (encoder, none); decoder "
               "weights (all, wocls, de1..de4) fit a U-Net downstream only and are not supported",
               weight_load_tag);
  CROMSS_CHECK(encoder_finetune_tag == "efix" || encoder_finetune_tag == "etr" ||
                   encoder_finetune_tag == "eft",
               "--encoder_finetune_tag '{}': expected efix, etr or eft", encoder_finetune_tag);
  CROMSS_CHECK(encoder_finetune_tag != "eft" ||
                   (encoder_finetune_epoch > 0 && encoder_finetune_epoch < epochs),
               "--encoder_finetune_tag eft needs 0 < --encoder_finetune_epoch < --epochs ({}), "
               "got {}",
               epochs, encoder_finetune_epoch);
  CROMSS_CHECK(!freeze_bn || encoder_finetune_tag != "etr",
               "--freeze_bn applies to a frozen encoder (--encoder_finetune_tag efix or eft)");
  CROMSS_CHECK(loss_type == "c" || loss_type == "d" || loss_type == "cd" || loss_type == "dc",
               "--loss_type '{}': expected c (CE), d (Dice) or cd", loss_type);
  CROMSS_CHECK(optimizer == "adam" || optimizer == "sgd", "--optimizer '{}': expected adam or sgd",
               optimizer);
  CROMSS_CHECK(num_workers >= 0, "--num_workers {}: must not be negative", num_workers);
  CROMSS_CHECK(save_interval > 0, "--save_interval {}: must be positive", save_interval);
  CROMSS_CHECK(accelerator == "cpu" || accelerator == "gpu",
               "--accelerator '{}': expected cpu or gpu", accelerator);
  CROMSS_CHECK(learning_rate > 0, "--learning_rate {}: must be positive", learning_rate);
  CROMSS_CHECK(weight_decay >= 0, "--weight_decay {}: must not be negative", weight_decay);
  CROMSS_CHECK(epochs > 0, "--epochs {}: must be positive", epochs);
  CROMSS_CHECK(batch_size > 0, "--batch_size {}: must be positive", batch_size);
  CROMSS_CHECK(*test_batch_size > 0, "--test_batch_size {}: must be positive", *test_batch_size);
  CROMSS_CHECK(*crop_size >= 0, "--crop_size {}: must not be negative", *crop_size);
  CROMSS_CHECK(scheduler_type == "none" || scheduler_type == "cos",
               "--scheduler_type '{}': expected none or cos", scheduler_type);
  CROMSS_CHECK(
      scheduler_type == "none" ||
          (!scheduler_values.empty() && scheduler_values.size() <= 2 && scheduler_values[0] > 0),
      "--scheduler_values: cos needs T [final lr] with T > 0");
  CROMSS_CHECK(scheduler_type == "none" || scheduler_values[0] < double(epochs),
               "--scheduler_values {}: cos with T >= --epochs ({}) is upstream's "
               "CosineAnnealingLR variant, which is not supported",
               scheduler_values[0], epochs);
}

DownstreamConfig FinetuneConfig::model_config() const {
  DownstreamConfig c;
  c.model_framework = model_framework.value_or("unet");
  c.model_type = model_type;
  c.n_channels = n_channels;
  c.n_classes = n_classes.value_or(8);
  return c;
}

nlohmann::json FinetuneConfig::to_json() const {
  nlohmann::json j = model_config().to_json();
  j.update({{"task", "finetune"},
            {"dataset", dataset},
            {"train_path", train_path},
            {"test_path", test_path},
            {"save_dir", save_dir},
            {"input_type", input_type},
            {"pretrain_tag", pretrain_tag},
            {"weight_path", weight_path},
            {"weight_load_tag", weight_load_tag},
            {"encoder_finetune_tag", encoder_finetune_tag},
            {"encoder_finetune_epoch", encoder_finetune_epoch},
            {"freeze_bn", freeze_bn},
            {"loss_type", loss_type},
            {"learning_rate", learning_rate},
            {"weight_decay", weight_decay},
            {"epochs", epochs},
            {"batch_size", batch_size},
            {"test_batch_size", test_batch_size.value_or(0)},
            {"crop_size", crop_size.value_or(0)},
            {"scheduler_type", scheduler_type},
            {"scheduler_values", scheduler_values},
            {"if_mask", if_mask.value_or(false)},
            {"seed", seed},
            {"optimizer", optimizer},
            {"num_workers", num_workers},
            {"save_interval", save_interval},
            {"resume", resume},
            {"accelerator", accelerator},
            {"amp", amp},
            {"precision", precision},
            {"device", device},
            {"deterministic", deterministic},
            {"channels_last", channels_last},
            {"conv_bn_fusion", conv_bn_fusion}});
  return j;
}

double FinetuneConfig::lr_at_epoch(int64_t epoch) const {
  if (scheduler_type == "none") return learning_rate;
  const double period = scheduler_values.at(0);
  const double final_lr = scheduler_values.size() > 1 ? scheduler_values[1] : 1e-5;
  if (double(epoch) >= period) return final_lr;
  return final_lr + (learning_rate - final_lr) * (1 + std::cos(M_PI * double(epoch) / period)) / 2;
}

ComputeFlags FinetuneConfig::compute_flags() const {
  return {accelerator, device, precision, amp, deterministic, channels_last, conv_bn_fusion};
}

std::string FinetuneConfig::run_dir() const {
  return (std::filesystem::path(save_dir) /
          (dataset + "_" + model_framework.value_or("unet") + "_" + model_type + "_" + input_type +
           "_" + pretrain_tag + "_" + encoder_finetune_tag) /
          ("seed_" + std::to_string(seed) + "_bs_" + std::to_string(batch_size)))
      .string();
}

bool FinetuneConfig::encoder_trains(int64_t epoch) const {
  if (encoder_finetune_tag == "efix") return false;
  if (encoder_finetune_tag == "eft") return epoch >= encoder_finetune_epoch;
  return true;
}

}  // namespace cromss
