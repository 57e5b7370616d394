// The one place that picks the CPU or CUDA backend of the objective passes
// (kernels/cromss_objective.h).
#include "kernels/cromss_objective.h"

#include "engine/dispatch.h"

namespace cromss {

const ObjectiveBackend& objective_backend(Device device) {
  if (device.is_cuda()) {
    CROMSS_ON_CUDA(return cuda_kernels::kObjectiveBackend);
  }
  return cpu_kernels::kObjectiveBackend;
}

}  // namespace cromss
