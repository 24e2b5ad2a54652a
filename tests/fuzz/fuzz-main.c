/* fuzz-main.c: runs a libFuzzer target without libFuzzer, for the test suite.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   fuzz-catalog FILE...           each file once, as libFuzzer replays a crash
 *   fuzz-catalog --random N SEED   N inputs of random bytes (1 to 512 of them) from SEED
 *
 * Without coverage guidance random inputs find less than a fuzzing run, but they run on every
 * build, under the sanitizers in CI, and catch a check that regresses.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  LLVMFuzzerInitialize (&argc, &argv);
  if (argc == 4 && strcmp (argv[1], "--random") == 0)
    {
      guint n = (guint) g_ascii_strtoull (argv[2], NULL, 10);
      g_autoptr (GRand) rand =
        g_rand_new_with_seed ((guint32) g_ascii_strtoull (argv[3], NULL, 10));
      guint8 buf[512];

      for (guint i = 0; i < n; i++)
        {
          gsize len = (gsize) g_rand_int_range (rand, 1, sizeof buf + 1);
          for (gsize j = 0; j < len; j++)
            buf[j] = (guint8) g_rand_int_range (rand, 0, 256);
          LLVMFuzzerTestOneInput (buf, len);
        }
      g_print ("%u random inputs from seed %s: no failure\n", n, argv[3]);
      return 0;
    }
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *contents = NULL;
      gsize len;
      if (!g_file_get_contents (argv[i], &contents, &len, NULL))
        {
          g_printerr ("%s: cannot be read\n", argv[i]);
          return 1;
        }
      LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
    }
  return 0;
}
