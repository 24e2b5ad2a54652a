/* bench-compress.c: fitting the compressed backend's compressor, and compressing with it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-compress N DIM LATENT [METHOD] [THREADS]
 * Makes N seeded random vectors of DIM dimensions with a decaying spectrum (as CNN features have),
 * then times fitting the compressor of METHOD (pca, the default; ae; nbr) on them and
 * lk_compressor_encode () of all of them. pca: lk_compressor_fit_pca () (centring, normalising,
 * the covariance, the eigensolver) against numpy's PCA of the same vectors in the same run when
 * /usr/bin/python3 has numpy (the peer: eigh of the covariance). ae, nbr: lk_compressor_train ()
 * with the product's defaults (at most 8,192 rows, early stopping), against PyTorch taking the same
 * number of steps of the same network, loss and batch size on as many threads as ours (the peer: what
 * tests/bench/eval-compress.py trains with). Prints one JSON object: {"n", "dim", "latent",
 * "method", "fit_s", "encode_s", "peer_fit_s", "steps", "decoder_steps", "epochs", "threads", "blas"}.
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

/* The seconds a peer's Python @script (which reads the vectors from X_PATH, a placeholder, and
 * prints its time) takes on @x (n, dim), or -1 when /usr/bin/python3 cannot run it */
static double
run_peer (const float *x, gsize n, int dim, const char *script)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-bench-compress-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.f32", NULL);
  g_autoptr (GString) text = g_string_new (script);
  const char *argv[] = { "/usr/bin/python3", "-c", NULL, NULL };
  g_autofree char *out = NULL;
  int status = 0;
  double seconds = -1;

  g_string_replace (text, "X_PATH", path, 0);
  argv[2] = text->str;
  if (g_file_set_contents (path, (const char *) x, (gssize) (n * dim * sizeof (float)), NULL)
      && g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                       NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL))
    seconds = g_ascii_strtod (out, NULL);
  g_unlink (path);
  g_rmdir (dir);
  return seconds;
}

static double
numpy_fit (const float *x, gsize n, int dim, int latent)
{
  g_autofree char *script = g_strdup_printf (
    "import time, numpy\n"
    "x = numpy.fromfile('X_PATH', dtype='<f4').reshape(%" G_GSIZE_FORMAT ", %d)\n"
    "t = time.perf_counter()\n"
    "x = x - x.mean(axis=0); x /= numpy.linalg.norm(x, axis=1, keepdims=True)\n"
    "c = numpy.cov(x, rowvar=False); w, v = numpy.linalg.eigh(c); comps = v[:, ::-1][:, :%d]\n"
    "print(time.perf_counter() - t)\n",
    n, dim, latent);
  return run_peer (x, n, dim, script);
}

/* PyTorch's time for @steps Adam steps of the MLP on batches of @batch rows of @x, with the
 * method's loss (ListNet for nbr, with the decoder on the side; reconstruction for ae), then
 * @decoder_steps of the decoder alone on the codes (nbr's second phase) */
