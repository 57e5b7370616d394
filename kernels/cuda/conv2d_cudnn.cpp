// CUDA convolution through cuDNN's legacy API (see kernels/conv2d.h). The only translation unit
// that calls cuDNN convolution functions.
//
// Data types: x, weight and y in the tensor's dtype; compute type FLOAT for f32, bf16 and f16
// (fp32 accumulation, DESIGN.md "Mixed precision"), DOUBLE for f64. bf16/f16 may use tensor
// cores (CUDNN_TENSOR_OP_MATH); f32 uses CUDNN_FMA_MATH so that no TF32 rounding makes it drift
// from the CPU reference. Groups go through cudnnSetConvolutionGroupCount. Layouts: NCHW tensors
// with a KCRS filter, or NHWC tensors with a KRSC filter (CUDNN_TENSOR_NHWC for both), which the
// tensor-core kernels read without transposing (kernels/conv2d.cuh).
//
// Algorithms are chosen once per configuration (Conv2dAlgoKey: every property of the
// convolution, and --deterministic) by kernels/conv2d_algo_cache.h: without --deterministic
// cuDNN times every algorithm on the call's own buffers (cudnnFind*AlgorithmEx) and the fastest
// within kMaxWorkspace wins; with it, cuDNN's heuristic ranking (cudnnGet*Algorithm_v7) gives the
// first deterministic one, else an error (core/determinism.h). A measured bf16/f16 winner runs
// with the math type it was timed with; f32 stays on FMA math (no TF32). Workspace comes from a
// Scratch (core/scratch.h), also for the search.
#include <algorithm>
#include <vector>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/determinism.h"
#include "core/scratch.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_algo_cache.h"

namespace cromss::cuda_kernels {
namespace {

constexpr size_t kMaxWorkspace = size_t{1} << 30;

cudnnDataType_t data_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return CUDNN_DATA_FLOAT;
    case DType::f64:
      return CUDNN_DATA_DOUBLE;
    case DType::bf16:
      return CUDNN_DATA_BFLOAT16;
    case DType::f16:
      return CUDNN_DATA_HALF;
    default:
      CROMSS_THROW(ValueError, "conv2d: unsupported dtype {} on CUDA", dtype_name(dtype));
  }
}

int to_int(int64_t v, const char* what) {
  CROMSS_CHECK(v >= 0 && v <= INT32_MAX, "conv2d: {} = {} does not fit cuDNN's int", what, v);
  return static_cast<int>(v);
}

// The four cuDNN descriptors of one convolution, destroyed with this object.
class ConvDescriptors {
 public:
  ConvDescriptors(const Conv2dGeometry& g, DType dtype) {
    const cudnnDataType_t dt = data_type(dtype);
    // nhwc: x and y NHWC, the filter (K, kh, kw, C/groups) (kernels/conv2d.cuh).
    const cudnnTensorFormat_t layout =
        g.format == MemoryFormat::nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, layout, dt, to_int(g.n, "N"), to_int(g.c, "C"),
                                           to_int(g.h, "H"), to_int(g.w, "W")));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, layout, dt, to_int(g.n, "N"), to_int(g.k, "K"),
                                           to_int(g.oh, "OH"), to_int(g.ow, "OW")));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, dt, layout, to_int(g.k, "K"),
                                           to_int(g.c_per_group(), "C/groups"), to_int(g.kh, "kH"),
                                           to_int(g.kw, "kW")));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv, to_int(g.pad_h, "pad_h"), to_int(g.pad_w, "pad_w"), to_int(g.stride_h, "stride_h"),
        to_int(g.stride_w, "stride_w"), to_int(g.dilation_h, "dilation_h"),
        to_int(g.dilation_w, "dilation_w"), CUDNN_CROSS_CORRELATION,
        dtype == DType::f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, to_int(g.groups, "groups")));
    const bool tensor_cores = dtype == DType::bf16 || dtype == DType::f16;
    CUDNN_CHECK(
        cudnnSetConvolutionMathType(conv, tensor_cores ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  }
  ~ConvDescriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;

  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
};

// alpha = 1, beta = 0 in the scaling type cuDNN expects (double for f64 data, else float).
struct Scaling {
  explicit Scaling(DType dtype) : is_double(dtype == DType::f64) {}
  const void* one() const { return is_double ? static_cast<const void*>(&d1) : &f1; }
  const void* zero() const { return is_double ? static_cast<const void*>(&d0) : &f0; }
  bool is_double;
  float f1 = 1, f0 = 0;
  double d1 = 1, d0 = 0;
};

