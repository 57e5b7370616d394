// The CromSS objective (train/cromss_objective.h): input checks, then the passes of
// kernels/cromss_objective.h on the logits' device through its backend table (labels, targets
// and confidences, thresholds, weights, sums, the reduction to losses and gradient coefficients),
// the gradient pass on demand, and one read-out of the losses and the labels pass's mark.
#include "train/cromss_objective.h"

#include <cstring>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cromss_objective.h"
#include "train/selection_schedule.h"

namespace cromss {
namespace {

// Everything the passes need besides the tensors.
struct Plan {
  ObjectiveConfig config;
  ConfidenceArgs conf;
  SelectionSchedule schedule;
  WeightArgs weights;  // mode ones without selection
  ReduceArgs reduce;
  bool select = false;
  int branches = 2;
  CrossRankSum* ranks = nullptr;  // --global_selection (training only)
};

Plan make_plan(const ObjectiveConfig& config_in, int epoch, ObjectiveMode mode, int branches) {
  Plan plan;
  plan.config = config_in;
  plan.branches = branches;
  if (mode == ObjectiveMode::validation) {  // method-spec.md §2.5
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
    plan.weights = {r >= 1 ? SegWeightMode::ones
                           : (r <= 0 ? SegWeightMode::confidence : SegWeightMode::thresholded),
                    true, plan.schedule.ramp, plan.schedule.ramping};
  }
  plan.reduce = {plan.config.use_ce(),
                 plan.config.use_dice(),
                 plan.config.consist_loss_type,
                 plan.config.consist_loss_weight,
                 branches,
                 plan.ranks ? static_cast<double>(plan.ranks->world_size()) : 1.0};
  return plan;
}

// --global_selection: both branches' sums become sums over the ranks (one collective, through
// the host).
void sum_over_ranks(Tensor& state, int C, CrossRankSum& ranks) {
  const int count = ObjectiveState{C}.bad_label();
  Tensor host = state.narrow(0, 0, count).to(Device::cpu()).contiguous();
  std::vector<double> packed(host.data<double>(), host.data<double>() + count);
  ranks.sum(packed);
  state.narrow(0, 0, count).copy_(Tensor::from_vector(packed, {count}));
}

}  // namespace

void check_labels_mark(const double* values, const Tensor& labels, int C) {
  uint64_t mark = 0;
  std::memcpy(&mark, values + StepLosses::bad_label, sizeof(mark));
  if (mark == 0) return;
  if (!labels.defined())
    CROMSS_THROW(ValueError, "labels: a value outside 0..{} (the labels pass marked one)", C - 1);
  const int64_t at = labels.numel() - static_cast<int64_t>(mark);
  const int64_t value = labels.contiguous().to(Device::cpu()).to(DType::i64).data<int64_t>()[at];
  CROMSS_THROW(ValueError, "labels: value {} at flat index {} is outside 0..{}", value, at, C - 1);
}

struct ObjectiveEvaluation::Impl {
  Plan plan;
  const ObjectiveBackend* backend = nullptr;
  Tensor z[2], labels_in, labels64, labels32, prior, k, state;
  Shape full;
  ObjectiveArrays a;
  ObjectiveResult r;
};

ObjectiveEvaluation::ObjectiveEvaluation(const Tensor& z1, const Tensor& z2, const Tensor& labels,
                                         const Tensor& prior, int epoch,
                                         const ObjectiveConfig& config, ObjectiveMode mode,
                                         int branches)
    : impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.plan = make_plan(config, epoch, mode, branches);
  const Plan& plan = m.plan;
  CROMSS_CHECK(branches == 1 || z2.defined(), "cromss_objective: logits_s2 is required");
  check_objective_inputs(z1, branches == 2 ? z2 : Tensor(), labels, prior, plan.conf.w_prior != 0);
  const Device dev = z1.device();
  m.backend = &objective_backend(dev);
  const bool two = branches == 2;
  const int C = static_cast<int>(z1.size(1));
  const DType load = m.backend->logit_dtype(z1.dtype());
  const DType work = m.backend->work_dtype(z1.dtype());
  m.z[0] = z1.contiguous().to(load);
  if (two) m.z[1] = z2.contiguous().to(load);
  m.labels_in = labels;
  m.labels64 = labels.to(dev).contiguous().to(DType::i64);
  if (plan.conf.w_prior != 0) m.prior = prior.to(dev).contiguous().to(work);
  const Shape map{z1.size(0), z1.size(2), z1.size(3)};
  m.full = z1.shape();

