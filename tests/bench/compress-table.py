#!/usr/bin/python3
# compress-table.py: the table a user needs to choose the compressed backend's size.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each latent size (16, 32, 64, 128, 256) and the uncompressed CNN vectors, on a catalog
that has CNN features:

  validation MSE     of the reconstruction of held-out vectors (the compressor fitted on the
                     other 80 %, in the prepared space a search compares)
  mean cosine        between a prepared vector and its reconstruction (all vectors)
  self-retrieval     the share of items whose reconstruction's nearest catalog vector is the item
  precision@10       leave-one-out by folder, `lookalike-cli eval --backend compressed`
  bytes per item, catalog size at 1,000,000 items, and the single-query top-10 time over
  1,000,000 random codes of that size (`bench-search`, the engine's ranker on 2 threads)

The compressor is the product's: each size is fitted with `lookalike-cli train --backend
compressed --latent D` on a copy of the catalog, and its file is read back here (numpy) for the
reconstruction figures. Usage (from the source tree, after meson compile -C _build):

  /usr/bin/python3 tests/bench/compress-table.py [--build _build] [--sizes 16,32,...] CATALOG.db

CATALOG.db is indexed with CNN features, e.g. `lookalike-cli index --index /tmp/p.db --weights
../shared/models/squeezenet1_1-imagenet.safetensors ../shared/data/products`. Not a test: it
prints a Markdown table."""
import argparse
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

import numpy


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return {name: numpy.frombuffer(data[8 + n + i["data_offsets"][0]:8 + n + i["data_offsets"][1]],
                                   dtype="<f4").reshape(i["shape"]) for name, i in header.items()}


def cnn_vectors(db):
    with sqlite3.connect(db) as conn:
        got = conn.execute("SELECT i.path, e.vector FROM items i JOIN embeddings e ON "
                           "e.item_id = i.id WHERE e.backend = 'cnn' ORDER BY i.path").fetchall()
    return numpy.array([numpy.frombuffer(bytes(v), dtype="<f4") for _, v in got])


def prepare(t, x):
    x = x - t["in_mean"]
    return x / numpy.linalg.norm(x, axis=1, keepdims=True)


def unit(x):
    return x / numpy.maximum(numpy.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def pca(x, d):
    """the compressor's fit, in numpy, for the held-out figure: mean and d components"""
    mean = x.mean(axis=0)
    w, v = numpy.linalg.eigh(numpy.cov(x - mean, rowvar=False))
    return mean, v[:, ::-1][:, :d].T


def cli(build, *args):
    result = subprocess.run([os.path.join(build, "app", "cli", "lookalike-cli"), *args],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"lookalike-cli {' '.join(args)}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def query_ms(build, dim):
    out = subprocess.run([os.path.join(build, "tests", "bench", "bench-search"), "1000000",
                          str(dim), "20", "2", "10"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["ranker_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog")
    parser.add_argument("--build", default="_build")
    parser.add_argument("--sizes", default="16,32,64,128,256")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    work = tempfile.mkdtemp(prefix="lk-compress-table-")
    try:
        db = os.path.join(work, "c.db")
        shutil.copy(args.catalog, db)
        raw = cnn_vectors(db)
        n, D = raw.shape
        rng = numpy.random.default_rng(1)
        held = rng.permutation(n)[: n // 5]
        fit = numpy.setdiff1d(numpy.arange(n), held)
        rows = []
        base = cli(args.build, "eval", "--index", db, "--backend", "cnn", "--json")
        rows.append(("uncompressed", D, "", 1.0, 1.0, base["precision_at_k"]))
        for d in sizes:
            summary = cli(args.build, "train", "--index", db, "--backend", "compressed",
                          "--latent", str(d), "--json")
            t = read_safetensors(summary["model_path"])
            x = prepare(t, raw)
            codes = (x - t["mean"]) @ t["components"].T
            back = codes @ t["components"] + t["mean"]
            cosine = float((unit(back) * x).sum(axis=1).mean())
            nearest = numpy.argmax(unit(back) @ unit(x).T, axis=1)
            self_retrieval = float((nearest == numpy.arange(n)).mean())
            # held out: fitted on the rest, the same preparation
            mean, comps = pca(x[fit], d)
            rec = ((x[held] - mean) @ comps.T) @ comps + mean
            mse = float(((rec - x[held]) ** 2).mean())
            p10 = cli(args.build, "eval", "--index", db, "--backend", "compressed",
                      "--json")["precision_at_k"]
            rows.append(("compressed", d, mse, cosine, self_retrieval, p10))

        print(f"{n} items of {D} dimensions ({os.path.basename(args.catalog)}); "
              "query time: top-10 over 1,000,000 random codes, 2 threads, median of 20\n")
        print("| | dimensions | validation MSE | mean cosine | self-retrieval | precision@10 "
              "| bytes per item | size at 1M items | query at 1M |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, d, mse, cosine, selfr, p10 in rows:
            mb = d * 4 * 1e6 / 2**20
            ms = query_ms(args.build, d)
            mse_text = f"{mse:.2e}" if mse != "" else "—"
            print(f"| {name} | {d} | {mse_text} | {cosine:.4f} | {100 * selfr:.1f} % | {p10:.3f} "
                  f"| {d * 4} | {mb:,.0f} MiB | {ms:.2f} ms |")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
