// See train/scene_predict.h.
#include "train/scene_predict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "core/error.h"
#include "data/raster_reader.h"
#include "data/sample_pipeline.h"
#include "data/ssl4eo_stats.h"
#include "engine/autograd.h"
#include "engine/ops/softmax.h"
#include "train/evaluate.h"
#include "train/inference_weights.h"
#include "train/png_panel.h"

namespace cromss {
namespace {

constexpr uint8_t kNoData = 255;
constexpr int kPreviewSide = 1024;

int round_up(int v, int m) {
  return (v + m - 1) / m * m;
}

// Window starts along one axis: every `step`, the last one flush with the end (or 0 when the
// scene is no longer than the window).
std::vector<int> window_starts(int n, int window, int step) {
  if (n <= window) return {0};
  std::vector<int> starts;
  for (int p = 0;; p += step) {
    if (p + window >= n) {
      starts.push_back(n - window);
      return starts;
    }
    starts.push_back(p);
  }
}

// One open input raster with its encoding.
struct Input {
  std::unique_ptr<data::RasterWindows> raster;
  bool s1 = false;
  const double* mean = nullptr;
  const double* std = nullptr;
};

Input open_input(const std::string& path, bool s1) {
  Input in;
  in.s1 = s1;
  in.raster = std::make_unique<data::RasterWindows>(path, 0, s1 ? "S1" : "S2");
  const int bands = in.raster->info().bands;
  if (s1)
    CROMSS_CHECK(bands == data::kS1Bands,
                 "--s1 {}: {} bands, expected 2 (Sentinel-1 VV, VH in dB, as SSL4EO-S12)", path,
                 bands);
  else
    CROMSS_CHECK(bands == data::kS2Bands,
                 "--s2 {}: {} bands, expected the 13 bands of Sentinel-2 L1C (B1-B12 with B8A, "
                 "in order, digital numbers)",
                 path, bands);
  in.mean = s1 ? data::kS1Mean : data::kS2Mean;
  in.std = s1 ? data::kS1Std : data::kS2Std;
  return in;
}

bool is_nodata(const data::Raster& r, int band, double v) {
  return std::isnan(v) || (r.has_nodata[size_t(band)] && v == r.nodata[size_t(band)]);
}

// Accumulated class scores and nodata flags of one scene row.
struct Row {
  std::vector<float> score;     // (classes, width)
  std::vector<uint8_t> nodata;  // (width)
};

class ScenePredictor {
 public:
  explicit ScenePredictor(const PredictOptions& o) : o_(o) {}
  PredictReport run();

 private:
  void predict_window(int x0, int y0);
  void finish_rows_before(int y);
  Row& row(int y);

