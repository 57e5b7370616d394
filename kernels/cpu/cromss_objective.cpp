// CPU reference of the CromSS objective passes (kernels/cromss_objective.h), f32 and f64, OpenMP
// over pixels. Sums accumulate in double per thread and are merged in thread order
// (deterministic for a fixed thread count). Per-pixel math: kernels/cromss_objective.cuh.
#include <omp.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "kernels/cromss_objective.h"
#include "kernels/cromss_radix_select.cuh"

namespace cromss::cpu_kernels {
namespace {

template <class A>
void load_pixel(const A* z, int64_t b, int C, int64_t HW, int64_t hw, A* out) {
  const A* base = z + b * C * HW + hw;
  for (int c = 0; c < C; ++c) out[c] = base[c * HW];
}

}  // namespace

template <class A>
void objective_confidences(const A* z1, const A* z2, const int32_t* labels, const A* prior,
                           int64_t B, int C, int64_t HW, ConfidenceArgs args, A* target,
                           A* conf_label1, A* conf_label2, A* conf_pred1, A* conf_pred2) {
  const int64_t n = B * HW;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / HW, hw = i % HW;
    const int y = labels[i];
    A z[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses];
    for (int c = 0; c < C; ++c) {
      const int64_t at = (b * C + c) * HW + hw;
      target[at] = smoothed_target<A>(y, c, prior ? prior[at] : A(0), A(args.w_onehot),
                                      A(args.w_prior), A(args.w_uniform), C);
    }
    if (!z2) continue;
    A cl[2], ce[2];
    const A* zs[2] = {z1, z2};
    for (int d = 0; d < 2; ++d) {
      load_pixel(zs[d], b, C, HW, hw, z);
      log_softmax_pixel(z, C, logp, p);
      cl[d] = p[y];  // label confidence p[y] with the hard label (spec §4.1, §9.7)
      ce[d] = args.gini ? gini_confidence(p, C) : entropy_confidence(p, logp, C);
    }
    conf_label1[i] = args.entangle ? entangle(cl[0], cl[1]) : cl[0];
    conf_label2[i] = args.entangle ? entangle(cl[1], cl[0]) : cl[1];
    conf_pred1[i] = args.entangle ? entangle(ce[0], ce[1]) : ce[0];
    conf_pred2[i] = args.entangle ? entangle(ce[1], ce[0]) : ce[1];
  }
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

template <class A>
void selection_weights(const A* conf_label, const A* conf_pred, const int32_t* labels,
                       const A* theta, const int64_t* k, int64_t n, SegWeightMode mode,
                       bool select_con, double ramp, bool ramping, A* w_seg, A* w_con) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int y = labels[i];
    switch (mode) {
      case SegWeightMode::ones:
        w_seg[i] = A(1);
        break;
      case SegWeightMode::confidence:
        w_seg[i] = conf_label[i];
        break;
      default:
        w_seg[i] = selection_weight(conf_label[i], theta[y], k[y] > 0);
        break;
    }
    w_con[i] = select_con ? consistency_weight(conf_pred[i], A(ramp), ramping) : A(1);
  }
}

