// Every option of `cromss pretrain`, as one plain struct (issue 6).
//
// Field names are upstream's flag names (method-spec.md §5, docs/flags.md); the comment
// after each field gives upstream's argparse dest, which is also the key used by to_json() (so
// params.txt and the checkpoint `config` attribute read like upstream's params.txt, method-spec.md
// §9.33). Defaults are the upstream README CromSS command (method-spec.md §9.27), NOT upstream's
// argparse defaults; where the README leaves a flag out, upstream's argparse default applies (e.g.
// test_batch_size 5, amp on). Engine-only options (issue 6) come last and use their flag name as
// JSON key.
//
// The struct does no I/O and knows no device: validate() checks values only, and the run-name
// helpers below reproduce upstream's set_log_files() exactly (the fine-tuning code asserts these
// fragments in checkpoint paths, so they must match character for character).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/compute_flags.h"
#include "train/config_flag.h"
#include "train/precision.h"

namespace cromss {

struct PretrainConfig {
  // Data (upstream get_args_pretrain_sscom.py).
  std::string data_path;                                // data_path (README: required)
  std::string data_name_s1 = "0k_251k_uint8_s1.lmdb";   // dn1
  std::string data_name_s2 = "0k_251k_uint8_s2c.lmdb";  // dn2
  std::string data_name_label = "dw_labels.lmdb";       // dnl
  std::string input_type = "s12";                       // it: s1 | s2 | s12
  bool norm = false;                                    // norm (S2 mean±2σ inverse, /10000)

  // Multi-modal model and objective (scripts S and M only; method-spec.md §1.2-§4).
  std::string fusion_type = "mid";                 // fuse_type: mid | late
  bool use_common_feature = false;                 // use_com_feat (rejected: method-spec.md §9.9)
  std::string consist_loss_type = "ce";            // cl_type: mse | ce | kl | none
  double consist_loss_weight = 1.0;                // cl_weight
  bool sample_selection = true;                    // ss
  std::string sample_selection_rmup_func = "exp";  // ss_rm_func: linear | exp | none (f = 1)
  int sample_selection_rmdown_epoch = 80;          // ss_nep
  double sample_selection_prop = 0.5;              // ss_prop
  std::string sample_selection_confidence_type = "ce";  // ss_ctype: ce | gini
  // Script M's parser only; they name M's run folder and never reach a model. Ignored.
  int sample_selection_rmup_len = 100;      // sc_rmup_len
  double sample_selection_conf_prop = 0.5;  // sc_conf_prop
  double sample_selection_unc_prop = 0.5;   // sc_unc_prop

  // Common flags (upstream utils/get_args_common.py, get_common_args).
  int monte_carlo_run = 1;                // mcr (run-folder name only)
  std::string save_dir = "Results_test";  // save_dir (README: $save_path)
  std::string model_framework = "unet";   // frm (run-folder name only; always a U-Net)
  std::string model_type = "resnet50";    // mt: resnet18 | resnet34 | resnet50
  std::optional<int> patch_size;          // patch_size (ViT only: ignored)
  std::optional<int> image_size;          // im_size (ViT only: ignored)
  int n_channels = 13;                    // n_channels (S2 bands; script 1: input width)
  int n_classes = 9;                      // n_classes
  std::string loss_type = "cd";           // loss_type: letters c (CE), d (Dice)
  std::string resume;                     // resume: "" (upstream False) | PATH | auto
  bool if_mask = false;                   // if_mask (rejected: no mask_discard key)
  double validation = 0.01;               // val: 0 none, <= 1 fraction, > 1 count
  int batch_size = 128;                   // bs (per process)
  int test_batch_size = 5;                // tbs (README leaves it: upstream default)
  int num_workers = 12;                   // num_workers
  bool label_smoothing = true;            // ls
  std::vector<double> label_smoothing_factor = {0.15, 0.05};  // lsf (a prior, b uniform)
  std::vector<int> label_smoothing_exclude_class;             // ls_exclude (never used upstream)
  std::string label_smoothing_prior_type = "ts";              // ls_prior_type: ts | t | s
  std::string accelerator = "gpu";                            // accelerator: cpu | gpu
  bool slurm = true;                         // slurm (off by itself outside a SLURM job)
  int epochs = 200;                          // epochs
  std::string optimizer = "adam";            // opt: adam | sgd
  double learning_rate = 0.005;              // lr
  bool amp = true;                           // amp (store_false: --amp turns it OFF)
  bool cal_tr_acc = false;                   // cal_tr
  std::string project_name = "NLPR_SSL4EO";  // pjn (W&B: ignored)
  std::string entity_name = "wandb_user";    // entity (W&B: ignored)
  std::string wandb_mode = "online";         // wmode (W&B: ignored)
  int display_interval = 10;                 // display_inv (PNG panels every N epochs)
  int save_interval = 10;                    // save_inv (checkpoint every N epochs)
  bool batch_to_wandb = false;               // batch_to_wandb (W&B: ignored)
  int seed = 42;                             // seed
  int test_season = -1;                      // ts_sea (never read upstream: ignored)

