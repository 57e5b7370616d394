// Per-sample pretraining pipeline (see sample_pipeline.h).
#include "data/sample_pipeline.h"

#include "core/error.h"
#include "core/random.cuh"
#include "data/ssl4eo_stats.h"

namespace cromss::data {

std::vector<int> s2_band_indices(int n_channels) {
  switch (n_channels) {
    case 13:
      return {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    case 12:
      return {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12};
    case 9:
      return {1, 2, 3, 4, 5, 6, 7, 11, 12};
    case 3:
      return {3, 2, 1};
    default:
      CROMSS_THROW(ValueError, "--n_channels must be 13, 12, 9 or 3, got {}", n_channels);
  }
}

uint64_t sample_stream(uint64_t seed, uint64_t epoch, uint64_t index) {
  return mix64(mix64(seed ^ 0x5ca1ab1eull) + mix64(epoch * 0x9e3779b97f4a7c15ull + 0x1234) +
               index * 0xd1b54a32d192ed03ull);
}

void make_pretrain_sample(const LocationData& loc, const PipelineOptions& opt, uint64_t seed,
                          uint64_t epoch, uint64_t index, PipelineScratch& scratch, float* img,
                          uint8_t* label, uint8_t* clean, float* prior, AugmentParams* params_out,
                          int* season_out) {
  CROMSS_CHECK(loc.height == loc.width, "pipeline: tiles must be square, got {}x{}", loc.height,
               loc.width);
  const int tile = loc.height;
  CROMSS_CHECK(opt.crop_size <= tile, "--crop_size {} exceeds the tile size {}", opt.crop_size,
               tile);
  const uint64_t st = sample_stream(seed, epoch, index);
  double u[7];
  for (int k = 0; k < 7; ++k) u[k] = uniform_double(st, k);
  const int season = static_cast<int>(u[0] * kSeasons);
  const AugmentParams p = draw_augment(tile, opt.crop_size, u + 1, opt.augment);
  scratch.plan.build(p);
  const size_t hw = static_cast<size_t>(tile) * tile;
  const size_t out_hw = static_cast<size_t>(opt.crop_size) * opt.crop_size;
  const float inv255 = 1.f / 255.f;
  for (int b = 0; b < kS1Bands; ++b)
    scratch.plan.apply(loc.s1.data() + (season * kS1Bands + b) * hw, inv255, img + b * out_hw);
  const std::vector<int> bands = s2_band_indices(opt.n_channels);
  for (size_t k = 0; k < bands.size(); ++k)
    scratch.plan.apply(loc.s2.data() + (season * kS2Bands + bands[k]) * hw, inv255,
                       img + (kS1Bands + k) * out_hw);
  scratch.plan.apply_nearest(loc.label.data() + season * hw, label);
  if (clean && !loc.clean_label.empty())
    scratch.plan.apply_nearest(loc.clean_label.data() + season * hw, clean);
  if (prior) {
    scratch.prior_full.resize(kDwClasses * hw);
    compute_prior(loc.label.data(), kSeasons, tile, tile, season, opt.prior_type, kDwClasses,
                  scratch.prior_full.data());
    for (int c = 0; c < kDwClasses; ++c)
      scratch.plan.apply(scratch.prior_full.data() + c * hw, prior + c * out_hw);
  }
  if (params_out) *params_out = p;
  if (season_out) *season_out = season;
}

void make_pretrain_sample(const LocationData& loc, const PipelineOptions& opt, uint64_t seed,
                          uint64_t epoch, uint64_t index, Sample& out) {
  PipelineScratch scratch;
  const size_t out_hw = static_cast<size_t>(opt.crop_size) * opt.crop_size;
  out.channels = kS1Bands + opt.n_channels;
  out.size = opt.crop_size;
  out.img.resize(out.channels * out_hw);
  out.label.resize(out_hw);
  out.clean_label.resize(loc.clean_label.empty() ? 0 : out_hw);
  out.prior.resize(opt.with_prior ? kDwClasses * out_hw : 0);
  make_pretrain_sample(loc, opt, seed, epoch, index, scratch, out.img.data(), out.label.data(),
                       out.clean_label.empty() ? nullptr : out.clean_label.data(),
                       opt.with_prior ? out.prior.data() : nullptr, &out.aug, &out.season);
}

}  // namespace cromss::data
