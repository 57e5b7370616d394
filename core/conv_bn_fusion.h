// --conv_bn_fusion: a process-wide switch that lets a convolution followed by batch norm run as
// one cuDNN graph (kernels/cuda/cudnn_fused_conv.h) where cuDNN offers it — CUDA, nhwc
// activations (--channels_last), bf16/f16, groups 1: in training the convolution writes its output
// and the per-channel sum and sum of squares batch norm needs (one pass over y fewer); in eval
// the convolution, batch norm with the running statistics, the residual add and the ReLU are one
// kernel. Off by default until measured on a GPU; off, or where cuDNN has no engine for the graph,
// or with --deterministic (cuDNN's statistics epilogue reduces in no fixed order), the same op runs
// as the convolution followed by the engine's own statistics kernel. The CPU path is unaffected.
#pragma once

namespace cromss {

void set_conv_bn_fusion(bool on);
bool conv_bn_fusion();

}  // namespace cromss
