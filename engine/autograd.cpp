// The autograd tape (see autograd.h).
#include "engine/autograd.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/ops/elementwise.h"

namespace cromss {
namespace {
thread_local bool t_grad_mode = true;
thread_local LeafGradReadyFn t_leaf_ready;

// Uses left per leaf during one backward walk (LeafGradReadyScope), over the walked nodes.
class LeafUseCounter {
 public:
  LeafUseCounter(const std::vector<TapeNode>& nodes, const std::vector<bool>& walked) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (walked[i])
        for (const auto& in : nodes[i].inputs)
          if (in && in->is_leaf) ++pending_[in.get()];
  }
  // After `node` has been walked: reports the leaves it used for the last time.
  void walked(const TapeNode& node) {
    for (const auto& in : node.inputs)
      if (in && in->is_leaf && --pending_[in.get()] == 0) t_leaf_ready(*in);
  }

 private:
  std::unordered_map<const AutogradMeta*, int64_t> pending_;
};

// The nodes one backward from `root` walks: all but those another live graph still needs. A node
// is kept when its output is held outside the tape (a tensor the caller still has, so a later
// backward may start there) or feeds a kept node, unless the root's graph reaches it: reverse
// record order is a topological order, so one reverse sweep each finds both sets. Dead branches
// (outputs nobody holds) are walked too: they receive no gradient, but their leaves are reported.
std::vector<bool> nodes_to_walk(const std::vector<TapeNode>& nodes, const AutogradMeta* root) {
  std::unordered_map<const AutogradMeta*, long> tape_refs;
  for (const TapeNode& node : nodes) {
    ++tape_refs[node.output.get()];
    for (const auto& in : node.inputs)
      if (in) ++tape_refs[in.get()];
  }
  std::unordered_set<const AutogradMeta*> in_root_graph{root}, needed_elsewhere;
  std::vector<bool> walk(nodes.size(), true);
  for (size_t i = nodes.size(); i-- > 0;) {
    const TapeNode& node = nodes[i];
    const AutogradMeta* out = node.output.get();
    if (in_root_graph.count(out)) {
      for (const auto& in : node.inputs)
        if (in) in_root_graph.insert(in.get());
      continue;
    }
    if (node.output.use_count() > tape_refs[out] || needed_elsewhere.count(out)) {
      walk[i] = false;
      for (const auto& in : node.inputs)
        if (in) needed_elsewhere.insert(in.get());
    }
  }
  return walk;
}

}  // namespace

LeafGradReadyScope::LeafGradReadyScope(LeafGradReadyFn on_ready)
    : previous_(std::exchange(t_leaf_ready, std::move(on_ready))) {}

LeafGradReadyScope::~LeafGradReadyScope() {
  t_leaf_ready = std::move(previous_);
}

Tape& Tape::current() {
  thread_local Tape tape;
  return tape;
}

void Tape::record(TapeNode node) {
  nodes_.push_back(std::move(node));
}

void Tape::clear() {
  nodes_.clear();
}

void Tape::run_backward(const Tensor& root, const Tensor& grad_root) {
  CROMSS_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad");
  CROMSS_CHECK(grad_root.shape() == root.shape() && grad_root.device() == root.device(),
               "backward(): gradient {} does not match output {}", grad_root.str(), root.str());
  AutogradMeta& root_meta = *root.autograd_meta();
  const std::vector<bool> walk = nodes_to_walk(nodes_, &root_meta);
  // The walked nodes leave the tape whether the walk finishes or throws (an op refusing under
  // --deterministic, a CUDA error): left behind, a later backward would walk them again with
  // their stale gradients. Nodes of other live graphs stay, in record order.
  struct RemoveWalkedOnExit {
    std::vector<TapeNode>& nodes;
    const std::vector<bool>& walk;
    ~RemoveWalkedOnExit() {
      size_t kept = 0;
      for (size_t i = 0; i < nodes.size(); ++i)
        if (!walk[i]) {
          if (kept != i) nodes[kept] = std::move(nodes[i]);
          ++kept;
        }
      nodes.resize(kept);
    }
  } remove_walked_on_exit{nodes_, walk};
  // The seed is dense in the root's memory format, as every op's output gradient is.
  accumulate_grad(root_meta, grad_root.to(root.dtype()).contiguous(root.memory_format()));
  NoGrad no_grad;  // backward closures run ops too; they must not be recorded
  std::optional<LeafUseCounter> uses;
  if (t_leaf_ready) uses.emplace(nodes_, walk);
  for (size_t i = nodes_.size(); i-- > 0;) {
    if (!walk[i]) continue;
    TapeNode& node = nodes_[i];
    if (node.output && node.output->grad.defined()) {
      std::vector<bool> needs(node.inputs.size());
      bool any = false;
      for (size_t j = 0; j < node.inputs.size(); ++j) {
        needs[j] = node.inputs[j] && node.inputs[j]->requires_grad;
        any = any || needs[j];
      }
      if (any) {
        std::vector<Tensor> grads = node.backward(node.output->grad, needs);
        CROMSS_CHECK(grads.size() == node.inputs.size(),
                     "{} backward returned {} grads for {} inputs", node.op, grads.size(),
                     node.inputs.size());
        for (size_t j = 0; j < grads.size(); ++j)
          if (needs[j] && grads[j].defined()) accumulate_grad(*node.inputs[j], grads[j]);
      }
      if (!node.output->is_leaf) node.output->grad = Tensor();
    }
    if (uses) uses->walked(node);
    node = TapeNode();  // free saved tensors now
  }
}

bool grad_mode_enabled() {
  return t_grad_mode;
}

NoGrad::NoGrad() : previous_(t_grad_mode) {
  t_grad_mode = false;
}
NoGrad::~NoGrad() {
  t_grad_mode = previous_;
}

namespace {

template <class Inputs>
bool any_input_requires_grad(const Inputs& inputs) {
  if (!t_grad_mode) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

template <class Inputs>
void record_node(const char* op, Tensor& output, const Inputs& inputs, BackwardFn backward) {
  auto& meta = output.mutable_autograd_meta();
  meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->is_leaf = false;
  TapeNode node;
  node.op = op;
  node.output = meta;
  for (const Tensor* t : inputs)
    node.inputs.push_back(t && t->defined() && t->requires_grad() ? t->autograd_meta() : nullptr);
  node.backward = std::move(backward);
  Tape::current().record(std::move(node));
}

}  // namespace

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  return any_input_requires_grad(inputs);
}

bool any_requires_grad(const std::vector<const Tensor*>& inputs) {
  return any_input_requires_grad(inputs);
}

void record_op(const char* op, Tensor& output, std::initializer_list<const Tensor*> inputs,
               BackwardFn backward) {
  record_node(op, output, inputs, std::move(backward));
}

void record_op(const char* op, Tensor& output, const std::vector<const Tensor*>& inputs,
               BackwardFn backward) {
  record_node(op, output, inputs, std::move(backward));
}

void accumulate_grad(AutogradMeta& meta, const Tensor& grad) {
  if (!meta.grad.defined()) {
    meta.grad = grad.detach();
    return;
  }
  CROMSS_CHECK(meta.grad.shape() == grad.shape(), "gradient shape {} does not match {}",
               shape_str(grad.shape()), shape_str(meta.grad.shape()));
  if (meta.grad_preset)
    add_inplace(meta.grad, grad);
  else
    meta.grad = add(meta.grad, grad);
}

}  // namespace cromss
