#!/usr/bin/python3
# test-faults.py: what real disks and folders do to a catalog, through the real lookalike-cli.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-faults.py LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR

Each test here failed on the code before it was written (the README's table of bad input says which
fault each one checks): photos rewritten while they are read, FIFOs and huge files where photos
were, crafted and damaged catalogs, a full disk, two indexers at once, read-only catalogs, names
that are not UTF-8 or hold a newline. A full disk and read-only media are made in a private mount
namespace (unshare -Urm, a tmpfs or a read-only bind mount); where the system does not allow one,
those tests skip and say so.
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import unittest

import lkcatalog
from lkcatalog import Base, connection, export, rows, run


def write_bmp(path, width, height, seed=0):
    """A 24-bit BMP of a colour gradient: big photos without an image library."""
    row = bytes((x * 7 + seed) & 0xFF for x in range(width * 3))
    pad = (4 - width * 3 % 4) % 4
    body = (row + b"\0" * pad) * height
    header = struct.pack("<2sIHHI", b"BM", 54 + len(body), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(header + info + body)


def namespaces_work():
    try:
        return subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


class Rewriter(threading.Thread):
    """Rewrites a file in place (truncate, then write) over and over, as `cp new.jpg old.jpg`
    does, until stopped."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            with open(self.path, "wb") as f:
                for i in range(0, len(self.data), 1 << 20):
                    f.write(self.data[i:i + (1 << 20)])

    def stop(self):
        self.halt.set()
        self.join()


def check_read_only(case, db, prefix, what):
    """search and eval work, index says why it cannot write."""
    searched = subprocess.run(prefix + [lkcatalog.CLI, "search", "--index", db, "--json",
                                        "--weights", case.weights, case.outside],
                              capture_output=True, text=True, env=case.env)
    case.assertEqual(searched.returncode, 0, (what, searched.stderr))
    case.assertEqual(len(json.loads(searched.stdout)["results"]), 10)
    evaluated = subprocess.run(prefix + [lkcatalog.CLI, "eval", "--index", db, "--json"],
                               capture_output=True, text=True, env=case.env)
    case.assertEqual(evaluated.returncode, 0, (what, evaluated.stderr))
    indexed = subprocess.run(prefix + [lkcatalog.CLI, "index", "--index", db, "--weights",
                                       case.weights, "--size", "64", case.folder],
                             capture_output=True, text=True, env=case.env)
    case.assertEqual(indexed.returncode, 1, what)
    case.assertIn(os.path.basename(db) + ": cannot be written (", indexed.stderr)


class Files(Base):
    def assert_not_killed(self, result, what):
        self.assertGreaterEqual(result.returncode, 0,
                                f"{what}: killed by signal {-result.returncode}: {result.stderr}")
        self.assertIn(result.returncode, (0, 1), (what, result.stderr))

    def test_photo_rewritten_while_indexed(self):
        """A mapped file shortened under the reader was SIGBUS: files are read, not mapped."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 2)
        big = os.path.join(folder, "Bag", "big.bmp")
        write_bmp(big, 3000, 3000)  # 27 MB: long enough to read for a rewrite to land inside
        rewriter = Rewriter(big)
        rewriter.start()
        try:
            for attempt in range(8):
                result = run("index", "--index", db, "--weights", self.weights, "--size", "64",
                             "--json", folder, env=self.env)
                self.assert_not_killed(result, f"index, attempt {attempt}")
                self.assertEqual(result.returncode, 0, result.stderr)
                summary = json.loads(result.stdout)
                for failure in summary["failed"]:
                    # whatever state the file was caught in ("changed while indexing", "empty
                    # file", a BMP cut short), it is the one named, with a reason
                    self.assertEqual(failure["path"], "Bag/big.bmp")
                    self.assertTrue(failure["reason"], failure)
        finally:
            rewriter.stop()
        # once it is left alone, the next run indexes it
        summary = self.index(folder, db)
        self.assertEqual(summary["failed"], [])
        self.assert_consistent(db, folder)

    def test_photo_rewritten_while_embedded_or_searched(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        self.index(folder, db)
        big = os.path.join(self.tmp, "query.bmp")
        write_bmp(big, 3000, 3000)
        rewriter = Rewriter(big)
        rewriter.start()
        try:
            for attempt in range(4):
                embedded = run("embed", "--weights", self.weights, "--size", "64", big,
                               env=self.env)
                self.assert_not_killed(embedded, f"embed, attempt {attempt}")
                line = json.loads(embedded.stdout)
                self.assertTrue("vector" in line or line["error"].startswith("query.bmp: "), line)
                searched = run("search", "--index", db, big, env=self.env)
                self.assert_not_killed(searched, f"search, attempt {attempt}")
        finally:
            rewriter.stop()

    def test_fifo_put_where_a_photo_was(self):
        """A FIFO swapped in after the scan hung index forever in open (); now it is refused."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 40)  # 400 images: 25 batches, the last one read well after the first
        last = max(os.path.join(d, n) for d, _, names in os.walk(folder) for n in names)
        proc = subprocess.Popen([lkcatalog.CLI, "index", "--index", db, "--weights",
                                 self.weights, "--size", "64", "--threads", "1", "--json", folder],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)
        first = proc.stderr.readline()  # "indexed 16 of 400": planned, the last not yet read
        self.assertTrue(first.startswith("indexed 16 of 400"), first)
        os.unlink(last)
        os.mkfifo(last)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail("index hangs on a FIFO")
        self.assertEqual(proc.returncode, 0, err)
        failed = {f["path"]: f["reason"] for f in json.loads(out)["failed"]}
        rel = os.path.relpath(last, folder)
        self.assertEqual(failed, {rel: "not a regular file (a FIFO)"})
        # the next run finds it by name, says what it is, and does not open it either
        again = self.index(folder, db)
        self.assertEqual({f["path"]: f["reason"] for f in again["failed"]}, failed)

    def test_icons_are_an_unsupported_format(self):
        """A favicon was "not an image (unrecognised content)": it is one, of a kind not read."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        with open(os.path.join(folder, "favicon.ico"), "wb") as f:
            f.write(b"\0\0\1\0\1\0\x10\x10\0\0\1\0\x20\0" + b"\0" * 64)
        summary = self.index(folder, db)
        self.assertEqual(summary["failed"], [{"path": "favicon.ico",
                                              "reason": "unsupported image format (ICO)"}])

    def test_fifo_named_like_a_photo(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        fifo = os.path.join(folder, "Bag", "pipe.jpg")
        os.mkfifo(fifo)
        summary = self.index(folder, db)
        self.assertEqual(summary["failed"], [{"path": "Bag/pipe.jpg",
                                              "reason": "not a regular file (a FIFO)"}])
        for args in (["embed", "--weights", self.weights, "--size", "64", fifo],
                     ["search", "--index", db, fifo]):
            result = subprocess.run([lkcatalog.CLI, *args], capture_output=True, text=True,
                                    env=self.env, timeout=60)
            self.assertEqual(result.returncode, 1, args)
            self.assertIn("pipe.jpg: not a regular file (a FIFO)", result.stdout + result.stderr)

    def test_huge_file_is_refused_by_its_size(self):
        """A 1.2 GiB file named .jpg was read (hashed) whole, the process growing to its size,
        before the 512 MiB limit refused it: now its size on the descriptor is enough."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        huge = os.path.join(folder, "Bag", "huge.jpg")
        with open(huge, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
            f.truncate(1200 << 20)  # sparse: no disk used
        out_path = os.path.join(self.tmp, "out.json")
        pid = os.fork()
        if pid == 0:  # a child of our own, so that wait4 () gives its peak memory alone
            os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT, 0o644), 1)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            os.execve(lkcatalog.CLI, [lkcatalog.CLI, "index", "--index", db, "--weights",
                                      self.weights, "--size", "64", "--json", folder], self.env)
        _, status, usage = os.wait4(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        peak_mib = usage.ru_maxrss / 1024
        self.assertLess(peak_mib, 600, f"peak RSS {peak_mib:.0f} MiB for a 1.2 GiB file")
        with open(out_path) as f:
            summary = json.load(f)
        self.assertEqual(summary["failed"], [{"path": "Bag/huge.jpg",
                                              "reason": "file is 1.2\xa0GiB, over the 512.0\xa0MiB "
                                                        "limit"}])
        self.assertEqual(summary["added"], 10)


class Catalogs(Base):
    def setUp(self):
        super().setUp()
        self.folder, self.db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(self.folder, 2)
        self.index(self.folder, self.db)
        rows(self.db, "PRAGMA wal_checkpoint(TRUNCATE)")
        self.outside = os.path.join(self.tmp, "outside.png")
        shutil.copy(os.path.join(self.folder, "Bag", sorted(os.listdir(
            os.path.join(self.folder, "Bag")))[0]), self.outside)

    def crafted(self, name, *statements):
        path = os.path.join(self.tmp, name)
        shutil.copy(self.db, path)
        with connection(path) as conn:
            for sql in statements:
                conn.execute(sql)
        return path

    def crafted_identity(self, name, resign=True, spaced=False, dim_column=None, **changes):
        """A copy whose backend identity has @changes (re-signed unless told otherwise, written
        with blank space when @spaced), its dim column set to match or to @dim_column."""
        path = self.crafted(name)
        with connection(path) as conn:
            (stored,) = conn.execute("SELECT identity FROM backends").fetchone()
            identity = dict(json.loads(stored), **changes)
            text = json.dumps(identity, sort_keys=True,
                              separators=(", ", ": ") if spaced else (",", ":"))
            digest = hashlib.sha256(text.encode()).hexdigest() if resign else \
                conn.execute("SELECT identity_sha256 FROM backends").fetchone()[0]
            dim = dim_column if dim_column is not None else identity.get("dim")
            conn.execute("UPDATE backends SET identity = ?, identity_sha256 = ?, dim = ?",
                         (text, digest, dim))
        return path

    def assert_refused(self, db, says, commands=("search", "eval", "index")):
        for command in commands:
            args = {"search": ["search", "--index", db, "--weights", self.weights, self.outside],
                    "eval": ["eval", "--index", db],
                    "index": ["index", "--index", db, "--weights", self.weights, "--size", "64",
                              self.folder]}[command]
            result = run(*args, env=self.env)
            self.assertEqual(result.returncode, 1, (command, result.stdout, result.stderr))
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn(os.path.basename(db) + ": damaged index (", result.stderr)
            self.assertIn(says, result.stderr, command)
            self.assertEqual(result.stdout, "")

    def test_crafted_values_are_refused(self):
        # a dimension of 1 with vectors to match: the query vector was sized from the catalog
        # (4 bytes) and the network wrote 2 KiB into it
        one = self.crafted_identity("dim1.db", dim=1)
        with connection(one) as conn:
            conn.execute("UPDATE embeddings SET vector = zeroblob (4)")
        self.assert_refused(one, "vectors of dimension 1 where squeezenet1_1 makes 512",
                            commands=("search",))
        # 2^30: dim × sizeof (float) overflowed an int
        self.assert_refused(self.crafted_identity("dim30.db", dim=1 << 30),
                            "the model identity's dimension is out of range")
        self.assert_refused(self.crafted_identity("column.db", dim_column=256),
                            "the cnn backend's identity disagrees with its row")
        for name, path in [("dotdot.db", b"../../../../etc/passwd"), ("absolute.db", b"/etc/passwd"),
                           ("inner.db", b"Bag/../../x.png"), ("empty.db", b"Bag//x.png"),
                           ("nul.db", b"Bag/x.png\0/../../y")]:
            db = self.crafted(name)
            with connection(db) as conn:
                conn.execute("UPDATE items SET path = ? WHERE id = (SELECT min (id) FROM items)",
                             (path,))
            self.assert_refused(db, "leads out of its folder")
        # the same name as text next to it as bytes would be two rows for one file
        self.assert_refused(self.crafted("text.db", "UPDATE items SET path = CAST (path AS TEXT) "
                                         "WHERE id = (SELECT min (id) FROM items)"),
                            "an image path that is not raw bytes")
        nan = struct.pack("<f", float("nan")) * 512
        db = self.crafted("nan.db")
        with connection(db) as conn:
            conn.execute("UPDATE embeddings SET vector = ? WHERE item_id = "
                         "(SELECT min (item_id) FROM embeddings)", (nan,))
        self.assert_refused(db, "NaN or an infinite value", commands=("search", "eval"))
        self.assert_refused(self.crafted("short.db", "UPDATE embeddings SET vector = zeroblob (12)"
                                         " WHERE item_id = 3"), "vector of 12 bytes, expected 2048")
        self.assert_refused(self.crafted_identity("zoom.db", preprocess="zoom"),
                            "the model identity's preprocessing is unknown")
        self.assert_refused(self.crafted_identity("size.db", input_size=100000),
                            "the model identity's input size is out of range")
        self.assert_refused(self.crafted_identity("sha.db", weights_sha256="abc"),
                            "the model identity's weights digest is not a SHA-256")
        self.assert_refused(self.crafted_identity("extra.db", extra=1),
                            "the model identity has other keys")
        self.assert_refused(self.crafted_identity("unsigned.db", resign=False, model="resnet18"),
                            "the cnn backend's identity does not match its digest")
        self.assert_refused(self.crafted_identity("spaced.db", spaced=True),
                            "the model identity is not in canonical form")

    def test_damaged_vector_pages(self):
        """index said nothing (exit 0) about a catalog that search called damaged."""
        db = os.path.join(self.tmp, "damaged.db")
        shutil.copy(self.db, db)
        with connection(db) as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            leaves = [p for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'embeddings' AND pagetype = 'leaf'")]
        self.assertTrue(leaves)
        with open(db, "r+b") as f:
            for page in leaves:
                f.seek((page - 1) * page_size + 3)  # the cell count, and the cell pointers after
                f.write(b"\x7f\xff" + b"\xff" * 8)
        searched = run("search", "--index", db, self.outside, env=self.env)
        indexed = run("index", "--index", db, "--weights", self.weights, "--size", "64",
                      self.folder, env=self.env)
        self.assertEqual(searched.returncode, 1, searched.stderr)
        self.assertEqual(indexed.returncode, 1, indexed.stdout + indexed.stderr)
        self.assertIn("damaged.db: damaged index (", searched.stderr)
        self.assertEqual(indexed.stderr, searched.stderr)

    def test_two_first_runs_share_one_catalog(self):
        """Two first-time runs of one catalog: one failed "not a Lookalike index", or the file
        was deleted; now one waits for the other and both end with the same catalog."""
        for attempt in range(30):
            db = os.path.join(self.tmp, f"race-{attempt}.db")
            cmd = [lkcatalog.CLI, "index", "--index", db, "--weights", self.weights, "--size",
                   "64", "--json", self.folder]
            procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=self.env) for _ in range(2)]
            results = [p.communicate() + (p.returncode,) for p in procs]
            for out, err, code in results:
                self.assertEqual(code, 0, (attempt, err))
            added = sorted(json.loads(out)["added"] for out, _, _ in results)
            self.assertEqual(added, [0, 20], attempt)  # the second waited, then had nothing to do
            self.assert_consistent(db, self.folder)
        # no temporary or lock file left behind
        self.assertEqual(sorted(n for n in os.listdir(self.tmp) if n.startswith(".")
                                or n.endswith(".lock")), [])

    def test_disk_full_then_room(self):
        """After a disk full the catalog was refused forever ("damaged index (truncated: …)")
        although SQLite had every committed batch in its log."""
        if not namespaces_work():
            self.skipTest("no private mount namespace here (unshare -Urm): cannot fill a disk")
        folder = os.path.join(self.tmp, "big")
        export(folder, 40)
        disk, out = os.path.join(self.tmp, "disk"), os.path.join(self.tmp, "out")
        os.makedirs(disk)
        os.makedirs(out)
        index = (f"'{lkcatalog.CLI}' index --index {disk}/c.db --weights '{self.weights}' "
                 f"--size 64 --json '{folder}'")
        script = f"""
            mount -t tmpfs -o size=600k none {disk} || exit 99
            {index} > {out}/first.json 2> {out}/first.err; echo $? > {out}/first.code
            '{lkcatalog.CLI}' search --index {disk}/c.db --json '{self.outside}' \\
                > {out}/search.json 2> {out}/search.err; echo $? > {out}/search.code
            mount -o remount,size=20m {disk}
            {index} > {out}/second.json 2> {out}/second.err; echo $? > {out}/second.code
            cp {disk}/c.db {out}/c.db
        """
        done = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True,
                              text=True)
        if done.returncode == 99:
            self.skipTest("cannot mount a tmpfs in a private namespace here")

        def read(name):
            with open(os.path.join(out, name)) as f:
                return f.read()
        self.assertEqual(read("first.code").strip(), "1")
        self.assertIn("c.db: disk full while", read("first.err"))
        # what was committed before is searchable at once
        self.assertEqual(read("search.code").strip(), "0", read("search.err"))
        self.assertTrue(json.loads(read("search.json"))["results"])
        # and indexing goes on once there is room, to the same catalog as a clean run
        self.assertEqual(read("second.code").strip(), "0", read("second.err"))
        second = json.loads(read("second.json"))
        self.assertEqual(second["added"] + second["unchanged"], 400)
        self.assertGreater(second["unchanged"], 0)
        self.assert_consistent(os.path.join(out, "c.db"), folder)
        clean = os.path.join(self.tmp, "clean.db")
        self.index(folder, clean)
        self.assert_all_close(self.vectors(os.path.join(out, "c.db")), self.vectors(clean))

    def test_disk_full_while_the_catalog_is_made(self):
        """A disk that filled while a new catalog was made left a damaged one in place for good
        (its log was removed with the checkpoint into the file unfinished)."""
        if not namespaces_work():
            self.skipTest("no private mount namespace here (unshare -Urm): cannot fill a disk")
        sizes = ["64k", "160k", "224k", "256k", "320k"]
        disk, out = os.path.join(self.tmp, "disk"), os.path.join(self.tmp, "out")
        os.makedirs(disk)
        os.makedirs(out)
        index = (f"'{lkcatalog.CLI}' index --weights '{self.weights}' --size 64 --json "
                 f"'{self.folder}'")
        script = f"mount -t tmpfs -o size=64k none {disk} || exit 99\n"
        for size in sizes:
            script += f"""
                rm -f {disk}/*; mount -o remount,size={size} {disk}
                {index} --index {disk}/c.db > /dev/null 2> {out}/{size}-first.err
                echo $? > {out}/{size}-first.code
                mount -o remount,size=20m {disk}
                {index} --index {disk}/c.db > {out}/{size}-second.json 2> {out}/{size}-second.err
                echo $? > {out}/{size}-second.code
                cp {disk}/c.db {out}/{size}.db
            """
        done = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True,
                              text=True)
        if done.returncode == 99:
            self.skipTest("cannot mount a tmpfs in a private namespace here")
        clean = self.vectors(self.db)
        for size in sizes:
            def read(name):
                with open(os.path.join(out, f"{size}-{name}")) as f:
                    return f.read()
            self.assertEqual(read("first.code").strip(), "1", (size, read("first.err")))
            self.assertIn("disk full while", read("first.err"), size)
            self.assertEqual(read("second.code").strip(), "0", (size, read("second.err")))
            db = os.path.join(out, f"{size}.db")
            self.assert_consistent(db, self.folder)
            self.assert_all_close(self.vectors(db), clean)

    def test_a_third_run_waits_for_the_second(self):
        """The lock file is deleted by its holder at the end: a run that was waiting on it holds
        a lock on a deleted file, and a third run made a new one and ran beside the second."""
        folder = os.path.join(self.tmp, "big")
        export(folder, 30)
        db = os.path.join(self.tmp, "three.db")

        def start(size):
            return subprocess.Popen([lkcatalog.CLI, "index", "--index", db, "--weights",
                                     self.weights, "--size", str(size), "--json", folder],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=dict(self.env, LOOKALIKE_FAULT_WRITE_DELAY_MS="10"))

        first = start(64)
        while self.committed(db) < 16:  # the first is indexing, holding the lock
            time.sleep(0.01)
        second = start(72)  # waits for the first
        first_out, _ = first.communicate()
        # arrives once the first has deleted its lock file, as the second takes the lock on it:
        # whichever of the two goes first, the other must wait and then have nothing to do
        third = start(72)
        later = sorted(tuple(json.loads(p.communicate()[0])[k] for k in
                             ("added", "updated", "unchanged")) for p in (second, third))
        self.assertEqual(json.loads(first_out)["added"], 300)
        self.assertEqual(later, [(0, 0, 300), (0, 300, 0)])
        self.assert_consistent(db, folder)

    def test_catalog_path_that_is_not_a_file(self):
        """A FIFO at the catalog's path hung search, eval and index in open ()."""
        fifo = os.path.join(self.tmp, "pipe.db")
        os.mkfifo(fifo)
        for args in (["search", "--index", fifo, self.outside], ["eval", "--index", fifo],
                     ["index", "--index", fifo, "--weights", self.weights, self.folder]):
            result = subprocess.run([lkcatalog.CLI, *args], capture_output=True, text=True,
                                    env=self.env, timeout=60)
            self.assertEqual(result.returncode, 1, args)
            self.assertEqual(result.stderr.strip(),
                             "lookalike-cli: pipe.db: not a regular file (a FIFO)")

    def test_read_only_catalog(self):
        """Another user's catalog, or one on read-only media, could not be searched."""
        shelf = os.path.join(self.tmp, "shelf")
        os.makedirs(shelf)
        db = os.path.join(shelf, "c.db")
        shutil.copy(self.db, db)
        os.chmod(self.tmp, 0o755)  # mkdtemp made it 0700
        os.chmod(db, 0o444)
        os.chmod(shelf, 0o555)
        cli = lkcatalog.CLI
        try:
            if os.geteuid() == 0:
                # root writes anything: be somebody else, with a copy of the program and weights
                # where that user may read them (the build tree may be anywhere)
                prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
                lkcatalog.CLI = os.path.join(self.tmp, "lookalike-cli")
                shutil.copy(cli, lkcatalog.CLI)
                self.weights = shutil.copy(self.weights, self.tmp)
                self.env["XDG_DATA_HOME"] = os.path.join(self.tmp, "nobody")
                os.makedirs(self.env["XDG_DATA_HOME"])
                os.chmod(self.env["XDG_DATA_HOME"], 0o777)
            else:
                prefix = []
            check_read_only(self, db, prefix, "another user's catalog")
            self.assertEqual(sorted(os.listdir(shelf)), ["c.db"])  # not a byte written beside it
            # one we may not even read says so, not "cannot be written"
            os.chmod(db, 0o000 if os.geteuid() else 0o600)
            for args in (["search", "--index", db, self.outside], ["eval", "--index", db]):
                result = subprocess.run(prefix + [lkcatalog.CLI, *args], capture_output=True,
                                        text=True, env=self.env)
                self.assertEqual(result.returncode, 1)
                self.assertEqual(result.stderr.strip(),
                                 "lookalike-cli: c.db: cannot be read (Permission denied)")
        finally:
            lkcatalog.CLI = cli
            os.chmod(shelf, 0o755)
            os.chmod(db, 0o644)

        if not namespaces_work():
            return  # read-only media need a mount namespace; another user's catalog was checked
        os.chmod(db, 0o644)
        # a second catalog whose last changes are still in its log, with no shared-memory file:
        # read as "immutable" it would show the state before them
        logged = os.path.join(shelf, "logged.db")
        shutil.copy(self.db, logged)
        subprocess.run([sys.executable, "-c", (
            "import os, sqlite3, sys\n"
            "c = sqlite3.connect (sys.argv[1])\n"
            "c.execute ('PRAGMA wal_autocheckpoint = 0')\n"
            "c.execute ('DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 5)')\n"
            "c.commit ()\n"
            "os._exit (0)  # no checkpoint: the deletion stays in the log\n"), logged], check=True)
        os.unlink(logged + "-shm")
        self.assertGreater(os.path.getsize(logged + "-wal"), 32)
        script = (f"mount --bind {shelf} {shelf} && mount -o remount,ro,bind {shelf} || exit 99\n"
                  f"exec '{sys.executable}' '{os.path.abspath(__file__)}' --read-only-media "
                  f"'{lkcatalog.CLI}' '{lkcatalog.DEMO}' '{lkcatalog.REF}' '{db}' "
                  f"'{self.outside}' '{self.folder}' '{logged}'")
        done = subprocess.run(["unshare", "-Urm", "sh", "-c", script], capture_output=True,
                              text=True, env=self.env)
        if done.returncode == 99:
            self.skipTest("cannot bind-mount read-only here")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)


class Names(Base):
    def test_names_that_are_not_utf8(self):
        """--json showed U+FFFD for what is not UTF-8, so a script could not find the file."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        raw = os.path.join(folder.encode(), b"Bag", b"caf\xe9.png")
        src = os.path.join(folder, "Bag", sorted(os.listdir(os.path.join(folder, "Bag")))[0])
        shutil.copy(src, raw)
        broken = os.path.join(folder.encode(), b"Bag", b"cass\xe9.png")
        with open(broken, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
        summary = self.index(folder, db)
        failure = summary["failed"][0]
        self.assertEqual(base64.b64decode(failure["path_bytes"]), b"Bag/cass\xe9.png")
        self.assertEqual(failure["path"], "Bag/cass\ufffd.png")
        found = json.loads(run("search", "--index", db, "--json", "-k", "20", src,
                               env=self.env, check=0).stdout)
        by_bytes = {base64.b64decode(r["path_bytes"]) for r in found["results"] if "path_bytes" in r}
        self.assertEqual(by_bytes, {os.path.realpath(raw)})
        plain = [r for r in found["results"] if "path_bytes" not in r]
        self.assertEqual(len(plain), 10)  # UTF-8 names have no second member
        embedded = run("embed", "--weights", self.weights, "--size", "64", os.fsdecode(raw),
                       env=self.env, check=0)
        self.assertEqual(base64.b64decode(json.loads(embedded.stdout)["path_bytes"]), raw)

    def test_newline_in_a_name(self):
        """Plain search output split a result with a newline in its name over two lines."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        src = os.path.join(folder, "Bag", sorted(os.listdir(os.path.join(folder, "Bag")))[0])
        odd = os.path.join(folder, "Bag", "two\nlines.png")
        shutil.copy(src, odd)
        self.index(folder, db)
        lines = run("search", "--index", db, "-k", "11", src, env=self.env,
                    check=0).stdout.splitlines()
        self.assertEqual(len(lines), 11)
        quoted = [line for line in lines if "two" in line]
        self.assertEqual(len(quoted), 1)
        self.assertTrue(quoted[0].endswith('/Bag/two\\nlines.png"'), quoted[0])
        # the index summary names it on one line too
        with open(odd, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
        line = run("index", "--index", db, "--weights", self.weights, "--size", "64", folder,
                   env=self.env, check=0).stdout
        self.assertEqual(len(line.splitlines()), 1)
        self.assertIn('"Bag/two\\nlines.png" (truncated PNG)', line)


if __name__ == "__main__":
    if sys.argv[1] == "--read-only-media":
        # test_read_only_catalog, inside a namespace where the catalog's folder is read-only
        del sys.argv[1]
        lkcatalog.setup(sys.argv)

        class ReadOnlyMedia(Base):
            def runTest(self):
                db, self.outside, self.folder, logged = sys.argv[4:8]
                check_read_only(self, db, [], "read-only media")
                # changes still in the log count: 20 images, 5 deleted
                evaluated = run("eval", "--index", logged, "--json", env=self.env, check=0)
                self.assertEqual(json.loads(evaluated.stdout)["items"], 15)
                self.assertEqual(os.listdir(os.path.dirname(logged)).count("logged.db-shm"), 0)

        result = unittest.TextTestRunner(verbosity=2).run(ReadOnlyMedia())
        sys.exit(0 if result.wasSuccessful() else 1)
    lkcatalog.setup(sys.argv)
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[4:])  # then test names, to run only those
