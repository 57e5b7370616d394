// SLURM requeue at a time limit (issue 11 item 7, docs/slurm.md): `#SBATCH --requeue` covers node
// failure and preemption only, so a job that ends at its time limit is not restarted by SLURM.
// As PyTorch Lightning's auto-requeue, after the SIGUSR1 checkpoint (`#SBATCH --signal=USR1@90`)
// the main rank runs `scontrol requeue <job>` itself, where <job> is
// ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} in a job array and ${SLURM_JOB_ID} otherwise;
// the requeued job continues with `--resume auto`. Only SIGUSR1 requeues: SIGTERM is what
// scancel and preemption send, and a cancelled job must stay cancelled.
#pragma once

#include <optional>
#include <string>

namespace cromss {

// The job id to requeue from the environment; nullopt outside a SLURM job.
std::optional<std::string> slurm_job_to_requeue();

// Runs `scontrol requeue <job>` (scontrol from PATH) and waits for it. Returns a line for the log:
// what ran and whether it succeeded (a failure is reported, not thrown: the checkpoint is safe).
std::string requeue_slurm_job(const std::string& job);

}  // namespace cromss
