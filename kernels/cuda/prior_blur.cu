// Spatial-temporal label prior on the GPU (method-spec.md §3.1, kernels/cromss_prior.h): a vertical
// blur pass that builds the temporal frequency and spatial one-hot planes on the fly from the
// seasonal labels, a horizontal pass, then a per-pixel renormalisation over classes and the t/s
// mix. Taps and reflect borders from kernels/prior.cuh (same as the CPU reference).
#include "core/cuda/context_cuda.h"
#include "core/scratch.h"
#include "kernels/cromss_prior.h"
#include "kernels/cuda/types.cuh"
#include "kernels/prior.cuh"

namespace cromss::cuda_kernels {
namespace {

struct Taps {
  float w[kPriorTaps];
};

// tmp[(b, m, c, h, w)], m = 0 temporal, 1 spatial: sum_k tap_k * plane(h + k, w).
__global__ void vertical_kernel(const int32_t* seasons, const int32_t* season, int64_t B, int S,
                                int C, int H, int W, Taps taps, float* tmp) {
  const int64_t HW = int64_t(H) * W;
  const int64_t n = B * 2 * C * HW;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t hw = i % HW;
    const int64_t plane = i / HW;
    const int c = plane % C;
    const int m = (plane / C) % 2;
    const int64_t b = plane / (2 * C);
    const int h = static_cast<int>(hw / W), w = static_cast<int>(hw % W);
    const int32_t* y = seasons + b * S * HW;
    float acc = 0.f;
    for (int k = -kPriorRadius; k <= kPriorRadius; ++k) {
      const int64_t at = int64_t(reflect_index(h + k, H)) * W + w;
      float v;
      if (m == 0) {
        int hits = 0;
        for (int s = 0; s < S; ++s) hits += y[s * HW + at] == c;
        v = float(hits) / float(S);
      } else {
        v = y[season[b] * HW + at] == c ? 1.f : 0.f;
      }
      acc += taps.w[k + kPriorRadius] * v;
    }
    tmp[i] = acc;
  }
}

__global__ void horizontal_kernel(const float* tmp, int64_t planes, int H, int W, Taps taps,
                                  float* out) {
  const int64_t HW = int64_t(H) * W;
  const int64_t n = planes * HW;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t base = (i / HW) * HW;
    const int64_t hw = i % HW;
    const int h = static_cast<int>(hw / W), w = static_cast<int>(hw % W);
    float acc = 0.f;
    for (int k = -kPriorRadius; k <= kPriorRadius; ++k)
      acc += taps.w[k + kPriorRadius] * tmp[base + int64_t(h) * W + reflect_index(w + k, W)];
    out[i] = acc;
  }
}

// prior = mix_t normalise(temporal) + mix_s normalise(spatial), per pixel.
__global__ void mix_kernel(const float* blurred, int64_t B, int C, int64_t HW, float mix_t,
                           float mix_s, float* prior) {
  const int64_t n = B * HW;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    const int64_t b = i / HW, hw = i % HW;
    const float* t = blurred + (b * 2 * C) * HW + hw;
    const float* s = t + C * HW;
    float st = 0.f, ss = 0.f;
    for (int c = 0; c < C; ++c) {
      st += t[c * HW];
      ss += s[c * HW];
    }
    for (int c = 0; c < C; ++c) {
      const float vt = mix_t != 0.f ? mix_t * (t[c * HW] / st) : 0.f;
      const float vs = mix_s != 0.f ? mix_s * (s[c * HW] / ss) : 0.f;
      prior[(b * C + c) * HW + hw] = vt + vs;
    }
  }
}

}  // namespace

void label_prior(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                 int W, float mix_t, float mix_s, float* prior, const Context& ctx) {
  const int64_t HW = int64_t(H) * W;
  const int64_t n = B * 2 * C * HW;
  if (n == 0) return;
  Taps taps;
  gaussian_taps(taps.w);
  cudaStream_t stream = stream_of(ctx);
  const Scratch tmp_buffer(ctx, sizeof(float) * n), blurred_buffer(ctx, sizeof(float) * n);
  float* tmp = tmp_buffer.as<float>();
  float* blurred = blurred_buffer.as<float>();
  vertical_kernel<<<blocks_for(n), kThreads, 0, stream>>>(seasons, season, B, S, C, H, W, taps,
                                                          tmp);
  CUDA_CHECK_LAUNCH();
  horizontal_kernel<<<blocks_for(n), kThreads, 0, stream>>>(tmp, B * 2 * C, H, W, taps, blurred);
  CUDA_CHECK_LAUNCH();
  mix_kernel<<<blocks_for(B * HW), kThreads, 0, stream>>>(blurred, B, C, HW, mix_t, mix_s, prior);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
