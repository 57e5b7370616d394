#!/usr/bin/env python3
"""Prints the end-to-end step table of bench/gpu_check.sh from the JSON files it wrote: for each
(batch, precision), cromss's ms/step, pairs/s, MFU, peak memory, host syncs and dispatches
(kernel-table calls) per step, then cromss with --branch_streams and with --cuda_graph where
they ran (ratio cromss ms / its ms: > 1, the option helps), cromss with --channels_last, with
--channels_last --cuda_graph, with --channels_last --conv_bn_fusion and with --channels_last
--conv_bn_fusion --cuda_graph where they ran (ratio PyTorch eager channels_last ms / its ms: > 1,
cromss is faster), cromss with --deterministic (heuristic cuDNN algorithms) where it ran, and each
PyTorch variant (eager NCHW, eager channels_last, torch.compile channels_last), each with the ratio
its ms / cromss ms (> 1: cromss is faster). Missing runs print as '-'. Where a --conv_bn_fusion
run exists, a line under the rows gives its speed-up over the same run without the fusion.

Usage: python3 bench/e2e_table.py DIR      (DIR holds cromss_b<batch>_<precision>.json,
                                             cromss_streams_b<batch>_<precision>.json,
                                             cromss_graph_b<batch>_<precision>.json,
                                             cromss_nhwc_b<batch>_<precision>.json,
                                             cromss_nhwc_graph_b<batch>_<precision>.json,
                                             cromss_fusion_b<batch>_<precision>.json,
                                             cromss_fusion_graph_b<batch>_<precision>.json,
                                             cromss_det_b<batch>_<precision>.json and
                                             pytorch_<variant>_b<batch>_<precision>.json)
"""
import json
import pathlib
import re
import sys

VARIANTS = [("nchw", "PyTorch eager NCHW"), ("nhwc", "PyTorch eager channels_last"),
            ("compile", "PyTorch torch.compile channels_last")]


def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def median_ms(run):
    return (run or {}).get("ms_per_step_median")


def fusion_speedups(root, tag):
    """'--conv_bn_fusion: 1.07x over --channels_last, ...' for the fusion runs of `tag`, or None."""
    pairs = [("--channels_last", "nhwc", "fusion"),
             ("--channels_last --cuda_graph", "nhwc_graph", "fusion_graph")]
    parts = []
    for name, without, with_fusion in pairs:
        fused = median_ms(load(root / f"cromss_{with_fusion}_{tag}.json"))
        if fused is None:
            continue
        plain = median_ms(load(root / f"cromss_{without}_{tag}.json"))
        parts.append(f"{plain / fused:.2f}x over {name}" if plain else f"- (no {name} run)")
    return "--conv_bn_fusion: " + ", ".join(parts) if parts else None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "gpu_check/e2e")
    tags = sorted({m.group(1) for p in root.glob("*.json")
                   if (m := re.search(r"_(b\d+_\w+)\.json$", p.name))},
                  key=lambda t: (int(t[1:].split("_")[0]), t))
    print("end-to-end step (ResNet-50 mid fusion, 13 bands, 256², median ms/step; ratio = "
          "PyTorch ms / cromss ms; for --branch_streams and --cuda_graph, cromss ms / its ms; for "
          "--channels_last, PyTorch eager channels_last ms / its ms)")
    header = f"  {'batch precision':<16} {'run':<52} {'ms/step':>9} {'pairs/s':>9} {'MFU %':>6} " \
             f"{'peak MiB':>9} {'syncs':>6} {'dispatch':>9} {'ratio':>6}"
    print(header)
    for tag in tags:
        batch, precision = tag[1:].split("_")
        ours = load(root / f"cromss_{tag}.json")
        ours_ms = ours and ours.get("ms_per_step_median")
        rows = [("cromss", ours),
                ("cromss --branch_streams", load(root / f"cromss_streams_{tag}.json")),
                ("cromss --cuda_graph", load(root / f"cromss_graph_{tag}.json")),
                ("cromss --channels_last", load(root / f"cromss_nhwc_{tag}.json")),
                ("cromss --channels_last --cuda_graph",
                 load(root / f"cromss_nhwc_graph_{tag}.json")),
                ("cromss --channels_last --conv_bn_fusion",
                 load(root / f"cromss_fusion_{tag}.json")),
                ("cromss --channels_last --conv_bn_fusion --cuda_graph",
                 load(root / f"cromss_fusion_graph_{tag}.json")),
                ("cromss --deterministic", load(root / f"cromss_det_{tag}.json"))]
        rows += [(name, load(root / f"pytorch_{key}_{tag}.json")) for key, name in VARIANTS]
        for name, r in rows:
            if r is None and name != "cromss":
                continue
            r = r or {}
            ms = r.get("ms_per_step_median")
            mfu = r.get("mfu")
            ratio = ms / ours_ms if ms and ours_ms and name != "cromss" else None
            if name in ("cromss --branch_streams", "cromss --cuda_graph"):  # > 1: it helps
                ratio = ours_ms / ms if ms and ours_ms else None
            if name.startswith("cromss --channels_last"):  # > 1: faster than PyTorch eager NHWC
                torch_nhwc = load(root / f"pytorch_nhwc_{tag}.json") or {}
                torch_ms = torch_nhwc.get("ms_per_step_median")
                ratio = torch_ms / ms if ms and torch_ms else None
            print(f"  {batch + ' ' + precision:<16} {name:<52} {fmt(ms, '.2f'):>9} "
                  f"{fmt(r.get('pairs_per_s'), '.1f'):>9} {fmt(mfu and 100 * mfu, '.1f'):>6} "
                  f"{fmt(r.get('peak_memory_mib'), '.0f'):>9} "
                  f"{fmt(r.get('host_syncs_per_step'), '.1f'):>6} "
                  f"{fmt(r.get('dispatches_per_step'), '.0f'):>9} {fmt(ratio, '.2f'):>6}")
        if speedups := fusion_speedups(root, tag):
            print(f"  {batch + ' ' + precision:<16} {speedups}")


if __name__ == "__main__":
    main()
