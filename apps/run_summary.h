// What `cromss pretrain` and `cromss finetune` print when a run ends: how it ended, and where its
// run directory, last checkpoint and metrics are. `Result` is PretrainResult or FinetuneResult
// (same fields); a rank without a checkpoint (not the writer) prints nothing.
#pragma once

#include <cstdio>

namespace cromss {

template <class Result>
bool print_run_summary(const Result& r) {
  if (r.last_checkpoint.empty()) return false;
  std::printf("%s after %lld optimizer steps (%lld epochs done)\n",
              r.stopped ? "stopped" : "finished", static_cast<long long>(r.step),
              static_cast<long long>(r.epochs_done));
  std::printf("run directory: %s\n", r.run_dir.c_str());
  std::printf("  checkpoint:  %s\n", r.last_checkpoint.c_str());
  std::printf("  metrics:     %s/metrics.csv (and metrics.jsonl)\n", r.run_dir.c_str());
  return true;
}

}  // namespace cromss
