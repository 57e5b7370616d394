// Adam and SGD with torch.optim semantics (method-spec.md §5: Adam lr 0.005, betas (0.9, 0.999),
// eps 1e-8, weight_decay 1e-8; SGD momentum 0.9, weight_decay 1e-4; both with coupled L2 weight
// decay), stepping ONE flat fp32 parameter buffer from ONE flat fp32 gradient buffer with one fused
// kernel (DESIGN.md "Memory"). The moments are flat buffers of the same length; the step count
// lives on the parameters' device so that an fp16 overflow can skip the step without a host
// sync: step(skip) leaves everything (step count included) unchanged when the device flag
// `skip` (int32[1], e.g. LossScaler::found_inf()) is nonzero, like GradScaler.step() skipping
// optimizer.step().
//
// State for checkpoints: save()/load() use the keys "<prefix>step" (int64 0-d), and the flat
// moments "<prefix>exp_avg", "<prefix>exp_avg_sq" (Adam) or "<prefix>momentum_buffer" (SGD),
// named after torch's per-parameter state entries. save_sliced()/load_sliced() store them per
// parameter instead - "<prefix><state>/<key>" with the parameter's shape, the checkpoint layout
// /optimizer/<state>/<key> of DESIGN.md - given the flat layout as FlatSlices (e.g. from
// ParameterStore::entries()); elements outside every slice (alignment gaps) load as zero.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

enum class OptimizerKind { adam, sgd };

// One named parameter's place in the flat buffers.
struct FlatSlice {
  std::string name;  // state_dict key
  int64_t offset;    // first element
  Shape shape;
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::adam;
  double lr = 0.005;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam
  double momentum = 0.9, dampening = 0.0;         // SGD (nesterov off)
  double weight_decay = 1e-8;
};

// Upstream's settings for `--optimizer adam|sgd` at `--learning_rate lr` (method-spec.md §5);
// throws ValueError naming the flag for any other name.
OptimizerConfig optimizer_config_for(const std::string& name, double lr);

class Optimizer {
 public:
  // params and grads: contiguous flat f32 tensors of equal length on one device. The optimizer
  // keeps views of both; the caller keeps writing gradients into `grads`.
  Optimizer(const OptimizerConfig& config, Tensor params, Tensor grads);

  // One update. skip: undefined (never skip) or an int32 one-element tensor on the same device.
  void step(const Tensor& skip = Tensor());

  void set_lr(double lr) { config_.lr = lr; }
  double lr() const { return config_.lr; }
  const OptimizerConfig& config() const { return config_; }
  int64_t step_count() const;  // reads the device counter (a host sync on CUDA)

  // The flat moment buffers by state name ("exp_avg", "exp_avg_sq", "momentum_buffer").
  const std::map<std::string, Tensor>& moments() const { return moments_; }

  void save(std::map<std::string, Tensor>& out, const std::string& prefix = "") const;
  // Throws ValueError naming the key when a state entry is missing or mis-shaped.
  void load(const std::map<std::string, Tensor>& in, const std::string& prefix = "");
  void save_sliced(std::map<std::string, Tensor>& out, const std::vector<FlatSlice>& slices,
                   const std::string& prefix = "") const;
  // Checks every entry first and reports all missing or mis-shaped ones in one ValueError.
  void load_sliced(const std::map<std::string, Tensor>& in, const std::vector<FlatSlice>& slices,
                   const std::string& prefix = "");

 private:
  OptimizerConfig config_;
  Tensor params_, grads_;
  Tensor step_;  // i64[1] on the device
  std::map<std::string, Tensor> moments_;
};

}  // namespace cromss
