// One training step of a small two-branch model (resnet18 encoders, batch 2, 32²) with
// --branch_streams off and then on (SegmentationNet::set_branch_streams), from the same
// initial state: the logits, the flat parameter gradients and the fp32 buffers (BatchNorm running
// statistics) of each, for tests that compare the two (tests/small_model.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"
#include "tests/small_model.h"

namespace cromss::test {

struct BranchStepResult {
  std::vector<float> logits_s1, logits_s2;
  std::vector<float> grads;
  std::vector<std::vector<float>> buffers;
};

// Results without and with --branch_streams.
inline std::pair<BranchStepResult, BranchStepResult> branch_steps(const std::string& fusion,
                                                                  uint64_t seed, Device device) {
  ModelConfig c;
  c.input_type = "s12";
  c.fusion_type = fusion;
  SmallModel m(c, seed, device);
  auto& net = m.net;
  auto step = [&](bool branch_streams) {
    m.restore();
    net->set_branch_streams(branch_streams);
    BranchLogits out = net->forward(m.s1, m.s2);
    add(sum(mul(out.s1, out.s1)), sum(out.s2)).backward();
    BranchStepResult r;
    r.logits_s1 = out.s1.to_vector<float>();
    r.logits_s2 = out.s2.to_vector<float>();
    r.grads = m.store->flat_gradients().to_vector<float>();
    for (auto& [name, b] : net->named_buffers())
      if (b->dtype() == DType::f32) r.buffers.push_back(b->to_vector<float>());
    return r;
  };
  BranchStepResult off = step(false);
  return {std::move(off), step(true)};
}

}  // namespace cromss::test
