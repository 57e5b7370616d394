// See kernels/conv2d_batch_norm_steps.h.
#include "kernels/conv2d_batch_norm_steps.h"

#include "core/error.h"
#include "core/scratch.h"
#include "kernels/batch_norm.h"
#include "kernels/batch_norm_relu.h"
#include "kernels/conv2d.h"

namespace cromss::conv2d_batch_norm_steps {
namespace {

template <class Fn>
Fn* entry(const Kernel<Fn>& kernel, Backend backend) {
  Fn* fn = backend == Backend::cuda ? kernel.cuda : kernel.cpu;
  CROMSS_CHECK(fn != nullptr, "{}: this cromss was built without CUDA", kernel.name);
  return fn;
}

}  // namespace

void forward_batch_stats(Backend backend, const Conv2dGeometry& g, const void* x,
                         const void* weight, void* y, void* mean, void* var, DType dtype,
                         const Context& ctx) {
  entry(kernels::conv2d_forward, backend)(g, x, weight, nullptr, y, dtype, ctx);
  entry(kernels::batch_norm_stats, backend)(y, dtype, conv2d_output_channels(g), mean, var, ctx);
}

void batch_norm_inference(Backend backend, const Conv2dGeometry& g, const void* x,
                          const void* weight, const void* mean, const void* var,
                          const void* bn_weight, const void* bn_bias, double eps,
                          const void* residual, bool relu, void* y, DType dtype,
                          const Context& ctx) {
  CROMSS_CHECK(relu || residual == nullptr,
               "conv2d_batch_norm_inference: a residual is only added before a ReLU");
  const Scratch conv_out(ctx, size_t(g.n * g.k * g.oh * g.ow) * dtype_size(dtype));
  entry(kernels::conv2d_forward, backend)(g, x, weight, nullptr, conv_out.data(), dtype, ctx);
  const ChannelView v = conv2d_output_channels(g);
  if (relu)
    entry(kernels::batch_norm_relu_forward, backend)(conv_out.data(), residual, mean, var,
                                                     bn_weight, bn_bias, eps, dtype, v, y, ctx);
  else
    entry(kernels::batch_norm_forward, backend)(conv_out.data(), mean, var, bn_weight, bn_bias, eps,
                                                dtype, v, y, ctx);
}

}  // namespace cromss::conv2d_batch_norm_steps
