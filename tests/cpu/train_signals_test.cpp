// Stop signals: raise(SIGUSR1) and raise(SIGTERM) set the flag the training loop polls.
#include <gtest/gtest.h>

#include <csignal>

#include "train/signals.h"

namespace cromss {
namespace {

TEST(TrainSignals, UsrOneAndTermSetTheFlag) {
  install_stop_signal_handlers();
  for (int sig : {SIGUSR1, SIGTERM}) {
    clear_stop_request();
    EXPECT_FALSE(stop_requested());
    ASSERT_EQ(std::raise(sig), 0);
    EXPECT_TRUE(stop_requested());
    EXPECT_EQ(stop_signal(), sig);
  }
  clear_stop_request();
  request_stop();
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), 0);
  clear_stop_request();
}

}  // namespace
}  // namespace cromss
