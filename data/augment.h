// Joint geometric augmentation of method-spec.md §6.3 step 7 (albumentations RandomCrop -> Flip ->
// Rotate): one AugmentPlan maps every output pixel to source positions in the full tile, so image,
// prior and label channels move identically. Rotation: angle in [-90, 90] degrees about (W/2 - 0.5,
// H/2 - 0.5) of the cropped (and flipped) image, cv2 warpAffine semantics, border
// BORDER_REFLECT_101 in the cropped frame, bilinear for images/prior, nearest for labels (exact
// float coordinates; cv2's 1/32-pixel snapping, quirk 32, is not reproduced).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/augment_warp.cuh"

namespace cromss::data {

struct AugmentParams {
  int tile = 264, crop = 256;
  int top = 0, left = 0;  // crop offset, 0..tile-crop
  int flip = 2;           // 2: none; 0: flip rows (vertical); 1: flip columns; -1: both
  bool rotate = false;
  double angle_deg = 0.0;
};

// The sample's warp as the row the device warp takes (kernels/augment_warp.cuh, kWarpFields).
void warp_row(const AugmentParams& p, double* row);

// Draws crop offsets, flip and rotation exactly like upstream's A.Compose from uniforms u[0..6):
// top = int((tile-crop+1) u0), left = int((tile-crop+1) u1), flip if u2 < 0.5 with code
// int(3 u3) - 1, rotate if u4 < 0.2 with angle -90 + 180 u5.
AugmentParams draw_augment(int tile, int crop, const double u[6], bool augment);

// Per output pixel: 4 bilinear source indices + weights and 1 nearest index into the tile
// (kernels/augment_warp.cuh warp_source).
struct AugmentPlan {
  int crop = 0;
  bool identity_weights = false;  // no rotation: idx[4p] is exact, weights unused
  std::vector<int32_t> idx;       // (crop*crop, 4)
  std::vector<float> w;           // (crop*crop, 4)
  std::vector<int32_t> nearest;   // (crop*crop)
  void build(const AugmentParams& p);
  // dst (crop*crop) = plan applied to one (tile*tile) source plane; scale multiplies values.
  void apply(const uint8_t* src, float scale, float* dst) const;
  void apply(const float* src, float* dst) const;
  void apply_nearest(const uint8_t* src, uint8_t* dst) const;
};

using ::cromss::reflect101;  // cv2 BORDER_REFLECT_101 (kernels/augment_warp.cuh)

}  // namespace cromss::data
