// `cromss objective` as a library call: reads an HDF5 tensor file, runs the objective
// (train/cromss_objective.h) and writes every intermediate (issue 4 lists the names):
//   in:  logits_s1, logits_s2 (B,C,H,W) f32 or f64; labels (B,H,W) integer; prior (B,C,H,W), or
//        labels_seasons (B,4,H,W) + season (B) from which the prior is computed and written.
//   out: target, conf_label_s{1,2}, conf_pred_s{1,2}, threshold_s{1,2}, weight_seg_s{1,2},
//        weight_con_s{1,2}, grad_logits_s{1,2} (f32) and the 0-d f64 scalars selection_ratio,
//        loss_seg_s{1,2}, loss_con_s{1,2}, loss; plus prior when it was computed.
#pragma once

#include <string>

#include "core/device.h"
#include "train/objective_config.h"

namespace cromss {

struct ObjectiveFileOptions {
  std::string input, output;
  int epoch = 0;
  bool validation_loss = false;
  Device device = Device::cpu();
};

void run_objective_file(const ObjectiveFileOptions& options, const ObjectiveConfig& config);

}  // namespace cromss
