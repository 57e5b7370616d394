// Batches of a fine-tuning dataset (spec §7.2): per sample the model's input bands (S1's 2, or
// the S2 bands of --n_channels, data/sample_pipeline.h s2_band_indices) as uint8 code / 255 and
// the label, moved together by the augmentation of data/augment.h: RandomCrop to `crop` (0: the
// whole tile, DFC2020), Flip (p 0.5), Rotate (p 0.2, +-90 degrees), drawn from the counter-based
// stream of (seed, epoch, dataset index) (sample_stream: a sample is a pure function of those).
// Labels are nearest-sampled (ignore 255 moves with them). Samples must be square tiles of one
// size, at least `crop`. The result is a data::Batch (img = the model input, labels), so
// data/device_batch.h moves it to the device as it does pretraining batches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/loader.h"
#include "data/ssl4eo_dataset.h"

namespace cromss::data {

// Indices into DownstreamSample::s1 ("s1": VV, VH) or ::s2 ("s2": --n_channels bands) of the
// model's input channels. ValueError naming `source` when n_channels fits neither.
std::vector<int> model_input_bands(const std::string& input_type, int64_t n_channels,
                                   const std::string& source);

struct DownstreamBatchOptions {
  std::string input_type = "s2";  // s1 | s2
  int64_t n_channels = 13;
  int crop = 0;  // 0: whole tiles
  bool augment = true;
  uint64_t seed = 0;
  int workers = 1;  // threads filling the batch's samples
};

// Fills `out` (its pinned buffers reused when large enough) with the samples `indices`.
// IoError/ValueError naming the LMDB and sample for unreadable or ill-sized samples.
void make_downstream_batch(const DownstreamDataset& dataset, const std::vector<size_t>& indices,
                           const DownstreamBatchOptions& options, uint64_t epoch, Batch& out);

}  // namespace cromss::data
