// Launch side of the split per-channel reductions (kernels/channel_reduce.cuh): the device's SM
// count, the plan of one NCHW reduction (blocks = channels x chunks, block b = ch * chunks + j
// reduces chunk j of channel ch into partial[b]), and the second passes over the partials
// partial[ch * chunks + j] (either layout's first pass writes them so): plain sums, and the
// (mean, M2) triples of the batch-norm statistics.
#pragma once

#include <atomic>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "kernels/channel_reduce.cuh"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {

// Threads of a first-pass block: 8 warps.
constexpr int kChannelReduceThreads = 256;

// The device's SM count, asked once per device.
inline int64_t multiprocessor_count(const Context& ctx) {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cached[kMaxDevices] = {};
  const int device = ctx.index();
  int count = device < kMaxDevices ? cached[device].load() : 0;
  if (count == 0) {
    CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    if (device < kMaxDevices) cached[device].store(count);
  }
  return count;
}

struct ChannelReducePlan {
  int64_t count;   // values per channel
  int64_t chunks;  // chunks per channel
  unsigned blocks;
};

inline ChannelReducePlan plan_channel_reduce(int64_t n, int64_t c, int64_t hw, const Context& ctx) {
  ChannelReducePlan p;
  p.count = n * hw;
  p.chunks = chunks_per_channel(p.count, c, multiprocessor_count(ctx));
  p.blocks = static_cast<unsigned>(c * p.chunks);
  return p;
}

// out0[ch] = sum of part0[ch * chunks + j] over j in chunk order; likewise out1 from part1 when
// part1 is not null. One thread per channel.
template <class A, class Out>
__global__ void sum_partials_kernel(const A* part0, Out* out0, const A* part1, Out* out1, int64_t c,
                                    int64_t chunks) {
  CROMSS_GRID_STRIDE_LOOP(ch, c) {
    store(out0, ch, combine_sums(part0 + ch * chunks, chunks));
    if (part1 != nullptr) store(out1, ch, combine_sums(part1 + ch * chunks, chunks));
  }
}

// mean[ch] and biased var[ch] of `count` values per channel from the (mean, M2) partials of its
// chunks, merged in chunk order. One thread per channel.
template <class A>
__global__ void mean_var_partials_kernel(const A* part_mean, const A* part_m2, int64_t c,
                                         int64_t count, int64_t chunks, A* mean, A* var) {
  CROMSS_GRID_STRIDE_LOOP(ch, c) {
    const MeanM2<A> r =
        combine_mean_m2(part_mean + ch * chunks, part_m2 + ch * chunks, count, chunks);
    mean[ch] = r.mean;
    var[ch] = r.m2 / A(count);
  }
}

}  // namespace cromss::cuda_kernels
