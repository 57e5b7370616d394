// Optional per-op-type profiler at the engine's one dispatch point (engine/dispatch.h), for
// `cromss bench --profile_ops`. While on, every dispatch is counted under its kernel's name
// (CROMSS_KERNEL) and, in timing mode, timed: on the CPU with a steady clock around the call, on
// CUDA with a pair of timing events recorded on the op's stream (the context's current stream)
// before and after it. The CUDA events are read only in op_profiler::stop(), after the measured
// steps, so profiling adds no host sync inside a step; it does add two event records per
// dispatch, so a profiled step is slower than an unprofiled one (`cromss bench` times its steps
// first and profiles extra steps after them).
//
// What is counted: dispatches, i.e. kernel-table calls, and the CromSS objective's passes
// (op_profiler::profiled, named objective_*). On CUDA one dispatch may launch several
// kernels, or call cuDNN/cuBLASLt, which launch their own; counting those launches needs CUPTI,
// which this build does not use. What a CUDA time means: the device time from the start event to
// the end event on the op's stream - the op's kernels plus any wait for the host to launch them
// when the device runs ahead of the host. Ops on different streams overlap, so their times can add
// up to more than the step.
//
// Off by default; when off, dispatch() pays one branch on a relaxed atomic flag. Thread-safe while
// on (a mutex guards the records); start() and stop() are meant for one driving thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/context.h"

namespace cromss {

enum class OpProfiling { off, count, time };

struct OpProfileRow {
  std::string op;  // the kernel's name
  int64_t calls = 0;
  double total_ms = 0;  // 0 in count mode
};

struct OpProfile {
  std::vector<OpProfileRow> rows;  // by total_ms, then calls, descending; then by name
  int64_t calls() const;
  double total_ms() const;
};

namespace op_profiler {

namespace detail {
extern std::atomic<bool> g_on;
}  // namespace detail

inline bool on() {
  return detail::g_on.load(std::memory_order_relaxed);
}

// Starts recording in `mode` (count or time), discarding earlier records.
void start(OpProfiling mode);
// Stops recording and returns what was recorded since start() (on CUDA it waits for the recorded
// events first); empty when the profiler was not started.
OpProfile stop();

// For dispatch(): begin() before the kernel entry, end() after it.
struct OpTimer {
  const char* name = nullptr;
  OpProfiling mode = OpProfiling::off;
  void* start_event = nullptr;
  std::chrono::steady_clock::time_point t0;
};
OpTimer begin(const char* name, const Context& ctx);
void end(const OpTimer& timer, const Context& ctx);

// Runs `pass` as one op named `name`: for passes that reach their kernels through a backend
// table of their own rather than dispatch() (the CromSS objective, kernels/cromss_objective.h).
// Off, one branch.
template <class Pass>
void profiled(const char* name, Device device, Pass&& pass) {
  if (!on()) {
    pass();
    return;
  }
  const Context& ctx = Context::get(device);
  const OpTimer timer = begin(name, ctx);
  pass();
  end(timer, ctx);
}

}  // namespace op_profiler
}  // namespace cromss
