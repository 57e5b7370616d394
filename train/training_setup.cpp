// See train/training_setup.h.
#include "train/training_setup.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/conv_bn_fusion.h"
#include "core/determinism.h"
#include "core/error.h"
#include "train/run_dir.h"

namespace cromss {

ComputeSetup setup_compute(const ComputeFlags& flags, const Distributed& dist,
                           const char* command) {
  set_deterministic_algorithms(flags.deterministic);
  set_conv_bn_fusion(flags.conv_bn_fusion);
  bool fell_back = false;
  ComputeSetup s;
  s.device = Device::parse(resolve_device(flags, cuda_device_count(), &fell_back));
  if (fell_back && dist.is_main())
    std::fprintf(stderr,
                 "%s: note: --accelerator gpu but no GPU visible; using the CPU (as upstream)\n",
                 command);
  if (dist.active()) s.device = device_for_local_rank(s.device, dist.local_rank());
  s.precision = resolve_precision(flags, s.device);
  s.compute = compute_dtype(s.precision);
  return s;
}

void prepare_fresh_run_dir(const std::string& run_dir, bool fresh, bool overwrite,
                           const std::string& resume, const char* command) {
  CROMSS_CHECK(fresh || !overwrite,
               "--overwrite: contradicts --resume {} (overwrite starts the run over; resume "
               "continues it)",
               resume);
  if (!fresh) return;
  const std::filesystem::path checkpoints = std::filesystem::path(run_dir) / "checkpoints";
  std::vector<std::filesystem::path> found;
  if (std::filesystem::is_directory(checkpoints))
    for (const auto& e : std::filesystem::directory_iterator(checkpoints))
      if (e.path().extension() == ".h5") found.push_back(e.path());
  if (found.empty()) return;
  std::string names;
  for (const auto& f : found) names += (names.empty() ? "" : ", ") + f.filename().string();
  if (!overwrite)
    CROMSS_THROW(IoError,
                 "run directory {} already holds checkpoints ({}): pass --resume auto to "
                 "continue that run, or --overwrite to delete them and start over",
                 run_dir, names);
  std::fprintf(stderr, "%s: --overwrite: deleting %s and the run's metrics in %s\n", command,
               names.c_str(), run_dir.c_str());
  for (const auto& f : found) std::filesystem::remove(f);
  for (const char* name : {"metrics.jsonl", "metrics.csv"})
    std::filesystem::remove(std::filesystem::path(run_dir) / name);
}

std::string resolve_resume_checkpoint(const std::string& resume, const std::string& run_dir,
                                      bool is_main, const char* command) {
  if (resume != "auto") return resume;
  const ResumeSearch found = search_resume_checkpoint(run_dir);
  if (is_main)
    for (const auto& why : found.rejected)
      std::fprintf(stderr, "%s: --resume auto: skipping a damaged checkpoint: %s\n", command,
                   why.c_str());
  if (!found.path && !found.rejected.empty())
    CROMSS_THROW(IoError,
                 "--resume auto: {} holds checkpoints but none is readable (see above); restore "
                 "one, or pass --overwrite without --resume to start the run over",
                 (std::filesystem::path(run_dir) / "checkpoints").string());
  if (is_main)
    std::fprintf(stderr, "%s: --resume auto: %s%s\n", command,
                 found.path && !found.rejected.empty() ? "falling back to " : "",
                 found.path ? found.path->c_str() : "no checkpoint yet, starting fresh");
  return found.path.value_or("");
}

}  // namespace cromss
