// CPU spatial-temporal label prior (method-spec.md §3.1): per sample and class, the temporal
// frequency F_c = (1/S) sum_s [Y_s = c] and the spatial one-hot O_c = [Y_s* = c] are blurred with
// scipy's gaussian_filter (kernels/prior.cuh: sigma 3, truncate 4, reflect; separable, float32),
// renormalised over classes, then mixed. The blur is linear and zero planes stay zero, so classes
// absent from every season are skipped. Rows are blurred through a reflect-padded copy, columns
// by accumulating whole shifted rows (both loops vectorise). This is the one CPU implementation:
// the data pipeline (data/prior.h) and `cromss objective` (train/label_prior.h) both call it.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cromss_prior.h"
#include "kernels/prior.cuh"

namespace cromss::cpu_kernels {
namespace {

struct Taps {
  float w[kPriorTaps];
  Taps() { gaussian_taps(w); }
};
const Taps& taps() {
  static const Taps t;
  return t;
}

// In-place separable blur of one (H, W) plane; scratch holds H*W floats.
void blur_plane(float* plane, int height, int width, float* scratch) {
  const float* w = taps().w;
  std::vector<float> padded(static_cast<size_t>(width) + 2 * kPriorRadius);
  for (int y = 0; y < height; ++y) {  // rows (axis 1) into scratch
    const float* row = plane + static_cast<size_t>(y) * width;
    for (int x = -kPriorRadius; x < width + kPriorRadius; ++x)
      padded[x + kPriorRadius] = row[reflect_index(x, width)];
    float* o = scratch + static_cast<size_t>(y) * width;
    std::fill(o, o + width, 0.f);
    for (int k = 0; k < kPriorTaps; ++k) {
      const float wk = w[k];
      const float* src = padded.data() + k;
      for (int x = 0; x < width; ++x) o[x] += wk * src[x];
    }
  }
  for (int y = 0; y < height; ++y) {  // columns (axis 0) back into plane
    float* o = plane + static_cast<size_t>(y) * width;
    std::fill(o, o + width, 0.f);
    for (int k = 0; k < kPriorTaps; ++k) {
      const float* src =
          scratch + static_cast<size_t>(reflect_index(y + k - kPriorRadius, height)) * width;
      const float wk = w[k];
      for (int x = 0; x < width; ++x) o[x] += wk * src[x];
    }
  }
}

// Renormalises the class planes so that each pixel sums to 1 (pixels summing to 0 stay 0).
void normalise(float* planes, int n_classes, size_t hw) {
  for (size_t i = 0; i < hw; ++i) {
    float s = 0.f;
    for (int c = 0; c < n_classes; ++c) s += planes[c * hw + i];
    if (s > 0.f) {
      const float inv = 1.f / s;
      for (int c = 0; c < n_classes; ++c) planes[c * hw + i] *= inv;
    }
  }
}

// Blurs the present class planes and renormalises them.
void blur_and_normalise(float* planes, const std::vector<bool>& present, int n_classes, int height,
                        int width, float* scratch) {
  const size_t hw = static_cast<size_t>(height) * width;
  for (int c = 0; c < n_classes; ++c)
    if (present[c]) blur_plane(planes + c * hw, height, width, scratch);
  normalise(planes, n_classes, hw);
}

template <typename Label>
void prior_sample(const Label* labels, int seasons, int height, int width, int season,
                  int n_classes, float mix_t, float mix_s, float* out) {
  const size_t hw = static_cast<size_t>(height) * width;
  std::vector<float> scratch(hw);
  std::vector<float> temporal;
  const bool want_t = mix_t != 0.f;
  const bool want_s = mix_s != 0.f;
  std::fill(out, out + n_classes * hw, 0.f);
  if (want_t) temporal.assign(n_classes * hw, 0.f);
  std::vector<bool> present_t(n_classes, false), present_s(n_classes, false);
  const float inv_seasons = 1.f / static_cast<float>(seasons);
  for (int s = 0; s < seasons; ++s) {
    const Label* l = labels + s * hw;
    for (size_t i = 0; i < hw; ++i) {
      const int c = static_cast<int>(l[i]);
      if (c < 0 || c >= n_classes) continue;
      if (want_t) {
        temporal[c * hw + i] += inv_seasons;
        present_t[c] = true;
      }
      if (want_s && s == season) {
        out[c * hw + i] = 1.f;
        present_s[c] = true;
      }
    }
  }
  if (want_s) blur_and_normalise(out, present_s, n_classes, height, width, scratch.data());
  if (want_t) {
    blur_and_normalise(temporal.data(), present_t, n_classes, height, width, scratch.data());
    if (want_s) {
      for (size_t i = 0; i < n_classes * hw; ++i) out[i] = mix_s * out[i] + mix_t * temporal[i];
    } else {
      for (size_t i = 0; i < n_classes * hw; ++i) out[i] = mix_t * temporal[i];
    }
  }
}

}  // namespace

void label_prior_sample(const uint8_t* labels, int seasons, int height, int width, int season,
                        int n_classes, float mix_t, float mix_s, float* out) {
  prior_sample(labels, seasons, height, width, season, n_classes, mix_t, mix_s, out);
}

void label_prior(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                 int W, float mix_t, float mix_s, float* prior) {
  const int64_t sample_labels = int64_t(S) * H * W, sample_prior = int64_t(C) * H * W;
#pragma omp parallel for schedule(dynamic)
  for (int64_t b = 0; b < B; ++b)
    prior_sample(seasons + b * sample_labels, S, H, W, season[b], C, mix_t, mix_s,
                 prior + b * sample_prior);
}

}  // namespace cromss::cpu_kernels
