// The compute precision of a training step (issue 6, DESIGN.md "Mixed precision"): one enum for
// the flag (--precision, train/pretrain_config.h), the loss scaler (fp16 only,
// train/loss_scaler.h) and the dtype the model computes in.
#pragma once

#include <string>

#include "core/dtype.h"

namespace cromss {

enum class Precision { fp32, bf16, fp16 };
Precision parse_precision(const std::string& name);  // "fp32" | "bf16" | "fp16"; ValueError
const char* precision_name(Precision p);
DType compute_dtype(Precision p);  // f32, bf16, f16

}  // namespace cromss
