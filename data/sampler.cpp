// Deterministic sampling (see sampler.h).
#include "data/sampler.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/random.cuh"

namespace cromss::data {

std::vector<size_t> permutation(size_t n, uint64_t stream) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  for (size_t i = n; i > 1; --i) {
    const size_t j = static_cast<size_t>(uniform_double(stream, i) * static_cast<double>(i));
    std::swap(p[i - 1], p[std::min(j, i - 1)]);
  }
  return p;
}

TrainValSplit split_train_val(size_t n, double val, uint64_t seed) {
  CROMSS_CHECK(val >= 0, "--validation must be >= 0, got {}", val);
  const size_t n_val =
      val <= 1.0 ? static_cast<size_t>(static_cast<double>(n) * val) : static_cast<size_t>(val);
  CROMSS_CHECK(n_val <= n, "--validation {} asks for {} validation samples of {}", val, n_val, n);
  const std::vector<size_t> p = permutation(n, mix64(seed ^ 0x7a11d5eedull));
  TrainValSplit s;
  s.val.assign(p.begin(), p.begin() + n_val);
  s.train.assign(p.begin() + n_val, p.end());
  std::sort(s.val.begin(), s.val.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

std::vector<size_t> epoch_order(const std::vector<size_t>& items, uint64_t seed, uint64_t epoch,
                                int rank, int world_size, bool shuffle, bool drop_last,
                                size_t batch_size) {
  CROMSS_CHECK(world_size >= 1 && rank >= 0 && rank < world_size, "rank {} of world size {}", rank,
               world_size);
  CROMSS_CHECK(batch_size >= 1, "batch size must be positive");
  const size_t n = items.size();
  std::vector<size_t> order;
  if (n == 0) return order;
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  if (shuffle) p = permutation(n, mix64(mix64(seed) + epoch * 0x9e3779b97f4a7c15ull));
  const size_t ws = static_cast<size_t>(world_size);
  const size_t total = (n + ws - 1) / ws * ws;
  for (size_t i = 0; i < total - n; ++i) p.push_back(p[i % n]);
  for (size_t i = static_cast<size_t>(rank); i < total; i += ws) order.push_back(items[p[i]]);
  if (drop_last) order.resize(order.size() / batch_size * batch_size);
  return order;
}

}  // namespace cromss::data
