// Autograd entry of the CromSS objective (train/cromss_loss.h).
#include "train/cromss_loss.h"

#include <optional>

#include "engine/autograd.h"

namespace cromss {
namespace {

// The loss is f64 for f64 logits (gradient checks), f32 otherwise (fp32 loss, DESIGN.md).
DType loss_dtype(const Tensor& logits) {
  return logits.dtype() == DType::f64 ? DType::f64 : DType::f32;
}

// The scalar loss of the evaluation as its own tensor on the device.
Tensor loss_tensor(const ObjectiveEvaluation& e, DType dtype) {
  const Tensor v = e.losses().select(0, StepLosses::loss);
  return v.dtype() == dtype ? v.clone() : v.to(dtype);
}

// dL/dlogits times the upstream gradient g (the fp16 loss scale included), computed in the
// objective's f32 and only then rounded to the logits' dtype: unscaled per-pixel gradients
// (~1/(B H W)) would underflow f16 before the loss scale could protect them.
Tensor scaled_gradient(const ObjectiveEvaluation& e, int branch, const Tensor& g, DType dtype) {
  return e.gradient(branch, g).to(dtype);
}

void report(ObjectiveEvaluation& e, ObjectiveResult* details, Tensor* step_losses) {
  if (step_losses) *step_losses = e.losses();
  if (!details) return;
  e.read_out();
  *details = e.result();
  for (int d = 0; d < 2; ++d)
    if (details->weight_seg[d].defined()) details->grad_logits[d] = e.gradient(d);
}

}  // namespace

Tensor cromss_loss(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                   const Tensor& prior, int epoch, const ObjectiveConfig& config,
                   ObjectiveResult* details, Tensor* step_losses) {
  std::optional<ObjectiveEvaluation> evaluation;
  {
    NoGrad no_grad;
    evaluation.emplace(logits_s1.detach(), logits_s2.detach(), labels, prior, epoch, config,
                       ObjectiveMode::training, 2);
  }
  const ObjectiveEvaluation e = *evaluation;
  Tensor loss = loss_tensor(e, loss_dtype(logits_s1));
  if (any_requires_grad({&logits_s1, &logits_s2})) {
    const DType t1 = logits_s1.dtype(), t2 = logits_s2.dtype();
    record_op("cromss_loss", loss, {&logits_s1, &logits_s2},
              [e, t1, t2](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? scaled_gradient(e, 0, g, t1) : Tensor(),
                        needs[1] ? scaled_gradient(e, 1, g, t2) : Tensor()};
              });
  }
  report(*evaluation, details, step_losses);
  return loss;
}

Tensor single_branch_loss(const Tensor& logits, const Tensor& labels, const Tensor& prior,
                          const ObjectiveConfig& config, Tensor* step_losses) {
  std::optional<ObjectiveEvaluation> evaluation;
  {
    NoGrad no_grad;
    evaluation.emplace(logits.detach(), Tensor(), labels, prior, 0, config, ObjectiveMode::training,
                       1);
  }
  const ObjectiveEvaluation e = *evaluation;
  Tensor loss = loss_tensor(e, loss_dtype(logits));
  if (any_requires_grad({&logits})) {
    const DType t1 = logits.dtype();
    record_op("single_branch_loss", loss, {&logits},
              [e, t1](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? scaled_gradient(e, 0, g, t1) : Tensor()};
              });
  }
  report(*evaluation, nullptr, step_losses);
  return loss;
}

}  // namespace cromss
