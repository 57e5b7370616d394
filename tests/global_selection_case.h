// --global_selection check shared by the CPU test (ranks simulated by threads,
// tests/cpu/objective_global_selection_test.cpp) and the MPI test (real processes,
// tests/mpi_selection/global_selection_check.cpp): every rank evaluates the CromSS objective on
// its share of one seeded batch with ObjectiveConfig::ranks set, and must reproduce the objective
// of ONE process over the whole batch: thresholds theta_c and weights W_l, W_e bit for bit, the
// same loss, and dL/dlogits times the world size (train/objective_config.h) within the f32
// tolerance of tests/tolerance.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cross_rank.h"
#include "train/objective_config.h"

namespace cromss::test {

struct GlobalSelectionCase {
  std::string name;
  int epoch = 0;
  ObjectiveConfig config;
  bool single_branch = false;
};

// Default CromSS flags at epochs 0, 30 and 100 (r = 0.5), gini + kl, mse + CE only, and the
// single-branch objective (Dice sums only). The batch has 6 images so 1, 2 and 3 ranks divide it.
std::vector<GlobalSelectionCase> global_selection_cases();
constexpr int64_t kGlobalSelectionBatch = 6;

// Runs one case as rank `rank` of `ranks.world_size()`; returns what differed (empty: pass).
std::vector<std::string> check_global_selection(const GlobalSelectionCase& test_case,
                                                CrossRankSum& ranks, int rank, uint64_t seed);

}  // namespace cromss::test
