// CPU backend of the objective passes (kernels/cromss_objective.h): each pass body of
// kernels/cromss_objective.cuh in an OpenMP loop over the pixels, in the logits' dtype (f32, or
// f64 for gradient checks). Sums accumulate in double per thread and are merged in thread order
// (deterministic for a fixed thread count). Thresholds use std::nth_element, or with
// --global_selection the radix select of kernels/cromss_radix_select.cuh.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "core/error.h"
#include "kernels/cromss_objective.h"
#include "kernels/cromss_radix_select.cuh"

namespace cromss::cpu_kernels {
namespace {

template <class A>
A* as(void* p) {
  return static_cast<A*>(p);
}
template <class A>
const A* as(const void* p) {
  return static_cast<const A*>(p);
}

// Calls body.template operator()<A>() with A = float or double, the arrays' work dtype.
template <class Body>
void with_work_type(const ObjectiveArrays& a, Body&& body) {
  if (a.work == DType::f64) {
    body.template operator()<double>();
  } else {
    body.template operator()<float>();
  }
}

DType work_dtype(DType logits) {
  return logits == DType::f64 ? DType::f64 : DType::f32;
}

void labels_pass(const ObjectiveArrays& a, const int64_t* labels) {
  const int64_t n = a.n();
  int64_t first_bad = n;
#pragma omp parallel for schedule(static) reduction(min : first_bad)
  for (int64_t i = 0; i < n; ++i)
    if (!label_pixel(i, labels, a.C, a.labels)) first_bad = std::min(first_bad, i);
  if (first_bad < n) {
    const uint64_t mark = static_cast<uint64_t>(n - first_bad);
    std::memcpy(a.state + ObjectiveState{a.C}.bad_label(), &mark, sizeof(mark));
  }
}

void confidences_pass(const ObjectiveArrays& a, const ConfidenceArgs& args) {
  with_work_type(a, [&]<class A>() {
    const A* z1 = as<A>(a.z[0]);
    const A* z2 = as<A>(a.z[1]);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < a.n(); ++i)
      confidences_pixel<A>(i, z1, z2, a.two, a.labels, as<A>(a.prior), a.C, a.HW, args,
                           as<A>(a.target), as<A>(a.conf_label[0]), as<A>(a.conf_label[1]),
                           as<A>(a.conf_pred[0]), as<A>(a.conf_pred[1]));
  });
}

template <class A>
void class_thresholds(const A* conf, const int32_t* labels, int64_t n, int C, double ratio,
                      A* theta, int64_t* k) {
  std::vector<std::vector<A>> by_class(C);
  for (int64_t i = 0; i < n; ++i) by_class[labels[i]].push_back(conf[i]);
  for (int c = 0; c < C; ++c) {
    auto& v = by_class[c];
    k[c] = selection_count(static_cast<int64_t>(v.size()), ratio);
    theta[c] = A(0);
    if (k[c] <= 0) continue;
    // k-th largest: element k-1 of the descending order.
    std::nth_element(v.begin(), v.begin() + (k[c] - 1), v.end(), std::greater<A>());
    theta[c] = v[k[c] - 1];
  }
}

// --global_selection: the thresholds over the union of every rank's batch. n_c is summed over
// the ranks, then the radix select runs with each pass's per-class digit histogram summed over
// the ranks, so every rank ends with the same theta_c (bit for bit the k_c-th largest value of
// the union) without gathering the confidences.
void class_thresholds_across_ranks(const float* conf, const int32_t* labels, int64_t n, int C,
                                   double ratio, float* theta, int64_t* k, CrossRankSum& ranks) {
  std::vector<int64_t> count(C, 0);
  for (int64_t i = 0; i < n; ++i) ++count[labels[i]];
  ranks.sum(count);  // n_c of the union
  std::vector<int64_t> remaining(C), hist(static_cast<size_t>(C) * kRadixBuckets);
  std::vector<uint32_t> prefix(C, 0u);
  for (int c = 0; c < C; ++c) remaining[c] = k[c] = selection_count(count[c], ratio);
  for (int pass = 0; pass < kRadixPasses; ++pass) {
    std::fill(hist.begin(), hist.end(), 0);
    for (int64_t i = 0; i < n; ++i) {
      const int c = labels[i];
      const uint32_t bits = ordered_bits(conf[i]);
      if (remaining[c] > 0 && radix_prefix_matches(bits, prefix[c], pass))
        ++hist[static_cast<size_t>(c) * kRadixBuckets + radix_digit(bits, pass)];
    }
    ranks.sum(hist);  // the digit histograms of the union
    for (int c = 0; c < C; ++c)
      if (remaining[c] > 0)
        prefix[c] |=
            select_digit(hist.data() + static_cast<size_t>(c) * kRadixBuckets, &remaining[c])
            << radix_shift(pass);
  }
  for (int c = 0; c < C; ++c) theta[c] = k[c] > 0 ? float_from_bits(prefix[c]) : 0.f;
}

void thresholds_pass(const ObjectiveArrays& a, int d, double ratio, CrossRankSum* ranks) {
  if (ranks) {
    CROMSS_CHECK(a.work == DType::f32,
                 "--global_selection: the cross-rank thresholds run on f32 confidences; got {} "
                 "logits",
                 dtype_name(a.logits));
    class_thresholds_across_ranks(as<float>(a.conf_label[d]), a.labels, a.n(), a.C, ratio,
                                  as<float>(a.threshold[d]), a.k[d], *ranks);
    return;
  }
  with_work_type(a, [&]<class A>() {
    class_thresholds<A>(as<A>(a.conf_label[d]), a.labels, a.n(), a.C, ratio, as<A>(a.threshold[d]),
                        a.k[d]);
  });
}

void weights_pass(const ObjectiveArrays& a, int d, const WeightArgs& w) {
  with_work_type(a, [&]<class A>() {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < a.n(); ++i)
      weights_pixel<A>(i, as<A>(a.conf_label[d]), as<A>(a.conf_pred[d]), a.labels,
                       as<A>(a.threshold[d]), a.k[d], w, as<A>(a.weight_seg[d]),
                       as<A>(a.weight_con[d]));
  });
}

