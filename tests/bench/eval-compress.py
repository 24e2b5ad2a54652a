#!/usr/bin/python3
# eval-compress.py: which compressor of CNN vectors to make the compressed-embeddings default.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/eval-compress.py [--work DIR] [--quick] [--only products|fashion]
                                     [--sizes 16,32,64,128,256] [--seeds 2] [--methods NAME,...]
                                     [--set KEY=VALUE]... [--sweep [LABEL,...]]
                                     [--builddir _build] [--cli FILE] [--products DIR]
                                     [--weights FILE] [--per-class 500] [--threads 1]
                                     [--json FILE]

A research script, not a test: how much retrieval quality a small code (16-256 floats, or
bytes) learnt from a catalog's own CNN vectors keeps, to choose the default compressor of a
"compressed embeddings" backend. Run it with Debian's /usr/bin/python3 (numpy, torch 1.13);
the whole run takes about an hour per data set on one core, --quick under a minute.

Data: two catalogs indexed by `lookalike-cli index --backend cnn` with the ImageNet SqueezeNet
1.1 weights (512-d, table embeddings), each item labelled by its top folder:
  products  ../shared/data/products: 1,617 product photos in 59 article types;
  fashion   Fashion-MNIST: --per-class N (500) test images of each of the 10 classes, exported
            as PNG by `lookalike-demo export` (Debian's dataset-fashion-mnist).
WORK (default /tmp/lookalike-bench/eval-compress) keeps the PNGs and the catalogs; indexing is
incremental, so a second run starts at once.

Every vector first goes through the engine's CNN post-transform (lk_embedder_mean_fit/apply,
then unit length, as engine/search/lk-search-index.c does): centred on the catalog mean shrunk
by n / (n + 16), then L2-normalised. That 512-d X is the uncompressed baseline and the input of
every compressor, which is fitted on the catalog itself (the product's situation: the user's
catalog is the training set). Codes are compared by cosine.

