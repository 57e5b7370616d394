// Module tree with PyTorch state_dict naming (DESIGN.md "Layers of the code").
//
// A Module owns named parameters, named buffers and named child modules, in registration order.
// Full names join the path with '.', exactly like torch.nn.Module.state_dict():
// "encoder1.layer1.0.conv1.weight", "decoder.blocks.0.conv1.1.running_mean". Within a module,
// state() lists its parameters, then its buffers, then each child's state (PyTorch's order).
//
// Invariants:
//  * Tensor slots have stable addresses (each lives in its own heap cell), so a layer keeps a
//    Tensor& to its own parameter, and ParameterStore can swap the slot's content for a view of
//    the flat buffer after construction without the layer noticing.
//  * Parameters are floating tensors; each carries an Init rule (how torch/smp initialise it)
//    that initialize_parameters() applies from a counter-based RNG seeded by (seed, full name),
//    so values do not depend on construction order, thread count or device.
//  * train(bool) sets the mode of the whole subtree (BatchNorm reads it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "engine/tensor.h"

namespace cromss {

// How a parameter is initialised (method-spec.md §1.1). fan_in/fan_out are torch's: for a conv
// weight (C_out, C_in, kH, kW), fan_in = C_in*kH*kW and fan_out = C_out*kH*kW.
struct Init {
  enum class Kind {
    zeros,
    ones,
    kaiming_normal_fan_out_relu,  // torchvision ResNet convs: N(0, 2/fan_out)
    kaiming_uniform_fan_in_relu,  // smp decoder convs: U(+-sqrt(6/fan_in))
    kaiming_uniform_a_sqrt5,      // torch Conv2d.reset_parameters weight: U(+-1/sqrt(fan_in))
    xavier_uniform,               // smp head: U(+-sqrt(6/(fan_in+fan_out)))
    uniform_inv_sqrt_fan_in,      // torch Conv2d.reset_parameters bias: U(+-1/sqrt(fan_in))
  };
  Kind kind = Kind::zeros;
  int64_t fan_in = 0;
  int64_t fan_out = 0;
};

// A named reference into the module tree.
struct NamedTensor {
  std::string name;
  Tensor* tensor;
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Mode of this module and every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }

  // Full names are prefix + local path; prefix "" gives state_dict keys.
  std::vector<NamedTensor> named_parameters(const std::string& prefix = "");
  std::vector<NamedTensor> named_buffers(const std::string& prefix = "");
  // Parameters and buffers together, in state_dict order.
  std::vector<NamedTensor> state(const std::string& prefix = "");
  std::vector<std::pair<std::string, Module*>> named_children() const;
  int64_t parameter_count();

  // Init rule of a parameter registered by this module (by local name); models override the
  // defaults of their layers (smp's initialize_decoder / initialize_head).
  void set_init(const std::string& local_name, Init init);
  // Applies every parameter's Init rule in the subtree (see file comment); buffers keep the
  // values they were registered with.
  void initialize_parameters(uint64_t seed, const std::string& prefix = "");

  // Moves parameters and float buffers to `device` one tensor at a time. Once a ParameterStore
  // owns the parameters, move them with ParameterStore::to instead (this keeps the flat layout).
  void to(Device device);
  // Converts parameters and floating buffers (f32 <-> f64: float64 reference runs and gradient
  // checks). Call before a ParameterStore is made.
  void to(DType dtype);
  // Moves the floating buffers (BN running stats) only; num_batches_tracked stays a host
  // counter (BatchNorm2d increments it on the host).
  void move_buffers(Device device);

  // Adds a named child (its keys become "<name>.<key>") and returns it.
  template <class M>
  M& add_child(const std::string& name, std::unique_ptr<M> module) {
    M& ref = *module;
    children_.emplace_back(name, std::move(module));
    return ref;
  }

 protected:
  Tensor& register_parameter(const std::string& name, Tensor value, Init init);
  Tensor& register_buffer(const std::string& name, Tensor value);

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<Tensor> tensor;
    Init init;
  };
  std::vector<Slot> parameters_;
  std::vector<Slot> buffers_;
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
  bool training_ = true;
};

// A module with one input and one output: the element type of Sequential.
class Layer : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
};

// Deterministic per-tensor seed: SplitMix64 of the run seed combined with FNV-1a of the name.
uint64_t fnv1a64(const std::string& text);
uint64_t seed_for_name(uint64_t seed, const std::string& full_name);

}  // namespace cromss
