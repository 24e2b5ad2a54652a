#!/usr/bin/python3
# test-quality.py: the retrieval-quality bar on real product photos.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-quality.py LOOKALIKE_CLI SHARED_DIR

Indexes ../shared/data/products (1,617 labelled product photos) with the ImageNet SqueezeNet 1.1
of ../shared/models and requires leave-one-out precision@10 ≥ 0.66: PyTorch with the same weights
and 224-pixel input scores 0.664, so anything lower is a bug somewhere in the pipeline (decoding,
preprocessing, the network, the catalog or the ranking). Exits 77 when ../shared is absent.
"""
import json
import os
import subprocess
import sys
import tempfile

cli, shared = sys.argv[1:3]
products = os.path.join(shared, "data", "products")
weights = os.path.join(shared, "models", "squeezenet1_1-imagenet.safetensors")
if not (os.path.isdir(products) and os.path.exists(weights)):
    print(f"{products} or {weights} is absent (development data)")
    sys.exit(77)

with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, XDG_DATA_HOME=tmp)
    db = os.path.join(tmp, "products.db")
    index = subprocess.run([cli, "index", "--index", db, "--weights", weights, "--json", products],
                           capture_output=True, text=True, env=env, check=True)
    summary = json.loads(index.stdout)
    assert summary["added"] == 1617 and summary["failed"] == [], summary
    result = subprocess.run([cli, "eval", "--index", db, "-k", "10", "--json"],
                            capture_output=True, text=True, env=env, check=True)
    got = json.loads(result.stdout)
    print(f"precision@10 {got['precision_at_k']:.4f}, mAP@10 {got['map_at_k']:.4f}, "
          f"recall@10 {got['recall_at_k']:.4f}, {got['items']} items, {got['labels']} labels, "
          f"indexed in {summary['seconds']:.1f} s")
    assert got["items"] == 1617 and got["labels"] == 59, got
    assert got["precision_at_k"] >= 0.66, f"precision@10 {got['precision_at_k']} < 0.66"