// The per-direction cuDNN entry points, so that algorithm choice, caching, workspace and the call
// itself are written once (run_convolution). Each direction computes out = op(a, b).
struct Forward {  // y = conv(x, w)
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  using Algo = cudnnConvolutionFwdAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  static constexpr ConvDirection kDirection = ConvDirection::forward;
  static constexpr const char* kName = "forward";
  static cudnnStatus_t rank(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, kCount, count, perf);
  }
  static cudnnStatus_t measure(cudnnHandle_t h, const ConvDescriptors& d, const void* x,
                               const void* w, void* y, Perf* perf, int* count, void* ws,
                               size_t ws_bytes) {
    return cudnnFindConvolutionForwardAlgorithmEx(h, d.x, x, d.w, w, d.conv, d.y, y, kCount, count,
                                                  perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo algo,
                                 size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, algo, bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Scaling& s, const ConvDescriptors& d,
                           const void* x, const void* w, Algo algo, void* ws, size_t ws_bytes,
                           void* y) {
    return cudnnConvolutionForward(h, s.one(), d.x, x, d.w, w, d.conv, algo, ws, ws_bytes, s.zero(),
                                   d.y, y);
  }
};

struct BackwardData {  // grad_x = conv_transpose(grad_y, w)
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  static constexpr ConvDirection kDirection = ConvDirection::backward_data;
  static constexpr const char* kName = "backward-data";
  static cudnnStatus_t rank(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, kCount, count,
                                                       perf);
  }
  static cudnnStatus_t measure(cudnnHandle_t h, const ConvDescriptors& d, const void* grad_y,
                               const void* w, void* grad_x, Perf* perf, int* count, void* ws,
                               size_t ws_bytes) {
    return cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w, w, d.y, grad_y, d.conv, d.x, grad_x,
                                                       kCount, count, perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo algo,
                                 size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, algo, bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Scaling& s, const ConvDescriptors& d,
                           const void* grad_y, const void* w, Algo algo, void* ws, size_t ws_bytes,
                           void* grad_x) {
    return cudnnConvolutionBackwardData(h, s.one(), d.w, w, d.y, grad_y, d.conv, algo, ws, ws_bytes,
                                        s.zero(), d.x, grad_x);
  }
};

struct BackwardFilter {  // grad_w = correlate(x, grad_y)
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  static constexpr ConvDirection kDirection = ConvDirection::backward_filter;
  static constexpr const char* kName = "backward-filter";
  static cudnnStatus_t rank(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, kCount, count,
                                                         perf);
  }
  static cudnnStatus_t measure(cudnnHandle_t h, const ConvDescriptors& d, const void* x,
                               const void* grad_y, void* grad_w, Perf* perf, int* count, void* ws,
                               size_t ws_bytes) {
    return cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x, x, d.y, grad_y, d.conv, d.w,
                                                         grad_w, kCount, count, perf, ws, ws_bytes);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo algo,
                                 size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w, algo, bytes);
  }
  static cudnnStatus_t run(cudnnHandle_t h, const Scaling& s, const ConvDescriptors& d,
                           const void* x, const void* grad_y, Algo algo, void* ws, size_t ws_bytes,
                           void* grad_w) {
    return cudnnConvolutionBackwardFilter(h, s.one(), d.x, x, d.y, grad_y, d.conv, algo, ws,
                                          ws_bytes, s.zero(), d.w, grad_w);
  }
};

// conv2d_algo_cache.h's algorithm names follow cuDNN 9's enums.
static_assert(CUDNN_CONVOLUTION_FWD_ALGO_COUNT == 8 &&
              CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED == 7 &&
              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT == 6 &&
              CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED == 5 &&
              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT == 7 &&
              CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING == 6);

template <class Perf>
ConvAlgoCandidate candidate_of(const Perf& perf, size_t workspace, float time_ms) {
  return {static_cast<int>(perf.algo),
          perf.status == CUDNN_STATUS_SUCCESS,
          perf.determinism == CUDNN_DETERMINISTIC,
          workspace,
          time_ms,
          static_cast<int>(perf.mathType)};
}

