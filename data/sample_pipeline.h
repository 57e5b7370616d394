// Per-sample pretraining pipeline of method-spec.md §6.3: season s* drawn uniformly, S2 band
// selection (13 / 12 without B10 / 9 = B2-B8,B11,B12 / 3 = B4,B3,B2), uint8 / 255, the §3.1 prior
// on the full tile, then joint crop/flip/rotation (data/augment.h) of image, prior and labels.
// Every random choice is a counter-based draw keyed by (seed, epoch, sample index), so a sample is
// a pure function of those and of the stored data.
#pragma once

#include <cstdint>
#include <vector>

#include "data/augment.h"
#include "data/prior.h"
#include "data/ssl4eo_dataset.h"

namespace cromss::data {

struct PipelineOptions {
  int n_channels = 13;  // S2 bands kept: 13, 12, 9 or 3
  int crop_size = 256;
  bool with_prior = true;  // --label_smoothing
  PriorType prior_type = PriorType::ts;
  bool augment = true;  // random crop/flip/rotation (upstream applies it to validation too)
};

std::vector<int> s2_band_indices(int n_channels);

struct Sample {
  int channels = 0, size = 0;
  std::vector<float> img;            // (2 + n_channels, size, size): S1 then S2
  std::vector<uint8_t> label;        // (size, size) noisy label of season s*
  std::vector<uint8_t> clean_label;  // (size, size) or empty
  std::vector<float> prior;          // (9, size, size) or empty
  int season = 0;
  AugmentParams aug;
};

// Reusable per-thread buffers.
struct PipelineScratch {
  std::vector<float> prior_full;
  AugmentPlan plan;
};

// The uniforms behind one sample's random choices: u[k] = uniform_double(stream, k).
uint64_t sample_stream(uint64_t seed, uint64_t epoch, uint64_t index);

// Writes into caller-provided outputs (img: (2+C, crop, crop); label; clean (may be null when the
// location has none); prior (null without prior)).
void make_pretrain_sample(const LocationData& loc, const PipelineOptions& opt, uint64_t seed,
                          uint64_t epoch, uint64_t index, PipelineScratch& scratch, float* img,
                          uint8_t* label, uint8_t* clean, float* prior,
                          AugmentParams* params_out = nullptr, int* season_out = nullptr);

// Convenience wrapper filling a Sample.
void make_pretrain_sample(const LocationData& loc, const PipelineOptions& opt, uint64_t seed,
                          uint64_t epoch, uint64_t index, Sample& out);

}  // namespace cromss::data