void sums_pass(const ObjectiveArrays& a, int d, ConsistencyKind kind) {
  const int o = 1 - d;  // teacher branch
  const int count = ObjectiveSums{a.C}.count();
  const int threads = omp_get_max_threads();
  std::vector<double> partial(static_cast<size_t>(threads) * count, 0.0);
  with_work_type(a, [&]<class A>() {
    const A* z = as<A>(a.z[d]);
    const A* zt = a.two ? as<A>(a.z[o]) : nullptr;
    const A* w_con_t = a.two ? as<A>(a.weight_con[o]) : nullptr;
#pragma omp parallel num_threads(threads)
    {
      double* acc = partial.data() + static_cast<size_t>(omp_get_thread_num()) * count;
#pragma omp for schedule(static)
      for (int64_t i = 0; i < a.n(); ++i)
        sums_pixel<A, double>(i, z, zt, a.two, as<A>(a.target), as<A>(a.weight_seg[d]), w_con_t,
                              a.C, a.HW, kind, acc);
    }
  });
  double* sums = a.state + ObjectiveState{a.C}.sums(d);
  std::fill(sums, sums + count, 0.0);
  for (int t = 0; t < threads; ++t)
    for (int j = 0; j < count; ++j) sums[j] += partial[static_cast<size_t>(t) * count + j];
}

void reduce_pass(const ObjectiveArrays& a, const ReduceArgs& args) {
  const ObjectiveState at{a.C};
  const double* sums[2] = {a.state + at.sums(0), a.state + at.sums(1)};
  GradientScales* scales[2] = {reinterpret_cast<GradientScales*>(a.state + at.scales(0)),
                               reinterpret_cast<GradientScales*>(a.state + at.scales(1))};
  reduce_sums(sums, a.C, args, a.state + at.losses(), scales);
}

void gradient_pass(const ObjectiveArrays& a, int d, ConsistencyKind kind, const void* upstream) {
  const int o = 1 - d;
  const auto& scales =
      *reinterpret_cast<const GradientScales*>(a.state + ObjectiveState{a.C}.scales(d));
  with_work_type(a, [&]<class A>() {
    const A up = upstream ? *as<A>(upstream) : A(1);
    const A* z = as<A>(a.z[d]);
    const A* zt = a.two ? as<A>(a.z[o]) : nullptr;
    const A* w_con_t = a.two ? as<A>(a.weight_con[o]) : nullptr;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < a.n(); ++i)
      gradient_pixel<A>(i, z, zt, a.two, as<A>(a.target), as<A>(a.weight_seg[d]), w_con_t, a.C,
                        a.HW, kind, scales, up, as<A>(a.grad[d]));
  });
}

}  // namespace

const ObjectiveBackend kObjectiveBackend = {
    work_dtype,   work_dtype, labels_pass, confidences_pass, thresholds_pass,
    weights_pass, sums_pass,  reduce_pass, gradient_pass,
};

}  // namespace cromss::cpu_kernels
