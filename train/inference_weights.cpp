// See train/inference_weights.h.
#include "train/inference_weights.h"

#include "train/compute_flags.h"

namespace cromss {

Precision inference_precision(const std::string& flag, Device device) {
  ComputeFlags flags;
  flags.precision = flag;
  return resolve_precision(flags, device);
}

InferenceWeights::InferenceWeights(Module& net, Device device, Precision precision)
    : precision_(precision) {
  if (precision == Precision::fp32) {
    net.to(device);
    return;
  }
  store_ = std::make_unique<ParameterStore>(net);
  store_->to(device);
  low_ = std::make_unique<MixedPrecisionWeights>(net, *store_, compute_dtype(precision));
}

}  // namespace cromss
