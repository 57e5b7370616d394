// CUDA backend of the objective passes (kernels/cromss_objective.h): each pass body of
// kernels/cromss_objective.cuh in a grid-stride kernel, one thread per pixel. Logits load as
// f32/f64/bf16/f16 and all math runs in fp32. The sums are deterministic (the same bits run to
// run): per block in a fixed order (warp shuffles, then the warps in order) into one double
// partial per block, then one block per accumulator adds the partials in a fixed tree, into the
// objective's state buffer on the device, and one thread reduces them to the losses and the
// gradient coefficients there. Nothing here waits for the device. The thresholds pass is in
// kernels/cuda/cromss_threshold.cu.
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/cromss_objective.h"
#include "kernels/cuda/cromss_objective_backend.cuh"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

// Logits of element type T read as float by the pass bodies.
template <class T>
struct Logits {
  const T* p;
  __host__ __device__ float operator[](int64_t i) const { return static_cast<float>(p[i]); }
};

const float* f(const void* p) {
  return static_cast<const float*>(p);
}
float* f(void* p) {
  return static_cast<float*>(p);
}

__global__ void labels_kernel(const int64_t* in, int64_t n, int C, int32_t* out,
                              unsigned long long* bad_mark) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    if (!label_pixel(i, in, C, out)) atomicMax(bad_mark, static_cast<unsigned long long>(n - i));
  }
}

template <class T>
__global__ void confidences_kernel(Logits<T> z1, Logits<T> z2, bool two, const int32_t* labels,
                                   const float* prior, int64_t n, int C, int64_t HW,
                                   ConfidenceArgs args, float* target, float* cl1, float* cl2,
                                   float* ce1, float* ce2) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    confidences_pixel<float>(i, z1, z2, two, labels, prior, C, HW, args, target, cl1, cl2, ce1,
                             ce2);
  }
}

__global__ void weights_kernel(const float* conf_label, const float* conf_pred,
                               const int32_t* labels, const float* theta, const int64_t* k,
                               int64_t n, WeightArgs w, float* w_seg, float* w_con) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    weights_pixel<float>(i, conf_label, conf_pred, labels, theta, k, w, w_seg, w_con);
  }
}

__device__ float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Writes the block's sum of each thread's acc[j] to partials[blockIdx.x * count + j]: warp
// shuffles, then the warps of the block in order. blockDim.x == kThreads.
__device__ void block_partials(const float* acc, int count, double* partials) {
  constexpr int kWarps = kThreads / 32;
  __shared__ float partial[kWarps][kMaxObjectiveSums];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int j = 0; j < count; ++j) {
    const float v = warp_sum(acc[j]);
    if (lane == 0) partial[warp][j] = v;
  }
  __syncthreads();
  for (int j = threadIdx.x; j < count; j += blockDim.x) {
    double total = 0;
    for (int w = 0; w < kWarps; ++w) total += partial[w][j];
    partials[static_cast<int64_t>(blockIdx.x) * count + j] = total;
  }
}

// sums[j] = sum over the `blocks` partials of accumulator j (block j of the grid): strided
// per-thread sums, then a shared-memory tree, both in a fixed order. blockDim.x == kThreads.
__global__ void partials_total_kernel(const double* partials, int blocks, int count, double* sums) {
  __shared__ double tree[kThreads];
  const int j = blockIdx.x;
  double v = 0;
  for (int b = threadIdx.x; b < blocks; b += blockDim.x) v += partials[int64_t(b) * count + j];
  tree[threadIdx.x] = v;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) tree[threadIdx.x] += tree[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) sums[j] = tree[0];
}

template <class T>
__global__ void sums_kernel(Logits<T> z, Logits<T> zt, bool two, const float* target,
                            const float* w_seg, const float* w_con_t, int64_t n, int C, int64_t HW,
                            ConsistencyKind kind, double* partials) {
  float acc[kMaxObjectiveSums];
  const int count = ObjectiveSums{C}.count();
  for (int j = 0; j < count; ++j) acc[j] = 0.f;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    sums_pixel<float, float>(i, z, zt, two, target, w_seg, w_con_t, C, HW, kind, acc);
  }
  block_partials(acc, count, partials);
}

template <class T>
__global__ void gradient_kernel(Logits<T> z, Logits<T> zt, bool two, const float* target,
                                const float* w_seg, const float* w_con_t, int64_t n, int C,
                                int64_t HW, ConsistencyKind kind, const GradientScales* s,
                                const float* upstream, float* grad) {
  const float up = upstream ? *upstream : 1.f;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    gradient_pixel<float>(i, z, zt, two, target, w_seg, w_con_t, C, HW, kind, *s, up, grad);
  }
}

__global__ void reduce_kernel(double* state, int C, ReduceArgs args) {
  const ObjectiveState at{C};
  const double* sums[2] = {state + at.sums(0), state + at.sums(1)};
  GradientScales* scales[2] = {reinterpret_cast<GradientScales*>(state + at.scales(0)),
                               reinterpret_cast<GradientScales*>(state + at.scales(1))};
  reduce_sums(sums, C, args, state + at.losses(), scales);
}