static double
torch_train (const float *x, gsize n, int dim, int latent, int steps, int decoder_steps, int batch,
             gboolean nbr, int threads)
{
  g_autofree char *script = g_strdup_printf (
    "import time, numpy, torch\n"
    "import torch.nn.functional as F\n"
    "torch.set_num_threads(%d)\n"
    "x = torch.from_numpy(numpy.fromfile('X_PATH', dtype='<f4').reshape(%" G_GSIZE_FORMAT ", %d))\n"
    "x = F.normalize(x - x.mean(0), dim=1)\n"
    "D, d, h, B, nbr = %d, %d, 512, %d, %d\n"
    "L = torch.nn.Linear; R = torch.nn.ReLU\n"
    "enc = torch.nn.Sequential(L(D, h), R(), L(h, h), R(), L(h, d))\n"
    "dec = torch.nn.Sequential(L(d, h), R(), L(h, h), R(), L(h, D))\n"
    "opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)\n"
    "g = torch.Generator().manual_seed(0)\n"
    "t = time.perf_counter()\n"
    "for s in range(%d):\n"
    "    xb = x[torch.randint(0, len(x), (B,), generator=g)]\n"
    "    z = enc(xb)\n"
    "    if nbr:\n"
    "        u = F.normalize(z, dim=1); eye = torch.eye(B, dtype=torch.bool)\n"
    "        p = F.softmax((xb @ xb.t() / 0.05).masked_fill(eye, -1e9), dim=1)\n"
    "        q = F.log_softmax((u @ u.t() / 0.05).masked_fill(eye, -1e9), dim=1)\n"
    "        loss = F.kl_div(q, p, reduction='batchmean') + ((dec(z.detach()) - xb) ** "
    "2).sum(1).mean()\n"
    "    else:\n"
    "        loss = ((dec(z) - xb) ** 2).sum(1).mean()\n"
    "    opt.zero_grad(); loss.backward(); opt.step()\n"
    "with torch.no_grad():\n"
    "    codes = enc(x)\n"
    "opt = torch.optim.Adam(dec.parameters(), lr=1e-3)\n"
    "for s in range(%d):\n"
    "    i = torch.randint(0, len(x), (B,), generator=g)\n"
    "    loss = ((dec(codes[i]) - x[i]) ** 2).sum(1).mean()\n"
    "    opt.zero_grad(); loss.backward(); opt.step()\n"
    "print(time.perf_counter() - t)\n",
    threads, n, dim, dim, latent, batch, nbr ? 1 : 0, steps, decoder_steps);
  return run_peer (x, n, dim, script);
}

/* the epochs of each phase */
static void
count_epochs (const LkCompressorTrainProgress *p, gpointer user_data)
{
  int *epochs = user_data;
  epochs[p->phase == 2] = p->epoch;
}

int
main (int argc, char **argv)
{
  gsize n = argc > 1 ? (gsize) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  int dim = argc > 2 ? atoi (argv[2]) : 512, latent = argc > 3 ? atoi (argv[3]) : 32;
  LkCompressorConfig config = { LK_COMPRESSOR_PCA, dim, latent, 0, FALSE };
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCompressor) c = NULL;
  g_autofree float *x = NULL, *in_mean = NULL, *codes = NULL;
  LkCompressorTrainParams params;
  LkCompressorTrainProgress done = { 0 };
  double t, fit, encode, peer;
  int steps = 0, decoder_steps = 0, epochs[2] = { 0 },
      threads = argc > 5 ? atoi (argv[5]) : (int) g_get_num_processors ();

  if (argc > 4 && !lk_compressor_method_from_string (argv[4], &config.method))
    {
      fprintf (stderr, "bench-compress: unknown method %s (pca, ae, nbr)\n", argv[4]);
      return 2;
    }
  if (lk_compressor_method_is_mlp (config.method))
    config.hidden = 512;
  c = lk_compressor_new (&config, &error);
  params = lk_compressor_train_default_params (config.method);
  params.n_threads = threads;

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
  if (config.method == LK_COMPRESSOR_PCA
        ? !lk_compressor_fit_pca (c, in_mean, x, n, &error)
        : !lk_compressor_train (c, in_mean, x, n, &params, count_epochs, epochs, &done, NULL,
                                &error))
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
  if (config.method == LK_COMPRESSOR_PCA)
    peer = numpy_fit (x, n, dim, latent);
  else
    {
      gsize train_rows = done.n_train;
      int per_epoch = (int) ((train_rows + params.batch - 1) / params.batch);
      steps = epochs[0] * per_epoch;
      decoder_steps = epochs[1] * per_epoch;
      peer = torch_train (x, n, dim, latent, steps, decoder_steps, params.batch,
                          config.method == LK_COMPRESSOR_NBR, threads);
    }
  printf ("{\"n\": %" G_GSIZE_FORMAT ", \"dim\": %d, \"latent\": %d, \"method\": \"%s\", "
          "\"fit_s\": %.3f, \"encode_s\": %.3f, \"peer_fit_s\": %.3f, \"steps\": %d, "
          "\"decoder_steps\": %d, \"epochs\": %d, \"threads\": %d, \"blas\": \"%s\"}\n",
          n, dim, latent, lk_compressor_method_to_string (config.method), fit, encode, peer, steps,
          decoder_steps, done.epoch, threads, lk_runtime_get_blas_core ());
  return 0;
}
