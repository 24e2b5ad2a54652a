#!/usr/bin/python3
# bench-search.py: our single-query top-k against FAISS IndexFlatIP, in the same run.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/bench-search.py [--builddir _build]
                                     [--shapes 1000000x32u8,1000000x128,1000000x512]
                                     [--queries 50] [--threads 2] [--k 10] [--rounds 3]

For each shape it runs our ranker (bench-search) and FAISS's exact inner-product index (this script
with --peer, under Debian's python3 with python3-faiss), each in its own process on its own seeded
random unit vectors, alternating the two for --rounds rounds and keeping each side's best round
(the machine's speed drifts). A shape ending in "u8" is 8-bit codes: ours is the compressed
backend's --int8 search (the byte scan, then its candidates scored again exactly), FAISS's is
IndexScalarQuantizer with QT_8bit (trained on the same data: per-dimension ranges), and the
recall column is each side's overlap with the float codes' exact top k. A round is the median over --queries single-query searches after a
warm-up. Prints milliseconds per query, the ratio FAISS / ours, and effective bandwidth: the
matrix's bytes over the time of one query, beside the bandwidth of a plain threaded read of the
same matrix (bench-search measures it in the same process). Not a timed test: it never fails on
speed.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def peer(n, dim, queries, threads, k, u8=False):
    """FAISS side: the same measurement as bench-search.c, printed as one JSON line."""
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(1)
    x = rng.random((n, dim), dtype=np.float32) * 2 - 1
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = rng.random((queries, dim), dtype=np.float32) * 2 - 1
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    recall = None
    if u8:
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit,
                                           faiss.METRIC_INNER_PRODUCT)
        index.train(x)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(x)
    for i in range(3):
        index.search(q[i:i + 1], k)
    times, found = [], []
    for i in range(queries):
        start = time.perf_counter()
        _, ids = index.search(q[i:i + 1], k)
        times.append((time.perf_counter() - start) * 1e3)
        found.append(ids[0])
    if u8:
        exact = faiss.IndexFlatIP(dim)
        exact.add(x)
        _, truth = exact.search(q, k)
        recall = float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))
    print(json.dumps({"n": n, "dim": dim, "k": k, "threads": threads, "queries": queries,
                      "faiss_ms": float(np.median(times)), "faiss_best_ms": min(times),
                      "recall": recall, "faiss": faiss.__version__}))


def run(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode()
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--shapes", default="1000000x32u8,1000000x128,1000000x512")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer", nargs=5, help=argparse.SUPPRESS,
                        metavar=("N", "DIM", "QUERIES", "THREADS", "K"))
    args = parser.parse_args()
    if args.peer:
        u8 = args.peer[1].endswith("u8")
        n, dim, queries, threads, k = (int(v.removesuffix("u8")) for v in args.peer)
        peer(n, dim, queries, threads, k, u8)
        return 0

    ours = os.path.join(args.builddir, "tests", "bench", "bench-search")
    if not os.path.exists(ours):
        raise SystemExit(f"{ours} is missing: build first (meson compile -C {args.builddir})")

    print(f"Single-query top-{args.k}, {args.threads} threads, median of {args.queries} queries, "
          f"best of {args.rounds} rounds")
    header = (f"{'shape':>16} {'ours ms':>8} {'FAISS ms':>9} {'ratio':>6} {'ours GB/s':>10} "
              f"{'FAISS GB/s':>11} {'read GB/s':>10} {'ours/read':>10} {'1-thread ms':>12} "
              f"{'recall ours':>12} {'FAISS':>6}")
    print(header)
    print("-" * len(header))
    blas = version = kernel = ""
    for shape in args.shapes.split(","):
        n, dim = shape.split("x")
        u8 = dim.endswith("u8")
        n, dim = int(n), int(dim.removesuffix("u8"))
        size = [str(n), f"{dim}u8" if u8 else str(dim), str(args.queries), str(args.threads),
                str(args.k)]
        best_ours = best_faiss = None
        for _ in range(args.rounds):
            o = run([ours] + size)
            f = run([PYTHON, os.path.abspath(__file__), "--peer"] + size)
            blas, version = o["blas"], f["faiss"]
            kernel = o.get("kernel", kernel)
            if not best_ours or o["ranker_ms"] < best_ours["ranker_ms"]:
                best_ours = o
            if not best_faiss or f["faiss_ms"] < best_faiss["faiss_ms"]:
                best_faiss = f
        gb = (best_ours["bytes"] if u8 else n * dim * 4) / 1e9
        ours_ms, faiss_ms = best_ours["ranker_ms"], best_faiss["faiss_ms"]
        recall = (f"{best_ours['recall']:>12.3f} {best_faiss['recall']:>6.3f}" if u8
                  else f"{'':>12} {'':>6}")
        label = f"{n}×{dim}" + (" int8" if u8 else "")
        print(f"{label:>16} {ours_ms:>8.2f} {faiss_ms:>9.2f} {faiss_ms / ours_ms:>5.2f}× "
              f"{gb / ours_ms * 1e3:>10.1f} {gb / faiss_ms * 1e3:>11.1f} "
              f"{gb / best_ours['read_ms'] * 1e3:>10.1f} "
              f"{ours_ms / best_ours['read_ms']:>9.2f}× {best_ours['top_k_ms']:>12.2f} {recall}",
              flush=True)
    print(f"ratio = FAISS ms / ours ms; GB/s = matrix bytes / ms per query (int8: our packed "
          f"codes' bytes); read = a plain {args.threads}-thread read of them, ours/read = our "
          f"time over it; 1-thread = lk_top_k (int8: the plain C scan); recall = overlap with "
          f"the float codes' exact top {args.k}")
    print(f"ours: OpenBLAS {blas} kernels, 8-bit scan {kernel}; peer: FAISS {version} "
          f"IndexFlatIP, IndexScalarQuantizer QT_8bit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
