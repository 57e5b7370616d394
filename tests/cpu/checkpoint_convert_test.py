#!/usr/bin/env python3
"""tools/convert_ckpt.py round trip, run by ctest (tests/models.cmake).

A Lightning-style checkpoint (state_dict with net.* keys incl. 0-d int64 num_batches_tracked,
epoch, global_step, hyper_parameters {'args': Namespace}) goes .ckpt -> .h5 -> .ckpt and must
come back with identical tensor bytes, dtypes, shapes, counters and arguments; --encoder-only
must give exactly the branch's encoder as encoder.* keys. With segmentation-models-pytorch
importable, the network is a real middle-fusion U-Net-ResNet18 and `cromss forward` (argv[1])
on the converted checkpoint must reproduce PyTorch's eval-mode logits, and on the .ckpt itself
(read natively, data/torch_checkpoint.h) give the same logits bit for bit.
Exits 77 (ctest skip) without torch or h5py.
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import convert_ckpt  # noqa: E402


def build_net():
    """Mid fusion from smp parts (method-spec.md §1.2) with resnet18, or plain tensors without smp."""
    try:
        from segmentation_models_pytorch.base import SegmentationHead
        from segmentation_models_pytorch.decoders.unet.decoder import UnetDecoder
        from segmentation_models_pytorch.encoders import get_encoder
    except Exception as e:  # smp absent or broken: tensors only
        print(f"no smp ({e}): round trip without the forward check")
        return None

    class MidFusion(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder1 = get_encoder("resnet18", in_channels=2, depth=5, weights=None)
            self.encoder = get_encoder("resnet18", in_channels=9, depth=5, weights=None)
            self.decoder = UnetDecoder(self.encoder.out_channels, (256, 128, 64, 32, 16), 5,
                                       use_batchnorm=True, center=False, attention_type=None)
            self.segmentation_head = SegmentationHead(16, 7, activation=None, kernel_size=3)

        def forward(self, x1, x2):
            return (self.segmentation_head(self.decoder(*self.encoder1(x1))),
                    self.segmentation_head(self.decoder(*self.encoder(x2))))

    torch.manual_seed(0)
    net = MidFusion()
    net.train()
    with torch.no_grad():  # a few training forwards give non-trivial running stats
        for _ in range(2):
            net(torch.randn(2, 2, 64, 64), torch.randn(2, 9, 64, 64))
    net.eval()
    return net


def main():
    cromss = sys.argv[1] if len(sys.argv) > 1 else None
    net = build_net()
    if net is not None:
        state = {"net." + k: v for k, v in net.state_dict().items()}
    else:
        g = torch.Generator().manual_seed(0)
        state = {"net.encoder1.conv1.weight": torch.randn(64, 2, 7, 7, generator=g),
                 "net.encoder1.bn1.running_var": torch.rand(64, generator=g),
                 "net.encoder1.bn1.num_batches_tracked": torch.tensor(5),
                 "net.encoder.conv1.weight": torch.randn(64, 9, 7, 7, generator=g),
                 "net.segmentation_head.0.bias": torch.randn(7, generator=g)}
    args = argparse.Namespace(input_type="s12", fusion_type="mid", model_type="resnet18",
                              n_channels=9, n_classes=7, learning_rate=5e-3,
                              label_smoothing_factor=[0.15, 0.05], resume=False)
    ckpt = {"state_dict": state, "epoch": 3, "global_step": 1234,
            "hyper_parameters": {"args": args}, "pytorch-lightning_version": "2.0.8",
            "optimizer_states": [], "lr_schedulers": []}
    with tempfile.TemporaryDirectory() as tmp:
        a, h, b = (os.path.join(tmp, n) for n in ("a.ckpt", "a.h5", "b.ckpt"))
        torch.save(ckpt, a)
        assert convert_ckpt.main([a, h]) == 0
        assert convert_ckpt.main([h, b]) == 0
        back = convert_ckpt.torch_load(b)
        assert list(back["state_dict"]) == list(state), "key order changed"
        for k, v in state.items():
            w = back["state_dict"][k]
            assert w.dtype == v.dtype and w.shape == v.shape, k
            assert v.numpy().tobytes() == w.numpy().tobytes(), f"{k}: bytes differ"
        assert back["epoch"] == 3 and back["global_step"] == 1234
        assert vars(back["hyper_parameters"]["args"]) == vars(args)
        with h5py.File(h, "r") as f:
            nbt = f["model/net.encoder1.bn1.num_batches_tracked"]
            assert nbt.shape == () and nbt.dtype == np.int64
            assert f.attrs["format_version"] == "1"
            assert '"n_channels": 9' in f.attrs["config"]

        e = os.path.join(tmp, "enc.h5")
        assert convert_ckpt.main([a, e, "--encoder-only", "mfs2"]) == 0
        with h5py.File(e, "r") as f:
            keys = sorted(f["model"].keys())
        expected = sorted("encoder." + k[len("net.encoder."):] for k in state
                          if k.startswith("net.encoder."))
        assert keys == expected, (keys[:3], expected[:3])
        print(f"round trip ok: {len(state)} tensors bit-identical, encoder-only {len(keys)} keys")

        if net is None or cromss is None:
            return 0
        x1, x2 = torch.randn(3, 2, 64, 96), torch.randn(3, 9, 64, 96)
        with torch.no_grad():
            y1, y2 = net(x1, x2)
        x, y = os.path.join(tmp, "x.h5"), os.path.join(tmp, "y.h5")
        with h5py.File(x, "w") as f:
            f["s1"], f["s2"] = x1.numpy(), x2.numpy()
        subprocess.run([cromss, "forward", "--ckpt", h, "--input", x, "--output", y,
                        "--batch_size", "2"], check=True)
        with h5py.File(y, "r") as f:
            for name, ref in (("logits_s1", y1), ("logits_s2", y2)):
                got, ref = f[name][()].astype(np.float64), ref.numpy().astype(np.float64)
                assert got.shape == ref.shape, (name, got.shape, ref.shape)
                nmse = ((got - ref) ** 2).sum() / (ref ** 2).sum()
                assert nmse < 5e-7, f"{name}: NMSE {nmse} (tests/tolerance.h f32 limit 5e-7)"
                print(f"cromss forward {name}: NMSE {nmse:.2e} vs PyTorch")
        # The .ckpt read natively (no Python) gives exactly the converted checkpoint's logits.
        y_native = os.path.join(tmp, "y_native.h5")
        subprocess.run([cromss, "forward", "--ckpt", a, "--input", x, "--output", y_native,
                        "--batch_size", "2"], check=True)
        with h5py.File(y, "r") as f, h5py.File(y_native, "r") as g:
            for name in ("logits_s1", "logits_s2"):
                assert np.array_equal(f[name][()], g[name][()]), f"{name}: native .ckpt differs"
        print("cromss forward on the .ckpt (native reader) == on the converted .h5, bit for bit")
        # Wrong sizes are clear errors.
        with h5py.File(x, "w") as f:
            f["s1"], f["s2"] = np.zeros((1, 2, 48, 64), np.float32), np.zeros((1, 9, 48, 64), np.float32)
        r = subprocess.run([cromss, "forward", "--ckpt", h, "--input", x, "--output", y],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "divisible by 32" in r.stderr, r.stderr
    return 0


if __name__ == "__main__":
    sys.exit(main())
