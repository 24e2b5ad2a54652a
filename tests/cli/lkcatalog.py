# lkcatalog.py: what the tests that drive lookalike-cli on real catalogs share.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalogs are built from Debian's Fashion-MNIST (lookalike-demo export), which every machine that
ran build-aux/install-deps has, and searched with the random-init SqueezeNet that
tests/tools/make-reference.py wrote to REFERENCE_DIR. The catalog file is inspected directly with
Python's sqlite3. A test module calls setup (sys.argv) first: it exits 77 (skip) when PyTorch was
missing for the reference."""
import contextlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

CLI = DEMO = REF = None


def setup(argv):
    """LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR from the command line."""
    global CLI, DEMO, REF
    CLI, DEMO, REF = argv[1:4]
    if os.path.exists(os.path.join(REF, "SKIP")):
        print(open(os.path.join(REF, "SKIP")).read().strip())
        sys.exit(77)


def run(*args, env=None, check=None):
    result = subprocess.run([CLI, *args], capture_output=True, text=True, env=env)
    if check is not None:
        assert result.returncode == check, (args, result.returncode, result.stdout, result.stderr)
    return result


def export(folder, per_class):
    subprocess.run([DEMO, "export", "--per-class", str(per_class), folder], check=True,
                   capture_output=True)


@contextlib.contextmanager
def connection(db):
    """A connection that commits and is closed at the end of the with block, not whenever the
    garbage collector gets to it: closing the last one removes the -wal file, which must not
    happen while a test's folder is being removed."""
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        yield conn


def rows(db, sql, *params):
    with connection(db) as conn:
        return conn.execute(sql, params).fetchall()


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lk-catalog-")
        self.weights = os.path.join(REF, "squeezenet1_1.safetensors")
        self.env = dict(os.environ, XDG_DATA_HOME=os.path.join(self.tmp, "data"))
        self.env.pop("LOOKALIKE_WEIGHTS", None)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def index(self, folder, db, *extra, check=0):
        result = run("index", "--index", db, "--weights", self.weights, "--size", "64", "--json",
                     *extra, folder, env=self.env, check=check)
        return json.loads(result.stdout) if result.returncode == 0 else result

    def vectors(self, db):
        got = {}
        for path, blob in rows(db, "SELECT i.path, e.vector FROM items i JOIN embeddings e "
                                   "ON e.item_id = i.id WHERE e.backend = 'cnn'"):
            got[bytes(path)] = bytes(blob)
        return got

    @staticmethod
    def committed(db):
        """Vectors committed so far by an indexer still running (0 while the file is made)."""
        try:
            return rows(db, "SELECT count(*) FROM embeddings")[0][0] if os.path.exists(db) else 0
        except sqlite3.Error:
            return 0

    def assert_close(self, a, b, what=""):
        """Vectors computed again, in another batch position: equal but for the last bits."""
        x = struct.unpack(f"<{len(a) // 4}f", a)
        y = struct.unpack(f"<{len(b) // 4}f", b)
        scale = max(abs(v) for v in y) or 1.0
        self.assertLessEqual(max(abs(u - v) for u, v in zip(x, y)), 1e-5 * scale, what)

    def assert_all_close(self, got, expected):
        self.assertEqual(got.keys(), expected.keys())
        for path in got:
            self.assert_close(got[path], expected[path], path)

    def assert_consistent(self, db, folder):
        """Every image file is in the catalog exactly once, with one vector, and nothing else is."""
        files = set()
        for dirpath, _, names in os.walk(folder):
            for name in names:
                if not name.startswith("."):
                    files.add(os.path.relpath(os.path.join(dirpath, name), folder).encode())
        items = rows(db, "SELECT path, error FROM items")
        self.assertEqual(len(items), len(set(bytes(p) for p, _ in items)))
        ok = {bytes(p) for p, e in items if e is None}
        self.assertEqual({bytes(p) for p, _ in items}, files)
        embedded = rows(db, "SELECT i.path FROM embeddings e JOIN items i ON i.id = e.item_id")
        self.assertEqual(sorted(bytes(p) for (p,) in embedded), sorted(ok))
        self.assertEqual(rows(db, "PRAGMA integrity_check"), [("ok",)])
