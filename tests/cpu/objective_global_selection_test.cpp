// --global_selection on the CPU with ranks simulated by threads (ThreadRanks: a barrier-based
// in-process sum, the collective semantics of comm/distributed.h without MPI): for 1, 2 and 3
// ranks each thread's share of the batch reproduces the one-process objective of the whole batch
// (tests/global_selection_case.h). The same check runs over real MPI processes in
// tests/mpi_selection/global_selection_check.cpp.
#include <gtest/gtest.h>

#include <barrier>
#include <thread>

#include "tests/global_selection_case.h"

namespace cromss {
namespace {

constexpr uint64_t kSeed = 2025;

// `world` threads acting as ranks: each publishes its array in its slot, then every thread adds
// the slots up in rank order (the same result on every rank, as MPI_Allreduce guarantees).
class ThreadGroup {
 public:
  explicit ThreadGroup(int world) : world_(world), barrier_(world), ints_(world), doubles_(world) {}
  int world() const { return world_; }
  void sum(int rank, std::vector<int64_t>& values) { sum(rank, values, ints_); }
  void sum(int rank, std::vector<double>& values) { sum(rank, values, doubles_); }

 private:
  template <class T>
  void sum(int rank, std::vector<T>& values, std::vector<std::vector<T>>& slots) {
    slots[rank] = values;
    barrier_.arrive_and_wait();
    for (size_t i = 0; i < values.size(); ++i) {
      T total = 0;
      for (const auto& slot : slots) total += slot.at(i);
      values[i] = total;
    }
    barrier_.arrive_and_wait();  // slots are free again
  }

  int world_;
  std::barrier<> barrier_;
  std::vector<std::vector<int64_t>> ints_;
  std::vector<std::vector<double>> doubles_;
};

class ThreadRanks : public CrossRankSum {
 public:
  ThreadRanks(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
  int world_size() const override { return group_.world(); }
  void sum(std::vector<int64_t>& values) override { group_.sum(rank_, values); }
  void sum(std::vector<double>& values) override { group_.sum(rank_, values); }

 private:
  ThreadGroup& group_;
  int rank_;
};

class GlobalSelection : public ::testing::TestWithParam<test::GlobalSelectionCase> {};

TEST_P(GlobalSelection, RanksReproduceOneProcessOverTheUnion) {
  std::printf("seed %llu\n", static_cast<unsigned long long>(kSeed));
  for (int world : {1, 2, 3}) {
    ThreadGroup group(world);
    std::vector<std::vector<std::string>> failures(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < world; ++rank)
      threads.emplace_back([&, rank] {
        ThreadRanks ranks(group, rank);
        failures[rank] = test::check_global_selection(GetParam(), ranks, rank, kSeed);
      });
    for (auto& t : threads) t.join();
    for (const auto& list : failures)
      for (const auto& f : list) ADD_FAILURE() << f;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GlobalSelection,
                         ::testing::ValuesIn(test::global_selection_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cromss
