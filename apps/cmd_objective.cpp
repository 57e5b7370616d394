// `cromss objective --input IN.h5 --output OUT.h5 --epoch E`: evaluates the CromSS objective on
// given logits and labels and writes every intermediate (train/objective_file.h), for people
// learning the method and for checking it against other implementations (issue 4).
#include "apps/registry.h"
#include "train/objective_file.h"
#include "train/objective_flags.h"

namespace {

struct ObjectiveCommand {
  cromss::ObjectiveFileOptions files;
  cromss::ObjectiveConfig config;
  cromss::ObjectiveFlagStrings strings;
  std::string device = "cpu";
};

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
                "Compute the validation loss (spec §2.5: hard labels, no selection)");
  cmd->add_option("--device", c.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cromss::add_objective_flags(*cmd, c.config, c.strings);
  cmd->callback([] {
    cromss::finish_objective_flags(c.config, c.strings);
    c.files.device = c.device == "cuda" ? cromss::Device::cuda(0) : cromss::Device::cpu();
    cromss::run_objective_file(c.files, c.config);
  });
}

}  // namespace

CROMSS_REGISTER_COMMAND(objective, setup_objective);
