#!/usr/bin/python3
"""Writes tests/fixtures/finetune_loss.h5: the fine-tuning loss of train/finetune_loss.h computed
by upstream's own modules - torch.nn.CrossEntropyLoss and segmentation_models_pytorch 0.3.3
DiceLoss('multiclass', from_logits=True) - with ignore_index=255 (--if_mask, DW/OSM) and without
(DFC), in float64, with the gradient of CE + Dice with respect to the logits.

Run with /usr/bin/python3 (Debian torch + h5py; smp installed with
`pip install --no-deps --break-system-packages segmentation-models-pytorch==0.3.3`).

Each case is a group /<name> with datasets logits (B,C,H,W) f64, labels (B,H,W) u8, ce, dice
(0-d f64), grad (B,C,H,W) f64 = d(ce + dice)/d logits and mask (0-d int64, 1: labels 255
ignored). Cases: "mask" (DW-like: 255 pixels, one class absent), "nomask" (DFC-like), "mask_d"
(a whole image ignored, class 3 never labelled).
"""
import os

import h5py
import numpy as np
import segmentation_models_pytorch as smp
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "finetune_loss.h5")


def case(f, name, logits, labels, mask):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(labels.astype(np.int64))
    ignore = 255 if mask else -100
    ce = torch.nn.CrossEntropyLoss(ignore_index=ignore)(z, y)
    dice = smp.losses.DiceLoss("multiclass", from_logits=True,
                               ignore_index=255 if mask else None)(z, y)
    (ce + dice).backward()
    g = f.create_group(name)
    g["mask"] = np.int64(mask)
    g["logits"] = logits
    g["labels"] = labels.astype(np.uint8)
    g["ce"] = ce.item()
    g["dice"] = dice.item()
    g["grad"] = z.grad.numpy()


def main():
    rng = np.random.default_rng(14)
    with h5py.File(OUT, "w") as f:
        b, c, h, w = 2, 5, 6, 7
        logits = rng.normal(0, 2, size=(b, c, h, w))
        labels = rng.integers(0, c - 1, size=(b, h, w))  # class c-1 never occurs
        labels[rng.random((b, h, w)) < 0.25] = 255
        case(f, "mask", logits, labels, True)
        labels = rng.integers(0, c, size=(b, h, w))
        case(f, "nomask", rng.normal(0, 2, size=(b, c, h, w)), labels, False)
        b, c, h, w = 3, 4, 5, 5
        labels = rng.integers(0, 3, size=(b, h, w))
        labels[1] = 255  # one image wholly ignored, class 3 appears only there
        labels[2, rng.random((h, w)) < 0.5] = 255
        case(f, "mask_d", rng.normal(0, 3, size=(b, c, h, w)), labels, True)


if __name__ == "__main__":
    main()
