// CUDA passes of the CromSS objective (kernels/cromss_objective.h): fused softmax + targets +
// confidences + entangling; selection weights; loss sums (CE, Dice partial sums, consistency);
// and the fused softmax + CE + Dice + consistency gradient. Logits load as f32/f64/bf16/f16 and
// all math runs in fp32 (kernels/cromss_objective.cuh). The loss sums are deterministic (the same
// bits run to run): per block in a fixed order (warp shuffles, then the warps in order) into one
// double partial per block, then one block per accumulator adds the partials in a fixed tree.
// One thread per pixel, grid-stride.
#include "core/allocator.h"
#include "core/cuda/context_cuda.h"
#include "kernels/cromss_objective.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

template <class T>
__device__ void load_pixel(const T* z, int64_t b, int C, int64_t HW, int64_t hw, float* out) {
  const T* base = z + b * C * HW + hw;
  for (int c = 0; c < C; ++c) out[c] = static_cast<float>(load(base, c * HW));
}

template <class T>
__global__ void confidences_kernel(const T* z1, const T* z2, const int32_t* labels,
                                   const float* prior, int64_t B, int C, int64_t HW,
                                   ConfidenceArgs args, float* target, float* cl1, float* cl2,
                                   float* ce1, float* ce2) {
  const int64_t n = B * HW;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t b = i / HW, hw = i % HW;
    const int y = labels[i];
    for (int c = 0; c < C; ++c) {
      const int64_t at = (b * C + c) * HW + hw;
      target[at] = smoothed_target<float>(y, c, prior ? prior[at] : 0.f, float(args.w_onehot),
                                          float(args.w_prior), float(args.w_uniform), C);
    }
    if (!z2) continue;
    float z[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses];
    float cl[2], ce[2];
    for (int d = 0; d < 2; ++d) {
      load_pixel(d == 0 ? z1 : z2, b, C, HW, hw, z);
      log_softmax_pixel(z, C, logp, p);
      cl[d] = p[y];
      ce[d] = args.gini ? gini_confidence(p, C) : entropy_confidence(p, logp, C);
    }
    cl1[i] = args.entangle ? entangle(cl[0], cl[1]) : cl[0];
    cl2[i] = args.entangle ? entangle(cl[1], cl[0]) : cl[1];
    ce1[i] = args.entangle ? entangle(ce[0], ce[1]) : ce[0];
    ce2[i] = args.entangle ? entangle(ce[1], ce[0]) : ce[1];
  }
}

__global__ void weights_kernel(const float* conf_label, const float* conf_pred,
                               const int32_t* labels, const float* theta, const int64_t* k,
                               int64_t n, SegWeightMode mode, bool select_con, float ramp,
                               bool ramping, float* w_seg, float* w_con) {
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int y = labels[i];
    float w = 1.f;
    if (mode == SegWeightMode::confidence) w = conf_label[i];
    if (mode == SegWeightMode::thresholded) w = selection_weight(conf_label[i], theta[y], k[y] > 0);
    w_seg[i] = w;
    w_con[i] = select_con ? consistency_weight(conf_pred[i], ramp, ramping) : 1.f;
  }
}

// Accumulator layout: [sum W_l, sum W_l ce, sum W_e, sum W_e l, I[C], P[C], T[C], M[C]].
constexpr int kSumsFixed = 4;
constexpr int kSumsMax = kSumsFixed + 4 * kMaxObjectiveClasses;

__device__ float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
}

