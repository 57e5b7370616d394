#!/usr/bin/python3
"""Independent numpy reference of the CromSS objective, written from the method spec
(docs/method-spec.md §2, §3, §4 and quirks §9.3, §9.6-9.8, §9.27-9.30), not from the C++ code.

Writes the committed fixtures tests/fixtures/objective_*.h5. Each file holds the inputs of
`cromss objective` (logits_s1, logits_s2, labels, and prior or labels_seasons + season), the
command-line flags as the root attribute `args`, and the expected outputs under `expected/`
(same names as the command's output). Everything is computed in float64; the selection count
k follows upstream's float32 product (method-spec.md §9.29). Gradients are derived by hand (chain rule through
the softmax) with masks and teacher distributions held fixed (method-spec.md §4.5).

Run: /usr/bin/python3 tools/objective_reference.py   (numpy, scipy, h5py)
"""
import os
import shlex

import h5py
import numpy as np
from scipy.ndimage import gaussian_filter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures")

DEFAULTS = dict(loss_type="cd", consist_loss_type="ce", consist_loss_weight=1.0,
                label_smoothing=True, label_smoothing_factor=[0.15, 0.05],
                label_smoothing_prior_type="ts", sample_selection=True,
                sample_selection_rmup_func="exp", sample_selection_rmdown_epoch=80,
                sample_selection_prop=0.5, sample_selection_confidence_type="ce",
                validation_loss=False)


def log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    s = z - m
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def ramp(fn, e, n):
    """method-spec.md §4.3: sigmoid ramp-up (exp), linear, or none (f = 1)."""
    if fn == "none" or n == 0:
        return 1.0
    if fn == "linear":
        return min(max(e, 0) / n, 1.0)
    x = 1.0 - np.clip(e, 0, n) / n
    return float(np.exp(-5.0 * x * x))


def softmax_backward(p, g):
    """dL/dz from dL/dp through the softmax (per pixel, classes on axis 1)."""
    return p * (g - (g * p).sum(axis=1, keepdims=True))


def reference(z1, z2, y, prior, epoch, o):
    z = [z1.astype(np.float64), z2.astype(np.float64)]
    B, C, H, W = z[0].shape
    validation = o["validation_loss"]
    smoothing = o["label_smoothing"] and not validation
    selection = o["sample_selection"] and not validation
    onehot = (y[:, None, :, :] == np.arange(C)[None, :, None, None]).astype(np.float64)
    # method-spec.md §3.2: smoothed targets.
    if smoothing:
        f = o["label_smoothing_factor"]
        a = f[0]
        if o["label_smoothing_prior_type"] == "none":
            t = (1 - a) * onehot + a / C
        elif len(f) == 1:
            t = (1 - a) * onehot + a * prior
        else:
            t = (1 - a - f[1]) * onehot + a * prior + f[1] / C
    else:
        t = onehot
    lp = [log_softmax(v) for v in z]
    p = [np.exp(v) for v in lp]
    # method-spec.md §4.1: label confidence p[y] (hard label), prediction confidence.
    cl = [np.take_along_axis(v, y[:, None].astype(np.int64), axis=1)[:, 0] for v in p]
    if o["sample_selection_confidence_type"] == "ce":
        ent = [-np.where(pv > 0, pv * lv, 0.0).sum(axis=1) for pv, lv in zip(p, lp)]
        ce = [np.clip(1 - h / np.log(C), 0, 1) for h in ent]
    else:
        ce = [(v * v).sum(axis=1) for v in p]
    # method-spec.md §4.2: entangling.
    cl = [(cl[0] + cl[0] * cl[1]) / 2, (cl[1] + cl[0] * cl[1]) / 2]
    ce = [(ce[0] + ce[0] * ce[1]) / 2, (ce[1] + ce[0] * ce[1]) / 2]
    # method-spec.md §4.3: schedule.
    N = o["sample_selection_rmdown_epoch"]
    P = o["sample_selection_prop"]
    f = ramp(o["sample_selection_rmup_func"], epoch, N)
    r = 1 - f * (1 - P) if epoch <= N else P
    wl, we, theta = [], [], []
    for d in range(2):
        th = np.zeros(C)
        if not selection or r >= 1:
            w = np.ones((B, H, W))
        elif r <= 0:
            w = cl[d].copy()
        else:  # method-spec.md §4.4: class-balanced top-proportion thresholds over the whole batch
            w = np.zeros((B, H, W))
            for c in range(C):
                mask = y == c
                n_c = int(mask.sum())
                k = int(np.floor(np.float32(n_c) * np.float32(r)))  # method-spec.md §9.29
                if k <= 0:
                    continue
                vals = np.sort(cl[d][mask])[::-1]
                th[c] = vals[k - 1]
                w[mask] = np.clip(cl[d][mask] / th[c], 0, 1) if th[c] > 0 else 1.0
        wl.append(w)
        theta.append(th)
        if selection:
            we.append((1 - f) + f * ce[d] if epoch <= N else ce[d])
        else:
            we.append(np.ones((B, H, W)))
    lam = o["consist_loss_weight"]
    kind = o["consist_loss_type"]
    res = dict(target=t, threshold_s1=theta[0], threshold_s2=theta[1],
               conf_label_s1=cl[0], conf_label_s2=cl[1], conf_pred_s1=ce[0], conf_pred_s2=ce[1],
               weight_seg_s1=wl[0], weight_seg_s2=wl[1], weight_con_s1=we[0], weight_con_s2=we[1],
               selection_ratio=r if selection else 1.0)
    total = 0.0
    for d in range(2):
        od = 1 - d
        w = wl[d][:, None]
        grad_p = np.zeros_like(p[d])  # dL/dp (softmax backward at the end)
        grad_z = np.zeros_like(p[d])  # terms already expressed in z
        seg = 0.0
        if "c" in o["loss_type"]:
            sw = wl[d].sum()
            cepix = -(t * lp[d]).sum(axis=1)
            if sw > 0:  # method-spec.md §9.30
                seg += (wl[d] * cepix).sum() / sw
                # d(-sum t log p)/dz = p sum t - t
                grad_z += w / sw * (p[d] * t.sum(axis=1, keepdims=True) - t)
        if "d" in o["loss_type"]:
            I = (w * p[d] * t).sum(axis=(0, 2, 3))
            K = (w * p[d] + w * t).sum(axis=(0, 2, 3))
            D = np.maximum(K, 1e-7)
            active = t.sum(axis=(0, 2, 3)) > 0
            seg += np.where(active, 1 - 2 * I / D, 0.0).sum() / C
            dI = np.where(active, -2 / D / C, 0.0)
            dK = np.where(active & (K > 1e-7), 2 * I / D ** 2 / C, 0.0)
            grad_p += w * (dI[None, :, None, None] * t + dK[None, :, None, None])
        con = 0.0
        if kind != "none":
            q, lq = p[od], lp[od]
            if kind == "ce":
                lpix = -(q * lp[d]).sum(axis=1)
            elif kind == "kl":
                lpix = np.where(q > 0, q * (lq - lp[d]), 0.0).sum(axis=1)
            else:
                lpix = ((p[d] - q) ** 2).sum(axis=1)
            swe = we[od].sum()
            if swe > 0:
                con = (we[od] * lpix).sum() / swe
                s = lam * we[od][:, None] / swe
                if kind == "mse":
                    grad_p += s * 2 * (p[d] - q)
                else:
                    grad_z += s * (p[d] * q.sum(axis=1, keepdims=True) - q)
        res[f"loss_seg_s{d + 1}"] = seg
        res[f"loss_con_s{d + 1}"] = con
        res[f"grad_logits_s{d + 1}"] = grad_z + softmax_backward(p[d], grad_p)
        total += seg + lam * con
    res["loss"] = total
    return res


