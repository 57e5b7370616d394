// The compute flags shared by `cromss pretrain` and `cromss finetune` (upstream's --accelerator
// and --amp, the engine's --device, --precision, --deterministic and --channels_last) and the
// rules that turn them into a device, a precision and the network's memory format:
// * device: --device when given (ValueError for a CUDA index that does not exist); otherwise
//   "cuda" for --accelerator gpu with a visible GPU, else "cpu" (*fell_back set: upstream falls
//   back to the CPU too).
// * precision: --precision auto gives mixed precision (amp) on a CUDA device: bf16 when the GPU
//   has it (compute capability >= 8.0), else fp16 (upstream's 16-mixed); --amp given (mixed
//   precision off) or a CPU device gives fp32. An explicit --precision wins, but bf16/fp16 with
//   --amp, on a CPU, or bf16 on a GPU without bf16 is an error (ValueError naming --precision).
#pragma once

#include <string>

#include "core/memory_format.h"
#include "train/precision.h"

namespace cromss {

struct ComputeFlags {
  std::string accelerator = "gpu";  // cpu | gpu
  std::string device;               // "" (from accelerator) | cpu | cuda | cuda:N
  std::string precision = "auto";   // auto | bf16 | fp16 | fp32
  bool amp = true;                  // false: upstream's --amp given (mixed precision off)
  bool deterministic = false;
  bool channels_last = false;  // nhwc activations (docs/performance.md "NHWC"); off by default
};

// The precision and device rules behind setup_compute (ValueError naming the flag).
Precision resolve_precision(const ComputeFlags& flags, bool on_cuda, bool cuda_has_bf16);
std::string resolve_device(const ComputeFlags& flags, int cuda_device_count, bool* fell_back);
// The memory format the network runs its activations in: nhwc with --channels_last, else nchw.
MemoryFormat network_memory_format(const ComputeFlags& flags);

}  // namespace cromss
