// Launcher detection from the environment (SLURM, OpenMPI, none) and the single-process
// identity collectives. The 2-rank MPI checks run as the ctest distributed_mpi_2ranks.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "comm/distributed.h"

namespace cromss {
namespace {

const char* kVars[] = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                       "SLURM_PROCID",         "SLURM_NTASKS",         "SLURM_STEP_NUM_TASKS",
                       "SLURM_LOCALID"};

class EnvScope {
 public:
  EnvScope() {
    for (const char* v : kVars) {
      const char* old = std::getenv(v);
      saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
      unsetenv(v);
    }
  }
  ~EnvScope() {
    for (const auto& [k, v] : saved_) {
      if (v)
        setenv(k.c_str(), v->c_str(), 1);
      else
        unsetenv(k.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TrainDistributed, DetectsLaunchers) {
  EnvScope scope;
  ProcessInfo none = detect_process_info();
  EXPECT_EQ(none.launcher, "none");
  EXPECT_EQ(none.world_size, 1);

  setenv("SLURM_PROCID", "5", 1);
  setenv("SLURM_NTASKS", "8", 1);
  setenv("SLURM_LOCALID", "1", 1);
  ProcessInfo slurm = detect_process_info();
  EXPECT_EQ(slurm.launcher, "slurm");
  EXPECT_EQ(slurm.rank, 5);
  EXPECT_EQ(slurm.world_size, 8);
  EXPECT_EQ(slurm.local_rank, 1);
  setenv("SLURM_STEP_NUM_TASKS", "6", 1);  // the step's task count wins over the job's
  EXPECT_EQ(detect_process_info().world_size, 6);

  setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "0", 1);
  ProcessInfo mpi = detect_process_info();
  EXPECT_EQ(mpi.launcher, "mpirun");
  EXPECT_EQ(mpi.rank, 1);
  EXPECT_EQ(mpi.world_size, 2);

  setenv("OMPI_COMM_WORLD_RANK", "x", 1);
  EXPECT_THROW(detect_process_info(), ValueError);
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  EXPECT_THROW(detect_process_info(), ValueError);  // rank not below the world size
}

TEST(TrainDistributed, SingleProcessCollectivesAreIdentity) {
  Distributed dist(ProcessInfo{});
  EXPECT_FALSE(dist.active());
  EXPECT_TRUE(dist.is_main());
  Tensor g = Tensor::from_vector<float>({1.f, 2.f}, {2});
  dist.allreduce_mean(g);
  dist.broadcast(g);
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  std::vector<double> d{3.0};
  dist.allreduce_sum(d);
  EXPECT_EQ(d[0], 3.0);
  EXPECT_EQ(dist.allreduce_max(4.0), 4.0);
  GradientBuckets buckets(dist, g, 1);
  EXPECT_EQ(buckets.count(), 2);
  buckets.launch_all();
  buckets.wait();
  EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{1.f, 2.f}));
}

}  // namespace
}  // namespace cromss
