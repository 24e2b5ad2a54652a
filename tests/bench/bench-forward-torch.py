#!/usr/bin/python3
# bench-forward-torch.py: forward-pass throughput of PyTorch (the peer side of bench-forward.py).
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench-forward-torch.py WEIGHTS ARCH BATCH THREADS SECONDS [SIZE]

Loads the same safetensors weights into torchvision's ARCH, keeps what our engine computes (the
model minus its classifier, global average pooled), and prints one JSON object like bench-forward.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))


def main():
    weights, arch, batch, threads, seconds = sys.argv[1:6]
    size = int(sys.argv[6]) if len(sys.argv) > 6 else 224
    batch, threads, seconds = int(batch), int(threads), float(seconds)
    import torch
    import torchvision
    import safetensors_io

    torch.set_num_threads(threads)
    model = getattr(torchvision.models, arch)(weights=None).eval()
    tensors, _ = safetensors_io.load(weights)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()})
    if hasattr(model, "fc"):
        model.fc = torch.nn.Identity()  # avgpool + flatten remain: the 2048/512-d feature
    else:
        model.classifier = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        for _ in range(2):
            model(x)
        images = 0
        start = time.monotonic()
        while True:
            model(x)
            images += batch
            now = time.monotonic()
            if now - start >= seconds:
                break
    print(json.dumps({"model": arch, "batch": batch, "threads": threads,
                      "images_per_s": round(images / (now - start), 3),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
