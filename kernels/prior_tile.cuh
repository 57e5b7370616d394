// The tiled label prior (method-spec.md §3.1) written once for the CUDA kernel
// (kernels/cuda/prior_blur.cu, one thread block per tile) and its CPU unit test
// (tests/cpu/prior_tile_test.cpp, the same code with one "thread"). A tile is kPriorTile x
// kPriorTile output pixels of one sample; the block loads the seasonal class ids of the tile plus
// its kPriorRadius-pixel halo once (reflect borders, kernels/prior.cuh), then for each class builds
// the temporal-frequency and spatial one-hot planes on the halo in shared memory, blurs them
// separably (rows, then columns, the CPU reference's order and symmetric tap pairing), normalises
// over classes and writes the t/s mix.
//
// Normalisation: the blur is linear, so the per-pixel sum over classes of the blurred planes is the
// blur of the per-pixel sum of the planes (the share of valid labels); the tile blurs that plane
// once instead of keeping every class's result. Equal to the CPU reference's sum of blurred
// classes up to float rounding (tests/tolerance.h f32), and zero exactly where it is zero.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/hd.h"
#include "kernels/prior.cuh"

#if defined(__CUDA_ARCH__)
#define CROMSS_PRIOR_TILE_SYNC() __syncthreads()
#else
#define CROMSS_PRIOR_TILE_SYNC() ((void)0)
#endif

