#!/usr/bin/python3
"""Writes tests/fixtures/prior/: the method-spec.md §3.1 prior computed with scipy.ndimage.gaussian_filter
(sigma 3, truncate 4, mode 'reflect', float32) for random 4-season label stacks, as the
independent reference for data/prior.cpp. Run with /usr/bin/python3 (numpy + scipy).

Each case <name>.bin holds: int32 header (seasons, H, W, season), uint8 labels (4,H,W), then
float32 priors t, s, ts, each (9,H,W).
"""
import os

import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "prior")


def blur_norm(planes):
    g = np.stack([gaussian_filter(p.astype(np.float32), sigma=3, truncate=4, mode="reflect") for p in planes])
    return (g / g.sum(axis=0, keepdims=True)).astype(np.float32)


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(5)
    for name, h, w, season in (("blocks_30x26", 30, 26, 2), ("small_7x9", 7, 9, 0)):
        # Patchy labels: coarse random blocks, upsampled, with some per-pixel noise.
        coarse = rng.integers(0, 9, size=(4, (h + 5) // 6, (w + 5) // 6))
        labels = np.repeat(np.repeat(coarse, 6, axis=1), 6, axis=2)[:, :h, :w].astype(np.uint8)
        flip = rng.random(labels.shape) < 0.1
        labels[flip] = rng.integers(0, 9, size=flip.sum())
        onehot = np.eye(9, dtype=np.float32)[labels]  # (4,H,W,9)
        t = blur_norm(onehot.mean(axis=0).transpose(2, 0, 1))
        s = blur_norm(onehot[season].transpose(2, 0, 1))
        ts = ((t + s) / 2).astype(np.float32)
        with open(os.path.join(ROOT, name + ".bin"), "wb") as f:
            f.write(np.array([4, h, w, season], dtype=np.int32).tobytes())
            f.write(labels.tobytes())
            for a in (t, s, ts):
                f.write(a.tobytes())


if __name__ == "__main__":
    main()
