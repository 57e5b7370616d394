// ProgressBar (see progress.h).
#include "train/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

namespace cromss {

ProgressBar::ProgressBar(std::FILE* out, int tty, int64_t plain_every)
    : out_(out),
      tty_(tty < 0 ? isatty(fileno(out)) != 0 : tty != 0),
      plain_every_(std::max<int64_t>(1, plain_every)) {}

std::string ProgressBar::format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

void ProgressBar::start_epoch(int64_t epoch, int64_t epochs, int64_t steps_in_epoch) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps_in_epoch;
  last_step_ = 0;
  last_line_.clear();
  start_ = std::chrono::steady_clock::now();
}

std::string ProgressBar::line(int64_t step, double loss, double lr, int64_t pairs) const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(pairs) / elapsed : 0.0;
  const double eta = step > 0 ? elapsed / static_cast<double>(step) *
                                    static_cast<double>(std::max<int64_t>(0, steps_ - step))
                              : 0.0;
  std::string bar;
  if (tty_) {
    constexpr int kWidth = 20;
    const int64_t filled = steps_ > 0 ? std::min<int64_t>(kWidth, step * kWidth / steps_) : 0;
    bar = fmt::format("[{:#<{}}{:.<{}}] ", "", filled, "", kWidth - filled);
  }
  return fmt::format("epoch {}/{} {}{}/{} loss {:.4f} lr {:.2e} {:.1f} pairs/s ETA {}", epoch_,
                     epochs_, bar, step, steps_, loss, lr, rate, format_duration(eta));
}

void ProgressBar::update(int64_t step, double loss, double lr, int64_t pairs) {
  last_step_ = step;
  last_line_ = line(step, loss, lr, pairs);
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K", last_line_.c_str());
    std::fflush(out_);
  } else if (step % plain_every_ == 0 || step == steps_) {
    std::fprintf(out_, "%s\n", last_line_.c_str());
    std::fflush(out_);
  }
}

void ProgressBar::finish_epoch(const std::string& summary) {
  if (tty_ && !last_line_.empty()) std::fprintf(out_, "\n");
  if (!summary.empty()) std::fprintf(out_, "%s\n", summary.c_str());
  std::fflush(out_);
}

}  // namespace cromss
