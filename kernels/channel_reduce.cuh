// Per-channel reductions over dense NCHW or NHWC data split across many thread blocks, with a
// deterministic second pass. Shared by the CUDA kernels (kernels/cuda/batch_norm.cu,
// kernels/cuda/conv2d_bias.cu) and tested on the CPU (tests/cpu/channel_reduce_test.cpp).
//
// Channel ch of an [n, c, hw] tensor holds count = n * hw values; its i-th value (0 <= i < count)
// sits at channel_offset(i, ch, c, hw). The values of a channel are split into `chunks`
// contiguous index ranges [chunk_begin(j), chunk_begin(j + 1)); one thread block reduces one
// chunk of one channel to a partial, and a second pass combines the partials of each channel in
// chunk order 0, 1, ..., chunks - 1. The chunk count depends only on the shape and the device's
// SM count, and no float atomics are used, so a fixed shape on a fixed device gives the same
// bits every run.
//
// NHWC ("channels last", and any NCHW tensor with H = W = 1) is a row-major [rows, C] matrix with
// rows = N * H * W pixels: a channel is a strided column, so one block per channel would read one
// value per 2*C bytes. There a block reduces a tile of rows for a run of channels instead
// (ChannelsLastPlan below): threads along C read consecutive channels of a row (coalesced, one
// 128-bit load of `width` channels each), threads along the rows step through the tile. The row
// tiles of a channel are the chunks above (chunk_begin over count = rows), the partial of tile j
// of channel ch goes to partial[ch * tiles + j], so the second pass is the NCHW path's.
//
// Partials are either plain sums (BN backward sums, the conv bias gradient) or, for the BN
// statistics, a (count, mean, M2) triple merged with Chan et al.'s parallel formula, which stays
// accurate where the sum of squares would cancel.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

// Enough blocks to keep every SM busy: kChannelBlocksPerSm blocks per SM over all channels.
constexpr int64_t kChannelBlocksPerSm = 4;
// A chunk is at least this many values, so a block's fixed cost (the block-wide merge) stays
// small against its loads; a channel with fewer values is one chunk.
constexpr int64_t kMinChunkValues = 4096;
// Upper bound of the chunks of one channel (bounds the sequential second pass).
constexpr int64_t kMaxChunksPerChannel = 1024;

// Chunks per channel for `channels` channels of `count` values on a device with `sm_count` SMs.
CROMSS_HD int64_t chunks_per_channel(int64_t count, int64_t channels, int64_t sm_count) {
  if (count <= 0 || channels <= 0) return 1;
  const int64_t target_blocks = (sm_count > 0 ? sm_count : 1) * kChannelBlocksPerSm;
  int64_t chunks = (target_blocks + channels - 1) / channels;
  const int64_t by_size = count / kMinChunkValues;
  if (chunks > by_size) chunks = by_size;
  if (chunks > kMaxChunksPerChannel) chunks = kMaxChunksPerChannel;
  return chunks < 1 ? 1 : chunks;
}

// First value index of chunk j (0 <= j <= chunks; chunk_begin(chunks) == count). Chunk sizes
// differ by at most one.
CROMSS_HD int64_t chunk_begin(int64_t count, int64_t chunks, int64_t j) {
  return count / chunks * j + (count % chunks) * j / chunks;
}

// Flat NCHW index of the i-th of the n * hw values of channel ch.
template <class I>
CROMSS_HD I channel_offset(I i, I ch, I c, I hw) {
  const I sample = i / hw;
  return (sample * c + ch) * hw + (i - sample * hw);
}

// Mean and sum of squared deviations (M2) of `count` values; MeanM2<A>{} (count 0) is the empty
// set. An aggregate, so that CUDA kernels can keep it in __shared__ memory.
template <class A>
struct MeanM2 {
  int64_t count;
  A mean;
  A m2;
};

// Chan et al.'s merge of two disjoint sets: exact in exact arithmetic, order-dependent in
// floating point (so callers merge in a fixed order).
template <class A>
CROMSS_HD MeanM2<A> merge_mean_m2(const MeanM2<A>& a, const MeanM2<A>& b) {
  if (b.count == 0) return a;
  if (a.count == 0) return b;
  MeanM2<A> r;
  r.count = a.count + b.count;
  const A delta = b.mean - a.mean, nb_over_n = A(b.count) / A(r.count);
  r.mean = a.mean + delta * nb_over_n;
  r.m2 = a.m2 + b.m2 + delta * delta * A(a.count) * nb_over_n;
  return r;
}

