#!/usr/bin/python3
# convae-levers.py: which levers lift the conv-AE's retrieval quality, prototyped in PyTorch.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/convae-levers.py [--data fashion|products] [--epochs 5] [--seed 1]
                                      [--threads 2] [--out RESULTS.jsonl] [--products DIR]
                                      [--subset N] [--vectors z,gap,cat] [--center-crop]
                                      [--eval-epochs E,E,...]
                                      VARIANT...

A research script, not a test: it trains the engine's conv-AE (the exact module of
tests/tools/make-convae-reference.py, i.e. /tmp/spec/convae.md) in PyTorch with the engine's
recipe and one change at a time, then measures precision@10 under eval-convae.py's protocol:

  fashion   Debian's Fashion-MNIST at 28 px, as stored (white on black), grey replicated to
            3 channels; trained on 90 % of the 60,000 training images (10 % held out for the
            validation loss, which picks the best epoch, as the engine does); gallery = all
            60,000 training vectors, queries = the 10,000 test vectors, a hit = same class.
  products  ../shared/data/products at 64 px (PIL bicubic from 224 px); trained on 90 %,
            leave-one-out over all 1,617 photos, a hit = same articleType.

Recipe (the engine's conv-ae): BCE on the logits (mean over all elements) against the clean
augmented image; augmentation = horizontal flip (p 0.5), shift by an integer in [-S/16, S/16]
pixels on each axis with the border repeated, brightness x U(0.9, 1.1) clipped to [0, 1]; input
noise N(0, 0.05^2) on the encoder's input only; AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8,
wd 1e-4), batch 32.

VARIANT is NAME[:key=value,...]:
  base                 the recipe
  noaug                the recipe without augmentation (noise kept)
  cos:lam=L            two augmented views a, b of each image; loss = BCE(a) + BCE(b)
                       + L * mean_i (1 - cos(z_a_i, z_b_i))
  ntxent:lam=L,tau=T   the same two views; loss = BCE(a) + BCE(b) + L * NT-Xent(z_a, z_b; T)
                       (SimCLR's normalised-temperature cross-entropy over the 2B codes)
--center-crop feeds Fashion-MNIST through the engine's default preprocessing first (to 32 px,
bicubic, then the central 28), to compare with what lookalike-cli trains on. --eval-epochs prints
z's P@10 after the given epochs (the current weights, not the best-validation ones).

Any variant takes crop=1 (add a random crop-and-resize, area 0.6-1, aspect 3/4-4/3, to the
augmentation), noise=F, and lr=F.

For every trained model it reports P@10 for three vectors -- z (the latent code), gap (the
global-average-pooled last encoder feature map) and cat (both, each L2-normalised, concatenated)
-- each raw, centred on the gallery mean and PCA-whitened (fit on the gallery). Each run appends
one JSON object per (vector, transform) to --out and prints a table.
"""
import argparse
import gzip
import importlib.util
import json
import math
import os
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def load_reference():
    spec = importlib.util.spec_from_file_location(
        "convae_reference", os.path.join(ROOT, "tests", "tools", "make-convae-reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- data -------------------------------------------------------------------------------------

def read_idx(name):
    with gzip.open(os.path.join(FASHION_DIR, name)) as f:
        raw = f.read()
    if raw[2] == 8 and raw[3] == 3:
        n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w)
    return np.frombuffer(raw, np.uint8, offset=8)


def center_crop(x):
    """The engine's center-crop of a square 28-px image: resized to round (28 x 256 / 224) = 32
    (bicubic), then the central 28 x 28."""
    from PIL import Image

    out = np.empty_like(x)
    for i, img in enumerate(x):
        out[i] = np.asarray(Image.fromarray(img).resize((32, 32), Image.BICUBIC))[2:30, 2:30]
    return out


def load_fashion(crop=False):
    """(train uint8 (N, 3, 28, 28), train labels, test images, test labels, train validation
    mask); with @crop, center-cropped as the engine's default preprocessing does."""
    out = []
    for prefix in ("train", "t10k"):
        x = read_idx(f"{prefix}-images-idx3-ubyte.gz")
        if crop:
            x = center_crop(x)
        y = read_idx(f"{prefix}-labels-idx1-ubyte.gz")
        out += [torch.from_numpy(np.repeat(x[:, None], 3, axis=1).copy()), np.asarray(y)]
    val = np.array([zlib.crc32(f"train/{i:05d}".encode()) % 10 == 0 for i in range(len(out[0]))])
    return out[0], out[1], out[2], out[3], val


