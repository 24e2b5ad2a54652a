/* bench-forward.c: forward-pass throughput of our engine (one side of bench-forward.py).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-forward WEIGHTS BATCH THREADS SECONDS [SIZE]
 * Runs the network on random inputs for about SECONDS after a warm-up and prints one JSON object:
 * {"model": ..., "batch": ..., "threads": ..., "images_per_s": ..., "blas": ...}
 */
#include "lookalike.h"

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
  int size = argc > 5 ? atoi (argv[5]) : 224;
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

  printf ("{\"model\": \"%s\", \"batch\": %d, \"threads\": %d, \"images_per_s\": %.3f, "
          "\"blas\": \"%s\"}\n",
          lk_model_get_name (model), batch, threads, images / ((now - start) / 1e6),
          lk_runtime_get_blas_core ());
  return 0;
}
