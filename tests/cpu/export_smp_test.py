#!/usr/bin/env python3
"""An exported U-Net loads into smp's Unet, run by ctest (tests/export.cmake).

A middle-fusion U-Net-ResNet18 is built from smp 0.3.3's parts (two encoders, one shared decoder
and head; method-spec.md §1.2), given non-trivial BatchNorm statistics by two training forwards,
and saved as a Lightning-style .ckpt with torch.save. `cromss export` (argv[1]) reads the .ckpt
natively and writes each branch: S2 as safetensors, S1 as torch .pt. Each must load into
`smp.Unet("resnet18", in_channels=<branch>, classes=7)` with load_state_dict(strict=True) - every
key and shape smp expects, nothing else - and the loaded Unet's eval-mode logits must equal the
fusion network's logits of that branch exactly (same tensors, same ops). `--encoder-only` must
load into smp's encoder alone. Exits 77 (ctest skip) without torch, smp or safetensors.
"""
import argparse
import os
import subprocess
import sys
import tempfile

try:
    import torch
    import segmentation_models_pytorch as smp
    from safetensors.torch import load_file
    from segmentation_models_pytorch.base import SegmentationHead
    from segmentation_models_pytorch.decoders.unet.decoder import UnetDecoder
    from segmentation_models_pytorch.encoders import get_encoder
except Exception as e:  # absent or broken packages
    print(f"skip: {e}")
    sys.exit(77)

SEED = 0
S2_CHANNELS, CLASSES = 9, 7


class MidFusion(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder1 = get_encoder("resnet18", in_channels=2, depth=5, weights=None)
        self.encoder = get_encoder("resnet18", in_channels=S2_CHANNELS, depth=5, weights=None)
        self.decoder = UnetDecoder(self.encoder.out_channels, (256, 128, 64, 32, 16), 5,
                                   use_batchnorm=True, center=False, attention_type=None)
        self.segmentation_head = SegmentationHead(16, CLASSES, activation=None, kernel_size=3)

    def forward(self, x1, x2):
        return (self.segmentation_head(self.decoder(*self.encoder1(x1))),
                self.segmentation_head(self.decoder(*self.encoder(x2))))


def export(cromss, ckpt, out, *flags):
    subprocess.run([cromss, "export", "--ckpt", ckpt, "--output", out, *flags], check=True)


def main():
    cromss = sys.argv[1]
    print(f"seed {SEED}")
    torch.manual_seed(SEED)
    net = MidFusion()
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(2, 2, 64, 64), torch.randn(2, S2_CHANNELS, 64, 64))
    net.eval()
    args = argparse.Namespace(input_type="s12", fusion_type="mid", model_type="resnet18",
                              n_channels=S2_CHANNELS, n_classes=CLASSES)
    x1, x2 = torch.randn(2, 2, 64, 64), torch.randn(2, S2_CHANNELS, 64, 64)
    with torch.no_grad():
        want1, want2 = net(x1, x2)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "mid.ckpt")
        torch.save({"state_dict": {"net." + k: v for k, v in net.state_dict().items()},
                    "epoch": 1, "global_step": 2, "hyper_parameters": {"args": args}}, ckpt)
        s2, s1 = os.path.join(tmp, "s2.safetensors"), os.path.join(tmp, "s1.pt")
        enc = os.path.join(tmp, "s2_encoder.safetensors")
        export(cromss, ckpt, s2, "--branch", "s2")
        export(cromss, ckpt, s1, "--branch", "s1")
        export(cromss, ckpt, enc, "--branch", "s2", "--encoder-only")
        s1_state = torch.load(s1)
        s1_state = s1_state.get("state_dict", s1_state)
        for name, state, channels, x, want in (("s2 safetensors", load_file(s2), S2_CHANNELS, x2,
                                                want2),
                                               ("s1 .pt", s1_state, 2, x1, want1)):
            unet = smp.Unet("resnet18", encoder_weights=None, in_channels=channels,
                            classes=CLASSES)
            unet.load_state_dict(state, strict=True)
            unet.eval()
            with torch.no_grad():
                got = unet(x)
            diff = (got - want).abs().max().item()
            print(f"{name}: {len(state)} tensors loaded strictly, max |logit diff| {diff}")
            assert torch.equal(got, want), name
        encoder = smp.Unet("resnet18", encoder_weights=None, in_channels=S2_CHANNELS).encoder
        encoder.load_state_dict({k[len("encoder."):]: v for k, v in load_file(enc).items()},
                                strict=True)
    print("ok")


if __name__ == "__main__":
    main()
