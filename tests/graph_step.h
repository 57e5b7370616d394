// A small CromSS training step (tests/small_model.h: two resnet18 branches, mid fusion; batch 2,
// 32x32; Adam) run for several batches eagerly and as a captured graph (core/graph_capture.h)
// from the same initial state: the loss of every step, the final flat parameters and the final
// buffers (BatchNorm running statistics and batch counters), for tests that compare the two. The
// graph run does what the trainer does: one eager warm-up step, then capture with the inputs in
// fixed tensors, then for each batch copy it into those tensors and replay.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/graph_capture.h"
#include "engine/autograd.h"
#include "tests/small_model.h"
#include "train/cromss_loss.h"
#include "train/objective_config.h"
#include "train/optimizer.h"

namespace cromss::test {

struct GraphStepResult {
  std::vector<double> losses;  // one per step after the warm-up
  std::vector<float> params;
  std::vector<std::vector<float>> buffers;  // every buffer, as float
};

struct GraphStepBatch {
  Tensor s1, s2, labels, prior;
};

inline GraphStepBatch graph_step_batch(uint64_t seed) {
  constexpr int64_t b = 2, s = 32, classes = 9;
  GraphStepBatch x;
  x.s1 = Tensor::uniform({b, 2, s, s}, -1, 1, seed);
  x.s2 = Tensor::uniform({b, 4, s, s}, -1, 1, seed + 1);
  std::vector<uint8_t> labels(b * s * s);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>((i * 7 + seed) % 9);
  x.labels = Tensor::from_vector(labels, {b, s, s});
  x.prior = Tensor::uniform({b, classes, s, s}, 0.01, 1, seed + 2);
  return x;
}

// Results of `steps` steps after the warm-up, eagerly (first) and replayed (second).
inline std::pair<GraphStepResult, GraphStepResult> graph_steps(uint64_t seed, int steps,
                                                               Device device) {
  ModelConfig c;
  c.input_type = "s12";
  c.fusion_type = "mid";
  SmallModel m(c, seed, device);
  auto& net = m.net;
  ParameterStore& store = *m.store;
  const ObjectiveConfig objective;
  constexpr int kEpoch = 40;  // selection and smoothing both active

  auto run = [&](bool graph) {
    m.restore();
    Optimizer optimizer(optimizer_config_for("adam", 0.005), store.flat_parameters(),
                        store.flat_gradients());
    const GraphStepBatch first = graph_step_batch(seed + 100);
    GraphStepBatch in{first.s1.to(device), first.s2.to(device), first.labels.to(device),
                      first.prior.to(device)};
    Tensor loss;
    auto step = [&] {
      BranchLogits y = net->forward(in.s1, in.s2);
      loss = cromss_loss(y.s1, y.s2, in.labels, in.prior, kEpoch, objective);
      loss.backward();
      optimizer.step();
      store.zero_grad();
    };
    step();  // warm-up
    CapturedGraph captured;
    if (graph) captured = CapturedGraph::capture(Context::get(device), step);
    GraphStepResult r;
    for (int k = 0; k < steps; ++k) {
      const GraphStepBatch next = graph_step_batch(seed + 200 + 10 * k);
      in.s1.copy_(next.s1);
      in.s2.copy_(next.s2);
      in.labels.copy_(next.labels);
      in.prior.copy_(next.prior);
      if (graph)
        captured.replay();
      else
        step();
      r.losses.push_back(loss.item());
    }
    r.params = store.flat_parameters().to_vector<float>();
    for (auto& [name, t] : net->named_buffers()) r.buffers.push_back(t->to_vector<float>());
    return r;
  };
  GraphStepResult eager = run(false);
  return {std::move(eager), run(true)};
}

}  // namespace cromss::test
