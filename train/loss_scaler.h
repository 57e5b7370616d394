// Dynamic loss scaling for fp16 training (DESIGN.md "Mixed precision"), kept on the device: the
// scale, growth tracker, consecutive-skip counter and the found_inf flag are device memory, so
// scaling, unscaling, the overflow check, the step skip (Optimizer::step(found_inf())) and the
// scale update run without a host sync. Semantics are torch.amp.GradScaler's defaults
// (init_scale 2^16, growth 2, backoff 0.5, growth_interval 2000) plus two guards:
//   * a floor: the scale never backs off below min_scale (default 1.0 - below 1 the scaler
//     would be shrinking gradients that already overflow in fp16, so it cannot help any more);
//   * a hard error: after max_consecutive_skips (default 50) skipped steps in a row training
//     cannot make progress (the loss or gradients are inf/NaN at any scale); check_health()
//     throws then. It reads one device counter; the training loop checks a copy of the state
//     that reaches the host a step late with the losses (engine/step_readout.h).
// bf16 and fp32: the scaler is disabled - scale 1, nothing is unscaled, found_inf stays 0.
//
// Order in one step: loss * scale() -> backward -> (all-reduce gradients) -> unscale_and_check
// -> optimizer.step(found_inf()) -> update(). With data parallelism the check runs on the
// all-reduced gradients, so every rank reaches the same skip decision.
// State (save/load): 0-d tensors "<prefix>scale" (f64), "<prefix>growth_tracker" and
// "<prefix>consecutive_skips" (i64).
#pragma once

#include <map>
#include <string>

#include "engine/tensor.h"
#include "train/precision.h"

namespace cromss {

struct LossScalerConfig {
  double init_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  double min_scale = 1.0;
  int64_t max_consecutive_skips = 50;
};

class LossScaler {
 public:
  LossScaler(Precision precision, Device device, const LossScalerConfig& config = {});

  bool enabled() const { return enabled_; }
  Precision precision() const { return precision_; }
  // f32[1] on the device: the factor to multiply the loss by (1 when disabled).
  Tensor scale() const;
  double scale_value() const;  // host sync

  // grads: contiguous flat f32 on the scaler's device. Resets found_inf, then unscales in place
  // and raises found_inf on any non-finite gradient. No-op when disabled.
  void unscale_and_check(const Tensor& grads);
  // i32[1] on the device: nonzero when this step's gradients overflowed (skip the step).
  const Tensor& found_inf() const { return found_inf_; }
  // Backoff/growth from found_inf; no-op when disabled.
  void update();
  // Throws ValueError when max_consecutive_skips steps in a row were skipped (host sync).
  void check_health() const;
  // i32[3] on the device (AmpScalerState, kernels/amp.cuh), for a copy read one step later
  // (engine/step_readout.h), and check_health() on such a copy (no sync).
  const Tensor& state() const { return state_; }
  void check_health(const void* state_copy) const;
  int64_t consecutive_skips() const;  // host sync

  void save(std::map<std::string, Tensor>& out, const std::string& prefix = "") const;
  void load(const std::map<std::string, Tensor>& in, const std::string& prefix = "");

 private:
  Precision precision_;
  Device device_;
  LossScalerConfig config_;
  bool enabled_;
  Tensor state_;      // AmpScalerState (kernels/amp.cuh) as i32[3] on the device
  Tensor found_inf_;  // i32[1]
};

}  // namespace cromss
