// Autograd entry of the CromSS objective (train/cromss_loss.h).
#include "train/cromss_loss.h"

#include "engine/autograd.h"
#include "engine/ops/elementwise.h"

namespace cromss {
namespace {

// dL/dlogits * g for the scalar upstream gradient g (the fp16 loss scale included), computed in
// the objective's f32 and only then rounded to the logits' dtype: unscaled per-pixel gradients
// (~1/(B H W)) would underflow f16 before the loss scale could protect them.
Tensor scaled(const Tensor& grad, const Tensor& g, DType logits_dtype) {
  const double s = g.item();
  return (s == 1.0 ? grad : scale(grad, s)).to(logits_dtype);
}

// The loss is f64 for f64 logits (gradient checks), f32 otherwise (fp32 loss, DESIGN.md).
DType loss_dtype(const Tensor& logits) {
  return logits.dtype() == DType::f64 ? DType::f64 : DType::f32;
}

}  // namespace

Tensor cromss_loss(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                   const Tensor& prior, int epoch, const ObjectiveConfig& config,
                   ObjectiveResult* details) {
  ObjectiveResult r;
  {
    NoGrad no_grad;
    r = cromss_objective(logits_s1.detach(), logits_s2.detach(), labels, prior, epoch, config);
  }
  Tensor loss = Tensor::full({}, r.loss, loss_dtype(logits_s1), logits_s1.device());
  if (any_requires_grad({&logits_s1, &logits_s2})) {
    Tensor g1 = r.grad_logits[0], g2 = r.grad_logits[1];
    const DType t1 = logits_s1.dtype(), t2 = logits_s2.dtype();
    record_op(
        "cromss_loss", loss, {&logits_s1, &logits_s2},
        [g1, g2, t1, t2](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
          return {needs[0] ? scaled(g1, g, t1) : Tensor(), needs[1] ? scaled(g2, g, t2) : Tensor()};
        });
  }
  if (details) *details = std::move(r);
  return loss;
}

Tensor single_branch_loss(const Tensor& logits, const Tensor& labels, const Tensor& prior,
                          const ObjectiveConfig& config) {
  SingleBranchResult r;
  {
    NoGrad no_grad;
    r = single_branch_objective(logits.detach(), labels, prior, config);
  }
  Tensor loss = Tensor::full({}, r.loss, loss_dtype(logits), logits.device());
  if (any_requires_grad({&logits})) {
    Tensor g1 = r.grad_logits;
    const DType t1 = logits.dtype();
    record_op("single_branch_loss", loss, {&logits},
              [g1, t1](const Tensor& g, const std::vector<bool>& needs) -> std::vector<Tensor> {
                return {needs[0] ? scaled(g1, g, t1) : Tensor()};
              });
  }
  return loss;
}

}  // namespace cromss
