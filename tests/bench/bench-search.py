#!/usr/bin/python3
# bench-search.py: our single-query top-k against FAISS IndexFlatIP, in the same run.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/bench-search.py [--builddir _build] [--shapes 100000x512,1000000x128]
                                     [--queries 50] [--threads 2] [--k 10] [--rounds 3]

For each shape it runs our ranker (bench-search) and FAISS's exact inner-product index (this script
with --peer, under Debian's python3 with python3-faiss), each in its own process on its own seeded
random unit vectors, alternating the two for --rounds rounds and keeping each side's best round
(the machine's speed drifts). A round is the median over --queries single-query searches after a
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


def peer(n, dim, queries, threads, k):
    """FAISS side: the same measurement as bench-search.c, printed as one JSON line."""
    import faiss
    import numpy as np

    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(1)
    x = rng.random((n, dim), dtype=np.float32) * 2 - 1
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = rng.random((queries, dim), dtype=np.float32) * 2 - 1
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(dim)
    index.add(x)
    for i in range(3):
        index.search(q[i:i + 1], k)
    times = []
    for i in range(queries):
        start = time.perf_counter()
        index.search(q[i:i + 1], k)
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"n": n, "dim": dim, "k": k, "threads": threads, "queries": queries,
                      "faiss_ms": float(np.median(times)), "faiss_best_ms": min(times),
                      "faiss": faiss.__version__}))


def run(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout.decode()
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--shapes", default="100000x512,1000000x128")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer", nargs=5, type=int, help=argparse.SUPPRESS,
                        metavar=("N", "DIM", "QUERIES", "THREADS", "K"))
    args = parser.parse_args()
    if args.peer:
        peer(*args.peer)
        return 0

    ours = os.path.join(args.builddir, "tests", "bench", "bench-search")
    if not os.path.exists(ours):
        raise SystemExit(f"{ours} is missing: build first (meson compile -C {args.builddir})")

    print(f"Single-query top-{args.k}, {args.threads} threads, median of {args.queries} queries, "
          f"best of {args.rounds} rounds")
    header = (f"{'shape':>14} {'ours ms':>8} {'FAISS ms':>9} {'ratio':>6} {'ours GB/s':>10} "
              f"{'FAISS GB/s':>11} {'read GB/s':>10} {'1-thread ms':>12}")
    print(header)
    print("-" * len(header))
    blas = version = ""
    for shape in args.shapes.split(","):
        n, dim = (int(v) for v in shape.split("x"))
        size = [str(n), str(dim), str(args.queries), str(args.threads), str(args.k)]
        best_ours = best_faiss = None
        for _ in range(args.rounds):
            o = run([ours] + size)
            f = run([PYTHON, os.path.abspath(__file__), "--peer"] + size)
            blas, version = o["blas"], f["faiss"]
            if not best_ours or o["ranker_ms"] < best_ours["ranker_ms"]:
                best_ours = o
            if not best_faiss or f["faiss_ms"] < best_faiss["faiss_ms"]:
                best_faiss = f
        gb = n * dim * 4 / 1e9
        ours_ms, faiss_ms = best_ours["ranker_ms"], best_faiss["faiss_ms"]
        print(f"{n:>8}×{dim:<5} {ours_ms:>8.2f} {faiss_ms:>9.2f} {faiss_ms / ours_ms:>5.2f}× "
              f"{gb / ours_ms * 1e3:>10.1f} {gb / faiss_ms * 1e3:>11.1f} "
              f"{gb / best_ours['read_ms'] * 1e3:>10.1f} {best_ours['top_k_ms']:>12.2f}",
              flush=True)
    print(f"ratio = FAISS ms / ours ms; GB/s = matrix bytes / ms per query; read = a plain "
          f"{args.threads}-thread read of the matrix; 1-thread = lk_top_k")
    print(f"ours: OpenBLAS {blas} kernels; peer: FAISS {version} IndexFlatIP")
    return 0


if __name__ == "__main__":
    sys.exit(main())
