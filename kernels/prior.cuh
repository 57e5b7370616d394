// Shared math of the spatial-temporal prior (method-spec.md §3.1): the 25 Gaussian taps (sigma 3,
// truncate 4 -> radius int(4*3 + 0.5) = 12, weights proportional to exp(-k^2 / 18), normalised to
// sum 1, computed in double like scipy) and scipy's 'reflect' border (half-sample symmetric,
// "d c b a | a b c d | d c b a", periodic with period 2n, so any offset is valid). Used by the
// CPU prior (kernels/cpu/cromss_prior.cpp) and the CUDA blur kernel; keep this header small and
// stable.
#pragma once

#include <math.h>

#include "core/hd.h"

namespace cromss {

constexpr int kPriorRadius = 12;
constexpr int kPriorTaps = 2 * kPriorRadius + 1;
constexpr double kPriorSigma = 3.0;

// Source index for position i of a length-n axis under scipy mode 'reflect'.
CROMSS_HD int reflect_index(int i, int n) {
  const int period = 2 * n;
  int m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

// taps[k] is the weight of offset k - kPriorRadius (symmetric).
CROMSS_HD void gaussian_taps(float* taps /* kPriorTaps */) {
  double w[kPriorTaps];
  double sum = 0.0;
  for (int k = 0; k < kPriorTaps; ++k) {
    const double x = static_cast<double>(k - kPriorRadius);
    w[k] = exp(-0.5 * x * x / (kPriorSigma * kPriorSigma));
    sum += w[k];
  }
  for (int k = 0; k < kPriorTaps; ++k) taps[k] = static_cast<float>(w[k] / sum);
}

}  // namespace cromss
