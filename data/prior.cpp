// CPU spatial-temporal prior (see prior.h). The blur is linear and zero planes stay zero, so
// classes absent from every season are skipped. Rows are blurred through a reflect-padded copy,
// columns by accumulating whole shifted rows (both loops vectorise).
#include "data/prior.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "kernels/prior.cuh"

namespace cromss::data {

PriorType parse_prior_type(const std::string& s) {
  if (s == "t") return PriorType::Temporal;
  if (s == "s") return PriorType::Spatial;
  if (s == "ts") return PriorType::TemporalSpatial;
  CROMSS_THROW(ValueError, "--label_smoothing_prior_type must be t, s or ts, got '{}'", s);
}

namespace {

struct Taps {
  float w[kPriorTaps];
  Taps() { gaussian_taps(w); }
};
const Taps& taps() {
  static const Taps t;
  return t;
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

}  // namespace

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

void compute_prior(const uint8_t* labels, int seasons, int height, int width, int season,
                   PriorType type, int n_classes, float* out) {
  CROMSS_CHECK(season >= 0 && season < seasons, "compute_prior: season {} outside 0..{}", season,
               seasons - 1);
  const size_t hw = static_cast<size_t>(height) * width;
  std::vector<float> scratch(hw);
  std::vector<float> temporal;
  const bool want_t = type != PriorType::Spatial;
  const bool want_s = type != PriorType::Temporal;
  std::fill(out, out + n_classes * hw, 0.f);
  if (want_t) temporal.assign(n_classes * hw, 0.f);
  std::vector<bool> present_t(n_classes, false), present_s(n_classes, false);
  const float inv_seasons = 1.f / static_cast<float>(seasons);
  for (int s = 0; s < seasons; ++s) {
    const uint8_t* l = labels + s * hw;
    for (size_t i = 0; i < hw; ++i) {
      const int c = l[i];
      if (c >= n_classes) continue;
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
  if (want_s) {
    for (int c = 0; c < n_classes; ++c)
      if (present_s[c]) blur_plane(out + c * hw, height, width, scratch.data());
    normalise(out, n_classes, hw);
  }
  if (want_t) {
    for (int c = 0; c < n_classes; ++c)
      if (present_t[c]) blur_plane(temporal.data() + c * hw, height, width, scratch.data());
    normalise(temporal.data(), n_classes, hw);
    if (want_s) {
      for (size_t i = 0; i < n_classes * hw; ++i) out[i] = 0.5f * (out[i] + temporal[i]);
    } else {
      std::copy(temporal.begin(), temporal.end(), out);
    }
  }
}

}  // namespace cromss::data
