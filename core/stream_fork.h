// An event fork/join between a context's current stream and a side stream, so that independent
// work (the S1 and S2 branch forwards, models/segmentation_net.cpp) overlaps on the device:
//   StreamFork fork(ctx, Stream::branch);           // the side stream waits for the work so far
//   { StreamScope on_side(ctx, Stream::branch); ... }  // queued on the side stream
//   ...                                             // queued on the current stream meanwhile
//   fork.join();                                    // the current stream waits for the side's
// No host synchronisation. Memory freed on either side is safe to reuse through the caching
// allocator's stream contract (core/allocator.h). On a CPU context both are no-ops: the work
// runs in the order it is issued.
#pragma once

#include "core/context.h"

namespace cromss {

class StreamFork {
 public:
  StreamFork(Context& ctx, cuda_api::Stream side);
  ~StreamFork();  // joins when join() was not called (an exception left the scope)
  StreamFork(const StreamFork&) = delete;
  StreamFork& operator=(const StreamFork&) = delete;
  void join();

 private:
  Context& ctx_;
  cuda_api::Stream origin_;
  cuda_api::Stream side_;
  void* fork_event_ = nullptr;
  void* join_event_ = nullptr;
  bool joined_ = false;
};

}  // namespace cromss