// Writes the block's sum of each thread's acc[j] to partials[blockIdx.x * count + j]: warp
// shuffles, then the warps of the block in order. blockDim.x == kThreads.
__device__ void block_partials(const float* acc, int count, double* partials) {
  constexpr int kWarps = kThreads / 32;
  __shared__ float partial[kWarps][kSumsMax];
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
__global__ void sums_kernel(const T* z, const T* zt, const float* target, const float* w_seg,
                            const float* w_con_t, int64_t B, int C, int64_t HW,
                            ConsistencyKind kind, double* partials) {
  float acc[kSumsMax];
  const int count = kSumsFixed + 4 * C;
  for (int j = 0; j < count; ++j) acc[j] = 0.f;
  const int64_t n = B * HW;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t b = i / HW, hw = i % HW;
    float zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
        t[kMaxObjectiveClasses];
    load_pixel(z, b, C, HW, hw, zz);
    for (int c = 0; c < C; ++c) t[c] = target[(b * C + c) * HW + hw];
    log_softmax_pixel(zz, C, logp, p);
    const float w = w_seg[i];
    acc[0] += w;
    acc[1] += w * soft_cross_entropy(t, logp, C);
    for (int c = 0; c < C; ++c) {
      acc[kSumsFixed + c] += w * p[c] * t[c];
      acc[kSumsFixed + C + c] += w * p[c];
      acc[kSumsFixed + 2 * C + c] += w * t[c];
      acc[kSumsFixed + 3 * C + c] += t[c];
    }
    if (kind == ConsistencyKind::none || !zt) continue;
    float q[kMaxObjectiveClasses], logq[kMaxObjectiveClasses];
    load_pixel(zt, b, C, HW, hw, zz);
    log_softmax_pixel(zz, C, logq, q);
    const float we = w_con_t[i];
    acc[2] += we;
    acc[3] += we * consistency_pixel(kind, logp, p, q, logq, C);
  }
  block_partials(acc, count, partials);
}

struct DeviceScales {
  float ce, dice, con;
  float dice_a[kMaxObjectiveClasses], dice_b[kMaxObjectiveClasses];
};

template <class T>
__global__ void gradient_kernel(const T* z, const T* zt, const float* target, const float* w_seg,
                                const float* w_con_t, int64_t B, int C, int64_t HW,
                                ConsistencyKind kind, DeviceScales s, float* grad) {
  const int64_t n = B * HW;
  const bool with_teacher = kind != ConsistencyKind::none && zt;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t b = i / HW, hw = i % HW;
    float zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
        t[kMaxObjectiveClasses], q[kMaxObjectiveClasses], g[kMaxObjectiveClasses];
    load_pixel(z, b, C, HW, hw, zz);
    for (int c = 0; c < C; ++c) t[c] = target[(b * C + c) * HW + hw];
    log_softmax_pixel(zz, C, logp, p);
    float scale_con = 0.f;
    if (with_teacher) {
      float logq[kMaxObjectiveClasses];
      load_pixel(zt, b, C, HW, hw, zz);
      log_softmax_pixel(zz, C, logq, q);
      scale_con = s.con * w_con_t[i];
    } else {
      for (int c = 0; c < C; ++c) q[c] = 0.f;
    }
    const float w = w_seg[i];
    pixel_gradient(p, t, q, C, s.ce * w, s.dice * w, s.dice_a, s.dice_b,
                   with_teacher ? kind : ConsistencyKind::none, scale_con, g);
    for (int c = 0; c < C; ++c) grad[(b * C + c) * HW + hw] = g[c];
  }
}

// Device scratch from the caching allocator, returned on scope exit (stream-ordered reuse).
struct Scratch {
  Scratch(size_t bytes, int device) : bytes_(bytes), device_(device) {
    ptr_ = allocator_for(Device::cuda(device)).allocate(bytes);
  }
  ~Scratch() { allocator_for(Device::cuda(device_)).deallocate(ptr_, bytes_); }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes_;
  int device_;
  void* ptr_;
};

unsigned pixel_blocks(int64_t n) {
  const unsigned b = blocks_for(n);
  return b < 2048u ? b : 2048u;  // grid-stride: enough blocks to fill the GPU
}

}  // namespace

