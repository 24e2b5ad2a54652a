#!/usr/bin/python3
# make-convae-reference.py: a PyTorch reference training run of the conv-AE, for the C trainer's tests.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: make-convae-reference.py OUTDIR [--size 16] [--latent 12] [--batch 5] [--steps 10]
                                  [--lr 1e-3] [--weight-decay 0.01] [--seed 0]

Builds the conv-AE the C engine trains (the "conv-ae" backend) in float32 with PyTorch's default
initialisation after torch.manual_seed (SEED), runs STEPS AdamW steps on one thread, one minibatch
each, and writes into OUTDIR:

  init.safetensors      every parameter before training, by the spec's names (encoder.{i}.weight,
                        ..., decoder.{i}.bias), and the inputs "batch.{k}" (BATCH, 3, SIZE, SIZE)
                        for k = 0..STEPS-1: smooth synthetic images in [0, 1] (gradients, soft
                        blobs and a soft-edged rectangle), so that the loss moves
  grads.safetensors     the gradient of every parameter at every step, before its update:
                        "step{k}.{name}"
  expected.safetensors  every parameter after the STEPS steps; "loss" (STEPS,) the loss of each
                        step before its update; "latent.0" (BATCH, LATENT) the code z of batch 0
                        and "recon.0" (BATCH, 3, SIZE, SIZE) its sigmoid reconstruction, both under
                        the initial weights

Each file's metadata holds "config", the JSON of input_size, latent, stages, widths, slope, lr,
weight_decay, steps and batch. A step is zero_grad, forward of batch k, loss = binary cross-entropy
on the logits (BCEWithLogitsLoss, mean over all elements) against batch k, backward, AdamW step (betas 0.9, 0.999, eps 1e-8,
the single-tensor implementation). The run is deterministic: the same arguments write the same
bytes. When PyTorch is missing, OUTDIR/SKIP says why.

The architecture, for input side S, latent L: n = 3 stages when S % 8 == 0, else 2 (S a multiple
of 2^n), widths w = [32, 64, 128][:n], LeakyReLU slope 0.2, s = S / 2^n, F = w[n-1]·s·s.
  encoder.{i}   Conv2d (w[i-1] or 3, w[i], 3, stride 2, padding 1), LeakyReLU
  to_latent     Flatten (C, H, W), Linear (F, L) -> z, no activation
  from_latent   Linear (L, F), LeakyReLU, Unflatten to (w[n-1], s, s)
  decoder.{i}   nearest 2× upsampling, Conv2d (w[n-1-i], w[n-2-i] or 3, 3, stride 1, padding 1),
                LeakyReLU after all but the last, Sigmoid after the last
On this machine a float64 rerun from the same initial weights and inputs stays within 5e-7 of
the float32 parameters after 10 steps and 2e-6 (relative to the largest) of the first gradients.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))

SLOPE = 0.2
WIDTHS = [32, 64, 128]


def stages_for(size):
    """The spec's stage count for an input side; raises ValueError for an impossible one."""
    n = 3 if size % 8 == 0 else 2
    if size <= 0 or size % (1 << n):
        raise ValueError(f"input size {size} is not a multiple of {1 << n}")
    return n


def make_model(torch, size, latent):
    """The spec's conv-AE as a torch.nn.Module whose state_dict names are the spec's tensor names.
    Modules are created in the spec's layer order, so a seed gives the same weights everywhere."""
    nn = torch.nn
    F = torch.nn.functional
    n = stages_for(size)
    widths = WIDTHS[:n]
    side = size >> n
    flat = widths[-1] * side * side

    class ConvAE(nn.Module):
        def __init__(self):
            super().__init__()
            c_in = [3] + widths
            self.encoder = nn.ModuleList(
                nn.Conv2d(c_in[i], widths[i], 3, stride=2, padding=1) for i in range(n))
            self.to_latent = nn.Linear(flat, latent)
            self.from_latent = nn.Linear(latent, flat)
            c_out = widths[::-1][1:] + [3]
            self.decoder = nn.ModuleList(
                nn.Conv2d(widths[n - 1 - i], c_out[i], 3, stride=1, padding=1) for i in range(n))

        def encode(self, x):
            for conv in self.encoder:
                x = F.leaky_relu(conv(x), SLOPE)
            return self.to_latent(torch.flatten(x, 1))

        def decode_logits(self, z):
            h = F.leaky_relu(self.from_latent(z), SLOPE).view(-1, widths[-1], side, side)
            for i, conv in enumerate(self.decoder):
                h = conv(F.interpolate(h, scale_factor=2, mode="nearest"))
                if i < n - 1:
                    h = F.leaky_relu(h, SLOPE)
            return h

        def decode(self, z):
            return torch.sigmoid(self.decode_logits(z))

        def forward(self, x):
            """The logits of the reconstruction (the loss is taken on them)."""
            return self.decode_logits(self.encode(x))

    return ConvAE(), {"stages": n, "widths": widths}


