// The memory format a network runs its activations in (--channels_last, docs/performance.md
// "NHWC"): nchw by default, nhwc ("channels_last") on request. The network converts its input at
// the entry (enter) and its logits back to nchw at the head (leave), so the objective, the losses
// and argmax always see nchw; in between every op keeps its input's format (engine contract),
// so an nhwc network has no other conversion. The same code runs on every device.
#pragma once

#include "engine/ops/shape_ops.h"

namespace cromss {

class NetworkFormat {
 public:
  virtual ~NetworkFormat() = default;
  virtual void set_memory_format(MemoryFormat f) { format_ = f; }
  MemoryFormat memory_format() const { return format_; }

 protected:
  Tensor enter(const Tensor& input) const { return to_memory_format(input, format_); }
  static Tensor leave(const Tensor& logits) { return to_memory_format(logits, MemoryFormat::nchw); }

 private:
  MemoryFormat format_ = MemoryFormat::nchw;
};

}  // namespace cromss
