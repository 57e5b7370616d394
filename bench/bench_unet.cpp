// U-Net-ResNet50 (the CromSS branch network, method-spec.md §1.1) on one 256x256 image with 13
// input bands and 9 classes: forward (eval mode, no grad) and forward+backward (train mode, CE-like
// loss sum(logits * w)), on the CPU and - registered only in CUDA builds on a machine with a device
// - on CUDA (wall time around a device synchronize, warm-up iteration excluded). GFLOP/s counts the
// convolutions only (2 FLOPs per multiply-add; BN, ReLU, pooling, upsampling and concat are not
// counted); forward+backward counts 3x the forward convolution FLOPs (grad input + grad weight),
// the usual convention.
#include <benchmark/benchmark.h>

#include "core/cuda_api.h"
#include "engine/autograd.h"
#include "engine/ops.h"
#include "layers/parameter_store.h"
#include "models/segmentation_net.h"

namespace cromss {
namespace {

constexpr int64_t kSize = 256, kBands = 13, kClasses = 9;

// Convolution FLOPs of one forward of smp.Unet(resnet50) on one image (mirrors models/resnet.cpp
// and models/unet_decoder.cpp).
double unet_resnet50_forward_flops(int64_t h, int64_t w, int64_t in_channels, int64_t classes) {
  double macs = 0;
  auto conv = [&](int64_t cin, int64_t cout, int64_t k, int64_t oh, int64_t ow) {
    macs += double(cin) * cout * k * k * oh * ow;
  };
  int64_t sh = h / 2, sw = w / 2;
  conv(in_channels, 64, 7, sh, sw);
  sh /= 2, sw /= 2;  // max pool
  int64_t in = 64;
  const int blocks[4] = {3, 4, 6, 3};
  const int64_t widths[4] = {64, 128, 256, 512};
  std::vector<int64_t> skip_channels{64};
  for (int l = 0; l < 4; ++l)
    for (int b = 0; b < blocks[l]; ++b) {
      const int64_t stride = (l > 0 && b == 0) ? 2 : 1, width = widths[l];
      conv(in, width, 1, sh, sw);
      const int64_t oh = sh / stride, ow = sw / stride;
      conv(width, width, 3, oh, ow);
      conv(width, 4 * width, 1, oh, ow);
      if (b == 0) conv(in, 4 * width, 1, oh, ow);
      sh = oh, sw = ow, in = 4 * width;
      if (b == blocks[l] - 1) skip_channels.push_back(in);
    }
  const int64_t decoder[5] = {256, 128, 64, 32, 16};
  for (int i = 0; i < 5; ++i) {
    sh *= 2, sw *= 2;
    const int64_t skip = i < 4 ? skip_channels[3 - i] : 0;
    conv(in + skip, decoder[i], 3, sh, sw);
    conv(decoder[i], decoder[i], 3, sh, sw);
    in = decoder[i];
  }
  conv(16, classes, 3, h, w);
  return 2 * macs;
}

ModelConfig single_s2() {
  ModelConfig c;
  c.input_type = "s2";
  c.n_channels = kBands;
  c.n_classes = kClasses;
  return c;
}

void synchronize(Device device) {
  if (device.is_cuda()) cuda_api::synchronize(device.index);
}

void run_unet(benchmark::State& state, Device device, bool backward) {
  auto net = build_model(single_s2(), 1);
  ParameterStore store(*net);
  store.to(device);
  Tensor x = Tensor::uniform({1, kBands, kSize, kSize}, -1, 1, 2, DType::f32, device);
  Tensor w = Tensor::uniform({1, kClasses, kSize, kSize}, -1, 1, 3, DType::f32, device);
  auto step = [&] {
    if (backward) {
      net->train();
      store.zero_grad();
      Tensor loss = sum(mul(net->forward(Tensor(), x).s2, w));
      loss.backward();
    } else {
      NoGrad no_grad;
      net->eval();
      benchmark::DoNotOptimize(net->forward(Tensor(), x).s2.raw_data());
    }
    synchronize(device);
  };
  step();  // warm-up: allocator, cuDNN algorithm search
  for (auto _ : state) step();
  const double flops =
      unet_resnet50_forward_flops(kSize, kSize, kBands, kClasses) * (backward ? 3 : 1);
  state.counters["GFLOP"] = flops * 1e-9;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9 * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_UnetResNet50ForwardCpu(benchmark::State& s) {
  run_unet(s, Device::cpu(), false);
}
void BM_UnetResNet50ForwardBackwardCpu(benchmark::State& s) {
  run_unet(s, Device::cpu(), true);
}
BENCHMARK(BM_UnetResNet50ForwardCpu)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_UnetResNet50ForwardBackwardCpu)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

// Registered only when a device exists, so CPU-only machines list no CUDA benchmarks.
const bool kCudaRegistered = [] {
  if (cuda_device_count() == 0) return false;
  benchmark::RegisterBenchmark("BM_UnetResNet50ForwardCuda",
                               [](benchmark::State& s) { run_unet(s, Device::cuda(0), false); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2.0);
  benchmark::RegisterBenchmark("BM_UnetResNet50ForwardBackwardCuda",
                               [](benchmark::State& s) { run_unet(s, Device::cuda(0), true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->MinTime(2.0);
  return true;
}();

}  // namespace
}  // namespace cromss
