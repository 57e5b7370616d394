// Sample order and train/validation split as pure functions (no hidden state):
// * split_train_val: n_val = int(N * val) for val <= 1, else int(val); a permutation of 0..N-1
//   drawn from `seed` puts its first n_val entries in validation, the rest in training (both
//   returned sorted ascending).
// * epoch_order: like torch's DistributedSampler(shuffle, drop_last=False) followed by a
//   per-rank batch drop_last: the dataset positions are permuted by (seed, epoch) (identity without
//   shuffle), padded by repeating the permutation's head up to a multiple of world_size, and rank
//   r takes every world_size-th entry starting at r; with drop_last the rank's list is cut to
//   whole batches. Every rank gets the same number of samples and the union covers every sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cromss::data {

struct TrainValSplit {
  std::vector<size_t> train, val;
};
TrainValSplit split_train_val(size_t n, double val, uint64_t seed);

// The items of this rank for this epoch, in order.
std::vector<size_t> epoch_order(const std::vector<size_t>& items, uint64_t seed, uint64_t epoch,
                                int rank, int world_size, bool shuffle, bool drop_last,
                                size_t batch_size);

// Fisher-Yates permutation of 0..n-1 from a counter-based stream.
std::vector<size_t> permutation(size_t n, uint64_t stream);

}  // namespace cromss::data