template <class A>
void objective_sums(const A* z, const A* z_teacher, const A* target, const A* w_seg,
                    const A* w_con_teacher, int64_t B, int C, int64_t HW, ConsistencyKind kind,
                    ObjectiveSums* sums) {
  const int64_t n = B * HW;
  const int threads = omp_get_max_threads();
  std::vector<ObjectiveSums> partial(threads);
#pragma omp parallel num_threads(threads)
  {
    ObjectiveSums& s = partial[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t b = i / HW, hw = i % HW;
      A zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
          t[kMaxObjectiveClasses];
      load_pixel(z, b, C, HW, hw, zz);
      load_pixel(target, b, C, HW, hw, t);
      log_softmax_pixel(zz, C, logp, p);
      const double w = w_seg[i];
      s.seg_weight += w;
      s.seg_ce += w * double(soft_cross_entropy(t, logp, C));
      for (int c = 0; c < C; ++c) {
        s.dice_inter[c] += w * double(p[c]) * double(t[c]);
        s.dice_pred[c] += w * double(p[c]);
        s.dice_target[c] += w * double(t[c]);
        s.target_mass[c] += double(t[c]);
      }
      if (kind == ConsistencyKind::none || !z_teacher) continue;
      A zt[kMaxObjectiveClasses], logq[kMaxObjectiveClasses], q[kMaxObjectiveClasses];
      load_pixel(z_teacher, b, C, HW, hw, zt);
      log_softmax_pixel(zt, C, logq, q);
      const double we = w_con_teacher[i];
      s.con_weight += we;
      s.con += we * double(consistency_pixel(kind, logp, p, q, logq, C));
    }
  }
  *sums = ObjectiveSums{};
  for (const auto& s : partial) {
    sums->seg_weight += s.seg_weight;
    sums->seg_ce += s.seg_ce;
    sums->con_weight += s.con_weight;
    sums->con += s.con;
    for (int c = 0; c < C; ++c) {
      sums->dice_inter[c] += s.dice_inter[c];
      sums->dice_pred[c] += s.dice_pred[c];
      sums->dice_target[c] += s.dice_target[c];
      sums->target_mass[c] += s.target_mass[c];
    }
  }
}

template <class A>
void objective_gradient(const A* z, const A* z_teacher, const A* target, const A* w_seg,
                        const A* w_con_teacher, int64_t B, int C, int64_t HW, ConsistencyKind kind,
                        const GradientScales& scales, A* grad) {
  const int64_t n = B * HW;
  A dice_a[kMaxObjectiveClasses], dice_b[kMaxObjectiveClasses];
  for (int c = 0; c < C; ++c) {
    dice_a[c] = A(scales.dice_a[c]);
    dice_b[c] = A(scales.dice_b[c]);
  }
  const bool with_teacher = kind != ConsistencyKind::none && z_teacher;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = i / HW, hw = i % HW;
    A zz[kMaxObjectiveClasses], logp[kMaxObjectiveClasses], p[kMaxObjectiveClasses],
        t[kMaxObjectiveClasses], q[kMaxObjectiveClasses], g[kMaxObjectiveClasses];
    load_pixel(z, b, C, HW, hw, zz);
    load_pixel(target, b, C, HW, hw, t);
    log_softmax_pixel(zz, C, logp, p);
    A scale_con = A(0);
    if (with_teacher) {
      A zt[kMaxObjectiveClasses], logq[kMaxObjectiveClasses];
      load_pixel(z_teacher, b, C, HW, hw, zt);
      log_softmax_pixel(zt, C, logq, q);
      scale_con = A(scales.con) * w_con_teacher[i];
    } else {
      for (int c = 0; c < C; ++c) q[c] = A(0);
    }
    const A w = w_seg[i];
    pixel_gradient(p, t, q, C, A(scales.ce) * w, A(scales.dice) * w, dice_a, dice_b,
                   with_teacher ? kind : ConsistencyKind::none, scale_con, g);
    A* out = grad + b * C * HW + hw;
    for (int c = 0; c < C; ++c) out[c * HW] = g[c];
  }
}

#define CROMSS_INSTANTIATE(A)                                                                      \
  template void objective_confidences<A>(const A*, const A*, const int32_t*, const A*, int64_t,    \
                                         int, int64_t, ConfidenceArgs, A*, A*, A*, A*, A*);        \
  template void class_thresholds<A>(const A*, const int32_t*, int64_t, int, double, A*, int64_t*); \
  template void selection_weights<A>(const A*, const A*, const int32_t*, const A*, const int64_t*, \
                                     int64_t, SegWeightMode, bool, double, bool, A*, A*);          \
  template void objective_sums<A>(const A*, const A*, const A*, const A*, const A*, int64_t, int,  \
                                  int64_t, ConsistencyKind, ObjectiveSums*);                       \
  template void objective_gradient<A>(const A*, const A*, const A*, const A*, const A*, int64_t,   \
                                      int, int64_t, ConsistencyKind, const GradientScales&, A*);
CROMSS_INSTANTIATE(float)
CROMSS_INSTANTIATE(double)
#undef CROMSS_INSTANTIATE

}  // namespace cromss::cpu_kernels
