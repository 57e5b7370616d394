// The one dispatch point of the engine: dispatch(kernels::<name>, device, args...) runs the
// kernel's entry for the device's backend (kernels/kernel_table.h) with the device's Context as
// the last argument. Ops, the optimizer, the loss scaler and the metrics all go through it, so no
// file above engine/ chooses between CPU and CUDA. A backend this build lacks (CUDA in a
// -DCROMSS_CUDA=OFF build) is a clear error naming the kernel. It is also where the optional op
// profiler (engine/op_profiler.h) counts and times ops; off, it costs one branch.
#pragma once

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
  if (op_profiler::on()) [[unlikely]] {
    const op_profiler::OpTimer timer = op_profiler::begin(kernel.name, ctx);
    entry(std::forward<Args>(args)..., ctx);
    op_profiler::end(timer, ctx);
    return;
  }
  entry(std::forward<Args>(args)..., ctx);
}

}  // namespace cromss

// Legacy, for the CromSS objective until it runs through dispatch() (issue 10 item 3):
// CROMSS_ON_CUDA(expr) evaluates expr in a CUDA build and throws in a CPU-only build.
#if CROMSS_WITH_CUDA
#define CROMSS_ON_CUDA(...) __VA_ARGS__
#else
#define CROMSS_ON_CUDA(...) ::cromss::throw_no_cuda(__FILE__, __LINE__)
#endif
