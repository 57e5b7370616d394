// conv2d throughput at ResNet-50-like shapes: 3x3 64->64 at 64x64, 1x1 256->64 at 64x64, and
// the 7x7/2 stem on a 3-band 256x256 patch, for N = 1 and 2, with NCHW and NHWC (channels_last)
// activations (the last benchmark argument: 0 NCHW, 1 NHWC). The rate counter GFLOP reads as
// GFLOP/s, counting 2 FLOP per multiply-add; forward+backward counts 3 passes (forward, grad
// input, grad weight). CPU runs (oneDNN) time wall clock (OpenMP uses every core). The CUDA
// variants exist only in a CUDA build and register only when a device is present; they time the
// context's stream with CUDA events (manual time) in f32 and bf16, also at N = 16.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/device.h"
#include "engine/autograd.h"
#include "engine/ops/conv2d.h"

#if CROMSS_WITH_CUDA
#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#endif

namespace cromss {
namespace {

struct BenchShape {
  const char* name;
  int64_t c, h, w, k, kernel;
  Conv2dParams p;
};

const std::vector<BenchShape> kShapes = {
    {"3x3_64to64_64x64", 64, 64, 64, 64, 3, Conv2dParams::square(1, 1)},
    {"1x1_256to64_64x64", 256, 64, 64, 64, 1, Conv2dParams::square(1, 0)},
    {"stem7x7s2_3to64_256x256", 3, 256, 256, 64, 7, Conv2dParams::square(2, 3)},
};

struct ConvRun {
  Tensor x, w, b, grad_y;
  double forward_flops = 0;
};

ConvRun make_run(const BenchShape& s, int64_t n, MemoryFormat format, DType dtype, Device device,
                 bool backward) {
  ConvRun r;
  r.x = Tensor::uniform({n, s.c, s.h, s.w}, -1, 1, 1, dtype, device).contiguous(format);
  r.w = Tensor::uniform({s.k, s.c, s.kernel, s.kernel}, -0.1, 0.1, 2, dtype, device);
  r.b = Tensor::uniform({s.k}, -0.1, 0.1, 3, dtype, device);
  const int64_t oh = conv_output_size(s.h, s.kernel, s.p.stride_h, s.p.pad_h, s.p.dilation_h);
  const int64_t ow = conv_output_size(s.w, s.kernel, s.p.stride_w, s.p.pad_w, s.p.dilation_w);
  r.forward_flops = 2.0 * n * s.k * oh * ow * s.c * s.kernel * s.kernel;
  if (backward) {
    r.x.set_requires_grad(true);
    r.w.set_requires_grad(true);
    r.b.set_requires_grad(true);
    r.grad_y = Tensor::uniform({n, s.k, oh, ow}, -1, 1, 4, dtype, device).contiguous(format);
  }
  return r;
}

void step(const BenchShape& s, ConvRun& r, bool backward) {
  Tensor y = conv2d(r.x, r.w, r.b, s.p);
  if (backward) {
    y.backward(r.grad_y);
    r.x.zero_grad();
    r.w.zero_grad();
    r.b.zero_grad();
  }
  benchmark::DoNotOptimize(y.raw_data());
}

void set_gflops(benchmark::State& state, const ConvRun& r, bool backward) {
  const double flops = r.forward_flops * (backward ? 3 : 1);
  state.counters["GFLOP"] =
      benchmark::Counter(flops * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
}

MemoryFormat format_arg(const benchmark::State& state) {
  return state.range(2) == 1 ? MemoryFormat::nhwc : MemoryFormat::nchw;
}

void BM_ConvCpu(benchmark::State& state, bool backward) {
  const BenchShape& s = kShapes[state.range(0)];
  state.SetLabel(std::string(s.name) + " N=" + std::to_string(state.range(1)) + " " +
                 memory_format_name(format_arg(state)));
  ConvRun r = make_run(s, state.range(1), format_arg(state), DType::f32, Device::cpu(), backward);
  for (auto _ : state) step(s, r, backward);
  set_gflops(state, r, backward);
}

void cpu_args(benchmark::internal::Benchmark* b) {
  for (int64_t shape = 0; shape < static_cast<int64_t>(kShapes.size()); ++shape)
    for (int64_t n : {1, 2})
      for (int64_t format : {0, 1}) b->Args({shape, n, format});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(BM_ConvCpu, forward, false)->Apply(cpu_args);
BENCHMARK_CAPTURE(BM_ConvCpu, forward_backward, true)->Apply(cpu_args);

#if CROMSS_WITH_CUDA
void BM_ConvCuda(benchmark::State& state, DType dtype, bool backward) {
  const BenchShape& s = kShapes[state.range(0)];
  state.SetLabel(std::string(s.name) + " N=" + std::to_string(state.range(1)) + " " +
                 dtype_name(dtype) + " " + memory_format_name(format_arg(state)));
  ConvRun r = make_run(s, state.range(1), format_arg(state), dtype, Device::cuda(), backward);
  Context& ctx = Context::get(Device::cuda());
  cudaStream_t stream = stream_of(ctx);
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  step(s, r, backward);  // algorithm selection and workspace allocation happen here
  ctx.synchronize();
  for (auto _ : state) {
    CUDA_CHECK(cudaEventRecord(start, stream));
    step(s, r, backward);
    CUDA_CHECK(cudaEventRecord(stop, stream));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  set_gflops(state, r, backward);
}

const bool kCudaRegistered = [] {
  if (cuda_device_count() == 0) return false;
  for (DType dt : {DType::f32, DType::bf16})
    for (bool backward : {false, true}) {
      const std::string name = std::string("BM_ConvCuda/") + dtype_name(dt) +
                               (backward ? "/forward_backward" : "/forward");
      auto* b = benchmark::RegisterBenchmark(
          name.c_str(), [dt, backward](benchmark::State& st) { BM_ConvCuda(st, dt, backward); });
      for (int64_t shape = 0; shape < static_cast<int64_t>(kShapes.size()); ++shape)
        for (int64_t n : {1, 2, 16})
          for (int64_t format : {0, 1}) b->Args({shape, n, format});
      b->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  return true;
}();
#endif

}  // namespace
}  // namespace cromss
