// Batch norm + ReLU (training, forward + backward) and group norm (forward + backward) in NCHW
// against NHWC (channels_last), at decoder and encoder shapes: the CPU reference in f32 at batch
// 8, and on CUDA in bf16 at the paper's batch of 128 (registered only when a device exists;
// bench/gpu_check.sh runs the Cuda ones). Bytes are the minimum traffic: batch norm + ReLU reads
// x twice and writes y in the forward (statistics, apply), reads dy, y and x for the channel sums
// and again to write dx: 10 values per element; group norm 9 (no ReLU output to read). Each
// CUDA iteration ends with a stream synchronisation (wall time includes one launch latency).
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_support.h"
#include "core/context.h"
#include "core/device.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/group_norm.h"

namespace cromss {
namespace {

using bench::leaf;
using bench::sync;

struct Setup {
  Device device;
  DType dtype;
  MemoryFormat format;
  int64_t batch;
};

struct Inputs {
  Tensor x, g, w, b, rm, rv;
  Inputs(const Setup& s, int64_t c, int64_t hw) {
    const Shape shape{s.batch, c, hw, hw};
    const auto act = [&](const Tensor& t) {
      return t.to(s.dtype).contiguous(s.format).to(s.device);
    };
    x = act(Tensor::normal(shape, 0, 1, 1));
    g = act(Tensor::uniform(shape, -1, 1, 2));
    w = Tensor::full({c}, 1.0).to(s.device);
    b = Tensor::zeros({c}).to(s.device);
    rm = Tensor::zeros({c}).to(s.device);
    rv = Tensor::full({c}, 1.0).to(s.device);
  }
};

void BM_BatchNormReluFwdBwd(benchmark::State& state, Setup s) {
  Inputs in(s, state.range(0), state.range(1));
  for (auto _ : state) {
    Tensor xl = leaf(in.x), wl = leaf(in.w), bl = leaf(in.b);
    batch_norm_relu(xl, wl, bl, in.rm, in.rv, true).backward(in.g);
    sync(s.device);
  }
  state.SetBytesProcessed(state.iterations() * in.x.numel() * 10 *
                          static_cast<int64_t>(dtype_size(s.dtype)));
}

void BM_GroupNormFwdBwd(benchmark::State& state, Setup s) {
  Inputs in(s, state.range(0), state.range(1));
  for (auto _ : state) {
    Tensor xl = leaf(in.x), wl = leaf(in.w), bl = leaf(in.b);
    group_norm(xl, 32, wl, bl).backward(in.g);
    sync(s.device);
  }
  state.SetBytesProcessed(state.iterations() * in.x.numel() * 9 *
                          static_cast<int64_t>(dtype_size(s.dtype)));
}

void register_all(const char* suffix, Device device, DType dtype, int64_t batch) {
  for (MemoryFormat f : {MemoryFormat::nchw, MemoryFormat::nhwc}) {
    const Setup s{device, dtype, f, batch};
    const std::string tail = std::string(suffix) + "_" + memory_format_name(f);
    // Decoder (16 and 64 channels at high resolution) and a deep encoder stage.
    benchmark::RegisterBenchmark(("BM_BatchNormReluFwdBwd" + tail).c_str(), BM_BatchNormReluFwdBwd,
                                 s)
        ->Args({16, 128})
        ->Args({64, 64})
        ->Args({256, 16})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_GroupNormFwdBwd" + tail).c_str(), BM_GroupNormFwdBwd, s)
        ->Args({128, 64})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

const bool registered = [] {
  register_all("Cpu", Device::cpu(), DType::f32, 8);
  if (built_with_cuda() && cuda_device_count() > 0)
    register_all("Cuda", Device::cuda(0), DType::bf16, 128);
  return true;
}();

}  // namespace
}  // namespace cromss
