// One writer per run directory (issue 11 item 3, docs/reliability.md): the main rank of
// `cromss pretrain` holds an exclusive flock(2) on <run_dir>/.lock for its whole life and writes
// its PID there. A second process on the same directory (two jobs whose flags map to the same
// run folder, a job started twice) fails at once with an IoError naming the directory and the
// holder's PID instead of replacing the first one's checkpoints and interleaving its metrics.
// The kernel drops the lock when the process ends in any way (SIGKILL included), so a stale
// .lock file never blocks a later run. flock works on local file systems and on Lustre/GPFS
// mounted with flock support; where the file system rejects flock the lock is an error too.
#pragma once

#include <string>

namespace cromss {

class RunDirLock {
 public:
  explicit RunDirLock(const std::string& run_dir);  // the directory must exist
  ~RunDirLock();
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cromss
