// See train/trainable_weights.h.
#include "train/trainable_weights.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "engine/ops/elementwise.h"
#include "train/checkpoint.h"

namespace cromss {
namespace {

bool has_prefix(const std::string& name, const std::string& prefix) {
  return name.compare(0, prefix.size(), prefix) == 0;
}

bool has_any_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return has_prefix(name, p); });
}

std::string joined(const std::vector<std::string>& prefixes) {
  std::string out;
  for (const auto& p : prefixes) out += (out.empty() ? "'" : ", '") + p + "*'";
  return out;
}

}  // namespace

TrainableWeights::TrainableWeights(Module& net, Device device, Precision precision,
                                   Distributed& dist)
    : dist_(dist) {
  store_ = std::make_unique<ParameterStore>(net);
  store_->to(device);
  if (precision != Precision::fp32)
    mixed_ = std::make_unique<MixedPrecisionWeights>(net, *store_, compute_dtype(precision));
  scaler_ = std::make_unique<LossScaler>(precision, device);
  if (!dist_.active()) return;
  buckets_ = std::make_unique<GradientBuckets>(dist_, store_->flat_gradients(), store_->entries());
  if (mixed_) return;  // low-precision grads reach the fp32 buffer only after backward
  const auto& entries = store_->entries();
  for (size_t i = 0; i < entries.size(); ++i)
    param_index_.emplace(entries[i].slot->autograd_meta().get(), static_cast<int64_t>(i));
}

std::pair<int64_t, int64_t> TrainableWeights::range_of(
    const std::vector<std::string>& prefixes) const {
  const auto& entries = store_->entries();
  std::optional<size_t> first, last;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!has_any_prefix(entries[i].name, prefixes)) continue;
    CROMSS_CHECK(!last || *last + 1 == i,
                 "parameters {} are not one contiguous range of the parameter store ('{}' lies "
                 "between them)",
                 joined(prefixes), entries[*last + 1].name);
    if (!first) first = i;
    last = i;
  }
  CROMSS_CHECK(first.has_value(), "the model has no parameters named {}", joined(prefixes));
  const int64_t begin = entries[*first].offset;
  const int64_t end =
      *last + 1 < entries.size() ? entries[*last + 1].offset : store_->flat_parameters().numel();
  return {begin, end};
}

std::unique_ptr<Optimizer> TrainableWeights::make_optimizer(
    const OptimizerConfig& config, const std::vector<std::string>& prefixes) {
  const auto [begin, end] = range_of(prefixes);
  return std::make_unique<Optimizer>(config,
                                     store_->flat_parameters().narrow(0, begin, end - begin),
                                     store_->flat_gradients().narrow(0, begin, end - begin));
}

std::vector<FlatSlice> TrainableWeights::checkpoint_slices(
    const std::vector<std::string>& prefixes) const {
  const int64_t begin = range_of(prefixes).first;
  std::vector<FlatSlice> slices;
  for (const auto& e : store_->entries())
    if (has_any_prefix(e.name, prefixes))
      slices.push_back({checkpoint_key(e.name), e.offset - begin, e.shape});
  return slices;
}

void TrainableWeights::set_frozen(const std::string& prefix, bool frozen) {
  const auto it = std::find(frozen_.begin(), frozen_.end(), prefix);
  if (frozen && it == frozen_.end()) frozen_.push_back(prefix);
  if (!frozen && it != frozen_.end()) frozen_.erase(it);
  for (const auto& e : store_->entries())
    if (has_prefix(e.name, prefix)) e.slot->set_requires_grad(!frozen);
  apply_frozen();
}

void TrainableWeights::apply_frozen() {
  for (const auto& e : store_->entries())
    for (const auto& prefix : frozen_)
      if (has_prefix(e.name, prefix)) e.slot->set_requires_grad(false);
}

void TrainableWeights::backward(const Tensor& loss, double factor, bool last_of_window) {
  // The loss scale stays on the device: the loss is multiplied by it there.
  Tensor scaled = factor == 1.0 ? loss : scale(loss, factor);
  if (scaler_->enabled()) scaled = mul(scaled, scaler_->scale().view({}));
  // Last micro-batch of the window in fp32: each bucket's all-reduce starts as soon as backward
  // has finished its parameters. Earlier micro-batches are not reduced (their gradients are
  // still accumulating); step() launches what is left.
  std::optional<LeafGradReadyScope> overlap;
  if (buckets_ && last_of_window && !param_index_.empty())
    overlap.emplace([this](const AutogradMeta& leaf) {
      const auto it = param_index_.find(&leaf);
      if (it != param_index_.end()) buckets_->mark_ready(it->second);
    });
  scaled.backward();
  // Low-precision gradients go into the fp32 buffer after every micro-batch, so that
  // accumulation over a window happens in fp32 (as torch AMP's .grad), not in bf16/f16.
  if (mixed_) mixed_->accumulate_grads();
}

void TrainableWeights::step(const std::vector<Optimizer*>& optimizers) {
  Tensor& grads = store_->flat_gradients();
  if (buckets_) {
    buckets_->launch_all();  // unused parameters, or everything without the overlap
    buckets_->wait();
  }
  scaler_->unscale_and_check(grads);
  for (Optimizer* o : optimizers) o->step(scaler_->enabled() ? scaler_->found_inf() : Tensor());
  scaler_->update();
  store_->zero_grad();
  if (mixed_) mixed_->refresh();
}

void TrainableWeights::with_master_weights(const std::function<void()>& fn) {
  if (!mixed_) return fn();
  mixed_->bind_master();
  apply_frozen();
  try {
    fn();
  } catch (...) {
    mixed_->bind_low();
    apply_frozen();
    throw;
  }
  mixed_->bind_low();
  apply_frozen();
}

}  // namespace cromss
