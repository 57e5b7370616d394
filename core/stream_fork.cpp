// Event fork/join between two streams of a context (see stream_fork.h).
#include "core/stream_fork.h"

#include "core/error.h"

namespace cromss {

StreamFork::StreamFork(Context& ctx, cuda_api::Stream side)
    : ctx_(ctx), origin_(ctx.current_stream()), side_(side) {
  CROMSS_CHECK(side != origin_, "StreamFork: the side stream must differ from the current one");
  if (ctx_.device().is_cpu()) return;
  const int device = ctx_.index();
  fork_event_ = cuda_api::event_create(device);
  join_event_ = cuda_api::event_create(device);
  cuda_api::event_record(fork_event_, device, origin_);
  cuda_api::stream_wait_event(device, side_, fork_event_);
}

void StreamFork::join() {
  joined_ = true;
  if (ctx_.device().is_cpu()) return;
  const int device = ctx_.index();
  cuda_api::event_record(join_event_, device, side_);
  cuda_api::stream_wait_event(device, origin_, join_event_);
}

StreamFork::~StreamFork() {
  try {
    if (!joined_) join();
  } catch (const std::exception& e) {
    log_destructor_error("StreamFork::~StreamFork", e.what());
  }
  // Destroying a recorded event is safe: its resources are freed once the device has passed it.
  if (fork_event_) cuda_api::event_destroy(fork_event_);
  if (join_event_) cuda_api::event_destroy(join_event_);
}

}  // namespace cromss
