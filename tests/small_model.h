// The small CromSS network the step tests share: resnet18 encoders, 4 S2 bands, in training
// mode, its flat ParameterStore on a device, its initial state (restored between the runs a test
// compares: initialisation dominates the time, so the model is built once) and a batch of 2
// S1 and S2 inputs at 32². Used by tests/branch_step.h, tests/nhwc_step.h, tests/graph_step.h.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "layers/parameter_store.h"
#include "models/segmentation_net.h"

namespace cromss::test {

struct SmallModel {
  // c names the input type and fusion; the encoder and band count are set here.
  SmallModel(ModelConfig c, uint64_t seed, Device device) : config(std::move(c)) {
    config.model_type = "resnet18";
    config.n_channels = 4;
    net = build_model(config, seed);
    net->train(true);
    store = std::make_unique<ParameterStore>(*net);
    store->to(device);
    for (auto& [name, t] : net->state()) initial.push_back(t->clone());
    s1 = Tensor::uniform({2, 2, 32, 32}, -1, 1, seed + 1).to(device);
    s2 = Tensor::uniform({2, 4, 32, 32}, -1, 1, seed + 2).to(device);
  }

  // Back to the initial parameters and buffers, gradients zero.
  void restore() {
    size_t i = 0;
    for (auto& [name, t] : net->state()) t->copy_(initial[i++]);
    store->zero_grad();
  }

  ModelConfig config;
  std::unique_ptr<SegmentationNet> net;
  std::unique_ptr<ParameterStore> store;
  std::vector<Tensor> initial;
  Tensor s1, s2;
};

}  // namespace cromss::test
