// Synthetic scene model (see synth.h and docs/data.md). Units: S1 in dB, S2 in L1C DN
// (reflectance x 10000). Random draws: uniform_float(stream(seed, location, purpose), counter).
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/random.cuh"
#include "data/ssl4eo_stats.h"
#include "data/synth.h"

namespace cromss::data {
namespace {

enum Purpose : uint64_t {
  kSites = 1,
  kWarp,
  kSeason,
  kSpeckle,
  kS2Noise,
  kIllum,
  kNoiseShift,
  kNoiseConf,
  kNoiseFlip
};

uint64_t stream(uint64_t seed, int64_t loc, uint64_t purpose, uint64_t sub = 0) {
  return mix64(seed * 0x9e3779b97f4a7c15ull ^
               mix64(static_cast<uint64_t>(loc) * 0x100000001b3ull + purpose * 0x1f3 + sub));
}

// Class shares near the SSL4EO-S12@NoL label shares (method-spec.md §6.1); flooded vegetation and
// snow are rare but present.
constexpr double kShares[kDwClasses] = {0.15, 0.14, 0.06, 0.01, 0.22, 0.10, 0.08, 0.21, 0.03};

// S2 L1C DN per class and band (B1 B2 B3 B4 B5 B6 B7 B8 B8A B9 B10 B11 B12).
constexpr float kSpectra[kDwClasses][kS2Bands] = {
    {1400, 1200, 1000, 800, 700, 600, 550, 500, 450, 300, 15, 300, 200},          // water
    {1300, 1000, 900, 700, 1100, 2200, 2600, 2700, 2800, 900, 20, 1500, 800},     // trees
    {1400, 1150, 1100, 1000, 1400, 2200, 2500, 2600, 2700, 900, 20, 2200, 1400},  // grass
    {1350, 1100, 1000, 850, 1000, 1600, 1800, 1900, 1950, 700, 18, 1200,
     700},  // flooded vegetation
    {1450, 1200, 1200, 1100, 1500, 2400, 2800, 2900, 3000, 950, 22, 2400, 1600},   // crops
    {1500, 1300, 1350, 1400, 1700, 2000, 2200, 2250, 2350, 850, 22, 2700, 2000},   // shrub & scrub
    {1700, 1600, 1600, 1700, 1800, 1900, 2000, 2050, 2100, 800, 25, 2600, 2200},   // built area
    {1800, 1800, 2000, 2400, 2600, 2800, 2900, 3000, 3100, 1000, 30, 3600, 3000},  // bare ground
    {5000, 5000, 5000, 5000, 5000, 4800, 4600, 4500, 4300, 2000, 60, 800, 600},    // snow & ice
};
// S1 backscatter (VV, VH) in dB per class.
constexpr float kBackscatter[kDwClasses][kS1Bands] = {{-22, -28}, {-7, -13},  {-10, -17},
                                                      {-6, -15},  {-9, -16},  {-9, -16.5},
                                                      {-3, -10},  {-13, -22}, {-11, -19}};
// Vegetation vigour per season (spring, summer, autumn, winter): scales red-edge/NIR bands.
constexpr float kVigour[kSeasons] = {0.95f, 1.1f, 1.0f, 0.75f};
// Similar-class confusion partners (noise model): the wrong class a region is relabelled to.
constexpr int kConfusion[kDwClasses][2] = {{3, 3}, {5, 2}, {4, 5}, {0, 2}, {2, 7},
                                           {2, 1}, {7, 7}, {6, 4}, {7, 7}};

float uni(uint64_t s, uint64_t i) {
  return uniform_float(s, i);
}

// Smooth value noise in [-1, 1] on a lattice of spacing `cell`, smoothstep-interpolated.
float value_noise(uint64_t s, float y, float x, float cell) {
  const float gy = y / cell, gx = x / cell;
  const int iy = static_cast<int>(std::floor(gy)), ix = static_cast<int>(std::floor(gx));
  const float fy = gy - iy, fx = gx - ix;
  const float sy = fy * fy * (3 - 2 * fy), sx = fx * fx * (3 - 2 * fx);
  auto at = [&](int a, int b) {
    return 2.f * uni(s, static_cast<uint64_t>(a + 4096) * 8192 + static_cast<uint64_t>(b + 4096)) -
           1.f;
  };
  const float top = at(iy, ix) + sx * (at(iy, ix + 1) - at(iy, ix));
  const float bot = at(iy + 1, ix) + sx * (at(iy + 1, ix + 1) - at(iy + 1, ix));
  return top + sy * (bot - top);
}

int draw_class(float u) {
  double acc = 0;
  for (int c = 0; c < kDwClasses; ++c) {
    acc += kShares[c];
    if (u < acc) return c;
  }
  return kDwClasses - 1;
}

// Unit-mean gamma(4) speckle: 4 exponentials from the four 16-bit parts of one 64-bit draw
// (the product of 4 uniforms, one logarithm).
float speckle4(uint64_t s, uint64_t i) {
  const uint64_t r = random_bits(s, i);
  float prod = 1.f;
  for (int k = 0; k < 4; ++k)
    prod *= (static_cast<float>((r >> (16 * k)) & 0xffff) + 0.5f) * (1.f / 65536.f);
  return -std::log(prod) * 0.25f;
}

// Approximately standard normal: Irwin-Hall sum of the four 16-bit parts of one 64-bit draw.
float gauss(uint64_t s, uint64_t i) {
  const uint64_t r = random_bits(s, i);
  float acc = 0;
  for (int k = 0; k < 4; ++k)
    acc += (static_cast<float>((r >> (16 * k)) & 0xffff) + 0.5f) * (1.f / 65536.f);
  return (acc - 2.f) * 1.7320508f;
}

struct Sites {
  std::vector<float> y, x;
  std::vector<int> cls;
};

// Region index per pixel: nearest site after a smooth domain warp (irregular boundaries).
std::vector<int> region_map(const Sites& sites, int size, uint64_t warp_stream, float amplitude) {
  std::vector<int> out(static_cast<size_t>(size) * size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float wy = y + amplitude * value_noise(warp_stream, y, x, 48.f);
      const float wx = x + amplitude * value_noise(warp_stream ^ 0x55, y, x, 48.f);
      float best = 1e30f;
      int arg = 0;
      for (size_t k = 0; k < sites.y.size(); ++k) {
        const float dy = wy - sites.y[k], dx = wx - sites.x[k];
        const float d = dy * dy + dx * dx;
        if (d < best) {
          best = d;
          arg = static_cast<int>(k);
        }
      }
      out[static_cast<size_t>(y) * size + x] = arg;
    }
  }
  return out;
}

}  // namespace

