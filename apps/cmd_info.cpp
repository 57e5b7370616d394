// `cromss info`: what this build is and which devices it sees.
#include <cstdio>

#include "apps/registry.h"
#include "core/allocator.h"
#include "core/device.h"
#include "core/version.h"

namespace {

void setup_info(CLI::App& root) {
  auto* cmd = root.add_subcommand("info", "Print the build configuration and visible devices");
  cmd->callback([] {
    std::printf("cromss %s (%s)\n", CROMSS_VERSION, CROMSS_GIT_SHA);
    std::printf("CUDA backend: %s\n", cromss::built_with_cuda() ? "built" : "not built");
    std::printf("CUDA devices: %d\n", cromss::cuda_device_count());
  });
}

}  // namespace

CROMSS_REGISTER_COMMAND(info, setup_info);