Metric: leave-one-out precision@10 by label, as `lookalike-cli eval` computes it (each item
queries all the others; higher cosine first, equal ones by lower row; the mean over items of the
fraction of its 10 nearest with its label; the raw row reproduces the CLI's figure). Columns:
  P@10        fitted on the whole catalog; mean ± half the range over the seeds (a learned
              method's initialisation and validation split; PCA has none)
  rc          P@10 of the codes re-centred on their (shrunk) catalog mean and normalised
  kNN         recall of the uncompressed top-10: overlap of each item's 10 nearest by code
              with its 10 nearest by X (label-free: what a compressor can aim at)
  held-out    fitted on a random 80 % of the catalog (one split per seed); the other 20 % query
              the whole catalog, every item coded by that fit: does a method only memorise?
  Δ held-out  held-out minus the uncompressed figure on the same split (the splits differ
              from each other more than the methods do)
  self        the reconstruction's nearest catalog vector (cosine, over X) is the item itself
  rec-cos     mean cosine between x and its reconstruction (PCA: from the first d components)
  MSE         per-element squared error of the reconstruction of the held-out 20 %
  epochs      best epoch / epochs run; train s: seconds of one full fit (means over seeds)
Compressors:
  pca         PCA on the centred X, the first d components
  pca-wA      the same, component j scaled by eigenvalue_j ^ -A (A = 0.25, 0.5; 1 whitens;
              eigenvalues floored at 1e-6 of the largest)
  ae-mse      MLP autoencoder D-h-h-d-h-h-D (h 512), ReLU, linear code and output; Adam (lr
              1e-3), batch 256; loss |x - decoder(z)|^2
  ae-pair     the same encoder, no decoder; loss: MSE between the batch's input-space and
              code-space cosine matrices, weight 1 + beta on each row's 5 highest (beta 0)
  ae-kl       the same encoder; loss: per row of the batch, KL(softmax(S_in / tau) ||
              softmax(S_code / tau)) over the other rows (ListNet distillation, tau 0.05), plus
              mu x uniformity, log mean exp(-2 |u_i - u_j|^2) of the unit codes (mu 0)
  ae-kl-rand  ae-kl on plain shuffled batches (m 0: no neighbour mining)
  ae-kl-rec   ae-kl plus rec x |x - decoder(z)|^2 (rec 0.1)
  lin-kl      a linear encoder (d x 512 and a bias, initialised with PCA) trained by ae-kl's
              loss (lr 3e-4); lin-pair likewise by ae-pair's
The neighbourhood losses (but ae-kl-rand) see batches of anchors, each with m = 3 of its 20
nearest training rows (by X): the true neighbours the softmax is to keep, beside the other
anchors and their neighbours as the rest of the list. Training holds 10 % of the fitting rows
out: ae-mse watches their MSE, the others their kNN recall within the fitting rows; a plateau
(no progress by 0.2 % of the MSE or 0.001 of recall for 100 steps, at least 5 epochs) halves
the learning rate, the fifth plateau stops, and the best epoch's weights are kept.
8-bit codes: at 32 and 128, the best row (mean of P@10 and held-out), the best learned one and
PCA. The unit codes quantised per dimension between the catalog's min and max to uint8 and
dequantised, both sides (u8) or the catalog's alone (u8-asym, float queries); or int8 with one
scale for every dimension, integer dot products (i8; exact in float32); or int8 with one scale
per dimension, integer dot products without the scales (i8-dim, the naive integer kernel).
recall@10 of the 8-bit search against the float codes' own top-10, and its P@10.

--sweep [LABEL,...] runs, instead, the rows of SWEEP (the neighbourhood objectives'
hyperparameters, one change at a time) at --sizes; --set KEY=VALUE overrides a hyperparameter
of every learned method (the keys of DEFAULTS). --quick: products only, 32 and 128, one seed,
five methods, at most 60 epochs. --threads (1) for torch and OpenBLAS: the machine has 2 cores,
and on it one thread trains as fast as two.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

# OpenBLAS reads its thread count when it loads, before argparse runs: --threads, early
THREADS = "1"
for _i, _a in enumerate(sys.argv):
    if _a.startswith("--threads"):
        THREADS = _a.partition("=")[2] or (sys.argv[_i + 1] if _i + 1 < len(sys.argv) else "1")
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = THREADS

import sqlite3  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
MEAN_PRIOR = 16.0  # engine/lk-embedder.c
VECTORS_SQL = ("SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id "
               "WHERE e.backend = 'cnn' ORDER BY e.item_id")
K = 10
CHUNK = 1024


def tune_malloc():
    """glibc hands every large tensor back to the kernel and faults it in again at the next
    batch; raising its mmap and trim thresholds keeps them (a fifth of torch's time here)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


# ---- data -------------------------------------------------------------------------------------

def run(cmd, log, env):
    """Runs @cmd with its stderr in @log; returns its stdout."""
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {proc.returncode}; see {log}")
    return proc.stdout.decode()


def indexed(args, name, folder):
    """Indexes @folder into WORK/NAME.db (incrementally); returns the catalog's path."""
    db = os.path.join(args.work, f"{name}.db")
    cmd = [args.cli, "index", "--index", db, "--backend", "cnn", "--weights", args.weights,
           "--threads", "2", "--json", folder]
    print(f"{name}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    run(cmd, os.path.join(args.work, f"index-{name}.log"), args.env)
    return db


def fashion_folder(args):
    """WORK/fashion-N/<class>/<index>.png, exported once by lookalike-demo."""
    folder = os.path.join(args.work, f"fashion-{args.per_class}")
    done = folder + ".complete"
    if not os.path.exists(done):
        demo = os.path.join(args.builddir, "data", "demo", "lookalike-demo")
        if not os.path.exists(demo):
            raise SystemExit(f"{demo} is missing: meson compile -C {args.builddir}")
        run([demo, "export", "--per-class", str(args.per_class), folder],
            os.path.join(args.work, "export-fashion.log"), args.env)
        open(done, "w").close()
    return folder


def catalog_vectors(db):
    """(relative paths, labels (top folder), raw vectors (n, 512) float32) in row order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(VECTORS_SQL).fetchall()
    finally:
        con.close()
    paths = [(p.decode() if isinstance(p, bytes) else p) for p, _ in rows]
    vectors = np.stack([np.frombuffer(blob, "<f4") for _, blob in rows])
    labels = np.array([p.split("/")[0] for p in paths])
    return paths, labels, vectors


def mean_fit(v):
    """lk_embedder_mean_fit: the mean, shrunk towards zero by n / (n + MEAN_PRIOR)."""
    return v.sum(0, dtype=np.float64) / (len(v) + MEAN_PRIOR)


def unit(a):
    """Rows at unit length; zero rows stay zero (as the engine leaves them)."""
    a = np.asarray(a, np.float32)
    n = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(n > 0, n, 1)


def post_transform(v):
    """The CNN backend's post-transform and the search index's normalisation."""
    return unit(v - mean_fit(v).astype(np.float32))


# ---- metrics ----------------------------------------------------------------------------------

def top_k(gallery, queries, k=K, exclude=None):
    """(nq, k) gallery rows of the @k highest dot products with each query, ties to the lower
    row (lk_ranker_top_k's order); exclude[i] is a row left out for query i."""
    gallery = np.asarray(gallery, np.float32)
    queries = np.asarray(queries, np.float32)
    out = np.empty((len(queries), k), np.int64)
    for s in range(0, len(queries), CHUNK):
        sc = queries[s:s + CHUNK] @ gallery.T
        rows = np.arange(len(sc))
        if exclude is not None:
            sc[rows, exclude[s:s + CHUNK]] = -np.inf
        part = np.argpartition(-sc, k - 1, axis=1)[:, :k]
        vals = sc[rows[:, None], part]
        order = np.lexsort((part, -vals), axis=-1)
        out[s:s + len(sc)] = np.take_along_axis(part, order, 1)
        kth = vals.min(1)
        ties = np.flatnonzero((sc >= kth[:, None]).sum(1) > k)
        for r in ties:
            cand = np.flatnonzero(sc[r] >= kth[r])
            cand = cand[np.lexsort((cand, -sc[r, cand]))]
            out[s + r] = cand[:k]
    return out


def precision(top, labels, queries):
    return float((labels[top] == labels[queries][:, None]).mean())


def overlap(top_a, top_b):
    """Mean fraction of each row of @top_a found in the same row of @top_b."""
    return float(np.mean([len(np.intersect1d(a, b, assume_unique=True)) / len(a)
                          for a, b in zip(top_a, top_b)]))


class Data:
    """One catalog: X (post-transformed), labels, its exact top-10 lists, the held-out splits."""

    def __init__(self, name, labels, raw):
        self.name = name
        self.labels = labels
        self.x = post_transform(raw)
        self.n, self.dim = self.x.shape
        self.all = np.arange(self.n)
        self.top = top_k(self.x, self.x, K, exclude=self.all)

    def split(self, seed):
        """(fitting rows, held-out rows): a random 80 / 20 % split, one per seed."""
        perm = np.random.default_rng(1000 + seed).permutation(self.n)
        cut = int(round(self.n * 0.8))
        return np.sort(perm[:cut]), np.sort(perm[cut:])


def retrieval(data, codes, queries=None, recentre=False):
    """(P@10, kNN recall, top lists) of @codes (one per catalog row) by cosine, @queries
    (default every row) against the whole catalog, leave-one-out."""
    codes = np.asarray(codes, np.float32)
    if recentre:
        codes = codes - mean_fit(codes).astype(np.float32)
    u = unit(codes)
    q = data.all if queries is None else queries
    top = top_k(u, u[q], K, exclude=q)
    return precision(top, data.labels, q), overlap(top, data.top[q]), top


def reconstruction(data, recon, held):
    """(self-retrieval over the catalog, mean cosine to the input, MSE of the held-out rows)."""
    out = {}
    if recon.get("full") is not None:
        r = unit(recon["full"])
        nearest = top_k(data.x, r, 1)[:, 0]
        out["self"] = float((nearest == data.all).mean())
        out["cos"] = float(np.mean(np.sum(r * data.x, 1)))
    if recon.get("held") is not None:
        out["mse"] = float(np.mean((recon["held"] - data.x[held]) ** 2))
    return out


# ---- PCA --------------------------------------------------------------------------------------

def pca(data, fit, d, alpha=0.0):
    """Fits PCA on rows @fit of X; returns (codes of every row, reconstructions of every row):
    component j scaled by eigenvalue_j ^ -alpha (eigenvalues floored at 1e-6 of the largest)."""
    x = data.x.astype(np.float64)
    mean = x[fit].mean(0)
    c = x[fit] - mean
    lam, vec = np.linalg.eigh(c.T @ c / (len(fit) - 1))
    lam, vec = lam[::-1][:d], vec[:, ::-1][:, :d]
    lam = np.maximum(lam, lam[0] * 1e-6)
    z = (x - mean) @ vec
    return (z * lam ** -alpha).astype(np.float32), (mean + z @ vec.T).astype(np.float32)


# ---- learned compressors ----------------------------------------------------------------------

METHODS = {
    # name: the recipe; every key of DEFAULTS may be overridden
    "ae-mse": {"encoder": "mlp", "loss": "mse"},
    "ae-pair": {"encoder": "mlp", "loss": "pair"},
    "ae-kl": {"encoder": "mlp", "loss": "kl"},
    "ae-kl-rand": {"encoder": "mlp", "loss": "kl", "m": 0},
    "ae-kl-rec": {"encoder": "mlp", "loss": "kl", "rec": 0.1},
    "lin-kl": {"encoder": "linear", "loss": "kl"},
    "lin-pair": {"encoder": "linear", "loss": "pair"},
    "ae-mse-h1024": {"encoder": "mlp", "loss": "mse", "hidden": 1024},
}
PCA = {"pca": 0.0, "pca-w0.25": 0.25, "pca-w0.5": 0.5, "pca-w1": 1.0}
DEFAULTS = {"hidden": 512, "lr": 1e-3, "batch": 256, "epochs": 400,
            "tau": 0.05, "mu": 0.0, "beta": 0.0, "m": 3, "pool": 20, "rec": 0.0}
LINEAR_LR = 3e-4
PLATEAU_STEPS = 100  # epochs without progress before the learning rate halves: this many steps,
TOL_RECALL = 1e-3    # at least 5 epochs; progress: kNN recall up by TOL_RECALL,
TOL_MSE = 2e-3       # or the MSE down by this fraction of itself
HALVINGS = 5         # the fifth plateau ends the training
CURVE = None         # a list to collect each epoch's validation score in


def recipe(name, **over):
    """The full hyperparameters of method @name with @over applied."""
    r = dict(DEFAULTS, **METHODS[name])
    if r["encoder"] == "linear":
        r["lr"] = LINEAR_LR
    r.update(over)
    return r


class Coder(torch.nn.Module):
    """Encoder (MLP D-h-h-d with ReLU, or linear) and, for a reconstruction term, a decoder
    (MLP d-h-h-D, or linear). The linear ones start from PCA's first d components."""

    def __init__(self, dim, d, r, x_fit):
        super().__init__()
        h = r["hidden"]
        if r["encoder"] == "linear":
            mean = x_fit.mean(0)
            c = (x_fit - mean).astype(np.float64)
            _, vec = np.linalg.eigh(c.T @ c)
            vec = torch.from_numpy(vec[:, ::-1][:, :d].copy()).float()
            mean = torch.from_numpy(mean).float()
            self.encoder = torch.nn.Linear(dim, d)
            self.decoder = torch.nn.Linear(d, dim) if r["rec"] > 0 else None
            with torch.no_grad():
                self.encoder.weight.copy_(vec.t())
                self.encoder.bias.copy_(-(mean @ vec))
                if self.decoder is not None:
                    self.decoder.weight.copy_(vec)
                    self.decoder.bias.copy_(mean)
        else:
            relu = torch.nn.ReLU
            self.encoder = torch.nn.Sequential(
                torch.nn.Linear(dim, h), relu(), torch.nn.Linear(h, h), relu(),
                torch.nn.Linear(h, d))
            self.decoder = None
            if r["loss"] == "mse" or r["rec"] > 0:
                self.decoder = torch.nn.Sequential(
                    torch.nn.Linear(d, h), relu(), torch.nn.Linear(h, h), relu(),
                    torch.nn.Linear(h, dim))


def encode(model, x, decode=False):
    """Codes (and reconstructions) of numpy rows @x, in batches, without gradients."""
    model.eval()
    zs, rs = [], []
    with torch.no_grad():
        for s in range(0, len(x), 4096):
            z = model.encoder(torch.from_numpy(x[s:s + 4096]))
            zs.append(z.numpy())
            if decode and model.decoder is not None:
                rs.append(model.decoder(z).numpy())
    model.train()
    return np.concatenate(zs), (np.concatenate(rs) if rs else None)


def neighbourhood_loss(x, z, r):
    """The batch's neighbourhood term: ae-pair's weighted cosine-matrix MSE or ae-kl's
    ListNet KL plus mu x uniformity. @x (B, D) unit rows, @z (B, d) codes."""
    u = F.normalize(z, dim=1)
    s_in = x @ x.t()
    s_code = u @ u.t()
    eye = torch.eye(len(x), dtype=torch.bool)
    if r["loss"] == "pair":
        w = torch.ones_like(s_in)
        if r["beta"] > 0:
            top = s_in.masked_fill(eye, -2).topk(min(5, len(x) - 1), dim=1).indices
            w.scatter_(1, top, 1 + r["beta"])
        return (w * (s_code - s_in) ** 2).masked_fill(eye, 0).sum() / (len(x) * (len(x) - 1))
    target = F.softmax((s_in / r["tau"]).masked_fill(eye, -1e9), dim=1)
    logq = F.log_softmax((s_code / r["tau"]).masked_fill(eye, -1e9), dim=1)
    loss = F.kl_div(logq, target, reduction="batchmean")
    if r["mu"] > 0:
        sq = (2 - 2 * s_code)[~eye]
        loss = loss + r["mu"] * (torch.logsumexp(-2 * sq, 0) - np.log(len(sq)))
    return loss


def batches(rng, train, pool, r):
    """One epoch of batches (index arrays into X): shuffled rows for the reconstruction loss;
    for the neighbourhood losses, anchors each with m random rows of its @pool neighbours."""
    b = r["batch"]
    steps = max(1, -(-len(train) // b))
    if r["loss"] == "mse" or r["m"] == 0:
        perm = rng.permutation(train)
        return [perm[i * b:(i + 1) * b] for i in range(steps)]
    anchors = b // (1 + r["m"])
    perm = rng.permutation(len(train))
    while len(perm) < steps * anchors:
        perm = np.concatenate([perm, rng.permutation(len(train))])
    out = []
    for i in range(steps):
        a = perm[i * anchors:(i + 1) * anchors]
        pick = np.argsort(rng.random((len(a), pool.shape[1])), axis=1)[:, :r["m"]]
        rows = np.unique(np.concatenate([a, pool[a[:, None], pick].ravel()]))
        out.append(train[rows])
    return out


def train(data, fit, d, seed, r):
    """Trains a Coder on rows @fit of X: 10 % of them (by @seed) held out for early stopping.
    Returns (model at its best epoch, {best_epoch, epochs, seconds, val})."""
    start = time.monotonic()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    perm = rng.permutation(fit)
    n_val = max(1, len(fit) // 10)
    val, tr = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    x = torch.from_numpy(data.x)
    model = Coder(data.dim, d, r, data.x[tr])
    optimizer = torch.optim.Adam(model.parameters(), lr=r["lr"])
    pool = None
    if r["loss"] != "mse":
        # each training row's nearest training rows, as positions in tr
        pool = top_k(data.x[tr], data.x[tr], r["pool"], exclude=np.arange(len(tr)))
        # the validation rows' true top-10 among the fitting rows, as positions in fit
        pos = np.searchsorted(fit, val)
        val_top = top_k(data.x[fit], data.x[val], K, exclude=pos)
    # early stopping: the best epoch's weights are kept; an epoch that does not beat the best
    # by TOL counts towards a plateau, which halves the learning rate; the fifth stops
    steps = max(1, -(-len(tr) // r["batch"]))
    plateau = max(5, round(PLATEAU_STEPS / steps))
    best, mark, since, halvings, epoch = (-np.inf, None, 0), -np.inf, 0, 0, 0
    for epoch in range(1, r["epochs"] + 1):
        for rows in batches(rng, tr, pool, r):
            xb = x[rows]
            z = model.encoder(xb)
            loss = 0
            if r["loss"] != "mse":
                loss = neighbourhood_loss(xb, z, r)
            if r["loss"] == "mse" or r["rec"] > 0:
                rec = ((model.decoder(z) - xb) ** 2).sum(1).mean()
                loss = loss + (rec if r["loss"] == "mse" else r["rec"] * rec)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if r["loss"] == "mse":
            _, recon = encode(model, data.x[val], decode=True)
            score = -float(np.mean((recon - data.x[val]) ** 2))
            tol = abs(score) * TOL_MSE
        else:
            codes, _ = encode(model, data.x[fit])
            u = unit(codes)
            score = overlap(top_k(u, u[pos], K, exclude=pos), val_top)
            tol = TOL_RECALL
        if CURVE is not None:
            CURVE.append(score)
        if score > best[0]:
            best = (score, {k: v.clone() for k, v in model.state_dict().items()}, epoch)
        if score > mark + tol:
            mark, since = score, 0
        else:
            since += 1
        if since >= plateau:
            halvings += 1
            if halvings == HALVINGS:
                break
            since = 0
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
    model.load_state_dict(best[1])
    return model, {"best_epoch": best[2], "epochs": epoch, "seconds": time.monotonic() - start,
                   "val": abs(best[0])}


# ---- one method at one size -------------------------------------------------------------------

def measure(data, method, d, seeds, r=None, alpha=0.0):
    """One table row: @method at @d, fitted on the whole catalog and on each seed's 80 %."""
    row = {"method": method, "d": d, "p": [], "rc": [], "knn": [], "held": [], "self": [],
           "cos": [], "mse": [], "best_epoch": [], "epochs": [], "seconds": [], "codes": None}
    for i, seed in enumerate(seeds):
        fit, held = data.split(seed)
        if r is None:
            if i == 0:  # PCA fitted on the whole catalog does not depend on the seed
                start = time.monotonic()
                codes, recon = pca(data, data.all, d, alpha)
                seconds = time.monotonic() - start
            codes_h, recon_h = pca(data, fit, d, alpha)
            info = {"seconds": seconds}
        else:
            model, info = train(data, data.all, d, seed, r)
            codes, recon = encode(model, data.x, decode=True)
            model_h, _ = train(data, fit, d, seed, r)
            codes_h, recon_h = encode(model_h, data.x, decode=True)
        if i == 0 or r is not None:
            p, knn, _ = retrieval(data, codes)
            rc = retrieval(data, codes, recentre=True)[0]
            rec = reconstruction(data, {"full": recon}, held) if recon is not None else {}
        row["p"].append(p)
        row["rc"].append(rc)
        row["knn"].append(knn)
        row["held"].append(retrieval(data, codes_h, held)[0])
        if recon is not None:
            row["self"].append(rec["self"])
            row["cos"].append(rec["cos"])
            row["mse"].append(float(np.mean((recon_h[held] - data.x[held]) ** 2)))
        for key in ("best_epoch", "epochs", "seconds"):
            if key in info:
                row[key].append(info[key])
        if row["codes"] is None:
            row["codes"] = codes
    return row


def baseline(data, seeds):
    """The uncompressed X, as the engine searches it."""
    p, knn, _ = retrieval(data, data.x)
    return {"method": "raw (uncompressed)", "d": data.dim, "p": [p], "rc": [p], "knn": [knn],
            "held": [retrieval(data, data.x, data.split(s)[1])[0] for s in seeds],
            "self": [], "cos": [], "mse": [], "best_epoch": [], "epochs": [], "seconds": [],
            "codes": data.x}


# ---- 8-bit codes ------------------------------------------------------------------------------

def quantised_scores(u, kind):
    """(catalog rows, queries) whose dot products rank like the @kind 8-bit search of the unit
    codes @u: uint8 per dimension between the catalog's min and max, dequantised, both sides
    ('u8') or the catalog only ('u8-asym', float queries); int8 with one scale for every
    dimension, integer dot products ('i8'), or one scale per dimension, integer dot products
    without the scales ('i8-dim', what a pure integer kernel computes)."""
    if kind.startswith("u8"):
        lo, hi = u.min(0), u.max(0)
        scale = np.where(hi > lo, (hi - lo) / 255, 1)
        q = np.clip(np.rint((u - lo) / scale), 0, 255).astype(np.uint8)
        deq = (lo + q.astype(np.float32) * scale).astype(np.float32)
        return deq, (u if kind == "u8-asym" else deq)
    scale = np.abs(u).max() if kind == "i8" else np.abs(u).max(0)
    q = np.clip(np.rint(u / np.maximum(scale, 1e-12) * 127), -127, 127).astype(np.int8)
    q = q.astype(np.float32)  # integer sums stay exact in float32 up to 2^24 / 127^2 dimensions
    return q, q


def int8_rows(data, row):
    """recall@10 against the float codes' own top-10 and P@10 of each 8-bit search of @row."""
    u = unit(row["codes"])
    p_float, _, top_float = retrieval(data, u)
    out = []
    for kind in ("u8", "u8-asym", "i8", "i8-dim"):
        g, q = quantised_scores(u, kind)
        top = top_k(g, q, K, exclude=data.all)
        out.append({"method": row["method"], "d": row["d"], "kind": kind,
                    "recall": overlap(top, top_float), "p": precision(top, data.labels, data.all),
                    "p_float": p_float})
    return out


# ---- tables -----------------------------------------------------------------------------------

def spread(values, digits=4, sign=""):
    """'mean ± half the range' of @values ('mean' alone for one)."""
    if not values:
        return ""
    m = float(np.mean(values))
    if len(values) == 1:
        return f"{m:{sign}.{digits}f}"
    return f"{m:{sign}.{digits}f}±{(max(values) - min(values)) / 2:.{digits}f}"


def print_table(title, rows):
    """@rows[0] is the uncompressed baseline; Δ is each held-out figure minus the baseline's on
    the same split (the splits differ more than the methods)."""
    print(f"\n{title}")
    header = (f"{'method':<22} {'d':>4} {'P@10':>13} {'rc':>6} {'kNN':>5} {'held-out':>13} "
              f"{'Δ held-out':>15} {'self':>5} {'rec-cos':>7} {'MSE':>8} {'epochs':>7} "
              f"{'train s':>7}")
    print(header)
    print("-" * len(header))
    base = rows[0]["held"]
    for r in rows:
        epochs = ""
        if r["epochs"]:
            epochs = f"{np.mean(r['best_epoch']):.0f}/{np.mean(r['epochs']):.0f}"
        delta = [h - b for h, b in zip(r["held"], base)]
        delta = spread(delta, sign="+") if r is not rows[0] else ""
        mean = (lambda key, f: f.format(np.mean(r[key])) if r[key] else "")
        print(f"{r['method']:<22} {r['d']:>4} {spread(r['p']):>13} {np.mean(r['rc']):>6.4f} "
              f"{np.mean(r['knn']):>5.3f} {spread(r['held']):>13} {delta:>15} "
              f"{mean('self', '{:.3f}'):>5} {mean('cos', '{:.4f}'):>7} {mean('mse', '{:.2e}'):>8} "
              f"{epochs:>7} {mean('seconds', '{:.1f}'):>7}")


def print_int8(title, rows):
    print(f"\n{title}")
    header = (f"{'codes':<22} {'d':>4} {'8-bit search':<10} {'recall@10':>9} {'P@10':>7} "
              f"{'float P@10':>10} {'ΔP@10':>8}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['method']:<22} {r['d']:>4} {r['kind']:<10} {r['recall']:>9.4f} {r['p']:>7.4f} "
              f"{r['p_float']:>10.4f} {r['p'] - r['p_float']:>+8.4f}")


# ---- the runs ---------------------------------------------------------------------------------

SWEEP = [
    # (label, method, overrides): one change at a time from the method's defaults
    ("ae-kl", "ae-kl", {}),
    ("ae-kl tau=0.02", "ae-kl", {"tau": 0.02}),
    ("ae-kl tau=0.1", "ae-kl", {"tau": 0.1}),
    ("ae-kl tau=0.2", "ae-kl", {"tau": 0.2}),
    ("ae-kl mu=0.05", "ae-kl", {"mu": 0.05}),
    ("ae-kl mu=0.2", "ae-kl", {"mu": 0.2}),
    ("ae-kl m=0", "ae-kl", {"m": 0}),
    ("ae-kl m=1", "ae-kl", {"m": 1}),
    ("ae-kl m=7", "ae-kl", {"m": 7}),
    ("ae-kl pool=10", "ae-kl", {"pool": 10}),
    ("ae-kl pool=50", "ae-kl", {"pool": 50}),
    ("ae-kl rec=0.1", "ae-kl", {"rec": 0.1}),
    ("ae-kl rec=1", "ae-kl", {"rec": 1.0}),
    ("ae-kl h=1024", "ae-kl", {"hidden": 1024}),
    ("ae-pair", "ae-pair", {}),
    ("ae-pair beta=10", "ae-pair", {"beta": 10.0}),
    ("ae-pair m=0", "ae-pair", {"m": 0}),
    ("lin-kl", "lin-kl", {}),
    ("lin-kl lr=1e-4", "lin-kl", {"lr": 1e-4}),
    ("lin-kl lr=1e-3", "lin-kl", {"lr": 1e-3}),
    ("lin-kl tau=0.1", "lin-kl", {"tau": 0.1}),
    ("lin-kl mu=0.05", "lin-kl", {"mu": 0.05}),
    ("lin-kl m=0", "lin-kl", {"m": 0}),
    ("ae-kl m=0 tau=0.02", "ae-kl", {"m": 0, "tau": 0.02}),
    ("ae-kl m=0 tau=0.1", "ae-kl", {"m": 0, "tau": 0.1}),
    ("ae-kl m=0 rec=0.1", "ae-kl", {"m": 0, "rec": 0.1}),
    ("ae-kl m=0 h=1024", "ae-kl", {"m": 0, "hidden": 1024}),
    ("ae-mse", "ae-mse", {}),
    ("ae-mse h=1024", "ae-mse", {"hidden": 1024}),
]


def load(args, name):
    """The Data of catalog @name, indexed first."""
    if name == "products":
        if not os.path.isdir(args.products):
            raise SystemExit(f"{args.products} is absent: this data set needs ../shared")
        db = indexed(args, "products", args.products)
    else:
        db = indexed(args, f"fashion-{args.per_class}", fashion_folder(args))
    _, labels, raw = catalog_vectors(db)
    data = Data(name, labels, raw)
    print(f"{name}: {data.n:,} items, {len(set(labels))} labels, {data.dim}-d", file=sys.stderr,
          flush=True)
    return data


def progress(row, start):
    print(f"  {row['method']:<22} {row['d']:>4}  P@10 {spread(row['p'])}  held-out "
          f"{spread(row['held'])}  ({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)


def evaluate(args, data, seeds):
    """The data set's table rows and its 8-bit rows."""
    start = time.monotonic()
    rows = [baseline(data, seeds)]
    progress(rows[0], start)
    for method in args.methods:
        for d in args.sizes:
            if method in PCA:
                row = measure(data, method, d, seeds, alpha=PCA[method])
            else:
                row = measure(data, method, d, seeds, recipe(method, **args.overrides))
            rows.append(row)
            progress(row, start)
    int8 = []
    for d in (32, 128):
        cands = [r for r in rows[1:] if r["d"] == d]
        if not cands:
            continue
        def score(r):
            return np.mean(r["p"]) + np.mean(r["held"])

        picks = [max(cands, key=score)]
        learned = [r for r in cands if r["method"] not in PCA]
        if learned:
            picks.append(max(learned, key=score))
        picks += [r for r in cands if r["method"] == "pca"]
        for i, r in enumerate(picks):
            if all(r is not q for q in picks[:i]):
                int8 += int8_rows(data, r)
    return rows, int8


def sweep(args, data, seeds):
    start = time.monotonic()
    rows = []
    for label, method, over in SWEEP:
        if args.sweep != "all" and label not in args.sweep.split(","):
            continue
        for d in args.sizes:
            row = measure(data, label, d, seeds, recipe(method, **dict(args.overrides, **over)))
            rows.append(row)
            progress(row, start)
    return rows


def main():
    parser = argparse.ArgumentParser(description="compressed CNN vectors: retrieval quality")
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--cli", default="")
    parser.add_argument("--work", default=os.path.join("/tmp", "lookalike-bench", "eval-compress"))
    parser.add_argument("--quick", action="store_true", help="products, 32 and 128, one seed")
    parser.add_argument("--only", choices=("products", "fashion"))
    parser.add_argument("--sizes", default="16,32,64,128,256")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--methods", default="")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hyperparameter of every learned method (repeatable)")
    parser.add_argument("--sweep", nargs="?", const="all", metavar="LABEL,...",
                        help="the hyperparameter sweep (every row, or those named)")
    parser.add_argument("--products", default=os.path.join(SHARED, "data", "products"))
    parser.add_argument("--weights", default=os.path.join(SHARED, "models",
                                                          "squeezenet1_1-imagenet.safetensors"))
    parser.add_argument("--per-class", type=int, default=500, help="Fashion-MNIST images")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default="", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args()
    args.cli = os.path.abspath(args.cli or os.path.join(args.builddir, "app", "cli",
                                                        "lookalike-cli"))
    if not os.path.exists(args.cli):
        raise SystemExit(f"{args.cli} is missing: meson compile -C {args.builddir}")
    if not os.path.exists(args.weights):
        raise SystemExit(f"{args.weights} is absent: this benchmark needs ../shared")
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    # the CLI remembers "the catalog last indexed" under XDG_DATA_HOME: keep that in WORK
    args.env = dict(os.environ, XDG_DATA_HOME=os.path.join(args.work, "xdg"))
    if args.quick:
        args.only = args.only or "products"
        args.sizes = "32,128"
        args.seeds = 1
        args.methods = args.methods or "pca,pca-w0.25,ae-mse,ae-kl,lin-kl"
        args.set = ["epochs=60"] + args.set
    args.methods = [m for m in (args.methods or ",".join(list(PCA) + [
        "ae-mse", "ae-pair", "ae-kl", "ae-kl-rand", "ae-kl-rec", "lin-kl", "lin-pair"])).split(",")
        if m]
    for m in args.methods:
        if m not in PCA and m not in METHODS:
            known = ", ".join(list(PCA) + list(METHODS))
            raise SystemExit(f"--methods: unknown {m} (known: {known})")
    args.sizes = [int(v) for v in args.sizes.split(",")]
    args.overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in DEFAULTS:
            raise SystemExit(f"--set {item}: unknown key (known: {', '.join(DEFAULTS)})")
        args.overrides[key] = type(DEFAULTS[key])(float(value))
    torch.set_num_threads(args.threads)
    tune_malloc()

    start = time.monotonic()
    load0 = os.getloadavg()[0]
    if load0 > (os.cpu_count() or 1):
        print(f"load average {load0:.1f} on {os.cpu_count()} cores: times will be slow",
              file=sys.stderr)
    seeds = list(range(args.seeds))
    out = {}
    for name in ("products", "fashion"):
        if args.only not in (None, name):
            continue
        data = load(args, name)
        title = (f"{name}: {data.n:,} items, {len(set(data.labels))} labels, leave-one-out; "
                 f"{len(seeds)} seed(s); held-out = fit on 80 %, the other 20 % query all")
        if args.sweep:
            rows = sweep(args, data, seeds)
            print_table(f"{title}; hyperparameter sweep", [baseline(data, seeds)] + rows)
            out[name] = {"rows": rows}
        else:
            rows, int8 = evaluate(args, data, seeds)
            print_table(title, rows)
            print_int8(f"{name}: 8-bit codes, every item queries the others", int8)
            out[name] = {"rows": rows, "int8": int8}
        sys.stdout.flush()
    over = " ".join(f"{k}={v}" for k, v in args.overrides.items())
    print(f"\nP@10 mean±half-range over seeds {seeds}; rc: codes re-centred and normalised; "
          f"kNN: recall of the uncompressed top-10; {args.threads} thread(s)"
          f"{'; ' + over if over else ''}; {time.monotonic() - start:.0f} s, load average "
          f"{load0:.1f} at the start")
    if args.json:
        for v in out.values():
            for r in v["rows"]:
                r.pop("codes", None)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
