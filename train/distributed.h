// Data parallelism (DESIGN.md "Distributed", issue 6 item 7): one process per GPU, rank and
// world size from the launcher's environment, MPI (OpenMPI) for the bootstrap and as the CPU
// all-reduce, NCCL for CUDA buffers (its unique id broadcast over MPI; collectives on the
// device's Context stream, no host sync).
//   * Gradients: allreduce_mean() of the flat f32 gradient buffer = sum over ranks, then times
//     1/world (DDP's average). GradientBuckets splits the buffer so that buckets can be
//     launched as soon as backward has produced them (overlap) and waited for once.
//   * BN running statistics follow rank 0 (Lightning DDP broadcast_buffers=True, spec §9.31):
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

#include "engine/cross_rank.h"
#include "engine/tensor.h"

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

 private:
  void* nccl_comm(int device);

  ProcessInfo info_;
  bool owns_mpi_ = false;
  void* nccl_comm_ = nullptr;
  int nccl_device_ = -1;
};

// The flat gradient buffer split into buckets of about bucket_elements elements, numbered in
// backward order: bucket 0 is the END of the buffer (the last parameters, whose gradients
// backward produces first). launch(b) starts averaging bucket b (NCCL: enqueued on the stream;
// CPU: MPI_Iallreduce); wait() completes all launched buckets (CPU: MPI_Waitall and the 1/world
// scaling; CUDA: nothing to wait for on the host, the scaling is already enqueued).
class GradientBuckets {
 public:
  GradientBuckets(Distributed& dist, Tensor flat, int64_t bucket_elements);

  int64_t count() const { return static_cast<int64_t>(ranges_.size()); }
  std::pair<int64_t, int64_t> range(int64_t bucket) const;  // [begin, end) into the buffer
  void launch(int64_t bucket);
  void launch_all();
  void wait();

 private:
  Distributed& dist_;
  Tensor flat_;
  std::vector<std::pair<int64_t, int64_t>> ranges_;
  std::vector<MPI_Request> pending_;      // CPU: outstanding MPI requests
  std::vector<int64_t> pending_buckets_;  // CPU: buckets to scale after the wait
  std::vector<bool> launched_;
};

}  // namespace cromss
