// CUDA convolution through cuDNN's legacy API (see kernels/conv2d.h). The only translation unit
// that calls cuDNN convolution functions.
//
// Data types: x, weight and y in the tensor's dtype; compute type FLOAT for f32, bf16 and f16
// (fp32 accumulation, DESIGN.md "Mixed precision"), DOUBLE for f64. bf16/f16 may use tensor
// cores (CUDNN_TENSOR_OP_MATH); f32 uses CUDNN_FMA_MATH so that no TF32 rounding makes it drift
// from the CPU reference. Groups go through cudnnSetConvolutionGroupCount.
//
// Algorithms come from cuDNN's heuristics (cudnnGet*Algorithm_v7), chosen once per
// configuration and cached under Conv2dAlgoKey (every property of the convolution): the first
// candidate that is supported, deterministic (run-to-run identical gradients) and needs at most
// kMaxWorkspace bytes, else the first supported one - an error instead under --deterministic
// (core/determinism.h). Workspace comes from a Scratch (core/scratch.h).
#include <mutex>
#include <unordered_map>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/determinism.h"
#include "core/scratch.h"
#include "kernels/conv2d.h"
#include "kernels/conv2d_algo_key.h"

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
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, dt, to_int(g.n, "N"),
                                           to_int(g.c, "C"), to_int(g.h, "H"), to_int(g.w, "W")));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, dt, to_int(g.n, "N"),
                                           to_int(g.k, "K"), to_int(g.oh, "OH"),
                                           to_int(g.ow, "OW")));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, dt, CUDNN_TENSOR_NCHW, to_int(g.k, "K"),
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

struct AlgoChoice {
  int algo = 0;
  size_t workspace = 0;
  bool deterministic = true;
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

// Picks from heuristic results (best first): supported, deterministic, workspace <= cap and
// accepted by `workspace_of` (which returns false where cuDNN rejects the algorithm).
template <class Perf, class WorkspaceOf>
AlgoChoice pick(const Perf* perf, int count, WorkspaceOf workspace_of, const char* direction) {
  for (bool require_deterministic : {true, false})
    for (int i = 0; i < count; ++i) {
      if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
      if (require_deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
      size_t bytes = 0;
      if (!workspace_of(perf[i].algo, &bytes) || bytes > kMaxWorkspace) continue;
      return {static_cast<int>(perf[i].algo), bytes, perf[i].determinism == CUDNN_DETERMINISTIC};
    }
  CROMSS_THROW(CudnnError, "conv2d: cuDNN offers no {} algorithm for this convolution", direction);
}

template <class Choose>
AlgoChoice cached_algo(const Conv2dAlgoKey& key, Choose choose) {
  static std::mutex mutex;
  static auto* cache = new std::unordered_map<Conv2dAlgoKey, AlgoChoice, Conv2dAlgoKeyHash>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(key);
  if (it == cache->end()) it = cache->emplace(key, choose()).first;
  return it->second;
}

// The per-direction cuDNN entry points, so that algorithm choice, caching, workspace and the call
// itself are written once (run_convolution). Each direction computes out = op(a, b).
struct Forward {  // y = conv(x, w)
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  using Algo = cudnnConvolutionFwdAlgo_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  static constexpr ConvDirection kDirection = ConvDirection::forward;
  static constexpr const char* kName = "forward";
  static cudnnStatus_t find(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, kCount, count, perf);
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
  static cudnnStatus_t find(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, kCount, count,
                                                       perf);
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
  static cudnnStatus_t find(cudnnHandle_t h, const ConvDescriptors& d, Perf* perf, int* count) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, kCount, count,
                                                         perf);
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

// out = Api's op(a, b) with the cached algorithm and a Scratch workspace (core/scratch.h).
template <class Api>
void run_convolution(const Conv2dGeometry& g, const void* a, const void* b, void* out, DType dtype,
                     const Context& ctx) {
  cudnnHandle_t handle = cudnn_of(ctx);
  ConvDescriptors d(g, dtype);
  const AlgoChoice choice =
      cached_algo(make_conv2d_algo_key(g, dtype, Api::kDirection, ctx.index()), [&] {
        typename Api::Perf perf[Api::kCount];
        int count = 0;
        CUDNN_CHECK(Api::find(handle, d, perf, &count));
        return pick(
            perf, count,
            [&](typename Api::Algo algo, size_t* bytes) {
              return Api::workspace(handle, d, algo, bytes) == CUDNN_STATUS_SUCCESS;
            },
            Api::kName);
      });
  CROMSS_CHECK(choice.deterministic || !deterministic_algorithms(),
               "conv2d {}: cuDNN offers no deterministic algorithm for {} (N={} C={} H={} W={} "
               "K={} {}x{} stride {} groups {}) and --deterministic is on",
               Api::kName, dtype_name(dtype), g.n, g.c, g.h, g.w, g.k, g.kh, g.kw, g.stride_h,
               g.groups);
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
