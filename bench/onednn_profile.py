#!/usr/bin/env python3
"""Where the oneDNN part of a CPU training step goes, from oneDNN's own execution log.

Run a CPU benchmark with ONEDNN_VERBOSE=1 (oneDNN then prints one `onednn_verbose,exec,...` line
per primitive execution with its time in ms) and feed the output here:

    ONEDNN_VERBOSE=1 OMP_NUM_THREADS=2 ./build/cromss bench --device cpu --model_type resnet18 \
        --batch_size 8 --crop_size 64 --warmup 1 --steps 2 | python3 bench/onednn_profile.py --steps 3

--steps is the number of steps that ran (warm-up included): the totals are divided by it. Prints
time per step by primitive kind and direction, the convolutions' GFLOP per step and GFLOP/s
(2 * N * C * K * OH * OW * KH * KW per convolution, groups ignored), and the slowest
convolution shapes. Pointwise convolutions run as dnnl_sgemm calls (kernels/onednn/conv2d.cpp),
which are not primitives and do not appear. Lines that are not oneDNN execution records are ignored, so the benchmark's
own summary can stay in the input. Used by bench/cpu_vs_pytorch.sh (PROFILE=1).
"""
import argparse
import collections
import re
import sys

SHAPE = re.compile(r"mb(\d+)(?:_g\d+)?_ic(\d+)oc(\d+)_ih\d+oh(\d+)kh(\d+)\D.*?_iw\d+ow(\d+)kw(\d+)")


def conv_flops(desc):
    m = SHAPE.search(desc)
    if not m:
        return 0.0
    mb, ic, oc, oh, kh, ow, kw = map(int, m.groups())
    return 2.0 * mb * ic * oc * oh * ow * kh * kw


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", help="verbose log (default: standard input)")
    parser.add_argument("--steps", type=int, required=True, help="steps run, warm-up included")
    parser.add_argument("--top", type=int, default=10, help="slowest convolution shapes shown")
    args = parser.parse_args()
    if args.steps < 1:
        sys.exit("onednn_profile: --steps must be >= 1")
    lines = open(args.log) if args.log else sys.stdin
    by_kind = collections.defaultdict(float)
    by_conv = collections.defaultdict(lambda: [0.0, 0.0])  # (ms, flops) per direction and shape
    for line in lines:
        fields = line.strip().split(",")
        if len(fields) < 6 or fields[0] not in ("onednn_verbose", "dnnl_verbose") or fields[1] != "exec":
            continue
        kind, impl, prop, ms = fields[3], fields[4], fields[5], float(fields[-1])
        by_kind[(kind, prop, impl)] += ms
        if kind == "convolution":
            entry = by_conv[(prop, impl, fields[-2])]
            entry[0] += ms
            entry[1] += conv_flops(fields[-2])
    if not by_kind:
        sys.exit("onednn_profile: no oneDNN execution records in the input (ONEDNN_VERBOSE=1 set?)")
    total = sum(by_kind.values())
    print(f"oneDNN time per step: {total / args.steps:.1f} ms")
    print("| primitive | direction | implementation | ms/step | share |")
    print("|---|---|---|---|---|")
    for (kind, prop, impl), ms in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"| {kind} | {prop} | {impl} | {ms / args.steps:.1f} | {100 * ms / total:.0f} % |")
    conv_ms = sum(v[0] for v in by_conv.values())
    conv_flop = sum(v[1] for v in by_conv.values())
    if conv_ms > 0:
        print(f"\nconvolutions: {conv_flop / args.steps / 1e9:.2f} GFLOP/step in "
              f"{conv_ms / args.steps:.1f} ms/step = {conv_flop / conv_ms / 1e6:.1f} GFLOP/s")
        print(f"| slowest {args.top} (direction, shape) | implementation | ms/step | GFLOP/s |")
        print("|---|---|---|---|")
        ranked = sorted(by_conv.items(), key=lambda kv: -kv[1][0])[: args.top]
        for (prop, impl, desc), (ms, flop) in ranked:
            print(f"| {prop} {desc} | {impl} | {ms / args.steps:.1f} | {flop / ms / 1e6:.1f} |")


if __name__ == "__main__":
    main()