// cuDNN's heuristic ranking, best first, each with the workspace it needs (unsupported where
// cuDNN rejects the workspace query).
template <class Api>
std::vector<ConvAlgoCandidate> ranked_candidates(cudnnHandle_t handle, const ConvDescriptors& d) {
  typename Api::Perf perf[Api::kCount];
  int count = 0;
  CUDNN_CHECK(Api::rank(handle, d, perf, &count));
  std::vector<ConvAlgoCandidate> out;
  for (int i = 0; i < count; ++i) {
    size_t bytes = 0;
    ConvAlgoCandidate c = candidate_of(perf[i], 0, -1.0f);
    c.supported =
        c.supported && Api::workspace(handle, d, perf[i].algo, &bytes) == CUDNN_STATUS_SUCCESS;
    c.workspace = bytes;
    out.push_back(c);
  }
  return out;
}

// Every algorithm timed by cuDNN on the call's own buffers (`out` is overwritten, as the call
// that follows overwrites it), with a workspace as large as the largest any algorithm needs up
// to kMaxWorkspace. Waits for the device (once per key, in the first step).
template <class Api>
std::vector<ConvAlgoCandidate> measured_candidates(cudnnHandle_t handle, const ConvDescriptors& d,
                                                   const void* a, const void* b, void* out,
                                                   const Context& ctx) {
  size_t search_bytes = 0;
  for (int algo = 0; algo < Api::kCount; ++algo) {
    size_t bytes = 0;
    if (Api::workspace(handle, d, static_cast<typename Api::Algo>(algo), &bytes) ==
            CUDNN_STATUS_SUCCESS &&
        bytes <= kMaxWorkspace)
      search_bytes = std::max(search_bytes, bytes);
  }
  const Scratch workspace(ctx, search_bytes);
  typename Api::Perf perf[Api::kCount];
  int count = 0;
  CUDNN_CHECK(Api::measure(handle, d, a, b, out, perf, &count, workspace.data(), search_bytes));
  std::vector<ConvAlgoCandidate> candidates;
  for (int i = 0; i < count; ++i)
    candidates.push_back(candidate_of(perf[i], perf[i].memory, perf[i].time));
  return candidates;
}

// out = Api's op(a, b) with the cached algorithm and a Scratch workspace (core/scratch.h).
template <class Api>
void run_convolution(const Conv2dGeometry& g, const void* a, const void* b, void* out, DType dtype,
                     const Context& ctx) {
  cudnnHandle_t handle = cudnn_of(ctx);
  ConvDescriptors d(g, dtype);
  const ConvAlgoSources sources{
      [&] { return ranked_candidates<Api>(handle, d); },
      [&] { return measured_candidates<Api>(handle, d, a, b, out, ctx); }};
  const ConvAlgoChoice choice = conv_algo_cache().choose(
      make_conv2d_algo_key(g, dtype, Api::kDirection, ctx.index(), deterministic_algorithms()),
      sources, kMaxWorkspace, Api::kName);
  // A measured winner runs with the math type (and workspace) it was timed with; heuristic
  // choices keep the descriptor's.
  if (choice.measured() && (dtype == DType::bf16 || dtype == DType::f16))
    CUDNN_CHECK(
        cudnnSetConvolutionMathType(d.conv, static_cast<cudnnMathType_t>(choice.math_type)));
  const Scratch workspace(ctx, choice.workspace);
  const Scaling s(dtype);
  CUDNN_CHECK(Api::run(handle, s, d, a, b, static_cast<typename Api::Algo>(choice.algo),
                       workspace.data(), choice.workspace, out));
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const void* x, const void* weight, const void* bias,
                    void* y, DType dtype, const Context& ctx) {
  run_convolution<Forward>(g, x, weight, y, dtype, ctx);
  if (bias) conv2d_add_bias(g, bias, y, dtype, ctx);
}

void conv2d_backward_input(const Conv2dGeometry& g, const void* grad_y, const void* weight,
                           void* grad_x, DType dtype, const Context& ctx) {
  run_convolution<BackwardData>(g, grad_y, weight, grad_x, dtype, ctx);
}

void conv2d_backward_weight(const Conv2dGeometry& g, const void* x, const void* grad_y,
                            void* grad_weight, DType dtype, const Context& ctx) {
  run_convolution<BackwardFilter>(g, x, grad_y, grad_weight, dtype, ctx);
}

}  // namespace cromss::cuda_kernels