def make_batches(torch, seed, steps, batch, size):
    """Smooth, structured images in [0, 1]: a random linear colour gradient, 2 to 4 Gaussian blobs
    and a soft-edged rectangle per image. Computed in float64 from a seeded generator, then
    rounded to float32."""
    gen = torch.Generator().manual_seed(1000 + seed)
    coords = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")

    def uniform(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=gen, dtype=torch.float64)

    batches = []
    for _ in range(steps):
        images = []
        for _ in range(batch):
            angle = uniform(1, hi=6.283185307179586)
            ramp = torch.cos(angle) * (xx - 0.5) + torch.sin(angle) * (yy - 0.5) + 0.5
            low, high = uniform(3, 1, 1, hi=0.5), uniform(3, 1, 1, lo=0.5)
            img = low + (high - low) * ramp
            blobs = int(torch.randint(2, 5, (1,), generator=gen))
            for _ in range(blobs):
                cx, cy = uniform(1, lo=0.1, hi=0.9), uniform(1, lo=0.1, hi=0.9)
                radius = uniform(1, lo=0.08, hi=0.3)
                weight = torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius ** 2))
                colour = uniform(3, 1, 1)
                img = img + (colour - img) * weight
            x0, y0 = uniform(1, hi=0.6), uniform(1, hi=0.6)
            x1, y1 = x0 + uniform(1, lo=0.2, hi=0.4), y0 + uniform(1, lo=0.2, hi=0.4)
            edge = 0.03
            inside = (torch.sigmoid((xx - x0) / edge) * torch.sigmoid((x1 - xx) / edge)
                      * torch.sigmoid((yy - y0) / edge) * torch.sigmoid((y1 - yy) / edge))
            img = img + (uniform(3, 1, 1) - img) * 0.8 * inside
            images.append(img.clamp(0, 1))
        batches.append(torch.stack(images).float().contiguous())
    return batches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--latent", type=int, default=12)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        stages_for(args.size)
    except ValueError as e:
        parser.error(str(e))
    if args.latent < 1 or args.batch < 1 or args.steps < 1:
        parser.error("--latent, --batch and --steps must be positive")
    os.makedirs(args.outdir, exist_ok=True)
    skip = os.path.join(args.outdir, "SKIP")
    if os.path.exists(skip):
        os.remove(skip)
    try:
        import torch
        import safetensors_io
    except ImportError as e:
        with open(skip, "w") as f:
            f.write(f"PyTorch reference unavailable ({e}); install python3-torch\n")
        return 0

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)
    model, shape = make_model(torch, args.size, args.latent)
    batches = make_batches(torch, args.seed, args.steps, args.batch, args.size)
    config = {"input_size": args.size, "latent": args.latent, "stages": shape["stages"],
              "widths": shape["widths"], "slope": SLOPE, "lr": args.lr,
              "weight_decay": args.weight_decay, "steps": args.steps, "batch": args.batch}
    metadata = {"config": json.dumps(config)}

    init = {name: p.detach().clone() for name, p in model.named_parameters()}
    init.update({f"batch.{k}": x for k, x in enumerate(batches)})
    safetensors_io.save(os.path.join(args.outdir, "init.safetensors"), init, metadata)

    with torch.no_grad():
        latent0 = model.encode(batches[0])
        recon0 = model.decode(latent0)

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay, foreach=False)
    losses = []
    grads = {}
    for k, x in enumerate(batches):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), x)
        loss.backward()
        for name, p in model.named_parameters():
            grads[f"step{k}.{name}"] = p.grad.detach().clone()
        optimizer.step()
        losses.append(loss.detach().clone())

    safetensors_io.save(os.path.join(args.outdir, "grads.safetensors"), grads, metadata)
    expected = {name: p.detach().clone() for name, p in model.named_parameters()}
    expected["loss"] = torch.stack(losses).float()
    expected["latent.0"] = latent0
    expected["recon.0"] = recon0
    safetensors_io.save(os.path.join(args.outdir, "expected.safetensors"), expected, metadata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
