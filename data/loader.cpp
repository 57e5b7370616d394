// Pretraining loader (see loader.h).
#include "data/loader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "data/sampler.h"
#include "data/ssl4eo_stats.h"

namespace cromss::data {

Loader::Loader(const PretrainDataset& dataset, std::vector<size_t> items, LoaderOptions options)
    : ds_(dataset), items_(std::move(items)), opt_(options) {
  CROMSS_CHECK(opt_.workers >= 1, "loader: --num_workers must be >= 1, got {}", opt_.workers);
  CROMSS_CHECK(opt_.batch_size >= 1, "loader: batch size must be >= 1");
  for (size_t i : items_)
    CROMSS_CHECK(i < ds_.size(), "loader: index {} outside the dataset of {}", i, ds_.size());
  s2_band_indices(opt_.pipeline.n_channels);  // validates the band count early
  for (int w = 0; w < opt_.workers; ++w) threads_.emplace_back([this, w] { worker_main(w); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_work_.notify_all();
  for (auto& t : threads_) t.join();
}

void Loader::start_epoch(uint64_t epoch, size_t first_batch) {
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  cv_ready_.wait(lock, [&] { return active_ == 0; });  // workers finish their old-epoch batch
  for (auto& [n, b] : ready_) free_.push_back(std::move(b));
  ready_.clear();
  errors_.clear();
  epoch_ = epoch;
  order_ = epoch_order(items_, opt_.seed, epoch, opt_.rank, opt_.world_size, opt_.shuffle,
                       opt_.drop_last, opt_.batch_size);
  next_to_produce_ = next_to_consume_ = std::min(first_batch, batches_per_epoch());
  lock.unlock();
  cv_work_.notify_all();
}

std::vector<std::string> Loader::bad_sample_messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bad_messages_;
}

void Loader::ensure_buffers(Batch& b, size_t n) const {
  const auto& p = opt_.pipeline;
  const size_t hw = static_cast<size_t>(p.crop_size) * p.crop_size;
  const size_t max_n = opt_.batch_size;
  auto fit = [](PinnedBuffer& buf, size_t bytes) {
    if (buf.bytes() != bytes) buf = bytes ? PinnedBuffer(bytes) : PinnedBuffer();
  };
  fit(b.img, max_n * (kS1Bands + p.n_channels) * hw * sizeof(float));
  fit(b.labels, max_n * hw);
  fit(b.clean_labels, ds_.has_clean_labels() ? max_n * hw : 0);
  fit(b.prior, p.with_prior ? max_n * kDwClasses * hw * sizeof(float) : 0);
  const size_t thw = static_cast<size_t>(ds_.height()) * ds_.width();
  fit(b.tile_labels, opt_.export_tile_labels ? max_n * kSeasons * thw : 0);
  fit(b.tile_seasons, opt_.export_tile_labels ? max_n * sizeof(int32_t) : 0);
  fit(b.warps, opt_.export_tile_labels ? max_n * kWarpFields * sizeof(double) : 0);
  b.tile = ds_.height();
  b.tile_prior_type = p.prior_type;
  b.batch = n;
  b.channels = kS1Bands + p.n_channels;
  b.size = p.crop_size;
}

void Loader::produce(size_t number, uint64_t epoch, Batch& b, PipelineScratch& scratch,
                     LocationData& loc) {
  const size_t begin = number * opt_.batch_size;
  const size_t n = std::min(opt_.batch_size, order_.size() - begin);
  ensure_buffers(b, n);
  b.epoch = epoch;
  b.number = number;
  b.indices.assign(order_.begin() + begin, order_.begin() + begin + n);
  b.seasons.assign(n, 0);
  b.augment.assign(n, AugmentParams{});
  const auto& p = opt_.pipeline;
  const size_t hw = static_cast<size_t>(p.crop_size) * p.crop_size;
  for (size_t k = 0; k < n; ++k) {
    size_t idx = b.indices[k];
    std::string err;
    size_t tries = 0;
    while (!ds_.try_read(idx, loc, &err)) {
      if (!opt_.skip_bad_samples)
        CROMSS_THROW(IoError, "{} (pass --skip_bad_samples to skip bad samples)", err);
      ++bad_samples_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (bad_messages_.size() < 20) bad_messages_.push_back(err);
      }
      if (++tries >= ds_.size()) CROMSS_THROW(IoError, "no readable sample in {}", ds_.describe());
      idx = (idx + 1) % ds_.size();
    }
    b.indices[k] = idx;
    make_pretrain_sample(loc, p, opt_.seed, epoch, idx, scratch, b.img_data() + k * b.channels * hw,
                         b.label_data() + k * hw,
                         b.clean_labels.bytes() ? b.clean_label_data() + k * hw : nullptr,
                         p.with_prior ? b.prior_data() + k * kDwClasses * hw : nullptr,
                         &b.augment[k], &b.seasons[k]);
    if (opt_.export_tile_labels) {
      CROMSS_CHECK(loc.height == b.tile && loc.width == b.tile,
                   "loader: location {} is {}x{}, expected {}x{}", idx, loc.height, loc.width,
                   b.tile, b.tile);
      std::memcpy(static_cast<uint8_t*>(b.tile_labels.data()) + k * loc.label.size(),
                  loc.label.data(), loc.label.size());
      static_cast<int32_t*>(b.tile_seasons.data())[k] = b.seasons[k];
      warp_row(b.augment[k], static_cast<double*>(b.warps.data()) + k * kWarpFields);
    }
  }
}

void Loader::worker_main(int) {
  PipelineScratch scratch;
  LocationData loc;
  std::unique_lock<std::mutex> lock(mu_);
  const size_t capacity = static_cast<size_t>(opt_.workers + opt_.prefetch);
  while (true) {
    cv_work_.wait(lock, [&] {
      return stop_ || (next_to_produce_ < batches_per_epoch() &&
                       next_to_produce_ < next_to_consume_ + capacity &&
                       (errors_.empty() || next_to_produce_ < errors_.begin()->first));
    });
    if (stop_) return;
    const size_t number = next_to_produce_++;
    const uint64_t gen = generation_, epoch = epoch_;
    Batch b;
    if (!free_.empty()) {
      b = std::move(free_.back());
      free_.pop_back();
    }
    ++active_;
    lock.unlock();
    std::exception_ptr err;
    try {
      produce(number, epoch, b, scratch, loc);
    } catch (...) {
      err = std::current_exception();
    }
    lock.lock();
    --active_;
    if (gen == generation_) {
      if (err) errors_.emplace(number, err);
      ready_.emplace(number, std::move(b));
    } else {
      free_.push_back(std::move(b));
    }
    cv_ready_.notify_all();
  }
}

bool Loader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mu_);
  if (next_to_consume_ >= batches_per_epoch()) return false;
  cv_ready_.wait(lock, [&] { return ready_.count(next_to_consume_) != 0; });
  if (auto e = errors_.find(next_to_consume_); e != errors_.end())
    std::rethrow_exception(e->second);
  auto it = ready_.find(next_to_consume_);
  std::swap(out, it->second);
  free_.push_back(std::move(it->second));
  ready_.erase(it);
  ++next_to_consume_;
  lock.unlock();
  cv_work_.notify_all();
  return true;
}

}  // namespace cromss::data
