// See train/finetune_loss.h.
#include "train/finetune_loss.h"

#include <algorithm>

#include "core/error.h"
#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"
#include "engine/ops/softmax.h"

namespace cromss {
namespace {

constexpr double kDiceEps = 1e-7;  // smp soft_dice_score: cardinality.clamp_min(eps)

// x in `dtype`, differentiable (the gradient goes back in x's dtype).
Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = x.detach().to(dtype);
  if (any_requires_grad({&x})) {
    const DType back = x.dtype();
    record_op("cast", out, {&x}, [back](const Tensor& g, const std::vector<bool>&) {
      return std::vector<Tensor>{g.to(back)};
    });
  }
  return out;
}

std::vector<double> host_values(const Tensor& t) {
  return t.detach().to(Device::cpu()).contiguous().to(DType::f64).to_vector<double>();
}

}  // namespace

SegmentationTargets segmentation_targets(const uint8_t* labels, int64_t batch, int64_t height,
                                         int64_t width, int64_t classes, bool mask_ignore,
                                         Device device, const std::string& source,
                                         const std::vector<size_t>& indices) {
  const int64_t hw = height * width;
  std::vector<uint8_t> onehot(size_t(batch * classes * hw), 0);
  std::vector<uint8_t> labelled(onehot.size(), 0);
  SegmentationTargets t;
  t.class_pixels.assign(size_t(classes), 0);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t p = 0; p < hw; ++p) {
      const int v = labels[b * hw + p];
      if (mask_ignore && v == kIgnoreLabel) continue;
      if (v >= classes) {
        const std::string sample =
            size_t(b) < indices.size() ? std::to_string(indices[size_t(b)]) : "?";
        CROMSS_THROW(ValueError,
                     "{} sample {}: label {} at pixel ({}, {}) is no class of the {} ({}){}",
                     source, sample, v, p / width, p % width, classes,
                     mask_ignore ? "255 is ignored" : "no ignore label without --if_mask",
                     mask_ignore ? "" : "; pass --if_mask to ignore label 255");
      }
      onehot[size_t((b * classes + v) * hw + p)] = 1;
      for (int64_t c = 0; c < classes; ++c) labelled[size_t((b * classes + c) * hw + p)] = 1;
      ++t.class_pixels[size_t(v)];
      ++t.labelled_pixels;
    }
  }
  const Shape shape{batch, classes, height, width};
  t.onehot = Tensor::from_vector(onehot, shape).to(device);
  t.labelled = Tensor::from_vector(labelled, shape).to(device);
  return t;
}

FinetuneLoss finetune_loss(const Tensor& logits, const SegmentationTargets& targets,
                           const std::string& loss_type) {
  CROMSS_CHECK(logits.dim() == 4 && logits.shape() == targets.onehot.shape(),
               "finetune loss: logits {} do not match the targets {}", shape_str(logits.shape()),
               shape_str(targets.onehot.shape()));
  const bool use_ce = loss_type.find('c') != std::string::npos;
  const bool use_dice = loss_type.find('d') != std::string::npos;
  CROMSS_CHECK(use_ce || use_dice, "--loss_type '{}': expected the letters c and/or d", loss_type);
  const DType work = logits.dtype() == DType::f64 ? DType::f64 : DType::f32;
  const Tensor z = cast(logits, work);
  const Tensor t = targets.onehot.to(work);
  FinetuneLoss out;
  Tensor root;
  if (use_ce) {
    const double n = double(std::max<int64_t>(targets.labelled_pixels, 1));
    Tensor ce = scale(sum(mul(t, log_softmax(z, 1))), -1.0 / n);
    out.ce = host_values(ce)[0];
    root = ce;
  }
  if (use_dice) {
    const Tensor p = softmax(z, 1);
    const Tensor inter = sum(mul(p, t), {0, 2, 3});
    const Tensor pred = sum(mul(p, targets.labelled.to(work)), {0, 2, 3});
    const std::vector<double> I = host_values(inter), P = host_values(pred);
    const int64_t C = logits.size(1);
    std::vector<double> a(size_t(C), 0.0), b(size_t(C), 0.0);
    for (int64_t c = 0; c < C; ++c) {
      if (targets.class_pixels[size_t(c)] == 0) continue;  // smp: classes without pixels are 0
      const double k = P[size_t(c)] + double(targets.class_pixels[size_t(c)]);
      const double d = std::max(k, kDiceEps);
      out.dice += (1.0 - 2.0 * I[size_t(c)] / d) / double(C);
      a[size_t(c)] = -2.0 / (double(C) * d);
      b[size_t(c)] = k > kDiceEps ? 2.0 * I[size_t(c)] / (double(C) * d * d) : 0.0;
    }
    const Device dev = logits.device();
    Tensor linear = add(sum(mul(inter, Tensor::from_vector(a, {C}).to(work).to(dev))),
                        sum(mul(pred, Tensor::from_vector(b, {C}).to(work).to(dev))));
    root = root.defined() ? add(root, linear) : linear;
  }
  out.loss = out.ce + out.dice;
  out.backward_root = root;
  return out;
}

}  // namespace cromss
