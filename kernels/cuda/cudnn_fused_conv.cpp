// cuDNN graph-API convolution fusions (see cudnn_fused_conv.h). Building a graph goes tensor
// descriptors -> operation nodes -> operation graph -> heuristics -> execution plan; running it
// is a variant pack (unique id -> device pointer, plus workspace) handed to cudnnBackendExecute.
#include "kernels/cuda/cudnn_fused_conv.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/cuda/check.h"
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/conv2d_algo_key.h"

namespace cromss::cuda_kernels {
namespace {

constexpr int64_t kMaxWorkspace = int64_t{1} << 30;
constexpr int64_t kAlignment = 16;  // bytes; run_fused_conv falls back for less aligned buffers

// Unique ids of the graph's tensors: real ones bound at execution, virtual ones never in memory.
enum TensorId : int64_t {
  kX = 1,
  kW,
  kY,
  kSum,
  kSumSquares,
  kScale,
  kShift,
  kResidual,
  kConvOut = 101,
  kScaled,
  kShifted,
  kAdded,
};

void check_status(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS)
    CROMSS_THROW(CudnnError, "cuDNN graph: {} failed: {}", what, cudnnGetErrorString(status));
}

// One backend descriptor, destroyed with this object.
class Descriptor {
 public:
  explicit Descriptor(cudnnBackendDescriptorType_t type) {
    check_status(cudnnBackendCreateDescriptor(type, &d_), "cudnnBackendCreateDescriptor");
  }
  ~Descriptor() {
    if (d_ != nullptr) cudnnBackendDestroyDescriptor(d_);
  }
  Descriptor(Descriptor&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  Descriptor& operator=(Descriptor&&) = delete;

  template <class T>
  Descriptor& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                  const T* values, int64_t count = 1) {
    const cudnnStatus_t s = cudnnBackendSetAttribute(d_, name, type, count, values);
    if (s != CUDNN_STATUS_SUCCESS)
      CROMSS_THROW(CudnnError, "cuDNN graph: setting attribute {} failed: {}", int(name),
                   cudnnGetErrorString(s));
    return *this;
  }
  Descriptor& set(cudnnBackendAttributeName_t name, const Descriptor& value) {
    return set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, &value.d_);
  }
  // The handle on an operation graph or execution plan: deprecated in cuDNN 9.8+ in favour of a
  // device-property descriptor, still the runtime path cudnn_frontend takes.
  Descriptor& set_handle(cudnnBackendAttributeName_t name, cudnnHandle_t handle) {
    return set(name, CUDNN_TYPE_HANDLE, &handle);
  }
  Descriptor& finalize(const char* what) {
    check_status(cudnnBackendFinalize(d_), what);
    return *this;
  }
  cudnnStatus_t try_finalize() { return cudnnBackendFinalize(d_); }
  cudnnBackendDescriptor_t get() const { return d_; }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
constexpr cudnnBackendAttributeName_t kGraphHandle = CUDNN_ATTR_OPERATIONGRAPH_HANDLE;
constexpr cudnnBackendAttributeName_t kPlanHandle = CUDNN_ATTR_EXECUTION_PLAN_HANDLE;
#pragma GCC diagnostic pop

using Dims = std::array<int64_t, 4>;

// Logical (N, C, H, W) dims with NHWC strides; a KRSC filter is (K, C, R, S) the same way, a
// per-channel vector (1, C, 1, 1).
Dims nhwc_strides(const Dims& d) {
  return {d[1] * d[2] * d[3], 1, d[3] * d[1], d[1]};
}

Descriptor tensor(int64_t uid, cudnnDataType_t type, const Dims& dims, bool is_virtual) {
  const Dims strides = nhwc_strides(dims);
  const int64_t alignment = kAlignment;
  const bool virtual_flag = is_virtual;
  Descriptor t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, &type)
      .set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, dims.data(), 4)
      .set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, strides.data(), 4)
      .set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, &uid)
      .set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, &alignment)
      .set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, &virtual_flag)
      .finalize("tensor descriptor");
  return t;
}

