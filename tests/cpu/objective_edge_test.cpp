// Edge cases of the CromSS objective that the fixtures do not pin down: upstream's float32
// selection count (method-spec.md §9.29), ties at the threshold, the schedule table of
// method-spec.md §4.3, and the errors for bad inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/cromss_objective.h"
#include "train/cromss_objective.h"
#include "train/pretrain_config.h"
#include "train/selection_schedule.h"

namespace cromss {
namespace {

TEST(ObjectiveEdge, SelectionCountUsesFloat32Product) {
  const double r0 = selection_schedule(ObjectiveConfig{}, 0).ratio;
  EXPECT_EQ(std::floor(8608 * r0), 8578);      // exact product 8578.9999...
  EXPECT_EQ(selection_count(8608, r0), 8579);  // upstream's float32 product
  EXPECT_EQ(selection_count(1, 0.5), 0);  // fewer than 1/r pixels: k = 0 (method-spec.md §9.6)
  EXPECT_EQ(selection_count(0, 0.9), 0);  // absent class
  EXPECT_EQ(selection_count(7, 1.0), 7);
}

TEST(ObjectiveEdge, ScheduleTableOfSpec43) {
  ObjectiveConfig c;
  const double ratio[] = {0.99663, 0.970, 0.857, 0.634, 0.5, 0.5};
  const double ramp[] = {0.0067, 0.060, 0.287, 0.732, 1.0, 1.0};
  const int epochs[] = {0, 20, 40, 60, 80, 150};
  for (int i = 0; i < 6; ++i) {
    const SelectionSchedule s = selection_schedule(c, epochs[i]);
    EXPECT_NEAR(s.ratio, ratio[i], 1e-3) << epochs[i];
    EXPECT_NEAR(s.ramp, ramp[i], 1e-3) << epochs[i];
    EXPECT_EQ(s.ramping, epochs[i] <= 80);
  }
  c.sample_selection_rmup_func =
      RampFunction::none;  // f = 1 (upstream crashes, method-spec.md §9.28)
  EXPECT_EQ(selection_schedule(c, 0).ratio, 0.5);
  c.sample_selection_rmup_func = RampFunction::linear;
  EXPECT_DOUBLE_EQ(selection_schedule(c, 20).ramp, 0.25);
}

TEST(ObjectiveEdge, TiesAtTheThresholdAllGetWeightOne) {
  std::vector<float> conf = {0.5f, 0.5f, 0.5f, 0.2f, 0.0f, 0.0f};
  std::vector<int32_t> y = {0, 0, 0, 0, 1, 1};
  float theta[2];
  int64_t k[2];
  std::vector<float> ws(6), wc(6);
  ObjectiveArrays a;  // branch 0 of a (1, 2, 1, 6) batch, through the CPU backend's passes
  a.B = 1;
  a.HW = 6;
  a.C = 2;
  a.labels = y.data();
  a.conf_label[0] = a.conf_pred[0] = conf.data();
  a.threshold[0] = theta;
  a.k[0] = k;
  a.weight_seg[0] = ws.data();
  a.weight_con[0] = wc.data();
  const ObjectiveBackend& cpu = objective_backend(Device::cpu());
  cpu.thresholds(a, 0, 0.5, nullptr);
  EXPECT_EQ(k[0], 2);
  EXPECT_EQ(theta[0], 0.5f);
  EXPECT_EQ(k[1], 1);
  EXPECT_EQ(theta[1], 0.0f);
  cpu.weights(a, 0, {SegWeightMode::thresholded, true, 1.0, false});
  EXPECT_EQ(ws, (std::vector<float>{1, 1, 1, 0.4f, 1, 1}));  // theta <= 0: weight 1
}

TEST(ObjectiveEdge, BadInputsGiveClearErrors) {
  Tensor z = Tensor::zeros({1, 3, 2, 2});
  Tensor prior = Tensor::full({1, 3, 2, 2}, 1.0 / 3);
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 2, 3}, {1, 2, 2});
  ObjectiveConfig c;
  auto message = [&](const Tensor& z2, const Tensor& labels, const Tensor& p) {
    try {
      cromss_objective(z, z2, labels, p, 0, c);
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(z, y, prior).find("labels: value 3"), std::string::npos);
  Tensor ok = Tensor::from_vector<int64_t>({0, 1, 2, 0}, {1, 2, 2});
  EXPECT_NE(message(Tensor::zeros({1, 3, 2, 3}), ok, prior).find("logits_s2"), std::string::npos);
  EXPECT_NE(message(z, ok, Tensor()).find("prior: required"), std::string::npos);
  EXPECT_NE(message(z, Tensor::zeros({1, 2, 2}), prior).find("integer"), std::string::npos);
  EXPECT_EQ(message(z, ok, prior), "no error");
}

TEST(ObjectiveEdge, PretrainDefaultsAreTheObjectiveDefaults) {
  const ObjectiveConfig a = objective_config(PretrainConfig{});
  const ObjectiveConfig b;
  EXPECT_EQ(a.loss_type, b.loss_type);
  EXPECT_EQ(a.consist_loss_type, b.consist_loss_type);
  EXPECT_EQ(a.consist_loss_weight, b.consist_loss_weight);
  EXPECT_EQ(a.label_smoothing, b.label_smoothing);
  EXPECT_EQ(a.label_smoothing_factor, b.label_smoothing_factor);
  EXPECT_EQ(a.label_smoothing_prior_type, b.label_smoothing_prior_type);
  EXPECT_EQ(a.sample_selection, b.sample_selection);
  EXPECT_EQ(a.sample_selection_rmup_func, b.sample_selection_rmup_func);
  EXPECT_EQ(a.sample_selection_rmdown_epoch, b.sample_selection_rmdown_epoch);
  EXPECT_EQ(a.sample_selection_prop, b.sample_selection_prop);
  EXPECT_EQ(a.sample_selection_confidence_type, b.sample_selection_confidence_type);
}

}  // namespace
}  // namespace cromss
