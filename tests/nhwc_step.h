// One training step (forward, a scalar loss, backward) of a small CromSS network (resnet18
// encoders, batch 2, 32²) in nchw and then in nhwc (--channels_last, NetworkFormat), from the
// same initial state: the logits, the loss, the flat parameter gradients, the BatchNorm buffers,
// and how many layout conversions (strided_copy dispatches, counted by the op profiler) the step
// made. Shared by the CPU test (tests/cpu/nhwc_network_test.cpp) and the GPU one
// (tests/gpu/nhwc_network_parity_test.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/autograd.h"
#include "engine/op_profiler.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"
#include "layers/conv2d.h"
#include "models/segmentation_net.h"
#include "tests/small_model.h"

namespace cromss::test {

struct NhwcStepResult {
  Tensor logits_s1, logits_s2;  // undefined for an absent branch
  Tensor loss;
  Tensor grads;                 // the flat parameter gradients
  std::vector<Tensor> buffers;  // fp32 buffers (BatchNorm running statistics)
  int64_t conversions = 0;      // strided_copy dispatches in forward + backward
  int64_t expected_extra = 0;   // expected_extra_copies of the model
};

// Strided copies of conv weights per step in nhwc under `module`: conv2d reads a KRSC copy of
// its (K, C/groups, kh, kw) weight and returns the weight gradient in that layout back
// (engine/ops/conv2d.cpp), two copies per call unless the weight is dense in both formats
// (1x1 and depthwise kernels: a view). `calls` is how often each conv runs per step.
inline int64_t weight_relayouts(Module& module, int64_t calls) {
  int64_t copies = 0;
  if (auto* conv = dynamic_cast<Conv2d*>(&module)) {
    const Tensor& w = conv->weight();
    const bool view = w.is_contiguous(MemoryFormat::nhwc) && w.is_contiguous();
    if (!view) copies += 2 * calls;
  }
  for (auto& [name, child] : module.named_children()) copies += weight_relayouts(*child, calls);
  return copies;
}

// The copies a step in nhwc makes beyond the nchw step: each input at the entry, each logits
// tensor at the head and each logits gradient back (inputs need no gradient), plus the conv
// weights' re-layouts. Middle fusion runs the shared decoder and head once per branch.
inline int64_t expected_extra_copies(const ModelConfig& c, SegmentationNet& net) {
  const int64_t activations = c.two_branch() ? 2 + 2 + 2 : 1 + 1 + 1;
  int64_t weights = 0;
  for (auto& [name, child] : net.named_children()) {
    const bool shared = c.two_branch() && c.fusion_type == "mid" &&
                        (name == "decoder" || name == "segmentation_head");
    weights += weight_relayouts(*child, shared ? 2 : 1);
  }
  return activations + weights;
}

inline int64_t strided_copies(const OpProfile& profile) {
  for (const OpProfileRow& row : profile.rows)
    if (row.op == "strided_copy") return row.calls;
  return 0;
}

// Results in nchw and in nhwc for the model `c` describes (input_type, fusion_type).
inline std::pair<NhwcStepResult, NhwcStepResult> nhwc_steps(ModelConfig c, uint64_t seed,
                                                            Device device) {
  SmallModel m(std::move(c), seed, device);
  const ModelConfig& cfg = m.config;
  auto& net = m.net;
  auto step = [&](MemoryFormat format) {
    m.restore();
    net->set_memory_format(format);
    NhwcStepResult r;
    op_profiler::start(OpProfiling::count);
    BranchLogits out = net->forward(cfg.has_s1() ? m.s1 : Tensor(), cfg.has_s2() ? m.s2 : Tensor());
    // A loss that weighs every logit differently: sum(l1 * l1) + sum(l2).
    r.loss = cfg.two_branch()
                 ? add(sum(mul(out.s1, out.s1)), sum(out.s2))
                 : sum(mul(out.s1.defined() ? out.s1 : out.s2, out.s1.defined() ? out.s1 : out.s2));
    r.loss.backward();
    r.conversions = strided_copies(op_profiler::stop());
    r.logits_s1 = out.s1;
    r.logits_s2 = out.s2;
    r.grads = m.store->flat_gradients().clone();
    r.expected_extra = expected_extra_copies(cfg, *net);
    for (auto& [name, b] : net->named_buffers())
      if (b->dtype() == DType::f32) r.buffers.push_back(b->clone());
    return r;
  };
  NhwcStepResult nchw = step(MemoryFormat::nchw);
  return {std::move(nchw), step(MemoryFormat::nhwc)};
}

}  // namespace cromss::test
