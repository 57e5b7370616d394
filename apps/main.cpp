// Entry point of the cromss CLI: one binary, upstream's flag names, one subcommand per job.
#include <algorithm>
#include <cstdio>

#include "apps/pretrain_flags.h"
#include "apps/registry.h"
#include "core/device.h"
#include "core/error.h"
#include "core/version.h"

namespace cromss::app {

std::vector<CommandEntry>& mutable_commands() {
  static std::vector<CommandEntry> commands;
  return commands;
}

int register_command(const char* name, CommandSetup setup) {
  mutable_commands().push_back({name, setup});
  return 0;
}

const std::vector<CommandEntry>& registered_commands() {
  return mutable_commands();
}

}  // namespace cromss::app

int main(int argc, char** argv) {
  using namespace cromss;
  CLI::App root{
      "cromss: CromSS pretraining (cross-modal sample selection on noisy labels) in "
      "lean C++/CUDA.\nRun 'cromss <command> --help' for a command's flags."};
  root.set_version_flag(
      "--version", fmt::format("cromss {} ({}), CUDA backend: {}", CROMSS_VERSION, CROMSS_GIT_SHA,
                               built_with_cuda() ? "built" : "not built"));
  root.require_subcommand(1);
  auto commands = app::registered_commands();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& c : commands) c.setup(root);
  root.name("cromss");
  try {
    // Upstream's argparse accepts unique prefixes of long flags; so do pretrain, objective and
    // finetune.
    std::vector<std::string> args(argv + 1, argv + argc);
    for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
      if (!args.empty() && args[0] == sub->get_name() &&
          (args[0] == "pretrain" || args[0] == "objective" || args[0] == "finetune")) {
        std::vector<std::string> rest = app::expand_flag_abbreviations(
            *sub, std::vector<std::string>(args.begin() + 1, args.end()));
        rest.insert(rest.begin(), args[0]);
        args = std::move(rest);
      }
    }
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed argument vector
    root.parse(args);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  } catch (const cromss::Error& e) {
    std::fprintf(stderr, "cromss: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cromss: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