// The second pass for one channel: the partials of chunks 0 .. chunks - 1 (partial_*[j], chunk j
// holding chunk_begin(j + 1) - chunk_begin(j) values), merged in chunk order.
template <class A>
CROMSS_HD MeanM2<A> combine_mean_m2(const A* partial_mean, const A* partial_m2, int64_t count,
                                    int64_t chunks) {
  MeanM2<A> total{};
  for (int64_t j = 0; j < chunks; ++j) {
    MeanM2<A> part;
    part.count = chunk_begin(count, chunks, j + 1) - chunk_begin(count, chunks, j);
    part.mean = partial_mean[j];
    part.m2 = partial_m2[j];
    total = merge_mean_m2(total, part);
  }
  return total;
}

// The second pass of a plain sum: partial[0 .. chunks - 1] added in chunk order.
template <class A>
CROMSS_HD A combine_sums(const A* partial, int64_t chunks) {
  A total = 0;
  for (int64_t j = 0; j < chunks; ++j) total += partial[j];
  return total;
}

// --- Channels-last split (see the header comment) ---

// Threads of a channels-last first-pass block.
constexpr int64_t kChannelsLastThreads = 256;
// A row tile gives each thread at least this many rows, so that the block's tree merge of its
// threads' partials stays small against its loads.
constexpr int64_t kMinTileRowsPerThread = 8;

// Block b = tile * channel_blocks + channel_block; thread t = row_lane * threads_c + channel_lane.
// Thread t of block b reduces channels first_channel .. first_channel + width - 1 (those below C)
// over rows first_row, first_row + threads_r, ... below the tile's end.
struct ChannelsLastPlan {
  int64_t rows = 0, channels = 0;
  int64_t width = 1;           // consecutive channels per thread (the 128-bit vector width or 1)
  int64_t threads_c = 1;       // threads along C: a power of two, at most 32
  int64_t threads_r = 1;       // threads along the rows: kChannelsLastThreads / threads_c
  int64_t channel_blocks = 1;  // blocks along C
  int64_t row_tiles = 1;       // tiles along the rows = chunks per channel of the second pass
  CROMSS_HD int64_t blocks() const { return channel_blocks * row_tiles; }
  CROMSS_HD int64_t tile(int64_t block) const { return block / channel_blocks; }
  CROMSS_HD int64_t first_channel(int64_t block, int64_t thread) const {
    return (block % channel_blocks * threads_c + thread % threads_c) * width;
  }
  CROMSS_HD int64_t tile_begin(int64_t block) const {
    return chunk_begin(rows, row_tiles, tile(block));
  }
  CROMSS_HD int64_t tile_end(int64_t block) const {
    return chunk_begin(rows, row_tiles, tile(block) + 1);
  }
  CROMSS_HD int64_t first_row(int64_t block, int64_t thread) const {
    return tile_begin(block) + thread / threads_c;
  }
};

// The plan for a [rows, channels] matrix on a device with `sm_count` SMs; `width` divides
// `channels` (the caller's vectorisation choice, 1 when C or the buffers do not allow vectors).
// As for NCHW: kChannelBlocksPerSm blocks per SM in all, no tile below kMinTileRowsPerThread rows
// per thread, at most kMaxChunksPerChannel tiles.
CROMSS_HD ChannelsLastPlan plan_channels_last(int64_t rows, int64_t channels, int64_t width,
                                              int64_t sm_count) {
  ChannelsLastPlan p;
  p.rows = rows;
  p.channels = channels;
  p.width = width > 0 ? width : 1;
  const int64_t lanes = (channels + p.width - 1) / p.width;
  while (p.threads_c < lanes && p.threads_c < 32) p.threads_c *= 2;
  p.threads_r = kChannelsLastThreads / p.threads_c;
  p.channel_blocks = lanes > 0 ? (lanes + p.threads_c - 1) / p.threads_c : 1;
  const int64_t target_blocks = (sm_count > 0 ? sm_count : 1) * kChannelBlocksPerSm;
  int64_t tiles = (target_blocks + p.channel_blocks - 1) / p.channel_blocks;
  const int64_t by_size = rows / (p.threads_r * kMinTileRowsPerThread);
  if (tiles > by_size) tiles = by_size;
  if (tiles > kMaxChunksPerChannel) tiles = kMaxChunksPerChannel;
  p.row_tiles = tiles < 1 ? 1 : tiles;
  return p;
}

}  // namespace cromss
