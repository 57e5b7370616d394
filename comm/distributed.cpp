// Distributed: launcher detection, MPI lifetime, MPI/NCCL collectives, gradient buckets.
#include "comm/distributed.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "comm/nccl_comm.h"
#include "core/cuda_api.h"
#include "engine/dispatch.h"
#include "kernels/elementwise.h"

namespace cromss {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

int env_int(const char* name) {
  const char* v = env(name);
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  CROMSS_CHECK(end != v && *end == '\0' && x >= 0 && x <= std::numeric_limits<int>::max(),
               "environment variable {}='{}': expected a non-negative integer", name, v);
  return static_cast<int>(x);
}

void mpi_check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(status, msg, &len);
  CROMSS_THROW(MpiError, "{} failed: {}", call, std::string(msg, len));
}
#define MPI_CHECK(call) mpi_check((call), #call)

// MPI counts are int: large buffers go in chunks.
constexpr int64_t kMpiChunk = int64_t{1} << 30;

}  // namespace

ProcessInfo detect_process_info() {
  ProcessInfo p;
  if (env("OMPI_COMM_WORLD_SIZE") != nullptr) {
    p.launcher = "mpirun";
    p.world_size = env_int("OMPI_COMM_WORLD_SIZE");
    p.rank = env_int("OMPI_COMM_WORLD_RANK");
    p.local_rank = env("OMPI_COMM_WORLD_LOCAL_RANK") ? env_int("OMPI_COMM_WORLD_LOCAL_RANK") : 0;
  } else if (env("SLURM_PROCID") != nullptr &&
             (env("SLURM_STEP_NUM_TASKS") != nullptr || env("SLURM_NTASKS") != nullptr)) {
    p.launcher = "slurm";
    p.rank = env_int("SLURM_PROCID");
    p.world_size =
        env("SLURM_STEP_NUM_TASKS") ? env_int("SLURM_STEP_NUM_TASKS") : env_int("SLURM_NTASKS");
    p.local_rank = env("SLURM_LOCALID") ? env_int("SLURM_LOCALID") : 0;
  }
  CROMSS_CHECK(p.world_size >= 1 && p.rank < p.world_size,
               "launcher {}: rank {} is not below the world size {}", p.launcher, p.rank,
               p.world_size);
  return p;
}

Distributed::Distributed(const ProcessInfo& info) : info_(info) {
  if (info_.world_size == 1 && info_.launcher != "mpirun") return;
  int initialized = 0;
  MPI_CHECK(MPI_Initialized(&initialized));
  if (!initialized) {
    int provided = 0;
    MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
    owns_mpi_ = true;
  }
  int rank = 0, size = 0;
  MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
  if (rank != info_.rank || size != info_.world_size)
    CROMSS_THROW(MpiError,
                 "MPI reports rank {} of {} but the {} environment says rank {} of {} (is the "
                 "program launched by the same MPI it was built with?)",
                 rank, size, info_.launcher, info_.rank, info_.world_size);
}

Distributed::~Distributed() {
#if CROMSS_WITH_CUDA
  nccl::comm_destroy(nccl_comm_);
#endif
  if (owns_mpi_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && MPI_Finalize() != MPI_SUCCESS)
      log_destructor_error("~Distributed", "MPI_Finalize failed");
  }
}

void* Distributed::nccl_comm(int device) {
  if (nccl_comm_ != nullptr) {
    CROMSS_CHECK(device == nccl_device_,
                 "Distributed: the NCCL communicator belongs to cuda:{}, got a buffer on cuda:{}",
                 nccl_device_, device);
    return nccl_comm_;
  }
  std::vector<char> id(128);
  CROMSS_ON_CUDA(if (info_.rank == 0) id = nccl::unique_id());
  MPI_CHECK(MPI_Bcast(id.data(), static_cast<int>(id.size()), MPI_BYTE, 0, MPI_COMM_WORLD));
  CROMSS_ON_CUDA(nccl_comm_ = nccl::comm_init(id, info_.world_size, info_.rank, device));
  nccl_device_ = device;
  return nccl_comm_;
}

