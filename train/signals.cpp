// Stop flag set from signal handlers: a lock-free std::atomic<int>, the only thing a handler
// touches (async-signal-safe).
#include "train/signals.h"

#include <atomic>
#include <csignal>

namespace cromss {
namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stop{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "signal handlers need lock-free atomics");

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig, std::memory_order_relaxed);
  g_stop.store(true, std::memory_order_release);
}
}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads in the data loader resume after the signal
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGUSR1, &action, nullptr);
}

bool stop_requested() {
  return g_stop.load(std::memory_order_acquire);
}
int stop_signal() {
  return g_stop_signal.load(std::memory_order_relaxed);
}
void request_stop() {
  g_stop.store(true, std::memory_order_release);
}
void clear_stop_request() {
  g_stop.store(false, std::memory_order_release);
  g_stop_signal.store(0, std::memory_order_relaxed);
}

}  // namespace cromss
