// A convolution and the batch-norm work around it as one cuDNN operation graph, through cuDNN's
// graph (backend) API (cudnn_graph.h; the header-only cudnn_frontend is a thin C++ layer over the
// same calls and not a dependency here). Two graphs, both on NHWC tensors with a KRSC filter, in
// bf16/f16 with fp32 compute:
//   batch_stats: y = conv(x, w) written out, and per output channel sum(y) and sum(y^2) in fp32
//                (a GenStats node on y: cuDNN's "ConvBNfprop" statistics epilogue);
//   scale_shift: y = conv(x, w) * scale + shift [+ residual] [then ReLU], scale and shift per
//                channel in fp32 (BN with fixed statistics folded into one multiply-add) — the
//                conv + BN + ReLU of inference, with the intermediate results virtual (never
//                written to memory).
// cuDNN's heuristics (mode A) rank the engine configurations; of the first four whose execution
// plans finalise, the fastest on the first call's own buffers (3 timed runs each, waiting for the
// device, as cudnnFind does for plain convolutions; the heuristic's first inside a graph capture)
// is cached per convolution (kernels/conv2d_algo_key.h) and graph. When none does — the graph is
// not supported for that shape on this GPU and cuDNN — or a plan fails to execute, that too is
// cached, a note goes to stderr once per shape, and run_fused_conv returns false so the caller
// runs the unfused steps (nothing it needs was written: the caller's steps overwrite y).
#pragma once

#include "core/context.h"
#include "core/dtype.h"
#include "kernels/conv2d.cuh"

namespace cromss::cuda_kernels {

enum class FusedConvGraph : int {
  batch_stats,
  scale_shift,
  scale_shift_relu,
  scale_shift_add_relu
};

struct FusedConvBuffers {
  const void* x = nullptr;
  const void* w = nullptr;  // KRSC
  void* y = nullptr;
  float* sum = nullptr;            // batch_stats: [K]
  float* sum_squares = nullptr;    // batch_stats: [K]
  const float* scale = nullptr;    // scale_shift*: [K]
  const float* shift = nullptr;    // scale_shift*: [K]
  const void* residual = nullptr;  // scale_shift_add_relu: like y
};

// Whether the graphs can serve this convolution at all (nhwc, bf16/f16, groups 1), before asking
// cuDNN.
bool fused_conv_candidate(const Conv2dGeometry& g, DType dtype);

// Runs `graph` on the context's stream; false when cuDNN has no engine for it (the caller then runs
// the unfused steps, which overwrite everything). batch_stats zeroes the sums itself first.
bool run_fused_conv(FusedConvGraph graph, const Conv2dGeometry& g, DType dtype,
                    const FusedConvBuffers& buffers, const Context& ctx);

}  // namespace cromss::cuda_kernels
