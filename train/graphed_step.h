// --cuda_graph for pretraining: the forward, objective and backward of a micro-batch captured as
// one graph (core/graph_capture.h) and replayed, so the host issues one launch per micro-batch
// instead of every kernel (docs/performance.md "CUDA graphs").
//
// The first micro-batch runs eagerly (the warm-up: cuDNN algorithm searches, SM-count queries
// and other lazy setup must not happen inside a capture). From the second on, the batch is
// copied into fixed input tensors and the graph replays; it is captured again whenever the epoch
// changes, because the objective takes epoch-derived values (the selection schedule) by value.
// The learning rate is not in the graph (the optimizer step stays eager), so lr changes need no
// capture. The body must be capture-safe: no host reads of device data (the selection-precision
// diagnostic of clean-label datasets is therefore skipped under --cuda_graph), a single process
// (the gradient all-reduce is not captured) and the S1 branch on the compute stream.
#pragma once

#include <cstdint>
#include <functional>

#include "core/graph_capture.h"
#include "train/validation.h"

namespace cromss {

class GraphedStep {
 public:
  // body(inputs, epoch): the micro-batch's forward, objective and backward on `inputs`; returns
  // the step's loss read-out (StepLosses layout, train/cromss_loss.h) as a device tensor.
  using Body = std::function<Tensor(const StepTensors& inputs, int64_t epoch)>;
  GraphedStep(Device device, Body body);

  // Runs the body on d (eagerly the first time, by replay afterwards) and returns its read-out.
  // The returned tensor is rewritten by the next replay: copy it before the next run().
  Tensor run(const StepTensors& d, int64_t epoch);
  int64_t captures() const { return captures_; }

 private:
  void stage(const StepTensors& d);  // d into the fixed inputs

  Device device_;
  Body body_;
  bool warmed_up_ = false;
  StepTensors inputs_;
  CapturedGraph graph_;
  int64_t graph_epoch_ = -1;
  int64_t captures_ = 0;
  Tensor losses_;  // written by the graph
};

}  // namespace cromss
