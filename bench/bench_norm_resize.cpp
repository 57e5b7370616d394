// Normalisation and resize on the CPU reference path: batch_norm2d (training) forward+backward,
// group_norm forward+backward and resize_bilinear forward / backward, in f32, reported as
// achieved GB/s of the minimum traffic model stated next to each benchmark.
#include <benchmark/benchmark.h>

#include "bench/bench_support.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/group_norm.h"
#include "engine/ops/resize.h"

namespace cromss {
namespace {

using bench::leaf;

// Traffic per element: forward reads x twice (two-pass statistics) and x once more to write y;
// backward reads dy and x for the channel sums and again to write dx: 9 x 4 bytes.
void BM_BatchNormTrainFwdBwdCpu(benchmark::State& state) {
  const int64_t n = 8, c = state.range(0), hw = state.range(1);
  Tensor x = Tensor::normal({n, c, hw, hw}, 0, 1, 1), g = Tensor::uniform({n, c, hw, hw}, -1, 1, 2);
  Tensor w = Tensor::full({c}, 1.0), b = Tensor::zeros({c});
  Tensor rm = Tensor::zeros({c}), rv = Tensor::full({c}, 1.0);
  for (auto _ : state) {
    Tensor xl = leaf(x), wl = leaf(w), bl = leaf(b);
    Tensor y = batch_norm2d(xl, wl, bl, rm, rv, true);
    y.backward(g);
    benchmark::DoNotOptimize(xl.grad().raw_data());
  }
  state.SetBytesProcessed(state.iterations() * x.numel() * 9 * 4);
}
BENCHMARK(BM_BatchNormTrainFwdBwdCpu)
    ->Args({256, 64})
    ->Args({64, 128})
    ->Unit(benchmark::kMillisecond);

// Same traffic model as batch norm (statistics per (sample, group) instead of per channel).
void BM_GroupNormFwdBwdCpu(benchmark::State& state) {
  const int64_t n = 8, c = state.range(0), hw = state.range(1);
  Tensor x = Tensor::normal({n, c, hw, hw}, 0, 1, 1), g = Tensor::uniform({n, c, hw, hw}, -1, 1, 2);
  Tensor w = Tensor::full({c}, 1.0), b = Tensor::zeros({c});
  for (auto _ : state) {
    Tensor xl = leaf(x), wl = leaf(w), bl = leaf(b);
    Tensor y = group_norm(xl, 32, wl, bl);
    y.backward(g);
    benchmark::DoNotOptimize(xl.grad().raw_data());
  }
  state.SetBytesProcessed(state.iterations() * x.numel() * 9 * 4);
}
BENCHMARK(BM_GroupNormFwdBwdCpu)->Args({256, 64})->Unit(benchmark::kMillisecond);

// Bilinear x2 (align_corners=false) of 8 x C x S x S: forward reads the input once and writes the
// output; backward reads the output gradient and writes the input gradient.
void BM_BilinearX2ForwardCpu(benchmark::State& state) {
  const int64_t c = state.range(0), s = state.range(1);
  Tensor x = Tensor::uniform({8, c, s, s}, -1, 1, 3);
  for (auto _ : state) benchmark::DoNotOptimize(resize_bilinear(x, 2 * s, 2 * s, false).raw_data());
  state.SetBytesProcessed(state.iterations() * x.numel() * 5 * 4);
}
BENCHMARK(BM_BilinearX2ForwardCpu)->Args({256, 32})->Args({256, 64})->Unit(benchmark::kMillisecond);

void BM_BilinearX2FwdBwdCpu(benchmark::State& state) {
  const int64_t c = state.range(0), s = state.range(1);
  Tensor x = Tensor::uniform({8, c, s, s}, -1, 1, 3);
  Tensor g = Tensor::uniform({8, c, 2 * s, 2 * s}, -1, 1, 4);
  for (auto _ : state) {
    Tensor xl = leaf(x);
    resize_bilinear(xl, 2 * s, 2 * s, false).backward(g);
    benchmark::DoNotOptimize(xl.grad().raw_data());
  }
  state.SetBytesProcessed(state.iterations() * x.numel() * 10 * 4);
}
BENCHMARK(BM_BilinearX2FwdBwdCpu)->Args({256, 32})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cromss
