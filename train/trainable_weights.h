// The weights side of a training step, shared by `cromss pretrain` and `cromss finetune`: the
// model's parameters in one flat fp32 store on the device (layers/parameter_store.h), a bf16/f16
// compute copy in mixed precision (train/mixed_precision.h), the fp16 loss scaler
// (train/loss_scaler.h), the data-parallel gradient all-reduce in parameter-aligned buckets
// (comm/distributed.h GradientBuckets) and the optimizers' step.
//
// Optimizers cover contiguous ranges of the flat buffers: the parameters whose names start with
// one of some prefixes ("" = all). Fine-tuning steps the decoder and head with one and the encoder
// with another that exists only while the encoder trains: torch's Adam skips parameters without
// gradients (requires_grad off), keeping their moments and per-parameter step counts untouched, and
// so does a range without an optimizer. set_frozen() turns requires_grad off for a prefix (kept
// across the mixed-precision rebinds).
//
// Per optimizer step (accumulate_grad_batches = k micro-batches):
//   backward(loss / k, last)  loss * fp16 loss scale -> backward into the flat gradients (with
//                             several ranks, in fp32, each bucket's all-reduce starts as soon as
//                             backward has finished its parameters during the window's last
//                             micro-batch) -> low-precision gradients folded into fp32
//   step(optimizers)          remaining all-reduces, wait -> unscale/check -> each optimizer's
//                             step (skipped on an fp16 overflow) -> scaler update -> zero grads
//                             -> refresh the low-precision copy
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "comm/distributed.h"
#include "engine/autograd.h"
#include "layers/parameter_store.h"
#include "train/loss_scaler.h"
#include "train/mixed_precision.h"
#include "train/optimizer.h"
#include "train/precision.h"

namespace cromss {

class TrainableWeights {
 public:
  // Moves the parameters (and the module's buffers) to `device`.
  TrainableWeights(Module& net, Device device, Precision precision, Distributed& dist);

  ParameterStore& store() { return *store_; }
  LossScaler& scaler() { return *scaler_; }

  // An optimizer over the parameters named `prefixes[i]`* (ValueError when they are not one
  // contiguous range of the store, or none exists).
  std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config,
                                            const std::vector<std::string>& prefixes = {""});
  // Those parameters' places in that optimizer's flat state, named by checkpoint key.
  std::vector<FlatSlice> checkpoint_slices(const std::vector<std::string>& prefixes = {""}) const;

  // requires_grad off (frozen) or on for the parameters named `prefix`*.
  void set_frozen(const std::string& prefix, bool frozen);

  void backward(const Tensor& loss, double factor, bool last_of_window);
  void step(const std::vector<Optimizer*>& optimizers);

  // Runs `fn` with the module's slots bound to the fp32 master weights (checkpoint writes).
  void with_master_weights(const std::function<void()>& fn);

 private:
  // [begin, end) of the flat buffers.
  std::pair<int64_t, int64_t> range_of(const std::vector<std::string>& prefixes) const;
  void apply_frozen();

  Distributed& dist_;
  std::unique_ptr<ParameterStore> store_;
  std::unique_ptr<MixedPrecisionWeights> mixed_;
  std::unique_ptr<LossScaler> scaler_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unordered_map<const AutogradMeta*, int64_t> param_index_;
  std::vector<std::string> frozen_;
};

}  // namespace cromss
