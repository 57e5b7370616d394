// Spatial-temporal label prior (engine/ops/label_prior.h): checks, then the kernels.
#include "engine/ops/label_prior.h"

#include <utility>

#include "engine/dispatch.h"
#include "kernels/augment_warp.cuh"
#include "kernels/augment_warp.h"

namespace cromss {
namespace {

// Shape checks of both entries; returns (B, S).
std::pair<int64_t, int> check_shapes(const Tensor& labels_seasons, const Tensor& season,
                                     PriorType type) {
  CROMSS_CHECK(type != PriorType::none, "label_prior: a prior type (ts, t, s) is required");
  CROMSS_CHECK(labels_seasons.dim() == 4 && !is_floating(labels_seasons.dtype()),
               "labels_seasons: expected integer (B,4,H,W), got {} {}",
               dtype_name(labels_seasons.dtype()), shape_str(labels_seasons.shape()));
  const int64_t B = labels_seasons.size(0);
  CROMSS_CHECK(season.shape() == Shape{B} && !is_floating(season.dtype()),
               "season: expected integer shape ({}), got {} {}", B, dtype_name(season.dtype()),
               shape_str(season.shape()));
  return {B, static_cast<int>(labels_seasons.size(1))};
}

// The prior of int32 labels and seasons already on `dev`.
Tensor prior_kernel(const Tensor& ys, const Tensor& ss, int num_classes, PriorType type,
                    Device dev) {
  const int64_t B = ys.size(0);
  const int S = static_cast<int>(ys.size(1)), H = static_cast<int>(ys.size(2)),
            W = static_cast<int>(ys.size(3));
  const PriorMix mix = prior_mix(type);
  Tensor out = Tensor::empty({B, num_classes, H, W}, DType::f32, dev);
  dispatch(kernels::label_prior, dev, ys.data<int32_t>(), ss.data<int32_t>(), B, S, num_classes, H,
           W, mix.temporal, mix.spatial, out.data<float>());
  return out;
}

}  // namespace

Tensor label_prior(const Tensor& labels_seasons, const Tensor& season, int num_classes,
                   PriorType type) {
  const auto [B, S] = check_shapes(labels_seasons, season, type);
  Tensor ys = labels_seasons.to(Device::cpu()).contiguous().to(DType::i32);
  Tensor ss = season.to(Device::cpu()).contiguous().to(DType::i32);
  for (int64_t i = 0; i < ys.numel(); ++i) {
    const int32_t v = ys.data<int32_t>()[i];
    CROMSS_CHECK(v >= 0 && v < num_classes,
                 "labels_seasons: value {} at flat index {} is outside 0..{}", v, i,
                 num_classes - 1);
  }
  for (int64_t b = 0; b < B; ++b)
    CROMSS_CHECK(ss.data<int32_t>()[b] >= 0 && ss.data<int32_t>()[b] < S,
                 "season: value {} of sample {} is outside 0..{}", ss.data<int32_t>()[b], b, S - 1);
  const Device dev = labels_seasons.device();
  return prior_kernel(ys.to(dev), ss.to(dev), num_classes, type, dev);
}

Tensor warped_label_prior(const Tensor& tile_labels, const Tensor& season, const Tensor& warp,
                          int num_classes, PriorType type, int crop) {
  const auto [B, S] = check_shapes(tile_labels, season, type);
  const int64_t tile = tile_labels.size(2);
  CROMSS_CHECK(tile_labels.size(3) == tile && crop >= 1 && crop <= tile,
               "warped_label_prior: expected square tiles of at least crop {} pixels, got {}", crop,
               shape_str(tile_labels.shape()));
  CROMSS_CHECK(warp.dtype() == DType::f64 && warp.shape() == (Shape{B, kWarpFields}),
               "warped_label_prior: warp: expected f64 ({}, {}), got {} {}", B, kWarpFields,
               dtype_name(warp.dtype()), shape_str(warp.shape()));
  const Device dev = tile_labels.device();
  CROMSS_CHECK(season.device() == dev && warp.device() == dev,
               "warped_label_prior: tile_labels, season and warp must share a device");
  const Tensor full = prior_kernel(tile_labels.contiguous().to(DType::i32),
                                   season.contiguous().to(DType::i32), num_classes, type, dev);
  const Tensor rows = warp.contiguous();
  Tensor out = Tensor::empty({B, num_classes, crop, crop}, DType::f32, dev);
  dispatch(kernels::augment_warp, dev, full.data<float>(), rows.data<double>(), B, num_classes,
           static_cast<int>(tile), crop, out.data<float>());
  return out;
}

}  // namespace cromss
