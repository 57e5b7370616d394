// Registers upstream's pretraining flags on the `cromss pretrain` subcommand, and the objective
// subset that `cromss objective` shares (see pretrain_flags.h); the status of every flag is
// tabulated in docs/flags.md.
#include "apps/pretrain_flags.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace cromss::app {

namespace {

using Strings = std::vector<std::string>;

// A store_true flag bound to `field`, with a `--no-<flag>` form that clears it (last one wins).
CLI::Option* store_true(CLI::App& cmd, const std::string& flag, bool& field,
                        const std::string& help) {
  return cmd.add_flag(flag + ",!--no-" + flag.substr(2), field, help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// A store_true flag that changes nothing in cromss: sets `field` (for params.txt) and reports.
CLI::Option* ignored_flag(CLI::App& cmd, const std::string& flag, bool& field,
                          const std::string& note, const NoteSink& sink) {
  return cmd
      .add_flag_callback(
          flag + ",!--no-" + flag.substr(2),
          [&field, flag, note, sink] {
            field = true;
            sink(flag + ": " + note);
          },
          "Accepted and ignored: " + note)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// A valued option that changes nothing in cromss: stores the value and reports.
template <class T>
CLI::Option* ignored_option(CLI::App& cmd, const std::string& flag, T& field,
                            const std::string& note, const NoteSink& sink) {
  return cmd.add_option_function<T>(
      flag,
      [&field, flag, note, sink](const T& v) {
        field = v;
        sink(flag + ": " + note);
      },
      "Accepted and ignored: " + note);
}

// An argparse nargs='*' list: zero or more values, the whole list replaced when given (an empty
// list included, which CLI11's vector options would turn into the default).
template <class T>
CLI::Option* list_option(CLI::App& cmd, const std::string& flag,
                         std::function<void(std::vector<T>)> assign, const std::string& help) {
  CLI::callback_t parse = [assign](const CLI::results_t& res) {
    std::vector<T> values;
    for (const std::string& s : res) {
      if (s.empty()) continue;
      values.emplace_back();
      if (!CLI::detail::lexical_cast(s, values.back())) return false;
    }
    assign(std::move(values));
    return true;
  };
  return cmd.add_option(flag, std::move(parse), help, false)
      ->type_name(CLI::detail::type_name<T>())
      ->type_size(1)
      ->expected(0, CLI::detail::expected_max_vector_size)
      ->allow_extra_args();
}

void add_data_flags(CLI::App& cmd, PretrainConfig& c) {
  const char* g = "Data";
  cmd.add_option("--data_path", c.data_path,
                 "Directory holding the S1, S2 and label LMDBs (required)")
      ->group(g);
  cmd.add_option("--data_name_s1", c.data_name_s1, "S1 image LMDB under --data_path")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--data_name_s2", c.data_name_s2, "S2 image LMDB under --data_path")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--data_name_label", c.data_name_label, "Noisy DW label LMDB under --data_path")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--data_name_clean_label", c.data_name_clean_label,
                 "Clean label LMDB under --data_path (synthetic data); when it exists, validation "
                 "also scores against it")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--input_type", c.input_type,
                 "s12: CromSS (two branches); s1 or s2: single-modal U-Net (upstream script 1)")
      ->check(CLI::IsMember(Strings{"s1", "s2", "s12"}))
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--norm", c.norm, "S2 as mean±2σ-decoded reflectance / 10000 instead of /255")
      ->group(g);
  cmd.add_option("-v,--validation", c.validation,
                 "Held-out split: 0 none, <= 1 fraction, > 1 sample count")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--batch_size", c.batch_size, "Training batch size per process")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--test_batch_size", c.test_batch_size, "Validation batch size")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("-n,--num_workers", c.num_workers, "Data loading workers")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--crop_size", c.crop_size, "Random crop side in pixels (multiple of 32)")
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--skip_bad_samples", c.skip_bad_samples,
             "Skip (and count) samples that fail to read instead of stopping")
      ->group(g);
}

