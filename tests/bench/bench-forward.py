#!/usr/bin/python3
# bench-forward.py: our forward pass against PyTorch's, in the same run.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/bench-forward.py [--builddir _build] [--seconds 8] [--threads 2]
                                      [--models resnet18,resnet50,squeezenet1_1] [--batches 1,16]
                                      [--rounds 1]

For each model and batch size it runs our engine (bench-forward) and PyTorch
(bench-forward-torch.py) on the same weights, each in its own process, one after the other, and
prints images/s, the ratio ours / PyTorch and the peak RSS of each process. ResNet weights are
random-init torchvision models (no ImageNet ResNet weights exist on these machines; speed does not
depend on the values); SqueezeNet uses ../shared's ImageNet weights when present. With --rounds N
each measurement is repeated N times, alternating the two sides, and the best round is kept.
Not a timed test: it never fails on speed.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models"))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def weights_for(arch, cache):
    shared = os.path.join(ROOT, "..", "shared", "models", "squeezenet1_1-imagenet.safetensors")
    if arch == "squeezenet1_1" and os.path.exists(shared):
        return shared
    path = os.path.join(cache, arch + ".safetensors")
    if not os.path.exists(path):
        subprocess.run([PYTHON, "-c", f"""
import sys; sys.path.insert(0, {os.path.join(ROOT, 'models')!r})
import torch, torchvision, safetensors_io
torch.manual_seed(0)
m = torchvision.models.{arch}(weights=None).eval()
safetensors_io.save({path!r}, m.state_dict(), {{"architecture": "{arch}"}})
"""], check=True)
    return path


def run(cmd, env=None):
    """Runs cmd, returns (its JSON line, peak RSS in MiB)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with status {proc.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default="resnet18,resnet50,squeezenet1_1")
    parser.add_argument("--batches", default="1,16")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()

    ours = os.path.join(args.builddir, "tests", "bench", "bench-forward")
    if not os.path.exists(ours):
        raise SystemExit(f"{ours} is missing: build first (meson compile -C {args.builddir})")
    cache = os.path.join(args.builddir, "tests", "bench", "weights")
    os.makedirs(cache, exist_ok=True)

    rows = []
    header = (f"{'model':<14} {'batch':>5} {'ours img/s':>11} {'torch img/s':>12} {'ratio':>6} "
              f"{'ours RSS':>9} {'torch RSS':>10}")
    print(f"Forward pass at {args.size}×{args.size}, {args.threads} threads, "
          f"{args.seconds:g} s per measurement, best of {args.rounds}")
    print(header)
    print("-" * len(header))
    blas = torch_version = ""
    for arch in args.models.split(","):
        weights = weights_for(arch, cache)
        for batch in (int(b) for b in args.batches.split(",")):
            best_ours = best_torch = None
            for _ in range(args.rounds):
                o, o_rss = run([ours, weights, str(batch), str(args.threads), str(args.seconds),
                                str(args.size)])
                t, t_rss = run([PYTHON, os.path.join(HERE, "bench-forward-torch.py"), weights,
                                arch, str(batch), str(args.threads), str(args.seconds),
                                str(args.size)])
                blas, torch_version = o["blas"], t["torch"]
                if not best_ours or o["images_per_s"] > best_ours[0]:
                    best_ours = (o["images_per_s"], o_rss)
                if not best_torch or t["images_per_s"] > best_torch[0]:
                    best_torch = (t["images_per_s"], t_rss)
            ratio = best_ours[0] / best_torch[0]
            rows.append((arch, batch, best_ours, best_torch, ratio))
            print(f"{arch:<14} {batch:>5} {best_ours[0]:>11.1f} {best_torch[0]:>12.1f} "
                  f"{ratio:>5.2f}× {best_ours[1]:>6.0f} MiB {best_torch[1]:>6.0f} MiB", flush=True)
    print(f"ours: OpenBLAS {blas} kernels; peer: PyTorch {torch_version} (oneDNN), inference mode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
