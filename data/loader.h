// Multi-threaded pretraining loader: worker threads (std::thread) read locations by key, run the
// per-sample pipeline (data/sample_pipeline.h) and fill whole batches in pinned host buffers
// (core/allocator.h PinnedBuffer, ready for asynchronous host-to-device copies); a bounded
// prefetch queue hands batches to the consumer strictly in order. The sample order is
// epoch_order(items, seed, epoch, rank, world_size) (data/sampler.h) and each sample's random
// choices are keyed by (seed, epoch, dataset index), so batches do not depend on thread count or
// timing. With skip_bad_samples a bad location is counted, reported and replaced by the next
// readable index (index + 1, + 2, ... modulo N); otherwise its error reaches the consumer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/allocator.h"
#include "data/sample_pipeline.h"
#include "data/ssl4eo_dataset.h"

namespace cromss::data {

struct LoaderOptions {
  size_t batch_size = 16;
  uint64_t seed = 0;
  int rank = 0, world_size = 1;
  int workers = 2;
  int prefetch = 2;  // ready batches kept beyond one per worker
  bool shuffle = true;
  bool drop_last = true;
  bool skip_bad_samples = false;
  // Hand-off for a prior built on the compute device (pretraining's --prior_on_device): also
  // export each sample's 4 full-tile label maps, drawn season and warp row (Batch::tile_labels,
  // tile_seasons, warps); with pipeline.with_prior off the loader then only decodes and crops and
  // DeviceBatchUploader builds the prior (engine/ops/label_prior.h warped_label_prior).
  bool export_tile_labels = false;
  PipelineOptions pipeline;
};

// One batch in pinned host memory. Labels are uint8 class ids (255 = ignore) to keep the copy
// small; widen to int64 on the device.
struct Batch {
  size_t batch = 0;  // samples in this batch
  int channels = 0, size = 0;
  uint64_t epoch = 0, number = 0;
  std::vector<size_t> indices;  // dataset index of each sample
  PinnedBuffer img;             // float32 (batch, channels, size, size): S1 then S2
  PinnedBuffer labels;          // uint8 (batch, size, size) noisy labels
  PinnedBuffer clean_labels;    // uint8 (batch, size, size); bytes() == 0 without clean labels
  PinnedBuffer prior;           // float32 (batch, 9, size, size); bytes() == 0 without prior
  PinnedBuffer tile_labels;     // uint8 (batch, 4, tile, tile) when export_tile_labels
  PinnedBuffer tile_seasons;    // int32 (batch): seasons, when export_tile_labels
  PinnedBuffer warps;           // float64 (batch, kWarpFields): data::warp_row of augment
  int tile = 0;
  PriorType tile_prior_type = PriorType::ts;  // the prior to build from tile_labels
  std::vector<int> seasons;                   // drawn season s* of each sample
  std::vector<AugmentParams> augment;         // crop/flip/rotation of each sample
  float* img_data() const { return static_cast<float*>(img.data()); }
  uint8_t* label_data() const { return static_cast<uint8_t*>(labels.data()); }
  uint8_t* clean_label_data() const { return static_cast<uint8_t*>(clean_labels.data()); }
  float* prior_data() const { return static_cast<float*>(prior.data()); }
};

class Loader {
 public:
  Loader(const PretrainDataset& dataset, std::vector<size_t> items, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Begins an epoch (abandons what is left of the previous one) at batch `first_batch`: a
  // resumed run skips the batches it already trained on without reading them (every sample's
  // randomness is keyed by seed, epoch and index, so the remaining batches are unchanged).
  void start_epoch(uint64_t epoch, size_t first_batch = 0);
  size_t batches_per_epoch() const {
    return order_.size() / opt_.batch_size + (order_.size() % opt_.batch_size != 0);
  }
  const std::vector<size_t>& epoch_indices() const { return order_; }
  // Moves the next batch of the epoch into `out` (recycling out's buffers); false at epoch end.
  bool next(Batch& out);
  uint64_t bad_samples() const { return bad_samples_.load(); }
  std::vector<std::string> bad_sample_messages() const;

 private:
  void worker_main(int worker);
  void produce(size_t number, uint64_t epoch, Batch& b, PipelineScratch& scratch,
               LocationData& loc);
  void ensure_buffers(Batch& b, size_t n) const;

  const PretrainDataset& ds_;
  std::vector<size_t> items_;
  LoaderOptions opt_;
  std::vector<size_t> order_;

  mutable std::mutex mu_;
  std::condition_variable cv_work_, cv_ready_;
  bool stop_ = false;
  uint64_t generation_ = 0, epoch_ = 0;
  size_t next_to_produce_ = 0, next_to_consume_ = 0, active_ = 0;
  std::map<size_t, Batch> ready_;
  std::vector<Batch> free_;
  std::map<size_t, std::exception_ptr> errors_;  // by batch number, raised in order
  std::atomic<uint64_t> bad_samples_{0};
  std::vector<std::string> bad_messages_;
  std::vector<std::thread> threads_;
};

}  // namespace cromss::data
