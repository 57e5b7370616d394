// Thin NCCL wrappers for comm/distributed.cpp, compiled only in CUDA builds
// (comm/cuda/nccl_comm.cpp). Communicators are opaque pointers so this header needs no NCCL or
// CUDA headers; collectives run on one of the device's Context streams, the compute stream unless
// told otherwise (no host sync). Every NCCL status becomes an NcclError with the call and NCCL's
// message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cuda_api.h"

namespace cromss::nccl {

std::vector<char> unique_id();  // ncclGetUniqueId (rank 0), as bytes for an MPI broadcast
void* comm_init(const std::vector<char>& id, int world_size, int rank, int device);
void comm_destroy(void* comm) noexcept;
void allreduce_sum_f32(void* comm, float* data, int64_t n, int device,  // in place
                       cuda_api::Stream stream = cuda_api::Stream::compute);
void broadcast_bytes(void* comm, void* data, size_t bytes, int root, int device);  // in place

}  // namespace cromss::nccl
