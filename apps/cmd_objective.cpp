// `cromss objective --input IN.h5 --output OUT.h5 --epoch E`: evaluates the CromSS objective on
// given logits and labels and writes every intermediate (train/objective_file.h), for people
// learning the method and for checking it against other implementations (issue 4). The objective
// flags are `cromss pretrain`'s own (apps/pretrain_flags.h).
#include <cstdio>

#include "apps/pretrain_flags.h"
#include "apps/registry.h"
#include "train/objective_config.h"
#include "train/objective_file.h"

namespace {

struct ObjectiveCommand {
  cromss::ObjectiveFileOptions files;
  cromss::PretrainConfig flags;  // only its objective fields are registered and read
  std::string device = "cpu";
};

void print_objective_note(const std::string& note) {
  std::fprintf(stderr, "cromss objective: note: %s\n", note.c_str());
}

void setup_objective(CLI::App& root) {
  static ObjectiveCommand c;
  auto* cmd = root.add_subcommand(
      "objective",
      "Evaluate the CromSS objective on logits/labels from an HDF5 file and write "
      "every intermediate (targets, confidences, thresholds, weights, losses, "
      "gradients)");
  cmd->add_option("--input", c.files.input, "Input HDF5 (logits_s1, logits_s2, labels, prior)")
      ->required();
  cmd->add_option("--output", c.files.output, "Output HDF5")->required();
  cmd->add_option("--epoch", c.files.epoch, "0-based epoch (upstream current_epoch)")->required();
  cmd->add_flag("--validation_loss", c.files.validation_loss,
                "Compute the validation loss (method-spec.md §2.5: hard labels, no selection)");
  cmd->add_option("--device", c.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cromss::app::add_objective_flags(*cmd, c.flags, print_objective_note,
                                   /*allow_prior_none=*/true);
  cmd->callback([] {
    const cromss::ObjectiveConfig config = cromss::objective_config(c.flags);
    c.files.device = c.device == "cuda" ? cromss::Device::cuda(0) : cromss::Device::cpu();
    cromss::run_objective_file(c.files, config);
  });
}

}  // namespace

CROMSS_REGISTER_COMMAND(objective, setup_objective);