  const PredictOptions& o_;
  FinetunedModel model_;
  std::unique_ptr<InferenceWeights> weights_;
  std::vector<Input> inputs_;  // [0] feeds the model; others add their nodata
  std::vector<int> bands_;
  int64_t classes_ = 0;
  int height_ = 0, width_ = 0, win_y_ = 0, win_x_ = 0;
  std::vector<float> tent_y_, tent_x_;
  std::map<int, Row> rows_;
  int next_row_ = 0;
  std::unique_ptr<data::ClassMapWriter> writer_;
  std::unique_ptr<Image> preview_;
  int preview_step_ = 1;
  PredictReport report_;
};

Row& ScenePredictor::row(int y) {
  auto it = rows_.find(y);
  if (it != rows_.end()) return it->second;
  Row& r = rows_[y];
  r.score.assign(size_t(classes_) * size_t(width_), 0.f);
  r.nodata.assign(size_t(width_), 0);
  return r;
}

void ScenePredictor::predict_window(int x0, int y0) {
  const int rw = std::min(win_x_, width_ - x0), rh = std::min(win_y_, height_ - y0);
  const size_t out_hw = size_t(win_y_) * size_t(win_x_), in_hw = size_t(rw) * size_t(rh);
  std::vector<float> x(bands_.size() * out_hw);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const Input& in = inputs_[i];
    const data::Raster& info = in.raster->info();
    const std::vector<double> v = in.raster->read(x0, y0, rw, rh);
    for (int yy = 0; yy < rh; ++yy) {
      Row& r = row(y0 + yy);
      for (int xx = 0; xx < rw; ++xx) {
        const size_t p = size_t(yy) * size_t(rw) + size_t(xx);
        int missing = 0;
        for (int b = 0; b < info.bands; ++b)
          missing += is_nodata(info, b, v[size_t(b) * in_hw + p]) ||
                     (!in.s1 && v[size_t(b) * in_hw + p] == 0);
        if (in.s1 ? missing > 0 : missing == info.bands) r.nodata[size_t(x0 + xx)] = 1;
      }
    }
    if (i != 0) continue;
    for (size_t k = 0; k < bands_.size(); ++k) {
      const int b = bands_[k];
      for (int yy = 0; yy < win_y_; ++yy)
        for (int xx = 0; xx < win_x_; ++xx) {
          const size_t src = size_t(b) * in_hw + size_t(std::min(yy, rh - 1)) * size_t(rw) +
                             size_t(std::min(xx, rw - 1));
          x[k * out_hw + size_t(yy) * size_t(win_x_) + size_t(xx)] =
              float(data::ssl4eo_encode(v[src], in.mean[b], in.std[b])) / 255.f;
        }
    }
  }
  const Tensor input = Tensor::from_vector(x, {1, int64_t(bands_.size()), win_y_, win_x_})
                           .to(o_.device)
                           .to(weights_->compute());
  const std::vector<float> p =
      softmax(model_.net->forward(input).to(DType::f32), 1).to_vector<float>();
  for (int yy = 0; yy < rh; ++yy) {
    Row& r = row(y0 + yy);
    for (int xx = 0; xx < rw; ++xx) {
      const float w = tent_y_[size_t(yy)] * tent_x_[size_t(xx)];
      for (int64_t c = 0; c < classes_; ++c)
        r.score[size_t(c) * size_t(width_) + size_t(x0 + xx)] +=
            w * p[size_t(c) * out_hw + size_t(yy) * size_t(win_x_) + size_t(xx)];
    }
  }
  ++report_.windows;
}

void ScenePredictor::finish_rows_before(int y) {
  std::vector<uint8_t> out(static_cast<size_t>(width_));
  for (; next_row_ < y; ++next_row_) {
    Row& r = row(next_row_);
    for (int x = 0; x < width_; ++x) {
      if (r.nodata[size_t(x)]) {
        out[size_t(x)] = kNoData;
        ++report_.nodata_pixels;
        continue;
      }
      int64_t best = 0;
      for (int64_t c = 1; c < classes_; ++c)
        if (r.score[size_t(c) * size_t(width_) + size_t(x)] >
            r.score[size_t(best) * size_t(width_) + size_t(x)])
          best = c;
      out[size_t(x)] = uint8_t(best);
    }
    writer_->write_rows(next_row_, 1, out.data());
    if (preview_ && next_row_ % preview_step_ == 0)
      for (int x = 0; x < width_; x += preview_step_) {
        const uint8_t v = out[size_t(x)];
        preview_->set(x / preview_step_, next_row_ / preview_step_,
                      v == kNoData ? Rgb{0, 0, 0}
                      : v < 9      ? dw_color(v)
                              : viridis(double(v) / double(std::max<int64_t>(classes_ - 1, 1))));
      }
    rows_.erase(next_row_);
  }
}

PredictReport ScenePredictor::run() {
  CROMSS_CHECK(!o_.s1.empty() || !o_.s2.empty(), "predict: give --s1 and/or --s2");
  CROMSS_CHECK(!o_.output.empty(), "predict: --output is required");
  model_ = load_finetuned_model(o_.ckpt);
  const bool s1 = model_.input_type == "s1";
  const std::string& path = s1 ? o_.s1 : o_.s2;
  CROMSS_CHECK(!path.empty(), "{}: the model takes {} input ({} channels): give --{}", o_.ckpt,
               s1 ? "S1" : "S2", model_.config.n_channels, s1 ? "s1" : "s2");
  inputs_.push_back(open_input(path, s1));
  const std::string& other = s1 ? o_.s2 : o_.s1;
  if (!other.empty()) {
    inputs_.push_back(open_input(other, !s1));
    const std::string why =
        data::georeference_mismatch(inputs_[0].raster->info(), inputs_[1].raster->info());
    CROMSS_CHECK(why.empty(), "--s1 and --s2 must lie on one pixel grid: {}", why);
  }
  bands_ = s1 ? std::vector<int>{0, 1} : data::s2_band_indices(int(model_.config.n_channels));
  classes_ = model_.config.n_classes;
  const data::Raster& grid = inputs_[0].raster->info();
  height_ = grid.height, width_ = grid.width;
  CROMSS_CHECK(o_.window > 0 && o_.overlap >= 0, "--window {} / --overlap {}: expected > 0 / >= 0",
               o_.window, o_.overlap);
  const int stride = int(model_.net->input_stride());
  const int window = round_up(o_.window, stride);
  win_y_ = std::min(window, round_up(height_, stride));
  win_x_ = std::min(window, round_up(width_, stride));
  // The overlap matters only along an axis that needs several windows.
  CROMSS_CHECK(
      (height_ <= win_y_ || o_.overlap < win_y_) && (width_ <= win_x_ || o_.overlap < win_x_),
      "--overlap {}: must be smaller than the window ({} x {} after rounding to the "
      "model's input stride {})",
      o_.overlap, win_y_, win_x_, stride);
  for (int i = 0; i < win_y_; ++i) tent_y_.push_back(float(std::min(i + 1, win_y_ - i)));
  for (int i = 0; i < win_x_; ++i) tent_x_.push_back(float(std::min(i + 1, win_x_ - i)));
  report_.height = height_, report_.width = width_, report_.window = window;
  writer_ = std::make_unique<data::ClassMapWriter>(o_.output, grid, kNoData);
  if (!o_.preview.empty()) {
    preview_step_ = std::max(1, (std::max(height_, width_) + kPreviewSide - 1) / kPreviewSide);
    preview_ = std::make_unique<Image>((width_ + preview_step_ - 1) / preview_step_,
                                       (height_ + preview_step_ - 1) / preview_step_);
  }
  model_.net->set_memory_format(o_.memory_format);
  weights_ = std::make_unique<InferenceWeights>(*model_.net, o_.device, o_.precision);
  model_.net->eval();
  NoGrad no_grad;
  const std::vector<int> ys = window_starts(height_, win_y_, std::max(1, win_y_ - o_.overlap));
  const std::vector<int> xs = window_starts(width_, win_x_, std::max(1, win_x_ - o_.overlap));
  for (size_t i = 0; i < ys.size(); ++i) {
    for (int x0 : xs) predict_window(x0, ys[i]);
    finish_rows_before(i + 1 < ys.size() ? ys[i + 1] : height_);
  }
  writer_->close();
  if (preview_) write_png(o_.preview, *preview_);
  return report_;
}

}  // namespace

PredictReport predict_scene(const PredictOptions& options) {
  ScenePredictor p(options);
  return p.run();
}

}  // namespace cromss
