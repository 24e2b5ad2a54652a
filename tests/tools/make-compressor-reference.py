#!/usr/bin/python3
# make-compressor-reference.py: a PyTorch reference training run of the MLP compressors, for the C
# trainer's tests.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: make-compressor-reference.py OUTDIR [--method ae|nbr] [--dim 24] [--hidden 16]
                                      [--latent 6] [--batch 12] [--steps 8] [--lr 1e-3]
                                      [--tau 0.1] [--rec 0] [--seed 0]

Builds the MLP the compressed backend's "ae" and "nbr" methods train (engine/models/lk-compressor.h):
Linear layers enc1 (DIM → HIDDEN), enc2 (HIDDEN → HIDDEN), enc3 (HIDDEN → LATENT), dec1, dec2,
dec3 mirroring them, ReLU after all but enc3 and dec3, in float32 with PyTorch's default
initialisation after torch.manual_seed (SEED). Runs STEPS Adam steps (betas 0.9, 0.999, eps 1e-8,
no weight decay, the single-tensor implementation) on one thread, one batch each, and writes into
OUTDIR:

  init.safetensors      every parameter before training (enc1.weight, enc1.bias, ..., dec3.bias),
                        and the inputs "batch.{k}" (BATCH, DIM) for k = 0..STEPS-1: unit rows
                        around three centres, so that a batch has neighbourhoods to keep
  grads.safetensors     every parameter's gradient at every step, before its update:
                        "step{k}.{name}"
  expected.safetensors  every parameter after the STEPS steps; "loss" (STEPS,) each step's loss
                        before its update (for nbr, KL + REC · rec: the
                        encoder's objective); "codes.0" (BATCH, LATENT) and "recon.0" (BATCH, DIM),
                        batch 0 under the initial weights

Each file's metadata holds "config": the JSON of method, dim, hidden, latent, batch, steps, lr,
tau and rec. The loss of a batch x, with z = encoder (x) and rec (z) = |decoder (z) − x|² summed
over the row, the mean over the rows:
  ae    rec (z)
  nbr   KL (softmax (x·xᵀ / tau) ‖ softmax (u·uᵀ / tau)), u = normalize (z), row by row over the
        other rows (the diagonal left out), the mean over the rows; plus REC · rec (z) and
        (1 − REC) · rec (z.detach ()), so that the decoder always learns to reconstruct and the
        encoder by REC
The run is deterministic: the same arguments write the same bytes. When PyTorch is missing,
OUTDIR/SKIP says why.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))

LAYERS = ["enc1", "enc2", "enc3", "dec1", "dec2", "dec3"]


def make_model(torch, dim, hidden, latent):
    """The MLP; its modules are made in the spec's order, so a seed gives the same weights."""
    nn = torch.nn
    sizes = [dim, hidden, hidden, latent, hidden, hidden, dim]

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            for i, name in enumerate(LAYERS):
                setattr(self, name, nn.Linear(sizes[i], sizes[i + 1]))

        def encode(self, x):
            x = torch.relu(self.enc1(x))
            x = torch.relu(self.enc2(x))
            return self.enc3(x)

        def decode(self, z):
            z = torch.relu(self.dec1(z))
            z = torch.relu(self.dec2(z))
            return self.dec3(z)

    return Mlp()


def make_batches(torch, seed, steps, batch, dim):
    """Unit rows: three random centres, each row one of them plus noise of a third its size."""
    gen = torch.Generator().manual_seed(1000 + seed)
    centres = torch.randn(3, dim, generator=gen, dtype=torch.float64)
    out = []
    for _ in range(steps):
        pick = torch.randint(0, 3, (batch,), generator=gen)
        x = centres[pick] + torch.randn(batch, dim, generator=gen, dtype=torch.float64) / 3
        out.append(torch.nn.functional.normalize(x, dim=1).float().contiguous())
    return out


def loss_of(torch, model, x, args):
    """(what backward is taken of, the loss the C trainer reports: the encoder's objective)"""
    F = torch.nn.functional
    z = model.encode(x)

    def rec(code):
        return ((model.decode(code) - x) ** 2).sum(1).mean()

    if args.method == "ae":
        loss = rec(z)
        return loss, loss
    u = F.normalize(z, dim=1)
    eye = torch.eye(len(x), dtype=torch.bool)
    target = F.softmax((x @ x.t() / args.tau).masked_fill(eye, -1e9), dim=1)
    logq = F.log_softmax((u @ u.t() / args.tau).masked_fill(eye, -1e9), dim=1)
    kl = F.kl_div(logq, target, reduction="batchmean")
    r = rec(z)
    return kl + args.rec * r + (1 - args.rec) * rec(z.detach()), kl + args.rec * r


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--method", choices=["ae", "nbr"], default="ae")
    parser.add_argument("--dim", type=int, default=24)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--latent", type=int, default=6)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--tau", type=float, default=0.1)
    parser.add_argument("--rec", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if min(args.dim, args.hidden, args.latent, args.steps) < 1 or args.batch < 2:
        parser.error("--dim, --hidden, --latent and --steps must be positive, --batch at least 2")
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
    model = make_model(torch, args.dim, args.hidden, args.latent)
    batches = make_batches(torch, args.seed, args.steps, args.batch, args.dim)
    config = {"method": args.method, "dim": args.dim, "hidden": args.hidden,
              "latent": args.latent, "batch": args.batch, "steps": args.steps, "lr": args.lr,
              "tau": args.tau, "rec": args.rec}
    metadata = {"config": json.dumps(config)}

    init = {name: p.detach().clone() for name, p in model.named_parameters()}
    init.update({f"batch.{k}": x for k, x in enumerate(batches)})
    safetensors_io.save(os.path.join(args.outdir, "init.safetensors"), init, metadata)
    with torch.no_grad():
        codes0 = model.encode(batches[0])
        recon0 = model.decode(codes0)

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=0, foreach=False)
    losses, grads = [], {}
    for k, x in enumerate(batches):
        optimizer.zero_grad()
        loss, reported = loss_of(torch, model, x, args)
        loss.backward()
        for name, p in model.named_parameters():
            grads[f"step{k}.{name}"] = p.grad.detach().clone()
        optimizer.step()
        losses.append(reported.detach().clone())

    safetensors_io.save(os.path.join(args.outdir, "grads.safetensors"), grads, metadata)
    expected = {name: p.detach().clone() for name, p in model.named_parameters()}
    expected["loss"] = torch.stack(losses).float()
    expected["codes.0"] = codes0
    expected["recon.0"] = recon0
    safetensors_io.save(os.path.join(args.outdir, "expected.safetensors"), expected, metadata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
