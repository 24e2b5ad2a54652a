#!/usr/bin/env python3
# test-compress.py: the compressed backend through lookalike-cli: training its compressor on a
# catalog's CNN vectors, the codes it stores, searching with them, and what invalidates them.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-compress.py LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR

The compressor file is read back with numpy (its tensors are plain F32), and every code the
catalog holds, and the ranking of a search, is recomputed from the stored CNN vectors and held
to what the CLI made."""
import json
import os
import struct
import sys
import unittest

import numpy

import lkcatalog
from lkcatalog import export, rows, run


def read_safetensors(path):
    """{name: numpy array} and the metadata of an F32-only safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", name
        start, end = info["data_offsets"]
        tensors[name] = numpy.frombuffer(data[8 + n + start:8 + n + end],
                                         dtype="<f4").reshape(info["shape"])
    return tensors, meta


def stored(db, backend):
    """{relative path: vector} of a backend's vectors in the catalog."""
    return {bytes(p).decode(): numpy.frombuffer(bytes(v), dtype="<f4")
            for p, v in rows(db, "SELECT i.path, e.vector FROM items i JOIN embeddings e "
                                 "ON e.item_id = i.id WHERE e.backend = ?", backend)}


def compress(tensors, vectors):
    """What the compressor makes of raw CNN vectors (n, D): prepared, then projected (pca) or
    through the MLP's encoder (ae, nbr), in double."""
    x = vectors.astype(numpy.float64) - tensors["in_mean"]
    x = x / numpy.linalg.norm(x, axis=1, keepdims=True)
    if "components" in tensors:
        return (x - tensors["mean"]) @ tensors["components"].T
    for i, layer in enumerate(("enc1", "enc2", "enc3")):
        x = x @ tensors[layer + ".weight"].T.astype(numpy.float64) + tensors[layer + ".bias"]
        if i < 2:
            x = numpy.maximum(x, 0)
    return x


