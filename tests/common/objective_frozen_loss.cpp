// The CromSS loss with frozen selection (tests/objective_frozen_loss.h), plain double loops.
#include "tests/objective_frozen_loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cromss {
namespace {

using Vec = std::vector<double>;

// log_softmax over classes of a (B,C,HW) array.
Vec log_softmax(const Vec& z, int64_t B, int64_t C, int64_t HW) {
  Vec out(z.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < HW; ++i) {
      double m = -INFINITY, s = 0;
      for (int64_t c = 0; c < C; ++c) m = std::max(m, z[(b * C + c) * HW + i]);
      for (int64_t c = 0; c < C; ++c) s += std::exp(z[(b * C + c) * HW + i] - m);
      for (int64_t c = 0; c < C; ++c)
        out[(b * C + c) * HW + i] = z[(b * C + c) * HW + i] - m - std::log(s);
    }
  return out;
}

}  // namespace

FrozenSelection freeze(const ObjectiveResult& result, const Tensor& logits_s1,
                       const Tensor& logits_s2) {
  FrozenSelection f;
  f.target = result.target.clone();
  for (int d = 0; d < 2; ++d) {
    f.weight_seg[d] = result.weight_seg[d].clone();
    f.weight_con[d] = result.weight_con[d].clone();
  }
  f.teacher_logits[0] = logits_s1.clone();
  f.teacher_logits[1] = logits_s2.clone();
  return f;
}

double frozen_objective_loss(const Tensor& logits_s1, const Tensor& logits_s2,
                             const FrozenSelection& frozen, const ObjectiveConfig& config) {
  const int64_t B = logits_s1.size(0), C = logits_s1.size(1);
  const int64_t HW = logits_s1.size(2) * logits_s1.size(3);
  const Vec t = frozen.target.to_vector<double>();
  const Vec z[2] = {logits_s1.to_vector<double>(), logits_s2.to_vector<double>()};
  const Vec zt[2] = {frozen.teacher_logits[0].to_vector<double>(),
                     frozen.teacher_logits[1].to_vector<double>()};
  const Vec lp[2] = {log_softmax(z[0], B, C, HW), log_softmax(z[1], B, C, HW)};
  const Vec lq[2] = {log_softmax(zt[0], B, C, HW), log_softmax(zt[1], B, C, HW)};
  double loss = 0;
  for (int d = 0; d < 2; ++d) {
    const Vec w = frozen.weight_seg[d].to_vector<double>();
    const Vec we = frozen.weight_con[1 - d].to_vector<double>();  // the teacher's W_e
    double sw = 0, sce = 0, swe = 0, scon = 0;
    Vec inter(C, 0), pred(C, 0), targ(C, 0), mass(C, 0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < HW; ++i) {
        const int64_t n = b * HW + i;
        double ce = 0, con = 0;
        for (int64_t c = 0; c < C; ++c) {
          const int64_t at = (b * C + c) * HW + i;
          const double p = std::exp(lp[d][at]), q = std::exp(lq[1 - d][at]);
          ce -= t[at] * lp[d][at];
          inter[c] += w[n] * p * t[at];
          pred[c] += w[n] * p;
          targ[c] += w[n] * t[at];
          mass[c] += t[at];
          switch (config.consist_loss_type) {
            case ConsistencyKind::ce:
              con -= q * lp[d][at];
              break;
            case ConsistencyKind::kl:
              con += q > 0 ? q * (lq[1 - d][at] - lp[d][at]) : 0;
              break;
            case ConsistencyKind::mse:
              con += (p - q) * (p - q);
              break;
            default:
              break;
          }
        }
        sw += w[n];
        sce += w[n] * ce;
        swe += we[n];
        scon += we[n] * con;
      }
    if (config.use_ce() && sw > 0) loss += sce / sw;
    if (config.use_dice()) {
      double dice = 0;
      for (int64_t c = 0; c < C; ++c)
        if (mass[c] > 0) dice += 1 - 2 * inter[c] / std::max(pred[c] + targ[c], 1e-7);
      loss += dice / C;
    }
    if (config.consist_loss_type != ConsistencyKind::none && swe > 0)
      loss += config.consist_loss_weight * scon / swe;
  }
  return loss;
}

}  // namespace cromss
