/* bench-compress.c: fitting the compressed backend's compressor, and compressing with it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-compress N DIM LATENT
 * Makes N seeded random vectors of DIM dimensions with a decaying spectrum (as CNN features have),
 * then times lk_compressor_fit_pca () on them (centring, normalising, the covariance, the
 * eigensolver) and lk_compressor_encode () of all of them, against numpy's PCA of the same vectors
 * in the same run when /usr/bin/python3 has numpy (the peer: eigh of the covariance). Prints one
 * JSON object: {"n", "dim", "latent", "fit_s", "encode_s", "numpy_fit_s", "blas"}.
 * The target: fitting on 100,000 vectors in under a minute (bench-compress 100000 512 32).
 */
#include "lookalike.h"
#include "models/lk-compressor.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* vectors along DIM directions with strengths 1/(1 + k/8): a spectrum like a CNN's */
static float *
make_vectors (gsize n, int dim)
{
  float *x = g_new (float, n *dim);
  guint64 state = 7;

  for (gsize i = 0; i < n * dim; i++)
    {
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      double u = (double) (state * 0x2545F4914F6CDD1DULL >> 11) * 0x1p-53 * 2 - 1;
      x[i] = (float) (0.5 + u / (1.0 + (i % dim) / 8.0));
    }
  return x;
}

static double
numpy_fit (const float *x, gsize n, int dim, int latent)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-bench-compress-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.f32", NULL);
  g_autofree char *script = g_strdup_printf (
    "import time, numpy\n"
    "x = numpy.fromfile('%s', dtype='<f4').reshape(%" G_GSIZE_FORMAT ", %d)\n"
    "t = time.perf_counter()\n"
    "x = x - x.mean(axis=0); x /= numpy.linalg.norm(x, axis=1, keepdims=True)\n"
    "c = numpy.cov(x, rowvar=False); w, v = numpy.linalg.eigh(c); comps = v[:, ::-1][:, :%d]\n"
    "print(time.perf_counter() - t)\n",
    path, n, dim, latent);
  const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  double seconds = -1;

  if (g_file_set_contents (path, (const char *) x, (gssize) (n * dim * sizeof (float)), NULL)
      && g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                       NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL))
    seconds = g_ascii_strtod (out, NULL);
  g_unlink (path);
  g_rmdir (dir);
  return seconds;
}

int
main (int argc, char **argv)
{
  gsize n = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  int dim = argc > 2 ? atoi (argv[2]) : 512, latent = argc > 3 ? atoi (argv[3]) : 32;
  LkCompressorConfig config = { LK_COMPRESSOR_PCA, dim, latent };
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  g_autofree float *x = NULL, *in_mean = NULL, *codes = NULL;
  double t, fit, encode;

  if (!c)
    {
      fprintf (stderr, "bench-compress: %s\n", error->message);
      return 2;
    }
  lk_runtime_ensure_blas_kernels (argv);
  x = make_vectors (n, dim);
  in_mean = g_new0 (float, dim);
  for (gsize i = 0; i < n; i++)
    for (int k = 0; k < dim; k++)
      in_mean[k] += x[i * dim + k] / (float) n;
  t = now ();
  if (!lk_compressor_fit_pca (c, in_mean, x, n, &error))
    {
      fprintf (stderr, "bench-compress: %s\n", error->message);
      return 1;
    }
  fit = now () - t;
  codes = g_new (float, n *latent);
  t = now ();
  lk_compressor_prepare (c, x, n);
  lk_compressor_encode (c, codes, x, n);
  encode = now () - t;
  g_free (x);
  x = make_vectors (n, dim);
  printf ("{\"n\": %" G_GSIZE_FORMAT ", \"dim\": %d, \"latent\": %d, \"fit_s\": %.3f, "
          "\"encode_s\": %.3f, \"numpy_fit_s\": %.3f, \"blas\": \"%s\"}\n",
          n, dim, latent, fit, encode, numpy_fit (x, n, dim, latent), lk_runtime_get_blas_core ());
  return 0;
}
