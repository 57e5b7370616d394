// See data/downstream_batch.h.
#include "data/downstream_batch.h"

#include <algorithm>
#include <exception>
#include <thread>

#include "core/error.h"
#include "core/random.cuh"
#include "data/augment.h"
#include "data/sample_pipeline.h"

namespace cromss::data {
namespace {

void fit(PinnedBuffer& buf, size_t bytes) {
  if (buf.bytes() < bytes) buf = PinnedBuffer(bytes);
}

void fill_sample(const DownstreamDataset& dataset, size_t index, const std::vector<int>& bands,
                 const DownstreamBatchOptions& o, uint64_t epoch, int size, float* img,
                 uint8_t* label, AugmentParams* params) {
  DownstreamSample s;
  dataset.read(index, s);
  const std::string source = dataset.path() + " sample " + std::to_string(index);
  CROMSS_CHECK(s.height == s.width, "{}: fine-tuning tiles must be square, got {}x{}", source,
               s.height, s.width);
  CROMSS_CHECK(s.height >= size, "{}: the tile is {}x{}, smaller than --crop_size {}", source,
               s.height, s.width, size);
  CROMSS_CHECK(o.crop > 0 || s.height == size,
               "{}: the tile is {}x{} but the batch's first tile is {}x{} (whole tiles without "
               "--crop_size must share one size)",
               source, s.height, s.width, size, size);
  const uint64_t stream = sample_stream(o.seed, epoch, index);
  double u[6];
  for (int k = 0; k < 6; ++k) u[k] = uniform_double(stream, k);
  *params = draw_augment(s.height, size, u, o.augment);
  AugmentPlan plan;
  plan.build(*params);
  const size_t tile_hw = size_t(s.height) * size_t(s.width), out_hw = size_t(size) * size_t(size);
  const std::vector<uint8_t>& code = o.input_type == "s1" ? s.s1 : s.s2;
  for (size_t k = 0; k < bands.size(); ++k)
    plan.apply(code.data() + size_t(bands[k]) * tile_hw, 1.f / 255.f, img + k * out_hw);
  plan.apply_nearest(s.label.data(), label);
}

}  // namespace

std::vector<int> model_input_bands(const std::string& input_type, int64_t n_channels,
                                   const std::string& source) {
  if (input_type == "s1") {
    CROMSS_CHECK(n_channels == 2, "{}: an S1 model needs 2 input channels, this one has {}", source,
                 n_channels);
    return {0, 1};
  }
  CROMSS_CHECK(input_type == "s2", "--input_type '{}': expected s1 or s2", input_type);
  CROMSS_CHECK(n_channels == 13 || n_channels == 12 || n_channels == 9 || n_channels == 3,
               "{}: the model has {} input channels, which is no S2 band set (13, 12, 9 or 3)",
               source, n_channels);
  return s2_band_indices(int(n_channels));
}

void make_downstream_batch(const DownstreamDataset& dataset, const std::vector<size_t>& indices,
                           const DownstreamBatchOptions& o, uint64_t epoch, Batch& out) {
  CROMSS_CHECK(!indices.empty(), "fine-tuning batch: no samples");
  const std::vector<int> bands = model_input_bands(o.input_type, o.n_channels, dataset.path());
  int size = o.crop;
  if (size == 0) {
    DownstreamSample first;
    dataset.read(indices.front(), first);
    size = first.height;
  }
  const size_t n = indices.size(), hw = size_t(size) * size_t(size);
  fit(out.img, n * bands.size() * hw * sizeof(float));
  fit(out.labels, n * hw);
  out.clean_labels = PinnedBuffer();
  out.prior = PinnedBuffer();
  out.batch = n;
  out.channels = int(bands.size());
  out.size = size;
  out.tile = 0;
  out.epoch = epoch;
  out.indices = indices;
  out.seasons.assign(n, 0);
  out.augment.assign(n, AugmentParams{});
  const int workers = std::clamp(o.workers, 1, int(n));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  auto work = [&](int w) {
    try {
      for (size_t k = size_t(w); k < n; k += size_t(workers))
        fill_sample(dataset, indices[k], bands, o, epoch, size,
                    out.img_data() + k * bands.size() * hw, out.label_data() + k * hw,
                    &out.augment[k]);
    } catch (...) {
      errors[size_t(w)] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace cromss::data