Descriptor convolution_forward(const Conv2dGeometry& g, const Descriptor& x, const Descriptor& w,
                               const Descriptor& y) {
  const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t spatial = 2;
  const int64_t padding[2] = {g.pad_h, g.pad_w}, stride[2] = {g.stride_h, g.stride_w},
                dilation[2] = {g.dilation_h, g.dilation_w};
  Descriptor conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  conv.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, &compute)
      .set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, &mode)
      .set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, &spatial)
      .set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, padding, 2)
      .set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, padding, 2)
      .set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, stride, 2)
      .set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, dilation, 2)
      .finalize("convolution descriptor");
  const float alpha = 1, beta = 0;
  Descriptor op(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, x)
      .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, w)
      .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, y)
      .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv)
      .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, &alpha)
      .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, &beta)
      .finalize("convolution forward node");
  return op;
}

// y = mode(x[, b]) in fp32 (b null for the unary ReLU).
Descriptor pointwise(cudnnPointwiseMode_t mode, const Descriptor& x, const Descriptor* b,
                     const Descriptor& y) {
  const cudnnDataType_t precision = CUDNN_DATA_FLOAT;
  Descriptor pw(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  pw.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, &mode)
      .set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, &precision)
      .finalize("pointwise descriptor");
  Descriptor op(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  op.set(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw)
      .set(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x)
      .set(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y);
  if (b != nullptr) op.set(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b);
  op.finalize("pointwise node");
  return op;
}

Descriptor gen_stats(const Descriptor& x, const Descriptor& sum, const Descriptor& sum_squares) {
  const cudnnGenStatsMode_t mode = CUDNN_GENSTATS_SUM_SQSUM;
  const cudnnDataType_t precision = CUDNN_DATA_FLOAT;
  Descriptor op(CUDNN_BACKEND_OPERATION_GEN_STATS_DESCRIPTOR);
  op.set(CUDNN_ATTR_OPERATION_GENSTATS_MODE, CUDNN_TYPE_GENSTATS_MODE, &mode)
      .set(CUDNN_ATTR_OPERATION_GENSTATS_MATH_PREC, CUDNN_TYPE_DATA_TYPE, &precision)
      .set(CUDNN_ATTR_OPERATION_GENSTATS_XDESC, x)
      .set(CUDNN_ATTR_OPERATION_GENSTATS_SUMDESC, sum)
      .set(CUDNN_ATTR_OPERATION_GENSTATS_SQSUMDESC, sum_squares)
      .finalize("genstats node");
  return op;
}

// The operation graph's nodes; tensor descriptors live as long as the nodes that name them (a
// deque: references to them stay valid as more are added).
struct GraphNodes {
  std::deque<Descriptor> tensors;
  std::vector<Descriptor> ops;
  const Descriptor& add_tensor(Descriptor t) { return tensors.emplace_back(std::move(t)); }
};

