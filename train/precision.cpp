// Names and dtypes of the compute precisions (train/precision.h).
#include "train/precision.h"

#include "core/error.h"

namespace cromss {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp16") return Precision::fp16;
  CROMSS_THROW(ValueError, "--precision: expected bf16, fp16 or fp32, got '{}'", name);
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32:
      return "fp32";
    case Precision::bf16:
      return "bf16";
    default:
      return "fp16";
  }
}

DType compute_dtype(Precision p) {
  switch (p) {
    case Precision::fp32:
      return DType::f32;
    case Precision::bf16:
      return DType::bf16;
    default:
      return DType::f16;
  }
}

}  // namespace cromss
