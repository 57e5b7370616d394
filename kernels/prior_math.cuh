// Shared math of the spatial-temporal label prior (spec §3.1): the 25 Gaussian taps of scipy's
// gaussian_filter with sigma 3, truncate 4 (radius int(4 * 3 + 0.5) = 12, weights proportional to
// exp(-k^2 / 18), normalised to sum 1, computed in double as scipy does) and scipy's 'reflect'
// boundary (half-sample symmetric: "d c b a | a b c d | d c b a"). Used by the CPU prior
// (train/label_prior.cpp) and the CUDA blur (kernels/cuda/prior_blur.cu).
#pragma once

#include <math.h>

#include "engine/hd.h"

namespace cromss {

constexpr int kPriorRadius = 12;
constexpr int kPriorTaps = 2 * kPriorRadius + 1;
constexpr double kPriorSigma = 3.0;

// Maps any integer index onto 0..n-1 by half-sample symmetric reflection, for any distance from
// the border (also when the radius exceeds n).
CROMSS_HD int reflect_index(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// taps[k + 12] = exp(-k^2 / (2 sigma^2)) / sum, k = -12..12.
CROMSS_HD void gaussian_taps(float* taps) {
  double w[kPriorTaps];
  double sum = 0.0;
  for (int k = -kPriorRadius; k <= kPriorRadius; ++k) {
    w[k + kPriorRadius] = exp(-0.5 / (kPriorSigma * kPriorSigma) * double(k) * double(k));
    sum += w[k + kPriorRadius];
  }
  for (int k = 0; k < kPriorTaps; ++k) taps[k] = float(w[k] / sum);
}

}  // namespace cromss