GraphNodes build_nodes(FusedConvGraph graph, const Conv2dGeometry& g, cudnnDataType_t io) {
  GraphNodes n;
  const Dims x_dims{g.n, g.c, g.h, g.w}, w_dims{g.k, g.c, g.kh, g.kw}, y_dims{g.n, g.k, g.oh, g.ow},
      per_channel{1, g.k, 1, 1};
  const Descriptor& x = n.add_tensor(tensor(kX, io, x_dims, false));
  const Descriptor& w = n.add_tensor(tensor(kW, io, w_dims, false));
  if (graph == FusedConvGraph::batch_stats) {
    const Descriptor& y = n.add_tensor(tensor(kY, io, y_dims, false));
    const Descriptor& sum = n.add_tensor(tensor(kSum, CUDNN_DATA_FLOAT, per_channel, false));
    const Descriptor& sq = n.add_tensor(tensor(kSumSquares, CUDNN_DATA_FLOAT, per_channel, false));
    n.ops.push_back(convolution_forward(g, x, w, y));
    n.ops.push_back(gen_stats(y, sum, sq));
    return n;
  }
  const bool relu = graph != FusedConvGraph::scale_shift;
  const bool add = graph == FusedConvGraph::scale_shift_add_relu;
  const Descriptor& conv_out = n.add_tensor(tensor(kConvOut, CUDNN_DATA_FLOAT, y_dims, true));
  const Descriptor& scale = n.add_tensor(tensor(kScale, CUDNN_DATA_FLOAT, per_channel, false));
  const Descriptor& shift = n.add_tensor(tensor(kShift, CUDNN_DATA_FLOAT, per_channel, false));
  const Descriptor& scaled = n.add_tensor(tensor(kScaled, CUDNN_DATA_FLOAT, y_dims, true));
  const Descriptor& shifted = n.add_tensor(tensor(kShifted, relu ? CUDNN_DATA_FLOAT : io, y_dims,
                                                  /*is_virtual=*/relu));
  n.ops.push_back(convolution_forward(g, x, w, conv_out));
  n.ops.push_back(pointwise(CUDNN_POINTWISE_MUL, conv_out, &scale, scaled));
  n.ops.push_back(pointwise(CUDNN_POINTWISE_ADD, scaled, &shift, shifted));
  if (!relu) return n;
  const Descriptor* relu_in = &shifted;
  if (add) {
    const Descriptor& residual = n.add_tensor(tensor(kResidual, io, y_dims, false));
    const Descriptor& added = n.add_tensor(tensor(kAdded, CUDNN_DATA_FLOAT, y_dims, true));
    n.ops.push_back(pointwise(CUDNN_POINTWISE_ADD, shifted, &residual, added));
    relu_in = &added;
  }
  const Descriptor& y = n.add_tensor(tensor(kY, io, y_dims, false));
  n.ops.push_back(pointwise(CUDNN_POINTWISE_RELU_FWD, *relu_in, nullptr, y));
  return n;
}

struct FusedPlan {
  Descriptor plan{CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR};
  int64_t workspace = 0;
  float time_ms = -1;  // measured; -1 when taken from the heuristic ranking unmeasured
};

// The tensors of one call: unique ids and device pointers, in the variant pack's order.
struct Binding {
  std::vector<int64_t> uids;
  std::vector<void*> pointers;
  float* sums = nullptr;  // batch_stats: the sum and sum-of-squares vectors, zeroed before a run
  size_t sums_bytes = 0;
};

// Runs `plan` on the binding's buffers (the statistics zeroed first: GenStats may accumulate).
cudnnStatus_t execute(const FusedPlan& plan, const Binding& b, const Context& ctx) {
  if (b.sums != nullptr) CUDA_CHECK(cudaMemsetAsync(b.sums, 0, b.sums_bytes, stream_of(ctx)));
  const Scratch workspace(ctx, size_t(plan.workspace));
  void* ws = workspace.data();
  Descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, b.uids.data(),
           int64_t(b.uids.size()))
      .set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, b.pointers.data(),
           int64_t(b.pointers.size()))
      .set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, &ws)
      .finalize("variant pack");
  return cudnnBackendExecute(cudnn_of(ctx), plan.plan.get(), pack.get());
}

// Mean time of kTimedRuns runs after one untimed run, on the call's own buffers (which the call
// then overwrites); infinity when the plan fails to run. Waits for the device.
float measure(const FusedPlan& plan, const Binding& b, const Context& ctx) {
  constexpr int kTimedRuns = 3;
  if (execute(plan, b, ctx) != CUDNN_STATUS_SUCCESS) return INFINITY;
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  CUDA_CHECK(cudaEventRecord(start, stream_of(ctx)));
  bool ok = true;
  for (int i = 0; i < kTimedRuns && ok; ++i) ok = execute(plan, b, ctx) == CUDNN_STATUS_SUCCESS;
  CUDA_CHECK(cudaEventRecord(stop, stream_of(ctx)));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ok ? ms / kTimedRuns : INFINITY;
}

