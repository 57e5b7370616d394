// The compute flags shared by `cromss pretrain` and `cromss finetune` (upstream's --accelerator
// and --amp, the engine's --device, --precision, --deterministic, --channels_last and
// --conv_bn_fusion) and the rules that turn them into a device, a precision and the network's
// memory format (--deterministic and --conv_bn_fusion are process-wide switches that
// setup_compute, train/training_setup.h, sets):
// * device: --device when given (ValueError for a CUDA index that does not exist); otherwise
//   "cuda" for --accelerator gpu with a visible GPU, else "cpu" (*fell_back set: upstream falls
//   back to the CPU too).
// * precision: --precision auto gives mixed precision (amp) on a CUDA device: bf16 when the GPU
//   has it (compute capability >= 8.0), else fp16 (upstream's 16-mixed); --amp given (mixed
//   precision off) or a CPU device gives fp32. An explicit --precision wins, but bf16/fp16 with
//   --amp, on a CPU, or bf16 on a GPU without bf16 is an error (ValueError naming --precision).
#pragma once

#include <string>

#include "core/device.h"
#include "core/memory_format.h"
#include "train/precision.h"

namespace cromss {

struct ComputeFlags {
  std::string accelerator = "gpu";  // cpu | gpu
  std::string device;               // "" (from accelerator) | cpu | cuda | cuda:N
  std::string precision = "auto";   // auto | bf16 | fp16 | fp32
  bool amp = true;                  // false: upstream's --amp given (mixed precision off)
  bool deterministic = false;
  bool channels_last = false;   // nhwc activations (docs/performance.md "NHWC"); off by default
  bool conv_bn_fusion = false;  // conv + BN as one cuDNN graph (core/conv_bn_fusion.h); off
};

// The help text of --conv_bn_fusion, shared by every command that takes it.
inline constexpr const char* kConvBnFusionHelp =
    "Run each convolution followed by batch norm as one cuDNN graph where cuDNN offers it (CUDA, "
    "--channels_last, bf16/fp16): conv + batch statistics in training, conv + BN + ReLU in eval; "
    "off by default until measured on a GPU; no effect on the CPU";

// The precision and device rules behind setup_compute (ValueError naming the flag).
Precision resolve_precision(const ComputeFlags& flags, bool on_cuda, bool cuda_has_bf16);
// The same rules for `device`'s capabilities (core/device.h supports_16bit_training/bf16).
Precision resolve_precision(const ComputeFlags& flags, Device device);
std::string resolve_device(const ComputeFlags& flags, int cuda_device_count, bool* fell_back);
// The memory format the network runs its activations in: nhwc with --channels_last, else nchw.
MemoryFormat network_memory_format(const ComputeFlags& flags);

}  // namespace cromss
