// Evaluation of fine-tuned models (see evaluate.h).
#include "train/evaluate.h"

#include <algorithm>
#include <cstdio>

#include "data/sample_pipeline.h"
#include "engine/autograd.h"
#include "engine/ops/argmax.h"
#include "train/checkpoint.h"
#include "train/model_file.h"
#include "train/png_panel.h"

namespace cromss {

FinetunedModel load_finetuned_model(const std::string& ckpt_path,
                                    const std::string& input_type_override) {
  const H5File ckpt = open_model_file(ckpt_path);
  std::map<std::string, Shape> state;
  for (auto& [key, shape] : checkpoint_state_shapes(ckpt)) {
    std::string k = state_key(key);
    if (!k.empty()) state[k] = shape;
  }
  FinetunedModel m;
  try {
    m.config = DownstreamConfig::infer_from_state(state);
  } catch (const ValueError& e) {
    CROMSS_THROW(ValueError,
                 "{}: not a fine-tuned model ({}); pretraining checkpoints hold "
                 "net.encoder1/net.model1 keys",
                 ckpt_path, e.what());
  }
  const nlohmann::json config = read_checkpoint_config(ckpt);
  if (config.contains("model_framework")) {
    DownstreamConfig named = DownstreamConfig::from_json(config);
    CROMSS_CHECK(named.model_framework == m.config.model_framework,
                 "{}: its config names --model_framework {} but its keys are a {}", ckpt_path,
                 named.model_framework, m.config.model_framework);
  }
  m.input_type = input_type_override;
  if (m.input_type.empty() && config.contains("input_type") && config["input_type"].is_string())
    m.input_type = config["input_type"].get<std::string>();
  if (m.input_type.empty()) m.input_type = m.config.n_channels == 2 ? "s1" : "s2";
  CROMSS_CHECK(m.input_type == "s1" || m.input_type == "s2", "--input_type '{}': expected s1 or s2",
               m.input_type);
  CROMSS_CHECK(m.input_type == "s2" || m.config.n_channels == 2,
               "{}: --input_type s1 needs a model with 2 input channels, this one has {}",
               ckpt_path, m.config.n_channels);
  m.net = build_segmentation_model(m.config, 0, /*initialize=*/false);
  load_model_state(ckpt, *m.net);
  return m;
}

Tensor model_input(const data::DownstreamSample& s, const std::string& input_type,
                   int64_t n_channels, const std::string& source) {
  const int64_t hw = int64_t(s.height) * s.width;
  std::vector<int> bands;
  const std::vector<uint8_t>* code = nullptr;
  if (input_type == "s1") {
    CROMSS_CHECK(n_channels == 2, "{}: an S1 model needs 2 input channels, this one has {}", source,
                 n_channels);
    bands = {0, 1}, code = &s.s1;
  } else {
    bands = data::s2_band_indices(int(n_channels)), code = &s.s2;
    CROMSS_CHECK(int64_t(bands.size()) == n_channels,
                 "{}: the model has {} input channels, which is no S2 band set (13, 12, 9 or 3)",
                 source, n_channels);
  }
  std::vector<float> v(bands.size() * size_t(hw));
  for (size_t k = 0; k < bands.size(); ++k)
    for (int64_t p = 0; p < hw; ++p)
      v[k * size_t(hw) + size_t(p)] = float((*code)[size_t(bands[k] * hw + p)]) / 255.f;
  return Tensor::from_vector(v, {1, int64_t(bands.size()), s.height, s.width});
}

Evaluation evaluation_from_confusion(const std::string& dataset,
                                     const std::vector<std::string>& class_names,
                                     const std::vector<int64_t>& confusion, bool strict) {
  Evaluation e;
  e.dataset = dataset;
  e.class_names = class_names;
  e.confusion = confusion;
  e.strict = strict;
  e.scores = scores_from_confusion(confusion, int64_t(class_names.size()), strict ? 0.0 : 1.0);
  return e;
}

Evaluation evaluate_model(SegmentationModel& net, const FinetunedModel& model,
                          const data::DownstreamDataset& data, int64_t batch_size, Device device,
                          bool strict, Precision precision) {
  const int64_t classes = data::downstream_classes(data.kind());
  CROMSS_CHECK(model.config.n_classes == classes,
               "the model has {} classes but --dataset {} has {} ({})", model.config.n_classes,
               data::downstream_name(data.kind()), classes, data.path());
  CROMSS_CHECK(batch_size > 0, "--test_batch_size {}: must be positive", batch_size);
  net.to(device);
  net.eval();
  NoGrad no_grad;
  ConfusionMatrix matrix(classes, device);
  std::vector<float> inputs;
  std::vector<uint8_t> labels;
  int64_t count = 0, height = 0, width = 0, channels = 0;
  auto flush = [&] {
    if (count == 0) return;
    Tensor x = Tensor::from_vector(inputs, {count, channels, height, width})
                   .to(device)
                   .to(compute_dtype(precision));
    Tensor y = Tensor::from_vector(labels, {count, height, width}).to(device);
    matrix.accumulate(argmax_classes(net.forward(x).to(DType::f32)), y);
    inputs.clear(), labels.clear(), count = 0;
  };
  data::DownstreamSample s;
  const int64_t stride = net.input_stride();
  for (size_t i = 0; i < data.size(); ++i) {
    data.read(i, s);
    const std::string source = data.path() + " sample " + std::to_string(i);
    CROMSS_CHECK(s.height % stride == 0 && s.width % stride == 0,
                 "{}: {}x{} is not divisible by the model's input stride {}", source, s.height,
                 s.width, stride);
    if (count > 0 && (height != s.height || width != s.width)) flush();
    Tensor x = model_input(s, model.input_type, model.config.n_channels, source);
    channels = x.size(1), height = s.height, width = s.width;
    std::vector<float> v = x.to_vector<float>();
    inputs.insert(inputs.end(), v.begin(), v.end());
    labels.insert(labels.end(), s.label.begin(), s.label.end());
    if (++count == batch_size) flush();
  }
  flush();
  Evaluation e =
      evaluation_from_confusion(data::downstream_name(data.kind()),
                                data::downstream_class_names(data.kind()), matrix.counts(), strict);
  e.samples = int64_t(data.size());
  e.precision = precision;
  return e;
}

std::string evaluation_table(const Evaluation& e) {
  const ClassScores& s = e.scores;
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%s: %lld samples, %lld labelled pixels, %s%s\n",
                e.dataset.c_str(), static_cast<long long>(e.samples),
                static_cast<long long>(s.pixels), precision_name(e.precision),
                e.strict ? " (strict: 0/0 scores 0)" : "");
  out += line;
  std::snprintf(line, sizeof line, "%-3s %-22s %8s %8s %8s %8s %12s\n", "id", "class", "IoU", "F1",
                "prec.", "recall", "pixels");
  out += line;
  const int64_t n = int64_t(e.class_names.size());
  for (int64_t c = 0; c < n; ++c) {
    int64_t pixels = 0;
    for (int64_t k = 0; k < n; ++k) pixels += e.confusion[size_t(c * n + k)];
    std::snprintf(line, sizeof line, "%-3lld %-22s %8.2f %8.2f %8.2f %8.2f %12lld\n",
                  static_cast<long long>(c), e.class_names[size_t(c)].c_str(), 100 * s.iou[c],
                  100 * s.f1[c], 100 * s.precision[c], 100 * s.recall[c],
                  static_cast<long long>(pixels));
    out += line;
  }
  std::snprintf(line, sizeof line, "OA %.2f  AA %.2f  mIoU %.2f  mF1 %.2f  (%%)\n", 100 * s.oa,
                100 * s.mrecall, 100 * s.miou, 100 * s.mf1);
  out += line;
  return out;
}

