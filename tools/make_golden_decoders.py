#!/usr/bin/env python3
"""Golden fixtures for the fine-tuning decoders, from PyTorch + segmentation-models-pytorch 0.3.3.

Run by hand (not by CI) with a Python that has torch, h5py and smp 0.3.3 (pip install --no-deps
segmentation-models-pytorch==0.3.3 timm==0.9.2 pretrainedmodels efficientnet-pytorch):
    /usr/bin/python3 tools/make_golden_decoders.py [--out tests/fixtures]

Writes golden_{pspnet,deeplabv3plus,fpn}.h5 and golden_decoder_state_keys.txt (every state_dict
key and shape of the three models), read by tests/cpu/golden_decoder_test.cpp:
  pspnet         smp.PSPNet(resnet50, in_channels 13, classes 8)          (DFC2020's decoder)
  deeplabv3plus  smp.DeepLabV3Plus(resnet50, in_channels 13, classes 9)   (SSL4EO-S12@DW's)
  fpn            smp.FPN(resnet50, in_channels 2, classes 13)             (SSL4EO-S12@OSM's, S1)
each on a batch of 2 at 64x64 with smp's default decoder widths (the widths upstream trains).

Fill rule, inputs, reference dtype (float64) and the layout of each file (logits_*, loss,
grad_*, buffer_*, nbt_*) are tools/make_golden.py's; the logits keys are "eval" and "train", the
input is "input.s2" (13 bands) or "input.s1" (2 bands), the target floor(K u) with the key
"target" for K classes. The training step runs with every Dropout/Dropout2d in eval mode: torch's
dropout masks cannot be reproduced, and the dropout ops have their own tests. Loss: the mean
pixel-wise cross-entropy of the train-mode logits. Parameters that get no gradient (PSPNet's
layer3/layer4, which encoder depth 3 never runs) are listed with zero gradients (attribute
no_grad_keys).
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import segmentation_models_pytorch as smp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import fill_model, summarise, uniform  # noqa: E402

BATCH, SIZE = 2, 64
N_LOGIT_SAMPLES = 1024

MODELS = {
    "pspnet": (lambda: smp.PSPNet("resnet50", encoder_weights=None, in_channels=13, classes=8),
               "input.s2", 13, 8),
    "deeplabv3plus": (lambda: smp.DeepLabV3Plus("resnet50", encoder_weights=None, in_channels=13,
                                                classes=9), "input.s2", 13, 9),
    "fpn": (lambda: smp.FPN("resnet50", encoder_weights=None, in_channels=2, classes=13),
            "input.s1", 2, 13),
}

# A few small parameters and buffers whose full tensors are stored (fixtures stay small).
FULL = {
    "pspnet": (["segmentation_head.0.bias", "decoder.psp.blocks.0.pool.1.0.bias",
                "decoder.conv.1.weight"],
               ["decoder.psp.blocks.3.pool.1.1.running_var", "decoder.conv.1.running_mean"]),
    "deeplabv3plus": (["segmentation_head.0.weight", "decoder.aspp.0.convs.1.0.0.weight",
                       "decoder.block1.1.weight"],
                      ["decoder.aspp.0.convs.4.2.running_mean", "decoder.block2.1.running_var"]),
    "fpn": (["segmentation_head.0.weight", "decoder.p5.bias",
             "decoder.seg_blocks.0.block.2.block.1.weight"],
            ["encoder.layer1.0.bn1.running_var"]),
}


def make(name, out_dir):
    build, input_key, channels, classes = MODELS[name]
    model = build()
    fill_model(model)
    x = torch.from_numpy((2 * uniform(input_key, BATCH * channels * SIZE * SIZE) - 1)
                         .reshape(BATCH, channels, SIZE, SIZE).astype(np.float32)).double()
    y = torch.from_numpy(np.floor(classes * uniform("target", BATCH * SIZE * SIZE))
                         .astype(np.int64).reshape(BATCH, SIZE, SIZE))
    full_grads, full_buffers = FULL[name]
    path = os.path.join(out_dir, f"golden_{name}.h5")
    with h5py.File(path, "w") as f:
        f.attrs["generator"] = "tools/make_golden_decoders.py"
        f.attrs["torch"] = str(torch.__version__)
        f.attrs["smp"] = str(smp.__version__)
        f.attrs["input_key"] = input_key
        model.eval()
        with torch.no_grad():
            e = model(x)
        model.train()
        for m in model.modules():
            if isinstance(m, (nn.Dropout, nn.Dropout2d)):
                m.eval()
        t = model(x)
        loss = F.cross_entropy(t, y)
        loss.backward()
        summarise(f, "logits", [("eval", e), ("train", t)], "logits_keys", [], N_LOGIT_SAMPLES)
        f["loss"] = np.float64(loss.item())
        params = list(model.named_parameters())
        f.attrs["no_grad_keys"] = "\n".join(k for k, p in params if p.grad is None)
        summarise(f, "grad", [(k, p.grad if p.grad is not None else torch.zeros_like(p))
                              for k, p in params], "grad_keys", full_grads)
        bufs = [(k, b) for k, b in model.named_buffers() if not k.endswith("num_batches_tracked")]
        summarise(f, "buffer", bufs, "buffer_keys", full_buffers)
        nbt = [(k, b) for k, b in model.named_buffers() if k.endswith("num_batches_tracked")]
        f.attrs["nbt_keys"] = "\n".join(k for k, _ in nbt)
        f["nbt_values"] = np.array([int(b) for _, b in nbt], np.int64)
    print(f"{path}: loss {loss.item():.6f}, {os.path.getsize(path)} bytes")


def write_keys(out_dir):
    path = os.path.join(out_dir, "golden_decoder_state_keys.txt")
    with open(path, "w") as f:
        for name, (build, _, _, _) in MODELS.items():
            for key, t in build().state_dict().items():
                f.write(" ".join([name, key] + [str(d) for d in t.shape]) + "\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                      "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    write_keys(args.out)
    for name in MODELS:
        make(name, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
