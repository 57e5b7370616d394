// The one place that picks the CPU or CUDA backend of the objective passes
// (kernels/cromss_objective.h).
#include "kernels/cromss_objective.h"

#include "core/error.h"

namespace cromss {

const ObjectiveBackend& objective_backend(Device device) {
  if (device.is_cuda()) {
#if CROMSS_WITH_CUDA
    return cuda_kernels::kObjectiveBackend;
#else
    throw_no_cuda(__FILE__, __LINE__);
#endif
  }
  return cpu_kernels::kObjectiveBackend;
}

}  // namespace cromss
