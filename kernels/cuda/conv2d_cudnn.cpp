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
// kMaxWorkspace bytes, else the first supported one. Workspace comes from Context::scratch.
#include <mutex>
#include <unordered_map>

#include "engine/cuda/check.h"
#include "engine/cuda/context_cuda.h"
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
      return {static_cast<int>(perf[i].algo), bytes};
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

AlgoChoice forward_algo(cudnnHandle_t handle, const ConvDescriptors& d, const Conv2dGeometry& g,
                        DType dtype, int device) {
  return cached_algo(make_conv2d_algo_key(g, dtype, ConvDirection::forward, device), [&] {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
        handle, d.x, d.w, d.conv, d.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
    return pick(
        perf, count,
        [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionForwardWorkspaceSize(handle, d.x, d.w, d.conv, d.y, algo,
                                                         bytes) == CUDNN_STATUS_SUCCESS;
        },
        "forward");
  });
}

AlgoChoice backward_data_algo(cudnnHandle_t handle, const ConvDescriptors& d,
                              const Conv2dGeometry& g, DType dtype, int device) {
  return cached_algo(make_conv2d_algo_key(g, dtype, ConvDirection::backward_data, device), [&] {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, d.w, d.y, d.conv, d.x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
    return pick(
        perf, count,
        [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionBackwardDataWorkspaceSize(handle, d.w, d.y, d.conv, d.x, algo,
                                                              bytes) == CUDNN_STATUS_SUCCESS;
        },
        "backward-data");
  });
}

AlgoChoice backward_filter_algo(cudnnHandle_t handle, const ConvDescriptors& d,
                                const Conv2dGeometry& g, DType dtype, int device) {
  return cached_algo(make_conv2d_algo_key(g, dtype, ConvDirection::backward_filter, device), [&] {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle, d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
    return pick(
        perf, count,
        [&](cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
          return cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, d.x, d.y, d.conv, d.w, algo,
                                                                bytes) == CUDNN_STATUS_SUCCESS;
        },
        "backward-filter");
  });
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const void* x, const void* weight, const void* bias,
                    void* y, DType dtype, int device) {
  Context& ctx = Context::get(Device::cuda(device));
  cudnnHandle_t handle = cudnn_of(ctx);
  ConvDescriptors d(g, dtype);
  const AlgoChoice choice = forward_algo(handle, d, g, dtype, device);
  void* workspace = choice.workspace ? ctx.scratch(choice.workspace) : nullptr;
  const Scaling s(dtype);
  CUDNN_CHECK(cudnnConvolutionForward(handle, s.one(), d.x, x, d.w, weight, d.conv,
                                      static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo),
                                      workspace, choice.workspace, s.zero(), d.y, y));
  if (bias) conv2d_add_bias(g, bias, y, dtype, device);
}

void conv2d_backward_input(const Conv2dGeometry& g, const void* grad_y, const void* weight,
                           void* grad_x, DType dtype, int device) {
  Context& ctx = Context::get(Device::cuda(device));
  cudnnHandle_t handle = cudnn_of(ctx);
  ConvDescriptors d(g, dtype);
  const AlgoChoice choice = backward_data_algo(handle, d, g, dtype, device);
  void* workspace = choice.workspace ? ctx.scratch(choice.workspace) : nullptr;
  const Scaling s(dtype);
  CUDNN_CHECK(cudnnConvolutionBackwardData(handle, s.one(), d.w, weight, d.y, grad_y, d.conv,
                                           static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo),
                                           workspace, choice.workspace, s.zero(), d.x, grad_x));
}

void conv2d_backward_weight(const Conv2dGeometry& g, const void* x, const void* grad_y,
                            void* grad_weight, DType dtype, int device) {
  Context& ctx = Context::get(Device::cuda(device));
  cudnnHandle_t handle = cudnn_of(ctx);
  ConvDescriptors d(g, dtype);
  const AlgoChoice choice = backward_filter_algo(handle, d, g, dtype, device);
  void* workspace = choice.workspace ? ctx.scratch(choice.workspace) : nullptr;
  const Scaling s(dtype);
  CUDNN_CHECK(
      cudnnConvolutionBackwardFilter(handle, s.one(), d.x, x, d.y, grad_y, d.conv,
                                     static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo),
                                     workspace, choice.workspace, s.zero(), d.w, grad_weight));
}

}  // namespace cromss::cuda_kernels
