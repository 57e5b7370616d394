// See train/run_dir_lock.h.
#include "train/run_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace cromss {

RunDirLock::RunDirLock(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    CROMSS_THROW(IoError, "{}: cannot open the run directory's lock file: {}", path,
                 std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      CROMSS_THROW(IoError,
                   "run directory {} is in use by another cromss process (PID {}, lock {}); "
                   "wait for it to finish or give this run another --run_dir/--save_dir",
                   run_dir, n > 0 ? std::string(holder, static_cast<size_t>(n)) : "unknown", path);
    CROMSS_THROW(IoError, "{}: cannot lock the run directory: {}", path, std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    ::close(fd_);
    fd_ = -1;
    CROMSS_THROW(IoError, "{}: cannot write the PID: {}", path, std::strerror(errno));
  }
}

RunDirLock::~RunDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cromss