  ObjectiveResult& r = m.r;
  r.selection_ratio = plan.select ? plan.schedule.ratio : 1.0;
  r.target = Tensor::empty(m.full, work, dev);
  m.labels32 = Tensor::empty(map, DType::i32, dev);
  m.k = Tensor::zeros({2, C}, DType::i64, dev);
  m.state = Tensor::zeros({ObjectiveState{C}.count()}, DType::f64, dev);
  ObjectiveArrays& a = m.a;
  a.device = dev;
  a.logits = load;
  a.work = work;
  a.B = m.full[0];
  a.HW = m.full[2] * m.full[3];
  a.C = C;
  a.two = two;
  a.labels = m.labels32.data<int32_t>();
  a.prior = m.prior.defined() ? m.prior.raw_data() : nullptr;
  a.target = r.target.raw_data();
  a.state = m.state.data<double>();
  for (int d = 0; d < branches; ++d) {
    r.conf_label[d] = Tensor::zeros(map, work, dev);
    r.conf_pred[d] = Tensor::zeros(map, work, dev);
    r.threshold[d] = Tensor::zeros({C}, work, dev);
    r.weight_seg[d] = Tensor::empty(map, work, dev);
    r.weight_con[d] = Tensor::empty(map, work, dev);
    a.z[d] = m.z[d].raw_data();
    a.conf_label[d] = r.conf_label[d].raw_data();
    a.conf_pred[d] = r.conf_pred[d].raw_data();
    a.threshold[d] = r.threshold[d].raw_data();
    a.k[d] = m.k.data<int64_t>() + d * C;
    a.weight_seg[d] = r.weight_seg[d].raw_data();
    a.weight_con[d] = r.weight_con[d].raw_data();
  }
  // Each pass holds its arguments by value: a CPU graph capture records it (engine/dispatch.h).
  const ObjectiveBackend* backend = m.backend;
  const int64_t* labels64 = m.labels64.data<int64_t>();
  dispatch_pass("objective_labels", dev, [=] { backend->labels(a, labels64); });
  dispatch_pass("objective_confidences", dev,
                [=, conf = plan.conf] { backend->confidences(a, conf); });
  for (int d = 0; d < branches; ++d) {
    if (plan.weights.mode == SegWeightMode::thresholded)
      dispatch_pass("objective_thresholds", dev,
                    [=, ratio = plan.schedule.ratio, ranks = plan.ranks] {
                      backend->thresholds(a, d, ratio, ranks);
                    });
    dispatch_pass("objective_weights", dev, [=, w = plan.weights] { backend->weights(a, d, w); });
  }
  for (int d = 0; d < branches; ++d)
    dispatch_pass("objective_sums", dev,
                  [=, kind = plan.config.consist_loss_type] { backend->sums(a, d, kind); });
  if (plan.ranks) sum_over_ranks(m.state, C, *plan.ranks);
  dispatch_pass("objective_reduce", dev, [=, args = plan.reduce] { backend->reduce(a, args); });
}

ObjectiveEvaluation::~ObjectiveEvaluation() = default;

ObjectiveResult& ObjectiveEvaluation::result() {
  return impl_->r;
}

Tensor ObjectiveEvaluation::losses() const {
  return impl_->state.narrow(0, ObjectiveState{impl_->a.C}.bad_label(), StepLosses::count);
}

Tensor ObjectiveEvaluation::gradient(int branch, const Tensor& upstream) const {
  const Impl& m = *impl_;
  CROMSS_CHECK(branch >= 0 && branch < m.plan.branches, "objective gradient: no branch {}", branch);
  ObjectiveArrays a = m.a;
  Tensor grad = Tensor::empty(m.full, a.work, a.device);
  a.grad[branch] = grad.raw_data();
  Tensor up;
  if (upstream.defined()) {
    CROMSS_CHECK(upstream.numel() == 1,
                 "objective gradient: upstream must have one element, got {}", upstream.str());
    up = upstream.to(a.device).contiguous().to(a.work);
  }
  dispatch_pass("objective_gradient", a.device,
                [a, backend = m.backend, branch, kind = m.plan.config.consist_loss_type,
                 upstream = up.defined() ? up.raw_data() : nullptr] {
                  backend->gradient(a, branch, kind, upstream);
                });
  return grad;
}

void ObjectiveEvaluation::read_out() {
  Impl& m = *impl_;
  const Tensor host = losses().to(Device::cpu()).contiguous();
  const double* v = host.data<double>();
  check_labels_mark(v, m.labels_in, m.a.C);
  m.r.loss = v[StepLosses::loss];
  for (int d = 0; d < 2; ++d) {
    m.r.loss_seg[d] = v[StepLosses::seg + d];
    m.r.loss_con[d] = v[StepLosses::con + d];
  }
}

const Tensor& ObjectiveEvaluation::labels() const {
  return impl_->labels_in;
}

int ObjectiveEvaluation::classes() const {
  return impl_->a.C;
}

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
}

ObjectiveResult cromss_objective(const Tensor& logits_s1, const Tensor& logits_s2,
                                 const Tensor& labels, const Tensor& prior, int epoch,
                                 const ObjectiveConfig& config, ObjectiveMode mode) {
  ObjectiveEvaluation e(logits_s1, logits_s2, labels, prior, epoch, config, mode, 2);
  e.read_out();
  ObjectiveResult r = e.result();
  for (int d = 0; d < 2; ++d) r.grad_logits[d] = e.gradient(d);
  return r;
}

SingleBranchResult single_branch_objective(const Tensor& logits, const Tensor& labels,
                                           const Tensor& prior, const ObjectiveConfig& config) {
  ObjectiveEvaluation e(logits, Tensor(), labels, prior, 0, config, ObjectiveMode::training, 1);
  e.read_out();
  return {e.result().loss, e.gradient(0)};
}

}  // namespace cromss
