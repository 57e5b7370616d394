// Module tree: naming, traversal, initialisation and device moves (see module.h).
#include "layers/module.h"

#include <cmath>

#include "core/random.cuh"

namespace cromss {

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

std::vector<NamedTensor> Module::named_parameters(const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (auto& slot : parameters_) out.push_back({prefix + slot.name, slot.tensor.get()});
  for (auto& [name, child] : children_) {
    auto sub = child->named_parameters(prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<NamedTensor> Module::named_buffers(const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (auto& slot : buffers_) out.push_back({prefix + slot.name, slot.tensor.get()});
  for (auto& [name, child] : children_) {
    auto sub = child->named_buffers(prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<NamedTensor> Module::state(const std::string& prefix) {
  std::vector<NamedTensor> out;
  for (auto& slot : parameters_) out.push_back({prefix + slot.name, slot.tensor.get()});
  for (auto& slot : buffers_) out.push_back({prefix + slot.name, slot.tensor.get()});
  for (auto& [name, child] : children_) {
    auto sub = child->state(prefix + name + ".");
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [name, child] : children_) out.emplace_back(name, child.get());
  return out;
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (auto& p : named_parameters()) n += p.tensor->numel();
  return n;
}

void Module::set_init(const std::string& local_name, Init init) {
  for (auto& slot : parameters_)
    if (slot.name == local_name) {
      slot.init = init;
      return;
    }
  CROMSS_THROW(ValueError, "set_init: no parameter named '{}' in this module", local_name);
}

namespace {

Tensor draw(const Init& init, const Shape& shape, uint64_t seed) {
  const double fan_in = static_cast<double>(init.fan_in),
               fan_out = static_cast<double>(init.fan_out);
  auto uniform = [&](double bound) {
    return Tensor::uniform(shape, -bound, bound, seed, DType::f64);
  };
  switch (init.kind) {
    case Init::Kind::zeros:
      return Tensor::zeros(shape, DType::f64);
    case Init::Kind::ones:
      return Tensor::full(shape, 1.0, DType::f64);
    case Init::Kind::kaiming_normal_fan_out_relu:
      return Tensor::normal(shape, 0.0, std::sqrt(2.0 / fan_out), seed, DType::f64);
    case Init::Kind::kaiming_uniform_fan_in_relu:
      return uniform(std::sqrt(6.0 / fan_in));
    case Init::Kind::kaiming_uniform_a_sqrt5:  // gain sqrt(2/(1+5)), bound gain*sqrt(3/fan_in)
      return uniform(1.0 / std::sqrt(fan_in));
    case Init::Kind::xavier_uniform:
      return uniform(std::sqrt(6.0 / (fan_in + fan_out)));
    case Init::Kind::uniform_inv_sqrt_fan_in:
      return uniform(1.0 / std::sqrt(fan_in));
  }
  CROMSS_THROW(ValueError, "unknown Init kind");
}

}  // namespace

void Module::initialize_parameters(uint64_t seed, const std::string& prefix) {
  for (auto& slot : parameters_)
    slot.tensor->copy_(
        draw(slot.init, slot.tensor->shape(), seed_for_name(seed, prefix + slot.name)));
  for (auto& [name, child] : children_) child->initialize_parameters(seed, prefix + name + ".");
}

void Module::to(Device device) {
  for (auto& slot : parameters_) {
    bool requires_grad = slot.tensor->requires_grad();
    *slot.tensor = slot.tensor->to(device);
    if (requires_grad) slot.tensor->set_requires_grad(true);
  }
  move_buffers(device);
  for (auto& [name, child] : children_) child->to(device);
}

void Module::to(DType dtype) {
  for (auto* slots : {&parameters_, &buffers_})
    for (auto& slot : *slots)
      if (is_floating(slot.tensor->dtype())) {
        bool requires_grad = slot.tensor->requires_grad();
        *slot.tensor = slot.tensor->to(dtype);
        if (requires_grad) slot.tensor->set_requires_grad(true);
      }
  for (auto& [name, child] : children_) child->to(dtype);
}

void Module::move_buffers(Device device) {
  for (auto& slot : buffers_)
    if (is_floating(slot.tensor->dtype())) *slot.tensor = slot.tensor->to(device);
  for (auto& [name, child] : children_) child->move_buffers(device);
}

Tensor& Module::register_parameter(const std::string& name, Tensor value, Init init) {
  CROMSS_CHECK(is_floating(value.dtype()), "parameter '{}' must be floating, got {}", name,
               value.str());
  parameters_.push_back({name, std::make_unique<Tensor>(std::move(value)), init});
  return *parameters_.back().tensor;
}

Tensor& Module::register_buffer(const std::string& name, Tensor value) {
  buffers_.push_back({name, std::make_unique<Tensor>(std::move(value)), Init{}});
  return *buffers_.back().tensor;
}

uint64_t fnv1a64(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t seed_for_name(uint64_t seed, const std::string& full_name) {
  return mix64(seed ^ fnv1a64(full_name));
}

}  // namespace cromss
