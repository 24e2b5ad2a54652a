#!/usr/bin/python3
# make-reference.py: PyTorch reference features for tests/engine/test-numerics.c.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes into OUTDIR:

  images/img-*.png      synthetic test images, lossless: four 224×224, one 173×173 (odd size) and
                        the extremes of the supported range, 64×64 and 512×512
  resnet18.safetensors  random-init torchvision ResNet-18, stored as F16
  resnet50.safetensors  random-init torchvision ResNet-50, stored as F32
  squeezenet1_1.safetensors  random-init torchvision SqueezeNet 1.1, stored as BF16
  reference.safetensors features "<model>/<image>" computed by torchvision: the model minus its
                        head (global average pool of the last convolutional stage), on the image
                        converted with ToTensor + ImageNet Normalize, no resizing
  With --shared-weights FILE: also "squeezenet1_1-imagenet/<image>" for those weights.

BatchNorm running statistics and affine parameters are randomised so that folding them into the
convolutions is really exercised (a fresh torchvision model has mean 0, variance 1, γ 1, β 0).
Weights stored as F16/BF16 are rounded the same way before PyTorch runs them, so the comparison
is exact up to arithmetic. When PyTorch is missing, OUTDIR/SKIP says why and the test skips.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models"))

IMAGES = [("img-0", 224), ("img-1", 224), ("img-2", 224), ("img-3", 224), ("img-odd", 173),
          ("img-min", 64), ("img-max", 512)]


def make_images(outdir):
    """Deterministic synthetic photos: gradients, shapes, texture and noise."""
    from PIL import Image, ImageDraw
    import random

    paths = []
    os.makedirs(os.path.join(outdir, "images"), exist_ok=True)
    for index, (name, size) in enumerate(IMAGES):
        rng = random.Random(1234 + index)
        img = Image.new("RGB", (size, size))
        px = img.load()
        a, b = rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.0)
        for y in range(size):
            for x in range(size):
                px[x, y] = (int(255 * a * x / size), int(255 * b * y / size),
                            int(128 + 100 * ((x * y) % 7) / 7))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x0, y0 = rng.randrange(size), rng.randrange(size)
            x1, y1 = x0 + rng.randrange(8, size // 2), y0 + rng.randrange(8, size // 2)
            colour = tuple(rng.randrange(256) for _ in range(3))
            if rng.random() < 0.5:
                draw.ellipse([x0, y0, x1, y1], fill=colour)
            else:
                draw.rectangle([x0, y0, x1, y1], outline=colour, width=rng.randrange(1, 6))
        for _ in range(size * 4):
            px[rng.randrange(size), rng.randrange(size)] = tuple(rng.randrange(256) for _ in range(3))
        path = os.path.join(outdir, "images", name + ".png")
        img.save(path)
        paths.append(path)
    return paths


def randomise_batchnorm(model, torch):
    gen = torch.Generator().manual_seed(99)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
            module.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            module.bias.data.copy_(torch.randn(n, generator=gen) * 0.2)


def features(model, x):
    """The model minus its head: global average pool of the last convolutional stage."""
    import torch

    if hasattr(model, "features"):  # SqueezeNet
        f = model.features(x)
    else:  # ResNet
        f = model.conv1(x)
        f = model.maxpool(model.relu(model.bn1(f)))
        f = model.layer4(model.layer3(model.layer2(model.layer1(f))))
    return torch.flatten(torch.nn.functional.adaptive_avg_pool2d(f, 1), 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--shared-weights", default="")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    skip = os.path.join(args.outdir, "SKIP")
    if os.path.exists(skip):
        os.remove(skip)
    try:
        import torch
        import torchvision
        from PIL import Image
        import safetensors_io
    except ImportError as e:
        with open(skip, "w") as f:
            f.write(f"PyTorch reference unavailable ({e}); install python3-torch python3-torchvision\n")
        return 0

    torch.manual_seed(0)
    torch.set_num_threads(2)
    paths = make_images(args.outdir)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    inputs = {}
    for (name, _), path in zip(IMAGES, paths):
        img = Image.open(path).convert("RGB")
        x = torch.from_numpy(__import__("numpy").asarray(img).copy()).permute(2, 0, 1).float() / 255
        inputs[name] = ((x - mean) / std).unsqueeze(0)

    reference = {}
    models = [("resnet18", torch.float16), ("resnet50", torch.float32),
              ("squeezenet1_1", torch.bfloat16)]
    for arch, dtype in models:
        model = getattr(torchvision.models, arch)(weights=None).eval()
        randomise_batchnorm(model, torch)
        state = model.state_dict()
        stored = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
        # run PyTorch on exactly the weights the file holds
        model.load_state_dict({k: v.to(state[k].dtype) for k, v in stored.items()})
        safetensors_io.save(os.path.join(args.outdir, arch + ".safetensors"), stored,
                            {"format": "pt", "architecture": arch})
        with torch.inference_mode():
            for name, x in inputs.items():
                reference[f"{arch}/{name}"] = features(model, x)[0].clone()

    if args.shared_weights and os.path.exists(args.shared_weights):
        tensors, _ = safetensors_io.load(args.shared_weights)
        model = torchvision.models.squeezenet1_1(weights=None).eval()
        model.load_state_dict(tensors)
        with torch.inference_mode():
            for name, x in inputs.items():
                reference[f"squeezenet1_1-imagenet/{name}"] = features(model, x)[0].clone()

    safetensors_io.save(os.path.join(args.outdir, "reference.safetensors"), reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
