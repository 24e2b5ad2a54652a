#!/usr/bin/python3
# test-kill.py: kill -9 the indexer at random points, again and again; nothing is ever lost.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""Usage: test-kill.py LOOKALIKE_CLI LOOKALIKE_DEMO REFERENCE_DIR

Index runs of 300 images are killed with SIGKILL at random moments (at least LOOKALIKE_TEST_KILLS
kills, 50 by default), some of them while a write transaction is held open by the fault-injection
hook LOOKALIKE_FAULT_WRITE_DELAY_MS. After every kill the catalog must pass SQLite's integrity check
and hold no image without its vector; after the kills of a round, a resumed run must end with the
same catalog as a clean run. The random seed is printed, and LOOKALIKE_TEST_SEED replays one.
"""
import os
import random
import signal
import subprocess
import sys
import time
import unittest

import lkcatalog
from lkcatalog import Base, export, rows


class RandomKills(Base):
    def check_after_kill(self, db, what):
        """As the kill left it: sound, and nothing half-written."""
        if not os.path.exists(db) or os.path.getsize(db) == 0:
            return  # killed before the catalog was linked into place
        self.assertEqual(rows(db, "PRAGMA integrity_check"), [("ok",)], what)
        half = rows(db, "SELECT count(*) FROM items WHERE error IS NULL AND id NOT IN "
                        "(SELECT item_id FROM embeddings)")
        self.assertEqual(half, [(0,)], what)
        orphans = rows(db, "SELECT count(*) FROM embeddings WHERE item_id NOT IN "
                           "(SELECT id FROM items)")
        self.assertEqual(orphans, [(0,)], what)

    def test_random_kills_then_resume(self):
        wanted = int(os.environ.get("LOOKALIKE_TEST_KILLS", "50"))
        seed = int(os.environ.get("LOOKALIKE_TEST_SEED", str(int(time.time()))))
        print(f"seed {seed} (LOOKALIKE_TEST_SEED={seed} replays it), {wanted} kills",
              file=sys.stderr)
        rng = random.Random(seed)
        folder = os.path.join(self.tmp, "cat")
        export(folder, 30)  # 300 images, 19 batches of 16
        clean_db = os.path.join(self.tmp, "clean.db")
        started = time.monotonic()
        self.index(folder, clean_db)
        clean_seconds = time.monotonic() - started  # model load and all: a run's whole length
        clean = self.vectors(clean_db)
        self.assertEqual(len(clean), 300)

        kills = rounds = 0
        where = {"before any commit": 0, "part way": 0, "when done": 0}
        while kills < wanted:
            rounds += 1
            db = os.path.join(self.tmp, f"round-{rounds}.db")
            for attempt in range(rng.randint(1, 3)):
                delay_ms = rng.choice([0, 0, 0, 5, 20])
                env = dict(self.env, LOOKALIKE_FAULT_WRITE_DELAY_MS=str(delay_ms))
                proc = subprocess.Popen([lkcatalog.CLI, "index", "--index", db, "--weights",
                                         self.weights, "--size", "64", folder],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env=env)
                # anywhere from the start (model loading, the catalog being made) to the end
                time.sleep(rng.uniform(0.0, 1.2 * clean_seconds * (1 + delay_ms / 10)))
                what = f"seed {seed}, round {rounds}, attempt {attempt}, delay {delay_ms} ms"
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    killed = True
                else:
                    killed = False
                proc.wait()
                self.check_after_kill(db, what)
                if killed:
                    n = self.committed(db)
                    where["before any commit" if n == 0 else "when done" if n == 300
                          else "part way"] += 1
            # the next run picks up where the killed ones stopped, and ends as a clean run does
            summary = self.index(folder, db)
            self.assertEqual(summary["added"] + summary["unchanged"], 300, what)
            self.assertEqual(summary["failed"], [], what)
            self.assert_consistent(db, folder)
            self.assert_all_close(self.vectors(db), clean)
            self.assertFalse(os.path.exists(db + ".lock"), what)
            os.unlink(db)
        print(f"{kills} kills in {rounds} rounds: " + ", ".join(f"{n} {w}" for w, n in where.items()),
              file=sys.stderr)
        self.assertGreater(where["part way"], wanted // 3)  # most kills land in the middle


if __name__ == "__main__":
    lkcatalog.setup(sys.argv)
    unittest.main(argv=[sys.argv[0], "-v"])