void add_model_flags(CLI::App& cmd, PretrainConfig& c, const NoteSink& note) {
  const char* g = "Model";
  cmd.add_option("--fusion_type", c.fusion_type,
                 "mid: two encoders share one decoder and head; late: two full U-Nets")
      ->check(CLI::IsMember(Strings{"mid", "late"}))
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--use_common_feature", c.use_common_feature,
             "3-branch variant: rejected (crashes upstream, method-spec.md §9.9)")
      ->group(g);
  cmd.add_option_function<std::string>(
         "--model_framework",
         [&c, note](const std::string& v) {
           c.model_framework = v;
           if (v != "unet")
             note("--model_framework " + v +
                  ": pretraining always builds a U-Net; the value only names the run folder "
                  "(as upstream)");
         },
         "Names the run folder only; the network is always a U-Net")
      ->check(CLI::IsMember(Strings{"upernet", "segmenter", "unet", "deeplabv3", "deeplabv3plus",
                                    "pspnet", "linknet", "fpn", "pan", "manet", "unetplusplus"}))
      ->default_str(c.model_framework)
      ->group(g);
  cmd.add_option("--model_type", c.model_type, "Encoder: resnet18, resnet34 or resnet50")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--n_channels", c.n_channels,
                 "S2 bands (3, 9, 12, 13); single-modal: input width (2 for s1)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--n_classes", c.n_classes, "Output classes (DW: 9)")
      ->capture_default_str()
      ->group(g);
  ignored_option(cmd, "--patch_size", c.patch_size,
                 "ViT patch size; pretraining builds ResNet U-Nets only", note)
      ->group(g);
  ignored_option(cmd, "--image_size", c.image_size,
                 "ViT image size; pretraining builds ResNet U-Nets only", note)
      ->group(g);
}

// The objective flags of upstream's pretraining scripts that `cromss objective` does not take.
void add_pretrain_only_objective_flags(CLI::App& cmd, PretrainConfig& c, const NoteSink& note) {
  const char* g = "Objective";
  list_option<int>(
      cmd, "--label_smoothing_exclude_class",
      [&c, note](std::vector<int> v) {
        c.label_smoothing_exclude_class = std::move(v);
        note("--label_smoothing_exclude_class: never used in upstream training");
      },
      "Accepted and ignored: never used in upstream training")
      ->group(g);
  const std::string m_only =
      "a flag of upstream script M, which only puts it in M's run name; cromss runs M as "
      "CromSS with --no-sample_selection";
  ignored_option(cmd, "--sample_selection_rmup_len", c.sample_selection_rmup_len, m_only, note)
      ->group(g);
  ignored_option(cmd, "--sample_selection_conf_prop", c.sample_selection_conf_prop, m_only, note)
      ->group(g);
  ignored_option(cmd, "--sample_selection_unc_prop", c.sample_selection_unc_prop, m_only, note)
      ->group(g);
  store_true(cmd, "--global_selection", c.global_selection,
             "All-reduce selection thresholds and Dice sums across ranks (upstream: per rank)")
      ->group(g);
  store_true(cmd, "--if_mask", c.if_mask, "Rejected: the pretraining data has no mask")->group(g);
  cmd.add_option("--experiment", c.experiment, "ns_labels (gt_labels is rejected: no GT labels)")
      ->check(CLI::IsMember(Strings{"gt_labels", "ns_labels"}))
      ->capture_default_str()
      ->group(g);
  ignored_flag(cmd, "--gt_available", c.gt_available,
               "there are no GT labels; clean-label metrics are computed when "
               "--data_name_clean_label exists",
               note)
      ->group(g);
}

