#!/usr/bin/python3
"""Reference trajectories from torch.optim for tests/cpu/train_optimizer_test.cpp and
tests/cpu/train_lr_schedule_test.cpp, written to tests/fixtures/optim_reference.h5.

Run with the Debian python that has torch and h5py:  /usr/bin/python3 tools/optim_reference.py
Contents (all float32 unless noted):
  adam/{p0, grads[steps,n], params[steps,n], exp_avg, exp_avg_sq} and 0-d float64 lr, beta1,
      beta2, eps, weight_decay (torch.optim.Adam, coupled weight decay)
  sgd/{p0, grads, params, momentum_buffer} and 0-d float64 lr, momentum, weight_decay
      (torch.optim.SGD, dampening 0, nesterov off)
  rop_min/{values, lrs} and rop_max/{values, lrs} (float64): ReduceLROnPlateau(factor 0.5,
      patience 2, threshold 1e-4 rel, cooldown 0, min_lr 0) stepped once per value; lrs[i] is
      the rate after step i; 0-d float64 lr0, patience
The generator's torch version is stored as the root attribute `torch_version`.
"""
import os

import h5py
import numpy as np
import torch

STEPS, N = 5, 37
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "optim_reference.h5")


def trajectory(make_opt, state_keys, seed):
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=N).astype(np.float32)
    grads = rng.normal(size=(STEPS, N)).astype(np.float32)
    grads[:, :3] *= 1e-3  # small gradients: eps and weight decay matter there
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = make_opt([p])
    params = []
    for s in range(STEPS):
        p.grad = torch.from_numpy(grads[s].copy())
        opt.step()
        params.append(p.detach().numpy().copy())
    state = {k: opt.state[p][k].numpy().copy() for k in state_keys}
    return p0, grads, np.stack(params), state


def plateau(values, mode, lr0, patience):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=0.5,
                                                       patience=patience, threshold=1e-4)
    lrs = []
    for v in values:
        sched.step(v)
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(lrs, dtype=np.float64)


def put_scalars(group, **values):
    for k, v in values.items():
        group[k] = np.float64(v)


def main():
    with h5py.File(OUT, "w") as f:
        f.attrs["torch_version"] = str(torch.__version__)
        adam = dict(lr=0.005, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
        p0, g, ps, st = trajectory(lambda ps: torch.optim.Adam(ps, **adam),
                                   ["exp_avg", "exp_avg_sq"], 1)
        grp = f.create_group("adam")
        for k, v in dict(p0=p0, grads=g, params=ps, **st).items():
            grp[k] = v
        put_scalars(grp, lr=adam["lr"], beta1=0.9, beta2=0.999, eps=adam["eps"],
                    weight_decay=adam["weight_decay"])
        sgd = dict(lr=0.01, momentum=0.9, weight_decay=1e-2)
        p0, g, ps, st = trajectory(lambda ps: torch.optim.SGD(ps, **sgd), ["momentum_buffer"], 2)
        grp = f.create_group("sgd")
        for k, v in dict(p0=p0, grads=g, params=ps, **st).items():
            grp[k] = v
        put_scalars(grp, **sgd)
        # A plateau-prone sequence: improvements, ties within the relative threshold, a NaN.
        base = [1.0, 0.9, 0.9, 0.89995, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7999, 0.81,
                float("nan"), 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4, 0.41, 0.42]
        for mode, values in [("min", base), ("max", [-v for v in base])]:
            grp = f.create_group("rop_" + mode)
            grp["values"] = np.array(values, dtype=np.float64)
            grp["lrs"] = plateau(values, mode, 0.005, 2)
            put_scalars(grp, lr0=0.005, patience=2)
    print("wrote", os.path.normpath(OUT), "with torch", torch.__version__)


if __name__ == "__main__":
    main()
