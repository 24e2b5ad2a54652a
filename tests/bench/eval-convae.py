#!/usr/bin/python3
# eval-convae.py: retrieval quality of the conv-ae backend against pixel baselines.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/eval-convae.py [--builddir _build] [--cli FILE] [--work DIR]
                                    [--only fashion|products] [--products DIR] [--retrain]
                                    [--size 28] [--products-size 64] [--epochs N] [--latent D]
                                    [--batch N] [--learning-rate F] [--denoise F] [--no-augment]
                                    [--seed N] [--threads N] [--train-arg ARG]...

The quality benchmark the README quotes for the conv-ae backend (a measurement, never a test):
precision@10 of its search vectors -- the latent code z as the catalog stores it -- against
pixel baselines computed here in numpy on the same split, with cosine similarity throughout.

Fashion-MNIST (Debian's dataset-fashion-mnist, read from /usr/share/datasets/fashion-mnist):
  the 60,000 training and 10,000 test images are written once, as stored (white on black), as
  WORK/fashion/{train,test}/<class>/<index>.png. `lookalike-cli train --size 28` trains on the
  training folder (and embeds it); `lookalike-cli index --backend conv-ae --weights MODEL` embeds
  the test folder into a second catalog. Gallery = the 60,000 training vectors, queries = the
  10,000 test vectors, a hit = the same class.
  Baselines: raw pixels (784 grey values in [0, 1]); the same centred on the gallery mean;
  PCA-128 (fit on the gallery, centred, projected on its first 128 components).
Products (../shared/data/products, <articleType>/<id>.jpg): leave-one-out over the folder, a
  hit = the same articleType. `lookalike-cli train --size 64` on the folder; the CLI's own
  `lookalike-cli eval --json` figure is printed beside ours as a cross-check.
  Baselines: raw 32 x 32 RGB pixels (PIL bicubic from the whole photo, 3,072 values in [0, 1]);
  the same centred on the gallery mean.
For our vectors, also: centred on the gallery mean, and PCA-whitened (fit on the gallery; every
component divided by the square root of its eigenvalue, eigenvalues floored at 1e-6 of the
largest), to show whether a post-transform would help.

Training options are passed through to `lookalike-cli train`; --train-arg ARG adds any other
(repeatable, e.g. --train-arg=--patience=5). WORK (default $XDG_CACHE_HOME/lookalike-bench/
eval-convae) keeps the PNGs and one directory per distinct training command line, so a rerun
with the same options reuses the trained model and catalogs; --retrain trains again. The CLI's
stderr goes to log files in those directories, never into the table. The training time and
images/s are the ones `lookalike-cli train --json` reports.

Note: the catalog's default preprocessing (center-crop: short side to round (S x 256 / 224), then
the central S x S) applies to training and embedding alike, so on 28-px Fashion-MNIST our model
sees the central 24.5 px enlarged while the pixel baselines see the whole frame.
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]
EXTENSIONS = (".jpg", ".jpeg", ".png")
VECTORS_SQL = ("SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id "
               "WHERE e.backend = 'conv-ae'")


# ---- data -------------------------------------------------------------------------------------

def read_idx(name):
    """An IDX file of Debian's dataset-fashion-mnist: images (N, 28, 28) or labels (N,) uint8."""
    path = os.path.join(FASHION_DIR, name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is absent: apt-get install dataset-fashion-mnist")
    with gzip.open(path) as f:
        raw = f.read()
    if raw[3] == 3:
        n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w)
    return np.frombuffer(raw, np.uint8, offset=8)


def fashion_split(prefix):
    """(images (N, 28, 28) uint8, labels (N,), relative PNG paths)."""
    images = read_idx(f"{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{prefix}-labels-idx1-ubyte.gz")
    paths = [os.path.join(CLASSES[y], f"{i:05d}.png") for i, y in enumerate(labels)]
    return images, labels, paths


