// Sequential: layers applied in order and named "0", "1", ... like torch.nn.Sequential, so
// their parameters get keys such as "downsample.1.running_mean" or "conv1.0.weight". A Conv2d
// directly followed by a BatchNorm2d (and a ReLU) runs as BatchNorm2d::forward_conv, and any other
// BatchNorm2d directly followed by a ReLU as BatchNorm2d::forward_relu (fused ops, the same
// numbers), which covers the decoders' conv-BN-ReLU blocks and the ResNet downsample branches.
// ModuleList: a plain container whose children the owner names "0", "1", ... and calls itself
// (torch.nn.ModuleList), e.g. smp's "decoder.blocks.{i}".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/module.h"

namespace cromss {

class Sequential : public Layer {
 public:
  template <class L>
  L& add(std::unique_ptr<L> layer) {
    L& ref = add_child(std::to_string(layers_.size()), std::move(layer));
    layers_.push_back(&ref);
    return ref;
  }
  Tensor forward(const Tensor& x) override;
  size_t size() const { return layers_.size(); }
  Layer& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<Layer*> layers_;
};

class ModuleList : public Module {
 public:
  template <class M>
  M& append(std::unique_ptr<M> module) {
    return add_child(std::to_string(size_++), std::move(module));
  }

 private:
  size_t size_ = 0;
};

}  // namespace cromss
