// Class-balanced top-proportion thresholds on the GPU (method-spec.md §4.4), the thresholds pass of
// the CUDA objective backend (kernels/cromss_objective.h): theta_c = k_c-th largest entangled label
// confidence among the pixels of class c over the whole local batch, k_c = floor(f32(n_c) f32(r))
// (method-spec.md §9.29), found by radix selection over the float bit patterns
// (kernels/cromss_radix_select.cuh): one counting pass, then four 8-bit digit passes, each a
// per-class histogram (shared memory per block, merged with global atomics) and a
// one-thread-per-class digit choice. No sort of the batch, no host synchronisation, except with
// --global_selection: then the class counts and each pass's histograms (C x 256 counters) are
// copied to the host, summed over the ranks (core/cross_rank.h) and copied back between the
// kernels, so every rank selects over the union of the ranks' batches.
#include <vector>

#include "core/cuda/context_cuda.h"
#include "core/cuda_api.h"
#include "core/error.h"
#include "core/scratch.h"
#include "kernels/cromss_objective.h"
#include "kernels/cromss_radix_select.cuh"
#include "kernels/cuda/cromss_objective_backend.cuh"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

__global__ void class_count_kernel(const int32_t* labels, int64_t n, int C,
                                   unsigned long long* counts) {
  __shared__ unsigned int local[kMaxObjectiveClasses];
  for (int c = threadIdx.x; c < C; c += blockDim.x) local[c] = 0;
  __syncthreads();
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    atomicAdd(&local[labels[i]], 1u);
  }
  __syncthreads();
  for (int c = threadIdx.x; c < C; c += blockDim.x)
    if (local[c]) atomicAdd(&counts[c], static_cast<unsigned long long>(local[c]));
}

// k_c from n_c; rank = k_c, prefix = 0.
__global__ void init_select_kernel(const unsigned long long* counts, int C, double ratio,
                                   int64_t* k, uint32_t* rank, uint32_t* prefix) {
  const int c = threadIdx.x;
  if (c >= C) return;
  k[c] = selection_count(static_cast<long long>(counts[c]), ratio);
  rank[c] = static_cast<uint32_t>(k[c]);
  prefix[c] = 0u;
}

__global__ void digit_histogram_kernel(const float* conf, const int32_t* labels, int64_t n, int C,
                                       int pass, const uint32_t* rank, const uint32_t* prefix,
                                       uint32_t* hist) {
  extern __shared__ uint32_t local[];  // C x kRadixBuckets
  for (int j = threadIdx.x; j < C * kRadixBuckets; j += blockDim.x) local[j] = 0;
  __syncthreads();
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int c = labels[i];
    if (rank[c] == 0) continue;
    const uint32_t bits = ordered_bits(conf[i]);
    if (!radix_prefix_matches(bits, prefix[c], pass)) continue;
    atomicAdd(&local[c * kRadixBuckets + radix_digit(bits, pass)], 1u);
  }
  __syncthreads();
  for (int j = threadIdx.x; j < C * kRadixBuckets; j += blockDim.x)
    if (local[j]) atomicAdd(&hist[j], local[j]);
}

__global__ void choose_digit_kernel(const uint32_t* hist, int C, int pass, uint32_t* rank,
                                    uint32_t* prefix) {
  const int c = threadIdx.x;
  if (c >= C || rank[c] == 0) return;
  uint32_t r = rank[c];
  const uint32_t d = select_digit(hist + c * kRadixBuckets, &r);
  rank[c] = r;
  prefix[c] |= d << radix_shift(pass);
}

__global__ void finish_select_kernel(const int64_t* k, const uint32_t* prefix, int C,
                                     float* theta) {
  const int c = threadIdx.x;
  if (c < C) theta[c] = k[c] > 0 ? float_from_bits(prefix[c]) : 0.f;
}

// In place: device counters <- their sums over the ranks (a host round trip through the engine's
// CUDA API layer, which counts its syncs: engine/sync_counts.h).
template <class Counter>
void sum_over_ranks(Counter* device_values, int64_t count, CrossRankSum& ranks, int device) {
  std::vector<Counter> host(static_cast<size_t>(count));
  cuda_api::copy_device_to_host(host.data(), device_values, sizeof(Counter) * count, device);
  std::vector<int64_t> wide(host.begin(), host.end());
  ranks.sum(wide);
  for (size_t i = 0; i < wide.size(); ++i) {
    CROMSS_CHECK(wide[i] >= 0 && static_cast<uint64_t>(wide[i]) <= ~Counter{0},
                 "--global_selection: a class histogram count of {} overflows its counter",
                 wide[i]);
    host[i] = static_cast<Counter>(wide[i]);
  }
  cuda_api::copy_host_to_device(device_values, host.data(), sizeof(Counter) * count, device);
}

}  // namespace

void class_thresholds_pass(const ObjectiveArrays& a, int branch, double ratio,
                           CrossRankSum* ranks) {
  const float* conf = static_cast<const float*>(a.conf_label[branch]);
  const int32_t* labels = a.labels;
  const int64_t n = a.n();
  const int C = a.C;
  int64_t* k = a.k[branch];
  cudaStream_t stream = stream_of(a.device.index);
  const size_t hist_bytes = sizeof(uint32_t) * C * kRadixBuckets;
  const Scratch scratch(Context::get(a.device),
                        sizeof(unsigned long long) * C + 2 * sizeof(uint32_t) * C + hist_bytes);
  auto* counts = scratch.as<unsigned long long>();
  auto* rank = reinterpret_cast<uint32_t*>(counts + C);
  uint32_t* prefix = rank + C;
  uint32_t* hist = prefix + C;
  CUDA_CHECK(cudaMemsetAsync(counts, 0, sizeof(unsigned long long) * C, stream));
  const unsigned blocks = n > 0 ? (blocks_for(n) < 1024u ? blocks_for(n) : 1024u) : 1u;
  if (n > 0) class_count_kernel<<<blocks, kThreads, 0, stream>>>(labels, n, C, counts);
  CUDA_CHECK_LAUNCH();
  if (ranks) sum_over_ranks(counts, C, *ranks, a.device.index);
  init_select_kernel<<<1, kMaxObjectiveClasses, 0, stream>>>(counts, C, ratio, k, rank, prefix);
  CUDA_CHECK_LAUNCH();
  for (int pass = 0; pass < kRadixPasses && (n > 0 || ranks); ++pass) {
    CUDA_CHECK(cudaMemsetAsync(hist, 0, hist_bytes, stream));
    digit_histogram_kernel<<<blocks, kThreads, hist_bytes, stream>>>(conf, labels, n, C, pass, rank,
                                                                     prefix, hist);
    CUDA_CHECK_LAUNCH();
    if (ranks)
      sum_over_ranks(hist, static_cast<int64_t>(C) * kRadixBuckets, *ranks, a.device.index);
    choose_digit_kernel<<<1, kMaxObjectiveClasses, 0, stream>>>(hist, C, pass, rank, prefix);
    CUDA_CHECK_LAUNCH();
  }
  finish_select_kernel<<<1, kMaxObjectiveClasses, 0, stream>>>(
      k, prefix, C, static_cast<float*>(a.threshold[branch]));
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
