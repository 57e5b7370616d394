// Capture a stretch of device work once, replay it many times (issue 13 item 5; the why and the
// limits are in docs/performance.md "CUDA graphs").
//
//   CapturedGraph g = CapturedGraph::capture(ctx, [&] { step(); });  // nothing runs yet
//   for (...) { write the inputs; g.replay(); read the outputs; }
//
// On a CUDA device the compute stream is captured into a CUDA graph (thread-local capture mode)
// and replay() launches it. On the CPU, engine/dispatch.h records every kernel call - entry,
// arguments by value, context - instead of running it, and replay() runs the list. The contract
// is the same on both, which is the point: the work runs only on replay, with the addresses and
// scalar arguments seen during the capture, and the host code of the body does not run again.
// So a CPU test of a captured training step checks what a GPU replay relies on: that the step
// reads its inputs from fixed buffers, takes its per-step values from device memory, and makes
// no decision on the host from data it computed.
//
// Memory the body allocates comes from a private pool of the device's allocator
// (core/allocator.h "Private pools"), which the graph keeps until it is destroyed: replays write
// to those addresses. Tensors created in the body and kept by the caller (the step's outputs)
// therefore keep their addresses, and a replay refreshes their contents.
// Host work that belongs to the step (a counter kept on the host, like BatchNorm's
// num_batches_tracked) goes through run_host_task(), which makes it part of the graph.
// The body must not synchronise with the host, read device data on the host, or run lazy
// per-device setup (cuDNN algorithm search, attribute queries): run one step eagerly first (the
// warm-up) and capture the second.
#pragma once

#include <functional>

#include "core/context.h"

namespace cromss {

class CapturedGraph {
 public:
  CapturedGraph() = default;
  static CapturedGraph capture(Context& ctx, const std::function<void()>& body);
  CapturedGraph(CapturedGraph&& other) noexcept;
  CapturedGraph& operator=(CapturedGraph&& other) noexcept;
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;
  ~CapturedGraph();  // waits for the last replay, then releases the private pool

  bool captured() const { return ctx_ != nullptr; }
  void replay();
  size_t host_calls() const { return host_calls_.size(); }  // recorded (CPU) / host tasks

 private:
  void reset() noexcept;

  Context* ctx_ = nullptr;
  int pool_ = -1;
  void* graph_exec_ = nullptr;     // CUDA
  Context::HostCalls host_calls_;  // CPU: every call; CUDA: the host nodes' tasks
};

// Runs task now, or inside a capture makes it part of the graph: it then runs at every replay,
// in stream order (a host node of the CUDA graph; a recorded call on the CPU). task must hold
// its state by value or point to memory that outlives the graph, and must not call CUDA.
void run_host_task(Context& ctx, std::function<void()> task);

}  // namespace cromss
