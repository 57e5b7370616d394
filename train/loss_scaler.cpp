// LossScaler: device-resident state and the dispatch to kernels/amp.h.
#include "train/loss_scaler.h"

#include <cstring>

#include "engine/dispatch.h"
#include "kernels/amp.h"

namespace cromss {

static_assert(sizeof(AmpScalerState) == 3 * sizeof(int32_t), "AmpScalerState is stored as i32[3]");

namespace {
AmpScalerState host_state(const Tensor& state) {
  AmpScalerState s;
  const std::vector<int32_t> raw = state.to_vector<int32_t>();
  std::memcpy(&s, raw.data(), sizeof s);
  return s;
}
void set_state(Tensor& state, const AmpScalerState& s) {
  std::vector<int32_t> raw(3);
  std::memcpy(raw.data(), &s, sizeof s);
  state.copy_(Tensor::from_vector(raw, {3}));
}
}  // namespace

LossScaler::LossScaler(Precision precision, Device device, const LossScalerConfig& config)
    : precision_(precision),
      device_(device),
      config_(config),
      enabled_(precision == Precision::fp16) {
  CROMSS_CHECK(config_.growth_interval > 0 && config_.growth_interval < (int64_t{1} << 31),
               "loss scaler: growth_interval must be in [1, 2^31), got {}",
               config_.growth_interval);
  CROMSS_CHECK(config_.min_scale > 0 && config_.init_scale >= config_.min_scale,
               "loss scaler: need 0 < min_scale <= init_scale, got {} and {}", config_.min_scale,
               config_.init_scale);
  state_ = Tensor::zeros({3}, DType::i32, device_);
  found_inf_ = Tensor::zeros({1}, DType::i32, device_);
  set_state(state_, {enabled_ ? static_cast<float>(config_.init_scale) : 1.0f, 0, 0});
}

Tensor LossScaler::scale() const {
  // The first field of AmpScalerState is the f32 scale: a view with the f32 dtype.
  return Tensor(state_.storage(), state_.offset(), {1}, {1}, DType::f32);
}

double LossScaler::scale_value() const {
  return host_state(state_).scale;
}

void LossScaler::unscale_and_check(const Tensor& grads) {
  if (!enabled_) return;
  CROMSS_CHECK(grads.dtype() == DType::f32 && grads.is_contiguous() && grads.device() == device_,
               "LossScaler::unscale_and_check: gradients must be contiguous f32 on {}, got {}",
               device_.str(), grads.str());
  found_inf_.zero_();
  auto* state = static_cast<const AmpScalerState*>(state_.raw_data());
  dispatch(kernels::amp_unscale_check, device_, grads.data<float>(), grads.numel(), state,
           found_inf_.data<int32_t>());
}

void LossScaler::update() {
  if (!enabled_) return;
  const AmpScalerHyper h{
      static_cast<float>(config_.growth_factor), static_cast<float>(config_.backoff_factor),
      static_cast<float>(config_.min_scale), static_cast<int32_t>(config_.growth_interval)};
  auto* state = static_cast<AmpScalerState*>(state_.raw_data());
  dispatch(kernels::amp_update, device_, state, found_inf_.data<int32_t>(), h);
}

int64_t LossScaler::consecutive_skips() const {
  return host_state(state_).consecutive_skips;
}

void LossScaler::check_health() const {
  if (!enabled_) return;
  const AmpScalerState s = host_state(state_);
  check_health(&s);
}

void LossScaler::check_health(const void* state_copy) const {
  if (!enabled_) return;
  AmpScalerState s;
  std::memcpy(&s, state_copy, sizeof s);
  if (s.consecutive_skips >= config_.max_consecutive_skips)
    CROMSS_THROW(ValueError,
                 "fp16 loss scaler: {} consecutive steps had inf/NaN gradients (scale now {}, "
                 "floor {}); the loss diverged - try --precision bf16/fp32 or a lower "
                 "--learning_rate",
                 s.consecutive_skips, s.scale, config_.min_scale);
}

void LossScaler::save(std::map<std::string, Tensor>& out, const std::string& prefix) const {
  const AmpScalerState s = host_state(state_);
  out[prefix + "scale"] = Tensor::full({}, s.scale, DType::f64);
  out[prefix + "growth_tracker"] = Tensor::full({}, s.growth_tracker, DType::i64);
  out[prefix + "consecutive_skips"] = Tensor::full({}, s.consecutive_skips, DType::i64);
}

void LossScaler::load(const std::map<std::string, Tensor>& in, const std::string& prefix) {
  auto get = [&](const char* name) {
    auto it = in.find(prefix + name);
    CROMSS_CHECK(it != in.end() && it->second.numel() == 1,
                 "scaler state: missing or non-scalar entry '{}{}'", prefix, name);
    return it->second.item();
  };
  AmpScalerState s;
  s.scale = static_cast<float>(get("scale"));
  s.growth_tracker = static_cast<int32_t>(get("growth_tracker"));
  s.consecutive_skips = static_cast<int32_t>(get("consecutive_skips"));
  if (!enabled_) s = {1.0f, 0, 0};
  set_state(state_, s);
}

}  // namespace cromss
