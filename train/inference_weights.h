// The weights of `cromss evaluate` and `cromss predict` in their --precision (the inference side
// of DESIGN.md "Mixed precision"): the flag follows training's rules (train/compute_flags.h
// resolve_precision: auto = bf16 on a CUDA device that has it, else fp16 there, fp32 on the CPU;
// an explicit bf16/fp16 on the CPU is a ValueError naming --precision), and a bf16/fp16 model
// computes as a training step does: its parameters in one flat store on the device
// (layers/parameter_store.h) with one low-precision copy bound to the module
// (train/mixed_precision.h; BatchNorm's affine parameters and running statistics stay fp32).
// Callers cast the input to compute() and the logits back to fp32 before softmax/argmax. fp32
// only moves the model to the device (the scores of an fp32 run are exactly those of before).
#pragma once

#include <memory>
#include <string>

#include "core/device.h"
#include "layers/parameter_store.h"
#include "train/mixed_precision.h"
#include "train/precision.h"

namespace cromss {

// The help text of evaluate's and predict's --precision.
inline constexpr const char* kInferencePrecisionHelp =
    "auto|bf16|fp16|fp32: the dtype the model computes in; auto = bf16 on a CUDA GPU that has it "
    "(else fp16), fp32 on the CPU; bf16/fp16 need a CUDA device (BN and the logits stay fp32). "
    "Default fp32, as fine-tuning scores its test set";

// `flag` = the --precision value (auto | bf16 | fp16 | fp32) for a model on `device`.
Precision inference_precision(const std::string& flag, Device device);

class InferenceWeights {
 public:
  // Moves `net` (parameters and buffers) to `device`; bf16/fp16 bind its low-precision copy.
  InferenceWeights(Module& net, Device device, Precision precision);

  Precision precision() const { return precision_; }
  DType compute() const { return compute_dtype(precision_); }

 private:
  Precision precision_;
  std::unique_ptr<ParameterStore> store_;
  std::unique_ptr<MixedPrecisionWeights> low_;
};

}  // namespace cromss