  // Pretraining flags (get_common_pretrain_args).
  bool pre_train = false;                // prt (--pre-train): --resume only initialises
  std::string experiment = "ns_labels";  // experiment (gt_labels rejected: no gt key)
  bool gt_available = false;             // gt_avail (ignored: clean labels are automatic)
  std::string lr_adjust_type = "rop";    // schdt: none | rop | exp
  double lr_adjust = 30;                 // schd: rop patience (int), exp gamma in (0, 1)

  // Engine-only options (issue 6).
  std::string precision = "auto";   // auto | bf16 | fp16 | fp32, see resolve_precision
  int crop_size = 256;              // random-crop side, a multiple of 32 (method-spec.md §6.3)
  int accumulate_grad_batches = 1;  // micro-batches per optimizer step
  int keep_last = 0;                // periodic checkpoints kept; 0 keeps all
  bool deterministic = false;       // deterministic kernels (bitwise reruns)
  bool global_selection = false;    // all-reduce selection thresholds and Dice sums
  std::string data_name_clean_label = "dw_labels_clean.lmdb";  // clean labels, used when present
  bool skip_bad_samples = false;         // skip (and count) unreadable samples
  std::string device;                    // "" (from --accelerator) | cpu | cuda | cuda:N
  std::string prior_on_device = "auto";  // auto | on | off: who builds the label prior (issue 13)
  bool branch_streams = false;           // S1 branch forward on a second stream (issue 13)
  bool cuda_graph = false;               // forward+objective+backward replayed as a graph
  bool channels_last = false;            // nhwc activations (issue 13)
  bool conv_bn_fusion = false;           // conv + BN as one cuDNN graph (core/conv_bn_fusion.h)

  // Script S (input_type s12) vs script 1 (s1 | s2). In single-modal runs the multi-modal options
  // (fusion, consistency, selection, label smoothing) have no effect, as in upstream script 1.
  bool multi_modal() const { return input_type == "s12"; }
  // --resume names a file (not empty, not "auto").
  bool resume_from_path() const { return !resume.empty() && resume != "auto"; }

  // Throws ValueError naming the first offending flag and what it expects.
  void validate() const;

  nlohmann::json to_json() const;                          // keys: upstream dests
  static PretrainConfig from_json(const nlohmann::json&);  // missing keys keep their defaults
};

// Every flag of `cromss pretrain` once: dest (JSON key), names, field, help, group, choices and
// status (train/config_flag.h), in the order of `cromss pretrain --help`. The CLI
// (apps/pretrain_flags.cpp), to_json()/from_json() and validate() all read it.
const std::vector<ConfigFlag<PretrainConfig>>& pretrain_config_flags();

// The compute flags of this run (train/compute_flags.h: device and precision rules).
ComputeFlags compute_flags(const PretrainConfig& cfg);
// resolve_precision / resolve_device of train/compute_flags.h on compute_flags(cfg).
Precision resolve_precision(const PretrainConfig& cfg, bool on_cuda, bool cuda_has_bf16);
std::string resolve_device(const PretrainConfig& cfg, int cuda_device_count,
                           bool* fell_back = nullptr);

// Run names of upstream set_log_files() (method-spec.md §5 "Output dir";
// get_args_pretrain_sscom.py). int() below is Python's truncation of a double, so 0.29 * 100 gives
// 28 as upstream.
//   lr_tag     <eb>e<ea>, ea = ceil(log10(1/lr)), eb = int(lr * 10^ea): 0.005 -> 5e3
//   unet_type  multi-modal:  PT_<fusion[0]><2|3>_<frm>_<mt>_<it>_<ns|gt>
//              single-modal: PT_<frm>_<mt>_<it>_<ns|gt>
//   job_type   multi-modal:  <loss>_<cl_type>_lr_<lr_tag>
//                 + smoothing: _ls<int(100 a)><prior>, + <int(100 b)> with two factors
//                 + selection: _ssp<int(100 prop)>_<ctype>, + _rm<rmup[0]><N> unless none
//              single-modal: <loss>_lr_<lr_tag> (upstream script 1 crashes while naming a
//                 smoothed run and never smooths, so no _ls part)
//              then both: _sch_rop<int(schd)> | _sch_exp<int(1000 schd)> | nothing, + _b<bs>
//   run_tag    mcr_<mcr>_seed_<seed>
// README run: PT_m2_unet_resnet50_s12_ns / cd_ce_lr_5e3_ls15ts5_ssp50_ce_rme80_sch_rop30_b128.
std::string lr_tag(double learning_rate);
std::string unet_type(const PretrainConfig& cfg);
std::string job_type(const PretrainConfig& cfg);
std::string run_tag(const PretrainConfig& cfg);
// <save_dir>/<unet_type>/<job_type>/<run_tag>: params.txt and checkpoints/ live here.
std::filesystem::path run_dir(const PretrainConfig& cfg);

// The content of params.txt: cfg.to_json() plus the names upstream's set_log_files() adds
// (unet_type, job_type, pdir, checkpoints_dir). from_json() ignores the added keys.
nlohmann::json params_json(const PretrainConfig& cfg);

}  // namespace cromss
