// See train/slurm_requeue.h.
#include "train/slurm_requeue.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace cromss {

std::optional<std::string> slurm_job_to_requeue() {
  const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* array_task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array_job && *array_job && array_task && *array_task)
    return std::string(array_job) + "_" + array_task;
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job && *job) return std::string(job);
  return std::nullopt;
}

std::string requeue_slurm_job(const std::string& job) {
  std::string program = "scontrol", verb = "requeue", id = job;
  std::vector<char*> argv = {program.data(), verb.data(), id.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "scontrol", nullptr, nullptr, argv.data(), environ);
  if (rc != 0)
    return fmt::format("could not run `scontrol requeue {}`: {}; requeue the job by hand", job,
                       std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return fmt::format("requeued SLURM job {} (scontrol requeue {})", job, job);
  return fmt::format("`scontrol requeue {}` failed (exit status {}); requeue the job by hand", job,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

}  // namespace cromss
