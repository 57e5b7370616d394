// Memory formats of 4-D activations (N, C, H, W). The logical shape is always (N, C, H, W); the
// format says how the elements lie in memory: nchw is row-major (channels outermost of the
// pixel dims), nhwc ("channels_last") keeps the C values of one pixel next to each other, the
// layout cuDNN's tensor-core convolutions and oneDNN's direct kernels read without converting
// (docs/performance.md "NHWC"). The offset and channel-view helpers below are the one place the
// two layouts are spelled out; CPU reference loops and CUDA kernels both call them.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/hd.h"

namespace cromss {

enum class MemoryFormat : uint8_t { nchw, nhwc };

const char* memory_format_name(MemoryFormat f);      // "nchw" / "nhwc"
MemoryFormat parse_memory_format(std::string_view);  // "nchw"/"nhwc"/"channels_last"; ValueError

// Element offset of (n, c, h, w) in a dense tensor of sizes (N, C, H, W) stored in format f.
CROMSS_HD int64_t dense_offset(MemoryFormat f, int64_t n, int64_t c, int64_t h, int64_t w,
                               int64_t channels, int64_t height, int64_t width) {
  return f == MemoryFormat::nhwc ? ((n * height + h) * width + w) * channels + c
                                 : ((n * channels + c) * height + h) * width + w;
}

// A dense (N, C, H, W) tensor seen as (outer, C, inner) with element (o, c, i) at
// (o * C + c) * inner + i: nchw is (N, C, H*W), nhwc is (N*H*W, C, 1). Per-channel kernels
// (batch norm, bias, channel sums) loop over this view and so serve both formats.
struct ChannelView {
  int64_t outer = 0, channels = 0, inner = 0;
  CROMSS_HD int64_t offset(int64_t o, int64_t c, int64_t i) const {
    return (o * channels + c) * inner + i;
  }
  CROMSS_HD int64_t per_channel() const { return outer * inner; }  // elements of one channel
};

CROMSS_HD ChannelView channel_view(MemoryFormat f, int64_t n, int64_t c, int64_t hw) {
  return f == MemoryFormat::nhwc ? ChannelView{n * hw, c, 1} : ChannelView{n, c, hw};
}

}  // namespace cromss
