// `cromss finetune`: fine-tuning of a pretrained (or random) encoder with a decoder on
// DFC2020 / SSL4EO-S12@DW / @OSM (train/finetune_loop.h) with upstream's fine-tuning flags
// (get_args_finetune.py; ../shared/UPSTREAM_FLAGS.md §2) and the shell scripts' values as
// defaults (train/finetune_config.h). Flags that only name runs or drive W&B are accepted and
// ignored with a note; options upstream has but cromss does not implement are refused with a
// ValueError naming the flag. docs/flags.md tabulates every flag. Engine options as for pretrain:
// --run_dir, --max_steps, --overwrite, --allow_nonfinite, --precision, --device,
// --deterministic, --channels_last, --conv_bn_fusion, --freeze_bn. SIGTERM/SIGUSR1 finish the
// current step, write last.h5 and exit 0.
#include <cstdio>
#include <map>
#include <memory>

#include "apps/registry.h"
#include "apps/run_summary.h"
#include "core/error.h"
#include "train/compute_flags.h"
#include "train/finetune_loop.h"
#include "train/signals.h"

namespace cromss {
namespace {

struct FinetuneCommand {
  FinetuneConfig config;
  FinetuneRunOptions run;
  // Values of the optional flags, applied only when given (per-dataset defaults otherwise).
  std::string model_framework;
  int64_t n_classes = 0, test_batch_size = 0, crop_size = -1;
  bool if_mask = false, amp_flag = false;
  double validation = 0;
  std::string decoder_finetune_tag = "dsam", label_type;
  bool s1_norm = false, s2_norm = false, only_test = false;
  int64_t n_train = 0;
  std::map<std::string, std::string> ignored;
};

// Upstream flags that name runs, validate names or drive W&B: accepted and ignored.
const char* const kIgnoredOptions[] = {"--monte_carlo_run",
                                       "--project_name",
                                       "--entity_name",
                                       "--wandb_mode",
                                       "--display_interval",
                                       "--test_season",
                                       "--weight_epoch",
                                       "--weight_batch_size",
                                       "--weight_s2_bands",
                                       "--weight_lr_adjust_type",
                                       "--weight_lr_adjust_value",
                                       "--weight_label_smoothing_prior_type",
                                       "--weight_sample_selection_rmup_func",
                                       "--weight_sample_selection_rmdown_epoch",
                                       "--weight_sample_selection_prop",
                                       "--weight_sample_selection_confidence_type",
                                       "--label_smoothing_prior_type",
                                       "--test_weight_path",
                                       "--lr_varying_factor",
                                       "--patch_size",
                                       "--image_size"};
const char* const kIgnoredLists[] = {"--label_smoothing_factor", "--label_smoothing_exclude_class",
                                     "--weight_label_smoothing_factor",
                                     "--weight_label_smoothing_exclude_class"};
const char* const kIgnoredFlags[] = {
    "--slurm",           "--cal_tr_acc",          "--batch_to_wandb",
    "--label_smoothing", "--weight_label_smooth", "--weight_sample_selection"};

void add_flags(CLI::App& cmd, FinetuneCommand& c) {
  FinetuneConfig& f = c.config;
  cmd.add_option("--dataset", f.dataset, "DFC, DW or OSM")->capture_default_str();
  cmd.add_option("--train_path", f.train_path, "training LMDB")->required();
  cmd.add_option("--test_path", f.test_path, "test LMDB (scored after every epoch)")->required();
  cmd.add_option("--label_type", c.label_type, "dw or osm (must match --dataset)");
  cmd.add_option("--input_type", f.input_type, "s1 or s2")->capture_default_str();
  cmd.add_flag("--s1_norm", c.s1_norm, "S1 standardisation (not supported)");
  cmd.add_flag("--s2_norm", c.s2_norm, "S2 standardisation (not supported)");
  cmd.add_option("--save_dir", f.save_dir, "output root")->capture_default_str();
  cmd.add_option("--model_framework", c.model_framework,
                 "pspnet | deeplabv3plus | fpn | unet (default per dataset: DFC pspnet, DW "
                 "deeplabv3plus, OSM fpn)");
  cmd.add_option("--model_type", f.model_type, "resnet18 | resnet34 | resnet50")
      ->capture_default_str();
  cmd.add_option("--n_channels", f.n_channels, "input channels (S1: 2; S2: 13, 12, 9 or 3)")
      ->capture_default_str();
  cmd.add_option("--n_classes", c.n_classes, "classes (default per dataset: 8, 9, 13)");
  cmd.add_option("--loss_type", f.loss_type, "letters c (CE) and d (Dice)")->capture_default_str();
  cmd.add_option("--resume", f.resume, "checkpoint to continue, or auto (newest in the run dir)");
  cmd.add_flag("--if_mask", c.if_mask, "ignore label 255 (default: DW/OSM on, DFC off)");
  cmd.add_option("--validation,-v", c.validation,
                 "0 only: the test set is scored after every epoch, as the shell scripts do");
  cmd.add_option("--batch_size", f.batch_size, "training batch")->capture_default_str();
  cmd.add_option("--test_batch_size", c.test_batch_size,
                 "samples per test forward pass (default: DFC 300, DW/OSM 100)");
  cmd.add_option("--num_workers,-n", f.num_workers, "threads building a training batch")
      ->capture_default_str();
  cmd.add_option("--accelerator", f.accelerator, "cpu or gpu")->capture_default_str();
  cmd.add_option("--epochs,-e", f.epochs, "epochs")->capture_default_str();
  cmd.add_option("--optimizer", f.optimizer, "adam or sgd")->capture_default_str();
  cmd.add_option("--learning_rate,-l", f.learning_rate, "base learning rate")
      ->capture_default_str();
  cmd.add_flag("--amp", c.amp_flag, "turn mixed precision OFF (store_false, as upstream)");
  cmd.add_option("--save_interval", f.save_interval, "checkpoint every N epochs")
      ->capture_default_str();
  cmd.add_option("--seed", f.seed, "seed of the initialisation, order and augmentation")
      ->capture_default_str();
  cmd.add_option("--n_train", c.n_train, "0 only (a random subset is not supported)");
  cmd.add_option("--pretrain_tag", f.pretrain_tag, "rand | mfs1 | mfs2 | lfs1 | lfs2 | nss1 | nss2")
      ->capture_default_str();
  cmd.add_option("--weight_path", f.weight_path,
                 "pretraining checkpoint (cromss .h5 or upstream Lightning .ckpt)");
  cmd.add_option("--weight_load_tag", f.weight_load_tag, "encoder (or none)")
      ->capture_default_str();
  cmd.add_option("--encoder_finetune_tag", f.encoder_finetune_tag,
                 "efix (frozen), etr (trained), eft (frozen until --encoder_finetune_epoch)")
      ->capture_default_str();
  cmd.add_option("--encoder_finetune_epoch", f.encoder_finetune_epoch, "eft: epoch to unfreeze")
      ->capture_default_str();
  cmd.add_option("--decoder_finetune_tag", c.decoder_finetune_tag, "dsam only (one lr for all)")
      ->capture_default_str();
  cmd.add_option("--scheduler_type", f.scheduler_type, "none or cos")->capture_default_str();
  cmd.add_option("--scheduler_values", f.scheduler_values, "cos: T [final lr, default 1e-5]")
      ->capture_default_str();
  cmd.add_flag("--only_test", c.only_test, "not supported: use `cromss evaluate`");
  for (const char* flag : kIgnoredOptions)
    cmd.add_option(flag, c.ignored[flag], "Accepted and ignored (run names / W&B)");
  for (const char* flag : kIgnoredLists)
    cmd.add_option_function<std::vector<std::string>>(
           flag, [&c, flag](const std::vector<std::string>&) { c.ignored[flag] = "given"; },
           "Accepted and ignored (run names)")
        ->expected(0, -1);
  for (const char* flag : kIgnoredFlags)
    cmd.add_flag_callback(
        flag, [&c, flag] { c.ignored[flag] = "set"; },
        "Accepted and ignored (SLURM / W&B / run names)");
  // Engine options.
  cmd.add_flag("--freeze_bn", f.freeze_bn,
               "keep a frozen encoder's BatchNorm statistics fixed too (upstream's efix updates "
               "them)");
  cmd.add_option("--precision", f.precision, "auto | bf16 | fp16 | fp32")->capture_default_str();
  cmd.add_option("--device", f.device, "cpu | cuda | cuda:N (default: from --accelerator)");
  cmd.add_flag("--deterministic", f.deterministic, "deterministic kernels");
  cmd.add_flag("--channels_last,!--no-channels_last", f.channels_last,
               "nhwc activations (the GPU's fast path; same results up to rounding)");
  cmd.add_flag("--conv_bn_fusion,!--no-conv_bn_fusion", f.conv_bn_fusion, kConvBnFusionHelp);
  cmd.add_option("--run_dir", c.run.run_dir, "write the run here instead of under --save_dir");
  cmd.add_option("--max_steps", c.run.max_steps, "stop after N optimizer steps (0: no limit)");
  cmd.add_flag("--overwrite", c.run.overwrite, "start over in a run dir that holds checkpoints");
  cmd.add_flag("--allow_nonfinite", c.run.allow_nonfinite,
               "load a --resume checkpoint even if it holds NaN/Inf");
  cmd.add_flag("--quiet", c.run.quiet, "no progress bar");
}

// Turns the optional flags into the config and refuses what cromss does not implement.
void finish_config(FinetuneCommand& c) {
  FinetuneConfig& f = c.config;
  if (!c.model_framework.empty()) f.model_framework = c.model_framework;
  if (c.n_classes > 0) f.n_classes = c.n_classes;
  if (c.test_batch_size > 0) f.test_batch_size = c.test_batch_size;
  if (c.crop_size >= 0) f.crop_size = c.crop_size;
  if (c.if_mask) f.if_mask = true;
  f.amp = !c.amp_flag;
  CROMSS_CHECK(c.validation == 0,
               "--validation {}: only 0 is supported (the test set is scored after every epoch, "
               "as the shell scripts do)",
               c.validation);
  CROMSS_CHECK(c.decoder_finetune_tag == "dsam",
               "--decoder_finetune_tag {}: only dsam (one learning rate) is supported",
               c.decoder_finetune_tag);
  CROMSS_CHECK(!c.s1_norm && !c.s2_norm,
               "--s1_norm/--s2_norm: not supported (inputs use the SSL4EO uint8 encoding / 255)");
  CROMSS_CHECK(c.n_train == 0, "--n_train {}: only 0 (all training samples) is supported",
               c.n_train);
  CROMSS_CHECK(!c.only_test,
               "--only_test: not supported; score a checkpoint with `cromss "
               "evaluate`");
  CROMSS_CHECK(c.label_type.empty() || (c.label_type == "dw" && f.dataset == "DW") ||
                   (c.label_type == "osm" && f.dataset == "OSM"),
               "--label_type {}: does not match --dataset {}", c.label_type, f.dataset);
  f.apply_dataset_defaults();
  f.validate();
  for (const auto& [flag, value] : c.ignored)
    if (!value.empty())
      std::fprintf(stderr, "cromss finetune: note: %s is accepted and ignored\n", flag.c_str());
}

void setup_finetune(CLI::App& root) {
  auto c = std::make_shared<FinetuneCommand>();
  auto* cmd = root.add_subcommand(
      "finetune", "Fine-tune an encoder with a decoder on DFC2020 / SSL4EO-S12@DW / @OSM");
  add_flags(*cmd, *c);
  cmd->add_option("--crop_size", c->crop_size,
                  "training crop (default: DFC whole 256 tiles, DW 496 (480 for unet/fpn), OSM "
                  "480; 0: whole tiles)");
  cmd->callback([c] {
    finish_config(*c);
    CROMSS_CHECK(c->run.max_steps >= 0, "--max_steps: expected >= 0 (0: no limit), got {}",
                 c->run.max_steps);
    install_stop_signal_handlers();
    const FinetuneResult r = run_finetune(c->config, c->run);
    if (!print_run_summary(r)) return;
  });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(finetune, cromss::setup_finetune);
