#!/usr/bin/env python3
"""Convert between upstream PyTorch Lightning checkpoints (.ckpt) and cromss HDF5 checkpoints (.h5).

    python3 tools/convert_ckpt.py IN.ckpt OUT.h5     # Lightning -> cromss
    python3 tools/convert_ckpt.py IN.h5 OUT.ckpt     # cromss -> Lightning
    python3 tools/convert_ckpt.py IN OUT --encoder-only mfs2   # one encoder as encoder.* keys

The direction follows the extensions. Tensors are copied by name with their dtype, shape and
bytes unchanged (state_dict keys such as net.encoder1.conv1.weight; num_batches_tracked stays a
0-d int64). See docs/checkpoints.md.

.ckpt -> .h5: /model/<key> for every state_dict entry; root attributes format_version,
engine_version and config (JSON: upstream's hyper_parameters {'args': Namespace} flattened to
its argparse dest names, values that JSON cannot hold as strings); /step = global_step and
/data/epoch = epoch (0-d int64); the key order is kept in the /model attribute key_order.
.h5 -> .ckpt: {'state_dict', 'epoch', 'global_step', 'hyper_parameters': {'args': Namespace
(**config)}, 'pytorch-lightning_version'}.

--encoder-only BRANCH writes only one encoder, renamed to encoder.* as upstream's fine-tuning
(utils/finetune.py, method-spec.md §1.4/§7.1) maps it: mfs1 net.encoder1., mfs2 net.encoder.,
lfs1 net.model1.encoder., lfs2 net.model2.encoder., nss1/nss2 net.encoder.

Needs torch (old or new: weights_only=False is passed where torch knows it, since torch 2.6
defaults to True, which refuses the pickled Namespace), numpy and h5py. Writes are atomic
(temporary file, fsync, rename).
"""
import argparse
import collections
import json
import os
import sys

import h5py
import numpy as np
import torch

FORMAT_VERSION = "1"
LIGHTNING_VERSION = "2.0.8"  # the version upstream pins (spec header)
ENCODER_PREFIXES = {
    "mfs1": "net.encoder1.",
    "mfs2": "net.encoder.",
    "lfs1": "net.model1.encoder.",
    "lfs2": "net.model2.encoder.",
    "nss1": "net.encoder.",
    "nss2": "net.encoder.",
}


def torch_load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def config_from_hparams(hparams):
    """{'args': Namespace} (upstream) or a plain dict -> one flat JSON object."""
    if hparams is None:
        return {}
    if not isinstance(hparams, dict):
        hparams = {"args": hparams}
    config = {}
    for key, value in hparams.items():
        if isinstance(value, argparse.Namespace):
            config.update({k: jsonable(v) for k, v in vars(value).items()})
        elif hasattr(value, "items"):
            config.update({str(k): jsonable(v) for k, v in value.items()})
        else:
            config[str(key)] = jsonable(value)
    return config


def read_ckpt(path):
    ckpt = torch_load(path)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        sys.exit(f"{path}: not a Lightning checkpoint (no 'state_dict')")
    state = collections.OrderedDict()
    for key, value in ckpt["state_dict"].items():
        if not torch.is_tensor(value):
            sys.exit(f"{path}: state_dict entry {key} is a {type(value).__name__}, not a tensor")
        state[key] = value.detach().cpu().contiguous().numpy()
    return (state, int(ckpt.get("epoch", 0) or 0), int(ckpt.get("global_step", 0) or 0),
            config_from_hparams(ckpt.get("hyper_parameters")))


def read_h5(path):
    with h5py.File(path, "r") as f:
        if "model" not in f:
            sys.exit(f"{path}: no /model group: not a cromss checkpoint")
        group = f["model"]
        names = list(group.keys())
        order = group.attrs.get("key_order")
        if order is not None:
            order = [k for k in str(order).split("\n") if k in group]
            names = order + sorted(set(names) - set(order))
        state = collections.OrderedDict((k, group[k][()]) for k in names)
        for k, v in state.items():
            if not isinstance(v, np.ndarray):  # 0-d datasets read as numpy scalars
                state[k] = np.array(v)
        config = json.loads(f.attrs["config"]) if "config" in f.attrs else {}
        epoch = int(f["data/epoch"][()]) if "data/epoch" in f else 0
        step = int(f["step"][()]) if "step" in f else 0
    return state, epoch, step, config


def atomic(path, write):
    tmp = path + ".tmp"
    write(tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_h5(path, state, epoch, step, config):
    def write(tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["engine_version"] = f"tools/convert_ckpt.py (torch {torch.__version__})"
            f.attrs["config"] = json.dumps(config, sort_keys=True)
            group = f.create_group("model")
            for key, value in state.items():
                group.create_dataset(key, data=value)
            group.attrs["key_order"] = "\n".join(state.keys())
            f["step"] = np.int64(step)
            f["data/epoch"] = np.int64(epoch)
    atomic(path, write)


def write_ckpt(path, state, epoch, step, config):
    ckpt = {
        "state_dict": collections.OrderedDict(
            (k, torch.from_numpy(np.array(v, copy=True))) for k, v in state.items()),
        "epoch": epoch,
        "global_step": step,
        "hyper_parameters": {"args": argparse.Namespace(**config)},
        "pytorch-lightning_version": LIGHTNING_VERSION,
    }
    atomic(path, lambda tmp: torch.save(ckpt, tmp))


def encoder_only(state, branch):
    prefix = ENCODER_PREFIXES[branch]
    out = collections.OrderedDict(
        ("encoder." + k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
    if not out:
        sys.exit(f"--encoder-only {branch}: no key starts with {prefix}")
    return out


def kind(path):
    ext = os.path.splitext(path)[1].lower()
    if ext in (".ckpt", ".pt", ".pth"):
        return "ckpt"
    if ext in (".h5", ".hdf5"):
        return "h5"
    sys.exit(f"{path}: unknown extension {ext!r} (expected .ckpt or .h5)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--encoder-only", choices=sorted(ENCODER_PREFIXES),
                        help="write one encoder as encoder.* keys (method-spec.md §7.1 pretrain tags)")
    args = parser.parse_args(argv)
    state, epoch, step, config = (read_ckpt if kind(args.input) == "ckpt" else read_h5)(args.input)
    if args.encoder_only:
        state = encoder_only(state, args.encoder_only)
    (write_ckpt if kind(args.output) == "ckpt" else write_h5)(args.output, state, epoch, step, config)
    print(f"{args.input} -> {args.output}: {len(state)} tensors, epoch {epoch}, step {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