nlohmann::json evaluation_json(const Evaluation& e) {
  const ClassScores& s = e.scores;
  const int64_t n = int64_t(e.class_names.size());
  nlohmann::json classes = nlohmann::json::array(), matrix = nlohmann::json::array();
  for (int64_t c = 0; c < n; ++c) {
    classes.push_back({{"index", c},
                       {"name", e.class_names[size_t(c)]},
                       {"iou", s.iou[c]},
                       {"f1", s.f1[c]},
                       {"precision", s.precision[c]},
                       {"recall", s.recall[c]}});
    matrix.push_back(
        std::vector<int64_t>(e.confusion.begin() + c * n, e.confusion.begin() + (c + 1) * n));
  }
  return {{"dataset", e.dataset},
          {"samples", e.samples},
          {"precision", precision_name(e.precision)},
          {"pixels", s.pixels},
          {"zero_division", e.strict ? 0 : 1},
          {"oa", s.oa},
          {"aa", s.mrecall},
          {"miou", s.miou},
          {"mf1", s.mf1},
          {"mprecision", s.mprecision},
          {"mrecall", s.mrecall},
          {"classes", classes},
          {"confusion", matrix}};
}

void write_confusion_png(const std::string& path, const Evaluation& e) {
  const int n = int(e.class_names.size()), cell = 24;
  Image img(n * cell, n * cell);
  for (int t = 0; t < n; ++t) {
    int64_t row = 0;
    for (int p = 0; p < n; ++p) row += e.confusion[size_t(t * n + p)];
    for (int p = 0; p < n; ++p) {
      const double share = row > 0 ? double(e.confusion[size_t(t * n + p)]) / double(row) : 0.0;
      const Rgb color = viridis(share);
      for (int y = 0; y < cell; ++y)
        for (int x = 0; x < cell; ++x) img.set(p * cell + x, t * cell + y, color);
    }
  }
  write_png(path, img);
}

}  // namespace cromss
