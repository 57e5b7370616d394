// CrossRankSum: element-wise sums of small host arrays over the ranks of a data-parallel job.
// The CromSS objective takes one for --global_selection (train/objective_config.h), so that
// class counts, radix-select histograms and loss sums are shared by every rank without the
// kernels knowing about MPI. comm/distributed.h implements it over MPI; a single process is the
// identity (world size 1). Every rank must make the same calls in the same order (collectives).
#pragma once

#include <cstdint>
#include <vector>

namespace cromss {

class CrossRankSum {
 public:
  virtual ~CrossRankSum() = default;
  virtual int world_size() const = 0;
  // In place: values[i] <- sum over ranks of values[i]. Same length on every rank.
  virtual void sum(std::vector<int64_t>& values) = 0;
  virtual void sum(std::vector<double>& values) = 0;
};

}  // namespace cromss
