// Elementwise add on the CPU: achieved GB/s (reads 2, writes 1 element per item).
#include <benchmark/benchmark.h>

#include "engine/ops/elementwise.h"

namespace cromss {
namespace {

void BM_AddCpu(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = Tensor::uniform({n}, -1, 1, 1), b = Tensor::uniform({n}, -1, 1, 2);
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b).raw_data());
  state.SetBytesProcessed(state.iterations() * n * 3 * 4);
}
BENCHMARK(BM_AddCpu)->Arg(1 << 20)->Arg(1 << 24);

}  // namespace
}  // namespace cromss
