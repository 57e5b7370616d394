// GEMM throughput in GFLOP/s (2*M*N*K per product): the CPU path (oneDNN through matmul) at a
// few sizes, and, in CUDA builds on a machine with a device, the cuBLASLt path in f32, bf16 and
// f16 timed with CUDA events (manual time, warm-up excluded; kernels/matmul.h time_gemm_ms).
// Shapes: cubes and the ResNet-50 1x1-convolution-like M=4096 (pixels), N=256, K=1024.
#include <benchmark/benchmark.h>

#include "core/device.h"
#include "engine/ops/matmul.h"
#include "kernels/matmul.h"

namespace cromss {
namespace {

void set_gflops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GemmCpu(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Tensor a = Tensor::uniform({m, k}, -1, 1, 1), b = Tensor::uniform({k, n}, -1, 1, 2);
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b).raw_data());
  set_gflops(state, m, n, k);
}
BENCHMARK(BM_GemmCpu)
    ->Args({256, 256, 256})
    ->Args({1024, 1024, 1024})
    ->Args({4096, 256, 1024})
    ->UseRealTime()  // oneDNN runs OpenMP threads: rates over wall time, not this thread's CPU
    ->Unit(benchmark::kMillisecond);

#if CROMSS_WITH_CUDA
void BM_GemmCuda(benchmark::State& state, DType dtype) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  constexpr int kCallsPerIteration = 10;
  for (auto _ : state)
    state.SetIterationTime(cuda_kernels::time_gemm_ms(m, n, k, dtype, kCallsPerIteration,
                                                      Context::get(Device::cuda(0))) *
                           1e-3);
  set_gflops(state, m, n, k);
}

// Registered only when a device exists, so CPU-only machines list no CUDA benchmarks.
const bool kCudaRegistered = [] {
  if (cuda_device_count() == 0) return false;
  for (DType dtype : {DType::f32, DType::bf16, DType::f16})
    benchmark::RegisterBenchmark(("BM_GemmCuda/" + std::string(dtype_name(dtype))).c_str(),
                                 BM_GemmCuda, dtype)
        ->Args({256, 256, 256})
        ->Args({1024, 1024, 1024})
        ->Args({4096, 256, 1024})
        ->Args({8192, 8192, 8192})
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  return true;
}();
#endif

}  // namespace
}  // namespace cromss
