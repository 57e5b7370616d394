#!/usr/bin/env python3
"""Golden fixtures for the CromSS networks, from PyTorch + segmentation-models-pytorch 0.3.3.

Run by hand (not by CI) with a Python that has torch, h5py and smp 0.3.3:
    /usr/bin/python3 tools/make_golden.py [--out tests/fixtures]

Writes
  golden_state_keys.txt  every state_dict key and shape of mid fusion (13 and 9 bands), late
                         fusion (13 bands) and the single-modal smp.Unet(resnet50, 13 -> 9)
  golden_mid.h5, golden_late.h5, golden_single.h5
                         one forward/backward of each network at batch 2, 64x64, S1 2 + S2 13
                         channels (single-modal: S2 only), read by tests/cpu/golden_model_test.cpp.

Why 64x64 and not 32x32: in train mode the deepest BatchNorms then normalise over N*1*1 = 2
values per channel, which makes the network chaotic (torch's own f32 and f64 train-mode logits
differ by NMSE 2e-2 at 32x32, 7e-9 at 64x64). At 64x64 the comparison is well-conditioned.

No weights are stored. Every parameter and buffer is filled from a deterministic formula of its
state_dict key (without Lightning's "net.") and element index that the C++ test reproduces,
computed in float64 and rounded to float32:
  u(key, i) = uniform_double(fnv1a64(key), i)                 (core/random.cuh, in [0, 1))
  conv weight (4-d):          (2u - 1) * sqrt(3 / fan_in)     fan_in = C_in * kH * kW
  BN weight (1-d "weight"):   1 + 0.2 (2u - 1)
  any "bias":                 0.1 (2u - 1)
  running_mean:               0.1 (2u - 1)
  running_var:                1 + 0.5 u
  num_batches_tracked:        0
Inputs: input.s1 (2,2,64,64) and input.s2 (2,13,64,64) = 2u - 1 with the key "input.s1" /
"input.s2"; target (2,64,64) = floor(9 u) with the key "target".
Loss: the sum over branches of the mean pixel-wise cross-entropy of the train-mode logits.

The reference runs in float64 (model.double() after the float32 fill). Why: the backward pass of
a randomly initialised ResNet-50 U-Net at this size amplifies rounding by ~1e5-1e6 (torch's own
float32 and float64 gradients of the first encoder layers differ by NMSE ~4e-3), so float32
gradients cannot be compared tightly with anything. The C++ test runs the engine in float64
(everything compared at the float64 limit) and in float32 (logits, loss and running stats).

Each golden_<model>.h5 holds (float64 unless noted)
  logits_stats (L,2), logits_samples (L,1024), attribute logits_keys
                         eval_s1, train_s1, eval_s2, train_s2 (eval mode first, so the running
                         stats are untouched; train mode on the same inputs): L2 norm, sum and
                         1024 seeded elements (positions as for grad_samples)
  logits_full/<key>      the full logits as float32, single-modal model only (2 MB budget)
  loss                   0-d
  grad_full/<key>        full gradients of a handful of parameters
  grad_stats (P,2)       per parameter (attribute grad_keys, newline-separated, named_parameters
                         order): L2 norm and sum of its gradient
  grad_samples (P,64)    the gradient at flat positions random_bits(fnv1a64("sample:" + key), j)
                         mod numel, j = 0..63
  buffer_stats / buffer_samples / buffer_full/<key>
                         the same for running_mean and running_var after the training forward
                         (attribute buffer_keys)
  nbt_values             num_batches_tracked after the training forward (int64, attribute nbt_keys)
Attributes: generator (this script), torch, smp versions.

If smp cannot be imported, the script stops: the fixtures must come from the reference library.
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
from segmentation_models_pytorch.base import SegmentationHead
from segmentation_models_pytorch.decoders.unet.decoder import UnetDecoder
from segmentation_models_pytorch.encoders import get_encoder

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
N_SAMPLES = 64
BATCH, SIZE, S2_BANDS, CLASSES = 2, 64, 13, 9
N_LOGIT_SAMPLES = 1024


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for c in text.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    return h


def mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_bits(seed, index):
    """core/random.cuh random_bits, vectorised over `index` (uint64 array)."""
    with np.errstate(over="ignore"):
        s = mix64(np.uint64((seed + GOLDEN) & M64))
        return mix64(s ^ (index * np.uint64(GOLDEN) + np.uint64(0x632BE59BD9B4E019)))


def uniform(key, n):
    bits = random_bits(fnv1a64(key), np.arange(n, dtype=np.uint64))
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def sample_positions(key, numel, count=N_SAMPLES):
    bits = random_bits(fnv1a64("sample:" + key), np.arange(count, dtype=np.uint64))
    return (bits % np.uint64(numel)).astype(np.int64)


def fill_value(key, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform(key, n)
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.zeros(shape, np.int64)
    if leaf == "weight" and len(shape) == 4:
        v = (2 * u - 1) * np.sqrt(3.0 / (shape[1] * shape[2] * shape[3]))
    elif leaf == "weight":
        v = 1 + 0.2 * (2 * u - 1)
    elif leaf in ("bias", "running_mean"):
        v = 0.1 * (2 * u - 1)
    elif leaf == "running_var":
        v = 1 + 0.5 * u
    else:
        raise ValueError(f"no fill rule for {key}")
    return v.reshape(shape).astype(np.float32)


class MidFusion(nn.Module):
    """Unet_midF_2branch (method-spec.md §1.2): two encoders, one shared decoder and head."""

    def __init__(self, n_channels):
        super().__init__()
        self.encoder1 = get_encoder("resnet50", in_channels=2, depth=5, weights=None)
        self.encoder = get_encoder("resnet50", in_channels=n_channels, depth=5, weights=None)
        self.decoder = UnetDecoder(encoder_channels=self.encoder.out_channels,
                                   decoder_channels=(256, 128, 64, 32, 16), n_blocks=5,
                                   use_batchnorm=True, center=False, attention_type=None)
        self.segmentation_head = SegmentationHead(16, CLASSES, activation=None, kernel_size=3)

    def forward(self, x1, x2):
        y1 = self.segmentation_head(self.decoder(*self.encoder1(x1)))
        y2 = self.segmentation_head(self.decoder(*self.encoder(x2)))
        return y1, y2


class LateFusion(nn.Module):
    """Unet_lateF_2branch (method-spec.md §1.3): two complete smp.Unet models."""

    def __init__(self, n_channels):
        super().__init__()
        self.model1 = smp.Unet("resnet50", encoder_weights=None, in_channels=2, classes=CLASSES)
        self.model2 = smp.Unet("resnet50", encoder_weights=None, in_channels=n_channels,
                               classes=CLASSES)

    def forward(self, x1, x2):
        return self.model1(x1), self.model2(x2)


class Single(nn.Module):
    """smp.Unet on S2 only (method-spec.md §1.5)."""

    def __init__(self, n_channels):
        super().__init__()
        smp_unet = smp.Unet("resnet50", encoder_weights=None, in_channels=n_channels,
                            classes=CLASSES)
        self.encoder, self.decoder = smp_unet.encoder, smp_unet.decoder
        self.segmentation_head = smp_unet.segmentation_head
        self.unet = [smp_unet]  # not a registered submodule: keys stay encoder.*, decoder.*

    def forward(self, x1, x2):
        return None, self.unet[0](x2)


def fill_model(model):
    """Fills in float32 (the values both C++ runs start from), then widens to float64."""
    with torch.no_grad():
        for key, t in model.state_dict(keep_vars=True).items():
            t.copy_(torch.from_numpy(fill_value(key, tuple(t.shape))))
    model.double()


def summarise(f, group, named, keys_attr, full_keys, count=N_SAMPLES):
    keys, stats, samples = [], [], []
    for key, t in named:
        a = t.detach().double().flatten().numpy()
        keys.append(key)
        stats.append([np.sqrt(np.sum(a * a)), np.sum(a)])
        samples.append(a[sample_positions(key, a.size, count)])
        if key in full_keys:
            full = t.detach().numpy()
            f[f"{group}_full/{key}"] = full.astype(np.float32) if group == "logits" else full
    f.attrs[keys_attr] = "\n".join(keys)
    f[f"{group}_stats"] = np.array(stats, np.float64)
    f[f"{group}_samples"] = np.array(samples, np.float64)


def make(name, model, out_dir, full_grads, full_buffers, full_logits):
    fill_model(model)
    x1 = torch.from_numpy((2 * uniform("input.s1", BATCH * 2 * SIZE * SIZE) - 1)
                          .reshape(BATCH, 2, SIZE, SIZE).astype(np.float32)).double()
    x2 = torch.from_numpy((2 * uniform("input.s2", BATCH * S2_BANDS * SIZE * SIZE) - 1)
                          .reshape(BATCH, S2_BANDS, SIZE, SIZE).astype(np.float32)).double()
    y = torch.from_numpy(np.floor(CLASSES * uniform("target", BATCH * SIZE * SIZE))
                         .astype(np.int64).reshape(BATCH, SIZE, SIZE))
    path = os.path.join(out_dir, f"golden_{name}.h5")
    with h5py.File(path, "w") as f:
        f.attrs["generator"] = "tools/make_golden.py"
        f.attrs["torch"] = str(torch.__version__)
        f.attrs["smp"] = str(smp.__version__)
        model.eval()
        with torch.no_grad():
            e1, e2 = model(x1, x2)
        model.train()
        t1, t2 = model(x1, x2)
        loss = sum(F.cross_entropy(t, y) for t in (t1, t2) if t is not None)
        loss.backward()
        logits = [(f"{mode}_{tag}", v) for tag, e, t in (("s1", e1, t1), ("s2", e2, t2))
                  if t is not None for mode, v in (("eval", e), ("train", t))]
        summarise(f, "logits", logits, "logits_keys", [k for k, _ in logits] if full_logits else [],
                  N_LOGIT_SAMPLES)
        f["loss"] = np.float64(loss.item())
        summarise(f, "grad", [(k, p.grad) for k, p in model.named_parameters()], "grad_keys",
                  full_grads)
        bufs = [(k, b) for k, b in model.named_buffers() if not k.endswith("num_batches_tracked")]
        summarise(f, "buffer", bufs, "buffer_keys", full_buffers)
        nbt = [(k, b) for k, b in model.named_buffers() if k.endswith("num_batches_tracked")]
        f.attrs["nbt_keys"] = "\n".join(k for k, _ in nbt)
        f["nbt_values"] = np.array([int(b) for _, b in nbt], np.int64)
    print(f"{path}: loss {loss.item():.6f}, {os.path.getsize(path)} bytes")


def write_keys(out_dir):
    path = os.path.join(out_dir, "golden_state_keys.txt")
    with open(path, "w") as f:
        for name, model in (("mid13", MidFusion(13)), ("mid9", MidFusion(9)),
                            ("late13", LateFusion(13)), ("s2_13", Single(13))):
            for key, t in model.state_dict().items():
                f.write(" ".join([name, key] + [str(d) for d in t.shape]) + "\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests",
                                                      "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    write_keys(args.out)
    head = ["segmentation_head.0.weight", "segmentation_head.0.bias"]
    dec = ["decoder.blocks.4.conv2.1.weight", "decoder.blocks.4.conv2.1.running_mean",
           "decoder.blocks.4.conv2.1.running_var"]
    make("mid", MidFusion(S2_BANDS), args.out, head + dec + ["encoder1.bn1.weight"],
         dec + ["encoder1.bn1.running_var"], full_logits=False)
    late = ["model2." + k for k in head + dec] + ["model1.encoder.bn1.weight"]
    make("late", LateFusion(S2_BANDS), args.out, late,
         ["model2." + k for k in dec] + ["model1.encoder.bn1.running_mean"], full_logits=False)
    make("single", Single(S2_BANDS), args.out, head + dec + ["encoder.bn1.bias"], dec,
         full_logits=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