unsigned pixel_blocks(int64_t n) {
  const unsigned b = blocks_for(n);
  return b < 2048u ? b : 2048u;  // grid-stride: enough blocks to fill the GPU
}

DType work_dtype(DType) {
  return DType::f32;
}
DType logit_dtype(DType logits) {
  return logits;  // f32/f64/bf16/f16 load directly; anything else fails in the dispatch
}

void labels_pass(const ObjectiveArrays& a, const int64_t* labels) {
  const int64_t n = a.n();
  if (n == 0) return;
  auto* mark = reinterpret_cast<unsigned long long*>(a.state + ObjectiveState{a.C}.bad_label());
  labels_kernel<<<blocks_for(n), kThreads, 0, stream_of(a.device.index)>>>(labels, n, a.C, a.labels,
                                                                           mark);
  CUDA_CHECK_LAUNCH();
}

void confidences_pass(const ObjectiveArrays& a, const ConfidenceArgs& args) {
  const int64_t n = a.n();
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(a.logits, "objective_confidences", [&] {
    using L = Logits<scalar_t>;
    confidences_kernel<<<blocks_for(n), kThreads, 0, stream_of(a.device.index)>>>(
        L{static_cast<const scalar_t*>(a.z[0])}, L{static_cast<const scalar_t*>(a.z[1])}, a.two,
        a.labels, f(a.prior), n, a.C, a.HW, args, f(a.target), f(a.conf_label[0]),
        f(a.conf_label[1]), f(a.conf_pred[0]), f(a.conf_pred[1]));
  });
  CUDA_CHECK_LAUNCH();
}

void weights_pass(const ObjectiveArrays& a, int d, const WeightArgs& w) {
  const int64_t n = a.n();
  if (n == 0) return;
  weights_kernel<<<blocks_for(n), kThreads, 0, stream_of(a.device.index)>>>(
      f(a.conf_label[d]), f(a.conf_pred[d]), a.labels, f(a.threshold[d]), a.k[d], n, w,
      f(a.weight_seg[d]), f(a.weight_con[d]));
  CUDA_CHECK_LAUNCH();
}

void sums_pass(const ObjectiveArrays& a, int d, ConsistencyKind kind) {
  const int64_t n = a.n();
  if (n == 0) return;  // the read-out was zeroed
  const int o = 1 - d;
  const int count = ObjectiveSums{a.C}.count();
  const unsigned blocks = pixel_blocks(n);
  const Scratch partials(Context::get(a.device), sizeof(double) * count * blocks);
  cudaStream_t stream = stream_of(a.device.index);
  CROMSS_DISPATCH_CUDA_FLOAT(a.logits, "objective_sums", [&] {
    using L = Logits<scalar_t>;
    sums_kernel<<<blocks, kThreads, 0, stream>>>(
        L{static_cast<const scalar_t*>(a.z[d])},
        L{a.two ? static_cast<const scalar_t*>(a.z[o]) : nullptr}, a.two, f(a.target),
        f(a.weight_seg[d]), a.two ? f(a.weight_con[o]) : nullptr, n, a.C, a.HW, kind,
        partials.as<double>());
  });
  CUDA_CHECK_LAUNCH();
  partials_total_kernel<<<count, kThreads, 0, stream>>>(partials.as<double>(),
                                                        static_cast<int>(blocks), count,
                                                        a.state + ObjectiveState{a.C}.sums(d));
  CUDA_CHECK_LAUNCH();
}

void reduce_pass(const ObjectiveArrays& a, const ReduceArgs& args) {
  reduce_kernel<<<1, 1, 0, stream_of(a.device.index)>>>(a.state, a.C, args);
  CUDA_CHECK_LAUNCH();
}

void gradient_pass(const ObjectiveArrays& a, int d, ConsistencyKind kind, const void* upstream) {
  const int64_t n = a.n();
  if (n == 0) return;
  const int o = 1 - d;
  const auto* scales =
      reinterpret_cast<const GradientScales*>(a.state + ObjectiveState{a.C}.scales(d));
  CROMSS_DISPATCH_CUDA_FLOAT(a.logits, "objective_gradient", [&] {
    using L = Logits<scalar_t>;
    gradient_kernel<<<blocks_for(n), kThreads, 0, stream_of(a.device.index)>>>(
        L{static_cast<const scalar_t*>(a.z[d])},
        L{a.two ? static_cast<const scalar_t*>(a.z[o]) : nullptr}, a.two, f(a.target),
        f(a.weight_seg[d]), a.two ? f(a.weight_con[o]) : nullptr, n, a.C, a.HW, kind, scales,
        f(upstream), f(a.grad[d]));
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace

const ObjectiveBackend kObjectiveBackend = {
    work_dtype,   logit_dtype, labels_pass, confidences_pass, class_thresholds_pass,
    weights_pass, sums_pass,   reduce_pass, gradient_pass,
};

}  // namespace cromss::cuda_kernels
