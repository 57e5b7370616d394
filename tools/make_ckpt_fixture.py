#!/usr/bin/env python3
"""Writes tests/fixtures/torch_ckpt/: small torch.save files for the native .ckpt reader.

    /usr/bin/python3 tools/make_ckpt_fixture.py [OUT_DIR]

tiny.ckpt        a Lightning-like checkpoint written by real torch: state_dict (an OrderedDict with
                 _metadata, net.* keys: float32 conv/BN tensors, a 0-d int64 num_batches_tracked,
                 a transposed (non-contiguous) view, two tensors sharing one storage at different
                 offsets, float64, float16, int32, bool), epoch, global_step, hyper_parameters
                 {'args': Namespace}, optimizer_states (SGD with momentum), lr_schedulers,
                 callbacks and loops dicts, pytorch-lightning_version.
tiny.json        what torch wrote: per state_dict key its dtype, shape and values (row-major,
                 float64 in JSON), plus epoch, global_step and the Namespace's attributes.
bigendian.ckpt   tiny.ckpt with byteorder 'big' and every storage byte-swapped (as a big-endian
                 machine writes it).
compressed.ckpt  tiny.ckpt with its members deflated (torch never writes this).
malicious.ckpt   a torch.save file whose pickle REDUCEs posix.system (os.system) - the reader
                 must refuse it without running anything.
The seed is 0 (printed).
"""
import argparse
import collections
import json
import os
import sys
import zipfile

import torch

SEED = 0


class Evil:
    """Pickles as os.system('true'): harmless if anything ever ran it, but nothing may."""

    def __reduce__(self):
        return (os.system, ("true",))


def state_dict():
    g = torch.Generator().manual_seed(SEED)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
        net[1].running_mean.copy_(torch.randn(3, generator=g))
        net[1].running_var.copy_(torch.rand(3, generator=g) + 0.5)
        net[1].num_batches_tracked.fill_(17)
    sd = collections.OrderedDict(("net.encoder." + k, v) for k, v in net.state_dict().items())
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3.0
    sd["net.extra.transposed"] = base.t()  # stride (1, 6): a non-contiguous view
    shared = torch.randn(10, generator=g)
    sd["net.extra.shared_head"] = shared[:4]
    sd["net.extra.shared_tail"] = shared[6:].view(2, 2)  # same storage, offset 6
    sd["net.extra.f64"] = torch.randn(2, 3, generator=g, dtype=torch.float64)
    sd["net.extra.f16"] = torch.tensor([0.5, -1.25, 65504.0], dtype=torch.float16)
    sd["net.extra.i32"] = torch.tensor([[-7, 0, 2147483647]], dtype=torch.int32)
    sd["net.extra.flag"] = torch.tensor([True, False, True])
    sd._metadata = net.state_dict()._metadata  # what Module.state_dict() attaches
    return sd, net


def checkpoint():
    sd, net = state_dict()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.ones(2, 2, 5, 5)).sum().backward()
    opt.step()
    args = argparse.Namespace(input_type="s12", fusion_type="mid", model_type="resnet50",
                              n_channels=13, n_classes=9, learning_rate=5e-3,
                              label_smoothing_factor=[0.15, 0.05], resume=None, amp=True)
    return {
        "epoch": 7,
        "global_step": 1234,
        "pytorch-lightning_version": "2.0.8",
        "state_dict": sd,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 8}}}},
        "callbacks": {"ModelCheckpoint{'monitor': None}": {"best_model_path": "",
                                                          "kth_value": torch.tensor(float("inf"))}},
        "optimizer_states": [opt.state_dict()],
        "lr_schedulers": [{"factor": 0.5, "mode": "max", "best": -float("inf")}],
        "hparams_name": "args",
        "hyper_parameters": {"args": args},
    }, args


def expected(ckpt, args):
    out = {"epoch": ckpt["epoch"], "global_step": ckpt["global_step"], "config": vars(args),
           "keys": list(ckpt["state_dict"]), "tensors": {}}
    for k, v in ckpt["state_dict"].items():
        out["tensors"][k] = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                             "values": v.double().flatten().tolist()}
    return out


def rewrite(src, dst, compress=zipfile.ZIP_STORED, swap=False):
    """Copies a torch zip member by member (optionally deflated, or made big-endian)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = zin.namelist()
        prefix = names[0].split("/", 1)[0]
        for name in names:
            data = zin.read(name)
            if swap and name.endswith("/byteorder"):
                data = b"big"
            elif swap and "/data/" in name:
                data = swap_bytes(name, data)
            zout.writestr(name, data, compress_type=compress)
        if swap and f"{prefix}/byteorder" not in names:  # torch < 2.1 writes no byteorder
            zout.writestr(f"{prefix}/byteorder", b"big")


_ELEMENT_SIZE = {}


def swap_bytes(name, data):
    size = _ELEMENT_SIZE[name.rsplit("/", 1)[1]]
    return b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))


def record_element_sizes(path):
    """Storage key -> element size, from torch's own loader."""
    import pickle

    with zipfile.ZipFile(path) as z:
        pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))

        class Unpickler(pickle.Unpickler):
            def persistent_load(self, pid):
                _ELEMENT_SIZE[pid[2]] = pid[1](0).element_size()
                return torch.UntypedStorage(0) if hasattr(torch, "UntypedStorage") else pid[1](0)

            def find_class(self, module, name):
                if name == "_rebuild_tensor_v2":
                    return lambda *a: None
                return super().find_class(module, name)

        Unpickler(z.open(pkl)).load()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "torch_ckpt")
    os.makedirs(out, exist_ok=True)
    print(f"seed {SEED}, torch {torch.__version__}")
    ckpt, args = checkpoint()
    tiny = os.path.join(out, "tiny.ckpt")
    torch.save(ckpt, tiny)
    with open(os.path.join(out, "tiny.json"), "w") as f:
        json.dump(expected(ckpt, args), f, indent=1)
    record_element_sizes(tiny)
    rewrite(tiny, os.path.join(out, "bigendian.ckpt"), swap=True)
    rewrite(tiny, os.path.join(out, "compressed.ckpt"), compress=zipfile.ZIP_DEFLATED)
    torch.save({"state_dict": collections.OrderedDict(), "payload": Evil()},
               os.path.join(out, "malicious.ckpt"))
    back = torch.load(tiny)
    assert list(back["state_dict"]) == list(ckpt["state_dict"])
    print(f"wrote {out}: {len(ckpt['state_dict'])} tensors")


if __name__ == "__main__":
    main()
