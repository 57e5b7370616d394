// The command-line surface of `cromss pretrain`: every upstream pretraining flag (method-spec.md
// §5, docs/flags.md) with upstream's spelling, short aliases and nargs, bound to a PretrainConfig
// whose defaults are the upstream README CromSS command (method-spec.md §9.27). The table of every
// flag and its status is docs/flags.md.
//
// Booleans: upstream store_true flags keep their name and set the option; those the README passes
// (--label_smoothing, --sample_selection, --slurm) are therefore ON by default, and every
// store_true flag has a `--no-<flag>` form that turns it off (the last one given wins). --amp keeps
// upstream's inverted store_false meaning: mixed precision is ON by default and passing --amp
// turns it OFF. Abbreviated flags (argparse's unique prefixes) are accepted only after
// expand_flag_abbreviations() has rewritten the arguments.
//
// Flags that upstream parses but that change nothing in pretraining (W&B, ViT sizes, ...) are
// accepted; when one is given a one-line note goes to the note sink after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "train/pretrain_config.h"

namespace cromss::app {

using NoteSink = std::function<void(const std::string&)>;
void print_note_to_stderr(const std::string& note);  // "cromss pretrain: note: <note>"

// Registers the flags on `cmd` (the pretrain subcommand) and binds them to `cfg`, which must
// outlive parsing. Notes (ignored flags, more than two --label_smoothing_factor values, which are
// cut to two as upstream) go to `note` while CLI11 runs the option callbacks. cmd.callback() is
// left to the caller, which should call cfg.validate() before running anything.
void add_pretrain_flags(CLI::App& cmd, PretrainConfig& cfg, NoteSink note = print_note_to_stderr);

// The subset shared with `cromss objective`: the flags of the CromSS objective
// (method-spec.md §2-§4, --loss_type ... --sample_selection_confidence_type) bound to the matching
// fields of `cfg`; objective_config(cfg) (train/objective_config.h) turns them into an
// ObjectiveConfig and validates it. add_pretrain_flags registers them with the pretrain-only ones;
// `cromss objective` registers them alone, with allow_prior_none (--label_smoothing_prior_type
// none: uniform smoothing only, not in upstream).
void add_objective_flags(CLI::App& cmd, PretrainConfig& cfg, const NoteSink& note,
                         bool allow_prior_none = false);

// argparse accepts any unique prefix of a long flag (upstream never sets allow_abbrev=False);
// CLI11 does not. Returns `args` (the arguments after the subcommand name) with every `--prefix`
// or `--prefix=value` that is not itself a flag of `cmd` but starts exactly one of cmd's long
// flags replaced by that flag. Ambiguous prefixes are left alone, so CLI11 reports them.
std::vector<std::string> expand_flag_abbreviations(const CLI::App& cmd,
                                                   std::vector<std::string> args);

}  // namespace cromss::app