def export_fashion(work):
    """Writes WORK/fashion/{train,test}/<class>/<index>.png once; returns {split: (images,
    labels, folder)}."""
    from PIL import Image

    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels, paths = fashion_split(prefix)
        folder = os.path.join(work, "fashion", split)
        done = os.path.join(work, "fashion", f".{split}-complete")
        if not os.path.exists(done):
            print(f"writing {len(paths):,} PNGs under {folder}", file=sys.stderr)
            for name in CLASSES:
                os.makedirs(os.path.join(folder, name), exist_ok=True)
            for img, rel in zip(images, paths):
                Image.fromarray(img).save(os.path.join(folder, rel))
            open(done, "w").close()
        out[split] = (images, labels, folder)
    return out


def product_pixels(folder, side=32):
    """(relative paths, labels, raw side x side RGB pixels in [0, 1]) of every photo under
    @folder, sorted."""
    from PIL import Image

    paths = sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder)
                   for f in fs if f.lower().endswith(EXTENSIONS))
    pixels = np.empty((len(paths), side * side * 3), np.float32)
    for i, rel in enumerate(paths):
        with Image.open(os.path.join(folder, rel)) as img:
            img = img.convert("RGB").resize((side, side), Image.BICUBIC)
            pixels[i] = np.asarray(img, np.float32).reshape(-1) / 255
    return paths, np.array([p.split(os.sep)[0] for p in paths]), pixels


# ---- metrics ----------------------------------------------------------------------------------

def precision_at_k(gallery, g_labels, queries=None, q_labels=None, k=10):
    """Mean fraction of each query's @k nearest gallery items (cosine) that share its label;
    without queries, leave-one-out over the gallery."""
    def unit(a):
        a = np.asarray(a, np.float32)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    loo = queries is None
    g = unit(gallery)
    q = g if loo else unit(queries)
    q_labels = g_labels if loo else q_labels
    hits = 0
    for i in range(0, len(q), 1000):
        s = q[i:i + 1000] @ g.T
        if loo:
            s[np.arange(len(s)), np.arange(i, i + len(s))] = -np.inf
        top = np.argpartition(-s, k, axis=1)[:, :k]
        hits += int((g_labels[top] == q_labels[i:i + 1000, None]).sum())
    return hits / (len(q) * k)


def pca_fit(gallery):
    """(mean, eigenvalues descending, eigenvectors as columns) of @gallery, in float64."""
    mean = gallery.mean(0, dtype=np.float64)
    centred = gallery - mean
    cov = centred.T @ centred / (len(gallery) - 1)
    lam, vec = np.linalg.eigh(cov)
    return mean, lam[::-1], vec[:, ::-1]


def variants(gallery, queries, pca_dims=0, whiten=False):
    """[(name, gallery, queries)]: raw, centred, then PCA-@pca_dims and/or PCA-whitened."""
    gallery = np.asarray(gallery, np.float64)
    queries = None if queries is None else np.asarray(queries, np.float64)
    out = [("", gallery, queries)]
    mean, lam, vec = pca_fit(gallery)

    def apply(a, w):
        return None if a is None else (a - mean) @ w

    out.append((", centred", gallery - mean, apply(queries, np.eye(len(mean)))))
    if pca_dims:
        w = vec[:, :pca_dims]
        out.append((f", PCA-{pca_dims}", apply(gallery, w), apply(queries, w)))
    if whiten:
        w = vec / np.sqrt(np.maximum(lam, lam[0] * 1e-6))
        out.append((", PCA-whitened", apply(gallery, w), apply(queries, w)))
    return out


# ---- the CLI ----------------------------------------------------------------------------------

def run(cmd, log, env):
    """Runs @cmd with its stderr in @log; returns its stdout."""
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {proc.returncode}; see {log}")
    return proc.stdout.decode()


def last_json(out):
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return json.loads(out)


