// The fast CPU path for f32: convolutions and GEMM on oneDNN (Debian libdnnl 2.6, the library
// PyTorch's CPU convolutions use), beside the readable reference in kernels/cpu/, which stays
// the f64 path (gradient checks) and the reference tests/cpu/onednn_test.cpp compares against.
//
// Same typed-pointer contract as the cpu_kernels:: functions (kernels/conv2d.h,
// kernels/matmul.h): dense buffers in the geometry's memory format (NCHW with a KCRS weight or
// NHWC with a KRSC weight, kernels/conv2d.cuh) / row-major buffers, outputs overwritten, bias
// may be null. Internally oneDNN picks its blocked layouts (format_tag::any); the plain buffers
// are reordered in and out. Primitives and reorders are cached per shape, format and thread count
// (kernels/onednn/primitive_cache.h). Threads: oneDNN's OpenMP runtime, so the engine's one OpenMP
// pool (omp_set_num_threads) sets the count. For a fixed thread count the results are
// bit-repeatable.
#pragma once

#include <cstdint>

#include "kernels/conv2d.cuh"

namespace cromss::onednn_kernels {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* weight, const float* bias,
                    float* y);
void conv2d_backward_input(const Conv2dGeometry& g, const float* grad_y, const float* weight,
                           float* grad_x);
void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_weight);
// Sum of grad_y over N, OH, OW per output channel in a fixed order whatever the thread count:
// NCHW one thread per channel; NHWC chunks of pixels in parallel, their partials added in order.
void conv2d_backward_bias(const Conv2dGeometry& g, const float* grad_y, float* grad_bias);

// Row-major c (m, n) = op(a) op(b) (kernels/matmul.h) through dnnl_sgemm.
void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c);

}  // namespace cromss::onednn_kernels
