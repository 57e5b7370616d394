// The autograd tape (see autograd.h).
#include "engine/autograd.h"

#include <optional>
#include <unordered_map>
#include <utility>

#include "engine/ops/elementwise.h"

namespace cromss {
namespace {
thread_local bool t_grad_mode = true;
thread_local LeafGradReadyFn t_leaf_ready;

// Uses left per leaf during one backward walk (LeafGradReadyScope).
class LeafUseCounter {
 public:
  explicit LeafUseCounter(const std::vector<TapeNode>& nodes) {
    for (const TapeNode& node : nodes)
      for (const auto& in : node.inputs)
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
  accumulate_grad(root_meta, grad_root.to(root.dtype()).contiguous());
  NoGrad no_grad;  // backward closures run ops too; they must not be recorded
  std::optional<LeafUseCounter> uses;
  if (t_leaf_ready) uses.emplace(nodes_);
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    TapeNode& node = *it;
    if (node.output && node.output->grad.defined()) {
      std::vector<bool> needs(node.inputs.size());
      bool any = false;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        needs[i] = node.inputs[i] && node.inputs[i]->requires_grad;
        any = any || needs[i];
      }
      if (any) {
        std::vector<Tensor> grads = node.backward(node.output->grad, needs);
        CROMSS_CHECK(grads.size() == node.inputs.size(),
                     "{} backward returned {} grads for {} inputs", node.op, grads.size(),
                     node.inputs.size());
        for (size_t i = 0; i < grads.size(); ++i)
          if (needs[i] && grads[i].defined()) accumulate_grad(*node.inputs[i], grads[i]);
      }
      if (!node.output->is_leaf) node.output->grad = Tensor();
    }
    if (uses) uses->walked(node);
    node = TapeNode();  // free saved tensors now
  }
  nodes_.clear();
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
