// See train/mixed_precision.h.
#include "train/mixed_precision.h"

#include "core/error.h"
#include "engine/ops/elementwise.h"
#include "layers/batch_norm2d.h"

namespace cromss {
namespace {

void collect_bn(Module& m, const std::string& prefix, std::set<std::string>& out) {
  for (auto& [name, child] : m.named_children()) {
    const std::string full = prefix.empty() ? name : prefix + "." + name;
    if (dynamic_cast<BatchNorm2d*>(child) != nullptr) {
      out.insert(full + ".weight");
      out.insert(full + ".bias");
    }
    collect_bn(*child, full, out);
  }
}

}  // namespace

std::set<std::string> batch_norm_parameter_names(Module& root) {
  std::set<std::string> out;
  collect_bn(root, "", out);
  return out;
}

MixedPrecisionWeights::MixedPrecisionWeights(Module& root, ParameterStore& store, DType low)
    : store_(store), low_(low) {
  CROMSS_CHECK(low == DType::bf16 || low == DType::f16,
               "mixed precision: low-precision dtype must be bf16 or f16, got {}", dtype_name(low));
  const std::set<std::string> bn = batch_norm_parameter_names(root);
  for (const auto& e : store.entries()) is_bn_.push_back(bn.count(e.name) > 0);
  const Tensor& flat = store.flat_parameters();
  low_params_ = Tensor::empty(flat.shape(), low, flat.device());
  low_grads_ = Tensor::zeros(flat.shape(), low, flat.device());
  refresh();
  bind_low();
}

void MixedPrecisionWeights::refresh() {
  low_params_.copy_(store_.flat_parameters());
}

void MixedPrecisionWeights::accumulate_grads() {
  Tensor& grads = store_.flat_gradients();
  grads.copy_(add(grads, low_grads_.to(DType::f32)));
  low_grads_.zero_();
}

void MixedPrecisionWeights::bind_master() {
  for (const auto& e : store_.entries()) {
    Tensor view = ParameterStore::view_of(store_.flat_parameters(), e);
    view.set_requires_grad(true);
    view.set_grad(ParameterStore::view_of(store_.flat_gradients(), e));
    *e.slot = view;
  }
}

void MixedPrecisionWeights::bind_low() {
  const auto& entries = store_.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const Tensor& params = is_bn_[i] ? store_.flat_parameters() : low_params_;
    const Tensor& grads = is_bn_[i] ? store_.flat_gradients() : low_grads_;
    Tensor view = ParameterStore::view_of(params, e);
    view.set_requires_grad(true);
    view.set_grad(ParameterStore::view_of(grads, e));
    *e.slot = view;
  }
}

}  // namespace cromss