void objective_confidences(const void* z1, const void* z2, DType logit_dtype, const int32_t* labels,
                           const float* prior, int64_t B, int C, int64_t HW, ConfidenceArgs args,
                           float* target, float* conf_label1, float* conf_label2, float* conf_pred1,
                           float* conf_pred2, int device) {
  const int64_t n = B * HW;
  if (n == 0) return;
  CROMSS_DISPATCH_CUDA_FLOAT(logit_dtype, "objective_confidences", [&] {
    confidences_kernel<<<blocks_for(n), kThreads, 0, stream_of(device)>>>(
        static_cast<const scalar_t*>(z1), static_cast<const scalar_t*>(z2), labels, prior, B, C, HW,
        args, target, conf_label1, conf_label2, conf_pred1, conf_pred2);
  });
  CUDA_CHECK_LAUNCH();
}

void selection_weights(const float* conf_label, const float* conf_pred, const int32_t* labels,
                       const float* theta, const int64_t* k, int64_t n, SegWeightMode mode,
                       bool select_con, double ramp, bool ramping, float* w_seg, float* w_con,
                       int device) {
  if (n == 0) return;
  weights_kernel<<<blocks_for(n), kThreads, 0, stream_of(device)>>>(
      conf_label, conf_pred, labels, theta, k, n, mode, select_con, float(ramp), ramping, w_seg,
      w_con);
  CUDA_CHECK_LAUNCH();
}

void objective_sums(const void* z, const void* z_teacher, DType logit_dtype, const float* target,
                    const float* w_seg, const float* w_con_teacher, int64_t B, int C, int64_t HW,
                    ConsistencyKind kind, ObjectiveSums* sums, int device) {
  const int64_t n = B * HW;
  *sums = ObjectiveSums{};
  if (n == 0) return;
  const int count = kSumsFixed + 4 * C;
  const unsigned blocks = pixel_blocks(n);
  Scratch partials(sizeof(double) * count * blocks, device);
  Scratch acc(sizeof(double) * count, device);
  cudaStream_t stream = stream_of(device);
  CROMSS_DISPATCH_CUDA_FLOAT(logit_dtype, "objective_sums", [&] {
    sums_kernel<<<blocks, kThreads, 0, stream>>>(
        static_cast<const scalar_t*>(z), static_cast<const scalar_t*>(z_teacher), target, w_seg,
        w_con_teacher, B, C, HW, kind, partials.as<double>());
  });
  CUDA_CHECK_LAUNCH();
  partials_total_kernel<<<count, kThreads, 0, stream>>>(
      partials.as<double>(), static_cast<int>(blocks), count, acc.as<double>());
  CUDA_CHECK_LAUNCH();
  double host[kSumsMax];
  CUDA_CHECK(cudaMemcpyAsync(host, acc.as<double>(), sizeof(double) * count, cudaMemcpyDeviceToHost,
                             stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  sums->seg_weight = host[0];
  sums->seg_ce = host[1];
  sums->con_weight = host[2];
  sums->con = host[3];
  for (int c = 0; c < C; ++c) {
    sums->dice_inter[c] = host[kSumsFixed + c];
    sums->dice_pred[c] = host[kSumsFixed + C + c];
    sums->dice_target[c] = host[kSumsFixed + 2 * C + c];
    sums->target_mass[c] = host[kSumsFixed + 3 * C + c];
  }
}

void objective_gradient(const void* z, const void* z_teacher, DType logit_dtype,
                        const float* target, const float* w_seg, const float* w_con_teacher,
                        int64_t B, int C, int64_t HW, ConsistencyKind kind,
                        const GradientScales& scales, float* grad, int device) {
  const int64_t n = B * HW;
  if (n == 0) return;
  DeviceScales s{float(scales.ce), float(scales.dice), float(scales.con), {}, {}};
  for (int c = 0; c < C; ++c) {
    s.dice_a[c] = float(scales.dice_a[c]);
    s.dice_b[c] = float(scales.dice_b[c]);
  }
  CROMSS_DISPATCH_CUDA_FLOAT(logit_dtype, "objective_gradient", [&] {
    gradient_kernel<<<blocks_for(n), kThreads, 0, stream_of(device)>>>(
        static_cast<const scalar_t*>(z), static_cast<const scalar_t*>(z_teacher), target, w_seg,
        w_con_teacher, B, C, HW, kind, s, grad);
  });
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
