// Registers the objective flags of `cromss pretrain` / `cromss objective` on a CLI11 command, with
// upstream's names and the README CromSS defaults (spec §9.27). upstream's store_true flags
// (--label_smoothing, --sample_selection) are on by default here; they are turned off with
// --no-label_smoothing / --no-sample_selection (or --label_smoothing=false).
// Header-only so that the CLI and the tests that replay a fixture's flags share it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "train/objective_config.h"

namespace cromss {

// String-valued flags are parsed into `config` by finish_objective_flags after CLI parsing.
struct ObjectiveFlagStrings {
  std::string consist_loss_type = "ce";
  std::string prior_type = "ts";
  std::string rmup_func = "exp";
  std::string confidence_type = "ce";
};

inline void add_objective_flags(CLI::App& cmd, ObjectiveConfig& config, ObjectiveFlagStrings& s) {
  cmd.add_option("--loss_type", config.loss_type, "Segmentation losses: c cross entropy, d Dice")
      ->capture_default_str();
  cmd.add_option("--consist_loss_type", s.consist_loss_type, "Consistency loss: ce, kl, mse, none")
      ->check(CLI::IsMember({"ce", "kl", "mse", "none"}))
      ->capture_default_str();
  cmd.add_option("--consist_loss_weight", config.consist_loss_weight, "Consistency loss weight")
      ->capture_default_str();
  cmd.add_flag("--label_smoothing,!--no-label_smoothing", config.label_smoothing,
               "Spatial-temporal label smoothing (default on)");
  cmd.add_option("--label_smoothing_factor", config.label_smoothing_factor,
                 "a [b]: t = (1-a-b) onehot + a prior + b/C")
      ->expected(1, 8)
      ->capture_default_str();
  cmd.add_option("--label_smoothing_prior_type", s.prior_type,
                 "Prior: ts, t, s, or none (uniform only; not in upstream)")
      ->check(CLI::IsMember({"ts", "t", "s", "none"}))
      ->capture_default_str();
  cmd.add_flag("--sample_selection,!--no-sample_selection", config.sample_selection,
               "Cross-modal sample selection (default on)");
  cmd.add_option("--sample_selection_rmup_func", s.rmup_func, "Ramp: exp, linear, none")
      ->check(CLI::IsMember({"exp", "linear", "none"}))
      ->capture_default_str();
  cmd.add_option("--sample_selection_rmdown_epoch", config.sample_selection_rmdown_epoch,
                 "Ramp length N in epochs")
      ->capture_default_str();
  cmd.add_option("--sample_selection_prop", config.sample_selection_prop,
                 "Final selected proportion P")
      ->capture_default_str();
  cmd.add_option("--sample_selection_confidence_type", s.confidence_type,
                 "Prediction confidence: ce (1 - H/ln C) or gini")
      ->check(CLI::IsMember({"ce", "gini"}))
      ->capture_default_str();
}

inline void finish_objective_flags(ObjectiveConfig& config, const ObjectiveFlagStrings& s) {
  config.consist_loss_type = parse_consistency_kind(s.consist_loss_type);
  config.label_smoothing_prior_type = parse_prior_type(s.prior_type);
  config.sample_selection_rmup_func = parse_ramp_function(s.rmup_func);
  config.sample_selection_confidence_type = parse_confidence_type(s.confidence_type);
  config.validate();
}

}  // namespace cromss
