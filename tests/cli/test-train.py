#!/usr/bin/python3
# test-train.py: the conv-ae backend through lookalike-cli: train, index, search, eval.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-train.py LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR

Catalogs of Fashion-MNIST images (lookalike-demo export) trained at 16 or 28 pixels for a few
epochs, so that each run takes a second or two. No network weights are installed in these tests'
environment (an empty XDG_DATA_HOME, no LOOKALIKE_WEIGHTS): that is the machine the autoencoder is
the default on. REFERENCE_DIR's random SqueezeNet is used only where a test needs CNN weights."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import lkcatalog
from lkcatalog import export, rows, run

FAST = ["--epochs", "2", "--size", "16", "--latent", "8", "--threads", "2"]


class Train(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lk-train-")
        self.env = dict(os.environ, XDG_DATA_HOME=os.path.join(self.tmp, "data"),
                        XDG_DATA_DIRS=os.path.join(self.tmp, "none"))
        self.env.pop("LOOKALIKE_WEIGHTS", None)
        self.folder = os.path.join(self.tmp, "fm")
        self.db = os.path.join(self.tmp, "c.db")
        self.model = self.db + ".conv-ae.safetensors"

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def cli(self, *args, check=0):
        return run(*args, env=self.env, check=check)

    def train(self, *extra, check=0):
        result = self.cli("train", "--index", self.db, "--json", *FAST, *extra, self.folder,
                          check=check)
        return json.loads(result.stdout) if result.returncode == 0 else result

    def conv_ae_vectors(self):
        return {bytes(p): bytes(v) for p, v in rows(
            self.db, "SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id "
                     "WHERE e.backend = 'conv-ae'")}

    def test_train_json_contract(self):
        export(self.folder, 4)
        summary = self.train()
        for key in ("backend", "model_path", "epochs", "input_size", "latent", "batch",
                    "train_loss", "val_loss", "images_per_second", "seconds", "architecture"):
            self.assertIn(key, summary)
        self.assertEqual(summary["backend"], "conv-ae")
        self.assertEqual(summary["model_path"], self.model)
        self.assertEqual((summary["epochs"], summary["input_size"], summary["latent"]), (2, 16, 8))
        self.assertEqual(len(summary["train_loss"]), 2)
        self.assertEqual(len(summary["val_loss"]), 2)
        self.assertEqual(summary["train_images"] + summary["validation_images"], 40)
        self.assertGreater(summary["validation_images"], 0)
        self.assertGreater(summary["images_per_second"], 0)
        layers = summary["architecture"]
        self.assertEqual([layer["name"] for layer in layers],
                         ["encoder.0", "encoder.1", "encoder.2", "to_latent", "from_latent",
                          "decoder.0", "decoder.1", "decoder.2"])
        self.assertEqual(layers[0], {"name": "encoder.0", "type": "conv2d", "in": 3, "out": 32,
                                     "kernel": 3, "stride": 2, "padding": 1, "input_side": 16,
                                     "activation": "leaky_relu", "slope": 0.2})
        self.assertEqual(layers[3]["out"], 8)
        self.assertEqual(layers[-1]["activation"], "sigmoid")
        # training embedded the catalog: every image has a conv-ae vector of the latent size
        vectors = self.conv_ae_vectors()
        self.assertEqual(len(vectors), 40)
        self.assertTrue(all(len(v) == 8 * 4 for v in vectors.values()))
        # the model file records the same architecture
        with open(self.model, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            meta = json.loads(f.read(n))["__metadata__"]
        self.assertEqual(json.loads(meta["architecture"]), layers)
        self.assertEqual(json.loads(meta["training"])["epochs"], 2)
        self.assertEqual(meta["catalog_root"], os.path.realpath(self.folder))

    def test_index_trains_when_there_is_no_model(self):
        """No weights anywhere: index, search and eval default to conv-ae and need nothing."""
        export(self.folder, 3)
        result = self.cli("index", "--index", self.db, "--size", "16", self.folder)
        self.assertIn("no autoencoder for this catalog yet: training one (16 pixels, 20 epochs)",
                      result.stderr)
        self.assertIn("added 30", result.stdout)
        self.assertTrue(os.path.exists(self.model))
        self.assertEqual(len(self.conv_ae_vectors()), 30)
        query = os.path.join(self.folder, "Sneaker", sorted(os.listdir(
            os.path.join(self.folder, "Sneaker")))[0])
        found = json.loads(self.cli("search", "--index", self.db, "--json", "-k", "5", query).stdout)
        self.assertEqual(found["backend"], "conv-ae")
        self.assertEqual(len(found["results"]), 5)
        self.assertEqual(os.path.realpath(found["results"][0]["path"]), os.path.realpath(query))
        evaluated = json.loads(self.cli("eval", "--index", self.db, "--json", "-k", "2").stdout)
        self.assertEqual(evaluated["backend"], "conv-ae")
        # a photo from outside the catalog is embedded with the catalog's model
        outside = os.path.join(self.tmp, "outside")
        export(outside, 4)
        other = os.path.join(outside, "Bag", sorted(os.listdir(os.path.join(outside, "Bag")))[3])
        self.assertEqual(len(json.loads(self.cli("search", "--index", self.db, "--json", other)
                                        .stdout)["results"]), 10)
        # a second index embeds new photos with the model it has, and trains nothing
        export(self.folder, 4)
        again = self.cli("index", "--index", self.db, "--backend", "conv-ae", self.folder)
        self.assertNotIn("training", again.stderr)
        self.assertNotIn("retraining", again.stderr)  # 10 more than 30: not worth it yet
        self.assertIn("added 10", again.stdout)
        export(self.folder, 6)
        more = self.cli("index", "--index", self.db, "--backend", "conv-ae", self.folder)
        self.assertIn("added 20", more.stdout)
        self.assertIn("30 of the catalog’s 60 photos came after its autoencoder was trained on 30: "
                      "retraining it (lookalike-cli train) would fit it to them", more.stderr)

    def test_same_seed_same_vectors(self):
        export(self.folder, 3)
        self.train("--seed", "5")
        first = self.conv_ae_vectors()
        self.train("--seed", "5")
        self.assertEqual(self.conv_ae_vectors(), first)
        self.train("--seed", "6")
        self.assertNotEqual(self.conv_ae_vectors(), first)

    def test_retrain_replaces_the_vectors(self):
        export(self.folder, 3)
        self.train()
        first = self.conv_ae_vectors()
        (sha_before,) = rows(self.db, "SELECT identity FROM backends WHERE name = 'conv-ae'")[0]
        self.train("--epochs", "3")
        self.assertNotEqual(self.conv_ae_vectors(), first)
        (sha_after,) = rows(self.db, "SELECT identity FROM backends WHERE name = 'conv-ae'")[0]
        self.assertNotEqual(sha_before, sha_after)
        self.assertEqual(len(self.conv_ae_vectors()), 30)

    def test_too_few_photos(self):
        for n in (0, 1):
            folder = os.path.join(self.tmp, f"few{n}")
            os.makedirs(folder)
            if n:
                export(os.path.join(self.tmp, "one"), 1)
                shutil.copy(os.path.join(self.tmp, "one", "Bag", os.listdir(
                    os.path.join(self.tmp, "one", "Bag"))[0]), folder)
            db = os.path.join(self.tmp, f"few{n}.db")
            result = self.cli("train", "--index", db, *FAST, folder, check=1)
            self.assertIn(f"few{n}.db: {n} readable photo", result.stderr)
            self.assertIn("at least 2", result.stderr)
            self.assertFalse(os.path.exists(db + ".conv-ae.safetensors"))

    def test_broken_model_files_are_refused(self):
        export(self.folder, 3)
        self.train()
        before = self.conv_ae_vectors()
        with open(self.model, "rb") as f:
            good = f.read()
        for what, data in (("truncated", good[:len(good) // 2]),
                           ("garbage", b"\x10\0\0\0\0\0\0\0{\"a\": 1}  " + b"x" * 64),
                           ("empty", b"")):
            with open(self.model, "wb") as f:
                f.write(data)
            index = self.cli("index", "--index", self.db, "--backend", "conv-ae", self.folder,
                             check=1)
            self.assertIn("c.db.conv-ae.safetensors: ", index.stderr, what)
            search = self.cli("search", "--index", self.db, "--backend", "conv-ae",
                              os.path.join(self.tmp, "nowhere.png"), check=1)
            self.assertIn("c.db.conv-ae.safetensors", search.stderr, what)
            self.assertEqual(self.conv_ae_vectors(), before, what)

    def test_model_metadata_that_disagrees_with_its_tensors(self):
        export(self.folder, 3)
        self.train()
        with open(self.model, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
            data = f.read()
        config = json.loads(header["__metadata__"]["config"])
        config["latent"] = 9
        header["__metadata__"]["config"] = json.dumps(config, separators=(",", ":"),
                                                      sort_keys=True)
        text = json.dumps(header).encode()
        with open(self.model, "wb") as f:
            f.write(len(text).to_bytes(8, "little") + text + data)
        result = self.cli("index", "--index", self.db, "--backend", "conv-ae", self.folder,
                          check=1)
        self.assertIn("c.db.conv-ae.safetensors: not a Lookalike autoencoder", result.stderr)

    def test_mixed_sizes_and_modes(self):
        """Grey, colour, palette and alpha PNGs and JPEGs of many sizes train together."""
        from PIL import Image
        os.makedirs(self.folder)
        for i, (mode, size) in enumerate([("L", (28, 28)), ("RGB", (300, 200)), ("P", (64, 64)),
                                          ("RGBA", (40, 90)), ("RGB", (17, 500)),
                                          ("LA", (33, 33))] * 2):
            img = Image.new(mode, size)
            img.putdata([(i * 37 + k) % 256 if mode in "LP" else
                         ((i * 37 + k) % 256, k % 256) if mode == "LA" else
                         tuple(((i + c) * 53 + k) % 256 for c in range(len(mode)))
                         for k in range(size[0] * size[1])])
            img.save(os.path.join(self.folder, f"{i}.{'jpg' if mode == 'RGB' else 'png'}"))
        summary = self.train()
        self.assertEqual(summary["train_images"] + summary["validation_images"], 12)
        self.assertEqual(summary["failed"], [])

    def test_default_backend_with_weights_stays_cnn(self):
        if os.path.exists(os.path.join(lkcatalog.REF, "SKIP")):
            self.skipTest("no PyTorch reference weights")
        export(self.folder, 2)
        weights = os.path.join(lkcatalog.REF, "squeezenet1_1.safetensors")
        indexed = json.loads(self.cli("index", "--index", self.db, "--weights", weights, "--size",
                                      "64", "--json", self.folder).stdout)
        self.assertEqual(indexed["backend"], "cnn")
        # a catalog with CNN vectors searches them by default, weights installed or not
        query = os.path.join(self.folder, "Bag", os.listdir(os.path.join(self.folder, "Bag"))[0])
        found = json.loads(self.cli("search", "--index", self.db, "--json", query).stdout)
        self.assertEqual(found["backend"], "cnn")
        # and the autoencoder lives beside them in the same catalog
        self.train()
        self.assertEqual(len(self.conv_ae_vectors()), 20)
        found = json.loads(self.cli("search", "--index", self.db, "--json", query).stdout)
        self.assertEqual(found["backend"], "cnn")
        found = json.loads(self.cli("search", "--index", self.db, "--json", "--backend", "conv-ae",
                                    query).stdout)
        self.assertEqual(found["backend"], "conv-ae")

    def test_disk_full_while_saving_the_model(self):
        """The model is written whole or not at all: the previous one and the vectors stay."""
        if subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode != 0:
            self.skipTest("no private mount namespace here (unshare -Urm): cannot fill a disk")
        export(self.folder, 3)
        self.train("--seed", "3")
        disk, out = os.path.join(self.tmp, "disk"), os.path.join(self.tmp, "out")
        os.makedirs(disk)
        os.makedirs(out)
        room = (os.path.getsize(self.db) + os.path.getsize(self.model)) // 1024 + 256
        script = f"""
            mount -t tmpfs -o size={room}k none {disk} || exit 99
            cp {self.db} {self.model} {disk}/
            '{lkcatalog.CLI}' train --index {disk}/c.db {' '.join(FAST)} --seed 4 {self.folder} \
                > {out}/train.out 2> {out}/train.err; echo $? > {out}/train.code
            ls -a {disk} > {out}/listing
            cp {disk}/c.db {disk}/c.db.conv-ae.safetensors {out}/
        """
        done = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True,
                              text=True, env=self.env)
        if done.returncode == 99:
            self.skipTest("cannot mount a tmpfs in a private namespace here")

        def read(name):
            with open(os.path.join(out, name)) as f:
                return f.read()
        self.assertEqual(read("train.code").strip(), "1", read("train.err"))
        self.assertIn("c.db.conv-ae.safetensors", read("train.err"))
        self.assertIn("No space left on device", read("train.err"))
        with open(os.path.join(out, "c.db.conv-ae.safetensors"), "rb") as f, \
                open(self.model, "rb") as before:
            self.assertEqual(f.read(), before.read())
        self.assertEqual(sorted(read("listing").split()),
                         [".", "..", "c.db", "c.db-shm", "c.db-wal", "c.db.conv-ae.safetensors"]
                         if "c.db-wal" in read("listing") else
                         [".", "..", "c.db", "c.db.conv-ae.safetensors"])

    def test_unknown_and_untrainable_backends(self):
        export(self.folder, 1)
        result = self.cli("train", "--index", self.db, "--backend", "cnn", self.folder, check=2)
        self.assertIn("not trained by Lookalike: conv-ae and compressed are", result.stderr)
        result = self.cli("train", "--index", self.db, "--latent", "0", self.folder, check=2)
        self.assertIn("latent size 0 is outside 2–1024", result.stderr)


if __name__ == "__main__":
    lkcatalog.CLI, lkcatalog.DEMO, lkcatalog.REF = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1], verbosity=2)
