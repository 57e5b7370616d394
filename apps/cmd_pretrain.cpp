// `cromss pretrain`: CromSS pretraining (issue 6) with upstream's flags (apps/pretrain_flags.h,
// docs/flags.md) plus engine-only options: --max_steps N (stop like on preemption after N
// optimizer steps in total, writing last.h5), --run_dir DIR (write there instead of upstream's
// <save_dir>/<unet_type>/<job_type>/<run_tag>), --no-entangle (the selection-without-entangling
// ablation of tools/method_experiment.sh) and the reliability options of docs/reliability.md
// (--overwrite, --allow_nonfinite, --upstream_drop_last, --no-slurm_requeue). SIGTERM/SIGUSR1
// finish the current step, write last.h5 and exit 0 (train/signals.h); `--resume auto` picks it
// up. Under SLURM a SIGUSR1 stop also requeues the job (train/slurm_requeue.h).
#include <csignal>
#include <cstdio>
#include <memory>

#include "apps/pretrain_flags.h"
#include "apps/registry.h"
#include "apps/run_summary.h"
#include "core/error.h"
#include "train/pretrain_loop.h"
#include "train/signals.h"
#include "train/slurm_requeue.h"

namespace cromss {
namespace {

struct PretrainCommand {
  PretrainConfig config;
  PretrainRunOptions run;
  bool slurm_requeue = true;
};

void setup_pretrain(CLI::App& root) {
  auto c = std::make_shared<PretrainCommand>();
  auto* cmd = root.add_subcommand("pretrain", "CromSS pretraining on SSL4EO-S12@NoL LMDBs");
  app::add_pretrain_flags(*cmd, c->config);
  cmd->add_option("--max_steps", c->run.max_steps,
                  "Stop after this many optimizer steps in total, writing checkpoints/last.h5 "
                  "(0: no limit; engine option for tests and short runs)")
      ->capture_default_str();
  cmd->add_option("--run_dir", c->run.run_dir,
                  "Write the run here instead of <save_dir>/<unet_type>/<job_type>/<run_tag>");
  cmd->add_flag("!--no-entangle", c->run.entangle,
                "Selection without cross-modal entangling of the confidences (ablation; not an "
                "upstream option)");
  cmd->add_flag("--overwrite", c->run.overwrite,
                "Start over in a run directory that holds checkpoints, deleting them and its "
                "metrics (without it such a run is refused; --resume auto continues it)");
  cmd->add_flag("--allow_nonfinite", c->run.allow_nonfinite,
                "Load a --resume checkpoint even if it holds NaN/Inf values");
  cmd->add_flag("--upstream_drop_last", c->run.upstream_drop_last,
                "Validate on whole --test_batch_size batches only, as upstream (default: every "
                "held-out sample, the last partial batch included)");
  cmd->add_flag("--slurm_requeue,!--no-slurm_requeue", c->slurm_requeue,
                "Under SLURM, requeue the job (scontrol requeue) after the SIGUSR1 checkpoint "
                "(default on)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->callback([c] {
    c->config.validate();
    CROMSS_CHECK(c->run.max_steps >= 0, "--max_steps: expected >= 0 (0: no limit), got {}",
                 c->run.max_steps);
    install_stop_signal_handlers();
    const PretrainResult r = run_pretrain(c->config, c->run);
    if (!print_run_summary(r)) return;
    std::printf("  params:      %s/params.txt\n", r.run_dir.c_str());
    std::printf("  pictures:    %s/pictures/\n", r.run_dir.c_str());
    if (r.stopped && stop_signal() == SIGUSR1 && c->slurm_requeue && c->config.slurm) {
      if (const auto job = slurm_job_to_requeue())
        std::fprintf(stderr, "cromss pretrain: %s\n", requeue_slurm_job(*job).c_str());
    }
  });
}

}  // namespace
}  // namespace cromss

CROMSS_REGISTER_COMMAND(pretrain, cromss::setup_pretrain);
