// Shared by the two files of the CUDA objective backend (kernels/cuda/cromss_objective.cu and
// kernels/cuda/cromss_threshold.cu): the thresholds pass of the backend table and device scratch
// from the caching allocator, returned on scope exit (also on an exception; stream-ordered reuse).
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "kernels/cromss_objective.h"

namespace cromss::cuda_kernels {

void class_thresholds_pass(const ObjectiveArrays& a, int branch, double ratio, CrossRankSum* ranks);

class DeviceScratch {
 public:
  DeviceScratch(size_t bytes, int device)
      : bytes_(bytes), device_(device), ptr_(allocator_for(Device::cuda(device)).allocate(bytes)) {}
  ~DeviceScratch() { allocator_for(Device::cuda(device_)).deallocate(ptr_, bytes_); }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  size_t bytes_;
  int device_;
  void* ptr_;
};

}  // namespace cromss::cuda_kernels
