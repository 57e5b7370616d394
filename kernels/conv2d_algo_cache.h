// How the CUDA convolution (kernels/cuda/conv2d_cudnn.cpp) chooses a cuDNN algorithm, as host
// code that is unit-tested without CUDA (tests/cpu/conv2d_algo_cache_test.cpp): once per
// Conv2dAlgoKey (every property of the convolution, and whether --deterministic is on),
//   * --deterministic off: cuDNN times every algorithm on the call's own buffers
//     (cudnnFind*AlgorithmEx, the `measure` source) and the fastest one that runs within the
//     workspace cap wins, deterministic or not;
//   * --deterministic on: cuDNN's heuristic ranking (cudnnGet*Algorithm_v7, the `heuristics`
//     source), first deterministic algorithm within the cap - an error naming --deterministic
//     when there is none (core/determinism.h);
// and the winner, with its workspace size and measured time, is cached for every later call.
// `cromss bench --print_conv_algos` prints the cache (describe_conv_algo).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/conv2d_algo_key.h"

namespace cromss {

// One algorithm as cuDNN reports it, ranked (heuristics) or timed (measurement).
struct ConvAlgoCandidate {
  int algo = 0;
  bool supported = true;  // cuDNN's status was success
  bool deterministic = true;
  size_t workspace = 0;  // bytes
  float time_ms = -1;    // measured time; -1 from heuristics
  int math_type = 0;     // cuDNN's cudnnMathType_t it was ranked or measured with
};

struct ConvAlgoChoice {
  int algo = 0;
  size_t workspace = 0;
  bool deterministic = true;
  float time_ms = -1;  // the winner's measured time; -1 when chosen by heuristics
  int math_type = 0;   // the winner's cudnnMathType_t
  bool measured() const { return time_ms >= 0; }
};

// Where candidates come from; conv2d_cudnn.cpp wraps the cuDNN calls, the test fakes them.
struct ConvAlgoSources {
  std::function<std::vector<ConvAlgoCandidate>()> heuristics;  // best first
  std::function<std::vector<ConvAlgoCandidate>()> measure;     // any order
};

// The candidate to use: supported, workspace <= max_workspace, deterministic when
// `require_deterministic`; the fastest measured one where times exist, else the first in the
// given (heuristic) order. Throws CudnnError naming `direction` when none qualifies.
ConvAlgoChoice pick_conv_algo(const std::vector<ConvAlgoCandidate>& candidates,
                              bool require_deterministic, size_t max_workspace,
                              const char* direction);

// The chosen algorithms by key, process-wide and thread-safe; a key's choice is made once.
class ConvAlgoCache {
 public:
  // The cached choice for `key`; on a miss, measured (key.deterministic == 0) or heuristic
  // (key.deterministic == 1) candidates picked by pick_conv_algo, then cached.
  ConvAlgoChoice choose(const Conv2dAlgoKey& key, const ConvAlgoSources& sources,
                        size_t max_workspace, const char* direction);
  // Every cached choice, in the order the keys were first seen.
  std::vector<std::pair<Conv2dAlgoKey, ConvAlgoChoice>> entries() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<Conv2dAlgoKey, ConvAlgoChoice, Conv2dAlgoKeyHash> choices_;
  std::vector<Conv2dAlgoKey> order_;
};

// The cache kernels/cuda/conv2d_cudnn.cpp uses (empty in a CPU-only build).
ConvAlgoCache& conv_algo_cache();

// cuDNN's name of algorithm `algo` in `direction` (the CUDNN_CONVOLUTION_*_ALGO_* enums, checked
// against cudnn.h in conv2d_cudnn.cpp), e.g. "IMPLICIT_PRECOMP_GEMM".
std::string conv_algo_name(ConvDirection direction, int algo);
// One line per cached choice: direction, dtype, shape, the algorithm, its workspace and time.
std::string describe_conv_algo(const Conv2dAlgoKey& key, const ConvAlgoChoice& choice);

}  // namespace cromss
