#!/usr/bin/python3
"""Writes tests/fixtures/ops_resize_norm.h5: PyTorch reference values for the cromss resize and
normalisation ops, read by tests/cpu/ops_torch_fixture_test.cpp.

Everything is float64 so the comparison can use the f64 tolerance. Groups:
  /bilinear/<case>  x, grad_out -> y = interpolate(x, size, mode='bilinear', align_corners),
                    grad_x; attributes out_h, out_w, align_corners (0/1)
  /nearest          x, grad_out -> y = interpolate(x, scale_factor=2, mode='nearest'), grad_x
  /batch_norm       one training step: x, weight, bias, running_mean_in, running_var_in,
                    grad_out -> y, running_mean_out, running_var_out, grad_x, grad_weight,
                    grad_bias; then eval with the updated stats: y_eval, grad_x_eval;
                    attributes momentum, eps
  /group_norm       x, weight, bias, grad_out -> y, grad_x, grad_weight, grad_bias; attributes
                    groups, eps

Run with the Debian python that has torch and h5py:
  /usr/bin/python3 tools/make_op_fixtures.py [output path]
"""
import os
import sys

import h5py
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops_resize_norm.h5")

torch.manual_seed(20261125)
D = torch.float64

# (name, input shape, out_h, out_w): pooled sizes (1 -> 32, 6 -> 32), x4, x8, downsampling and
# non-integer ratios.
BILINEAR = [
    ("pool1_to32", (1, 1, 1, 1), 32, 8),
    ("pool6_to32", (1, 1, 6, 3), 32, 16),
    ("x4", (1, 1, 4, 5), 16, 20),
    ("x8", (1, 1, 2, 2), 16, 16),
    ("down", (1, 2, 16, 13), 5, 4),
    ("ratio", (2, 1, 7, 5), 10, 13),
]


def write(group, **arrays):
    for name, value in arrays.items():
        group.create_dataset(name, data=value.detach().numpy())


def bilinear(f):
    for name, shape, oh, ow in BILINEAR:
        for align in (False, True):
            x = torch.rand(shape, dtype=D, requires_grad=True) * 4 - 2
            x.retain_grad()
            y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=align)
            g = torch.rand(y.shape, dtype=D) * 2 - 1
            y.backward(g)
            grp = f.create_group(f"bilinear/{name}_align{int(align)}")
            grp.attrs["out_h"] = oh
            grp.attrs["out_w"] = ow
            grp.attrs["align_corners"] = int(align)
            write(grp, x=x, grad_out=g, y=y, grad_x=x.grad)


def nearest(f):
    x = torch.rand((2, 3, 3, 4), dtype=D, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    g = torch.rand(y.shape, dtype=D) * 2 - 1
    y.backward(g)
    write(f.create_group("nearest"), x=x, grad_out=g, y=y, grad_x=x.grad)


def batch_norm(f):
    n, c, h, w = 4, 3, 5, 5
    momentum, eps = 0.1, 1e-5
    x = (torch.randn((n, c, h, w), dtype=D) * 2 + 0.5).requires_grad_(True)
    weight = (torch.rand(c, dtype=D) + 0.5).requires_grad_(True)
    bias = (torch.rand(c, dtype=D) * 2 - 1).requires_grad_(True)
    rm_in = torch.rand(c, dtype=D) - 0.5
    rv_in = torch.rand(c, dtype=D) + 0.5
    rm, rv = rm_in.clone(), rv_in.clone()
    y = F.batch_norm(x, rm, rv, weight, bias, training=True, momentum=momentum, eps=eps)
    g = torch.rand(y.shape, dtype=D) * 2 - 1
    y.backward(g)
    grp = f.create_group("batch_norm")
    grp.attrs["momentum"] = momentum
    grp.attrs["eps"] = eps
    write(grp, x=x, weight=weight, bias=bias, running_mean_in=rm_in, running_var_in=rv_in,
          grad_out=g, y=y, running_mean_out=rm, running_var_out=rv, grad_x=x.grad,
          grad_weight=weight.grad, grad_bias=bias.grad)
    xe = x.detach().clone().requires_grad_(True)
    ye = F.batch_norm(xe, rm, rv, weight.detach(), bias.detach(), training=False, eps=eps)
    ye.backward(g)
    write(grp, y_eval=ye, grad_x_eval=xe.grad)


def group_norm(f):
    n, c, h, w, groups, eps = 2, 6, 4, 3, 3, 1e-5
    x = (torch.randn((n, c, h, w), dtype=D) * 1.5 - 0.3).requires_grad_(True)
    weight = (torch.rand(c, dtype=D) + 0.5).requires_grad_(True)
    bias = (torch.rand(c, dtype=D) * 2 - 1).requires_grad_(True)
    y = F.group_norm(x, groups, weight, bias, eps)
    g = torch.rand(y.shape, dtype=D) * 2 - 1
    y.backward(g)
    grp = f.create_group("group_norm")
    grp.attrs["groups"] = groups
    grp.attrs["eps"] = eps
    write(grp, x=x, weight=weight, bias=bias, grad_out=g, y=y, grad_x=x.grad,
          grad_weight=weight.grad, grad_bias=bias.grad)


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with h5py.File(OUT, "w", libver="latest") as f:
        f.attrs["generator"] = f"tools/make_op_fixtures.py, torch {torch.__version__}"
        bilinear(f)
        nearest(f)
        batch_norm(f)
        group_norm(f)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
