// Progress output: plain lines (not a terminal) every N steps and at the end, the bar form, and
// duration formatting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "train/progress.h"

namespace cromss {
namespace {

std::string captured(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(TrainProgress, PlainLines) {
  std::FILE* f = std::tmpfile();
  ProgressBar bar(f, 0, 2);
  EXPECT_FALSE(bar.is_terminal());
  bar.start_epoch(1, 10, 5);
  for (int s = 1; s <= 5; ++s) bar.update(s, 0.5, 5e-3, s * 4);
  bar.finish_epoch("epoch 1 done");
  const std::string out = captured(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4);  // steps 2, 4, 5 and the summary
  EXPECT_NE(out.find("epoch 1/10 2/5 loss 0.5000 lr 5.00e-03"), std::string::npos) << out;
  EXPECT_NE(out.find("pairs/s ETA"), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
}

TEST(TrainProgress, TerminalBar) {
  std::FILE* f = std::tmpfile();
  ProgressBar bar(f, 1);
  bar.start_epoch(0, 2, 4);
  bar.update(2, 1.0, 1e-3, 8);
  bar.finish_epoch();
  const std::string out = captured(f);
  std::fclose(f);
  EXPECT_NE(out.find("\repoch 0/2 [##########..........] 2/4"), std::string::npos) << out;
}

TEST(TrainProgress, Durations) {
  EXPECT_EQ(ProgressBar::format_duration(0), "00:00");
  EXPECT_EQ(ProgressBar::format_duration(75), "01:15");
  EXPECT_EQ(ProgressBar::format_duration(3725), "01:02:05");
}

}  // namespace
}  // namespace cromss
