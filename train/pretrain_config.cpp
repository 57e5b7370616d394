// PretrainConfig: value checks, JSON under upstream's dest names, precision/device resolution and
// upstream's run-folder names (see pretrain_config.h).
#include "train/pretrain_config.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

#include "core/error.h"

namespace cromss {

namespace {

// Calls f(dest, flag, field) for every field that travels through JSON. dest is upstream's
// argparse dest (the JSON key); engine-only fields use their flag name.
template <class Config, class F>
void visit_fields(Config& c, F&& f) {
  f("data_path", "--data_path", c.data_path);
  f("dn1", "--data_name_s1", c.data_name_s1);
  f("dn2", "--data_name_s2", c.data_name_s2);
  f("dnl", "--data_name_label", c.data_name_label);
  f("it", "--input_type", c.input_type);
  f("norm", "--norm", c.norm);
  f("fuse_type", "--fusion_type", c.fusion_type);
  f("use_com_feat", "--use_common_feature", c.use_common_feature);
  f("cl_type", "--consist_loss_type", c.consist_loss_type);
  f("cl_weight", "--consist_loss_weight", c.consist_loss_weight);
  f("ss", "--sample_selection", c.sample_selection);
  f("ss_rm_func", "--sample_selection_rmup_func", c.sample_selection_rmup_func);
  f("ss_nep", "--sample_selection_rmdown_epoch", c.sample_selection_rmdown_epoch);
  f("ss_prop", "--sample_selection_prop", c.sample_selection_prop);
  f("ss_ctype", "--sample_selection_confidence_type", c.sample_selection_confidence_type);
  f("sc_rmup_len", "--sample_selection_rmup_len", c.sample_selection_rmup_len);
  f("sc_conf_prop", "--sample_selection_conf_prop", c.sample_selection_conf_prop);
  f("sc_unc_prop", "--sample_selection_unc_prop", c.sample_selection_unc_prop);
  f("mcr", "--monte_carlo_run", c.monte_carlo_run);
  f("save_dir", "--save_dir", c.save_dir);
  f("frm", "--model_framework", c.model_framework);
  f("mt", "--model_type", c.model_type);
  f("patch_size", "--patch_size", c.patch_size);
  f("im_size", "--image_size", c.image_size);
  f("n_channels", "--n_channels", c.n_channels);
  f("n_classes", "--n_classes", c.n_classes);
  f("loss_type", "--loss_type", c.loss_type);
  f("resume", "--resume", c.resume);
  f("if_mask", "--if_mask", c.if_mask);
  f("val", "--validation", c.validation);
  f("bs", "--batch_size", c.batch_size);
  f("tbs", "--test_batch_size", c.test_batch_size);
  f("num_workers", "--num_workers", c.num_workers);
  f("ls", "--label_smoothing", c.label_smoothing);
  f("lsf", "--label_smoothing_factor", c.label_smoothing_factor);
  f("ls_exclude", "--label_smoothing_exclude_class", c.label_smoothing_exclude_class);
  f("ls_prior_type", "--label_smoothing_prior_type", c.label_smoothing_prior_type);
  f("accelerator", "--accelerator", c.accelerator);
  f("slurm", "--slurm", c.slurm);
  f("epochs", "--epochs", c.epochs);
  f("opt", "--optimizer", c.optimizer);
  f("lr", "--learning_rate", c.learning_rate);
  f("amp", "--amp", c.amp);
  f("cal_tr", "--cal_tr_acc", c.cal_tr_acc);
  f("pjn", "--project_name", c.project_name);
  f("entity", "--entity_name", c.entity_name);
  f("wmode", "--wandb_mode", c.wandb_mode);
  f("display_inv", "--display_interval", c.display_interval);
  f("save_inv", "--save_interval", c.save_interval);
  f("batch_to_wandb", "--batch_to_wandb", c.batch_to_wandb);
  f("seed", "--seed", c.seed);
  f("ts_sea", "--test_season", c.test_season);
  f("prt", "--pre-train", c.pre_train);
  f("experiment", "--experiment", c.experiment);
  f("gt_avail", "--gt_available", c.gt_available);
  f("schdt", "--lr_adjust_type", c.lr_adjust_type);
  f("schd", "--lr_adjust", c.lr_adjust);
  f("precision", "--precision", c.precision);
  f("crop_size", "--crop_size", c.crop_size);
  f("accumulate_grad_batches", "--accumulate_grad_batches", c.accumulate_grad_batches);
  f("keep_last", "--keep_last", c.keep_last);
  f("deterministic", "--deterministic", c.deterministic);
  f("global_selection", "--global_selection", c.global_selection);
  f("data_name_clean_label", "--data_name_clean_label", c.data_name_clean_label);
  f("skip_bad_samples", "--skip_bad_samples", c.skip_bad_samples);
  f("device", "--device", c.device);
}

bool one_of(const std::string& v, std::initializer_list<const char*> choices) {
  return std::any_of(choices.begin(), choices.end(), [&](const char* c) { return v == c; });
}

void check_choice(const char* flag, const std::string& v,
                  std::initializer_list<const char*> choices) {
  if (one_of(v, choices)) return;
  std::string list;
  for (const char* c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  CROMSS_THROW(ValueError, "{}: expected one of {{{}}}, got '{}'", flag, list, v);
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
  check_choice("--input_type", input_type, {"s1", "s2", "s12"});
  check_choice("--fusion_type", fusion_type, {"mid", "late"});
  CROMSS_CHECK(!use_common_feature,
               "--use_common_feature: not supported (the 3-branch model's consistency loss is "
               "undefined upstream and crashes, method-spec.md §9.9)");
  check_choice("--consist_loss_type", consist_loss_type, {"mse", "ce", "kl", "none"});
  CROMSS_CHECK(std::isfinite(consist_loss_weight) && consist_loss_weight >= 0,
               "--consist_loss_weight: expected a finite value >= 0, got {}", consist_loss_weight);
  check_choice("--sample_selection_rmup_func", sample_selection_rmup_func,
               {"linear", "exp", "none"});
  CROMSS_CHECK(sample_selection_rmdown_epoch >= 0,
               "--sample_selection_rmdown_epoch: expected an epoch count >= 0, got {}",
               sample_selection_rmdown_epoch);
  CROMSS_CHECK(sample_selection_prop >= 0 && sample_selection_prop <= 1,
               "--sample_selection_prop: expected a proportion in [0, 1], got {}",
               sample_selection_prop);
  check_choice("--sample_selection_confidence_type", sample_selection_confidence_type,
               {"ce", "gini"});
  check_choice("--model_framework", model_framework,
               {"upernet", "segmenter", "unet", "deeplabv3", "deeplabv3plus", "pspnet", "linknet",
                "fpn", "pan", "manet", "unetplusplus"});
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
  CROMSS_CHECK(!if_mask,
               "--if_mask: not supported in pretraining (upstream raises KeyError: the SSL4EO "
               "dataset has no 'mask_discard' key)");
  CROMSS_CHECK(std::isfinite(validation) && validation >= 0,
               "--validation: expected 0 (none), a fraction <= 1 or a sample count > 1, got {}",
               validation);
  CROMSS_CHECK(batch_size >= 1, "--batch_size: expected >= 1, got {}", batch_size);
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
  check_choice("--label_smoothing_prior_type", label_smoothing_prior_type, {"ts", "t", "s"});
  check_choice("--accelerator", accelerator, {"cpu", "gpu"});
  CROMSS_CHECK(epochs >= 1, "--epochs: expected >= 1, got {}", epochs);
  check_choice("--optimizer", optimizer, {"adam", "sgd"});
  CROMSS_CHECK(std::isfinite(learning_rate) && learning_rate > 0,
               "--learning_rate: expected a finite value > 0, got {}", learning_rate);
  check_choice("--wandb_mode", wandb_mode, {"online", "offline", "disabled"});
  CROMSS_CHECK(display_interval >= 1, "--display_interval: expected >= 1 epoch, got {}",
               display_interval);
  CROMSS_CHECK(save_interval >= 1, "--save_interval: expected >= 1 epoch, got {}", save_interval);
  CROMSS_CHECK(test_season >= -1 && test_season <= 3,
               "--test_season: expected one of {{-1, 0, 1, 2, 3}}, got {}", test_season);
  CROMSS_CHECK(experiment != "gt_labels",
               "--experiment gt_labels: not supported (the SSL4EO pretraining data has no 'gt' "
               "key; upstream raises KeyError)");
  check_choice("--experiment", experiment, {"ns_labels"});
  check_choice("--lr_adjust_type", lr_adjust_type, {"none", "rop", "exp"});
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
  check_choice("--precision", precision, {"auto", "bf16", "fp16", "fp32"});
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

namespace {

struct ToJson {
  nlohmann::json& j;
  void operator()(const char* key, const char*, const std::optional<int>& v) const {
    j[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  }
  template <class T>
  void operator()(const char* key, const char*, const T& v) const {
    j[key] = v;
  }
};

struct FromJson {
  const nlohmann::json& j;
  template <class T>
  void operator()(const char* key, const char* flag, T& v) const {
    auto it = j.find(key);
    if (it == j.end()) return;
    try {
      assign(*it, v);
    } catch (const std::exception& e) {
      CROMSS_THROW(ValueError, "config JSON key '{}' ({}): {} (value {})", key, flag, e.what(),
                   it->dump());
    }
  }
  static void assign(const nlohmann::json& x, std::optional<int>& v) {
    if (x.is_null()) {
      v.reset();
    } else {
      v = x.get<int>();
    }
  }
  static void assign(const nlohmann::json& x, std::string& v) {
    // Upstream's --resume defaults to the bool False.
    if (x.is_boolean() && !x.get<bool>()) {
      v.clear();
    } else {
      v = x.get<std::string>();
    }
  }
  static void assign(const nlohmann::json& x, int& v) {
    if (!x.is_number_integer()) throw std::invalid_argument("expected an integer");
    v = x.get<int>();
  }
  template <class T>
  static void assign(const nlohmann::json& x, T& v) {
    v = x.get<T>();
  }
};

}  // namespace

nlohmann::json PretrainConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  visit_fields(*this, ToJson{j});
  if (resume.empty()) j["resume"] = false;
  // Upstream's set_log_files casts the rop patience to int before writing params.txt.
  if (lr_adjust_type == "rop") j["schd"] = trunc_int(lr_adjust);
  return j;
}

PretrainConfig PretrainConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object())
    CROMSS_THROW(ValueError, "config JSON: expected an object of flag values, got {}",
                 j.type_name());
  PretrainConfig c;
  visit_fields(c, FromJson{j});
  return c;
}

ComputeFlags compute_flags(const PretrainConfig& cfg) {
  return {cfg.accelerator, cfg.device, cfg.precision, cfg.amp, cfg.deterministic};
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
