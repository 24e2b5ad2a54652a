#!/usr/bin/python3
# bench-train.py: training the conv-AE, ours against PyTorch on the same architecture and data.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: tests/bench/bench-train.py [--builddir _build] [--cli FILE] [--fashion N]
                                    [--products DIR] [--epochs 3] [--batch 64] [--latent 128]
                                    [--threads 2] [--rounds 1] [--loss bce] [--torch-only]
                                    [--tuned-malloc] [--ours-setup TEMPLATE] [--ours TEMPLATE]

Ours: `lookalike-cli train --backend conv-ae` on the folder, into a fresh catalog, without
augmentation or input noise (the peer has neither); its images/s and seconds are the ones its
--json summary reports ("images_per_second", "seconds": the training, over its training split),
its peak RSS that of the whole train process (decoding and the embedding afterwards included).
The command lines are templates (str.format fields {cli} {db} {folder} {epochs} {size} {latent}
{threads} {batch}, each already shell-quoted), so that they can follow the CLI: --ours-setup, empty
by default, runs untimed before each training (e.g. an `index`).
PyTorch: the same conv-AE (tests/tools/make-convae-reference.py builds it), the loss on the
decoder's logits (--loss bce: BCEWithLogitsLoss, as the engine trains; mse: MSE of the sigmoid
output, as the first spec had it), AdamW (lr 1e-3, weight decay 1e-4), the same batch size, on the
same images (all of them: ours holds a validation tenth out): the folder's files decoded with PIL,
converted to RGB (grey replicated to 3 channels), square ones resized to S × S (PIL bicubic),
others centre-cropped to a square first, held as one uint8 tensor. Timed: EPOCHS epochs of
shuffled minibatches, each converted from uint8 to float on the fly, from the first batch to the
last optimizer step (imports, decoding and model creation excluded). It runs in its own process,
once with torch.set_num_threads (1) and once with (2), OPENBLAS_NUM_THREADS set to match (Debian's
PyTorch calls the pthread OpenBLAS for its dense layers, which set_num_threads does not reach);
the better one is the peer. With --tuned-malloc, PyTorch runs with MALLOC_MMAP_THRESHOLD_ and
MALLOC_TRIM_THRESHOLD_ raised, so that glibc keeps freed tensors in the heap instead of unmapping
them and faulting fresh pages in at the next batch: PyTorch at its best rather than as installed.

Data sets: --fashion N, N Fashion-MNIST test images at 28 × 28 grey (exported by
`lookalike-demo export`, from Debian's dataset-fashion-mnist), and --products DIR
(../shared/data/products, 1,617 224-pixel JPEGs) at 64 × 64 colour. Without either option, both
(Fashion-MNIST with 10,000 images). Each side runs --rounds times, alternating; the best round
counts. --torch-only measures PyTorch alone. Not a timed test: it never fails on speed.
"""
import argparse
import gzip
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")

# glibc malloc hands each large tensor back to the kernel when it is freed (mmap / munmap, then
# page faults on the next one): these keep them in the heap instead
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 32)}

OURS_SETUP = ""
OURS_TRAIN = ("{cli} train --index {db} --backend conv-ae --epochs {epochs} --size {size} "
              "--latent {latent} --batch {batch} --threads {threads} --no-augment --denoise 0 "
              "--json {folder}")


def measure(cmd, env=None):
    """Runs @cmd, returns (stdout, peak RSS in MiB); its stderr (progress) is shown on failure."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"{shlex.join(cmd)} failed with status {code}")
    return out.decode(), usage.ru_maxrss / 1024.0


def last_json(out):
    """The last line of @out that is a JSON object (the CLI's summary, the peer's result)."""
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return json.loads(out)  # a pretty-printed object


def ours(args, folder, size, tmp):
    """Runs the setup and train templates on a fresh catalog; returns (images/s, seconds, RSS MiB,
    the summary)."""
    db = os.path.join(tmp, "bench.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    fields = {"cli": args.cli, "db": db, "folder": folder, "epochs": args.epochs, "size": size,
              "latent": args.latent, "threads": args.threads, "batch": args.batch}
    fields = {k: shlex.quote(str(v)) for k, v in fields.items()}
    env = dict(os.environ, XDG_DATA_HOME=tmp)
    if args.ours_setup.strip():
        measure(shlex.split(args.ours_setup.format(**fields)), env)
    out, rss = measure(shlex.split(args.ours.format(**fields)), env)
    summary = last_json(out)
    for key, want in (("input_size", size), ("latent", args.latent), ("batch", args.batch),
                      ("epochs", args.epochs)):
        if key in summary and summary[key] != want:
            print(f"warning: ours trained with {key} {summary[key]}, PyTorch with {want}",
                  file=sys.stderr)
    return summary["images_per_second"], summary["seconds"], rss, summary


def peer(args, folder, size, threads):
    """PyTorch in a process of its own; returns (images/s, seconds, RSS MiB, its result)."""
    # Debian's PyTorch calls the pthread OpenBLAS for its dense layers, whose thread count
    # torch.set_num_threads does not set: without this, "1 thread" runs OpenBLAS on every core
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if args.tuned_malloc:
        env.update(TUNED_MALLOC)
    out, rss = measure([PYTHON, os.path.abspath(__file__), "--peer", folder, "--size", str(size),
                        "--epochs", str(args.epochs), "--batch", str(args.batch),
                        "--latent", str(args.latent), "--threads", str(threads),
                        "--loss", args.loss], env)
    result = last_json(out)
    return result["images_per_second"], result["seconds"], rss, result


def load_images(torch, folder, size):
    """Every image under @folder (sorted paths) as one uint8 (N, 3, size, size) tensor."""
    import numpy as np
    from PIL import Image

    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs
                   if f.lower().endswith(EXTENSIONS))
    data = torch.empty((len(paths), 3, size, size), dtype=torch.uint8)
    for i, path in enumerate(paths):
        with Image.open(path) as img:
            img = img.convert("RGB")
            w, h = img.size
            if w != h:
                side = min(w, h)
                left, top = (w - side) // 2, (h - side) // 2
                img = img.crop((left, top, left + side, top + side))
            if img.size != (size, size):
                img = img.resize((size, size), Image.BICUBIC)
            data[i] = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1)
    return data


