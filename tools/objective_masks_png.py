#!/usr/bin/python3
"""Renders the CromSS selection masks of a synthetic example to docs/img/objective_masks.png.

A 1 x 9 x 64 x 64 synthetic scene: a clean class map of blocks, noisy labels (a wrongly labelled
square and 10 % random flips), S2 logits that see the clean map well, S1 logits that see it
weakly and are confused in the left third. `cromss objective` (path given as argv[1]) runs at
epoch 80 with the README flags; the PNG shows, left to right, top row: clean map, noisy labels,
S1 prediction, S2 prediction; middle row: entangled label confidence S1, S2, segmentation weight
W_l S1, S2; bottom row: entangled prediction confidence S1, S2, consistency weight W_e S1, S2
(greyscale 0 black .. 1 white; class maps in the DW palette). numpy + h5py + zlib only.

Run: /usr/bin/python3 tools/objective_masks_png.py build/cromss
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PALETTE = np.array([[65, 155, 223], [57, 125, 73], [136, 176, 83], [122, 135, 198],
                    [228, 150, 53], [223, 195, 90], [196, 40, 27], [165, 155, 143],
                    [179, 159, 225]], np.uint8)  # Dynamic World colours


def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    cromss = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "cromss")
    rng = np.random.default_rng(7)
    C, H, W = 9, 64, 64
    clean = np.zeros((H, W), np.int64)
    for i in range(4):
        for j in range(4):
            clean[i * 16:(i + 1) * 16, j * 16:(j + 1) * 16] = rng.integers(0, C)
    noisy = clean.copy()
    noisy[36:52, 36:52] = (clean[36:52, 36:52] + 3) % C  # a wrongly labelled square
    flips = rng.random((H, W)) < 0.1
    noisy[flips] = rng.integers(0, C, flips.sum())
    onehot = (clean[None] == np.arange(C)[:, None, None]).astype(np.float32)
    z2 = 4.0 * onehot + rng.normal(0, 1.0, (C, H, W))
    z1 = 2.0 * onehot + rng.normal(0, 1.0, (C, H, W))
    z1[:, :, :20] = rng.normal(0, 1.5, (C, H, 20))  # S1 confused in the left third
    prior = np.full((C, H, W), 1.0 / C, np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "in.h5"), os.path.join(tmp, "out.h5")
        with h5py.File(inp, "w") as h:
            h["logits_s1"] = z1[None].astype(np.float32)
            h["logits_s2"] = z2[None].astype(np.float32)
            h["labels"] = noisy[None]
            h["prior"] = prior[None]
        subprocess.run([cromss, "objective", "--input", inp, "--output", out, "--epoch", "80"],
                       check=True)
        with h5py.File(out) as h:
            r = {k: h[k][()] for k in h}
    grey = lambda m: np.repeat((np.clip(m[0], 0, 1) * 255).astype(np.uint8)[..., None], 3, 2)
    rows = [[PALETTE[clean], PALETTE[noisy], PALETTE[z1.argmax(0)], PALETTE[z2.argmax(0)]],
            [grey(r["conf_label_s1"]), grey(r["conf_label_s2"]), grey(r["weight_seg_s1"]),
             grey(r["weight_seg_s2"])],
            [grey(r["conf_pred_s1"]), grey(r["conf_pred_s2"]), grey(r["weight_con_s1"]),
             grey(r["weight_con_s2"])]]
    gap = 4
    scale = 3
    tile = H * scale
    img = np.full((3 * tile + 4 * gap, 4 * tile + 5 * gap, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, t in enumerate(row):
            big = t.repeat(scale, 0).repeat(scale, 1)
            y0, x0 = gap + i * (tile + gap), gap + j * (tile + gap)
            img[y0:y0 + tile, x0:x0 + tile] = big
    path = os.path.join(ROOT, "docs", "img", "objective_masks.png")
    write_png(path, img)
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.0f} KiB); loss {r['loss']:.4f}, "
          f"thresholds S1 {np.round(r['threshold_s1'], 3)}")


if __name__ == "__main__":
    main()
