#!/usr/bin/python3
# compress-table.py: the table a user needs to choose the compressed backend's size.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each latent size (16, 32, 64, 128, 256), as float32 and as 8-bit codes, and for the
uncompressed CNN vectors, on a catalog that has CNN features:

  method             the one `lookalike-cli train --backend compressed` picks for the size
                     (nbr below 64 dimensions, pca from 64)
  validation MSE     per component, of the reconstructions of a held-out fifth of the vectors by
                     a compressor trained on the other four fifths (in the prepared space a search
                     compares; 8-bit codes decoded at the float code's length)
  mean cosine        between a prepared vector and its reconstruction (all vectors, the
                     compressor fitted on all of them: `train --json`'s quality)
  self-retrieval     the share of items whose reconstruction's nearest catalog vector is the item
  precision@10       leave-one-out by folder, as `lookalike-cli eval --backend compressed`
  bytes per item, catalog size at 1,000,000 items, and the single-query top-10 time over
  1,000,000 random codes of that size and type (`bench-search`, the engine's search on 2 threads:
  for 8-bit codes, the byte scan and the exact rescoring of its candidates)

Every compressor is the product's, made by the CLI on a copy of the catalog; its file is read
back here (numpy) for the held-out reconstructions. Usage (from the source tree, after meson
compile -C _build):

  /usr/bin/python3 tests/bench/compress-table.py [--build _build] [--sizes 16,32,...] CATALOG.db

CATALOG.db is indexed with CNN features, e.g. `lookalike-cli index --index /tmp/p.db --weights
../shared/models/squeezenet1_1-imagenet.safetensors ../shared/data/products`. Not a test: it
prints a Markdown table (a few minutes: the MLPs train twice per size and type)."""
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
                                   dtype="<f4").reshape(i["shape"]).astype(numpy.float64)
            for name, i in header.items()}


def cnn_vectors(db):
    with sqlite3.connect(db) as conn:
        got = conn.execute("SELECT i.path, e.vector FROM items i JOIN embeddings e ON "
                           "e.item_id = i.id WHERE e.backend = 'cnn' ORDER BY i.path").fetchall()
    return [bytes(p) for p, _ in got], numpy.array([numpy.frombuffer(bytes(v), dtype="<f4")
                                                    for _, v in got], dtype=numpy.float64)


def unit(x):
    return x / numpy.maximum(numpy.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def mlp(t, x, layers):
    for i, name in enumerate(layers):
        x = x @ t[name + ".weight"].T + t[name + ".bias"]
        if i < len(layers) - 1:
            x = numpy.maximum(x, 0)
    return x


def encode(t, x):
    if "components" in t:
        return (x - t["mean"]) @ t["components"].T
    return mlp(t, x, ["enc1", "enc2", "enc3"])


def decode(t, codes):
    if "components" in t:
        return codes @ t["components"] + t["mean"]
    return mlp(t, codes, ["dec1", "dec2", "dec3"])


def as_stored(t, codes):
    """8-bit codes: what the catalog keeps, decoded, at each code's own length"""
    if "q_offset" not in t:
        return codes
    length = numpy.linalg.norm(codes, axis=1, keepdims=True)
    steps = numpy.clip(numpy.rint((unit(codes) - t["q_offset"]) / numpy.where(
        t["q_scale"] > 0, t["q_scale"], 1)), 0, 255)
    return (t["q_offset"] + t["q_scale"] * steps) * length


def cli(build, *args):
    result = subprocess.run([os.path.join(build, "app", "cli", "lookalike-cli"), *args],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"lookalike-cli {' '.join(args)}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def query_ms(build, dim, int8):
    out = subprocess.run([os.path.join(build, "tests", "bench", "bench-search"), "1000000",
                          f"{dim}u8" if int8 else str(dim), "20", "2", "10"],
                         capture_output=True, text=True, check=True)
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
        paths, raw = cnn_vectors(db)
        n, D = raw.shape
        held = numpy.sort(numpy.random.default_rng(1).permutation(n)[: n // 5])
        # the four fifths: a copy of the catalog without the held-out items
        part = os.path.join(work, "part.db")
        shutil.copy(args.catalog, part)
        with sqlite3.connect(part) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executemany("DELETE FROM items WHERE path = ?", [(paths[i],) for i in held])
        base = cli(args.build, "eval", "--index", db, "--backend", "cnn", "--json")
        rows = [("uncompressed", "", D, False, None, 1.0, 1.0, base["precision_at_k"])]
        for d in sizes:
            for int8 in (False, True):
                extra = ["--int8"] if int8 else []
                summary = cli(args.build, "train", "--index", db, "--backend", "compressed",
                              "--latent", str(d), "--json", *extra)
                q = summary["quality"]
                fitted = cli(args.build, "train", "--index", part, "--backend", "compressed",
                             "--latent", str(d), "--json", *extra)
                t = read_safetensors(fitted["model_path"])
                x = unit(raw[held] - t["in_mean"])
                rec = decode(t, as_stored(t, encode(t, x)))
                mse = float(((rec - x) ** 2).mean())
                rows.append((summary["method"], "8-bit" if int8 else "float32", d, int8, mse,
                             q["mean_cosine"], q["self_retrieval"], q["precision_at_10"]))

        print(f"{n} items of {D} dimensions ({os.path.basename(args.catalog)}); "
              "query: top-10 over 1,000,000 random codes, 2 threads, median of 20\n")
        print("| method | codes | dimensions | validation MSE | mean cosine | self-retrieval "
              "| precision@10 | bytes per item | size at 1M items | query at 1M |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for method, kind, d, int8, mse, cosine, selfr, p10 in rows:
            size = d * (1 if int8 else 4)
            ms = query_ms(args.build, d, int8)
            mse_text = f"{mse:.2e}" if mse is not None else "—"
            print(f"| {method} | {kind or 'float32'} | {d} | {mse_text} | {cosine:.3f} "
                  f"| {100 * selfr:.1f} % | {p10:.3f} | {size} | {size * 1e6 / 2**20:,.0f} MiB "
                  f"| {ms:.2f} ms |", flush=True)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
