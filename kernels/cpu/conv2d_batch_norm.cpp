// CPU entries of kernels/conv2d_batch_norm.h: the convolution and batch-norm references one after
// the other (kernels/conv2d_batch_norm_steps.h); the CPU has no fused form.
#include "kernels/conv2d_batch_norm.h"

#include "kernels/conv2d_batch_norm_steps.h"

namespace cromss::cpu_kernels {

using conv2d_batch_norm_steps::Backend;

void conv2d_forward_batch_stats(const Conv2dGeometry& g, const void* x, const void* weight, void* y,
                                void* mean, void* var, DType dtype, const Context& ctx) {
  conv2d_batch_norm_steps::forward_batch_stats(Backend::cpu, g, x, weight, y, mean, var, dtype,
                                               ctx);
}

void conv2d_batch_norm_inference(const Conv2dGeometry& g, const void* x, const void* weight,
                                 const void* mean, const void* var, const void* bn_weight,
                                 const void* bn_bias, double eps, const void* residual, bool relu,
                                 void* y, DType dtype, const Context& ctx) {
  conv2d_batch_norm_steps::batch_norm_inference(Backend::cpu, g, x, weight, mean, var, bn_weight,
                                                bn_bias, eps, residual, relu, y, dtype, ctx);
}

}  // namespace cromss::cpu_kernels
