// Tape-based reverse-mode autograd (DESIGN.md "Autograd").
//
// Every differentiable op that sees an input with requires_grad (and grad mode on) appends one
// TapeNode to the thread's tape: the output's metadata, the inputs' metadata and a backward
// closure that captures only what the backward needs. Tensor::backward() on a one-element tensor
// seeds its gradient with 1 and walks the tape in reverse record order (a valid topological
// order), calling each node whose output received a gradient. Input gradients accumulate (+=)
// into AutogradMeta::grad, so leaves (parameters) accumulate across backward passes until
// zero_grad(). Each node and its saved tensors are freed as soon as it has run, and gradients of
// intermediate (non-leaf) tensors are released after use. The walk covers the root's graph and
// dead branches (outputs nobody holds); graphs whose outputs the caller still holds stay on the
// tape for their own backward (two forwards, then two backwards, each get their gradients). As
// in PyTorch without retain_graph, a subgraph shared with such a graph is consumed by the first
// backward. The walked nodes leave the tape also when a backward closure throws.
//
// Gradient-ready notification (data-parallel overlap, comm/distributed.h GradientBuckets): while
// a LeafGradReadyScope is alive on the thread, run_backward counts the tape nodes that use each
// leaf and reports the leaf once the last of them has been walked (run or skipped because its
// output received no gradient): its gradient is then final for this pass. Every leaf that is an
// input of some node is reported exactly once, in the order its last use is walked (reverse
// record order), even when no gradient reached it. Without a scope nothing is counted.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

struct AutogradMeta {
  bool requires_grad = false;
  bool is_leaf = true;
  Tensor grad;
  // Set by Tensor::set_grad: `grad` is a caller-owned buffer (a view into the flat gradient
  // buffer) that backward adds into in place. Otherwise gradients from backward may alias each
  // other and are combined out of place.
  bool grad_preset = false;
};

// Returns one gradient per input, aligned with TapeNode::inputs; an undefined Tensor where
// needs_input_grad[i] is false.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output,
                                                     const std::vector<bool>& needs_input_grad)>;

struct TapeNode {
  const char* op = "";
  std::shared_ptr<AutogradMeta> output;
  std::vector<std::shared_ptr<AutogradMeta>> inputs;  // null for inputs without autograd
  BackwardFn backward;
};

// Called by run_backward when a leaf's gradient is final (see the header comment).
using LeafGradReadyFn = std::function<void(const AutogradMeta& leaf)>;

// Installs `on_ready` for the backward passes run on this thread during its lifetime; restores
// the previous observer on destruction.
class LeafGradReadyScope {
 public:
  explicit LeafGradReadyScope(LeafGradReadyFn on_ready);
  ~LeafGradReadyScope();
  LeafGradReadyScope(const LeafGradReadyScope&) = delete;
  LeafGradReadyScope& operator=(const LeafGradReadyScope&) = delete;

 private:
  LeafGradReadyFn previous_;
};

class Tape {
 public:
  static Tape& current();  // one per thread
  void record(TapeNode node);
  void run_backward(const Tensor& root, const Tensor& grad_root);
  void clear();
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<TapeNode> nodes_;
};

bool grad_mode_enabled();

// Disables recording in its scope (evaluation, detached CromSS masks and teacher targets).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any defined input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<const Tensor*>& inputs);

// Marks `output` as produced by an op and records its backward on the tape. Inputs may be
// undefined (optional arguments); they then get no gradient. Call only if any_requires_grad().
void record_op(const char* op, Tensor& output, std::initializer_list<const Tensor*> inputs,
               BackwardFn backward);
// The same for a number of inputs known only at run time (concat).
void record_op(const char* op, Tensor& output, const std::vector<const Tensor*>& inputs,
               BackwardFn backward);

// Adds `grad` into meta.grad: in place into a preset buffer, otherwise out of place.
void accumulate_grad(AutogradMeta& meta, const Tensor& grad);

}  // namespace cromss
