// Run under `mpirun -np 2` (tests/distributed.cmake): checks comm/distributed.h collectives on
// every rank - launcher detection, allreduce_mean/sum of a flat f32 buffer (MPI on the CPU),
// bucketed averaging (fixed-size buckets; parameter-aligned buckets launched by mark_ready when
// their last parameter is ready, unused parameters by launch_all), broadcast from rank 0, host
// double/int64 sums and max. Exits non-zero on
// the first mismatch, naming the rank and the check.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "comm/distributed.h"
#include "layers/parameter_store.h"

namespace {

int g_failures = 0;

void expect(bool ok, int rank, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "rank %d: FAILED %s\n", rank, what);
  ++g_failures;
}

std::vector<float> rank_values(int rank, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((rank + 1) * (i + 1));
  return v;
}

// Mean over ranks 0..world-1 of (r + 1) * (i + 1) = (world + 1) / 2 * (i + 1).
bool is_mean(const cromss::Tensor& t, int world) {
  const auto v = t.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    const float want = static_cast<float>((world + 1) / 2.0 * static_cast<double>(i + 1));
    if (std::fabs(v[i] - want) > 1e-6f * std::fabs(want)) return false;
  }
  return true;
}

// Five fake parameters of 10, 100, 30, 70 and 5 elements at 64-aligned offsets 0, 64, 192, 256,
// 384 in a buffer of 448; buckets of at least 100 elements walking from the end: [256, 448) with
// parameters 3 and 4, [64, 256) with 1 and 2, [0, 64) with 0.
void check_parameter_buckets(cromss::Distributed& dist) {
  using cromss::ParameterStore;
  const int rank = dist.rank(), world = dist.world_size();
  std::vector<ParameterStore::Entry> params;
  int64_t offset = 0;
  for (int64_t numel : {10, 100, 30, 70, 5}) {
    params.push_back({"p" + std::to_string(params.size()), offset, {numel}, nullptr});
    offset += (numel + ParameterStore::kAlignment - 1) / ParameterStore::kAlignment *
              ParameterStore::kAlignment;
  }
  cromss::Tensor flat = cromss::Tensor::from_vector(rank_values(rank, offset), {offset});
  cromss::GradientBuckets buckets(dist, flat, params, 100);
  expect(buckets.count() == 3, rank, "parameter buckets: 3 buckets");
  expect(buckets.range(0) == std::make_pair(int64_t{256}, int64_t{448}) &&
             buckets.range(1) == std::make_pair(int64_t{64}, int64_t{256}) &&
             buckets.range(2) == std::make_pair(int64_t{0}, int64_t{64}),
         rank, "parameter buckets: ranges on parameter boundaries, bucket 0 at the end");
  expect(buckets.bucket_of(0) == 2 && buckets.bucket_of(1) == 1 && buckets.bucket_of(2) == 1 &&
             buckets.bucket_of(3) == 0 && buckets.bucket_of(4) == 0,
         rank, "parameter buckets: parameter -> bucket");
  for (int round = 0; round < 2; ++round) {  // wait() makes every parameter unready again
    buckets.mark_ready(4);
    expect(!buckets.launched(0), rank, "mark_ready: bucket 0 waits for its second parameter");
    buckets.mark_ready(3);
    expect(buckets.launched(0) && !buckets.launched(1), rank,
           "mark_ready: bucket 0 launched by its last parameter, bucket 1 not yet");
    buckets.mark_ready(2);
    expect(!buckets.launched(1), rank, "mark_ready: bucket 1 waits for parameter 1");
    buckets.mark_ready(1);
    expect(buckets.launched(1) && !buckets.launched(2), rank,
           "mark_ready: bucket 1 launched, bucket 2 (parameter 0 never ready) not");
    buckets.launch_all();
    buckets.wait();
    if (round == 0) {
      expect(is_mean(flat, world), rank, "parameter buckets: result is the mean over ranks");
      flat.copy_(cromss::Tensor::from_vector(rank_values(rank, offset), {offset}));
    }
  }
  expect(is_mean(flat, world), rank, "parameter buckets: mean again after a second round");
  buckets.launch(0);
  bool threw = false;
  try {
    buckets.mark_ready(3);
  } catch (const std::exception&) {
    threw = true;
  }
  expect(threw, rank, "mark_ready after the bucket was launched throws");
  buckets.wait();
}

}  // namespace

int main() {
  using cromss::Tensor;
  try {
    const cromss::ProcessInfo info = cromss::detect_process_info();
    cromss::Distributed dist(info);
    const int rank = dist.rank(), world = dist.world_size();
    expect(info.launcher == "mpirun", rank, "launcher detected as mpirun");
    expect(world == 2, rank, "world size 2");

    const int64_t n = 1000;
    Tensor flat = Tensor::from_vector(rank_values(rank, n), {n});
    dist.allreduce_mean(flat);
    expect(is_mean(flat, world), rank, "allreduce_mean of a flat f32 buffer");

    Tensor summed = Tensor::from_vector(rank_values(rank, 5), {5});
    dist.allreduce_sum(summed);
    expect(summed.to_vector<float>()[4] == 5.0f * (world * (world + 1) / 2), rank,
           "allreduce_sum of a flat f32 buffer");

    Tensor bucketed = Tensor::from_vector(rank_values(rank, 30), {30});
    cromss::GradientBuckets buckets(dist, bucketed, 7);
    expect(buckets.count() == 5, rank, "30 elements in buckets of 7 -> 5 buckets");
    expect(buckets.range(0) == std::make_pair(int64_t{23}, int64_t{30}), rank,
           "bucket 0 is the end of the buffer");
    for (int64_t b = buckets.count() - 1; b >= 0; --b) buckets.launch(b);
    buckets.wait();
    expect(is_mean(bucketed, world), rank, "bucketed allreduce_mean");
    check_parameter_buckets(dist);

    Tensor bn =
        rank == 0 ? Tensor::from_vector<float>({1.5f, -2.f, 3.25f}, {3}) : Tensor::full({3}, 99.0);
    dist.broadcast(bn, 0);
    expect(bn.to_vector<float>() == std::vector<float>{1.5f, -2.f, 3.25f}, rank,
           "broadcast from rank 0");
    Tensor counters = Tensor::full({2}, rank == 0 ? 7 : -1, cromss::DType::i64);
    dist.broadcast(counters, 0);
    expect(counters.to_vector<int64_t>() == std::vector<int64_t>{7, 7}, rank,
           "broadcast of an int64 buffer");

    std::vector<double> d{0.5 * (rank + 1), 1.0};
    dist.allreduce_sum(d);
    expect(d[0] == 1.5 && d[1] == 2.0, rank, "allreduce_sum of doubles");
    std::vector<double> m{static_cast<double>(rank)};
    dist.allreduce_mean(m);
    expect(m[0] == (world - 1) / 2.0, rank, "allreduce_mean of doubles");
    std::vector<int64_t> counts{int64_t{1} << 40, rank};
    dist.allreduce_sum(counts);
    expect(counts[0] == (int64_t{1} << 41) && counts[1] == 1, rank, "allreduce_sum of int64");
    expect(dist.allreduce_max(static_cast<double>(rank)) == world - 1, rank, "allreduce_max");
    dist.barrier();
    if (g_failures == 0) std::printf("rank %d of %d: all distributed checks passed\n", rank, world);
    return g_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distributed_check: %s\n", e.what());
    return EXIT_FAILURE;
  }
}
