// ParameterStore: carving the flat parameter and gradient buffers (see parameter_store.h).
#include "layers/parameter_store.h"

namespace cromss {

ParameterStore::ParameterStore(Module& root) : root_(root) {
  int64_t offset = 0;
  Device device = Device::cpu();
  DType dtype = DType::f32;
  for (auto& p : root.named_parameters()) {
    if (entries_.empty()) device = p.tensor->device(), dtype = p.tensor->dtype();
    CROMSS_CHECK(p.tensor->dtype() == dtype && (dtype == DType::f32 || dtype == DType::f64),
                 "ParameterStore: parameter '{}' is {}, expected f32 (or f64 throughout)", p.name,
                 p.tensor->str());
    CROMSS_CHECK(p.tensor->device() == device, "ParameterStore: parameter '{}' on {}, others on {}",
                 p.name, p.tensor->device().str(), device.str());
    entries_.push_back({p.name, offset, p.tensor->shape(), p.tensor});
    offset += (p.tensor->numel() + kAlignment - 1) / kAlignment * kAlignment;
  }
  flat_params_ = Tensor::zeros({offset}, dtype, device);
  flat_grads_ = Tensor::zeros({offset}, dtype, device);
  for (auto& e : entries_) view_of(flat_params_, e).copy_(*e.slot);
  for (auto& e : entries_) *e.slot = view_of(flat_params_, e);
  bind_views();
  for (auto& e : entries_) e.slot->set_requires_grad(true);
}

int64_t ParameterStore::parameter_count() const {
  int64_t n = 0;
  for (auto& e : entries_) n += e.numel();
  return n;
}

Tensor ParameterStore::view_of(const Tensor& flat, const Entry& entry) {
  return flat.narrow(0, entry.offset, entry.numel()).view(entry.shape);
}

Tensor ParameterStore::zeros_like_flat(DType dtype) const {
  return Tensor::zeros(flat_params_.shape(), dtype, flat_params_.device());
}

void ParameterStore::bind_views() {
  for (auto& e : entries_) e.slot->set_grad(view_of(flat_grads_, e));
}

void ParameterStore::to(Device device) {
  if (device == flat_params_.device()) return;
  std::vector<bool> requires_grad;
  for (auto& e : entries_) requires_grad.push_back(e.slot->requires_grad());
  flat_params_ = flat_params_.to(device);
  flat_grads_ = flat_grads_.to(device);
  for (size_t i = 0; i < entries_.size(); ++i) {
    *entries_[i].slot = view_of(flat_params_, entries_[i]);
    entries_[i].slot->set_requires_grad(requires_grad[i]);
  }
  bind_views();
  root_.move_buffers(device);
}

}  // namespace cromss
