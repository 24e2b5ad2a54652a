#!/usr/bin/python3
# test-catalog.py: index, search and eval through the real lookalike-cli.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-catalog.py LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR

Catalogs are built from Debian's Fashion-MNIST (lookalike-demo export), which every machine that
ran build-aux/install-deps has, and searched with the random-init SqueezeNet that
tests/tools/make-reference.py wrote to REFERENCE_DIR (exit 77 when that says PyTorch was missing).
The catalog file is inspected directly with Python's sqlite3.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

import lkcatalog
from lkcatalog import Base, connection, export, rows, run


class Index(Base):
    def test_first_run_and_unchanged_rerun(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 4)
        result = run("index", "--index", db, "--weights", self.weights, "--size", "64", "--json",
                     folder, env=self.env, check=0)
        summary = json.loads(result.stdout)
        # stderr is not a terminal here: plain progress lines, the last one complete
        last = result.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("indexed 40 of 40 (100%), "), last)
        self.assertIn(" images/s, ", last)
        self.assertEqual((summary["added"], summary["updated"], summary["removed"]), (40, 0, 0))
        self.assertEqual(summary["failed"], [])
        self.assertEqual(summary["model"], "squeezenet1_1")
        self.assert_consistent(db, folder)
        before = self.vectors(db)
        self.assertEqual(len(before), 40)
        again = self.index(folder, db)
        self.assertEqual((again["added"], again["updated"], again["removed"], again["unchanged"]),
                         (0, 0, 0, 40))
        self.assertEqual(self.vectors(db), before)
        # the plain summary line, as a person reads it
        line = run("index", "--index", db, "--weights", self.weights, "--size", "64", folder,
                   env=self.env, check=0).stdout.strip()
        self.assertEqual(line, "added 0, updated 0, removed 0, failed 0")

    def test_incremental_add_modify_delete_rename(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 3)
        self.index(folder, db)
        before = self.vectors(db)
        sandals = sorted(os.listdir(os.path.join(folder, "Sandal")))
        bags = sorted(os.listdir(os.path.join(folder, "Bag")))
        # add: a copy from another export under a new name
        extra = os.path.join(self.tmp, "extra")
        export(extra, 4)
        new_file = sorted(os.listdir(os.path.join(extra, "Coat")))[-1]
        shutil.copy(os.path.join(extra, "Coat", new_file), os.path.join(folder, "Coat", "new.png"))
        # modify: overwrite a sandal with a bag's picture (new size or mtime, new content)
        modified = os.path.join(folder, "Sandal", sandals[0])
        shutil.copy(os.path.join(folder, "Bag", bags[0]), modified)
        os.utime(modified, (time.time() + 5, time.time() + 5))
        # delete one, rename another into a new folder
        os.remove(os.path.join(folder, "Bag", bags[1]))
        os.makedirs(os.path.join(folder, "Moved"))
        os.rename(os.path.join(folder, "Bag", bags[2]), os.path.join(folder, "Moved", "b.png"))

        summary = self.index(folder, db)
        self.assertEqual(summary["added"], 1)
        self.assertEqual(summary["updated"], 1)
        self.assertEqual(summary["removed"], 1)
        self.assertEqual(summary["renamed"], 1)
        self.assert_consistent(db, folder)
        after = self.vectors(db)
        # the renamed file kept its vector; the modified one got the bag's
        self.assertEqual(after[b"Moved/b.png"], before[("Bag/" + bags[2]).encode()])
        self.assert_close(after[("Sandal/" + sandals[0]).encode()],
                          before[("Bag/" + bags[0]).encode()])
        for path, vector in after.items():
            if path.decode() not in ("Moved/b.png", "Coat/new.png", "Sandal/" + sandals[0]):
                self.assertEqual(vector, before[path])

    def test_broken_images_are_reported_not_dropped(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 2)
        png = os.path.join(folder, "Bag", sorted(os.listdir(os.path.join(folder, "Bag")))[0])
        with open(png, "rb") as f:
            data = f.read()
        with open(os.path.join(folder, "Bag", "truncated.png"), "wb") as f:
            f.write(data[: len(data) // 2])
        with open(os.path.join(folder, "Bag", "sandal.webp"), "wb") as f:
            f.write(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32)
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("not an image, not an item\n")
        with open(os.path.join(folder, "Bag", "photo.jpg"), "w") as f:
            f.write("a text file with an image's name\n")
        open(os.path.join(folder, "Bag", "empty.png"), "w").close()
        open(os.path.join(folder, "empty.dat"), "w").close()  # named like no image: no item

        summary = self.index(folder, db)
        failed = {f["path"]: f["reason"] for f in summary["failed"]}
        self.assertEqual(failed, {"Bag/sandal.webp": "unsupported image format (WebP)",
                                  "Bag/truncated.png": "truncated PNG",
                                  "Bag/photo.jpg": "not an image (unrecognised content)",
                                  "Bag/empty.png": "empty file"})
        # what failed is not "added": it is counted in "failed", and kept as an item
        self.assertEqual(summary["added"], 20)
        line = run("index", "--index", db, "--weights", self.weights, "--size", "64", folder,
                   env=self.env, check=0).stdout.strip()
        self.assertEqual(line, "added 0, updated 0, removed 0, failed 4: "
                               "Bag/empty.png (empty file), "
                               "Bag/photo.jpg (not an image (unrecognised content)), "
                               "Bag/sandal.webp (unsupported image format (WebP)), "
                               "Bag/truncated.png (truncated PNG)")
        self.assertEqual(rows(db, "SELECT count(*) FROM embeddings"), [(20,)])
        self.assertEqual(rows(db, "SELECT count(*) FROM items WHERE error IS NOT NULL"), [(4,)])
        # a failed image that is fixed is picked up, and counted as updated
        shutil.copy(png, os.path.join(folder, "Bag", "photo.jpg"))
        summary = self.index(folder, db)
        self.assertEqual((summary["added"], summary["updated"]), (0, 1))
        self.assertEqual(len(summary["failed"]), 3)

    def test_awkward_names_hidden_folders_and_symlink_loops(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 1)
        src = os.path.join(folder, "Bag", os.listdir(os.path.join(folder, "Bag"))[0])
        os.makedirs(os.path.join(folder.encode(), "caf\xe9 latin-1".encode("latin-1")))
        shutil.copy(src, os.path.join(folder.encode(), "caf\xe9 latin-1".encode("latin-1"),
                                      b"sp ace.png"))
        os.makedirs(os.path.join(folder, ".hidden"))
        shutil.copy(src, os.path.join(folder, ".hidden", "x.png"))
        shutil.copy(src, os.path.join(folder, ".dot.png"))
        os.symlink("..", os.path.join(folder, "Bag", "loop"))
        os.symlink(os.path.join(folder, "nowhere.png"), os.path.join(folder, "dangling.png"))
        summary = self.index(folder, db)
        self.assertEqual(summary["added"], 11)
        self.assertEqual(summary["failed"], [])
        paths = {bytes(p) for (p,) in rows(db, "SELECT path FROM items")}
        self.assertIn("caf\xe9 latin-1".encode("latin-1") + b"/sp ace.png", paths)
        self.assertFalse(any(p.startswith(b".") or b"/." in p for p in paths))

    def test_model_change_replaces_every_vector(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 2)
        self.index(folder, db)
        first = self.vectors(db)
        summary = self.index(folder, db, "--preprocess", "stretch")
        self.assertEqual((summary["added"], summary["updated"]), (0, 20))
        second = self.vectors(db)
        self.assertEqual(first.keys(), second.keys())
        self.assertTrue(all(first[p] != second[p] for p in first))
        identity = json.loads(rows(db, "SELECT identity FROM backends")[0][0])
        self.assertEqual(identity["preprocess"], "stretch")
        # a size given once sticks: the next plain run changes nothing
        plain = run("index", "--index", db, "--weights", self.weights, "--json", folder,
                    env=self.env, check=0)
        self.assertEqual(json.loads(plain.stdout)["unchanged"], 20)

    def test_default_catalog_location(self):
        folder = os.path.join(self.tmp, "My Shop")
        export(folder, 1)
        result = run("index", "--weights", self.weights, "--size", "64", folder, env=self.env,
                     check=0)
        made = os.listdir(os.path.join(self.env["XDG_DATA_HOME"], "lookalike", "catalogs"))
        self.assertEqual(len(made), 1)
        self.assertTrue(made[0].startswith("My_Shop-") and made[0].endswith(".db"), made)
        # search and eval default to the catalog last indexed
        probe = os.path.join(folder, "Bag", os.listdir(os.path.join(folder, "Bag"))[0])
        found = json.loads(run("search", "--json", probe, env=self.env, check=0).stdout)
        self.assertEqual(found["results"][0]["path"], os.path.realpath(probe))
        self.assertIn("added 10", result.stdout)


class Interrupted(Base):
    def test_sigkill_then_resume(self):
        """Kill -9 the indexer at several points; every resumed catalog equals a clean one."""
        folder = os.path.join(self.tmp, "cat")
        export(folder, 30)  # 300 images, 19 batches of 16
        clean_db = os.path.join(self.tmp, "clean.db")
        self.index(folder, clean_db, "--threads", "1")
        clean = self.vectors(clean_db)
        self.assertEqual(len(clean), 300)

        # the last two rounds stretch every write transaction (fault injection) so that the kill
        # lands inside one: whatever it held must vanish whole
        rounds = [(0, 0), (16, 0), (100, 0), (250, 0), (16, 10), (48, 10)]
        for round_, (wait_for, delay_ms) in enumerate(rounds):
            db = os.path.join(self.tmp, f"killed-{round_}.db")
            cmd = [lkcatalog.CLI, "index", "--index", db, "--weights", self.weights, "--size", "64",
                   "--threads", "1", folder]
            env = dict(self.env, LOOKALIKE_FAULT_WRITE_DELAY_MS=str(delay_ms))
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=env)
            deadline = time.time() + 60
            # wait until at least wait_for vectors are committed (0: as soon as the file exists)
            while time.time() < deadline and proc.poll() is None:
                if self.committed(db) >= wait_for:
                    break
                time.sleep(0.005)
            if delay_ms:
                time.sleep(delay_ms * 5 / 1000)  # a third of the way into the next transaction
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            committed = self.committed(db)
            if os.path.exists(db) and committed:
                # as the kill left it: sound, and no image without its vector (nothing half-written)
                self.assertEqual(rows(db, "PRAGMA integrity_check"), [("ok",)])
                half = rows(db, "SELECT count(*) FROM items WHERE error IS NULL AND id NOT IN "
                                "(SELECT item_id FROM embeddings)")
                self.assertEqual(half, [(0,)], round_)
            # the next run picks up where the killed one stopped
            summary = self.index(folder, db, "--threads", "1")
            self.assertEqual(summary["added"] + summary["unchanged"], 300, (round_, committed))
            self.assertEqual(summary["added"], 300 - committed)
            self.assert_consistent(db, folder)
            self.assert_all_close(self.vectors(db), clean)

    def test_sigint_stops_cleanly(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 30)
        proc = subprocess.Popen([lkcatalog.CLI, "index", "--index", db, "--weights", self.weights,
                                 "--size", "64", "--threads", "1", folder],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)
        while self.committed(db) < 32:
            time.sleep(0.005)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("interrupted", err)
        kept = rows(db, "SELECT count(*) FROM embeddings")[0][0]
        self.assertGreaterEqual(kept, 32)
        self.assertEqual(kept % 16, 0)  # whole batches only
        summary = self.index(folder, db)
        self.assertEqual(summary["added"], 300 - kept)


class Broken(Base):
    def test_corrupt_and_truncated_catalogs(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 10)
        self.index(folder, db)
        rows(db, "PRAGMA wal_checkpoint(TRUNCATE)")
        probe = os.path.join(folder, "Bag", os.listdir(os.path.join(folder, "Bag"))[0])

        truncated = os.path.join(self.tmp, "truncated.db")
        with open(db, "rb") as src, open(truncated, "wb") as dst:
            dst.write(src.read()[: os.path.getsize(db) // 2])
        garbage = os.path.join(self.tmp, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(os.urandom(40000))
        foreign = os.path.join(self.tmp, "foreign.db")
        with connection(foreign) as conn:
            conn.execute("CREATE TABLE t (x)")
        damaged = os.path.join(self.tmp, "damaged.db")
        with open(db, "rb") as src:
            data = bytearray(src.read())
        for i in range(16384 * 2, len(data), 997):  # scribble over every page after the first two
            data[i] ^= 0x5A
        with open(damaged, "wb") as f:
            f.write(data)

        for bad, says in [(truncated, "damaged index"), (garbage, "not a Lookalike index"),
                          (foreign, "not a Lookalike index"), (damaged, "damaged index")]:
            for args in (["search", "--index", bad, probe], ["eval", "--index", bad],
                         ["index", "--index", bad, "--weights", self.weights, folder]):
                result = run(*args, env=self.env)
                self.assertEqual(result.returncode, 1, (args, result.stderr))
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertIn(os.path.basename(bad), result.stderr)
                self.assertIn(says, result.stderr, args)
                self.assertEqual(result.stdout, "")
        # nothing was written into the file that is not ours
        self.assertEqual(rows(foreign, "SELECT name FROM sqlite_master"), [("t",)])


class Search(Base):
    def setUp(self):
        super().setUp()
        self.folder, self.db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(self.folder, 5)
        self.index(self.folder, self.db)

    def search(self, *args, check=0):
        result = run("search", "--index", self.db, "--json", *args, env=self.env, check=check)
        return json.loads(result.stdout) if check == 0 else result

    def test_result_format_and_order(self):
        probe = os.path.join(self.folder, "Trouser",
                             sorted(os.listdir(os.path.join(self.folder, "Trouser")))[0])
        got = self.search("-k", "7", probe)
        self.assertEqual(got["query"], probe)
        self.assertEqual((got["backend"], got["model"]), ("cnn", "squeezenet1_1"))
        self.assertEqual([r["rank"] for r in got["results"]], list(range(1, 8)))
        first = got["results"][0]
        self.assertEqual(first["path"], os.path.realpath(probe))  # itself, not excluded
        self.assertAlmostEqual(first["cosine"], 1.0, places=4)
        self.assertEqual((first["percent"], first["band"], first["missing"]), (100, "green", False))
        cosines = [r["cosine"] for r in got["results"]]
        self.assertEqual(cosines, sorted(cosines, reverse=True))
        for r in got["results"]:
            self.assertTrue(os.path.isabs(r["path"]))
            self.assertEqual(r["percent"], round(100 * max(0.0, r["cosine"])))
            band = "green" if r["percent"] >= 70 else "yellow" if r["percent"] >= 40 else "red"
            self.assertEqual(r["band"], band)
        excluded = self.search("-k", "7", "--exclude-self", probe)
        self.assertEqual([r["path"] for r in excluded["results"]][:6],
                         [r["path"] for r in got["results"]][1:])
        self.assertEqual([r["rank"] for r in excluded["results"]], list(range(1, 8)))
        # an outside image with the same pixels ranks like the catalog copy
        outside = os.path.join(self.tmp, "outside.png")
        shutil.copy(probe, outside)
        fresh = self.search("-k", "7", outside)
        self.assertEqual([r["path"] for r in fresh["results"]],
                         [r["path"] for r in got["results"]])
        for a, b in zip(fresh["results"], got["results"]):
            self.assertAlmostEqual(a["cosine"], b["cosine"], places=4)

    def test_k_larger_than_catalog(self):
        probe = os.path.join(self.folder, "Bag", os.listdir(os.path.join(self.folder, "Bag"))[0])
        self.assertEqual(len(self.search("-k", "1000", probe)["results"]), 50)
        self.assertEqual(len(self.search("-k", "1000", "--exclude-self", probe)["results"]), 49)

    def test_missing_files_are_flagged(self):
        victim = os.path.join(self.folder, "Coat", sorted(os.listdir(os.path.join(self.folder, "Coat")))[1])
        probe = os.path.join(self.folder, "Coat", sorted(os.listdir(os.path.join(self.folder, "Coat")))[0])
        os.remove(victim)
        got = self.search("-k", "50", probe)
        flagged = [r for r in got["results"] if r["missing"]]
        self.assertEqual([r["path"] for r in flagged], [os.path.realpath(victim)])

    def test_errors(self):
        probe = os.path.join(self.folder, "Bag", os.listdir(os.path.join(self.folder, "Bag"))[0])
        bad = os.path.join(self.tmp, "query.jpg")
        with open(bad, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
        for args, status, says in [
                ([bad], 1, "query.jpg"),
                ([os.path.join(self.tmp, "none.png")], 1, "none.png"),
                (["--index", os.path.join(self.tmp, "none.db"), probe], 1, "no such catalog"),
                (["--backend", "conv-ae", probe], 1, "conv-ae"),
                (["--backend", "nope", probe], 2, "unknown backend"),
                (["-k", "0", probe], 2, "-k"),
                (["--bands", "30,60", probe], 2, "--bands"),
                ([], 2, "one image"),
                ([probe, probe], 2, "one image")]:
            result = run("search", "--index", self.db, *args, env=self.env)
            self.assertEqual(result.returncode, status, (args, result.stderr))
            self.assertIn(says, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertEqual(result.stdout, "")

    def test_other_weights_are_refused(self):
        other = os.path.join(lkcatalog.REF, "resnet18.safetensors")
        outside = os.path.join(self.tmp, "q.png")
        shutil.copy(os.path.join(self.folder, "Bag", os.listdir(os.path.join(self.folder, "Bag"))[0]),
                    outside)
        result = run("search", "--index", self.db, "--weights", other, outside, env=self.env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("other weights", result.stderr)


class Migration(Base):
    """tests/data/catalogs/catalog-v1.db, made by the first release (schema 1): read as it is,
    migrated in place when opened for writing, every vector kept."""

    def setUp(self):
        super().setUp()
        self.folder, self.db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "v1.db")
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                 "catalogs", "catalog-v1.db"), self.db)
        # the same ten images, where this test can have them, and the catalog pointed there
        export(self.folder, 1)
        with open(os.path.join(self.folder, "Bag", "broken.png"), "w") as f:
            f.write("not a png")
        with connection(self.db) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'root'",
                         (os.path.realpath(self.folder).encode(),))
            for path, in conn.execute("SELECT path FROM items").fetchall():
                st = os.stat(os.path.join(self.folder.encode(), bytes(path)))
                conn.execute("UPDATE items SET size = ?, mtime_ns = ? WHERE path = ?",
                             (st.st_size, st.st_mtime_ns, path))
        self.before = self.vectors(self.db)
        self.items_before = rows(self.db, "SELECT id, path, sha256, error FROM items ORDER BY id")

    def test_read_as_it_is(self):
        got = json.loads(run("eval", "--index", self.db, "--json", "-k", "3", env=self.env,
                             check=0).stdout)
        self.assertEqual((got["items"], got["labels"]), (10, 10))
        probe = os.path.join(self.folder, "Bag", "00018.png")
        found = json.loads(run("search", "--index", self.db, "--json", probe, env=self.env,
                               check=0).stdout)
        self.assertEqual(found["model"], "squeezenet1_1")
        self.assertEqual(found["results"][0]["path"], os.path.realpath(probe))
        # reading writes nothing: still the first release's format
        self.assertEqual(rows(self.db, "SELECT value FROM meta WHERE key = 'schema_version'"),
                         [(b"1",)])

    def test_migrated_in_place_keeping_every_vector(self):
        summary = self.index(self.folder, self.db)
        self.assertEqual((summary["added"], summary["updated"], summary["unchanged"]), (0, 0, 11))
        self.assertEqual(summary["failed"], [{"path": "Bag/broken.png",
                                              "reason": "not an image (unrecognised content)"}])
        self.assertEqual(rows(self.db, "SELECT value FROM meta WHERE key = 'schema_version'"),
                         [(b"2",)])
        self.assertEqual(self.vectors(self.db), self.before)  # byte for byte
        self.assertEqual(rows(self.db, "SELECT id, path, sha256, error FROM items ORDER BY id"),
                         self.items_before)
        (name, identity, digest, vector_type, dim, weights_path, calibration), = rows(
            self.db, "SELECT * FROM backends")
        self.assertEqual(json.loads(identity), {
            "backend": "cnn", "dim": 512, "input_size": 64, "model": "squeezenet1_1",
            "preprocess": "center-crop", "vector_type": "float32",
            "weights_sha256": "56187bc4186d18079e762cf06c84169d9536fcc7fa2841b34762b6aa366a6963"})
        self.assertEqual(identity, json.dumps(json.loads(identity), sort_keys=True,
                                              separators=(",", ":")))
        self.assertEqual(digest, hashlib.sha256(identity.encode()).hexdigest())
        self.assertEqual((name, vector_type, dim, calibration), ("cnn", "float32", 512, None))
        self.assertEqual(rows(self.db, "PRAGMA foreign_key_check"), [])
        self.assertEqual(rows(self.db, "PRAGMA integrity_check"), [("ok",)])
        # and it goes on like any catalog: a new image is added to it
        shutil.copy(os.path.join(self.folder, "Bag", "00018.png"),
                    os.path.join(self.folder, "Bag", "copy.png"))
        self.assertEqual(self.index(self.folder, self.db)["added"], 1)


class Eval(Base):
    def test_known_answer_on_a_synthetic_catalog(self):
        """Three folders of identical copies: every neighbour is from the same folder."""
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        source = os.path.join(self.tmp, "src")
        export(source, 1)
        for label in ("Bag", "Trouser", "Sandal"):
            os.makedirs(os.path.join(folder, label))
            name = os.listdir(os.path.join(source, label))[0]
            for i in range(4):
                shutil.copy(os.path.join(source, label, name),
                            os.path.join(folder, label, f"{i}.png"))
        self.index(folder, db)
        got = json.loads(run("eval", "--index", db, "-k", "3", "--json", env=self.env,
                             check=0).stdout)
        self.assertEqual((got["items"], got["labels"], got["k"]), (12, 3, 3))
        self.assertEqual((got["precision_at_k"], got["map_at_k"], got["recall_at_k"]),
                         (1.0, 1.0, 1.0))
        # k = 5 reaches 2 images of other folders: precision 3/5, recall 1
        got = json.loads(run("eval", "--index", db, "-k", "5", "--json", env=self.env,
                             check=0).stdout)
        self.assertAlmostEqual(got["precision_at_k"], 0.6)
        self.assertAlmostEqual(got["recall_at_k"], 1.0)
        self.assertEqual(set(got["per_label"]), {"Bag", "Trouser", "Sandal"})
        text = run("eval", "--index", db, "-k", "5", env=self.env, check=0).stdout
        self.assertIn("precision@5  0.6000", text)

    def test_fashion_mnist_is_far_better_than_chance(self):
        folder, db = os.path.join(self.tmp, "cat"), os.path.join(self.tmp, "c.db")
        export(folder, 20)
        self.index(folder, db)
        got = json.loads(run("eval", "--index", db, "--json", env=self.env, check=0).stdout)
        self.assertEqual((got["items"], got["labels"], got["k"]), (200, 10, 10))
        # a random-init network still groups these shapes; chance is 0.1
        self.assertGreater(got["precision_at_k"], 0.3)

    def test_errors(self):
        for args, status, says in [(["--index", os.path.join(self.tmp, "none.db")], 1,
                                    "no such catalog"),
                                   (["-k", "0"], 2, "-k"),
                                   (["extra"], 2, "unexpected argument")]:
            result = run("eval", *args, env=self.env)
            self.assertEqual(result.returncode, status, (args, result.stderr))
            self.assertIn(says, result.stderr)
        result = run("eval", env=self.env)  # nothing indexed in this fresh data folder
        self.assertEqual(result.returncode, 1)
        self.assertIn("index a folder first", result.stderr)


class IndexErrors(Base):
    def test_errors(self):
        folder = os.path.join(self.tmp, "cat")
        export(folder, 1)
        db = os.path.join(self.tmp, "c.db")
        for args, status, says in [
                ([os.path.join(self.tmp, "nowhere")], 1, "nowhere"),
                ([os.path.join(folder, "Bag", os.listdir(os.path.join(folder, "Bag"))[0])], 1,
                 "not a folder"),
                (["--size", "40", folder], 1, "input size"),
                (["--preprocess", "zoom", folder], 2, "zoom"),
                ([], 2, "one folder"),
                ([folder, folder], 2, "one folder")]:
            result = run("index", "--index", db, "--weights", self.weights, *args, env=self.env)
            self.assertEqual(result.returncode, status, (args, result.stderr))
            self.assertIn(says, result.stderr)
        other = os.path.join(self.tmp, "other")
        export(other, 1)
        self.index(folder, db)
        # the same folder named another way (relative, through a link) is the same catalog
        os.symlink(folder, os.path.join(self.tmp, "link"))
        for name in [os.path.relpath(folder), os.path.join(self.tmp, "link"), folder + "/"]:
            self.assertEqual(self.index(name, db)["added"], 0, name)
        result = run("index", "--index", db, "--weights", self.weights, other, env=self.env)
        self.assertEqual(result.returncode, 1)
        self.assertIn("indexes", result.stderr)


if __name__ == "__main__":
    lkcatalog.setup(sys.argv)
    unittest.main(argv=[sys.argv[0], "-v"])
