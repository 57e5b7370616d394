// The unfused form of kernels/conv2d_batch_norm.h — the convolution, then batch norm's own
// kernels — on one backend's entries of the kernel table: the whole CPU implementation, and what
// the CUDA entries run when cuDNN cannot fuse (kernels/cuda/conv2d_batch_norm.cu). Written once so
// that both backends compute the unfused result the same way.
#pragma once

#include "kernels/conv2d_batch_norm.h"

namespace cromss::conv2d_batch_norm_steps {

enum class Backend { cpu, cuda };

void forward_batch_stats(Backend backend, const Conv2dGeometry& g, const void* x,
                         const void* weight, void* y, void* mean, void* var, DType dtype,
                         const Context& ctx);
void batch_norm_inference(Backend backend, const Conv2dGeometry& g, const void* x,
                          const void* weight, const void* mean, const void* var,
                          const void* bn_weight, const void* bn_bias, double eps,
                          const void* residual, bool relu, void* y, DType dtype,
                          const Context& ctx);

}  // namespace cromss::conv2d_batch_norm_steps
