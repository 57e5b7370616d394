// Radix selection of the k-th largest value per class (method-spec.md §4.4 thresholds) without
// sorting the batch: confidences are non-negative floats, whose IEEE-754 bit patterns order like
// the values as unsigned integers. Four passes over 8-bit digits, most significant first: each pass
// builds a histogram per class of the digit of the values whose higher bits equal the prefix chosen
// so far, then select_digit walks the histogram from the top digit down to the bucket holding the
// k-th largest, narrowing the prefix and the rank left within it. After the last pass the prefix
// is the bit pattern of the k-th largest value exactly (ties included).
// Shared by the CUDA kernels (kernels/cuda/cromss_threshold.cu) and a CPU model of the algorithm
// that the CPU tests check against std::nth_element.
#pragma once

#include <stdint.h>
#include <string.h>

#include "core/hd.h"

namespace cromss {

constexpr int kRadixBits = 8;
constexpr int kRadixBuckets = 1 << kRadixBits;
constexpr int kRadixPasses = 32 / kRadixBits;

// Bit pattern of a non-negative float (0 for -0.0 and any non-positive value).
CROMSS_HD uint32_t ordered_bits(float v) {
  if (!(v > 0.f)) return 0u;
  uint32_t u;
  memcpy(&u, &v, sizeof(u));
  return u;
}

CROMSS_HD float float_from_bits(uint32_t u) {
  float v;
  memcpy(&v, &u, sizeof(v));
  return v;
}

// Shift of the digit examined in pass 0..kRadixPasses-1 (most significant first).
CROMSS_HD int radix_shift(int pass) {
  return 32 - kRadixBits * (pass + 1);
}

// True if the bits above this pass's digit equal those of the prefix.
CROMSS_HD bool radix_prefix_matches(uint32_t bits, uint32_t prefix, int pass) {
  const int high = radix_shift(pass) + kRadixBits;  // 8..32
  return high >= 32 ? true : (bits >> high) == (prefix >> high);
}

CROMSS_HD uint32_t radix_digit(uint32_t bits, int pass) {
  return (bits >> radix_shift(pass)) & uint32_t(kRadixBuckets - 1);
}

// Picks the digit of the bucket holding the `rank`-th largest (1-based) value of the histogram,
// from the largest digit down; on return `rank` is the rank within that bucket. Count is
// uint32_t on the device and int64_t for histograms summed over ranks on the host.
template <class Count>
CROMSS_HD uint32_t select_digit(const Count* hist, Count* rank) {
  Count above = 0;
  for (int d = kRadixBuckets - 1; d > 0; --d) {
    if (above + hist[d] >= *rank) {
      *rank -= above;
      return uint32_t(d);
    }
    above += hist[d];
  }
  *rank -= above;
  return 0u;
}

}  // namespace cromss
