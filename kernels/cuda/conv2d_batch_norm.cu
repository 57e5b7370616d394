// CUDA entries of kernels/conv2d_batch_norm.h. With --conv_bn_fusion (core/conv_bn_fusion.h) and
// a convolution cuDNN's graphs can serve (kernels/cuda/cudnn_fused_conv.h), one cuDNN graph plus
// a per-channel kernel: in training the graph writes y and the sums of y and y^2, and
// batch_stats_from_sums turns them into mean and variance; in eval batch_norm_scale_shift folds
// the running statistics and the affine parameters into one multiply-add the graph applies
// (kernels/conv2d_batch_norm.cuh). Otherwise, and under --deterministic (the statistics epilogue
// reduces in no fixed order), the unfused steps of kernels/conv2d_batch_norm_steps.h. The fused
// graphs serve bf16/f16 only, whose per-channel buffers are f32.
#include "core/conv_bn_fusion.h"
#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/determinism.h"
#include "core/scratch.h"
#include "kernels/conv2d_batch_norm.cuh"
#include "kernels/conv2d_batch_norm.h"
#include "kernels/conv2d_batch_norm_steps.h"
#include "kernels/cuda/cudnn_fused_conv.h"

namespace cromss::cuda_kernels {
namespace {

constexpr int kThreads = 256;

__global__ void stats_from_sums_kernel(const float* sum, const float* sum_squares, int64_t count,
                                       int64_t channels, float* mean, float* var) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < channels) batch_stats_from_sums(sum[c], sum_squares[c], count, mean + c, var + c);
}

__global__ void scale_shift_kernel(const float* mean, const float* var, const float* weight,
                                   const float* bias, float eps, int64_t channels, float* scale,
                                   float* shift) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c < channels)
    batch_norm_scale_shift(mean[c], var[c], weight ? weight[c] : 1.0f, bias ? bias[c] : 0.0f, eps,
                           scale + c, shift + c);
}

unsigned blocks_for(int64_t channels) {
  return unsigned((channels + kThreads - 1) / kThreads);
}

bool fusion_wanted(const Conv2dGeometry& g, DType dtype) {
  return conv_bn_fusion() && !deterministic_algorithms() && fused_conv_candidate(g, dtype);
}

// Two [K] fp32 vectors in one scratch buffer, the second 16-byte aligned like the first.
struct ChannelPair {
  ChannelPair(const Context& ctx, int64_t channels)
      : stride((channels + 3) / 4 * 4), buffer(ctx, 2 * size_t(stride) * sizeof(float)) {}
  float* first() const { return buffer.as<float>(); }
  float* second() const { return buffer.as<float>() + stride; }
  int64_t stride;
  Scratch buffer;
};

}  // namespace

using conv2d_batch_norm_steps::Backend;

void conv2d_forward_batch_stats(const Conv2dGeometry& g, const void* x, const void* weight, void* y,
                                void* mean, void* var, DType dtype, const Context& ctx) {
  if (fusion_wanted(g, dtype)) {
    const ChannelPair sums(ctx, g.k);
    FusedConvBuffers b;
    b.x = x, b.w = weight, b.y = y, b.sum = sums.first(), b.sum_squares = sums.second();
    if (run_fused_conv(FusedConvGraph::batch_stats, g, dtype, b, ctx)) {
      stats_from_sums_kernel<<<blocks_for(g.k), kThreads, 0, stream_of(ctx)>>>(
          b.sum, b.sum_squares, g.n * g.oh * g.ow, g.k, static_cast<float*>(mean),
          static_cast<float*>(var));
      CUDA_CHECK_LAUNCH();
      return;
    }
  }
  conv2d_batch_norm_steps::forward_batch_stats(Backend::cuda, g, x, weight, y, mean, var, dtype,
                                               ctx);
}

void conv2d_batch_norm_inference(const Conv2dGeometry& g, const void* x, const void* weight,
                                 const void* mean, const void* var, const void* bn_weight,
                                 const void* bn_bias, double eps, const void* residual, bool relu,
                                 void* y, DType dtype, const Context& ctx) {
  if (fusion_wanted(g, dtype) && (relu || residual == nullptr)) {
    const ChannelPair scale_shift(ctx, g.k);
    scale_shift_kernel<<<blocks_for(g.k), kThreads, 0, stream_of(ctx)>>>(
        static_cast<const float*>(mean), static_cast<const float*>(var),
        static_cast<const float*>(bn_weight), static_cast<const float*>(bn_bias), float(eps), g.k,
        scale_shift.first(), scale_shift.second());
    CUDA_CHECK_LAUNCH();
    FusedConvBuffers b;
    b.x = x, b.w = weight, b.y = y, b.scale = scale_shift.first(), b.shift = scale_shift.second();
    b.residual = residual;
    const FusedConvGraph graph = !relu                 ? FusedConvGraph::scale_shift
                                 : residual != nullptr ? FusedConvGraph::scale_shift_add_relu
                                                       : FusedConvGraph::scale_shift_relu;
    if (run_fused_conv(graph, g, dtype, b, ctx)) return;
  }
  conv2d_batch_norm_steps::batch_norm_inference(Backend::cuda, g, x, weight, mean, var, bn_weight,
                                                bn_bias, eps, residual, relu, y, dtype, ctx);
}

}  // namespace cromss::cuda_kernels
