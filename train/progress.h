// Training progress on stderr: on a terminal a single self-overwriting bar
//   epoch 3/200 [##########..........] 401/802 loss 0.8123 lr 5.00e-03 412.3 pairs/s ETA 00:16
// and otherwise (SLURM logs, pipes) one plain line every `plain_every` steps and at the end of
// the epoch, so log files stay readable. Rates come from a steady clock since the epoch began;
// the ETA is for the rest of this epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cromss {

class ProgressBar {
 public:
  // tty: -1 detects with isatty(fileno(out)), 0/1 force plain lines / the bar.
  explicit ProgressBar(std::FILE* out = stderr, int tty = -1, int64_t plain_every = 50);

  void start_epoch(int64_t epoch, int64_t epochs, int64_t steps_in_epoch);
  // After step `step` (1-based within the epoch); pairs = samples processed so far this epoch.
  void update(int64_t step, double loss, double lr, int64_t pairs);
  void finish_epoch(const std::string& summary = "");  // ends the bar line, prints the summary

  bool is_terminal() const { return tty_; }
  // "HH:MM:SS" or "MM:SS" for seconds >= 0.
  static std::string format_duration(double seconds);

 private:
  std::string line(int64_t step, double loss, double lr, int64_t pairs) const;

  std::FILE* out_;
  bool tty_;
  int64_t plain_every_;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0;
  int64_t last_step_ = 0;
  std::string last_line_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace cromss
