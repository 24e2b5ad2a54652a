#!/usr/bin/python3
# test-cli.py: lookalike-cli's contract, run against the real binary.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-cli.py LOOKALIKE_CLI REFERENCE_DIR

REFERENCE_DIR is what tests/tools/make-reference.py wrote: random-init weights, PNG images and
PyTorch's features for them. Exits 77 (skip) when that directory says PyTorch was unavailable.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))

CLI = REF = None


def run(*args, env=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env)


def assert_close(case, a, b):
    """The same image in another batch position: GEMM blocks its columns differently, so the
    last bits may differ, nothing more."""
    case.assertEqual(len(a), len(b))
    scale = max(abs(x) for x in b)
    case.assertLessEqual(max(abs(x - y) for x, y in zip(a, b)), 1e-5 * scale)


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


class Embed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import safetensors_io

        cls.tmp = tempfile.mkdtemp(prefix="lk-cli-")
        cls.weights = os.path.join(REF, "squeezenet1_1.safetensors")
        cls.img = [os.path.join(REF, "images", f"img-{i}.png") for i in range(4)]
        cls.odd = os.path.join(REF, "images", "img-odd.png")
        tensors, _ = safetensors_io.load(os.path.join(REF, "reference.safetensors"))
        cls.ref = {k: v.tolist() for k, v in tensors.items()}
        cls.corrupt = os.path.join(cls.tmp, "corrupt.jpg")
        with open(cls.corrupt, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 4)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def embed(self, *args):
        result = run("embed", "--weights", self.weights, *args)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        return result, lines

    def test_vectors_match_pytorch(self):
        # fit leaves an image already at the input size untouched, like PyTorch's reference
        result, lines = self.embed("--json", "--preprocess", "fit", *self.img)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(lines), 4)
        for path, line in zip(self.img, lines):
            self.assertEqual(line["path"], path)
            self.assertEqual(line["model"], "squeezenet1_1")
            self.assertEqual(line["dim"], 512)
            self.assertEqual(len(line["vector"]), 512)
            name = os.path.splitext(os.path.basename(path))[0]
            # the raw pooled feature, not normalised: same length as PyTorch's, same direction
            ref = self.ref[f"squeezenet1_1/{name}"]
            self.assertGreater(cosine(line["vector"], ref), 0.99999)
            norm = math.sqrt(sum(x * x for x in line["vector"]))
            self.assertAlmostEqual(norm / math.sqrt(sum(x * x for x in ref)), 1.0, places=4)

    def test_size_option(self):
        result, lines = self.embed("--size", "173", "--preprocess", "fit", self.odd)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(cosine(lines[0]["vector"], self.ref["squeezenet1_1/img-odd"]), 0.99999)

    def test_failures_keep_order_and_the_rest_goes_on(self):
        missing = os.path.join(self.tmp, "missing.png")
        args = [self.img[0], missing, self.img[1], self.corrupt, self.tmp, self.img[2]]
        # a batch of 2 makes the failures fall on both sides of batch boundaries
        result, lines = self.embed("--batch", "2", *args)
        self.assertEqual(result.returncode, 1)
        self.assertEqual([line["path"] for line in lines], args)
        for line, failed in zip(lines, [False, True, False, True, True, False]):
            self.assertEqual("error" in line, failed, line)
            self.assertEqual("vector" in line, not failed, line)
        self.assertIn("missing.png", lines[1]["error"])
        self.assertIn("corrupt.jpg", lines[3]["error"])
        # the good images are unaffected by their failed neighbours
        _, alone = self.embed(self.img[2])
        assert_close(self, lines[5]["vector"], alone[0]["vector"])

    def test_same_image_twice(self):
        result, lines = self.embed(self.img[0], self.img[0])
        self.assertEqual(result.returncode, 0)
        assert_close(self, lines[0]["vector"], lines[1]["vector"])

    def test_awkward_file_names(self):
        name = os.path.join(self.tmp, 'a "quoted" name\twith tab.png').encode()
        latin1 = os.path.join(self.tmp.encode(), b"caf\xe9.png")
        for path in (name, latin1):
            shutil.copy(self.img[0], path)
        result = subprocess.run([CLI, "embed", "--weights", self.weights, name, latin1],
                                capture_output=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
        self.assertEqual(lines[0]["path"], name.decode())
        self.assertTrue(lines[1]["path"].endswith(".png"))

    def test_bad_weights(self):
        bad = os.path.join(self.tmp, "truncated.safetensors")
        with open(self.weights, "rb") as src, open(bad, "wb") as dst:
            dst.write(src.read(5000))
        result = run("embed", "--weights", bad, self.img[0])
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("truncated.safetensors", result.stderr)

    def test_missing_weights(self):
        result = run("embed", "--weights", os.path.join(self.tmp, "none.safetensors"), self.img[0])
        self.assertEqual(result.returncode, 1)
        self.assertIn("none.safetensors", result.stderr)

    def test_no_default_weights_says_how_to_get_them(self):
        env = dict(os.environ, XDG_DATA_HOME=self.tmp, XDG_DATA_DIRS=self.tmp)
        env.pop("LOOKALIKE_WEIGHTS", None)
        result = run("embed", self.img[0], env=env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("download-weights.sh", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)

    def test_default_weights_from_environment(self):
        env = dict(os.environ, LOOKALIKE_WEIGHTS=self.weights)
        result = run("embed", self.img[0], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["model"], "squeezenet1_1")

    def test_usage_errors(self):
        for args, status in [(["embed", "--weights", self.weights], 2),
                             (["embed", "--weights", self.weights, "--bogus", self.img[0]], 2),
                             (["embed", "--weights", self.weights, "--preprocess", "zoom",
                               self.img[0]], 2),
                             (["embed", "--weights", self.weights, "--size", "40", self.img[0]], 1),
                             (["embed", "--weights", self.weights, "--size", "600", self.img[0]], 1),
                             (["frobnicate"], 2),
                             ([], 2)]:
            result = run(*args)
            self.assertEqual(result.returncode, status, (args, result.stderr))
            self.assertTrue(result.stderr.startswith("lookalike-cli"), result.stderr)
            self.assertEqual(result.stdout, "")

    def test_preprocess_modes_differ_on_non_square(self):
        wide = os.path.join(self.tmp, "wide.png")
        from PIL import Image

        Image.open(self.img[0]).resize((300, 120)).save(wide)
        vectors = {}
        for mode in ("fit", "center-crop", "stretch"):
            result, lines = self.embed("--preprocess", mode, wide)
            self.assertEqual(result.returncode, 0, result.stderr)
            vectors[mode] = lines[0]["vector"]
        self.assertNotEqual(vectors["fit"], vectors["stretch"])
        self.assertNotEqual(vectors["fit"], vectors["center-crop"])
        _, default = self.embed(wide)
        self.assertEqual(default[0]["vector"], vectors["center-crop"])


class Help(unittest.TestCase):
    def test_help_and_version(self):
        result = run("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("embed", result.stdout)
        result = run("embed", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--weights", result.stdout)
        result = run("--version")
        self.assertEqual(result.returncode, 0)
        self.assertIn("lookalike-cli", result.stdout)


if __name__ == "__main__":
    CLI, REF = sys.argv[1], sys.argv[2]
    if os.path.exists(os.path.join(REF, "SKIP")):
        print(open(os.path.join(REF, "SKIP")).read().strip())
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v"])