// Up to kCandidates execution plans from cuDNN's heuristic ranking (best first) that finalise
// within kMaxWorkspace; none with `why` set.
std::vector<std::unique_ptr<FusedPlan>> candidate_plans(FusedConvGraph graph,
                                                        const Conv2dGeometry& g, cudnnDataType_t io,
                                                        cudnnHandle_t handle, std::string* why) {
  constexpr size_t kCandidates = 4;
  std::vector<std::unique_ptr<FusedPlan>> plans;
  GraphNodes nodes = build_nodes(graph, g, io);
  std::vector<cudnnBackendDescriptor_t> ops;
  for (const Descriptor& op : nodes.ops) ops.push_back(op.get());
  Descriptor op_graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  op_graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, ops.data(),
               int64_t(ops.size()));
  op_graph.set_handle(kGraphHandle, handle);
  if (const cudnnStatus_t s = op_graph.try_finalize(); s != CUDNN_STATUS_SUCCESS) {
    *why = std::string("operation graph: ") + cudnnGetErrorString(s);
    return plans;
  }
  const cudnnBackendHeurMode_t mode = CUDNN_HEUR_MODE_A;
  Descriptor heuristics(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  heuristics.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, op_graph)
      .set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, &mode)
      .finalize("engine heuristics");
  int64_t count = 0;
  check_status(cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr),
               "engine heuristics count");
  std::vector<Descriptor> configs;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < count; ++i)
    raw.push_back(configs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR).get());
  int64_t returned = 0;
  if (count > 0)
    check_status(
        cudnnBackendGetAttribute(heuristics.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &returned, raw.data()),
        "engine heuristics results");
  for (int64_t i = 0; i < returned && plans.size() < kCandidates; ++i) {
    auto plan = std::make_unique<FusedPlan>();
    plan->plan.set_handle(kPlanHandle, handle)
        .set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, configs[size_t(i)]);
    if (plan->plan.try_finalize() != CUDNN_STATUS_SUCCESS) continue;
    int64_t got = 0;
    check_status(
        cudnnBackendGetAttribute(plan->plan.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                 CUDNN_TYPE_INT64, 1, &got, &plan->workspace),
        "execution plan workspace size");
    if (plan->workspace <= kMaxWorkspace) plans.push_back(std::move(plan));
  }
  if (plans.empty())
    *why = "none of cuDNN's " + std::to_string(returned) + " engine configurations finalises";
  return plans;
}

// The plan to run: the fastest candidate measured on the call's buffers, or the heuristic's
// first where there is one candidate or a graph capture is running (no device waits allowed).
std::unique_ptr<FusedPlan> choose_plan(std::vector<std::unique_ptr<FusedPlan>> plans,
                                       const Binding& b, const Context& ctx) {
  if (plans.size() <= 1 || ctx.capturing()) return plans.empty() ? nullptr : std::move(plans[0]);
  size_t best = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    plans[i]->time_ms = measure(*plans[i], b, ctx);
    if (plans[i]->time_ms < plans[best]->time_ms) best = i;
  }
  return std::isfinite(plans[best]->time_ms) ? std::move(plans[best]) : nullptr;
}

const char* graph_name(FusedConvGraph graph) {
  switch (graph) {
    case FusedConvGraph::batch_stats:
      return "conv + batch statistics";
    case FusedConvGraph::scale_shift:
      return "conv + BN";
    case FusedConvGraph::scale_shift_relu:
      return "conv + BN + ReLU";
    case FusedConvGraph::scale_shift_add_relu:
      return "conv + BN + add + ReLU";
  }
  return "?";
}

void note_unfused(FusedConvGraph graph, const Conv2dGeometry& g, const std::string& why) {
  std::fprintf(stderr,
               "cromss: --conv_bn_fusion: cuDNN cannot fuse %s for N=%lld C=%lld %lldx%lld -> "
               "K=%lld %lldx%lld kernel; running it unfused (%s)\n",
               graph_name(graph), (long long)g.n, (long long)g.c, (long long)g.h, (long long)g.w,
               (long long)g.k, (long long)g.kh, (long long)g.kw, why.c_str());
}

