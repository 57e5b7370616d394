// CromSS objective passes (kernels/cromss_objective.h, kernels/cromss_prior.h) at the training
// shape, 128 x 9 x 256 x 256 per branch (method-spec.md §5: batch 128 per GPU), and a small batch
// of 8. Reported bytes are the minimum each kernel must move (every input read once, every output
// written once), so bytes_per_second is the achieved bandwidth against the memory-bound floor.
// CUDA variants are registered only when a device exists; they synchronise the stream after each
// iteration (wall time includes one launch latency).
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/bench_support.h"
#include "core/context.h"
#include "core/device.h"
#include "engine/dispatch.h"
#include "engine/tensor.h"
#include "kernels/cromss_objective.h"
#include "kernels/cromss_prior.h"

namespace cromss {
namespace {

using bench::sync;

constexpr int kC = 9;
constexpr int64_t kH = 256, kW = 256;

struct Buffers {
  int64_t B, HW, N;
  Tensor z1, z2, labels, prior, target, cl1, cl2, ce1, ce2, ws, wc, grad, seasons, season;
  Tensor confidence;       // uniform in [0, 1): the thresholds' input
  Tensor theta, k, state;  // state: the objective's sums, losses and gradient coefficients

  Buffers(int64_t b, Device dev) : B(b), HW(kH * kW), N(b * kH * kW) {
    const Shape full{B, kC, kH, kW}, map{B, kH, kW};
    z1 = Tensor::normal(full, 0, 2, 1).to(dev);
    z2 = Tensor::normal(full, 0, 2, 2).to(dev);
    labels = Tensor::uniform(map, 0, kC - 0.5, 3).to(DType::i32).to(dev);
    prior = Tensor::full(full, 1.0 / kC, DType::f32, dev);
    target = Tensor::empty(full, DType::f32, dev);
    grad = Tensor::empty(full, DType::f32, dev);
    for (Tensor* t : {&cl1, &cl2, &ce1, &ce2, &ws, &wc}) *t = Tensor::empty(map, DType::f32, dev);
    seasons = Tensor::uniform({B, 4, kH, kW}, 0, kC - 0.5, 4).to(DType::i32).to(dev);
    season = Tensor::zeros({B}, DType::i32, dev);
    confidence = Tensor::uniform(map, 0, 1, 9).to(dev);
    theta = Tensor::full({kC}, 0.3, DType::f32, dev);
    k = Tensor::full({kC}, 1, DType::i64, dev);
    state = Tensor::zeros({ObjectiveState{kC}.count()}, DType::f64, dev);
  }
  // The passes' view of the buffers: branch 0 is z1 (weights cl1/ce1 -> ws/wc), branch 1 is z2
  // (its confidence maps are `confidence` and ce2, its weights wc).
  ObjectiveArrays arrays() const {
    ObjectiveArrays a;
    a.device = z1.device();
    a.B = B;
    a.HW = HW;
    a.C = kC;
    a.z[0] = z1.raw_data();
    a.z[1] = z2.raw_data();
    a.labels = labels.data<int32_t>();
    a.prior = prior.raw_data();
    a.target = target.raw_data();
    a.conf_label[0] = cl1.raw_data();
    a.conf_label[1] = confidence.raw_data();
    a.conf_pred[0] = ce1.raw_data();
    a.conf_pred[1] = ce2.raw_data();
    a.threshold[0] = a.threshold[1] = theta.raw_data();
    a.k[0] = a.k[1] = k.data<int64_t>();
    a.weight_seg[0] = a.weight_seg[1] = ws.raw_data();
    a.weight_con[0] = a.weight_con[1] = wc.raw_data();
    a.grad[0] = grad.raw_data();
    a.state = state.data<double>();
    return a;
  }
  float* f(const Tensor& t) const { return t.data<float>(); }
  // Inputs of the sums and gradient benchmarks: a uniform target, every pixel selected.
  void fill_uniform_target_and_weights() {
    target.fill_(1.0 / kC);
    ws.fill_(1.0);
    wc.fill_(1.0);
  }
};

// The inputs of the latest (batch, device), built when either changes: Google Benchmark calls a
// benchmark function once per round while it sizes the iteration count, and the 128-batch inputs
// (about 2 GB, drawn on one CPU thread) would otherwise be drawn again every round. The last set
// is never freed: process exit must not run CUDA frees after the runtime has shut down.
Buffers& buffers_for(int64_t batch, Device dev) {
  static Buffers* current = nullptr;
  if (!current || current->B != batch || current->z1.device() != dev) {
    delete current;  // the old set goes before the new one is drawn
    current = nullptr;
    current = new Buffers(batch, dev);
  }
  return *current;
}

const ConfidenceArgs kArgs{0.8, 0.15, 0.05, false};

// Bytes: logits 2NC, prior NC, target NC (f32), labels N (i32), 4 maps N.
void BM_ObjectiveConfidences(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  const ObjectiveArrays a = b.arrays();
  for (auto _ : state) {
    objective_backend(dev).confidences(a, kArgs);
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 4 * b.N * (4 * kC + 5));
}

// Bytes: one read of confidences and labels (the floor; the GPU makes 5 passes).
void BM_ObjectiveThresholds(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  const ObjectiveArrays a = b.arrays();
  for (auto _ : state) {
    objective_backend(dev).thresholds(a, 1, 0.5, nullptr);
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 8 * b.N);
}

// Bytes: 2 confidence maps + labels in, 2 weight maps out.
void BM_ObjectiveWeights(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  b.theta.fill_(0.3);
  b.k.fill_(1);
  const ObjectiveArrays a = b.arrays();
  for (auto _ : state) {
    objective_backend(dev).weights(a, 0, {SegWeightMode::thresholded, true, 0.5, true});
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 4 * b.N * 5);
}

// Bytes: student and teacher logits and the target (3NC), two weight maps (2N).
void BM_ObjectiveSums(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  b.fill_uniform_target_and_weights();
  const ObjectiveArrays a = b.arrays();
  for (auto _ : state) {
    objective_backend(dev).sums(a, 0, ConsistencyKind::ce);
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 4 * b.N * (3 * kC + 2));
}

// Bytes: as the sums plus the gradient written (4NC + 2N).
void BM_ObjectiveGradient(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  b.fill_uniform_target_and_weights();
  const ObjectiveArrays a = b.arrays();
  // The gradient coefficients from one sums pass (uniform target: every class has mass).
  objective_backend(dev).sums(a, 0, ConsistencyKind::ce);
  objective_backend(dev).reduce(a, ReduceArgs{});
  for (auto _ : state) {
    objective_backend(dev).gradient(a, 0, ConsistencyKind::ce, nullptr);
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 4 * b.N * (4 * kC + 2));
}

// Bytes: 4 seasonal label maps (i32) in, the prior (C planes, f32) out.
void BM_LabelPrior(benchmark::State& state, Device dev) {
  Buffers& b = buffers_for(state.range(0), dev);
  for (auto _ : state) {
    dispatch(kernels::label_prior, dev, b.seasons.data<int32_t>(), b.season.data<int32_t>(), b.B, 4,
             kC, kH, kW, 0.5f, 0.5f, b.f(b.prior));
    sync(dev);
  }
  state.SetBytesProcessed(state.iterations() * 4 * b.N * (4 + kC));
}

void register_all(const char* suffix, Device dev) {
  struct Entry {
    const char* name;
    void (*fn)(benchmark::State&, Device);
  };
  const Entry entries[] = {{"BM_ObjectiveConfidences", BM_ObjectiveConfidences},
                           {"BM_ObjectiveThresholds", BM_ObjectiveThresholds},
                           {"BM_ObjectiveWeights", BM_ObjectiveWeights},
                           {"BM_ObjectiveSums", BM_ObjectiveSums},
                           {"BM_ObjectiveGradient", BM_ObjectiveGradient},
                           {"BM_LabelPrior", BM_LabelPrior}};
  for (const Entry& e : entries)
    benchmark::RegisterBenchmark((std::string(e.name) + suffix).c_str(), e.fn, dev)
        ->Arg(8)
        ->Arg(128)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(0.5);
}

const bool registered = [] {
  register_all("Cpu", Device::cpu());
  if (built_with_cuda() && cuda_device_count() > 0) register_all("Cuda", Device::cuda(0));
  return true;
}();

}  // namespace
}  // namespace cromss
