// The prior built on the GPU from full-tile seasonal labels and warped by each sample's
// crop/flip/rotation (engine/ops/label_prior.h warped_label_prior, pretraining's
// --prior_on_device) against the same op on the CPU, which equals the loader's prior
// (tests/cpu/data_loader_test.cpp): labels with no-class values, every flip, rotated and straight
// samples, an odd tile.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/ops/label_prior.h"
#include "kernels/augment_warp.cuh"
#include "tests/gpu_test.h"
#include "tests/tolerance.h"

namespace cromss {
namespace {

TEST(PriorWarpParity, GpuMatchesCpu) {
  CROMSS_REQUIRE_CUDA_DEVICE();
  test::GuardBytesScope guard;
  const int64_t B = 4;
  const int tile = 41, crop = 32;
  std::vector<float> u = Tensor::uniform({B * 4 * tile * tile}, 0, 1, 21).to_vector<float>();
  std::vector<uint8_t> labels(u.size());
  for (size_t i = 0; i < u.size(); ++i) labels[i] = u[i] < 0.02f ? 255 : uint8_t(u[i] * 9) % 9;
  const Tensor tiles = Tensor::from_vector(labels, {B, 4, tile, tile});
  const Tensor season = Tensor::from_vector<int32_t>({0, 3, 1, 2}, {B});
  // top, left, flip, rotate, cos, sin of 0, -35.5, 90 and 12 degrees.
  std::vector<double> warp;
  const double angles[] = {0.0, -35.5, 90.0, 12.0};
  for (int b = 0; b < B; ++b) {
    const double th = angles[b] * M_PI / 180.0;
    warp.insert(warp.end(), {double(b * 3), double(9 - b * 2), double(b - 1), b ? 1.0 : 0.0,
                             std::cos(th), std::sin(th)});
  }
  const Tensor rows = Tensor::from_vector(warp, {B, kWarpFields});
  for (PriorType t : {PriorType::ts, PriorType::t, PriorType::s}) {
    const Tensor cpu = warped_label_prior(tiles, season, rows, 9, t, crop);
    const Device dev = Device::cuda(0);
    const Tensor gpu = warped_label_prior(tiles.to(dev), season.to(dev), rows.to(dev), 9, t, crop);
    EXPECT_TRUE(test::all_close(gpu.to(Device::cpu()), cpu)) << static_cast<int>(t);
  }
}

}  // namespace
}  // namespace cromss