def run_peer(args):
    """The PyTorch side: prints one JSON line."""
    import time

    import torch

    spec = importlib.util.spec_from_file_location(
        "convae_reference", os.path.join(ROOT, "tests", "tools", "make-convae-reference.py"))
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)

    torch.set_num_threads(args.threads)
    data = load_images(torch, args.peer, args.size)
    n = data.shape[0]
    if n == 0:
        raise SystemExit(f"no images under {args.peer}")
    torch.manual_seed(0)
    model, shape = reference.make_model(torch, args.size, args.latent)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(1)
    losses = []
    start = time.monotonic()
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, args.batch):
            x = data[order[i:i + args.batch]].float().div_(255)
            optimizer.zero_grad()
            logits = model.decode_logits(model.encode(x))
            if args.loss == "bce":
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, x)
            else:
                loss = torch.nn.functional.mse_loss(torch.sigmoid(logits), x)
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
        losses.append(total / n)
    seconds = time.monotonic() - start
    print(json.dumps({"images": n, "loss": args.loss, "epochs": args.epochs, "batch": args.batch,
                      "threads": args.threads, "input_size": args.size, "latent": args.latent,
                      "stages": shape["stages"], "seconds": round(seconds, 3),
                      "images_per_second": round(n * args.epochs / seconds, 2),
                      "train_loss": [round(x, 6) for x in losses], "torch": torch.__version__}))
    return 0


