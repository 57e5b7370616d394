// The one dispatch point of the engine: dispatch(kernels::<name>, device, args...) runs the
// kernel's entry for the device's backend (kernels/kernel_table.h) with the device's Context as
// the last argument. Ops, the optimizer, the loss scaler and the metrics all go through it, so no
// file above engine/ chooses between CPU and CUDA. A backend this build lacks (CUDA in a
// -DCROMSS_CUDA=OFF build) is a clear error naming the kernel. It is also where the optional op
// profiler (engine/op_profiler.h) counts and times ops, and where a CPU graph capture
// (core/graph_capture.h) records each call - entry, arguments by value, context - for replay
// instead of running it; both off, they cost one branch each.
#pragma once

#include <tuple>
#include <type_traits>
#include <utility>

#include "core/context.h"
#include "core/error.h"
#include "engine/op_profiler.h"
#include "kernels/kernel_table.h"

namespace cromss {

template <class Fn, class... Args>
void dispatch(const Kernel<Fn>& kernel, Device device, Args&&... args) {
  Fn* entry = device.is_cuda() ? kernel.cuda : kernel.cpu;
  if (entry == nullptr)
    CROMSS_THROW(CudaError, "{}: this cromss was built without CUDA (-DCROMSS_CUDA=OFF)",
                 kernel.name);
  Context& ctx = Context::get(device);
  if (Context::HostCalls* recording = ctx.host_recording()) [[unlikely]] {
    recording->push_back(
        [entry, &ctx, args = std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)]() {
          std::apply([&](const auto&... a) { entry(a..., ctx); }, args);
        });
    return;
  }
  if (op_profiler::on()) [[unlikely]] {
    const op_profiler::OpTimer timer = op_profiler::begin(kernel.name, ctx);
    entry(std::forward<Args>(args)..., ctx);
    op_profiler::end(timer, ctx);
    return;
  }
  entry(std::forward<Args>(args)..., ctx);
}

// The same for work reached through a table of its own rather than the kernel table (the CromSS
// objective's passes, kernels/cromss_objective.h): runs pass() under the op profiler's `name`,
// or records it in a CPU graph capture - so pass must hold its arguments by value.
template <class Pass>
void dispatch_pass(const char* name, Device device, Pass pass) {
  if (Context::HostCalls* recording = Context::get(device).host_recording()) [[unlikely]] {
    recording->push_back(std::move(pass));
    return;
  }
  op_profiler::profiled(name, device, pass);
}

}  // namespace cromss

// Legacy, for the CromSS objective until it runs through dispatch() (issue 10 item 3):
// CROMSS_ON_CUDA(expr) evaluates expr in a CUDA build and throws in a CPU-only build.
#if CROMSS_WITH_CUDA
#define CROMSS_ON_CUDA(...) __VA_ARGS__
#else
#define CROMSS_ON_CUDA(...) ::cromss::throw_no_cuda(__FILE__, __LINE__)
#endif