def train_options(args, size):
    opts = ["--size", str(size)]
    for flag, value in (("--epochs", args.epochs), ("--latent", args.latent),
                        ("--batch", args.batch), ("--learning-rate", args.learning_rate),
                        ("--denoise", args.denoise), ("--seed", args.seed),
                        ("--threads", args.threads)):
        if value is not None:
            opts += [flag, str(value)]
    if args.no_augment:
        opts.append("--no-augment")
    return opts + list(args.train_arg)


def trained(args, name, folder, size):
    """Trains on @folder once per distinct command line (or again with --retrain); returns
    (run directory, catalog, model file, the train summary)."""
    opts = train_options(args, size)
    key = hashlib.sha256(json.dumps([os.path.abspath(folder)] + opts).encode()).hexdigest()[:10]
    rundir = os.path.join(args.work, name, f"run-{key}")
    db = os.path.join(rundir, "train.db")
    summary_path = os.path.join(rundir, "train.json")
    if args.retrain and os.path.isdir(rundir):
        shutil.rmtree(rundir)
    if not os.path.exists(summary_path):
        os.makedirs(rundir, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal", ".conv-ae.safetensors"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        cmd = [args.cli, "train", "--index", db] + opts + ["--json", folder]
        with open(os.path.join(rundir, "command"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        print(f"{name}: {' '.join(cmd)}", file=sys.stderr, flush=True)
        out = run(cmd, os.path.join(rundir, "train.log"), args.env)
        with open(summary_path, "w") as f:
            f.write(json.dumps(last_json(out)) + "\n")
    with open(summary_path) as f:
        summary = json.load(f)
    model = summary.get("model_path") or db + ".conv-ae.safetensors"
    if not os.path.exists(model):
        model = db + ".conv-ae.safetensors"
    return rundir, db, model, summary


def catalog_vectors(db):
    """{relative path: float32 vector} of a catalog's conv-ae embeddings."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(VECTORS_SQL).fetchall()
    finally:
        con.close()
    out = {}
    for path, blob in rows:
        path = path.decode() if isinstance(path, bytes) else path
        out[path.replace("/", os.sep)] = np.frombuffer(blob, "<f4")
    return out


def ordered(vectors, paths, what):
    """The vectors of @paths, in order; fails when any is missing."""
    missing = [p for p in paths if p not in vectors]
    if missing:
        raise SystemExit(f"{what}: {len(missing)} of {len(paths)} images have no conv-ae vector "
                         f"(first: {missing[0]})")
    return np.stack([vectors[p] for p in paths])


# ---- the two data sets ------------------------------------------------------------------------

def training_row(summary):
    return {"seconds": summary.get("seconds"), "images_per_second": summary.get("images_per_second"),
            "best_epoch": summary.get("best_epoch"), "epochs": summary.get("epochs"),
            "input_size": summary.get("input_size")}


def fashion(args):
    data = export_fashion(args.work)
    g_img, g_labels, train_folder = data["train"]
    q_img, q_labels, test_folder = data["test"]
    rows = []
    name = "Fashion-MNIST 60k/10k"
    g = g_img.reshape(len(g_img), -1).astype(np.float32) / 255
    q = q_img.reshape(len(q_img), -1).astype(np.float32) / 255
    for suffix, tg, tq in variants(g, q, pca_dims=128):
        rows.append((name, "raw pixels 28×28" + suffix, precision_at_k(tg, g_labels, tq, q_labels),
                     None))

    rundir, db, model, summary = trained(args, "fashion", train_folder, args.size)
    test_db = os.path.join(rundir, "test.db")
    if not os.path.exists(os.path.join(rundir, "test.json")):
        cmd = [args.cli, "index", "--index", test_db, "--backend", "conv-ae", "--weights", model,
               "--json", test_folder]
        if args.threads is not None:
            cmd[2:2] = ["--threads", str(args.threads)]
        out = run(cmd, os.path.join(rundir, "test.log"), args.env)
        with open(os.path.join(rundir, "test.json"), "w") as f:
            f.write(json.dumps(last_json(out)) + "\n")
    _, _, g_paths = fashion_split("train")
    _, _, q_paths = fashion_split("t10k")
    zg = ordered(catalog_vectors(db), g_paths, "training catalog")
    zq = ordered(catalog_vectors(test_db), q_paths, "test catalog")
    for suffix, tg, tq in variants(zg, zq, whiten=True):
        rows.append((name, f"conv-ae z ({zg.shape[1]})" + suffix,
                     precision_at_k(tg, g_labels, tq, q_labels), training_row(summary)))
    return rows


def products(args):
    folder = args.products
    if not os.path.isdir(folder):
        raise SystemExit(f"{folder} is absent: this data set needs ../shared")
    paths, labels, pixels = product_pixels(folder)
    rows = []
    name = f"products {len(paths):,} LOO"
    for suffix, tg, _ in variants(pixels, None):
        rows.append((name, "raw pixels 32×32 RGB" + suffix, precision_at_k(tg, labels), None))

    rundir, db, _, summary = trained(args, "products", folder, args.products_size)
    z = ordered(catalog_vectors(db), paths, "products catalog")
    for suffix, tg, _ in variants(z, None, whiten=True):
        rows.append((name, f"conv-ae z ({z.shape[1]})" + suffix, precision_at_k(tg, labels),
                     training_row(summary)))
    out = run([args.cli, "eval", "--index", db, "--backend", "conv-ae", "--json"],
              os.path.join(rundir, "eval.log"), args.env)
    cli = last_json(out)
    p = next((cli[k] for k in ("precision_at_k", "precision_at_10")
              if k in cli), None)
    if p is not None:
        rows.append((name, "conv-ae z, lookalike-cli eval", float(p), None))
    else:
        print(f"lookalike-cli eval --json: no precision field in {sorted(cli)}", file=sys.stderr)
    return rows


def main():
    parser = argparse.ArgumentParser(description="conv-ae retrieval quality against baselines")
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--cli", default="")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    parser.add_argument("--work", default=os.path.join(cache, "lookalike-bench", "eval-convae"))
    parser.add_argument("--only", choices=("fashion", "products"))
    parser.add_argument("--products", default=os.path.join(SHARED, "data", "products"))
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--size", type=int, default=28, help="Fashion-MNIST's training size")
    parser.add_argument("--products-size", type=int, default=64)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--latent", type=int)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--denoise", type=float)
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--train-arg", action="append", default=[], metavar="ARG")
    parser.add_argument("--json", default="", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args()
    args.cli = os.path.abspath(args.cli or os.path.join(args.builddir, "app", "cli",
                                                        "lookalike-cli"))
    if not os.path.exists(args.cli):
        raise SystemExit(f"{args.cli} is missing: meson compile -C {args.builddir} "
                         "app/cli/lookalike-cli")
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    # the CLI remembers "the catalog last indexed" under XDG_DATA_HOME: keep that in WORK
    args.env = dict(os.environ, XDG_DATA_HOME=os.path.join(args.work, "xdg"))

    start = time.monotonic()
    rows = []
    if args.only in (None, "fashion"):
        rows += fashion(args)
    if args.only in (None, "products"):
        rows += products(args)

    header = f"{'data set':<24} {'method':<36} {'P@10':>6} {'train s':>8} {'img/s':>7} {'best ep':>7}"
    print(header)
    print("-" * len(header))
    for data, method, p, t in rows:
        extra = ""
        if t:
            extra = (f" {t['seconds'] or 0:>8.0f} {t['images_per_second'] or 0:>7.1f} "
                     f"{str(t['best_epoch']) + '/' + str(t['epochs']):>7}")
        print(f"{data:<24} {method:<36} {p:>6.4f}{extra}")
    opts = " ".join(train_options(args, args.size)[2:])
    print(f"precision@10, cosine; conv-ae trained by {args.cli} train --size {args.size} "
          f"(products {args.products_size}) {opts}; {time.monotonic() - start:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"data": d, "method": m, "p10": p, "training": t} for d, m, p, t in rows],
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
