// Validation metrics on hand-checkable confusion matrices: counts with an ignore index,
// smp zero_division = 1 cases, upstream's names, out-of-range labels, selection precision.
#include <gtest/gtest.h>

#include "train/metrics.h"

namespace cromss {
namespace {

TEST(TrainMetrics, CountsWithIgnoreIndex) {
  ConfusionMatrix cm(3);
  // target: 0 0 1 1 2 255 ; pred: 0 1 1 1 0 2
  cm.accumulate(Tensor::from_vector<int64_t>({0, 1, 1, 1, 0, 2}, {2, 3}),
                Tensor::from_vector<int64_t>({0, 0, 1, 1, 2, 255}, {2, 3}));
  cm.accumulate(Tensor::from_vector<uint8_t>({2}, {1}).to(DType::i64),
                Tensor::from_vector<uint8_t>({2}, {1}).to(DType::i64));
  EXPECT_EQ(cm.counts(), (std::vector<int64_t>{1, 1, 0, 0, 2, 0, 1, 0, 1}));
  ConfusionMatrix u8(3);
  u8.accumulate(Tensor::from_vector<uint8_t>({0, 1, 2}, {3}),
                Tensor::from_vector<uint8_t>({0, 255, 2}, {3}));
  EXPECT_EQ(u8.counts(), (std::vector<int64_t>{1, 0, 0, 0, 0, 0, 0, 0, 1}));
  cm.reset();
  EXPECT_EQ(cm.counts(), std::vector<int64_t>(9, 0));
}

TEST(TrainMetrics, OutOfRangeLabelIsReported) {
  ConfusionMatrix cm(3);
  cm.accumulate(Tensor::from_vector<int32_t>({0, 1}, {2}),
                Tensor::from_vector<int32_t>({0, 7}, {2}));
  EXPECT_THROW(cm.counts(), ValueError);
  EXPECT_THROW(
      cm.accumulate(Tensor::from_vector<int32_t>({0}, {1}), Tensor::from_vector<int64_t>({0}, {1})),
      ValueError);
}

TEST(TrainMetrics, ScoresByHand) {
  // rows = target, cols = prediction, 3 classes:
  //   [[1, 1, 0],
  //    [0, 2, 0],
  //    [1, 0, 1]]   class 2: tp 1, fp 0, fn 1.
  const std::vector<int64_t> counts{1, 1, 0, 0, 2, 0, 1, 0, 1};
  const ClassScores s = scores_from_confusion(counts, 3);
  EXPECT_DOUBLE_EQ(s.iou[0], 1.0 / 3);  // tp 1, fp 1, fn 1
  EXPECT_DOUBLE_EQ(s.iou[1], 2.0 / 3);  // tp 2, fp 1, fn 0
  EXPECT_DOUBLE_EQ(s.iou[2], 1.0 / 2);
  EXPECT_DOUBLE_EQ(s.f1[0], 2.0 / 4);
  EXPECT_DOUBLE_EQ(s.f1[1], 4.0 / 5);
  EXPECT_DOUBLE_EQ(s.f1[2], 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(s.precision[2], 1.0);
  EXPECT_DOUBLE_EQ(s.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(s.recall[2], 0.5);
  EXPECT_DOUBLE_EQ(s.miou, (1.0 / 3 + 2.0 / 3 + 0.5) / 3);
  EXPECT_DOUBLE_EQ(s.oa, 4.0 / 6);
  EXPECT_EQ(s.pixels, 6);
}

TEST(TrainMetrics, ZeroDivisionIsOne) {
  // Class 1 absent from targets and predictions: IoU/F1/precision/recall 1 (smp zero_division=1).
  // Class 2 predicted but never a target: precision 0, recall 0/0 = 1, IoU 0.
  const std::vector<int64_t> counts{2, 0, 1,  //
                                    0, 0, 0,  //
                                    0, 0, 0};
  const ClassScores s = scores_from_confusion(counts, 3);
  EXPECT_DOUBLE_EQ(s.iou[1], 1.0);
  EXPECT_DOUBLE_EQ(s.f1[1], 1.0);
  EXPECT_DOUBLE_EQ(s.precision[1], 1.0);
  EXPECT_DOUBLE_EQ(s.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(s.iou[2], 0.0);
  EXPECT_DOUBLE_EQ(s.precision[2], 0.0);
  EXPECT_DOUBLE_EQ(s.recall[2], 1.0);
  EXPECT_DOUBLE_EQ(s.recall[0], 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.mrecall, (2.0 / 3 + 1 + 1) / 3);
  const ClassScores empty = scores_from_confusion(std::vector<int64_t>(9, 0), 3);
  EXPECT_DOUBLE_EQ(empty.miou, 1.0);
  EXPECT_DOUBLE_EQ(empty.oa, 1.0);
}

TEST(TrainMetrics, UpstreamNames) {
  const ClassScores s = scores_from_confusion({3, 1, 0, 4}, 2);
  const NamedValues v = named_scores("v2", s);
  std::vector<std::string> names;
  for (const auto& [k, x] : v) names.push_back(k);
  EXPECT_EQ(names,
            (std::vector<std::string>{"v2_iou_0", "v2_iou_1", "v2_miou", "v2_f1_0", "v2_f1_1",
                                      "v2_mf1", "v2_precise_0", "v2_precise_1", "v2_mprecise",
                                      "v2_recall_0", "v2_recall_1", "v2_mrecall", "v2_oa"}));
  EXPECT_DOUBLE_EQ(v.back().second, 7.0 / 8);
}

TEST(TrainMetrics, SelectionPrecision) {
  SelectionPrecision sp;
  EXPECT_DOUBLE_EQ(sp.value(), 1.0);
  // weights 1, 0.5, 2, 3 ; noisy == clean on pixels 0 and 2; pixel 3 clean label ignored.
  sp.accumulate(Tensor::from_vector<float>({1.f, 0.5f, 2.f, 3.f}, {2, 2}),
                Tensor::from_vector<int64_t>({4, 1, 2, 0}, {2, 2}),
                Tensor::from_vector<int64_t>({4, 3, 2, 255}, {2, 2}));
  EXPECT_DOUBLE_EQ(sp.weight_total(), 3.5);
  EXPECT_DOUBLE_EQ(sp.value(), 3.0 / 3.5);
}

}  // namespace
}  // namespace cromss