namespace cromss {

constexpr int kPriorTile = 32;                                     // output pixels per tile edge
constexpr int kPriorHaloEdge = kPriorTile + 2 * kPriorRadius;      // 56: tile plus halo
constexpr int kPriorHaloPixels = kPriorHaloEdge * kPriorHaloEdge;  // 3136
constexpr uint8_t kPriorNoClass = 255;  // a label outside 0..C-1 (C must be below 255)

// Output pixels [y0, y0 + rows) x [x0, x0 + cols) of tile `t` (row-major over the tiles of an
// H x W plane); the last row and column of tiles are clipped.
struct PriorTileBounds {
  int y0, x0, rows, cols;
};
CROMSS_HD int prior_tiles_along(int n) {
  return (n + kPriorTile - 1) / kPriorTile;
}
CROMSS_HD PriorTileBounds prior_tile_bounds(int t, int H, int W) {
  const int tiles_x = prior_tiles_along(W);
  PriorTileBounds b;
  b.y0 = (t / tiles_x) * kPriorTile;
  b.x0 = (t % tiles_x) * kPriorTile;
  b.rows = H - b.y0 < kPriorTile ? H - b.y0 : kPriorTile;
  b.cols = W - b.x0 < kPriorTile ? W - b.x0 : kPriorTile;
  return b;
}

// Plane row (or column) held at halo position i (0 .. rows + 2 kPriorRadius - 1) of a tile whose
// first output row (column) is `origin`: output row origin + j reads halo rows j .. j + 24, i.e.
// plane rows reflect_index(origin + j + k, n) for k = -12..12, exactly the reference's reads.
CROMSS_HD int prior_halo_source(int origin, int i, int n) {
  return reflect_index(origin + i - kPriorRadius, n);
}

// Shared memory of one tile: class ids (S, halo), one halo plane, its row blur, and per output
// pixel the two normalisers and the temporal result of the current class.
struct PriorTileSmem {
  float* plane;      // kPriorHaloPixels
  float* rows;       // kPriorHaloEdge * kPriorTile: row blur of `plane`
  float* inv_sum_t;  // kPriorTile^2: 1 / (sum over classes), 1 where the sum is 0
  float* inv_sum_s;
  float* temporal;  // kPriorTile^2: normalised temporal value of the current class
  uint8_t* ids;     // S * kPriorHaloPixels
};
CROMSS_HD size_t prior_tile_smem_bytes(int S) {
  return sizeof(float) *
             (kPriorHaloPixels + kPriorHaloEdge * kPriorTile + 3 * kPriorTile * kPriorTile) +
         static_cast<size_t>(S) * kPriorHaloPixels;
}
CROMSS_HD PriorTileSmem prior_tile_smem(void* base) {
  PriorTileSmem m;
  m.plane = static_cast<float*>(base);
  m.rows = m.plane + kPriorHaloPixels;
  m.inv_sum_t = m.rows + kPriorHaloEdge * kPriorTile;
  m.inv_sum_s = m.inv_sum_t + kPriorTile * kPriorTile;
  m.temporal = m.inv_sum_s + kPriorTile * kPriorTile;
  m.ids = reinterpret_cast<uint8_t*>(m.temporal + kPriorTile * kPriorTile);
  return m;
}

// The CPU reference's weighted sum of 25 values spaced `stride` apart (tap 12 first, then the
// mirrored pairs k and 24 - k for k = 0..11).
CROMSS_HD float prior_blur_taps(const float* taps, const float* v, int stride) {
  float acc = taps[kPriorRadius] * v[kPriorRadius * stride];
  for (int k = 0; k < kPriorRadius; ++k)
    acc += taps[k] * (v[k * stride] + v[(kPriorTaps - 1 - k) * stride]);
  return acc;
}

// The plane of class c (c < 0: every valid class) of map `temporal` (else spatial, the season
// `season`) on the halo, blurred: phase 1 fills `plane`, phase 2 blurs its rows, phase 3 calls
// out(pixel, value) for each output pixel of the tile (pixel = y * kPriorTile + x). A thread gets
// the same pixels in every call, so per-pixel values it stores through `out` need no barrier.
template <class Out>
CROMSS_HD void prior_tile_blur(const PriorTileSmem& m, const float* taps, PriorTileBounds b, int S,
                               int season, bool temporal, int c, int tid, int threads, Out out) {
  const int halo_rows = b.rows + 2 * kPriorRadius, halo_cols = b.cols + 2 * kPriorRadius;
  const float inv_seasons = 1.f / static_cast<float>(S);
  for (int i = tid; i < halo_rows * halo_cols; i += threads) {
    const int at = (i / halo_cols) * kPriorHaloEdge + i % halo_cols;
    float v = 0.f;
    if (temporal) {
      for (int s = 0; s < S; ++s) {
        const uint8_t id = m.ids[s * kPriorHaloPixels + at];
        if (c < 0 ? id != kPriorNoClass : id == c) v += inv_seasons;
      }
    } else if (season >= 0 && season < S) {
      const uint8_t id = m.ids[season * kPriorHaloPixels + at];
      v = (c < 0 ? id != kPriorNoClass : id == c) ? 1.f : 0.f;
    }
    m.plane[at] = v;
  }
  CROMSS_PRIOR_TILE_SYNC();
  for (int i = tid; i < halo_rows * b.cols; i += threads) {
    const int r = i / b.cols, x = i % b.cols;
    m.rows[r * kPriorTile + x] = prior_blur_taps(taps, m.plane + r * kPriorHaloEdge + x, 1);
  }
  CROMSS_PRIOR_TILE_SYNC();
  for (int i = tid; i < b.rows * b.cols; i += threads) {
    const int y = i / b.cols, x = i % b.cols;
    out(y * kPriorTile + x, prior_blur_taps(taps, m.rows + y * kPriorTile + x, kPriorTile));
  }
  // No barrier here: the next call's phase 1 writes `plane`, last read before the barrier above,
  // and its phase 2 writes `rows` only after its own first barrier.
}

// One tile of one sample: labels (S, H, W), prior (C, H, W). Run by `threads` cooperating threads
// (tid 0..threads-1) with a barrier between phases; on the host by one thread.
CROMSS_HD void prior_tile(const int32_t* labels, int season, int S, int C, int H, int W,
                          float mix_t, float mix_s, const float* taps, int t, void* smem, int tid,
                          int threads, float* prior) {
  const PriorTileBounds b = prior_tile_bounds(t, H, W);
  const PriorTileSmem m = prior_tile_smem(smem);
  const int64_t HW = static_cast<int64_t>(H) * W;
  const int halo_rows = b.rows + 2 * kPriorRadius, halo_cols = b.cols + 2 * kPriorRadius;
  for (int i = tid; i < S * halo_rows * halo_cols; i += threads) {
    const int s = i / (halo_rows * halo_cols), r = (i / halo_cols) % halo_rows, q = i % halo_cols;
    const int32_t id =
        labels[s * HW + int64_t(prior_halo_source(b.y0, r, H)) * W + prior_halo_source(b.x0, q, W)];
    m.ids[s * kPriorHaloPixels + r * kPriorHaloEdge + q] =
        id >= 0 && id < C ? static_cast<uint8_t>(id) : kPriorNoClass;
  }
  CROMSS_PRIOR_TILE_SYNC();
  const bool want_t = mix_t != 0.f, want_s = mix_s != 0.f;
  auto inverse = [](float sum) { return sum > 0.f ? 1.f / sum : 1.f; };
  if (want_t)
    prior_tile_blur(m, taps, b, S, season, true, -1, tid, threads,
                    [&](int p, float sum) { m.inv_sum_t[p] = inverse(sum); });
  if (want_s)
    prior_tile_blur(m, taps, b, S, season, false, -1, tid, threads,
                    [&](int p, float sum) { m.inv_sum_s[p] = inverse(sum); });
  for (int c = 0; c < C; ++c) {
    float* out = prior + c * HW + int64_t(b.y0) * W + b.x0;
    auto at = [&](int p) { return out + (p / kPriorTile) * int64_t(W) + p % kPriorTile; };
    if (want_t)
      prior_tile_blur(m, taps, b, S, season, true, c, tid, threads, [&](int p, float v) {
        const float normalised = v * m.inv_sum_t[p];
        if (want_s)
          m.temporal[p] = normalised;
        else
          *at(p) = mix_t * normalised;
      });
    if (want_s)
      prior_tile_blur(m, taps, b, S, season, false, c, tid, threads, [&](int p, float v) {
        const float normalised = v * m.inv_sum_s[p];
        *at(p) = want_t ? mix_s * normalised + mix_t * m.temporal[p] : normalised;
      });
  }
}

}  // namespace cromss
