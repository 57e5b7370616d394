// BatchNorm2d layer: torch.nn.BatchNorm2d's state ("weight" = 1, "bias" = 0, buffers
// "running_mean" = 0, "running_var" = 1, "num_batches_tracked" a 0-d int64), eps 1e-5,
// momentum 0.1 (method-spec.md §1.1). Training mode normalises with batch statistics and updates
// the running stats in place (engine/ops/batch_norm.h) and counts the batch; eval mode uses the
// running stats. num_batches_tracked is a host counter: it never moves to a device (a captured
// step counts through a host task of its graph, core/graph_capture.h).
// forward_relu(x[, residual]) = relu(forward(x) [+ residual]): in training one fused op
// (engine/ops/batch_norm_relu.h, same numbers), in eval the three ops as before.
// forward_conv(conv, x, relu[, residual]) = this layer applied to conv.forward(x), then as
// forward_relu when relu: for a conv without bias one op (engine/ops/conv2d_batch_norm.h, the same
// numbers) whose kernels cuDNN can fuse with --conv_bn_fusion; with a bias the layers one by one.
#pragma once

#include "layers/conv2d.h"
#include "layers/module.h"

namespace cromss {

class BatchNorm2d : public Layer {
 public:
  static constexpr double kMomentum = 0.1;
  static constexpr double kEps = 1e-5;

  explicit BatchNorm2d(int64_t channels);
  Tensor forward(const Tensor& x) override;
  Tensor forward_relu(const Tensor& x, const Tensor& residual = Tensor());
  Tensor forward_conv(Conv2d& conv, const Tensor& x, bool relu, const Tensor& residual = Tensor());
  int64_t channels() const { return channels_; }

 private:
  void check_input(const Tensor& x) const;
  void count_batch(Device device);

  int64_t channels_;
  Tensor& weight_;
  Tensor& bias_;
  Tensor& running_mean_;
  Tensor& running_var_;
  Tensor& num_batches_tracked_;
};

}  // namespace cromss
