// A hand-filled loader Batch (pinned buffers with known values) for upload tests.
#pragma once

#include "data/loader.h"

namespace cromss::test {

inline data::Batch make_test_batch(size_t n, int channels, int size, bool with_prior) {
  data::Batch b;
  b.batch = n;
  b.channels = channels;
  b.size = size;
  const size_t hw = static_cast<size_t>(size) * size;
  b.img = PinnedBuffer(n * channels * hw * sizeof(float));
  b.labels = PinnedBuffer(n * hw);
  b.clean_labels = PinnedBuffer(n * hw);
  if (with_prior) b.prior = PinnedBuffer(n * 9 * hw * sizeof(float));
  for (size_t i = 0; i < n * channels * hw; ++i) b.img_data()[i] = 0.001f * static_cast<float>(i);
  for (size_t i = 0; i < n * hw; ++i) {
    b.label_data()[i] = static_cast<uint8_t>(i % 9);
    b.clean_label_data()[i] = static_cast<uint8_t>((i + 1) % 9);
  }
  if (with_prior)
    for (size_t i = 0; i < n * 9 * hw; ++i) b.prior_data()[i] = 1.0f / 9.0f + 1e-6f * (i % 7);
  return b;
}

}  // namespace cromss::test