SynthLocation synth_location(uint64_t seed, int64_t index, int size, double noise) {
  CROMSS_CHECK(size >= 16, "synth: --size must be at least 16, got {}", size);
  CROMSS_CHECK(noise >= 0.0 && noise <= 1.0, "synth: --noise must be in [0, 1], got {}", noise);
  SynthLocation loc;
  loc.size = size;
  const size_t hw = static_cast<size_t>(size) * size;
  const float scale = size / 264.f;

  // Regions: 12..35 sites with classes drawn from the shares.
  const uint64_t ss = stream(seed, index, kSites);
  Sites sites;
  const int n_sites = 12 + static_cast<int>(uni(ss, 0) * 24);
  for (int k = 0; k < n_sites; ++k) {
    sites.y.push_back(uni(ss, 1 + 3 * k) * size);
    sites.x.push_back(uni(ss, 2 + 3 * k) * size);
    sites.cls.push_back(draw_class(uni(ss, 3 + 3 * k)));
  }
  const bool cold = uni(ss, 999) < 0.15f;  // snow in winter on grass/bare/shrub regions
  const std::vector<int> regions =
      region_map(sites, size, stream(seed, index, kWarp), 18.f * scale);

  // Seasonal clean classes per region: crops harvested to bare in winter (and some in autumn),
  // water flooding vegetation in spring, snow cover in winter at cold locations.
  const uint64_t sea = stream(seed, index, kSeason);
  std::vector<int> season_cls(kSeasons * n_sites);
  for (int s = 0; s < kSeasons; ++s) {
    for (int k = 0; k < n_sites; ++k) {
      int c = sites.cls[k];
      const float u = uni(sea, s * 1000 + k);
      if (c == 4 && ((s == 3 && u < 0.6f) || (s == 2 && u < 0.25f)))
        c = 7;
      else if (c == 2 && s == 0 && u < 0.15f)
        c = 3;
      else if (cold && s == 3 && (c == 2 || c == 5 || c == 7) && u < 0.7f)
        c = 8;
      season_cls[s * n_sites + k] = c;
    }
  }
  loc.clean.resize(kSeasons * hw);
  for (int s = 0; s < kSeasons; ++s)
    for (size_t i = 0; i < hw; ++i)
      loc.clean[s * hw + i] = static_cast<uint8_t>(season_cls[s * n_sites + regions[i]]);

  // Images. Per pixel texture and per-location illumination add within-class variation.
  loc.s1_db.resize(kSeasons * kS1Bands * hw);
  loc.s2_dn.resize(kSeasons * kS2Bands * hw);
  const uint64_t il = stream(seed, index, kIllum);
  for (int s = 0; s < kSeasons; ++s) {
    const float gain = 0.9f + 0.2f * uni(il, s);
    const uint64_t sp = stream(seed, index, kSpeckle, s), sn = stream(seed, index, kS2Noise, s);
    const uint64_t tex = stream(seed, index, kIllum, 100 + s);
    for (size_t i = 0; i < hw; ++i) {
      const int c = loc.clean[s * hw + i];
      const float y = static_cast<float>(i / size), x = static_cast<float>(i % size);
      const float t = 0.06f * value_noise(tex, y, x, 20.f * scale + 1.f);
      const bool veg = c >= 1 && c <= 5;
      for (int b = 0; b < kS2Bands; ++b) {
        float v = kSpectra[c][b] * gain * (1.f + t);
        if (veg && b >= 5 && b <= 8) v *= kVigour[s];
        v *= 1.f + 0.04f * gauss(sn, i * kS2Bands + b);
        loc.s2_dn[(s * kS2Bands + b) * hw + i] = std::max(v, 1.f);
      }
      for (int b = 0; b < kS1Bands; ++b) {
        float db = kBackscatter[c][b] + 15.f * t;  // +-0.9 dB texture
        if (c == 4 && s == 1) db += 1.5f;
        db += 10.f * std::log10(std::max(speckle4(sp, i * kS1Bands + b), 1e-4f));
        loc.s1_db[(s * kS1Bands + b) * hw + i] = db;
      }
    }
  }

  // Noise model (docs/data.md): intensity k = noise / 0.3 scales every mechanism.
  const float k = static_cast<float>(noise / 0.3);
  loc.noisy.resize(kSeasons * hw);
  for (int s = 0; s < kSeasons; ++s) {
    // 1. Boundary shift: the noisy map samples the clean one at smoothly displaced positions.
    const uint64_t sh = stream(seed, index, kNoiseShift, s);
    const float amp = 8.f * k * scale;
    // 2. Confusion: each region is relabelled to a similar class with probability 0.25 k.
    const uint64_t cf = stream(seed, index, kNoiseConf, s);
    std::vector<int> conf_cls(n_sites);
    for (int r = 0; r < n_sites; ++r) {
      const int c = season_cls[s * n_sites + r];
      conf_cls[r] =
          uni(cf, 2 * r) < 0.25f * k ? kConfusion[c][uni(cf, 2 * r + 1) < 0.5f ? 0 : 1] : c;
    }
    // 3. Region flips: 0..2k elliptic blobs relabelled to a random class.
    const uint64_t fl = stream(seed, index, kNoiseFlip, s);
    const int n_flips = static_cast<int>(std::floor(uni(fl, 0) * (2.f * k + 1.f)));
    for (size_t i = 0; i < hw; ++i) {
      const int y = static_cast<int>(i / size), x = static_cast<int>(i % size);
      const int yy =
          std::clamp(static_cast<int>(std::lround(y + amp * value_noise(sh, y, x, 32.f * scale))),
                     0, size - 1);
      const int xx = std::clamp(
          static_cast<int>(std::lround(x + amp * value_noise(sh ^ 0x77, y, x, 32.f * scale))), 0,
          size - 1);
      const size_t j = static_cast<size_t>(yy) * size + xx;
      int c = conf_cls[regions[j]];
      for (int f = 0; f < n_flips; ++f) {
        const float cy = uni(fl, 10 + 5 * f) * size, cx = uni(fl, 11 + 5 * f) * size;
        const float ry = (10.f + 30.f * uni(fl, 12 + 5 * f)) * scale,
                    rx = (10.f + 30.f * uni(fl, 13 + 5 * f)) * scale;
        const float dy = (y - cy) / ry, dx = (x - cx) / rx;
        if (dy * dy + dx * dx < 1.f)
          c = static_cast<int>(uni(fl, 14 + 5 * f) * kDwClasses) % kDwClasses;
      }
      loc.noisy[s * hw + i] = static_cast<uint8_t>(c);
    }
  }
  return loc;
}

}  // namespace cromss::data
