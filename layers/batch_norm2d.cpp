// BatchNorm2d layer (see batch_norm2d.h).
#include "layers/batch_norm2d.h"

#include "core/graph_capture.h"
#include "engine/ops/batch_norm.h"
#include "engine/ops/batch_norm_relu.h"
#include "engine/ops/conv2d_batch_norm.h"
#include "engine/ops/elementwise.h"

namespace cromss {

BatchNorm2d::BatchNorm2d(int64_t channels)
    : channels_(channels),
      weight_(register_parameter("weight", Tensor::full({channels}, 1.0), {Init::Kind::ones})),
      bias_(register_parameter("bias", Tensor::zeros({channels}), {Init::Kind::zeros})),
      running_mean_(register_buffer("running_mean", Tensor::zeros({channels}))),
      running_var_(register_buffer("running_var", Tensor::full({channels}, 1.0))),
      num_batches_tracked_(register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64))) {}

void BatchNorm2d::check_input(const Tensor& x) const {
  CROMSS_CHECK(x.dim() == 4 && x.size(1) == channels_,
               "BatchNorm2d({}): expected an NCHW input with {} channels, got {}", channels_,
               channels_, x.str());
}

void BatchNorm2d::count_batch(Device device) {
  // A host counter; inside a graph capture the increment becomes part of the graph.
  run_host_task(Context::get(device),
                [counter = num_batches_tracked_.data<int64_t>()] { ++*counter; });
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  check_input(x);
  if (training()) count_batch(x.device());
  return batch_norm2d(x, weight_, bias_, running_mean_, running_var_, training(), kMomentum, kEps);
}

Tensor BatchNorm2d::forward_relu(const Tensor& x, const Tensor& residual) {
  if (!training()) return relu(residual.defined() ? add(forward(x), residual) : forward(x));
  check_input(x);
  count_batch(x.device());
  return batch_norm_relu(x, weight_, bias_, running_mean_, running_var_, true, residual, kMomentum,
                         kEps);
}

Tensor BatchNorm2d::forward_conv(Conv2d& conv, const Tensor& x, bool relu, const Tensor& residual) {
  CROMSS_CHECK(relu || !residual.defined(),
               "BatchNorm2d({}): a residual is only added before a ReLU", channels_);
  if (conv.has_bias())
    return relu ? forward_relu(conv.forward(x), residual) : forward(conv.forward(x));
  CROMSS_CHECK(conv.out_channels() == channels_,
               "BatchNorm2d({}): follows a convolution with {} output channels", channels_,
               conv.out_channels());
  if (training()) count_batch(x.device());
  return conv2d_batch_norm(x, conv.weight(), conv.params(), weight_, bias_, running_mean_,
                           running_var_, training(), relu, residual, kMomentum, kEps);
}

}  // namespace cromss
