// Moves loader batches (pinned host buffers, data/loader.h) onto the compute device as tensors.
//
// On CUDA the copies run on the Context's side copy stream, so the upload of batch k+1 overlaps
// the compute of batch k (issue 5: "host-to-device copies on a side stream"). Two device slots
// alternate; the ordering is carried by events, never by host syncs on the compute stream:
//   upload(b):   copy stream waits for `released` of the slot (recorded when the compute stream
//                finished queueing its last use), copies, records `ready`; the compute stream
//                waits for `ready` before anything reads the returned tensors.
//   release():   records `released` on the compute stream after the step that used the slot.
//   wait_host(): blocks until the last upload has left the pinned buffers, so the loader may
//                refill them (call it before Loader::next overwrites the batch).
// On the CPU upload() copies into fresh tensors and the other calls do nothing.
//
// A batch that carries the prior's inputs instead of the prior (LoaderOptions::export_tile_labels
// without pipeline.with_prior, pretraining's --prior_on_device) gets its prior built here on the
// compute device, queued on the compute stream after the upload (engine/ops/label_prior.h
// warped_label_prior): a fresh tensor, not a slot.
#pragma once

#include <array>

#include "data/loader.h"
#include "engine/tensor.h"

namespace cromss::data {

struct DeviceBatch {
  Tensor img;                  // f32 (B, 2 + C2, H, W): S1 channels first, then S2
  Tensor labels;               // u8 (B, H, W) noisy labels
  Tensor clean_labels;         // u8 (B, H, W); undefined without clean labels
  Tensor prior;                // f32 (B, 9, H, W); undefined without label smoothing
  bool prior_in_slot = false;  // prior is the uploaded slot (reused two uploads later)
  Tensor tile_labels;          // u8 (B, 4, tile, tile), i32 (B) and f64 (B, kWarpFields):
  Tensor tile_seasons, warps;  // the prior's inputs, when the loader exported them
};

// Whether pretraining builds the label prior on `device` by default (--prior_on_device auto):
// on accelerators, where the loader's CPU cores are the bottleneck; not on the CPU, where the
// loader workers build it beside the step.
bool builds_prior_by_default(Device device);

class DeviceBatchUploader {
 public:
  explicit DeviceBatchUploader(Device device);
  ~DeviceBatchUploader();
  DeviceBatchUploader(const DeviceBatchUploader&) = delete;
  DeviceBatchUploader& operator=(const DeviceBatchUploader&) = delete;

  const DeviceBatch& upload(const Batch& batch);
  void release();
  void wait_host();

 private:
  struct Slot {
    DeviceBatch tensors;
    void* released = nullptr;  // cudaEvent_t
    void* ready = nullptr;
  };
  Device device_;
  std::array<Slot, 2> slots_;
  int current_ = -1;
};

}  // namespace cromss::data
