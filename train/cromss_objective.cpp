// The CromSS objective (train/cromss_objective.h): input checks, then the passes of
// kernels/cromss_objective.h on the logits' device, and the host-side reduction of the sums into
// losses (spec §2) and gradient coefficients.
#include "train/cromss_objective.h"

#include <algorithm>
#include <array>
#include <type_traits>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cromss_objective.h"
#include "train/selection_schedule.h"

namespace cromss {
namespace {

constexpr double kDiceEps = 1e-7;  // spec §2.2: dice_c = 2 I_c / max(K_c, eps)

// CE_w = sum W ce / sum W, 0 when sum W = 0 (spec §2.1, §9.30).
double weighted_mean(double sum, double weight) {
  return weight > 0 ? sum / weight : 0.0;
}

// Dice_w = (1/C) sum_c [sum t_c > 0] (1 - 2 I_c / max(K_c, eps)), K_c = sum W p_c + sum W t_c
// (spec §2.2; classes without unweighted target mass are 0 but still count in C).
double dice_loss(const ObjectiveSums& s, int C) {
  double total = 0;
  for (int c = 0; c < C; ++c) {
    if (!(s.target_mass[c] > 0)) continue;
    const double k = s.dice_pred[c] + s.dice_target[c];
    total += 1.0 - 2.0 * s.dice_inter[c] / std::max(k, kDiceEps);
  }
  return total / C;
}

// d loss / d p_c(x) = W(x) (a_c t_c(x) + b_c) with a_c = -2/(C D_c), b_c = 2 I_c/(C D_c^2) when
// K_c > eps (D_c = max(K_c, eps)), both 0 for zeroed classes.
GradientScales gradient_scales(const ObjectiveSums& s, const ObjectiveConfig& config, int C,
                               ConsistencyKind kind) {
  GradientScales g;
  g.ce = config.use_ce() && s.seg_weight > 0 ? 1.0 / s.seg_weight : 0.0;
  g.dice = config.use_dice() ? 1.0 : 0.0;
  for (int c = 0; c < C; ++c) {
    if (!(s.target_mass[c] > 0)) continue;
    const double k = s.dice_pred[c] + s.dice_target[c];
    const double d = std::max(k, kDiceEps);
    g.dice_a[c] = -2.0 / (C * d);
    g.dice_b[c] = k > kDiceEps ? 2.0 * s.dice_inter[c] / (C * d * d) : 0.0;
  }
  g.con = kind != ConsistencyKind::none && s.con_weight > 0
              ? config.consist_loss_weight / s.con_weight
              : 0.0;
  return g;
}

// --global_selection: both branches' sums become sums over the ranks (one collective).
void sum_over_ranks(ObjectiveSums* sums, int branches, int C, CrossRankSum& ranks) {
  std::vector<double> packed;
  auto fields = [&](ObjectiveSums& s, auto&& visit) {
    visit(s.seg_weight);
    visit(s.seg_ce);
    visit(s.con_weight);
    visit(s.con);
    for (int c = 0; c < C; ++c) {
      visit(s.dice_inter[c]);
      visit(s.dice_pred[c]);
      visit(s.dice_target[c]);
      visit(s.target_mass[c]);
    }
  };
  for (int d = 0; d < branches; ++d) fields(sums[d], [&](double& v) { packed.push_back(v); });
  ranks.sum(packed);
  size_t at = 0;
  for (int d = 0; d < branches; ++d) fields(sums[d], [&](double& v) { v = packed[at++]; });
}

// dL_global/dz of this rank's pixels times the world size: the 1/world of the gradient average
// then leaves sum_r dL_global/dz_r dz_r/dtheta = dL_global/dtheta (train/objective_config.h).
void scale_for_gradient_average(GradientScales& g, int world_size) {
  g.ce *= world_size;
  g.dice *= world_size;
  g.con *= world_size;
}

double segmentation_loss(const ObjectiveSums& s, const ObjectiveConfig& config, int C) {
  double loss = 0;
  if (config.use_ce()) loss += weighted_mean(s.seg_ce, s.seg_weight);
  if (config.use_dice()) loss += dice_loss(s, C);
  return loss;
}

// Everything the passes need besides the tensors.
struct Plan {
  ObjectiveConfig config;
  ConfidenceArgs conf;
  SelectionSchedule schedule;
  SegWeightMode seg_mode = SegWeightMode::ones;
  bool select = false;
  int branches = 2;
  CrossRankSum* ranks = nullptr;  // --global_selection (training only)
};

// From the local sums of both branches (summed over the ranks first with --global_selection):
// the losses of spec §2 into `r`, and each branch's gradient coefficients.
std::array<GradientScales, 2> losses_and_gradient_scales(ObjectiveSums* sums, const Plan& plan,
                                                         int C, ObjectiveResult& r) {
  if (plan.ranks) sum_over_ranks(sums, plan.branches, C, *plan.ranks);
  const ConsistencyKind kind = plan.config.consist_loss_type;
  std::array<GradientScales, 2> scales;
  r.selection_ratio = plan.select ? plan.schedule.ratio : 1.0;
  r.loss = 0;
  for (int d = 0; d < plan.branches; ++d) {
    r.loss_seg[d] = segmentation_loss(sums[d], plan.config, C);
    r.loss_con[d] =
        kind == ConsistencyKind::none ? 0.0 : weighted_mean(sums[d].con, sums[d].con_weight);
    r.loss += r.loss_seg[d] + plan.config.consist_loss_weight * r.loss_con[d];
    scales[d] = gradient_scales(sums[d], plan.config, C, kind);
    if (plan.ranks) scale_for_gradient_average(scales[d], plan.ranks->world_size());
  }
  return scales;
}

Plan make_plan(const ObjectiveConfig& config_in, int epoch, ObjectiveMode mode, int branches) {
  Plan plan;
  plan.config = config_in;
  plan.branches = branches;
  if (mode == ObjectiveMode::validation) {  // spec §2.5
    plan.config.label_smoothing = false;
    plan.config.sample_selection = false;
  }
  if (branches == 1) {
    plan.config.sample_selection = false;
    plan.config.consist_loss_type = ConsistencyKind::none;
  }
  plan.config.validate();
  plan.ranks = mode == ObjectiveMode::training ? plan.config.ranks : nullptr;
  const TargetWeights tw = target_weights(plan.config);
  plan.conf = {tw.onehot, tw.prior, tw.uniform,
               plan.config.sample_selection_confidence_type == ConfidenceType::gini,
               plan.config.entangle};
  plan.select = plan.config.sample_selection;
  if (plan.select) {
    plan.schedule = selection_schedule(plan.config, epoch);
    const double r = plan.schedule.ratio;
    plan.seg_mode = r >= 1 ? SegWeightMode::ones
                           : (r <= 0 ? SegWeightMode::confidence : SegWeightMode::thresholded);
  }
  return plan;
}

Tensor labels_int32(const Tensor& labels) {
  return labels.to(Device::cpu()).contiguous().to(DType::i32);
}

template <class A>
ObjectiveResult run_cpu(const Tensor& z1_in, const Tensor& z2_in, const Tensor& labels_in,
                        const Tensor& prior_in, const Plan& plan) {
  const DType dt = dtype_of<A>();
  const int64_t B = z1_in.size(0), HW = z1_in.size(2) * z1_in.size(3);
  const int C = static_cast<int>(z1_in.size(1));
  const int64_t n = B * HW;
  const bool two = plan.branches == 2;
  Tensor z[2] = {z1_in.contiguous().to(dt), two ? z2_in.contiguous().to(dt) : Tensor()};
  Tensor labels = labels_int32(labels_in);
  Tensor prior = plan.conf.w_prior != 0 ? prior_in.contiguous().to(dt) : Tensor();
  const Shape map{B, z1_in.size(2), z1_in.size(3)};
  const Shape full = z1_in.shape();
  const int32_t* y = labels.data<int32_t>();

  ObjectiveResult r;
  r.target = Tensor::empty(full, dt);
  for (int d = 0; d < plan.branches; ++d) {
    r.conf_label[d] = Tensor::empty(map, dt);
    r.conf_pred[d] = Tensor::empty(map, dt);
    r.threshold[d] = Tensor::zeros({C}, dt);
    r.weight_seg[d] = Tensor::empty(map, dt);
    r.weight_con[d] = Tensor::empty(map, dt);
    r.grad_logits[d] = Tensor::empty(full, dt);
  }
  cpu_kernels::objective_confidences<A>(
      z[0].data<A>(), two ? z[1].data<A>() : nullptr, y,
      prior.defined() ? prior.data<A>() : nullptr, B, C, HW, plan.conf, r.target.data<A>(),
      r.conf_label[0].data<A>(), two ? r.conf_label[1].data<A>() : nullptr,
      r.conf_pred[0].data<A>(), two ? r.conf_pred[1].data<A>() : nullptr);
  if (!two) {
    r.conf_label[0].zero_();
    r.conf_pred[0].zero_();
  }
  for (int d = 0; d < plan.branches; ++d) {
    std::vector<int64_t> k(C, 0);
    if (plan.seg_mode == SegWeightMode::thresholded) {
      if constexpr (std::is_same_v<A, float>) {
        if (plan.ranks)
          cpu_kernels::class_thresholds_across_ranks(r.conf_label[d].data<A>(), y, n, C,
                                                     plan.schedule.ratio, r.threshold[d].data<A>(),
                                                     k.data(), *plan.ranks);
      }
      if (!plan.ranks)
        cpu_kernels::class_thresholds<A>(r.conf_label[d].data<A>(), y, n, C, plan.schedule.ratio,
                                         r.threshold[d].data<A>(), k.data());
    }
    cpu_kernels::selection_weights<A>(r.conf_label[d].data<A>(), r.conf_pred[d].data<A>(), y,
                                      r.threshold[d].data<A>(), k.data(), n, plan.seg_mode,
                                      plan.select, plan.schedule.ramp, plan.schedule.ramping,
                                      r.weight_seg[d].data<A>(), r.weight_con[d].data<A>());
  }
  const ConsistencyKind kind = plan.config.consist_loss_type;
  ObjectiveSums sums[2];
  for (int d = 0; d < plan.branches; ++d) {
    const int o = 1 - d;  // teacher branch
    cpu_kernels::objective_sums<A>(z[d].data<A>(), two ? z[o].data<A>() : nullptr,
                                   r.target.data<A>(), r.weight_seg[d].data<A>(),
                                   two ? r.weight_con[o].data<A>() : nullptr, B, C, HW, kind,
                                   &sums[d]);
  }
  const auto scales = losses_and_gradient_scales(sums, plan, C, r);
  for (int d = 0; d < plan.branches; ++d) {
    const int o = 1 - d;
    cpu_kernels::objective_gradient<A>(z[d].data<A>(), two ? z[o].data<A>() : nullptr,
                                       r.target.data<A>(), r.weight_seg[d].data<A>(),
                                       two ? r.weight_con[o].data<A>() : nullptr, B, C, HW, kind,
                                       scales[d], r.grad_logits[d].data<A>());
  }
  return r;
}

#if CROMSS_WITH_CUDA
ObjectiveResult run_cuda(const Tensor& z1_in, const Tensor& z2_in, const Tensor& labels_in,
                         const Tensor& prior_in, const Plan& plan) {
  const Device dev = z1_in.device();
  const int device = dev.index;
  const int64_t B = z1_in.size(0), HW = z1_in.size(2) * z1_in.size(3);
  const int C = static_cast<int>(z1_in.size(1));
  const int64_t n = B * HW;
  const bool two = plan.branches == 2;
  Tensor z[2] = {z1_in.contiguous(), two ? z2_in.contiguous() : Tensor()};
  const DType lt = z[0].dtype();
  CROMSS_CHECK(!two || z[1].dtype() == lt, "cromss_objective: logits_s1 is {}, logits_s2 is {}",
               dtype_name(lt), dtype_name(z[1].dtype()));
  // Labels and a non-f32 prior are converted on the host (integer/float casts), then moved.
  Tensor labels = labels_int32(labels_in).to(dev);
  Tensor prior;
  if (plan.conf.w_prior != 0)
    prior = prior_in.dtype() == DType::f32
                ? prior_in.contiguous().to(dev)
                : prior_in.to(Device::cpu()).contiguous().to(DType::f32).to(dev);
  const Shape map{B, z1_in.size(2), z1_in.size(3)};
  const Shape full = z1_in.shape();
  const DType f32 = DType::f32;

  ObjectiveResult r;
  r.target = Tensor::empty(full, f32, dev);
  for (int d = 0; d < plan.branches; ++d) {
    r.conf_label[d] = Tensor::zeros(map, f32, dev);
    r.conf_pred[d] = Tensor::zeros(map, f32, dev);
    r.threshold[d] = Tensor::zeros({C}, f32, dev);
    r.weight_seg[d] = Tensor::empty(map, f32, dev);
    r.weight_con[d] = Tensor::empty(map, f32, dev);
    r.grad_logits[d] = Tensor::empty(full, f32, dev);  // f32 whatever the logits (header)
  }
  auto fp = [](const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; };
  const int32_t* y = labels.data<int32_t>();
  cuda_kernels::objective_confidences(z[0].raw_data(), two ? z[1].raw_data() : nullptr, lt, y,
                                      fp(prior), B, C, HW, plan.conf, fp(r.target),
                                      fp(r.conf_label[0]), fp(r.conf_label[1]), fp(r.conf_pred[0]),
                                      fp(r.conf_pred[1]), device);
  Tensor k = Tensor::zeros({C}, DType::i64, dev);
  for (int d = 0; d < plan.branches; ++d) {
    if (plan.seg_mode == SegWeightMode::thresholded)
      cuda_kernels::class_thresholds(fp(r.conf_label[d]), y, n, C, plan.schedule.ratio,
                                     fp(r.threshold[d]), k.data<int64_t>(), device, plan.ranks);
    cuda_kernels::selection_weights(fp(r.conf_label[d]), fp(r.conf_pred[d]), y, fp(r.threshold[d]),
                                    k.data<int64_t>(), n, plan.seg_mode, plan.select,
                                    plan.schedule.ramp, plan.schedule.ramping, fp(r.weight_seg[d]),
                                    fp(r.weight_con[d]), device);
  }
  const ConsistencyKind kind = plan.config.consist_loss_type;
  ObjectiveSums sums[2];
  for (int d = 0; d < plan.branches; ++d) {
    const int o = 1 - d;
    cuda_kernels::objective_sums(z[d].raw_data(), two ? z[o].raw_data() : nullptr, lt, fp(r.target),
                                 fp(r.weight_seg[d]), two ? fp(r.weight_con[o]) : nullptr, B, C, HW,
                                 kind, &sums[d], device);
  }
  const auto scales = losses_and_gradient_scales(sums, plan, C, r);
  for (int d = 0; d < plan.branches; ++d) {
    const int o = 1 - d;
    cuda_kernels::objective_gradient(z[d].raw_data(), two ? z[o].raw_data() : nullptr, lt,
                                     fp(r.target), fp(r.weight_seg[d]),
                                     two ? fp(r.weight_con[o]) : nullptr, B, C, HW, kind, scales[d],
                                     fp(r.grad_logits[d]), device);
  }
  return r;
}
#endif

ObjectiveResult run(const Tensor& z1, const Tensor& z2, const Tensor& labels, const Tensor& prior,
                    const Plan& plan) {
  if (z1.device().is_cuda()) {
    CROMSS_ON_CUDA(return run_cuda(z1, z2, labels, prior, plan));
  }
  CROMSS_CHECK(
      !(plan.ranks && plan.seg_mode == SegWeightMode::thresholded && z1.dtype() == DType::f64),
      "--global_selection: the cross-rank thresholds run on f32 confidences; got f64 "
      "logits");
  if (z1.dtype() == DType::f64) return run_cpu<double>(z1, z2, labels, prior, plan);
  return run_cpu<float>(z1, z2, labels, prior, plan);
}

}  // namespace

void check_objective_inputs(const Tensor& logits_s1, const Tensor& logits_s2, const Tensor& labels,
                            const Tensor& prior, bool prior_required) {
  CROMSS_CHECK(logits_s1.defined() && logits_s1.dim() == 4, "logits_s1: expected (B,C,H,W), got {}",
               logits_s1.defined() ? shape_str(logits_s1.shape()) : "nothing");
  const Shape& s = logits_s1.shape();
  CROMSS_CHECK(is_floating(logits_s1.dtype()), "logits_s1: expected floating point, got {}",
               dtype_name(logits_s1.dtype()));
  CROMSS_CHECK(s[1] >= 2 && s[1] <= kMaxObjectiveClasses,
               "logits_s1: the class dimension must be 2..{}, got {}", kMaxObjectiveClasses, s[1]);
  if (logits_s2.defined()) {
    CROMSS_CHECK(logits_s2.shape() == s, "logits_s2: shape {} differs from logits_s1 {}",
                 shape_str(logits_s2.shape()), shape_str(s));
    CROMSS_CHECK(logits_s2.device() == logits_s1.device(),
                 "logits_s2: on another device than logits_s1");
  }
  CROMSS_CHECK(labels.defined() && labels.shape() == (Shape{s[0], s[2], s[3]}),
               "labels: expected shape {}, got {}", shape_str({s[0], s[2], s[3]}),
               labels.defined() ? shape_str(labels.shape()) : "nothing");
  CROMSS_CHECK(!is_floating(labels.dtype()), "labels: expected an integer dtype, got {}",
               dtype_name(labels.dtype()));
  if (prior_required) {
    CROMSS_CHECK(
        prior.defined(),
        "prior: required when --label_smoothing uses a prior (--label_smoothing_prior_type "
        "ts|t|s); give `prior` or `labels_seasons` + `season`");
    CROMSS_CHECK(prior.shape() == s, "prior: expected shape {}, got {}", shape_str(s),
                 shape_str(prior.shape()));
  }
  const std::vector<int64_t> y = labels.to_vector<int64_t>();
  for (size_t i = 0; i < y.size(); ++i)
    CROMSS_CHECK(y[i] >= 0 && y[i] < s[1], "labels: value {} at flat index {} is outside 0..{}",
                 y[i], i, s[1] - 1);
}

ObjectiveResult cromss_objective(const Tensor& logits_s1, const Tensor& logits_s2,
                                 const Tensor& labels, const Tensor& prior, int epoch,
                                 const ObjectiveConfig& config, ObjectiveMode mode) {
  const Plan plan = make_plan(config, epoch, mode, 2);
  CROMSS_CHECK(logits_s2.defined(), "cromss_objective: logits_s2 is required");
  check_objective_inputs(logits_s1, logits_s2, labels, prior, plan.conf.w_prior != 0);
  return run(logits_s1, logits_s2, labels, prior, plan);
}

SingleBranchResult single_branch_objective(const Tensor& logits, const Tensor& labels,
                                           const Tensor& prior, const ObjectiveConfig& config) {
  const Plan plan = make_plan(config, 0, ObjectiveMode::training, 1);
  check_objective_inputs(logits, Tensor(), labels, prior, plan.conf.w_prior != 0);
  ObjectiveResult r = run(logits, Tensor(), labels, prior, plan);
  return {r.loss, r.grad_logits[0]};
}

}  // namespace cromss
