// Dropout layers (torch.nn.Dropout and Dropout2d): identity in eval mode; in training each call
// draws a fresh mask from the counter-based generator keyed by (seed, call number), so a run is
// reproducible from its seed and CPU and CUDA drop the same elements. set_dropout_seed() seeds
// every dropout layer of a model from the run seed and its state_dict path.
#pragma once

#include <cstdint>

#include "layers/module.h"

namespace cromss {

class Dropout : public Layer {
 public:
  // channelwise: Dropout2d (whole channels of NCHW); otherwise element-wise.
  Dropout(double p, bool channelwise);
  Tensor forward(const Tensor& x) override;
  double p() const { return p_; }
  void set_seed(uint64_t seed) { seed_ = seed, calls_ = 0; }

 private:
  double p_;
  bool channelwise_;
  uint64_t seed_ = 0;
  uint64_t calls_ = 0;
};

// Seeds each Dropout in `model` with seed_for_name(seed, its path).
void set_dropout_seed(Module& model, uint64_t seed);

}  // namespace cromss
