// The op profiler's records (engine/op_profiler.h): counts and CPU times go straight into a
// per-name table; CUDA start/end event pairs wait in a list until stop() reads them. Timing events
// are pooled per device and reused across profiling runs, so a profiled step creates none once
// the pool is warm.
#include "engine/op_profiler.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include "core/cuda_api.h"

namespace cromss {

int64_t OpProfile::calls() const {
  return std::accumulate(rows.begin(), rows.end(), int64_t{0},
                         [](int64_t sum, const OpProfileRow& r) { return sum + r.calls; });
}

double OpProfile::total_ms() const {
  return std::accumulate(rows.begin(), rows.end(), 0.0,
                         [](double sum, const OpProfileRow& r) { return sum + r.total_ms; });
}

namespace op_profiler {
namespace detail {
std::atomic<bool> g_on{false};
}  // namespace detail

namespace {

struct Counts {
  int64_t calls = 0;
  double total_ms = 0;
};

struct PendingEvents {
  const char* name;
  int device;
  void* start;
  void* end;
};

struct Records {
  std::mutex mutex;
  OpProfiling mode = OpProfiling::off;
  std::unordered_map<const char*, Counts> by_name;  // keyed by the kernel table's name pointer
  std::vector<PendingEvents> pending;
  std::unordered_map<int, std::vector<void*>> free_events;  // per device

  void* take_event(int device) {
    std::vector<void*>& pool = free_events[device];
    if (pool.empty()) return cuda_api::timing_event_create(device);
    void* event = pool.back();
    pool.pop_back();
    return event;
  }
};

Records& records() {
  static auto* r = new Records();  // never destroyed: dispatches may run during static teardown
  return *r;
}

}  // namespace

void start(OpProfiling mode) {
  Records& r = records();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const PendingEvents& p : r.pending) {
    r.free_events[p.device].push_back(p.start);
    r.free_events[p.device].push_back(p.end);
  }
  r.pending.clear();
  r.by_name.clear();
  r.mode = mode;
  detail::g_on.store(mode != OpProfiling::off, std::memory_order_relaxed);
}

OpProfile stop() {
  Records& r = records();
  std::lock_guard<std::mutex> lock(r.mutex);
  detail::g_on.store(false, std::memory_order_relaxed);
  r.mode = OpProfiling::off;
  for (const PendingEvents& p : r.pending) {
    r.by_name[p.name].total_ms += cuda_api::event_elapsed_ms(p.start, p.end);
    r.free_events[p.device].push_back(p.start);
    r.free_events[p.device].push_back(p.end);
  }
  r.pending.clear();
  std::map<std::string, Counts> merged;  // names from different pointers to one string merge
  for (const auto& [name, counts] : r.by_name) {
    Counts& m = merged[name];
    m.calls += counts.calls;
    m.total_ms += counts.total_ms;
  }
  r.by_name.clear();
  OpProfile profile;
  for (const auto& [name, counts] : merged)
    profile.rows.push_back({name, counts.calls, counts.total_ms});
  std::stable_sort(profile.rows.begin(), profile.rows.end(),
                   [](const OpProfileRow& a, const OpProfileRow& b) {
                     return a.total_ms != b.total_ms ? a.total_ms > b.total_ms : a.calls > b.calls;
                   });
  return profile;
}

OpTimer begin(const char* name, const Context& ctx) {
  Records& r = records();
  std::lock_guard<std::mutex> lock(r.mutex);
  OpTimer timer{name, r.mode, nullptr, {}};
  if (r.mode == OpProfiling::off) return timer;
  ++r.by_name[name].calls;
  if (r.mode != OpProfiling::time) return timer;
  if (ctx.device().is_cuda()) {
    timer.start_event = r.take_event(ctx.index());
    cuda_api::event_record(timer.start_event, ctx.index(), ctx.current_stream());
  } else {
    timer.t0 = std::chrono::steady_clock::now();
  }
  return timer;
}

void end(const OpTimer& timer, const Context& ctx) {
  if (timer.mode != OpProfiling::time) return;
  const auto t1 = std::chrono::steady_clock::now();
  Records& r = records();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.mode != OpProfiling::time) {  // stopped meanwhile: drop this call
    if (timer.start_event != nullptr) r.free_events[ctx.index()].push_back(timer.start_event);
    return;
  }
  if (timer.start_event != nullptr) {
    void* end_event = r.take_event(ctx.index());
    cuda_api::event_record(end_event, ctx.index(), ctx.current_stream());
    r.pending.push_back({timer.name, ctx.index(), timer.start_event, end_event});
  } else {
    r.by_name[timer.name].total_ms +=
        std::chrono::duration<double, std::milli>(t1 - timer.t0).count();
  }
}

}  // namespace op_profiler
}  // namespace cromss