void Distributed::allreduce_sum(const Tensor& flat) {
  CROMSS_CHECK(flat.dtype() == DType::f32 && flat.is_contiguous(),
               "Distributed::allreduce: expected a contiguous f32 buffer, got {}", flat.str());
  if (!active()) return;
  if (flat.device().is_cpu()) {
    std::vector<MPI_Request> requests;
    start_allreduce_sum(flat.data<float>(), flat.numel(), requests);
    MPI_CHECK(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
  } else {
    CROMSS_ON_CUDA(nccl::allreduce_sum_f32(nccl_comm(flat.device().index), flat.data<float>(),
                                           flat.numel(), flat.device().index));
  }
}

void Distributed::allreduce_mean(const Tensor& flat) {
  allreduce_sum(flat);
  if (!active() || flat.numel() == 0) return;
  const double inv = 1.0 / info_.world_size;
  dispatch(kernels::scale, flat.device(), flat.raw_data(), inv, flat.raw_data(), DType::f32,
           flat.numel());
}

void Distributed::start_allreduce_sum(float* data, int64_t n, std::vector<MPI_Request>& requests) {
  for (int64_t begin = 0; begin < n; begin += kMpiChunk) {
    const int count = static_cast<int>(std::min(kMpiChunk, n - begin));
    MPI_Request r;
    MPI_CHECK(
        MPI_Iallreduce(MPI_IN_PLACE, data + begin, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r));
    requests.push_back(r);
  }
}

void Distributed::allreduce_sum_on_comm_stream(const Tensor& flat) {
  CROMSS_CHECK(flat.dtype() == DType::f32 && flat.is_contiguous() && flat.device().is_cuda(),
               "Distributed::allreduce_sum_on_comm_stream: expected a contiguous f32 CUDA "
               "buffer, got {}",
               flat.str());
  if (!active()) return;
  CROMSS_ON_CUDA(nccl::allreduce_sum_f32(nccl_comm(flat.device().index), flat.data<float>(),
                                         flat.numel(), flat.device().index,
                                         cuda_api::Stream::comm));
}

void Distributed::broadcast(const Tensor& buffer, int root) {
  CROMSS_CHECK(buffer.is_contiguous(),
               "Distributed::broadcast: expected a contiguous buffer, got {}", buffer.str());
  if (!active()) return;
  const size_t bytes = buffer.nbytes();
  if (buffer.device().is_cpu()) {
    auto* p = static_cast<char*>(buffer.raw_data());
    for (size_t begin = 0; begin < bytes; begin += kMpiChunk) {
      const int count = static_cast<int>(std::min<size_t>(kMpiChunk, bytes - begin));
      MPI_CHECK(MPI_Bcast(p + begin, count, MPI_BYTE, root, MPI_COMM_WORLD));
    }
  } else {
    CROMSS_ON_CUDA(nccl::broadcast_bytes(nccl_comm(buffer.device().index), buffer.raw_data(), bytes,
                                         root, buffer.device().index));
  }
}

void Distributed::allreduce_sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE,
                          MPI_SUM, MPI_COMM_WORLD));
}

void Distributed::allreduce_sum(std::vector<int64_t>& values) {
  if (!active() || values.empty()) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T,
                          MPI_SUM, MPI_COMM_WORLD));
}

void Distributed::allreduce_mean(std::vector<double>& values) {
  allreduce_sum(values);
  for (double& v : values) v /= info_.world_size;
}

double Distributed::allreduce_max(double value) {
  if (!active()) return value;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return value;
}

void Distributed::barrier() {
  if (active()) MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
}

namespace {

void check_flat(const Tensor& flat) {
  CROMSS_CHECK(flat.dtype() == DType::f32 && flat.is_contiguous() && flat.dim() == 1,
               "GradientBuckets: expected a flat contiguous f32 buffer, got {}", flat.str());
}

void check_bucket_size(int64_t bucket_elements) {
  CROMSS_CHECK(bucket_elements > 0, "GradientBuckets: bucket size must be positive, got {}",
               bucket_elements);
}

}  // namespace

GradientBuckets::GradientBuckets(Distributed& dist, Tensor flat, int64_t bucket_elements)
    : dist_(dist), flat_(std::move(flat)) {
  check_flat(flat_);
  check_bucket_size(bucket_elements);
  for (int64_t end = flat_.numel(); end > 0; end -= bucket_elements)
    ranges_.emplace_back(std::max<int64_t>(0, end - bucket_elements), end);
  reset();
}

