// Validation of `cromss pretrain` once per epoch (method-spec.md §5 "Validation metrics", §2.5;
// issue 6 item 4): eval mode, no gradients, with --test_batch_size. By default every held-out
// sample is scored exactly once, the last partial batch included (rank r takes every world_size-th
// sample, without DistributedSampler's padding), so the metrics are exact over the split (issue 11
// item 5); options.drop_last (--upstream_drop_last) restores upstream's validation DataLoader (the
// rank's padded shard, whole batches only). When that leaves no batch at all a loud warning says
// so. Logged:
//   v_loss                 mean over batches of the §2.5 loss (hard noisy labels, no smoothing,
//                          no selection), the last partial batch weighted by its share of a
//                          whole batch; single-modal: CE + Dice of the one branch
//   v1_* / v2_*            per-branch confusion metrics against the noisy labels (upstream names,
//                          train/metrics.h); single-modal: v_*
//   v1_clean_* / v2_clean_* the same against the clean labels, when the dataset has them
//                          (synthetic data, docs/data.md)
// With several ranks the confusion counts and loss sums are summed over ranks (exact global
// metrics; upstream averages per-GPU values, method-spec.md §5). With a picture directory the first
// batch's first samples are written as PNG panels (train/png_panel.h): S2 RGB, S1, noisy label,
// each branch's prediction, and the S2 branch's entangled label confidence and selection weight
// of the training objective at this epoch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "comm/distributed.h"
#include "data/device_batch.h"
#include "data/loader.h"
#include "models/segmentation_net.h"
#include "train/metrics.h"
#include "train/objective_config.h"
#include "train/pretrain_config.h"

namespace cromss {

// One loader batch as tensors on the device: s1 (B,2,H,W) and s2 (B,C,H,W) in `compute` dtype,
// labels / clean (B,H,W) u8 (clean undefined without clean labels), prior (B,9,H,W) f32 or
// undefined. The copy goes through `uploader` (on CUDA: the side copy stream); the returned
// tensors are the step's own, so the pinned batch and the upload slot are free on return.
struct StepTensors {
  Tensor s1, s2, labels, clean, prior;
};
StepTensors upload_batch(data::DeviceBatchUploader& uploader, const data::Batch& batch,
                         DType compute);

class Validator {
 public:
  static constexpr int kPanelSamples = 3;

  Validator(const PretrainConfig& cfg, const ObjectiveConfig& objective,
            const data::PretrainDataset& dataset, std::vector<size_t> items,
            const data::LoaderOptions& options, Distributed& dist, Device device, DType compute);

  // Empty when there is no validation batch. picture_dir: "" writes no panels.
  NamedValues run(SegmentationNet& net, int64_t epoch, const std::string& picture_dir);
  // --skip_bad_samples: samples replaced so far, and the first messages.
  uint64_t bad_samples() const;
  std::vector<std::string> bad_sample_messages() const;

 private:
  void write_panels(const StepTensors& d, const BranchLogits& y, int64_t epoch,
                    const std::string& dir) const;

  const PretrainConfig& cfg_;
  ObjectiveConfig objective_;  // per rank (no --global_selection): panels run on rank 0 alone
  Distributed& dist_;
  Device device_;
  DType compute_;
  std::unique_ptr<data::Loader> loader_;
  std::unique_ptr<data::DeviceBatchUploader> uploader_;
};

}  // namespace cromss
