// GraphedStep: warm-up, staging into fixed inputs, capture per epoch, replay (graphed_step.h).
#include "train/graphed_step.h"

#include <utility>

namespace cromss {

GraphedStep::GraphedStep(Device device, Body body) : device_(device), body_(std::move(body)) {}

void GraphedStep::stage(const StepTensors& d) {
  auto place = [](Tensor& fixed, const Tensor& batch, const char* name) {
    CROMSS_CHECK(fixed.defined() == batch.defined() &&
                     (!batch.defined() ||
                      (fixed.shape() == batch.shape() && fixed.dtype() == batch.dtype())),
                 "--cuda_graph: the batch's {} changed from {} to {}; a captured step needs the "
                 "same shapes every step",
                 name, fixed.str(), batch.str());
    if (batch.defined()) fixed.copy_(batch);
  };
  if (!inputs_.s1.defined()) {  // the first staged batch fixes the input tensors
    for (auto [fixed, batch] :
         {std::pair{&inputs_.s1, &d.s1}, std::pair{&inputs_.s2, &d.s2},
          std::pair{&inputs_.labels, &d.labels}, std::pair{&inputs_.prior, &d.prior}})
      if (batch->defined()) *fixed = batch->clone();
    return;
  }
  place(inputs_.s1, d.s1, "S1 image");
  place(inputs_.s2, d.s2, "S2 image");
  place(inputs_.labels, d.labels, "labels");
  place(inputs_.prior, d.prior, "prior");
}

Tensor GraphedStep::run(const StepTensors& d, int64_t epoch) {
  if (!warmed_up_) {
    warmed_up_ = true;
    return body_(d, epoch);
  }
  stage(d);
  if (epoch != graph_epoch_) {
    graph_ = CapturedGraph();  // the previous epoch's graph and its memory go first
    graph_ =
        CapturedGraph::capture(Context::get(device_), [&] { losses_ = body_(inputs_, epoch); });
    graph_epoch_ = epoch;
    ++captures_;
  }
  graph_.replay();
  return losses_;
}

}  // namespace cromss