def load_products(folder, size=64):
    from PIL import Image

    paths = sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder)
                   for f in fs if f.lower().endswith((".jpg", ".jpeg", ".png")))
    data = torch.empty((len(paths), 3, size, size), dtype=torch.uint8)
    for i, rel in enumerate(paths):
        with Image.open(os.path.join(folder, rel)) as img:
            img = img.convert("RGB").resize((size, size), Image.BICUBIC)
            data[i] = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)
    labels = np.array([rel.split(os.sep)[0] for rel in paths])
    val = np.array([zlib.crc32(rel.encode()) % 10 == 0 for rel in paths])
    return data, labels, val


# ---- augmentation -----------------------------------------------------------------------------

def augment(x, gen, crop):
    """One random view of @x (B, 3, S, S) float in [0, 1]: flip, integer shift up to S/16 with the
    border repeated, optionally a crop-and-resize, brightness. One affine grid_sample per batch."""
    b, _, s, _ = x.shape
    flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
    m = max(1, s // 16)
    tx = torch.randint(-m, m + 1, (b,), generator=gen).float() * 2 / s
    ty = torch.randint(-m, m + 1, (b,), generator=gen).float() * 2 / s
    sx = torch.ones(b)
    sy = torch.ones(b)
    if crop:
        area = 0.6 + 0.4 * torch.rand(b, generator=gen)
        logr = (torch.rand(b, generator=gen) * 2 - 1) * math.log(4 / 3)
        sx = torch.sqrt(area * torch.exp(logr)).clamp(max=1)
        sy = torch.sqrt(area / torch.exp(logr)).clamp(max=1)
        tx = tx + (torch.rand(b, generator=gen) * 2 - 1) * (1 - sx)
        ty = ty + (torch.rand(b, generator=gen) * 2 - 1) * (1 - sy)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = sx * flip
    theta[:, 0, 2] = tx
    theta[:, 1, 1] = sy
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    bright = 0.9 + 0.2 * torch.rand(b, 1, 1, 1, generator=gen)
    return (x * bright).clamp_(0, 1)


# ---- losses -----------------------------------------------------------------------------------

def cos_term(za, zb):
    """mean_i (1 - cos(z_a_i, z_b_i))."""
    return (1 - F.cosine_similarity(za, zb, dim=1, eps=1e-8)).mean()


def nt_xent(za, zb, tau):
    """SimCLR's NT-Xent over the 2B codes: each code's positive is its other view, its negatives
    the other 2B - 2 codes; mean over the 2B anchors."""
    b = za.shape[0]
    u = F.normalize(torch.cat([za, zb]), dim=1)
    logits = u @ u.t() / tau
    logits.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)])
    return F.cross_entropy(logits, target)


# ---- evaluation -------------------------------------------------------------------------------

def embed(model, data, batch=500):
    """(z, gap) for uint8 @data, in eval mode, no noise."""
    zs, gaps = [], []
    with torch.no_grad():
        for i in range(0, len(data), batch):
            h = data[i:i + batch].float().div_(255)
            for conv in model.encoder:
                h = F.leaky_relu(conv(h), 0.2)
            zs.append(model.to_latent(torch.flatten(h, 1)))
            gaps.append(h.mean(dim=(2, 3)))
    return torch.cat(zs).numpy().astype(np.float64), torch.cat(gaps).numpy().astype(np.float64)


def whitener(gallery):
    """PCA-whitening fit on @gallery: (mean, matrix W) with x -> (x - mean) W; eigenvalues are
    floored at 1e-6 of the largest."""
    mean = gallery.mean(0)
    cov = np.cov(gallery - mean, rowvar=False)
    lam, vec = np.linalg.eigh(cov)
    lam = np.maximum(lam, lam.max() * 1e-6)
    return mean, vec / np.sqrt(lam)


