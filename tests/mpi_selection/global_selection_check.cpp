// Run under `mpirun -np 2` (tests/distributed.cmake): --global_selection over real MPI processes.
// Each rank evaluates the CromSS objective on its half of a seeded batch with the Distributed
// communicator as ObjectiveConfig::ranks and must reproduce the one-process objective of the whole
// batch (tests/global_selection_case.h). Exits non-zero naming the rank, case and quantity.
#include <cstdio>

#include "comm/distributed.h"
#include "tests/global_selection_case.h"

int main() {
  constexpr uint64_t kSeed = 2025;
  try {
    cromss::Distributed dist;
    int failures = 0;
    if (dist.is_main()) std::printf("seed %llu\n", static_cast<unsigned long long>(kSeed));
    for (const auto& test_case : cromss::test::global_selection_cases())
      for (const std::string& f :
           cromss::test::check_global_selection(test_case, dist, dist.rank(), kSeed)) {
        std::fprintf(stderr, "FAILED %s\n", f.c_str());
        ++failures;
      }
    if (dist.world_size() < 2) {
      std::fprintf(stderr, "FAILED expected at least 2 ranks, got %d\n", dist.world_size());
      ++failures;
    }
    std::printf("rank %d: %s\n", dist.rank(), failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
