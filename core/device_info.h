// What a benchmark reports about its device (`cromss bench`, docs/performance.md): the model
// name (CUDA device name, or the CPU's "model name" from /proc/cpuinfo), and the dense
// tensor-core peaks (TFLOP/s, no sparsity) of the GPUs cromss is benchmarked on, from the
// vendors' data sheets, for MFU. Looked up by a fragment
// of the CUDA device name, the more specific fragments first ("H100 NVL" before "H100"); the
// same table as tools/pytorch_baseline.py's PEAKS, so both tools report MFU against one peak.
// fp32 means plain FP32 (no TF32).
#pragma once

#include <string>

#include "core/device.h"

namespace cromss {

// "NVIDIA H100 80GB HBM3", "AMD EPYC 7B13", ...; "unknown CPU" when /proc/cpuinfo has none.
std::string device_model_name(Device device);

// 0 when the device or the precision (bf16, fp16, fp32) is not in the table.
double dense_peak_tflops(const std::string& device_name, const std::string& precision);

}  // namespace cromss