def transforms(gallery, queries):
    """{name: (gallery, queries)} for raw, centred and whitened."""
    mean, w = whitener(gallery)
    return {"raw": (gallery, queries),
            "centred": (gallery - mean, queries - mean),
            "whitened": ((gallery - mean) @ w, (queries - mean) @ w)}


def precision_at_k(gallery, g_labels, queries, q_labels, k=10, leave_one_out=False):
    """Mean fraction of the @k nearest gallery items (cosine) that share the query's label."""
    g = torch.from_numpy(gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True),
                                              1e-12)).float()
    q = torch.from_numpy(queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True),
                                              1e-12)).float()
    _, gl = np.unique(np.concatenate([g_labels, q_labels]), return_inverse=True)
    gl, ql = torch.from_numpy(gl[:len(g_labels)]), torch.from_numpy(gl[len(g_labels):])
    hits = 0
    for i in range(0, len(q), 1000):
        s = q[i:i + 1000] @ g.t()
        if leave_one_out:
            s[torch.arange(s.shape[0]), torch.arange(i, i + s.shape[0])] = float("-inf")
        top = s.topk(k, dim=1).indices
        hits += (gl[top] == ql[i:i + 1000, None]).sum().item()
    return hits / (len(q) * k)


def vectors(model, sets):
    """{vector name: (gallery, queries)} for z, gap and cat."""
    gz, gg = embed(model, sets["gallery"])
    if sets["queries"] is None:
        qz, qg = gz, gg
    else:
        qz, qg = embed(model, sets["queries"])

    def unit(a):
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    return {"z": (gz, qz), "gap": (gg, qg),
            "cat": (np.hstack([unit(gz), unit(gg)]), np.hstack([unit(qz), unit(qg)]))}


# ---- training ---------------------------------------------------------------------------------

def parse_variant(text):
    name, _, rest = text.partition(":")
    opts = {"lam": 0.0, "tau": 0.5, "crop": 0, "noise": 0.05, "lr": 1e-3}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in opts:
            raise SystemExit(f"{text}: unknown option {key}")
        opts[key] = float(value)
    if name not in ("base", "noaug", "cos", "ntxent"):
        raise SystemExit(f"{text}: unknown variant {name}")
    return name, opts