def export_fashion(args, n, outdir):
    """@n Fashion-MNIST test images (a multiple of 10, balanced classes) under @outdir, by
    lookalike-demo when it is built, else the same export (inverted, DIR/<class>/<index>.png)
    here."""
    if not os.path.exists(FASHION_MNIST):
        raise SystemExit(f"{FASHION_MNIST} is absent: apt-get install dataset-fashion-mnist")
    per_class = max(1, min(1000, -(-n // 10)))
    demo = os.path.join(args.builddir, "data", "demo", "lookalike-demo")
    if os.path.exists(demo):
        subprocess.run([demo, "export", "--per-class", str(per_class), outdir], check=True,
                       capture_output=True)
        return per_class * 10
    from PIL import Image

    names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
             "Bag", "Ankle boot"]
    with gzip.open(FASHION_MNIST) as f:
        images = f.read()
    with gzip.open(FASHION_MNIST.replace("images-idx3", "labels-idx1")) as f:
        labels = f.read()
    written = [0] * 10
    for i in range(int.from_bytes(images[4:8], "big")):
        label = labels[8 + i]
        if written[label] >= per_class:
            continue
        pixels = bytes(255 - b for b in images[16 + i * 784:16 + (i + 1) * 784])
        os.makedirs(os.path.join(outdir, names[label]), exist_ok=True)
        path = os.path.join(outdir, names[label], f"{i:05d}.png")
        Image.frombytes("L", (28, 28), pixels).save(path)
        written[label] += 1
    return sum(written)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--builddir", default=os.path.join(ROOT, "_build"))
    parser.add_argument("--cli", default="")
    parser.add_argument("--fashion", type=int, default=0, metavar="N")
    parser.add_argument("--products", default="", metavar="DIR")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--latent", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="our threads")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--loss", choices=["bce", "mse"], default="bce")
    parser.add_argument("--torch-only", action="store_true")
    parser.add_argument("--tuned-malloc", action="store_true",
                        help="PyTorch with glibc malloc kept from returning tensors to the kernel")
    parser.add_argument("--ours-setup", default=OURS_SETUP, metavar="TEMPLATE")
    parser.add_argument("--ours", default=OURS_TRAIN, metavar="TEMPLATE")
    parser.add_argument("--peer", default="", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        return run_peer(args)
    args.cli = args.cli or os.path.join(args.builddir, "app", "cli", "lookalike-cli")
    if not args.torch_only and not os.path.exists(args.cli):
        raise SystemExit(f"{args.cli} is missing: build first (meson compile -C {args.builddir}), "
                         "or measure PyTorch alone with --torch-only")
    if not args.fashion and not args.products:
        args.fashion, args.products = 10000, os.path.join(SHARED, "data", "products")

    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if args.fashion:
            folder = os.path.join(tmp, "fashion-mnist")
            n = export_fashion(args, args.fashion, folder)
            sets.append((f"Fashion-MNIST {n:,} × 28 px grey", folder, 28))
        if args.products:
            if not os.path.isdir(args.products):
                raise SystemExit(f"{args.products} is absent: this data set needs ../shared")
            sets.append(("products 64 px colour", args.products, 64))

        print(f"conv-AE training, latent {args.latent}, batch {args.batch}, {args.epochs} epochs, "
              f"best of {args.rounds}; ours on {args.threads} threads")
        header = (f"{'data set':<34} {'ours img/s':>10} {'torch 1T':>9} {'torch 2T':>9} "
                  f"{'ratio':>6} {'ours RSS':>9} {'torch RSS':>10} {'loss ours':>9} "
                  f"{'loss torch':>10}")
        print(header)
        print("-" * len(header))
        ratios = []
        version = ""
        for name, folder, size in sets:
            best_o = None
            best_t = {1: None, 2: None}
            for _ in range(args.rounds):
                if not args.torch_only:
                    o = ours(args, folder, size, tmp)
                    if not best_o or o[0] > best_o[0]:
                        best_o = o
                for threads in (1, 2):
                    t = peer(args, folder, size, threads)
                    version = t[3]["torch"]
                    if not best_t[threads] or t[0] > best_t[threads][0]:
                        best_t[threads] = t
            top = max(best_t.values(), key=lambda t: t[0])
            loss_t = f"{top[3]['train_loss'][-1]:.5f}"
            if best_o:
                train_loss = best_o[3].get("train_loss") or []
                loss_o = f"{train_loss[-1]:.5f}" if train_loss else "—"
                ratio = best_o[0] / top[0]
                ratios.append((name, ratio, top[3]["threads"]))
                print(f"{name:<34} {best_o[0]:>10.1f} {best_t[1][0]:>9.1f} {best_t[2][0]:>9.1f} "
                      f"{ratio:>5.2f}× {best_o[2]:>5.0f} MiB {top[2]:>6.0f} MiB {loss_o:>9} "
                      f"{loss_t:>10}", flush=True)
            else:
                print(f"{name:<34} {'—':>10} {best_t[1][0]:>9.1f} {best_t[2][0]:>9.1f} "
                      f"{'—':>6} "
                      f"{'—':>9} {top[2]:>6.0f} MiB {'—':>9} {loss_t:>10}", flush=True)
        for name, ratio, threads in ratios:
            print(f"{name}: ours / PyTorch best ({threads} thread{'s' if threads > 1 else ''}) "
                  f"= {ratio:.2f}×")
    print(f"torch: PyTorch {version}, AdamW lr 1e-3 wd 1e-4, {args.loss.upper()}, whole epochs "
          f"timed, data held as uint8, OpenBLAS on as many threads, "
          f"{'tuned' if args.tuned_malloc else 'stock'} glibc malloc; torch RSS: its better "
          "thread setting; loss: last epoch's mean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
