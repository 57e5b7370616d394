// Subcommand registry of the cromss CLI. Each apps/cmd_<name>.cpp adds its subcommand (flags,
// help and callback) with CROMSS_REGISTER_COMMAND; main.cpp builds the CLI11 app from all of them
// in name order, so adding a command never touches another file.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace cromss::app {

using CommandSetup = void (*)(CLI::App& root);

struct CommandEntry {
  std::string name;
  CommandSetup setup;
};

int register_command(const char* name, CommandSetup setup);
const std::vector<CommandEntry>& registered_commands();

}  // namespace cromss::app

#define CROMSS_REGISTER_COMMAND(name, setup) \
  static const int cromss_registered_##name = ::cromss::app::register_command(#name, setup)
