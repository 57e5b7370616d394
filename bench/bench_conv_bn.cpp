// conv + batch norm + ReLU units (engine/ops/conv2d_batch_norm.h) with the cuDNN graph fusion on
// and off (--conv_bn_fusion, core/conv_bn_fusion.h): a training step of the unit (forward +
// backward) and the inference forward, at ResNet-50 / U-Net decoder shapes in nhwc. On CUDA in
// bf16 at the paper's batch of 128 (registered only when a device exists; bench/gpu_check.sh runs
// the Cuda ones), where "fused" is the cuDNN graph (or, where cuDNN declines a shape, the same
// steps: the stderr note says so); on the CPU in f32 at batch 4, where both run the same steps
// (the CPU has no fused form) and the pair only checks the harness. Each CUDA iteration ends with
// a stream synchronisation (wall time includes one launch latency).
#include <benchmark/benchmark.h>

#include <string>

#include "bench/bench_support.h"
#include "core/context.h"
#include "core/conv_bn_fusion.h"
#include "core/device.h"
#include "engine/autograd.h"
#include "engine/ops/conv2d_batch_norm.h"

namespace cromss {
namespace {

using bench::leaf;
using bench::sync;

struct Setup {
  Device device;
  DType dtype;
  int64_t batch;
  bool fusion;
};

struct Unit {
  Tensor x, w, g, bw, bb, rm, rv;
  Conv2dParams params;
  Unit(const Setup& s, int64_t c, int64_t k, int64_t hw, int64_t kernel) {
    params = Conv2dParams::square(1, kernel / 2);
    const auto act = [&](const Tensor& t) {
      return t.to(s.dtype).contiguous(MemoryFormat::nhwc).to(s.device);
    };
    x = act(Tensor::normal({s.batch, c, hw, hw}, 0, 1, 1));
    g = act(Tensor::uniform({s.batch, k, hw, hw}, -1, 1, 2));
    w = Tensor::normal({k, c, kernel, kernel}, 0, 0.05, 3).to(s.dtype).to(s.device);
    bw = Tensor::full({k}, 1.0).to(s.device);
    bb = Tensor::zeros({k}).to(s.device);
    rm = Tensor::zeros({k}).to(s.device);
    rv = Tensor::full({k}, 1.0).to(s.device);
  }
};

void BM_ConvBatchNormReluTrain(benchmark::State& state, Setup s) {
  set_conv_bn_fusion(s.fusion);
  Unit u(s, state.range(0), state.range(1), state.range(2), state.range(3));
  for (auto _ : state) {
    Tensor xl = leaf(u.x), wl = leaf(u.w), bwl = leaf(u.bw), bbl = leaf(u.bb);
    conv2d_batch_norm(xl, wl, u.params, bwl, bbl, u.rm, u.rv, true, true).backward(u.g);
    sync(s.device);
  }
  set_conv_bn_fusion(false);
}

void BM_ConvBatchNormReluInference(benchmark::State& state, Setup s) {
  set_conv_bn_fusion(s.fusion);
  Unit u(s, state.range(0), state.range(1), state.range(2), state.range(3));
  const NoGrad no_grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        conv2d_batch_norm(u.x, u.w, u.params, u.bw, u.bb, u.rm, u.rv, false, true));
    sync(s.device);
  }
  set_conv_bn_fusion(false);
}

void register_all(const char* suffix, Device device, DType dtype, int64_t batch, int64_t scale) {
  for (const bool fusion : {false, true}) {
    const Setup s{device, dtype, batch, fusion};
    const std::string tail = std::string(suffix) + (fusion ? "_fused" : "_steps");
    for (auto* bm : {benchmark::RegisterBenchmark(("BM_ConvBatchNormReluTrain" + tail).c_str(),
                                                  BM_ConvBatchNormReluTrain, s),
                     benchmark::RegisterBenchmark(("BM_ConvBatchNormReluInference" + tail).c_str(),
                                                  BM_ConvBatchNormReluInference, s)})
      // (C_in, C_out, H = W, kernel): a decoder 3x3 block at high resolution, a ResNet-50
      // bottleneck's 3x3 and its 1x1 expansion.
      bm->Args({16, 16, 128 / scale, 3})
          ->Args({64, 64, 64 / scale, 3})
          ->Args({64, 256, 64 / scale, 1})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
  }
}

const bool registered = [] {
  register_all("Cpu", Device::cpu(), DType::f32, 4, 4);
  if (built_with_cuda() && cuda_device_count() > 0)
    register_all("Cuda", Device::cuda(0), DType::bf16, 128, 1);
  return true;
}();

}  // namespace
}  // namespace cromss
