// NCCL wrappers (see comm/nccl_comm.h).
#include "comm/nccl_comm.h"

#include <nccl.h>

#include <cstring>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/error.h"

#define NCCL_CHECK(call)                                                            \
  do {                                                                              \
    ncclResult_t status_ = (call);                                                  \
    if (status_ != ncclSuccess)                                                     \
      CROMSS_THROW(NcclError, "{} failed: {}", #call, ncclGetErrorString(status_)); \
  } while (0)

namespace cromss::nccl {

std::vector<char> unique_id() {
  ncclUniqueId id;
  NCCL_CHECK(ncclGetUniqueId(&id));
  std::vector<char> bytes(sizeof id.internal);
  std::memcpy(bytes.data(), id.internal, bytes.size());
  return bytes;
}

void* comm_init(const std::vector<char>& id_bytes, int world_size, int rank, int device) {
  ncclUniqueId id;
  CROMSS_CHECK(id_bytes.size() == sizeof id.internal, "NCCL unique id: expected {} bytes, got {}",
               sizeof id.internal, id_bytes.size());
  std::memcpy(id.internal, id_bytes.data(), id_bytes.size());
  CUDA_CHECK(cudaSetDevice(device));
  ncclComm_t comm = nullptr;
  NCCL_CHECK(ncclCommInitRank(&comm, world_size, id, rank));
  return comm;
}

void comm_destroy(void* comm) noexcept {
  if (comm == nullptr) return;
  ncclResult_t status = ncclCommDestroy(static_cast<ncclComm_t>(comm));
  if (status != ncclSuccess) log_destructor_error("ncclCommDestroy", ncclGetErrorString(status));
}

void allreduce_sum_f32(void* comm, float* data, int64_t n, int device, cuda_api::Stream stream) {
  if (n == 0) return;
  NCCL_CHECK(ncclAllReduce(data, data, static_cast<size_t>(n), ncclFloat32, ncclSum,
                           static_cast<ncclComm_t>(comm), stream_of(device, stream)));
}

void broadcast_bytes(void* comm, void* data, size_t bytes, int root, int device) {
  if (bytes == 0) return;
  NCCL_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, static_cast<ncclComm_t>(comm),
                           stream_of(device)));
}

}  // namespace cromss::nccl
