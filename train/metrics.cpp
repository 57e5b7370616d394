// Confusion matrices, smp-style scores and upstream's metric names (see metrics.h).
#include "train/metrics.h"

#include <fmt/format.h>

#include "engine/dispatch.h"
#include "kernels/confusion.h"

namespace cromss {

ConfusionMatrix::ConfusionMatrix(int64_t n_classes, Device device, int64_t ignore_index)
    : n_classes_(n_classes), ignore_index_(ignore_index), device_(device) {
  CROMSS_CHECK(n_classes > 0, "ConfusionMatrix: n_classes must be positive, got {}", n_classes);
  counts_ = Tensor::zeros({n_classes * n_classes + 1}, DType::i64, device_);
}

void ConfusionMatrix::accumulate(const Tensor& pred, const Tensor& target) {
  CROMSS_CHECK(pred.numel() == target.numel() && pred.dtype() == target.dtype(),
               "ConfusionMatrix: prediction {} and target {} differ in size or dtype", pred.str(),
               target.str());
  CROMSS_CHECK(pred.device() == device_ && target.device() == device_,
               "ConfusionMatrix on {}: got prediction {} and target {}", device_.str(), pred.str(),
               target.str());
  const Tensor p = pred.contiguous(), t = target.contiguous();
  dispatch(kernels::confusion_accumulate, device_, p.raw_data(), t.raw_data(), p.dtype(), p.numel(),
           n_classes_, ignore_index_, counts_.data<int64_t>());
}

void ConfusionMatrix::reset() {
  counts_.zero_();
}

std::vector<int64_t> ConfusionMatrix::counts() const {
  std::vector<int64_t> all = counts_.to_vector<int64_t>();
  const int64_t bad = all.back();
  CROMSS_CHECK(bad == 0,
               "confusion matrix: {} pixels had a label or prediction outside [0, {}) that is "
               "not the ignore index {}",
               bad, n_classes_, ignore_index_);
  all.pop_back();
  return all;
}

namespace {
double ratio_or(double num, double den, double zero_division) {
  return den > 0 ? num / den : zero_division;
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}
}  // namespace

ClassScores scores_from_confusion(const std::vector<int64_t>& counts, int64_t n,
                                  double zero_division) {
  CROMSS_CHECK(static_cast<int64_t>(counts.size()) == n * n,
               "scores_from_confusion: expected {} counts for {} classes, got {}", n * n, n,
               counts.size());
  ClassScores s;
  int64_t correct = 0;
  for (int64_t c = 0; c < n; ++c) {
    int64_t row = 0, col = 0;
    for (int64_t k = 0; k < n; ++k) {
      row += counts[c * n + k];
      col += counts[k * n + c];
      s.pixels += counts[c * n + k];
    }
    const double tp = static_cast<double>(counts[c * n + c]);
    const double fn = static_cast<double>(row) - tp, fp = static_cast<double>(col) - tp;
    correct += counts[c * n + c];
    s.iou.push_back(ratio_or(tp, tp + fp + fn, zero_division));
    s.f1.push_back(ratio_or(2 * tp, 2 * tp + fp + fn, zero_division));
    s.precision.push_back(ratio_or(tp, tp + fp, zero_division));
    s.recall.push_back(ratio_or(tp, tp + fn, zero_division));
  }
  s.miou = mean(s.iou);
  s.mf1 = mean(s.f1);
  s.mprecision = mean(s.precision);
  s.mrecall = mean(s.recall);
  s.oa = ratio_or(static_cast<double>(correct), static_cast<double>(s.pixels), zero_division);
  return s;
}

NamedValues named_scores(const std::string& prefix, const ClassScores& s) {
  NamedValues out;
  auto add = [&](const char* name, const std::vector<double>& per_class, double m) {
    for (size_t c = 0; c < per_class.size(); ++c)
      out.emplace_back(fmt::format("{}_{}_{}", prefix, name, c), per_class[c]);
    out.emplace_back(fmt::format("{}_m{}", prefix, name), m);
  };
  add("iou", s.iou, s.miou);
  add("f1", s.f1, s.mf1);
  add("precise", s.precision, s.mprecision);
  add("recall", s.recall, s.mrecall);
  out.emplace_back(prefix + "_oa", s.oa);
  return out;
}

void SelectionPrecision::accumulate(const Tensor& weight, const Tensor& noisy, const Tensor& clean,
                                    int64_t ignore_index) {
  CROMSS_CHECK(weight.numel() == noisy.numel() && weight.numel() == clean.numel(),
               "SelectionPrecision: weight {}, noisy {} and clean {} differ in size", weight.str(),
               noisy.str(), clean.str());
  const std::vector<double> w = weight.to_vector<double>();
  const std::vector<int64_t> y = noisy.to_vector<int64_t>(), c = clean.to_vector<int64_t>();
  for (size_t i = 0; i < w.size(); ++i) {
    if (c[i] == ignore_index) continue;
    total_ += w[i];
    if (y[i] == c[i]) correct_ += w[i];
  }
}

}  // namespace cromss