void add_training_flags(CLI::App& cmd, PretrainConfig& c) {
  const char* g = "Training";
  cmd.add_option("-e,--epochs", c.epochs, "Training epochs")->capture_default_str()->group(g);
  cmd.add_option("--optimizer", c.optimizer, "adam (wd 1e-8) or sgd (momentum 0.9, wd 1e-4)")
      ->check(CLI::IsMember(Strings{"adam", "sgd"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("-l,--learning_rate", c.learning_rate, "Initial learning rate")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--lr_adjust_type", c.lr_adjust_type,
                 "rop: ReduceLROnPlateau on v_loss; exp: exponential decay; none")
      ->check(CLI::IsMember(Strings{"none", "rop", "exp"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--lr_adjust", c.lr_adjust, "rop: patience (int > 0); exp: gamma in (0, 1)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--accumulate_grad_batches", c.accumulate_grad_batches,
                 "Micro-batches per optimizer step")
      ->capture_default_str()
      ->group(g);
  cmd.add_flag("--amp{false}", c.amp,
               "Turn mixed precision OFF (upstream's store_false flag: AMP is on by default)")
      ->group(g);
  cmd.add_option("--precision", c.precision,
                 "auto: bf16 on GPUs that have it (else fp16) while AMP is on, fp32 with --amp or "
                 "on the CPU")
      ->check(CLI::IsMember(Strings{"auto", "bf16", "fp16", "fp32"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--seed", c.seed, "Seed of every random stream and of the validation split")
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--deterministic", c.deterministic,
             "Make any CUDA op that is not run-to-run deterministic an error (the training step "
             "is deterministic without it)")
      ->group(g);
}

void add_run_flags(CLI::App& cmd, PretrainConfig& c, const NoteSink& note) {
  const char* g = "Run";
  cmd.add_option("--save_dir", c.save_dir,
                 "Output root: <save_dir>/<PT_...>/<job tag>/mcr_<m>_seed_<s>/")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--monte_carlo_run", c.monte_carlo_run,
                 "Run index; names the run folder only (seeding is --seed)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--resume", c.resume,
                 "Checkpoint to resume from, or 'auto' (newest valid checkpoint of the run)")
      ->group(g);
  store_true(cmd, "--pre-train", c.pre_train,
             "With --resume: only initialise the weights from the checkpoint")
      ->group(g);
  cmd.add_option("--save_interval", c.save_interval, "Checkpoint every N epochs")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--keep_last", c.keep_last, "Periodic checkpoints to keep (0: all)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--display_interval", c.display_interval, "PNG panels every N epochs")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--accelerator", c.accelerator, "cpu or gpu (no GPU visible: falls back to cpu)")
      ->check(CLI::IsMember(Strings{"cpu", "gpu"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--device", c.device, "cpu, cuda or cuda:N (default: from --accelerator)")
      ->group(g);
  store_true(cmd, "--slurm", c.slurm,
             "Take nodes, tasks and local rank from SLURM (on by default; off outside a job)")
      ->group(g);
  ignored_flag(cmd, "--cal_tr_acc", c.cal_tr_acc,
               "training metrics per batch are not computed; validation metrics are logged", note)
      ->group(g);
  ignored_option(cmd, "--test_season", c.test_season,
                 "never read upstream (a random season is always drawn)", note)
      ->check(CLI::IsMember(std::vector<int>{-1, 0, 1, 2, 3}))
      ->group(g);
  const std::string wandb =
      "cromss does not log to Weights & Biases (metrics go to "
      "metrics.jsonl and metrics.csv)";
  ignored_option(cmd, "--project_name", c.project_name, wandb, note)->group(g);
  ignored_option(cmd, "--entity_name", c.entity_name, wandb, note)->group(g);
  ignored_option(cmd, "--wandb_mode", c.wandb_mode, wandb, note)
      ->check(CLI::IsMember(Strings{"online", "offline", "disabled"}))
      ->group(g);
  ignored_flag(cmd, "--batch_to_wandb", c.batch_to_wandb, wandb, note)->group(g);
}

}  // namespace

void add_objective_flags(CLI::App& cmd, PretrainConfig& c, const NoteSink& note,
                         bool allow_prior_none) {
  const char* g = "Objective";
  cmd.add_option("--loss_type", c.loss_type, "Segmentation losses: c cross-entropy, d Dice")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--consist_loss_type", c.consist_loss_type, "Cross-modal consistency loss")
      ->check(CLI::IsMember(Strings{"mse", "ce", "kl", "none"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--consist_loss_weight", c.consist_loss_weight, "Weight of the consistency loss")
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--label_smoothing", c.label_smoothing,
             "Spatial-temporal label smoothing (on by default; --no-label_smoothing turns it off)")
      ->group(g);
  list_option<double>(
      cmd, "--label_smoothing_factor",
      [&c, note](std::vector<double> v) {
        if (v.size() > 2) {
          v.resize(2);
          note(
              "--label_smoothing_factor: more than 2 factors given, only the first 2 are used "
              "(as upstream)");
        }
        c.label_smoothing_factor = std::move(v);
      },
      "Smoothing weights: a (prior) [b (uniform)]; default 0.15 0.05")
      ->group(g);
  const Strings prior_types =
      allow_prior_none ? Strings{"ts", "t", "s", "none"} : Strings{"ts", "t", "s"};
  cmd.add_option("--label_smoothing_prior_type", c.label_smoothing_prior_type,
                 allow_prior_none ? "Prior: ts (mean of temporal and spatial), t, s, or none "
                                    "(uniform smoothing only; not in upstream)"
                                  : "Prior: ts (mean of temporal and spatial), t, s")
      ->check(CLI::IsMember(prior_types))
      ->capture_default_str()
      ->group(g);
  store_true(cmd, "--sample_selection", c.sample_selection,
             "Cross-modal sample selection (on by default; --no-sample_selection turns it off)")
      ->group(g);
  cmd.add_option("--sample_selection_rmup_func", c.sample_selection_rmup_func,
                 "Ramp f(e): exp, linear, none (f = 1)")
      ->check(CLI::IsMember(Strings{"linear", "exp", "none"}))
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--sample_selection_rmdown_epoch", c.sample_selection_rmdown_epoch,
                 "Ramp length N in epochs")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--sample_selection_prop", c.sample_selection_prop,
                 "Final kept proportion per class")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--sample_selection_confidence_type", c.sample_selection_confidence_type,
                 "Prediction confidence: ce (1 - entropy/ln K) or gini")
      ->check(CLI::IsMember(Strings{"ce", "gini"}))
      ->capture_default_str()
      ->group(g);
}

void print_note_to_stderr(const std::string& note) {
  std::fprintf(stderr, "cromss pretrain: note: %s\n", note.c_str());
}

void add_pretrain_flags(CLI::App& cmd, PretrainConfig& cfg, NoteSink note) {
  add_data_flags(cmd, cfg);
  add_model_flags(cmd, cfg, note);
  add_objective_flags(cmd, cfg, note);
  add_pretrain_only_objective_flags(cmd, cfg, note);
  add_training_flags(cmd, cfg);
  add_run_flags(cmd, cfg, note);
}

std::vector<std::string> expand_flag_abbreviations(const CLI::App& cmd,
                                                   std::vector<std::string> args) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
  }
  for (std::string& arg : args) {
    if (arg == "--") break;
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) continue;
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq);
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::vector<std::string> matches;
    for (const std::string& n : names)
      if (n.rfind(key, 0) == 0) matches.push_back(n);
    CROMSS_CHECK(matches.size() <= 1, "ambiguous option: {} could match {}", key,
                 fmt::join(matches, ", "));
    if (matches.size() == 1) arg = matches[0] + (eq == std::string::npos ? "" : arg.substr(eq));
  }
  return args;
}

}  // namespace cromss::app
