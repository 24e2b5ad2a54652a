#!/usr/bin/python3
# convert-weights.py: turn a torchvision or timm checkpoint into the .safetensors Lookalike reads.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: models/convert-weights.py INPUT OUTPUT.safetensors [--arch ARCH] [--dtype f32|f16|bf16]

INPUT is a PyTorch checkpoint (.pth, .pt, .bin: a state_dict, or a dict holding one under
"state_dict" or "model", or a pickled model) or a .safetensors file. Prefixes that training
wrappers add ("module.", "model.") are removed. The architecture (resnet18, resnet34, resnet50,
resnet101, resnet152 or squeezenet1_1) is recognised from the tensor names, or given with --arch;
the tensors are then loaded into torchvision's model of that architecture with strict checking, so
a file this script writes is one the engine accepts. Needs Debian's python3-torch and
python3-torchvision (conversion time only; Lookalike itself never runs Python).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "squeezenet1_1"]
RESNET_BLOCKS = {("basic", (2, 2, 2, 2)): "resnet18", ("basic", (3, 4, 6, 3)): "resnet34",
                 ("bottleneck", (3, 4, 6, 3)): "resnet50",
                 ("bottleneck", (3, 4, 23, 3)): "resnet101",
                 ("bottleneck", (3, 8, 36, 3)): "resnet152"}


def load_any(path):
    import torch
    import safetensors_io

    if path.endswith(".safetensors"):
        return safetensors_io.load(path)[0]
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    for key in ("state_dict", "model", "model_state"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            return obj[key]
    return obj


def strip_prefixes(state):
    for prefix in ("module.", "model."):
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def detect(state):
    if "features.0.weight" in state and "features.3.squeeze.weight" in state:
        if tuple(state["features.0.weight"].shape) != (64, 3, 3, 3):
            raise SystemExit("this is SqueezeNet 1.0; Lookalike runs SqueezeNet 1.1")
        return "squeezenet1_1"
    if "conv1.weight" in state and "layer1.0.conv1.weight" in state:
        kind = "bottleneck" if "layer1.0.conv3.weight" in state else "basic"
        counts = tuple(sum(1 for k in state if k.startswith(f"layer{s}.") and
                           k.endswith(".conv1.weight")) for s in range(1, 5))
        if (kind, counts) in RESNET_BLOCKS:
            return RESNET_BLOCKS[(kind, counts)]
        raise SystemExit(f"a ResNet with {kind} blocks {counts} is none of ResNet-18/34/50/101/152")
    raise SystemExit("not a torchvision ResNet or SqueezeNet 1.1 checkpoint (tensor names differ)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--arch", choices=ARCHS)
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    args = parser.parse_args()

    import torch
    import torchvision
    import safetensors_io

    state = strip_prefixes(load_any(args.input))
    arch = args.arch or detect(state)
    model = getattr(torchvision.models, arch)(weights=None)
    reference = model.state_dict()
    # num_batches_tracked is bookkeeping that some exporters drop
    for key, value in reference.items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = value
    model.load_state_dict(state, strict=True)  # raises naming any missing or misshapen tensor

    dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    out = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    safetensors_io.save(args.output, out, {"format": "pt", "architecture": arch,
                                           "source": os.path.basename(args.input)})
    print(f"{args.output}: {arch}, {len(out)} tensors, {args.dtype.upper()}")


if __name__ == "__main__":
    main()
