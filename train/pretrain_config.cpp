// PretrainConfig: value checks, JSON under upstream's dest names (both driven by the flag table of
// pretrain_config_flags.cpp), precision/device resolution and upstream's run-folder names (see
// pretrain_config.h).
#include "train/pretrain_config.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "core/error.h"

namespace cromss {

namespace {

bool one_of(const std::string& v, std::initializer_list<const char*> choices) {
  return std::any_of(choices.begin(), choices.end(), [&](const char* c) { return v == c; });
}

bool is_device_string(const std::string& d) {
  if (d == "cpu" || d == "cuda") return true;
  if (d.rfind("cuda:", 0) != 0 || d.size() == 5) return false;
  return std::all_of(d.begin() + 5, d.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Python's int(x) for the floats of set_log_files (truncation toward zero).
long long trunc_int(double x) {
  return static_cast<long long>(std::trunc(x));
}

}  // namespace

void PretrainConfig::validate() const {
  CROMSS_CHECK(!data_path.empty(),
               "--data_path: required (the directory holding the S1, S2 and label LMDBs)");
  check_flag_table(*this, pretrain_config_flags());  // choices and rejected flags
  CROMSS_CHECK(std::isfinite(consist_loss_weight) && consist_loss_weight >= 0,
               "--consist_loss_weight: expected a finite value >= 0, got {}", consist_loss_weight);
  CROMSS_CHECK(sample_selection_rmdown_epoch >= 0,
               "--sample_selection_rmdown_epoch: expected an epoch count >= 0, got {}",
               sample_selection_rmdown_epoch);
  CROMSS_CHECK(sample_selection_prop >= 0 && sample_selection_prop <= 1,
               "--sample_selection_prop: expected a proportion in [0, 1], got {}",
               sample_selection_prop);
  CROMSS_CHECK(one_of(model_type, {"resnet18", "resnet34", "resnet50"}),
               "--model_type: cromss builds the encoders resnet18, resnet34 and resnet50, got '{}'",
               model_type);
  if (input_type == "s1") {
    CROMSS_CHECK(n_channels == 2,
                 "--n_channels: a single-modal S1 run (--input_type s1) needs --n_channels 2 "
                 "(VV, VH), got {}",
                 n_channels);
  } else {
    CROMSS_CHECK(n_channels == 3 || n_channels == 9 || n_channels == 12 || n_channels == 13,
                 "--n_channels: expected an S2 band count 3, 9, 12 or 13 (upstream's dataset "
                 "reads any other value as 13 while the model uses it), got {}",
                 n_channels);
  }
  CROMSS_CHECK(n_classes >= 2,
               "--n_classes: expected at least 2 classes (DW labels have 9), got {}", n_classes);
  CROMSS_CHECK(!(multi_modal() && label_smoothing) || n_classes == 9,
               "--n_classes {}: --label_smoothing builds its prior over the 9 Dynamic World "
               "classes, so it needs --n_classes 9 (or --no-label_smoothing)",
               n_classes);
  CROMSS_CHECK(!loss_type.empty(), "--loss_type: expected letters c (CE) and/or d (Dice), got ''");
  for (char ch : loss_type) {
    CROMSS_CHECK(ch != 'f', "--loss_type: the focal loss ('f') is not implemented in cromss");
    CROMSS_CHECK(ch == 'c' || ch == 'd',
                 "--loss_type: expected letters c (CE) and/or d (Dice), got '{}'", loss_type);
  }
  CROMSS_CHECK(!one_of(resume, {"imagenet", "ssl", "swsl"}),
               "--resume {}: smp hub encoder weights are not available in cromss (no network, "
               "3-channel only upstream); pass a checkpoint path or 'auto'",
               resume);
  CROMSS_CHECK(std::isfinite(validation) && validation >= 0,
               "--validation: expected 0 (none), a fraction <= 1 or a sample count > 1, got {}",
               validation);
  CROMSS_CHECK(batch_size >= 1, "--batch_size: expected >= 1, got {}", batch_size);
  CROMSS_CHECK(!(cuda_graph && branch_streams),
               "--cuda_graph with --branch_streams is not supported yet (docs/performance.md)");
  CROMSS_CHECK(!(cuda_graph && global_selection),
               "--cuda_graph with --global_selection: the selection state is summed over ranks "
               "through the host, which a captured step cannot do");
  CROMSS_CHECK(test_batch_size >= 1, "--test_batch_size: expected >= 1, got {}", test_batch_size);
  CROMSS_CHECK(num_workers >= 0, "--num_workers: expected >= 0, got {}", num_workers);
  if (label_smoothing && multi_modal()) {
    CROMSS_CHECK(!label_smoothing_factor.empty(),
                 "--label_smoothing_factor: --label_smoothing needs one or two factors (e.g. "
                 "0.15 0.05); upstream raises IndexError on an empty list");
    for (double v : label_smoothing_factor)
      CROMSS_CHECK(v >= 0 && v <= 1, "--label_smoothing_factor: expected values in [0, 1], got {}",
                   v);
    if (label_smoothing_factor.size() >= 2)
      CROMSS_CHECK(label_smoothing_factor[0] + label_smoothing_factor[1] <= 1,
                   "--label_smoothing_factor: a + b must be <= 1 (target weight of the noisy "
                   "label is 1 - a - b), got {} + {}",
                   label_smoothing_factor[0], label_smoothing_factor[1]);
  }
  CROMSS_CHECK(epochs >= 1, "--epochs: expected >= 1, got {}", epochs);
  CROMSS_CHECK(std::isfinite(learning_rate) && learning_rate > 0,
               "--learning_rate: expected a finite value > 0, got {}", learning_rate);
  CROMSS_CHECK(display_interval >= 1, "--display_interval: expected >= 1 epoch, got {}",
               display_interval);
  CROMSS_CHECK(save_interval >= 1, "--save_interval: expected >= 1 epoch, got {}", save_interval);
  CROMSS_CHECK(experiment != "gt_labels",
               "--experiment gt_labels: not supported (the SSL4EO pretraining data has no 'gt' "
               "key; upstream raises KeyError)");
  if (lr_adjust_type == "rop") {
    CROMSS_CHECK(trunc_int(lr_adjust) > 0,
                 "--lr_adjust: with --lr_adjust_type rop it is the ReduceLROnPlateau patience "
                 "(cast to int) and must be > 0, got {}",
                 lr_adjust);
    CROMSS_CHECK(validation > 0,
                 "--validation 0: --lr_adjust_type rop monitors the validation loss, which needs "
                 "a validation split (use --lr_adjust_type none or --validation > 0)");
  } else if (lr_adjust_type == "exp") {
    CROMSS_CHECK(lr_adjust > 0 && lr_adjust < 1,
                 "--lr_adjust: with --lr_adjust_type exp it is the decay gamma and must be in "
                 "(0, 1), got {}",
                 lr_adjust);
  }
  CROMSS_CHECK(amp || precision == "auto" || precision == "fp32",
               "--precision {}: contradicts --amp (which turns mixed precision off, as upstream's "
               "store_false flag); drop one of them",
               precision);
  CROMSS_CHECK(
      crop_size >= 32 && crop_size % 32 == 0,
      "--crop_size: expected a positive multiple of 32 (the U-Net's output stride), got {}",
      crop_size);
  CROMSS_CHECK(accumulate_grad_batches >= 1, "--accumulate_grad_batches: expected >= 1, got {}",
               accumulate_grad_batches);
  CROMSS_CHECK(keep_last >= 0, "--keep_last: expected >= 0 (0 keeps every checkpoint), got {}",
               keep_last);
  CROMSS_CHECK(device.empty() || is_device_string(device),
               "--device: expected cpu, cuda or cuda:N, got '{}'", device);
}

nlohmann::json PretrainConfig::to_json() const {
  nlohmann::json j = flags_to_json(*this, pretrain_config_flags());
  if (resume.empty()) j["resume"] = false;
  // Upstream's set_log_files casts the rop patience to int before writing params.txt.
  if (lr_adjust_type == "rop") j["schd"] = trunc_int(lr_adjust);
  return j;
}

PretrainConfig PretrainConfig::from_json(const nlohmann::json& j) {
  PretrainConfig c;
  flags_from_json(j, pretrain_config_flags(), c);
  return c;
}

ComputeFlags compute_flags(const PretrainConfig& cfg) {
  return {cfg.accelerator,   cfg.device,        cfg.precision,     cfg.amp,
          cfg.deterministic, cfg.channels_last, cfg.conv_bn_fusion};
}

Precision resolve_precision(const PretrainConfig& cfg, bool on_cuda, bool cuda_has_bf16) {
  return resolve_precision(compute_flags(cfg), on_cuda, cuda_has_bf16);
}

std::string resolve_device(const PretrainConfig& cfg, int cuda_device_count, bool* fell_back) {
  return resolve_device(compute_flags(cfg), cuda_device_count, fell_back);
}

std::string lr_tag(double learning_rate) {
  CROMSS_CHECK(std::isfinite(learning_rate) && learning_rate > 0,
               "--learning_rate: expected a finite value > 0, got {}", learning_rate);
  // numpy: ea = int(ceil(log10(1/lr))), eb = int(lr * 10**ea); 10**ea is exact in a double.
  const long long ea = static_cast<long long>(std::ceil(std::log10(1.0 / learning_rate)));
  const long long eb = trunc_int(learning_rate * std::pow(10.0, static_cast<double>(ea)));
  return fmt::format("{}e{}", eb, ea);
}

std::string unet_type(const PretrainConfig& cfg) {
  const char* label_tag = cfg.experiment == "gt_labels" ? "gt" : "ns";
  if (cfg.multi_modal()) {
    return fmt::format("PT_{}{}_{}_{}_{}_{}", cfg.fusion_type.substr(0, 1),
                       cfg.use_common_feature ? 3 : 2, cfg.model_framework, cfg.model_type,
                       cfg.input_type, label_tag);
  }
  return fmt::format("PT_{}_{}_{}_{}", cfg.model_framework, cfg.model_type, cfg.input_type,
                     label_tag);
}

std::string job_type(const PretrainConfig& cfg) {
  std::string job;
  if (cfg.multi_modal()) {
    job =
        fmt::format("{}_{}_lr_{}", cfg.loss_type, cfg.consist_loss_type, lr_tag(cfg.learning_rate));
    const auto& f = cfg.label_smoothing_factor;
    if (cfg.label_smoothing && !f.empty()) {
      job += fmt::format("_ls{}{}", trunc_int(f[0] * 100), cfg.label_smoothing_prior_type);
      if (f.size() >= 2) job += fmt::format("{}", trunc_int(f[1] * 100));
    }
    if (cfg.sample_selection) {
      job += fmt::format("_ssp{}_{}", trunc_int(cfg.sample_selection_prop * 100),
                         cfg.sample_selection_confidence_type);
      if (cfg.sample_selection_rmup_func != "none")
        job += fmt::format("_rm{}{}", cfg.sample_selection_rmup_func.substr(0, 1),
                           cfg.sample_selection_rmdown_epoch);
    }
  } else {
    job = fmt::format("{}_lr_{}", cfg.loss_type, lr_tag(cfg.learning_rate));
  }
  if (cfg.lr_adjust_type == "rop") {
    job += fmt::format("_sch_rop{}", trunc_int(cfg.lr_adjust));
  } else if (cfg.lr_adjust_type == "exp") {
    job += fmt::format("_sch_exp{}", trunc_int(cfg.lr_adjust * 1000));
  }
  job += fmt::format("_b{}", cfg.batch_size);
  return job;
}

std::string run_tag(const PretrainConfig& cfg) {
  return fmt::format("mcr_{}_seed_{}", cfg.monte_carlo_run, cfg.seed);
}

std::filesystem::path run_dir(const PretrainConfig& cfg) {
  return std::filesystem::path(cfg.save_dir) / unet_type(cfg) / job_type(cfg) / run_tag(cfg);
}

nlohmann::json params_json(const PretrainConfig& cfg) {
  nlohmann::json j = cfg.to_json();
  j["unet_type"] = unet_type(cfg);
  j["job_type"] = job_type(cfg);
  j["pdir"] = run_dir(cfg).string();
  j["checkpoints_dir"] = (run_dir(cfg) / "checkpoints").string();
  return j;
}

}  // namespace cromss
