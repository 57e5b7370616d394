#!/usr/bin/env python3
"""`cromss export` and `cromss info --ckpt`, checked by independent readers (ctest, tests/export.cmake).

A small cromss HDF5 checkpoint (mid fusion key names, small random tensors, a 0-d int64
num_batches_tracked) is written with h5py; `cromss export` must then give
  * safetensors that Python's `safetensors` package loads (skipped without it) with the smp names
    of the chosen branch, the same bytes, and the metadata (bands, normalisation, class names);
  * a .pt that `torch.load(weights_only=True)` accepts, with the same tensors and metadata
    (skipped without torch);
  * --names timm: the encoder without its prefix (torchvision/timm/torchgeo ResNet names).
`cromss info --ckpt` must print the metadata. Exits 77 (ctest skip) without h5py/numpy.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

SEED = 0
STATE = {  # key -> shape; only the keys shape inference needs plus a few more
    "net.encoder1.conv1.weight": (4, 2, 3, 3),
    "net.encoder1.bn1.running_var": (4,),
    "net.encoder.conv1.weight": (4, 13, 3, 3),
    "net.encoder.bn1.num_batches_tracked": (),
    "net.encoder.layer1.0.conv3.weight": (8, 4, 1, 1),
    "net.decoder.blocks.0.conv1.0.weight": (3, 5, 3, 3),
    "net.segmentation_head.0.weight": (9, 16, 3, 3),
    "net.segmentation_head.0.bias": (9,),
}


def write_checkpoint(path):
    rng = np.random.default_rng(SEED)
    state = {}
    with h5py.File(path, "w") as f:
        f.attrs["format_version"] = "1"
        f.attrs["config"] = json.dumps({"input_type": "s12", "fusion_type": "mid",
                                        "n_channels": 13, "n_classes": 9})
        for k, shape in STATE.items():
            v = np.int64(42) if k.endswith("num_batches_tracked") else \
                rng.standard_normal(shape).astype(np.float32)
            f["model/" + k] = v
            state[k] = np.asarray(v)
    return state


def expected(state, branch, names):
    enc = "net.encoder1." if branch == "s1" else "net.encoder."
    out = {}
    for k, v in state.items():
        if k.startswith(enc):
            out[("encoder." if names == "smp" else "") + k[len(enc):]] = v
        elif names == "smp" and (k.startswith("net.decoder.") or k.startswith("net.segmentation_head.")):
            out[k[len("net."):]] = v
    return out


def check_metadata(meta, branch):
    assert json.loads(meta["class_names"])[3] == "flooded_vegetation", meta["class_names"]
    bands = json.loads(meta[branch])["bands"]
    want = ["VV", "VH"] if branch == "s1" else ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8",
                                                "B8A", "B9", "B10", "B11", "B12"]
    assert bands == want, bands
    assert ("s2" if branch == "s1" else "s1") not in meta, "the other branch's inputs leaked"
    assert "uint8" in meta["encoding"]
    assert json.loads(meta["export"])["branch"] == branch


def main():
    cromss = sys.argv[1]
    print(f"seed {SEED}")
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "m.h5")
        state = write_checkpoint(ckpt)
        run = lambda *a: subprocess.run([cromss, *a], check=True, capture_output=True, text=True)

        info = run("info", "--ckpt", ckpt).stdout
        assert '"B8A"' in info and "snow_and_ice" in info and "8 (" in info, info

        checked = 0
        try:
            from safetensors.numpy import load_file
            from safetensors import safe_open
        except ImportError as e:
            print(f"safetensors package absent ({e}): safetensors check skipped")
        else:
            for branch, names in (("s2", "smp"), ("s1", "smp"), ("s2", "timm")):
                out = os.path.join(tmp, f"{branch}_{names}.safetensors")
                run("export", "--ckpt", ckpt, "--output", out, "--branch", branch, "--names", names)
                got, want = load_file(out), expected(state, branch, names)
                assert sorted(got) == sorted(want), (sorted(got), sorted(want))
                for k, v in want.items():
                    assert got[k].dtype == v.dtype and np.array_equal(got[k], v), k
                with safe_open(out, "np") as f:
                    check_metadata(f.metadata(), branch)
                checked += 1
            print(f"safetensors: {checked} exports load in the safetensors package, bytes equal")

        try:
            import torch
        except ImportError as e:
            print(f"torch absent ({e}): .pt check skipped")
        else:
            out = os.path.join(tmp, "s1.pt")
            run("export", "--ckpt", ckpt, "--output", out, "--branch", "s1", "--encoder-only")
            kwargs = {"weights_only": True} if "weights_only" in torch.load.__code__.co_varnames else {}
            pt = torch.load(out, map_location="cpu", **kwargs)
            want = {k: v for k, v in expected(state, "s1", "smp").items() if k.startswith("encoder.")}
            assert list(pt["state_dict"]) == sorted(want), list(pt["state_dict"])
            for k, v in want.items():
                assert np.array_equal(pt["state_dict"][k].numpy(), v), k
            check_metadata(pt["metadata"], "s1")
            print(f"torch.load({'weights_only=True' if kwargs else ''}) accepts the .pt export")

        r = subprocess.run([cromss, "export", "--ckpt", ckpt, "--output", os.path.join(tmp, "x.pt")],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "--branch s1 or s2" in r.stderr, r.stderr
    return 0


if __name__ == "__main__":
    sys.exit(main())
