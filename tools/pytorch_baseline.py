#!/usr/bin/env python3
"""PyTorch counterpart of `cromss bench` (DESIGN.md "Benchmarks"): times one CromSS training step
on synthetic tensors with torch + torchvision only (segmentation_models_pytorch not needed).

Network: the mid-fusion U-Net (method-spec.md §1.2): two torchvision ResNet encoders (S1 with 2 bands, S2
with --n_channels) sharing one smp-layout U-Net decoder (channels 256,128,64,32,16; nearest x2
upsampling, concatenated skips, conv3x3-BN-ReLU twice per block) and a 3x3 segmentation head,
run once per modality.

Step: forward both branches; loss per branch = CE + Dice against the smoothed soft target
(0.8 onehot + 0.15 prior + 0.05 uniform, method-spec.md §3.2) plus the bidirectional CE consistency against
the other branch's detached softmax; backward; Adam (lr 0.005) step; zero_grad.
Difference from `cromss bench`: no sample-selection masks (CromSS weights the per-pixel terms by
class-balanced selection masks, method-spec.md §4; here every pixel has weight 1) and no confidence
entangling, so the PyTorch step does a little less element-wise work. The convolutions, which
dominate, are the same.

Reports ms/step (median, mean), pairs/s, conv GFLOP per step and TFLOP/s (ResNet-50 only, the
same formula as `cromss bench`: 129.73 GFLOP per pair at 256² with 13 bands), MFU against
--peak_tflops (0: the detected card's dense peak for the precision, see peak_tflops()), and peak
memory: on CUDA
torch.cuda.max_memory_allocated after a reset; on the CPU the process's peak RSS (includes the
interpreter and libraries, so it is not comparable with cromss's allocator peak). --json writes
the keys of `cromss bench --json`.

--channels_last runs the network and inputs in NHWC; --compile wraps the network in
torch.compile (PyTorch >= 2; the first steps compile and are not timed, raise --warmup).

Usage: /usr/bin/python3 tools/pytorch_baseline.py --model_type resnet18 --batch_size 2 \\
           --crop_size 64 --steps 3 --device cpu
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

N_CLASSES = 9
S1_BANDS = 2
BENCH_EPOCH = 40  # recorded only: no selection schedule here
SMOOTHING = (0.8, 0.15, 0.05)  # onehot, prior, uniform weights (method-spec.md §3.2, factors 0.15 0.05)
DECODER_CHANNELS = (256, 128, 64, 32, 16)
ENCODER_CHANNELS = {
    "resnet18": (64, 64, 128, 256, 512),
    "resnet34": (64, 64, 128, 256, 512),
    "resnet50": (64, 256, 512, 1024, 2048),
}
RESNET50_BRANCH_GFLOP_256 = 22.44  # bench/README.md, 13 bands
STEM_GFLOP_PER_BAND_256 = 2.0 * 49 * 64 * 128 * 128 / 1e9


class Encoder(nn.Module):
    """torchvision ResNet with an in_channels stem; returns the five smp feature maps."""

    def __init__(self, model_type, in_channels):
        super().__init__()
        r = getattr(torchvision.models, model_type)(weights=None)
        r.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.stem = nn.Sequential(r.conv1, r.bn1, r.relu)
        self.pool = r.maxpool
        self.layers = nn.ModuleList([r.layer1, r.layer2, r.layer3, r.layer4])

    def forward(self, x):
        f = [self.stem(x)]
        x = self.pool(f[0])
        for layer in self.layers:
            x = layer(x)
            f.append(x)
        return f  # strides 2, 4, 8, 16, 32


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class Decoder(nn.Module):
    """smp UnetDecoder layout: block i upsamples x2, concatenates skip i, two conv-BN-ReLU."""

    def __init__(self, encoder_channels):
        super().__init__()
        enc = list(reversed(encoder_channels))  # deepest first
        ins = [enc[0]] + list(DECODER_CHANNELS[:-1])
        skips = enc[1:] + [0]
        self.blocks = nn.ModuleList(
            nn.Sequential(conv_bn_relu(i + s, o), conv_bn_relu(o, o))
            for i, s, o in zip(ins, skips, DECODER_CHANNELS))

    def forward(self, features):
        f = list(reversed(features))
        x = f[0]
        for i, block in enumerate(self.blocks):
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            if i + 1 < len(f):
                x = torch.cat([x, f[i + 1]], dim=1)
            x = block(x)
        return x


class MidFusionUnet(nn.Module):
    def __init__(self, model_type, s2_bands):
        super().__init__()
        self.encoder1 = Encoder(model_type, S1_BANDS)
        self.encoder = Encoder(model_type, s2_bands)
        self.decoder = Decoder(ENCODER_CHANNELS[model_type])
        self.segmentation_head = nn.Conv2d(DECODER_CHANNELS[-1], N_CLASSES, 3, padding=1)

    def forward(self, s1, s2):
        y1 = self.segmentation_head(self.decoder(self.encoder1(s1)))
        y2 = self.segmentation_head(self.decoder(self.encoder(s2)))
        return y1, y2


def soft_ce(logits, target):
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def soft_dice(logits, target, eps=1e-7):
    p = F.softmax(logits, dim=1)
    dims = (0, 2, 3)
    inter = (p * target).sum(dims)
    card = (p + target).sum(dims)
    return 1 - ((2 * inter + eps) / (card + eps)).mean()


def cromss_step_loss(y1, y2, target):
    y1, y2 = y1.float(), y2.float()
    seg = sum(soft_ce(y, target) + soft_dice(y, target) for y in (y1, y2))
    con = soft_ce(y1, F.softmax(y2, dim=1).detach()) + soft_ce(y2, F.softmax(y1, dim=1).detach())
    return seg + con


def resnet50_step_gflop(s2_bands, b, crop):
    """Forward + weight gradient + input gradient of every conv, less the stems' input gradients
    (never computed): 3 x forward - stem forward, per branch."""
    def branch(bands):
        forward = RESNET50_BRANCH_GFLOP_256 - (13 - bands) * STEM_GFLOP_PER_BAND_256
        return 3.0 * forward - bands * STEM_GFLOP_PER_BAND_256

    return crop * crop / 65536.0 * b * (branch(S1_BANDS) + branch(s2_bands))


# Dense tensor-core peaks (TFLOP/s, no sparsity) from the vendors' data sheets, by device-name
# fragment; fp32 means plain FP32 (no TF32). Same table as core/device_info.cpp (cromss bench).
PEAKS = [("H200", {"bf16": 989.4, "fp16": 989.4, "fp32": 66.9}),
         ("H100 NVL", {"bf16": 835.0, "fp16": 835.0, "fp32": 60.0}),
         ("H100 PCIe", {"bf16": 756.0, "fp16": 756.0, "fp32": 51.2}),
         ("H100", {"bf16": 989.4, "fp16": 989.4, "fp32": 66.9}),
         ("A100", {"bf16": 312.0, "fp16": 312.0, "fp32": 19.5})]


def peak_tflops(device_name, precision):
    for fragment, peaks in PEAKS:
        if fragment in device_name:
            return peaks[precision]
    return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model_type", default="resnet50", choices=sorted(ENCODER_CHANNELS))
    ap.add_argument("--n_channels", type=int, default=13)
    ap.add_argument("--batch_size", type=int, default=16)
    ap.add_argument("--crop_size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--amp", default="none", choices=["none", "bf16", "fp16"])
    ap.add_argument("--channels_last", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile the network")
    ap.add_argument("--learning_rate", type=float, default=0.005)
    ap.add_argument("--peak_tflops", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", default="")
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    net = MidFusionUnet(a.model_type, a.n_channels).to(dev, memory_format=fmt).train()
    opt = torch.optim.Adam(net.parameters(), lr=a.learning_rate)
    run_net = torch.compile(net) if a.compile else net
    amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.amp)
    scaler = torch.cuda.amp.GradScaler(enabled=cuda and a.amp == "fp16")

    b, s = a.batch_size, a.crop_size
    s1 = torch.randn(b, S1_BANDS, s, s, device=dev).contiguous(memory_format=fmt)
    s2 = torch.randn(b, a.n_channels, s, s, device=dev).contiguous(memory_format=fmt)
    labels = torch.randint(0, N_CLASSES, (b, s, s), device=dev)
    prior = torch.full((b, N_CLASSES, s, s), 1.0 / N_CLASSES, device=dev)
    onehot = F.one_hot(labels, N_CLASSES).permute(0, 3, 1, 2).float()
    target = SMOOTHING[0] * onehot + SMOOTHING[1] * prior + SMOOTHING[2] / N_CLASSES

    def step():
        with torch.autocast(device_type=dev.type, dtype=amp_dtype or torch.bfloat16,
                            enabled=amp_dtype is not None):
            y1, y2 = run_net(s1, s2)
        loss = cromss_step_loss(y1, y2, target)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=False)

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    for _ in range(a.warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats(dev)
    ms = []
    for _ in range(a.steps):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        ms.append((time.perf_counter() - t0) * 1000.0)
    if cuda:
        peak_mib = torch.cuda.max_memory_allocated(dev) / 2**20
    else:
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    med, mean = statistics.median(ms), statistics.mean(ms)
    pairs = b * 1000.0 / med
    gflop = resnet50_step_gflop(a.n_channels, b, s) if a.model_type == "resnet50" else None
    tflops = gflop / med if gflop else None
    precision = {"none": "fp32"}.get(a.amp, a.amp)
    peak = a.peak_tflops or (peak_tflops(torch.cuda.get_device_name(dev), precision) if cuda else 0)
    mfu = tflops / peak if tflops and peak > 0 else None
    print(f"pytorch baseline: {a.model_type} mid-fusion, {a.n_channels} ch, batch {b}, crop {s}, "
          f"{a.device}, {precision}{', channels_last' if a.channels_last else ''}"
          f"{', torch.compile' if a.compile else ''} "
          f"(torch {torch.__version__}, CPU threads: {torch.get_num_threads()})")
    n_params = sum(p.numel() for p in net.parameters())
    print(f"  parameters    {n_params}")
    print(f"  steps {a.steps} (warm-up {a.warmup} excluded)")
    print(f"  ms/step       median {med:.2f}  mean {mean:.2f}")
    print(f"  pairs/s       {pairs:.2f}")
    if gflop:
        print(f"  GFLOP/step    {gflop:.2f} (conv only, fwd+bwd = 3x fwd)")
        print(f"  TFLOP/s       {tflops:.3f}")
        if mfu is not None:
            print(f"  MFU           {100 * mfu:.1f} % (peak {peak:.1f} TFLOP/s)")
    kind = "torch.cuda.max_memory_allocated" if cuda else "process peak RSS"
    print(f"  peak memory   {peak_mib:.1f} MiB ({kind})")

    if a.json:
        out = dict(tool="pytorch", torch=torch.__version__, model_type=a.model_type,
                   fusion_type="mid", n_channels=a.n_channels, batch_size=b, crop_size=s,
                   device=str(dev), precision=precision, parameters=n_params,
                   cpu_threads=torch.get_num_threads(), channels_last=a.channels_last,
                   compile=a.compile, peak_tflops=peak or None,
                   epoch=BENCH_EPOCH, warmup=a.warmup, steps=a.steps, ms_per_step_median=med,
                   ms_per_step_mean=mean, ms_per_step=ms, pairs_per_s=pairs,
                   gflop_per_step=gflop, tflops=tflops, mfu=mfu, peak_memory_mib=peak_mib,
                   peak_memory_kind=kind)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
