// Data parallelism (DESIGN.md "Distributed", issue 6 item 7): one process per GPU, rank and
// world size from the launcher's environment, MPI (OpenMPI) for the bootstrap and as the CPU
// all-reduce, NCCL for CUDA buffers (its unique id broadcast over MPI; collectives on the
// device's Context stream, the gradient buckets' on its communication stream; no host sync).
//   * Gradients: averaged (sum over ranks, then times 1/world: DDP's average) in
//     GradientBuckets: buckets of whole parameters, numbered in backward order, each launched as
//     soon as backward has finished all its parameters (mark_ready, fed by the autograd's
//     LeafGradReadyScope) so that the all-reduce overlaps the rest of backward; launch_all()
//     covers parameters that got no gradient, wait() completes them all.
//   * BN running statistics follow rank 0 (Lightning DDP broadcast_buffers=True, method-spec.md
//   §9.31):
//     broadcast() of the flat buffer from rank 0.
//   * Small host arrays (--global_selection thresholds and Dice sums, metrics): allreduce_sum
//     of double / int64 vectors over MPI.
// With one process (no launcher, or world size 1 outside mpirun) MPI is not initialised and
// every collective is the identity.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/cross_rank.h"
#include "engine/tensor.h"
#include "layers/parameter_store.h"

namespace cromss {

struct ProcessInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string launcher = "none";  // "none" | "mpirun" | "slurm"
};

// OpenMPI's OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK (mpirun, and srun --mpi=pmix) take precedence;
// else SLURM_PROCID, SLURM_STEP_NUM_TASKS (falling back to SLURM_NTASKS) and SLURM_LOCALID;
// else a single process. Malformed values throw ValueError naming the variable.
ProcessInfo detect_process_info();

class Distributed : public CrossRankSum {
 public:
  explicit Distributed(const ProcessInfo& info = detect_process_info());
  ~Distributed()
      override;  // frees the NCCL communicator, then MPI_Finalize if this object initialised MPI
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return info_.rank; }
  int world_size() const override { return info_.world_size; }
  int local_rank() const { return info_.local_rank; }
  bool is_main() const { return info_.rank == 0; }
  bool active() const { return info_.world_size > 1; }

  // In place: flat contiguous f32 on the CPU (MPI) or a CUDA device (NCCL).
  void allreduce_mean(const Tensor& flat);
  void allreduce_sum(const Tensor& flat);
  // In place, any dtype, contiguous: every rank receives root's bytes.
  void broadcast(const Tensor& buffer, int root = 0);
  // Host arrays, element-wise sum over ranks (MPI), in place.
  void allreduce_sum(std::vector<double>& values);
  void allreduce_sum(std::vector<int64_t>& values);
  // CrossRankSum (the objective's --global_selection sums): allreduce_sum.
  void sum(std::vector<int64_t>& values) override { allreduce_sum(values); }
  void sum(std::vector<double>& values) override { allreduce_sum(values); }
  // Sum then divide by the world size (upstream's sync_dist averaging of logged metrics).
  void allreduce_mean(std::vector<double>& values);
  double allreduce_max(double value);
  void barrier();

  // Starts a non-blocking in-place sum of a host f32 array (for GradientBuckets); appends its
  // requests (one per 2^30-element chunk) to `requests`.
  void start_allreduce_sum(float* data, int64_t n, std::vector<MPI_Request>& requests);
  // Enqueues an in-place NCCL sum of a flat f32 CUDA buffer on the device's communication stream
  // (Context::comm_stream; for GradientBuckets, which orders it against the compute stream).
  void allreduce_sum_on_comm_stream(const Tensor& flat);

 private:
  void* nccl_comm(int device);

  ProcessInfo info_;
  bool owns_mpi_ = false;
  void* nccl_comm_ = nullptr;
  int nccl_device_ = -1;
};

// The flat gradient buffer split into buckets, numbered in backward order: bucket 0 is the END of
// the buffer (the last parameters, whose gradients backward produces first). launch(b) starts
// summing bucket b over the ranks; wait() completes every launched bucket and scales it by
// 1/world, so the buffer holds the mean of the ranks' gradients.
//   * CPU: launch = MPI_Iallreduce; wait = MPI_Waitall, then the scaling.
//   * CUDA: launch records an event on the compute stream and enqueues the NCCL sum on the
//     communication stream after it (so it reads the finished gradients and runs beside the
//     rest of backward); wait makes the compute stream wait for the communication stream (no
//     host sync) and enqueues the scaling on the compute stream, where the optimizer follows.
//     Every NCCL call of this process is thereby ordered on the device: the buckets' sums start
//     after the compute-stream collectives issued before them (BN broadcasts) and end before
//     those issued after wait().
// Every rank must launch the buckets in the same order (MPI/NCCL collectives match by order):
// mark_ready order follows the tape, the same on every rank for the same model.
class GradientBuckets {
 public:
  // PyTorch DDP's default bucket_cap_mb = 25 (MiB) of f32 gradients: 6,553,600 elements.
  static constexpr int64_t kDefaultBucketElements = int64_t{25} * 1024 * 1024 / 4;

  // Fixed-size buckets of bucket_elements (the last one, at the start of the buffer, smaller).
  GradientBuckets(Distributed& dist, Tensor flat, int64_t bucket_elements);
  // Buckets of whole parameters (`params`: a ParameterStore's entries, ascending offsets, into
  // `flat`): walking the parameters from the last one, a bucket closes once it spans at least
  // bucket_elements; bucket b covers the buffer from its first parameter's offset up to the
  // next bucket's (the alignment gaps, always zero, included). Enables mark_ready().
  GradientBuckets(Distributed& dist, Tensor flat, const std::vector<ParameterStore::Entry>& params,
                  int64_t bucket_elements = kDefaultBucketElements);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  int64_t count() const { return static_cast<int64_t>(ranges_.size()); }
  std::pair<int64_t, int64_t> range(int64_t bucket) const;  // [begin, end) into the buffer
  int64_t bucket_of(int64_t param) const;  // parameter-aligned buckets: param's bucket
  bool launched(int64_t bucket) const { return launched_[static_cast<size_t>(bucket)]; }
  // Parameter `param` (index into the entries) has its final gradient: launches its bucket when
  // it was the bucket's last parameter not yet ready. Once per parameter between waits.
  void mark_ready(int64_t param);
  void launch(int64_t bucket);
  void launch_all();  // the buckets not launched yet, in bucket order
  void wait();        // then every bucket and parameter is "not launched / not ready" again

 private:
  void reset();

  Distributed& dist_;
  Tensor flat_;
  std::vector<std::pair<int64_t, int64_t>> ranges_;
  std::vector<int64_t> bucket_of_param_;  // parameter-aligned buckets only
  std::vector<int64_t> params_per_bucket_;
  std::vector<int64_t> unready_;  // per bucket: parameters not marked ready yet
  std::vector<bool> ready_;       // per parameter
  std::vector<bool> launched_;
  std::vector<MPI_Request> pending_;      // CPU: outstanding MPI requests
  std::vector<int64_t> pending_buckets_;  // launched buckets, scaled in wait()
  void* compute_done_ = nullptr;          // CUDA events (created on the first CUDA launch)
  void* comm_done_ = nullptr;
};

}  // namespace cromss