class Compressed(lkcatalog.Base):
    def setUp(self):
        super().setUp()
        self.folder = os.path.join(self.tmp, "cat")
        export(self.folder, 12)
        self.db = os.path.join(self.tmp, "c.db")
        self.index(self.folder, self.db)

    def train(self, *extra, check=0):
        result = run("train", "--index", self.db, "--backend", "compressed", *extra,
                     env=self.env, check=check)
        return json.loads(result.stdout) if check == 0 and "--json" in extra else result

    def test_codes_are_the_compressors(self):
        summary = self.train("--latent", "16", "--json")
        self.assertEqual(summary["backend"], "compressed")
        # the best method for the size: principal components for a catalog this small
        self.assertEqual(summary["method"], "pca")
        self.assertEqual((summary["in_dim"], summary["latent"]), (512, 16))
        self.assertEqual(summary["vectors"], 120)
        self.assertEqual(summary["embedded"], 120)
        self.assertGreater(summary["retained_variance"], 0.3)
        self.assertLessEqual(summary["retained_variance"], 1.0)
        model = summary["model_path"]
        self.assertEqual(model, self.db + ".compressed.safetensors")
        tensors, meta = read_safetensors(model)
        self.assertEqual(meta["format"], "lookalike-compressor")
        upstream = json.loads(meta["upstream"])
        self.assertEqual((upstream["backend"], upstream["dim"]), ("cnn", 512))
        # orthonormal components, by decreasing variance
        c = tensors["components"].astype(numpy.float64)
        self.assertLess(abs(c @ c.T - numpy.eye(16)).max(), 1e-4)
        self.assertTrue((numpy.diff(tensors["variance"]) <= 1e-7).all())

        cnn, codes = stored(self.db, "cnn"), stored(self.db, "compressed")
        self.assertEqual(set(cnn), set(codes))
        names = sorted(cnn)
        want = compress(tensors, numpy.array([cnn[p] for p in names]))
        got = numpy.array([codes[p] for p in names])
        self.assertLess(abs(want - got).max(), 1e-4)

        # the quality figures, recomputed: reconstructions, self-retrieval, precision by folder
        q = summary["quality"]
        raw = numpy.array([cnn[p] for p in names], dtype=numpy.float64)
        x = raw - tensors["in_mean"]
        x /= numpy.linalg.norm(x, axis=1, keepdims=True)
        back = want @ tensors["components"] + tensors["mean"]
        unit_back = back / numpy.linalg.norm(back, axis=1, keepdims=True)
        self.assertAlmostEqual(q["mean_cosine"], float((unit_back * x).sum(1).mean()), places=4)
        self.assertAlmostEqual(q["mse"] / float(((back - x) ** 2).mean()), 1.0, places=3)
        self_hits = (numpy.argmax(unit_back @ x.T, axis=1) == numpy.arange(len(x))).mean()
        self.assertAlmostEqual(q["self_retrieval"], float(self_hits), places=4)
        evaluated = json.loads(run("eval", "--index", self.db, "--backend", "compressed", "--json",
                                   env=self.env, check=0).stdout)
        cnn_eval = json.loads(run("eval", "--index", self.db, "--backend", "cnn", "--json",
                                  env=self.env, check=0).stdout)
        self.assertAlmostEqual(q["precision_at_10"], evaluated["precision_at_k"], places=4)
        self.assertAlmostEqual(q["cnn_precision_at_10"], cnn_eval["precision_at_k"], places=4)
        self.assertEqual((summary["bytes_per_item"], q["cnn_bytes_per_item"]), (64, 2048))

        # a photo from elsewhere: embedded by the CNN, compressed, ranked by cosine
        other = os.path.join(self.tmp, "other")
        export(other, 1)
        query = os.path.join(other, "Sneaker", sorted(os.listdir(os.path.join(other, "Sneaker")))[0])
        embedded = json.loads(run("embed", "--weights", self.weights, "--size", "64", query,
                                  env=self.env, check=0).stdout)
        code = compress(tensors, numpy.array([embedded["vector"]], dtype=numpy.float32))[0]
        unit = got / numpy.linalg.norm(got, axis=1, keepdims=True)
        cosines = unit @ (code / numpy.linalg.norm(code))
        order = numpy.argsort(-cosines, kind="stable")[:5]
        result = json.loads(run("search", "--index", self.db, "--backend", "compressed", "-k",
                                "5", "--json", query, env=self.env, check=0).stdout)
        self.assertEqual(result["backend"], "compressed")
        got_paths = [os.path.relpath(r["path"], self.folder) for r in result["results"]]
        self.assertEqual(got_paths, [names[i] for i in order])
        for r, i in zip(result["results"], order):
            self.assertAlmostEqual(r["cosine"], float(cosines[i]), places=4)

        # eval and the name the backend had first
        for name in ("compressed", "mlp-ae"):
            evaluated = json.loads(run("eval", "--index", self.db, "--backend", name, "--json",
                                       env=self.env, check=0).stdout)
            self.assertEqual((evaluated["backend"], evaluated["items"]), ("compressed", 120))

    def test_learned_compressors(self):
        for method in ("nbr", "ae"):
            summary = self.train("--method", method, "--latent", "8", "--epochs", "6", "--seed",
                                 "3", "--json")
            self.assertEqual((summary["method"], summary["latent"]), (method, 8))
            self.assertEqual(summary["embedded"], 120)
            self.assertLessEqual(summary["epochs"], 6)
            self.assertTrue(1 <= summary["best_epoch"] <= summary["epochs"])
            self.assertLessEqual(summary["retained_variance"], 1.0)
            tensors, meta = read_safetensors(summary["model_path"])
            self.assertEqual(json.loads(meta["config"]),
                             {"hidden": 512, "in_dim": 512, "latent": 8, "method": method})
            self.assertEqual(tensors["enc3.weight"].shape, (8, 512))
            # the catalog's codes are the encoder's, recomputed here from its tensors
            cnn, codes = stored(self.db, "cnn"), stored(self.db, "compressed")
            names = sorted(cnn)
            want = compress(tensors, numpy.array([cnn[p] for p in names]))
            got = numpy.array([codes[p] for p in names])
            self.assertLess(abs(want - got).max(), 1e-4 * max(1, abs(want).max()))
            evaluated = json.loads(run("eval", "--index", self.db, "--backend", "compressed",
                                       "--json", env=self.env, check=0).stdout)
            self.assertEqual((evaluated["model"], evaluated["items"]), (method, 120))
            # a catalog of many folders: its codes still find their folder more often than chance
            self.assertGreater(evaluated["precision_at_k"], 2.0 / evaluated["labels"])
        # the same seed again: the same tensors, bit for bit; another seed, others
        first, _ = read_safetensors(summary["model_path"])
        self.train("--method", "ae", "--latent", "8", "--epochs", "6", "--seed", "3")
        again, _ = read_safetensors(summary["model_path"])
        self.assertEqual(set(first), set(again))
        self.assertTrue(all((first[k] == again[k]).all() for k in first))
        self.train("--method", "ae", "--latent", "8", "--epochs", "6", "--seed", "4")
        other, _ = read_safetensors(summary["model_path"])
        self.assertFalse((first["enc1.weight"] == other["enc1.weight"]).all())

    def test_8_bit_codes(self):
        summary = self.train("--latent", "16", "--int8", "--json")
        self.assertEqual((summary["int8"], summary["bytes_per_item"]), (True, 16))
        tensors, meta = read_safetensors(summary["model_path"])
        self.assertEqual(json.loads(meta["config"]),
                         {"in_dim": 512, "int8": True, "latent": 16, "method": "pca"})
        offset, scale = tensors["q_offset"].astype(numpy.float64), tensors["q_scale"]
        # the catalog holds bytes: the unit codes, each dimension on its range's 256 steps
        cnn = stored(self.db, "cnn")
        names = sorted(cnn)
        blobs = dict(rows(self.db, "SELECT i.path, e.vector FROM items i JOIN embeddings e "
                                   "ON e.item_id = i.id WHERE e.backend = 'compressed'"))
        got = numpy.array([numpy.frombuffer(bytes(blobs[p.encode()]), dtype=numpy.uint8)
                           for p in names])
        self.assertEqual(got.shape, (120, 16))
        codes = compress(tensors, numpy.array([cnn[p] for p in names]))
        unit = codes / numpy.linalg.norm(codes, axis=1, keepdims=True)
        self.assertTrue(numpy.allclose(offset, unit.min(0), atol=1e-6))
        self.assertTrue(numpy.allclose(offset + 255 * scale, unit.max(0), atol=1e-5))
        want = numpy.clip(numpy.rint((unit - offset) / scale), 0, 255)
        self.assertLessEqual(abs(want - got).max(), 1)  # a value on a half step may round apart
        self.assertGreater((want == got).mean(), 0.999)
        self.assertEqual(rows(self.db, "SELECT vector_type FROM backends WHERE name = "
                                       "'compressed'"), [("uint8",)])

        # a search ranks by the exact cosine of the decoded codes (a photo from elsewhere: one of
        # the catalog's is searched with its stored code)
        other = os.path.join(self.tmp, "other")
        export(other, 1)
        query = os.path.join(other, "Bag", sorted(os.listdir(os.path.join(other, "Bag")))[0])
        embedded = json.loads(run("embed", "--weights", self.weights, "--size", "64", query,
                                  env=self.env, check=0).stdout)
        q = compress(tensors, numpy.array([embedded["vector"]], dtype=numpy.float32))[0]
        q /= numpy.linalg.norm(q)
        decoded = offset + scale * got
        cosines = (decoded @ q) / numpy.linalg.norm(decoded, axis=1)
        order = numpy.argsort(-cosines, kind="stable")[:10]
        result = json.loads(run("search", "--index", self.db, "--backend", "compressed", "-k",
                                "10", "--json", query, env=self.env, check=0).stdout)
        got_paths = [os.path.relpath(r["path"], self.folder) for r in result["results"]]
        self.assertEqual(got_paths, [names[i] for i in order])
        for r, i in zip(result["results"], order):
            self.assertAlmostEqual(r["cosine"], float(cosines[i]), places=4)
        evaluated = json.loads(run("eval", "--index", self.db, "--backend", "compressed",
                                   "--json", env=self.env, check=0).stdout)
        self.assertEqual(evaluated["items"], 120)

        # without the compressor that made them, the bytes mean nothing: said, naming it
        os.rename(summary["model_path"], summary["model_path"] + ".away")
        result = run("eval", "--index", self.db, "--backend", "compressed", env=self.env,
                     check=1)
        self.assertIn("its 8-bit codes are decoded by the compressor that made them", result.stderr)
        self.assertIn("c.db.compressed.safetensors", result.stderr)

    def test_index_fits_one_when_there_is_none(self):
        result = self.index(self.folder, self.db, "--backend", "compressed")
        self.assertEqual(len(stored(self.db, "compressed")), 120)
        self.assertTrue(os.path.exists(self.db + ".compressed.safetensors"))
        self.assertEqual(result["backend"], "compressed")

    def test_a_small_catalog_gets_shorter_codes(self):
        # ten photos cannot give 32 components: the default is one less than the vectors
        small = os.path.join(self.tmp, "small")
        export(small, 1)
        db = os.path.join(self.tmp, "small.db")
        self.index(small, db)
        summary = json.loads(run("train", "--index", db, "--backend", "compressed", "--json",
                                 env=self.env, check=0).stdout)
        self.assertEqual((summary["vectors"], summary["latent"], summary["embedded"]), (10, 9, 10))
        # asked for, 32 is refused with the reason
        result = run("train", "--index", db, "--backend", "compressed", "--latent", "32",
                     env=self.env, check=1)
        self.assertIn("10 vectors cannot give 32 principal components: it takes at least 33",
                      result.stderr)

    def test_other_cnn_weights_invalidate_it(self):
        self.train()
        self.assertEqual(len(stored(self.db, "compressed")), 120)
        # indexed again with other weights: the codes made of the old vectors go with them
        other = os.path.join(lkcatalog.REF, "resnet18.safetensors")
        run("index", "--index", self.db, "--weights", other, "--size", "64", self.folder,
            env=self.env, check=0)
        self.assertEqual(len(stored(self.db, "compressed")), 0)
        self.assertEqual(rows(self.db, "SELECT count(*) FROM backends WHERE name = 'compressed'"),
                         [(0,)])
        result = run("index", "--index", self.db, "--backend", "compressed", "--weights", other,
                     "--size", "64", self.folder, env=self.env, check=1)
        self.assertIn("compressed.safetensors was fitted on the vectors of other weights",
                      result.stderr)
        self.assertIn("train it again", result.stderr)
        # trained again, it works with them
        self.train("--weights", other)
        self.assertEqual(len(stored(self.db, "compressed")), 120)

    def test_bad_input_says_what(self):
        # no CNN vectors to compress
        empty = os.path.join(self.tmp, "empty.db")
        run("index", "--index", empty, "--weights", self.weights, "--size", "64", "--backend",
            "conv-ae", "--json", self.folder, env=self.env)
        result = run("train", "--index", empty, "--backend", "compressed", env=self.env, check=1)
        self.assertIn("no CNN features to compress", result.stderr)
        # settings that are the autoencoder's, or the learned compressors'
        result = self.train("--size", "32", check=2)
        self.assertIn("the compressed backend takes --method, --latent, --epochs, --seed and "
                      "--weights", result.stderr)
        result = self.train("--method", "pca", "--epochs", "3", check=2)
        self.assertIn("principal components are computed, not trained", result.stderr)
        result = self.train("--method", "nbr", "--epochs", "0", check=2)
        self.assertIn("0 epochs is outside 1–10000", result.stderr)
        result = self.train("--method", "zip", check=2)
        self.assertIn("unknown compression method", result.stderr)
        result = self.train("--latent", "600", check=1)
        self.assertIn("latent size 600 is over the vectors' 512 dimensions", result.stderr)
        result = run("train", "--index", self.db, "--method", "pca", env=self.env, check=2)
        self.assertIn("--method, --int8 and --weights are for the compressed backend", result.stderr)
        # a compressor file cut short: named, and the catalog's codes stay searchable as they were
        self.train()
        model = self.db + ".compressed.safetensors"
        with open(model, "r+b") as f:
            f.truncate(os.path.getsize(model) - 9)
        result = run("index", "--index", self.db, "--backend", "compressed", "--weights",
                     self.weights, "--size", "64", self.folder, env=self.env, check=1)
        self.assertIn("c.db.compressed.safetensors", result.stderr)
        self.assertIn("truncated", result.stderr)
        self.assertEqual(len(stored(self.db, "compressed")), 120)


if __name__ == "__main__":
    lkcatalog.setup(sys.argv)
    unittest.main(argv=sys.argv[:1], verbosity=2)
