#!/usr/bin/python3
# bench-index.py: indexing a folder end to end, ours against a Python peer, in the same run.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/bench-index.py [--builddir _build] [--rounds 2] [--ten-thousand]

Ours: `lookalike-cli index` into a fresh catalog with SqueezeNet 1.1 at 224 px (center-crop) on 2
threads; its time is the indexing itself as the JSON summary reports it (scan, decode, forward,
writes), its peak RSS that of the whole process.
Peer: Python with PIL decoding and torchvision's SqueezeNet 1.1 (the same weights), the
torchvision transforms of the same preprocessing, batch 32, torch.set_num_threads(2), inference
mode; its time runs from the first file opened to the last feature computed (imports and model
loading excluded), its peak RSS that of the process.

Folders: ../shared/data/products (1,617 224-pixel JPEGs) and ../shared/data/shoes (12 photos of
up to 35 megapixels). With --ten-thousand, also 10,000 Fashion-MNIST images (ours only: the point
is that memory stays flat). Each side runs --rounds times, alternating; the best round counts.
Not a timed test: it never fails on speed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
WEIGHTS = os.path.join(SHARED, "models", "squeezenet1_1-imagenet.safetensors")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

PEER = r'''
import os, sys, time, json
sys.path.insert(0, sys.argv[3])
import torch, torchvision
from torchvision import transforms
from PIL import Image
import safetensors_io
torch.set_num_threads(2)
model = torchvision.models.squeezenet1_1(weights=None).eval()
model.load_state_dict(safetensors_io.load(sys.argv[2])[0])
features = model.features
prep = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                           transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(sys.argv[1]) for f in fs
               if f.lower().endswith((".jpg", ".jpeg", ".png")))
start = time.monotonic()
out = []
with torch.inference_mode():
    for i in range(0, len(paths), 32):
        batch = torch.stack([prep(Image.open(p).convert("RGB")) for p in paths[i:i + 32]])
        out.append(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(features(batch), 1), 1))
seconds = time.monotonic() - start
print(json.dumps({"images": len(paths), "seconds": seconds}))
'''


def measure(cmd, env=None):
    """Runs @cmd, returns (stdout, peak RSS in MiB)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return out.decode(), usage.ru_maxrss / 1024.0


def ours(cli, folder, tmp):
    db = os.path.join(tmp, "bench.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ, XDG_DATA_HOME=tmp)
    out, rss = measure([cli, "index", "--index", db, "--weights", WEIGHTS, "--threads", "2",
                        "--json", folder], env)
    summary = json.loads(out)
    images = summary["added"] + len(summary["failed"])
    return images, summary["seconds"], rss


def peer(folder):
    out, rss = measure([PYTHON, "-c", PEER, folder, WEIGHTS, os.path.join(ROOT, "models")])
    result = json.loads(out.strip().splitlines()[-1])
    return result["images"], result["seconds"], rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ten-thousand", action="store_true")
    args = parser.parse_args()
    cli = os.path.join(args.builddir, "app", "cli", "lookalike-cli")
    if not os.path.exists(WEIGHTS):
        raise SystemExit(f"{WEIGHTS} is absent: this benchmark needs ../shared")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folders = [("products (1,617 × 224 px JPEG)", os.path.join(SHARED, "data", "products"), True),
                   ("shoes (12 photos, ≤ 35 MP)", os.path.join(SHARED, "data", "shoes"), True)]
        if args.ten_thousand:
            fm = os.path.join(tmp, "fashion-mnist")
            demo = os.path.join(args.builddir, "data", "demo", "lookalike-demo")
            subprocess.run([demo, "export", "--per-class", "1000", fm], check=True,
                           capture_output=True)
            folders.append(("Fashion-MNIST (10,000 × 28 px PNG)", fm, False))

        header = (f"{'folder':<36} {'ours img/s':>10} {'peer img/s':>10} {'ratio':>6} "
                  f"{'ours RSS':>9} {'peer RSS':>9}")
        print(header)
        print("-" * len(header))
        for name, folder, with_peer in folders:
            best_o = best_p = None
            for _ in range(args.rounds):
                n, s, rss = ours(cli, folder, tmp)
                if not best_o or n / s > best_o[0]:
                    best_o = (n / s, rss, n)
                if with_peer:
                    n, s, rss = peer(folder)
                    if not best_p or n / s > best_p[0]:
                        best_p = (n / s, rss)
            if best_p:
                print(f"{name:<36} {best_o[0]:>10.1f} {best_p[0]:>10.1f} {best_o[0] / best_p[0]:>5.2f}× "
                      f"{best_o[1]:>5.0f} MiB {best_p[1]:>5.0f} MiB", flush=True)
            else:
                print(f"{name:<36} {best_o[0]:>10.1f} {'—':>10} {'—':>6} {best_o[1]:>5.0f} MiB "
                      f"{'—':>9}", flush=True)
    print("ours: lookalike-cli index, SqueezeNet 1.1, 224 px center-crop, 2 threads, fresh catalog; "
          "peer: PIL + torchvision, batch 32, 2 threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