def blur(plane):
    """method-spec.md §3.1: scipy gaussian_filter, sigma 3, truncate 4, mode reflect, float32."""
    return gaussian_filter(plane.astype(np.float32), sigma=3, truncate=4.0, mode="reflect")


def prior_from_seasons(ls, season, C, kind):
    """method-spec.md §3.1: temporal (4-season frequency) and spatial (drawn season) blurred one-hots,
    renormalised over classes; ts = their mean."""
    B, S, H, W = ls.shape
    out = np.zeros((B, C, H, W), np.float32)
    for b in range(B):
        oh = (ls[b][:, None] == np.arange(C)[None, :, None, None]).astype(np.float32)
        freq = oh.mean(axis=0)
        spat = oh[season[b]]

        def norm_blur(m):
            g = np.stack([blur(m[c]) for c in range(C)])
            return g / g.sum(axis=0, keepdims=True)

        mt, ms = norm_blur(freq), norm_blur(spat)
        out[b] = {"t": mt, "s": ms, "ts": (mt + ms) / 2}[kind]
    return out


def options(args):
    o = dict(DEFAULTS)
    toks = shlex.split(args)
    i = 0
    while i < len(toks):
        key = toks[i][2:]
        if key in ("validation_loss",):
            o[key] = True
            i += 1
        elif key.startswith("no-"):
            o[key[3:]] = False
            i += 1
        elif key == "label_smoothing_factor":
            vals = []
            i += 1
            while i < len(toks) and not toks[i].startswith("--"):
                vals.append(float(toks[i]))
                i += 1
            o[key] = vals
        else:
            v = toks[i + 1]
            o[key] = type(DEFAULTS[key])(v) if key in DEFAULTS else v
            i += 2
    return o