def train(reference, name, opts, data, val, size, epochs, seed, subset=0, batch=32, log=None,
          on_epoch=None):
    torch.manual_seed(seed)
    model, _ = reference.make_model(torch, size, 128)
    optimizer = torch.optim.AdamW(model.parameters(), lr=opts["lr"], betas=(0.9, 0.999),
                                  eps=1e-8, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(1000 + seed)
    train_idx = torch.from_numpy(np.flatnonzero(~val))
    if subset:
        pick = torch.randperm(len(train_idx), generator=torch.Generator().manual_seed(7))
        train_idx = train_idx[pick[:subset]]
    val_data = data[torch.from_numpy(np.flatnonzero(val))].float().div_(255)
    two_views = name in ("cos", "ntxent")
    best = (float("inf"), None, 0)
    history = []
    for epoch in range(epochs):
        model.train()
        order = train_idx[torch.randperm(len(train_idx), generator=gen)]
        sums = np.zeros(2)
        for i in range(0, len(order), batch):
            x = data[order[i:i + batch]].float().div_(255)
            views = [x if name == "noaug" else augment(x, gen, opts["crop"])]
            if two_views:
                views.append(augment(x, gen, opts["crop"]))
            recon, codes = 0.0, []
            for v in views:
                noisy = v + opts["noise"] * torch.randn(v.shape, generator=gen)
                z = model.encode(noisy)
                recon = recon + F.binary_cross_entropy_with_logits(model.decode_logits(z), v)
                codes.append(z)
            extra = torch.zeros(())
            if name == "cos":
                extra = cos_term(*codes)
            elif name == "ntxent":
                extra = nt_xent(*codes, opts["tau"])
            loss = recon + opts["lam"] * extra
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums += [recon.item() / len(views) * len(x), extra.item() * len(x)]
        model.eval()
        with torch.no_grad():
            v_loss = sum(F.binary_cross_entropy_with_logits(model(val_data[j:j + 500]),
                                                            val_data[j:j + 500]).item()
                         * len(val_data[j:j + 500]) for j in range(0, len(val_data), 500))
            v_loss /= len(val_data)
        history.append({"recon": sums[0] / len(order), "extra": sums[1] / len(order),
                        "val": v_loss})
        if log:
            print(f"  epoch {epoch + 1}: recon {history[-1]['recon']:.4f} "
                  f"extra {history[-1]['extra']:.4f} val {v_loss:.4f}", file=log, flush=True)
        if v_loss < best[0]:
            best = (v_loss, {k: t.clone() for k, t in model.state_dict().items()}, epoch + 1)
        if on_epoch:
            on_epoch(model, epoch + 1)
    model.load_state_dict(best[1])
    model.eval()
    return model, best[2], history


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("variants", nargs="*", default=["base"])
    parser.add_argument("--data", choices=("fashion", "products"), default="fashion")
    parser.add_argument("--products", default=os.path.join(SHARED, "data", "products"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vectors", default="z,gap,cat")
    parser.add_argument("--subset", type=int, default=0, metavar="N",
                        help="train on N of the training images only (the gallery stays whole)")
    parser.add_argument("--out", default="")
    parser.add_argument("--center-crop", action="store_true",
                        help="Fashion-MNIST center-cropped as the engine's default preprocessing")
    parser.add_argument("--eval-epochs", default="", metavar="E,E,...",
                        help="also print z's P@10 (raw, whitened) after these epochs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    reference = load_reference()

    if args.data == "fashion":
        data, labels, test, test_labels, val = load_fashion(args.center_crop)
        size, sets = 28, {"gallery": data, "queries": test}
    else:
        data, labels, val = load_products(args.products)
        test_labels, size, sets = labels, 64, {"gallery": data, "queries": None}

    rows = []
    for text in args.variants:
        name, opts = parse_variant(text)
        start = time.monotonic()
        print(f"{text}: training {args.epochs} epochs, seed {args.seed}", file=sys.stderr)
        checkpoints = {int(e) for e in filter(None, args.eval_epochs.split(","))}

        def on_epoch(model, epoch):
            if epoch not in checkpoints:
                return
            model.eval()
            g, q = vectors(model, sets)["z"]
            for tname, (tg, tq) in transforms(g, q).items():
                p = precision_at_k(tg, labels, tq, test_labels,
                                   leave_one_out=sets["queries"] is None)
                print(f"{args.data:<9} {text:<26} after epoch {epoch} z {tname:<9} P@10 {p:.4f}",
                      flush=True)
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps({"data": args.data, "variant": text, "seed": args.seed,
                                            "subset": args.subset, "after_epoch": epoch,
                                            "vector": "z", "transform": tname,
                                            "p10": round(p, 4)}) + "\n")
            model.train()

        model, best_epoch, history = train(reference, name, opts, data, val, size, args.epochs,
                                           args.seed, args.subset, log=sys.stderr,
                                           on_epoch=on_epoch)
        seconds = time.monotonic() - start
        for vec, (g, q) in vectors(model, sets).items():
            if vec not in args.vectors.split(","):
                continue
            for tname, (tg, tq) in transforms(g, q).items():
                p = precision_at_k(tg, labels, tq, test_labels,
                                   leave_one_out=sets["queries"] is None)
                row = {"data": args.data + ("-crop" if args.center_crop else ""),
                       "variant": text, "epochs": args.epochs,
                       "subset": args.subset,
                       "seed": args.seed, "best_epoch": best_epoch, "vector": vec,
                       "transform": tname, "p10": round(p, 4), "train_seconds": round(seconds, 1),
                       "final_val": round(history[best_epoch - 1]["val"], 5)}
                rows.append(row)
                if args.out:
                    with open(args.out, "a") as f:
                        f.write(json.dumps(row) + "\n")
                print(f"{args.data:<9} {text:<26} e{args.epochs:<3} s{args.seed} {vec:<4} "
                      f"{tname:<9} P@10 {p:.4f}  (best epoch {best_epoch}, {seconds:.0f} s)",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
