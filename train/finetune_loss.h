// The fine-tuning loss (spec §7.1; upstream pl_finetune*.py): --loss_type letters c = torch
// CrossEntropyLoss (mean over the labelled pixels) and d = smp 0.3.3 DiceLoss (multiclass, from
// logits, smooth 0, eps 1e-7), summed with weight 1. With --if_mask (DW, OSM) pixels labelled 255
// count in neither (ignore_index = 255 in both, as upstream); without it (DFC) every label must
// be a class. For B images, C classes, labelled pixels x (m(x) = 1), t = one-hot labels:
//   CE   = -(1 / #x) sum_x log p_y(x)(x)                          (0 when no pixel is labelled)
//   Dice = (1 / C) sum_c [sum_x t_c > 0] (1 - 2 I_c / max(K_c, 1e-7))
//          I_c = sum_x p_c t_c,  K_c = sum_x m (p_c + t_c)           (sums over the whole batch)
// Both come from differentiable engine ops on the logits' device (log_softmax, softmax, products,
// sums), computed in f32 (f64 for f64 logits). The division in the Dice needs the per-class sums
// I_c and K_c on the host: they (2 C values) and the CE are read back once per step, and the Dice
// enters the backward pass through its linearisation at those sums,
//   S = sum_c a_c I_c + b_c K_c,  a_c = -2 z_c / (C D_c),  b_c = 2 z_c I_c / (C D_c^2),
// D_c = max(K_c, eps), z_c = [class c present] (b_c = 0 where K_c <= eps), whose gradient equals
// the Dice's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace cromss {

constexpr int kIgnoreLabel = 255;

// One-hot targets of a batch of uint8 labels (B, H, W), built on the host and uploaded to
// `device`: onehot (B, C, H, W) u8, 0 on ignored pixels; labelled (B, C, H, W) u8, m(x) for every
// class; and the per-class pixel counts. ValueError naming `source` and the batch's `indices`
// for a label that is no class (and not 255 with mask_ignore).
struct SegmentationTargets {
  Tensor onehot, labelled;
  std::vector<int64_t> class_pixels;
  int64_t labelled_pixels = 0;
};
SegmentationTargets segmentation_targets(const uint8_t* labels, int64_t batch, int64_t height,
                                         int64_t width, int64_t classes, bool mask_ignore,
                                         Device device, const std::string& source,
                                         const std::vector<size_t>& indices);

struct FinetuneLoss {
  // Its gradient is the loss's gradient; its value is not the loss (the Dice enters linearised).
  Tensor backward_root;
  double ce = 0, dice = 0, loss = 0;
};
// logits (B, C, H, W), any floating dtype; loss_type: letters c and/or d.
FinetuneLoss finetune_loss(const Tensor& logits, const SegmentationTargets& targets,
                           const std::string& loss_type);

}  // namespace cromss
