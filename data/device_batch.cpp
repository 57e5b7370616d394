// Host-to-device batch uploads on the side copy stream (see device_batch.h).
#include "data/device_batch.h"

#include <cstring>

#include "core/cuda_api.h"
#include "data/ssl4eo_stats.h"
#include "engine/ops/label_prior.h"

namespace cromss::data {
namespace {

// A tensor of `shape` viewing `count` elements of the pinned buffer (CPU) - copied so the
// loader may reuse its buffer at once.
Tensor host_copy(const PinnedBuffer& buf, const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  std::memcpy(t.raw_data(), buf.data(), t.nbytes());
  return t;
}

// Reuses `slot` when its shape already matches (the steady state), else allocates; true when it
// allocated.
bool ensure(Tensor& slot, const Shape& shape, DType dtype, Device device) {
  if (slot.defined() && slot.shape() == shape && slot.dtype() == dtype) return false;
  slot = Tensor::empty(shape, dtype, device);
  return true;
}

// Builds the prior from the uploaded inputs when the batch carries them.
const DeviceBatch& with_prior(DeviceBatch& t, const Batch& b) {
  t.prior_in_slot = !t.tile_labels.defined() && t.prior.defined();
  if (t.tile_labels.defined())
    t.prior = warped_label_prior(t.tile_labels, t.tile_seasons, t.warps, kDwClasses,
                                 b.tile_prior_type, b.size);
  return t;
}

}  // namespace

bool builds_prior_by_default(Device device) {
  return !device.is_cpu();
}

DeviceBatchUploader::DeviceBatchUploader(Device device) : device_(device) {
  if (!device.is_cuda()) return;
  for (Slot& s : slots_) {
    s.released = cuda_api::event_create(device.index);
    s.ready = cuda_api::event_create(device.index);
    cuda_api::event_record(s.released, device.index, cuda_api::Stream::compute);
  }
}

DeviceBatchUploader::~DeviceBatchUploader() {
  for (Slot& s : slots_) {
    if (s.released) cuda_api::event_destroy(s.released);
    if (s.ready) cuda_api::event_destroy(s.ready);
  }
}

const DeviceBatch& DeviceBatchUploader::upload(const Batch& b) {
  const int64_t n = static_cast<int64_t>(b.batch), hw = b.size;
  const Shape img_shape{n, b.channels, hw, hw}, label_shape{n, hw, hw};
  const Shape prior_shape{n, 9, hw, hw};
  const bool prior_inputs = b.tile_labels.bytes() && !b.prior.bytes();
  const Shape tile_shape{n, 4, b.tile, b.tile}, season_shape{n}, warp_shape{n, kWarpFields};
  current_ = (current_ + 1) % 2;
  Slot& slot = slots_[current_];
  DeviceBatch& t = slot.tensors;
  if (device_.is_cpu()) {
    t.img = host_copy(b.img, img_shape, DType::f32);
    t.labels = host_copy(b.labels, label_shape, DType::u8);
    t.clean_labels =
        b.clean_labels.bytes() ? host_copy(b.clean_labels, label_shape, DType::u8) : Tensor();
    t.prior = b.prior.bytes() ? host_copy(b.prior, prior_shape, DType::f32) : Tensor();
    t.tile_labels = prior_inputs ? host_copy(b.tile_labels, tile_shape, DType::u8) : Tensor();
    t.tile_seasons = prior_inputs ? host_copy(b.tile_seasons, season_shape, DType::i32) : Tensor();
    t.warps = prior_inputs ? host_copy(b.warps, warp_shape, DType::f64) : Tensor();
    return with_prior(t, b);
  }
  const int dev = device_.index;
  bool fresh = ensure(t.img, img_shape, DType::f32, device_);
  fresh |= ensure(t.labels, label_shape, DType::u8, device_);
  if (b.clean_labels.bytes())
    fresh |= ensure(t.clean_labels, label_shape, DType::u8, device_);
  else
    t.clean_labels = Tensor();
  if (b.prior.bytes())
    fresh |= ensure(t.prior, prior_shape, DType::f32, device_);
  else
    t.prior = Tensor();
  if (prior_inputs) {
    fresh |= ensure(t.tile_labels, tile_shape, DType::u8, device_);
    fresh |= ensure(t.tile_seasons, season_shape, DType::i32, device_);
    fresh |= ensure(t.warps, warp_shape, DType::f64, device_);
  } else {
    t.tile_labels = t.tile_seasons = t.warps = Tensor();
  }
  // The caching allocator hands out a block as soon as the compute stream has queued its free, not
  // when that work has run: a freshly allocated slot is written only after everything queued on
  // compute so far (the steady state reuses the slot and waits for its own release only).
  if (fresh) cuda_api::event_record(slot.released, dev, cuda_api::Stream::compute);
  cuda_api::stream_wait_event(dev, cuda_api::Stream::copy, slot.released);
  auto copy = [&](Tensor& dst, const PinnedBuffer& src) {
    if (dst.defined())
      cuda_api::copy_host_to_device_async(dst.raw_data(), src.data(), dst.nbytes(), dev,
                                          cuda_api::Stream::copy);
  };
  copy(t.img, b.img);
  copy(t.labels, b.labels);
  copy(t.clean_labels, b.clean_labels);
  copy(t.prior, b.prior);
  copy(t.tile_labels, b.tile_labels);
  copy(t.tile_seasons, b.tile_seasons);
  copy(t.warps, b.warps);
  cuda_api::event_record(slot.ready, dev, cuda_api::Stream::copy);
  cuda_api::stream_wait_event(dev, cuda_api::Stream::compute, slot.ready);
  return with_prior(t, b);
}

void DeviceBatchUploader::release() {
  if (device_.is_cuda() && current_ >= 0)
    cuda_api::event_record(slots_[current_].released, device_.index, cuda_api::Stream::compute);
}

void DeviceBatchUploader::wait_host() {
  if (device_.is_cuda() && current_ >= 0) cuda_api::event_synchronize(slots_[current_].ready);
}

}  // namespace cromss::data