def random_prior(rng, B, C, H, W):
    g = rng.random((B, C, H, W)) + 0.05
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def write_case(name, z1, z2, y, epoch, args, prior=None, seasons=None):
    o = options(args)
    C = z1.shape[1]
    if seasons is not None:
        ls, season = seasons
        prior = prior_from_seasons(ls, season, C, o["label_smoothing_prior_type"])
    res = reference(z1, z2, y, prior.astype(np.float64) if prior is not None else None, epoch, o)
    path = os.path.join(OUT, f"objective_{name}.h5")
    with h5py.File(path, "w", libver="latest") as h:
        h.attrs["args"] = f"--epoch {epoch} {args}".strip()
        h.attrs["generator"] = f"tools/objective_reference.py numpy {np.__version__}"
        h["logits_s1"] = z1
        h["logits_s2"] = z2
        h["labels"] = y
        if seasons is not None:
            h["labels_seasons"] = seasons[0]
            h["season"] = seasons[1]
            h["expected/prior"] = prior.astype(np.float32)
        elif prior is not None:
            h["prior"] = prior.astype(np.float32)
        for k, v in res.items():
            h[f"expected/{k}"] = np.float64(v) if np.ndim(v) == 0 else np.asarray(v, np.float32)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("objective_") and f.endswith(".h5"):
            os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20260522)
    B, C, H, W = 2, 9, 5, 5

    def logits(scale=2.0, b=B, c=C, h=H, w=W):
        return (rng.standard_normal((b, c, h, w)) * scale).astype(np.float32)

    def labels(b=B, h=H, w=W, classes=C, absent=()):
        keep = [c for c in range(classes) if c not in absent]
        return rng.choice(keep, size=(b, h, w)).astype(np.int64)

    prior = random_prior(rng, B, C, H, W)
    z1, z2 = logits(), logits()
    y = labels(absent=(8,))
    y[0, 0, 0] = 7  # class 7: one pixel only (< 1/r pixels once r = 0.5)
    y[y == 7] = 3
    y[0, 0, 0] = 7
    for e in (0, 40, 80, 120):
        write_case(f"default_e{e}", z1, z2, y.astype(np.uint8), e, "", prior)
    write_case("kl", z1, z2, y, 40, "--consist_loss_type kl", prior)
    write_case("mse", z1, z2, y, 40, "--consist_loss_type mse", prior)
    write_case("con_none", z1, z2, y, 40, "--consist_loss_type none", prior)
    write_case("linear", z1, z2, y, 30, "--sample_selection_rmup_func linear", prior)
    write_case("ramp_none", z1, z2, y, 30, "--sample_selection_rmup_func none", prior)
    write_case("gini", z1, z2, y, 60, "--sample_selection_confidence_type gini", prior)
    write_case("no_smoothing", z1, z2, y, 60, "--no-label_smoothing", None)
    write_case("one_factor", z1, z2, y, 60, "--label_smoothing_factor 0.2", prior)
    write_case("prior_none", z1, z2, y, 60, "--label_smoothing_prior_type none", None)
    write_case("no_selection", z1, z2, y, 60, "--no-sample_selection", prior)
    write_case("validation", z1, z2, y, 60, "--validation_loss", None)
    write_case("weights", z1, z2, y, 90,
               "--loss_type c --consist_loss_weight 0.5 --sample_selection_rmdown_epoch 100 "
               "--sample_selection_prop 0.3", prior)
    write_case("dice_only", z1, z2, y, 90, "--loss_type d", prior)
    write_case("prop1", z1, z2, y, 120, "--sample_selection_prop 1", prior)
    # All-equal confidences: every logit 0.
    zeros = np.zeros((B, C, H, W), np.float32)
    write_case("equal", zeros, zeros, y, 120, "", prior)
    # Underflowing probabilities: logits of +-1000.
    big1 = np.where(rng.random((B, C, H, W)) < 0.2, 1000.0, -1000.0).astype(np.float32)
    big2 = np.where(rng.random((B, C, H, W)) < 0.2, 1000.0, -1000.0).astype(np.float32)
    big1[:, 0] = 1000.0
    write_case("underflow", big1, big2, y, 120, "", prior)
    write_case("underflow_kl", big1, big2, y, 120, "--consist_loss_type kl --no-label_smoothing",
               None)
    # Single-pixel batch: k = floor(1 * r) = 0 once r < 1, every CE weight 0 (method-spec.md §9.30).
    write_case("single_pixel", logits(b=1, h=1, w=1), logits(b=1, h=1, w=1),
               np.array([[[4]]], np.int32), 60, "", random_prior(rng, 1, C, 1, 1))
    write_case("single_pixel_e0", logits(b=1, h=1, w=1), logits(b=1, h=1, w=1),
               np.array([[[4]]], np.int32), 0, "--no-label_smoothing", None)
    # Priors from seasonal labels (method-spec.md §3.1), compared with scipy's gaussian_filter; W < 12
    # exercises repeated reflection.
    Hs, Ws = 16, 9
    ls = rng.choice(C, size=(1, 4, Hs, Ws)).astype(np.uint8)
    ls[:, :, :8, :] = 1  # a block of one class, so the blur has structure
    season = np.array([2], np.int64)
    ys = ls[np.arange(1), season].astype(np.int64)
    for kind in ("ts", "t", "s"):
        write_case(f"prior_{kind}", logits(b=1, h=Hs, w=Ws), logits(b=1, h=Hs, w=Ws), ys, 40,
                   f"--label_smoothing_prior_type {kind}", seasons=(ls, season))
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT)
                if f.startswith("objective_"))
    print(f"wrote fixtures to {OUT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
