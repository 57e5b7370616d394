// cuDNN algorithm choice and its cache (kernels/conv2d_algo_cache.h), host code only.
#include "kernels/conv2d_algo_cache.h"

#include <array>

#include <fmt/format.h>

#include "core/error.h"

namespace cromss {

ConvAlgoChoice pick_conv_algo(const std::vector<ConvAlgoCandidate>& candidates,
                              bool require_deterministic, size_t max_workspace,
                              const char* direction) {
  const ConvAlgoCandidate* best = nullptr;
  for (const ConvAlgoCandidate& c : candidates) {
    if (!c.supported || c.workspace > max_workspace) continue;
    if (require_deterministic && !c.deterministic) continue;
    if (best == nullptr) {
      best = &c;
    } else if (c.time_ms >= 0 && best->time_ms >= 0 && c.time_ms < best->time_ms) {
      best = &c;  // measured: the fastest; heuristic (no times): the first stays
    }
  }
  if (best == nullptr) {
    if (require_deterministic)
      CROMSS_THROW(CudnnError,
                   "conv2d: cuDNN offers no deterministic {} algorithm for this convolution within "
                   "{} MiB of workspace and --deterministic is on",
                   direction, max_workspace >> 20);
    CROMSS_THROW(CudnnError, "conv2d: cuDNN offers no {} algorithm for this convolution",
                 direction);
  }
  return {best->algo, best->workspace, best->deterministic, best->time_ms, best->math_type};
}

ConvAlgoChoice ConvAlgoCache::choose(const Conv2dAlgoKey& key, const ConvAlgoSources& sources,
                                     size_t max_workspace, const char* direction) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = choices_.find(key);
  if (it != choices_.end()) return it->second;
  const bool deterministic = key.deterministic != 0;
  const ConvAlgoChoice choice =
      pick_conv_algo(deterministic ? sources.heuristics() : sources.measure(), deterministic,
                     max_workspace, direction);
  choices_.emplace(key, choice);
  order_.push_back(key);
  return choice;
}

std::vector<std::pair<Conv2dAlgoKey, ConvAlgoChoice>> ConvAlgoCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<Conv2dAlgoKey, ConvAlgoChoice>> out;
  out.reserve(order_.size());
  for (const Conv2dAlgoKey& key : order_) out.emplace_back(key, choices_.at(key));
  return out;
}

ConvAlgoCache& conv_algo_cache() {
  static auto* cache = new ConvAlgoCache();  // never destroyed: convolutions may outlive statics
  return *cache;
}

std::string conv_algo_name(ConvDirection direction, int algo) {
  // The order of cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t in cuDNN 9's cudnn_cnn.h.
  static const std::array<const char*, 8> forward = {
      "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
      "WINOGRAD",      "WINOGRAD_NONFUSED"};
  static const std::array<const char*, 6> backward_data = {
      "ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
  static const std::array<const char*, 7> backward_filter = {
      "ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD", "WINOGRAD_NONFUSED", "FFT_TILING"};
  auto lookup = [algo](const auto& names) -> std::string {
    if (algo >= 0 && algo < static_cast<int>(names.size())) return names[algo];
    return fmt::format("algo {}", algo);
  };
  switch (direction) {
    case ConvDirection::forward:
      return lookup(forward);
    case ConvDirection::backward_data:
      return lookup(backward_data);
    case ConvDirection::backward_filter:
      return lookup(backward_filter);
  }
  return fmt::format("algo {}", algo);
}

std::string describe_conv_algo(const Conv2dAlgoKey& key, const ConvAlgoChoice& choice) {
  static const std::array<const char*, 3> directions = {"forward", "backward-data",
                                                        "backward-filter"};
  const auto direction = static_cast<ConvDirection>(key.direction);
  const std::string time =
      choice.time_ms >= 0 ? fmt::format("{:.3f} ms measured", choice.time_ms) : "heuristic";
  return fmt::format(
      "{:<15} {:<4} N{} C{} {}x{} -> K{} {}x{} s{} g{}: {} ({}), workspace {:.1f} MiB, {}",
      directions.at(static_cast<size_t>(key.direction)), dtype_name(static_cast<DType>(key.dtype)),
      key.n, key.c, key.h, key.w, key.k, key.kh, key.kw, key.stride_h, key.groups,
      conv_algo_name(direction, choice.algo),
      choice.deterministic ? "deterministic" : "non-deterministic",
      static_cast<double>(choice.workspace) / (1024.0 * 1024.0), time);
}

}  // namespace cromss