GradientBuckets::GradientBuckets(Distributed& dist, Tensor flat,
                                 const std::vector<ParameterStore::Entry>& params,
                                 int64_t bucket_elements)
    : dist_(dist), flat_(std::move(flat)) {
  check_flat(flat_);
  check_bucket_size(bucket_elements);
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    const int64_t floor = i == 0 ? 0 : params[i - 1].offset + params[i - 1].numel();
    CROMSS_CHECK(p.offset >= floor && p.offset + p.numel() <= flat_.numel(),
                 "GradientBuckets: parameter {} at [{}, {}) overlaps its predecessor or leaves "
                 "the buffer of {} elements",
                 p.name, p.offset, p.offset + p.numel(), flat_.numel());
  }
  bucket_of_param_.assign(params.size(), 0);
  int64_t end = flat_.numel();
  for (size_t i = params.size(); i-- > 0;) {
    bucket_of_param_[i] = static_cast<int64_t>(ranges_.size());
    const bool first = i == 0;
    if (first || end - params[i].offset >= bucket_elements) {
      const int64_t begin = first ? 0 : params[i].offset;
      ranges_.emplace_back(begin, end);
      end = begin;
    }
  }
  if (params.empty() && flat_.numel() > 0) ranges_.emplace_back(0, flat_.numel());
  params_per_bucket_.assign(ranges_.size(), 0);
  for (int64_t b : bucket_of_param_) ++params_per_bucket_[static_cast<size_t>(b)];
  reset();
}

GradientBuckets::~GradientBuckets() {
  if (compute_done_ != nullptr) cuda_api::event_destroy(compute_done_);
  if (comm_done_ != nullptr) cuda_api::event_destroy(comm_done_);
}

void GradientBuckets::reset() {
  launched_.assign(ranges_.size(), false);
  unready_ = params_per_bucket_;
  ready_.assign(bucket_of_param_.size(), false);
  pending_.clear();
  pending_buckets_.clear();
}

std::pair<int64_t, int64_t> GradientBuckets::range(int64_t bucket) const {
  CROMSS_CHECK(bucket >= 0 && bucket < count(), "GradientBuckets: bucket {} of {}", bucket,
               count());
  return ranges_[static_cast<size_t>(bucket)];
}

int64_t GradientBuckets::bucket_of(int64_t param) const {
  CROMSS_CHECK(param >= 0 && param < static_cast<int64_t>(bucket_of_param_.size()),
               "GradientBuckets: parameter {} of {} (parameter-aligned buckets only)", param,
               bucket_of_param_.size());
  return bucket_of_param_[static_cast<size_t>(param)];
}

void GradientBuckets::mark_ready(int64_t param) {
  const int64_t b = bucket_of(param);
  const auto p = static_cast<size_t>(param);
  CROMSS_CHECK(!ready_[p], "GradientBuckets: parameter {} marked ready twice before wait()", param);
  CROMSS_CHECK(!launched(b),
               "GradientBuckets: parameter {} marked ready after its bucket {} was launched (its "
               "gradient would change after the all-reduce)",
               param, b);
  ready_[p] = true;
  if (--unready_[static_cast<size_t>(b)] == 0) launch(b);
}

void GradientBuckets::launch(int64_t bucket) {
  const auto [begin, end] = range(bucket);
  CROMSS_CHECK(!launched(bucket), "GradientBuckets: bucket {} launched twice before wait()",
               bucket);
  launched_[static_cast<size_t>(bucket)] = true;
  if (!dist_.active()) return;
  pending_buckets_.push_back(bucket);
  Tensor part = flat_.narrow(0, begin, end - begin);
  if (part.device().is_cpu()) {
    dist_.start_allreduce_sum(part.data<float>(), part.numel(), pending_);
    return;
  }
  const int device = part.device().index;
  if (compute_done_ == nullptr) {
    compute_done_ = cuda_api::event_create(device);
    comm_done_ = cuda_api::event_create(device);
  }
  cuda_api::event_record(compute_done_, device, cuda_api::Stream::compute);
  cuda_api::stream_wait_event(device, cuda_api::Stream::comm, compute_done_);
  dist_.allreduce_sum_on_comm_stream(part);
}

void GradientBuckets::launch_all() {
  for (int64_t b = 0; b < count(); ++b)
    if (!launched(b)) launch(b);
}

void GradientBuckets::wait() {
  if (!pending_buckets_.empty()) {
    const Device device = flat_.device();
    if (device.is_cpu()) {
      mpi_check(
          MPI_Waitall(static_cast<int>(pending_.size()), pending_.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
    } else {
      cuda_api::event_record(comm_done_, device.index, cuda_api::Stream::comm);
      cuda_api::stream_wait_event(device.index, cuda_api::Stream::compute, comm_done_);
    }
    const double inv = 1.0 / dist_.world_size();
    for (int64_t b : pending_buckets_) {
      const auto [begin, end] = range(b);
      float* p = flat_.data<float>() + begin;
      dispatch(kernels::scale, device, p, inv, p, DType::f32, end - begin);
    }
  }
  reset();
}

}  // namespace cromss
