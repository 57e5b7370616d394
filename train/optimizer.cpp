// Optimizer: buffer checks, dispatch to the fused kernels (kernels/optimizer.h), state dict.
#include "train/optimizer.h"

#include <fmt/ranges.h>

#include "engine/dispatch.h"
#include "kernels/optimizer.h"

namespace cromss {

OptimizerConfig optimizer_config_for(const std::string& name, double lr) {
  OptimizerConfig c;
  c.lr = lr;
  if (name == "adam") {
    c.kind = OptimizerKind::adam;
    c.weight_decay = 1e-8;
  } else if (name == "sgd") {
    c.kind = OptimizerKind::sgd;
    c.momentum = 0.9;
    c.weight_decay = 1e-4;
  } else {
    CROMSS_THROW(ValueError, "--optimizer: expected adam or sgd, got '{}'", name);
  }
  return c;
}

namespace {
void check_flat(const Tensor& t, const char* what) {
  CROMSS_CHECK(t.defined() && t.dtype() == DType::f32 && t.is_contiguous() && t.dim() == 1,
               "Optimizer: {} must be a contiguous flat f32 tensor, got {}", what,
               t.defined() ? t.str() : "undefined");
}
}  // namespace

Optimizer::Optimizer(const OptimizerConfig& config, Tensor params, Tensor grads)
    : config_(config), params_(std::move(params)), grads_(std::move(grads)) {
  check_flat(params_, "the parameter buffer");
  check_flat(grads_, "the gradient buffer");
  CROMSS_CHECK(params_.numel() == grads_.numel() && params_.device() == grads_.device(),
               "Optimizer: parameters {} and gradients {} differ in length or device",
               params_.str(), grads_.str());
  const Device dev = params_.device();
  step_ = Tensor::zeros({1}, DType::i64, dev);
  const Shape shape{params_.numel()};
  if (config_.kind == OptimizerKind::adam) {
    moments_["exp_avg"] = Tensor::zeros(shape, DType::f32, dev);
    moments_["exp_avg_sq"] = Tensor::zeros(shape, DType::f32, dev);
  } else {
    moments_["momentum_buffer"] = Tensor::zeros(shape, DType::f32, dev);
  }
}

void Optimizer::step(const Tensor& skip) {
  const int32_t* skip_ptr = nullptr;
  if (skip.defined()) {
    CROMSS_CHECK(
        skip.dtype() == DType::i32 && skip.numel() == 1 && skip.device() == params_.device(),
        "Optimizer::step: skip must be an i32 one-element tensor on {}, got {}",
        params_.device().str(), skip.str());
    skip_ptr = skip.data<int32_t>();
  }
  float* p = params_.data<float>();
  const float* g = grads_.data<float>();
  int64_t* t = step_.data<int64_t>();
  const int64_t n = params_.numel();
  const Device dev = params_.device();
  if (config_.kind == OptimizerKind::adam) {
    const AdamHyper h{config_.lr, config_.beta1, config_.beta2, config_.eps, config_.weight_decay};
    float* m = moments_.at("exp_avg").data<float>();
    float* v = moments_.at("exp_avg_sq").data<float>();
    dispatch(kernels::adam_step, dev, p, g, m, v, n, h, t, skip_ptr);
  } else {
    const SgdHyper h{config_.lr, config_.momentum, config_.dampening, config_.weight_decay};
    float* b = moments_.at("momentum_buffer").data<float>();
    dispatch(kernels::sgd_step, dev, p, g, b, n, h, t, skip_ptr);
  }
}

int64_t Optimizer::step_count() const {
  return step_.to_vector<int64_t>()[0];
}

void Optimizer::save(std::map<std::string, Tensor>& out, const std::string& prefix) const {
  out[prefix + "step"] = step_.to(Device::cpu()).clone().view({});
  for (const auto& [name, t] : moments_) out[prefix + name] = t.to(Device::cpu()).clone();
}

void Optimizer::load(const std::map<std::string, Tensor>& in, const std::string& prefix) {
  auto find = [&](const std::string& key) -> const Tensor& {
    auto it = in.find(prefix + key);
    CROMSS_CHECK(it != in.end(), "optimizer state: missing entry '{}{}'", prefix, key);
    return it->second;
  };
  const Tensor& step = find("step");
  CROMSS_CHECK(step.numel() == 1, "optimizer state '{}step': expected a scalar, got {}", prefix,
               step.str());
  step_.copy_(step.to(DType::i64).view({1}));
  for (auto& [name, t] : moments_) {
    const Tensor& src = find(name);
    CROMSS_CHECK(src.numel() == t.numel(),
                 "optimizer state '{}{}': expected {} elements (the flat parameter buffer), got {}",
                 prefix, name, t.numel(), src.str());
    t.copy_(src.view({t.numel()}));
  }
}

void Optimizer::save_sliced(std::map<std::string, Tensor>& out,
                            const std::vector<FlatSlice>& slices, const std::string& prefix) const {
  out[prefix + "step"] = step_.to(Device::cpu()).clone().view({});
  for (const auto& [state, flat] : moments_) {
    const Tensor host = flat.to(Device::cpu());
    for (const FlatSlice& s : slices) {
      CROMSS_CHECK(s.offset >= 0 && s.offset + shape_numel(s.shape) <= flat.numel(),
                   "optimizer state: slice '{}' [{}, +{}) outside the flat buffer of {}", s.name,
                   s.offset, shape_numel(s.shape), flat.numel());
      out[prefix + state + "/" + s.name] =
          host.narrow(0, s.offset, shape_numel(s.shape)).clone().view(s.shape);
    }
  }
}

void Optimizer::load_sliced(const std::map<std::string, Tensor>& in,
                            const std::vector<FlatSlice>& slices, const std::string& prefix) {
  std::vector<std::string> problems;
  auto check = [&](const std::string& key, const Shape& shape) {
    auto it = in.find(key);
    if (it == in.end())
      problems.push_back("missing '" + key + "'");
    else if (it->second.shape() != shape)
      problems.push_back(
          fmt::format("'{}' is {} but {} was expected", key, it->second.str(), shape_str(shape)));
  };
  check(prefix + "step", Shape{});
  for (const auto& [state, flat] : moments_)
    for (const FlatSlice& s : slices) check(prefix + state + "/" + s.name, s.shape);
  if (!problems.empty())
    CROMSS_THROW(ValueError, "optimizer state does not match the model ({} problems): {}",
                 problems.size(), fmt::join(problems, "; "));
  step_.copy_(in.at(prefix + "step").to(DType::i64).view({1}));
  for (auto& [state, flat] : moments_) {
    Tensor host = Tensor::zeros({flat.numel()});
    for (const FlatSlice& s : slices)
      host.narrow(0, s.offset, shape_numel(s.shape))
          .copy_(in.at(prefix + state + "/" + s.name).view({shape_numel(s.shape)}));
    flat.copy_(host);
  }
}

}  // namespace cromss
