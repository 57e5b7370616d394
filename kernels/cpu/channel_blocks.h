// NHWC per-channel reductions on the CPU. A channel of an NHWC tensor is a strided column of the
// [rows, C] matrix, so a loop per channel would read the whole tensor once per channel. Instead a
// task takes a block of kChannelBlock consecutive channels (one 64-byte line of f32) and reads
// the rows in order, keeping one accumulator per channel: each channel's values are still summed
// one by one in pixel order, the NCHW loop's order, and the result does not depend on the thread
// count.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cromss::cpu_kernels {

constexpr int64_t kChannelBlock = 16;

inline int64_t channel_block_count(int64_t channels) {
  return (channels + kChannelBlock - 1) / kChannelBlock;
}

// Channels [first, first + size) of block `block`.
struct ChannelBlock {
  int64_t first, size;
};

inline ChannelBlock channel_block(int64_t block, int64_t channels) {
  const int64_t first = block * kChannelBlock;
  return {first, std::min(kChannelBlock, channels - first)};
}

}  // namespace cromss::cpu_kernels
