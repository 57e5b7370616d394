// Spatial-temporal label prior (engine/ops/label_prior.h): checks, then the kernel.
#include "engine/ops/label_prior.h"

#include "engine/dispatch.h"

namespace cromss {

Tensor label_prior(const Tensor& labels_seasons, const Tensor& season, int num_classes,
                   PriorType type) {
  CROMSS_CHECK(type != PriorType::none, "label_prior: a prior type (ts, t, s) is required");
  CROMSS_CHECK(labels_seasons.dim() == 4 && !is_floating(labels_seasons.dtype()),
               "labels_seasons: expected integer (B,4,H,W), got {} {}",
               dtype_name(labels_seasons.dtype()), shape_str(labels_seasons.shape()));
  const int64_t B = labels_seasons.size(0);
  const int S = static_cast<int>(labels_seasons.size(1));
  const int H = static_cast<int>(labels_seasons.size(2)),
            W = static_cast<int>(labels_seasons.size(3));
  CROMSS_CHECK(season.shape() == Shape{B} && !is_floating(season.dtype()),
               "season: expected integer shape ({}), got {} {}", B, dtype_name(season.dtype()),
               shape_str(season.shape()));
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
  const PriorMix mix = prior_mix(type);
  const float mix_t = mix.temporal, mix_s = mix.spatial;
  const Device dev = labels_seasons.device();
  Tensor out = Tensor::empty({B, num_classes, H, W}, DType::f32, dev);
  const Tensor yd = ys.to(dev), sd = ss.to(dev);
  dispatch(kernels::label_prior, dev, yd.data<int32_t>(), sd.data<int32_t>(), B, S, num_classes, H,
           W, mix_t, mix_s, out.data<float>());
  return out;
}

}  // namespace cromss
