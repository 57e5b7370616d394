// CapturedGraph: a CUDA graph of the compute stream, or the CPU's recorded kernel calls, with
// the private allocator pool that backs them (see graph_capture.h).
#include "core/graph_capture.h"

#include <utility>

#include "core/allocator.h"
#include "core/cuda_api.h"
#include "core/error.h"

namespace cromss {

CapturedGraph CapturedGraph::capture(Context& ctx, const std::function<void()>& body) {
  CROMSS_CHECK(ctx.current_stream() == cuda_api::Stream::compute,
               "graph capture must start on the compute stream");
  CROMSS_CHECK(!ctx.capturing(), "graph capture: a capture is already running");
  CapturedGraph g;
  Allocator& allocator = allocator_for(ctx.device());
  g.ctx_ = &ctx;
  g.pool_ = allocator.begin_private_pool();
  const bool on_cuda = ctx.device().is_cuda();
  try {
    if (on_cuda) cuda_api::stream_begin_capture(ctx.index(), cuda_api::Stream::compute);
    ctx.capture_calls_ = &g.host_calls_;
    try {
      body();
    } catch (...) {
      if (on_cuda)  // end the broken capture so the stream is usable again
        cuda_api::graph_destroy(
            cuda_api::stream_end_capture(ctx.index(), cuda_api::Stream::compute));
      throw;
    }
    if (on_cuda)
      g.graph_exec_ = cuda_api::stream_end_capture(ctx.index(), cuda_api::Stream::compute);
  } catch (...) {
    ctx.capture_calls_ = nullptr;
    allocator.end_private_pool();
    throw;  // g's destructor releases the pool
  }
  ctx.capture_calls_ = nullptr;
  allocator.end_private_pool();
  return g;
}

namespace {
void run_function(void* task) {
  (*static_cast<std::function<void()>*>(task))();
}
}  // namespace

void run_host_task(Context& ctx, std::function<void()> task) {
  if (!ctx.capturing()) {
    task();
    return;
  }
  ctx.capture_calls_->push_back(std::move(task));
  if (ctx.device().is_cuda())
    cuda_api::launch_host_func(ctx.index(), ctx.current_stream(), &run_function,
                               &ctx.capture_calls_->back());
}

void CapturedGraph::replay() {
  CROMSS_CHECK(captured(), "replay() of a graph that was never captured");
  if (graph_exec_ != nullptr) {
    cuda_api::graph_launch(graph_exec_, ctx_->index(), ctx_->current_stream());
    return;
  }
  for (const auto& call : host_calls_) call();
}

CapturedGraph::CapturedGraph(CapturedGraph&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      pool_(std::exchange(other.pool_, -1)),
      graph_exec_(std::exchange(other.graph_exec_, nullptr)),
      host_calls_(std::move(other.host_calls_)) {}

CapturedGraph& CapturedGraph::operator=(CapturedGraph&& other) noexcept {
  if (this != &other) {
    reset();
    ctx_ = std::exchange(other.ctx_, nullptr);
    pool_ = std::exchange(other.pool_, -1);
    graph_exec_ = std::exchange(other.graph_exec_, nullptr);
    host_calls_ = std::move(other.host_calls_);
  }
  return *this;
}

CapturedGraph::~CapturedGraph() {
  reset();
}

void CapturedGraph::reset() noexcept {
  if (ctx_ == nullptr) return;
  try {
    if (graph_exec_ != nullptr) ctx_->synchronize();  // no replay may still use the pool
  } catch (const std::exception& e) {
    log_destructor_error("CapturedGraph", e.what());
  }
  cuda_api::graph_destroy(graph_exec_);
  host_calls_.clear();
  allocator_for(ctx_->device()).release_private_pool(pool_);
  ctx_ = nullptr;
  pool_ = -1;
  graph_exec_ = nullptr;
}

}  // namespace cromss
