// `cromss evaluate` (spec §7.3): a fine-tuned checkpoint (smp layout, keys net.encoder.*,
// net.decoder.*, net.segmentation_head.*) scored on every sample of a DFC2020 / SSL4EO-S12@DW /
// @OSM test LMDB (no drop_last, unlike upstream's loader, spec §9). Predictions are the argmax of
// the eval-mode logits; one exact int64 confusion matrix over all samples (label 255 ignored);
// from it OA, AA (= mean recall), mIoU, mF1 and per-class IoU/F1/precision/recall with smp's
// zero_division = 1, or 0 with --strict. Reports as a terminal table, JSON, and a PNG of the
// row-normalised confusion matrix. The model computes in a precision (train/inference_weights.h:
// fp32 by default, as fine-tuning scores its test set with the fp32 master weights), recorded in
// the table's first line and the JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/ssl4eo_dataset.h"
#include "models/downstream.h"
#include "train/metrics.h"
#include "train/precision.h"

namespace cromss {

// A fine-tuned model read from a checkpoint: its flags from the checkpoint's config attribute,
// completed from its keys and shapes; input_type ("s1" or "s2") from the config, else the
// override, else "s2" unless the model has 2 input channels.
struct FinetunedModel {
  DownstreamConfig config;
  std::string input_type;
  std::unique_ptr<SegmentationModel> net;
};
FinetunedModel load_finetuned_model(const std::string& ckpt_path,
                                    const std::string& input_type_override = "");

// (1, C, H, W) float input of one sample for the model: S1's 2 bands or the model's S2 bands
// (data/sample_pipeline.h s2_band_indices), uint8 code / 255. ValueError naming `source` when
// the channels do not fit.
Tensor model_input(const data::DownstreamSample& sample, const std::string& input_type,
                   int64_t n_channels, const std::string& source);

struct Evaluation {
  std::string dataset;
  std::vector<std::string> class_names;
  std::vector<int64_t> confusion;  // row-major [target][prediction]
  ClassScores scores;
  int64_t samples = 0;
  bool strict = false;
  Precision precision = Precision::fp32;  // the dtype the model computed in
};

// Scores `net` on every sample of `data` in batches of up to `batch_size` (consecutive samples of
// equal size), on `device`, with inputs in compute_dtype(precision) (the weights must already be
// in it: train/inference_weights.h) and fp32 logits for the argmax. ValueError when the model's
// classes or channels do not fit the data.
Evaluation evaluate_model(SegmentationModel& net, const FinetunedModel& model,
                          const data::DownstreamDataset& data, int64_t batch_size, Device device,
                          bool strict, Precision precision = Precision::fp32);

// The scores of a confusion matrix, with names (OA, AA, mIoU, mF1 and per class).
Evaluation evaluation_from_confusion(const std::string& dataset,
                                     const std::vector<std::string>& class_names,
                                     const std::vector<int64_t>& confusion, bool strict);

std::string evaluation_table(const Evaluation& e);
nlohmann::json evaluation_json(const Evaluation& e);
// Rows = targets, columns = predictions, each row normalised to its pixel count (viridis).
void write_confusion_png(const std::string& path, const Evaluation& e);

}  // namespace cromss