// Plans per (convolution, graph); null entries remember graphs cuDNN cannot run.
class PlanCache {
 public:
  using Key = std::pair<std::array<int64_t, Conv2dAlgoKey::kFields>, int>;
  static Key key_of(FusedConvGraph graph, const Conv2dGeometry& g, DType dtype,
                    const Context& ctx) {
    return {make_conv2d_algo_key(g, dtype, ConvDirection::forward, ctx.index(), false).fields(),
            int(graph)};
  }
  // The cached plan, built (and measured on b's buffers) on a miss; null when cuDNN cannot run
  // the graph.
  const FusedPlan* get(const Key& key, FusedConvGraph graph, const Conv2dGeometry& g,
                       cudnnDataType_t io, const Binding& b, const Context& ctx) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = plans_.find(key);
    if (it != plans_.end()) return it->second.get();
    std::string why;
    std::unique_ptr<FusedPlan> plan;
    try {
      plan = choose_plan(candidate_plans(graph, g, io, cudnn_of(ctx), &why), b, ctx);
      if (!plan && why.empty()) why = "no candidate plan ran";
    } catch (const CudnnError& e) {
      why = e.what();
    }
    if (!plan) note_unfused(graph, g, why);
    return plans_.emplace(key, std::move(plan)).first->second.get();
  }
  // After a failed execution: run this graph unfused from now on.
  void drop(const Key& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    plans_[key].reset();
  }

 private:
  std::mutex mutex_;
  std::map<Key, std::unique_ptr<FusedPlan>> plans_;
};

PlanCache& plan_cache() {
  static PlanCache cache;
  return cache;
}

bool aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % kAlignment == 0;
}

}  // namespace

bool fused_conv_candidate(const Conv2dGeometry& g, DType dtype) {
  return g.format == MemoryFormat::nhwc && (dtype == DType::bf16 || dtype == DType::f16) &&
         g.groups == 1;
}

bool run_fused_conv(FusedConvGraph graph, const Conv2dGeometry& g, DType dtype,
                    const FusedConvBuffers& buffers, const Context& ctx) {
  if (!fused_conv_candidate(g, dtype)) return false;
  std::vector<std::pair<int64_t, const void*>> bound{
      {kX, buffers.x}, {kW, buffers.w}, {kY, buffers.y}};
  if (graph == FusedConvGraph::batch_stats) {
    bound.insert(bound.end(), {{kSum, buffers.sum}, {kSumSquares, buffers.sum_squares}});
  } else {
    bound.insert(bound.end(), {{kScale, buffers.scale}, {kShift, buffers.shift}});
    if (graph == FusedConvGraph::scale_shift_add_relu)
      bound.emplace_back(kResidual, buffers.residual);
  }
  Binding b;
  for (const auto& [uid, ptr] : bound) {
    if (ptr == nullptr || !aligned(ptr)) return false;
    b.uids.push_back(uid);
    b.pointers.push_back(const_cast<void*>(ptr));
  }
  if (graph == FusedConvGraph::batch_stats) {
    b.sums = buffers.sum;
    b.sums_bytes = size_t(buffers.sum_squares + g.k - buffers.sum) * sizeof(float);
  }
  const cudnnDataType_t io = dtype == DType::bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_HALF;
  const PlanCache::Key key = PlanCache::key_of(graph, g, dtype, ctx);
  const FusedPlan* plan = plan_cache().get(key, graph, g, io, b, ctx);
  if (plan == nullptr) return false;
  if (const cudnnStatus_t s = execute(*plan, b, ctx); s != CUDNN_STATUS_SUCCESS) {
    note_unfused(graph, g, std::string("execution failed: ") + cudnnGetErrorString(s));
    plan_cache().drop(key);
    return false;
  }
  return true;
}

}  // namespace cromss::cuda_kernels
