/* bench-forward.c: forward-pass throughput of our engine (one side of bench-forward.py).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-forward WEIGHTS BATCH THREADS SECONDS [SIZE] [--profile]
 * Runs the network on random inputs for about SECONDS after a warm-up and prints one JSON object:
 * {"model": ..., "batch": ..., "threads": ..., "images_per_s": ..., "blas": ...}
 * With --profile, first a table of where the time goes, layer by layer.
 */
#include "lookalike.h"
#include "models/lk-model-private.h"

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  lk_runtime_ensure_blas_kernels (argv);
  if (argc < 5)
    {
      fprintf (stderr, "usage: %s WEIGHTS BATCH THREADS SECONDS [SIZE]\n", argv[0]);
      return 2;
    }
  int batch = atoi (argv[2]), threads = atoi (argv[3]);
  double seconds = g_ascii_strtod (argv[4], NULL);
  int size = argc > 5 && argv[5][0] != '-' ? atoi (argv[5]) : 224;
  gboolean profiling = g_str_equal (argv[argc - 1], "--profile");
  g_autoptr (LkModel) model = lk_model_new_from_file (argv[1], &error);
  if (!model)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  LkStateParams params = { .n_threads = threads, .max_batch = batch, .input_size = size };
  g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
  if (!state)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  gsize n_in = (gsize) batch * 3 * size * size;
  g_autofree float *x = g_new (float, n_in);
  g_autofree float *out = g_new (float, (gsize) batch *lk_model_get_dim (model));
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  for (gsize i = 0; i < n_in; i++)
    x[i] = (float) g_rand_double_range (rng, -2.0, 2.0);

  for (int i = 0; i < 2; i++)
    lk_model_state_forward (state, x, batch, out, NULL, NULL);
  g_autofree LkProfile *profile = profiling ? g_new0 (LkProfile, 1) : NULL;
  lk_model_state_set_profile (state, profile);
  long images = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (seconds * G_USEC_PER_SEC);
  gint64 now;
  do
    {
      lk_model_state_forward (state, x, batch, out, NULL, NULL);
      images += batch;
    }
  while ((now = g_get_monotonic_time ()) < end);

  if (profile)
    {
      double total = 0;
      for (guint i = 0; i < profile->n_steps; i++)
        total += profile->step[i].seconds;
      for (guint i = 0; i < profile->n_steps; i++)
        printf ("%3u %-44s %7.3f ms %5.1f%% %6.1f GFLOP/s\n", i, profile->step[i].what,
                1e3 * profile->step[i].seconds / profile->step[i].calls,
                100 * profile->step[i].seconds / total,
                2 * profile->step[i].macs / profile->step[i].seconds / 1e9);
      printf ("layers: %.3f ms per forward pass\n", 1e3 * total / profile->step[0].calls);
    }
  printf ("{\"model\": \"%s\", \"batch\": %d, \"threads\": %d, \"images_per_s\": %.3f, "
          "\"blas\": \"%s\"}\n",
          lk_model_get_name (model), batch, threads, images / ((now - start) / 1e6),
          lk_runtime_get_blas_core ());
  return 0;
}
