// CUDA fused batch norm + (residual add +) ReLU (see kernels/batch_norm_relu.h): the passes of
// kernels/cuda/batch_norm.cu with the ReLU (and the residual) folded in, so the forward is one
// read of x (and residual) and one write of y, and the backward reads y for the ReLU mask
// instead of a separate ReLU and add backward.
#include "kernels/batch_norm_relu.h"
#include "kernels/cuda/batch_norm_passes.h"

namespace cromss::cuda_kernels {

void batch_norm_relu_forward(const void* x, const void* residual, const void* mean, const void* var,
                             const void* weight, const void* bias, double eps, DType dtype,
                             ChannelView v, void* y, const Context& ctx) {
  batch_norm_passes::apply(x, residual, mean, var, weight, bias, eps, true, dtype, v, y, ctx);
}

void batch_norm_relu_channel_sums(const void* grad_out, const void* y, const void* x,
                                  const void* mean, const void* var, double eps, DType dtype,
                                  ChannelView v, void* sum_g, void* sum_g_xhat,
                                  const Context& ctx) {
  batch_norm_passes::channel_sums(grad_out, y, x, mean, var, eps, dtype, v, sum_g, sum_g_xhat, ctx);
}

void batch_norm_relu_backward_x(const void* grad_out, const void* y, const void* x,
                                const void* mean, const void* var, const void* weight,
                                const void* sum_g, const void* sum_g_xhat, double eps,
                                bool training, DType dtype, ChannelView v, void* grad_x,
                                void* grad_residual, const Context& ctx) {
  batch_norm_passes::backward_x(grad_out, y, x, mean, var, weight, sum_g, sum_g_xhat, eps, training,
                                dtype, v, grad_x, grad_residual, ctx);
}

}  // namespace cromss::cuda_kernels
