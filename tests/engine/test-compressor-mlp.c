/* test-compressor-mlp.c: the learned compressors ("ae", "nbr"), their training and their file.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PyTorch cross-check: tests/tools/make-compressor-reference.py builds the same MLP in
 * PyTorch and saves its initial weights, batches, every step's gradients and loss and the
 * parameters after them; this file loads the weights into ours, takes the same steps, and
 * compares tensor by tensor (teacher-forced, each step from PyTorch's parameters; and free
 * running). Then every gradient of the whole network against finite differences, and the trainer
 * on generated clusters: it learns the neighbourhoods, the same seed gives the same bits, and a
 * cancelled or impossible run says so.
 */
#include "lk-compressor-file.h"
#include "lookalike.h"
#include "models/lk-compressor.h"
#include "nn.h"
#include "store/lk-safetensors.h"
#include "test-tensors.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

typedef struct
{
  LkCompressorConfig config;
  int batch, steps;
  double lr, tau, rec;
} Reference;

static Reference
reference_from (LkSafetensors *st)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *text = lk_safetensors_get_metadata (st, "config");
  Reference r = { 0 };
  JsonObject *o;

  g_assert_nonnull (text);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (lk_compressor_method_from_string (json_object_get_string_member (o, "method"),
                                                   &r.config.method));
  r.config.in_dim = (int) json_object_get_int_member (o, "dim");
  r.config.latent = (int) json_object_get_int_member (o, "latent");
  r.config.hidden = (int) json_object_get_int_member (o, "hidden");
  r.batch = (int) json_object_get_int_member (o, "batch");
  r.steps = (int) json_object_get_int_member (o, "steps");
  r.lr = json_object_get_double_member (o, "lr");
  r.tau = json_object_get_double_member (o, "tau");
  r.rec = json_object_get_double_member (o, "rec");
  return r;
}

static LkCompressor *
model_from (LkSafetensors *init, const LkCompressorConfig *config)
{
  g_autoptr (GError) error = NULL;
  LkCompressor *c = lk_compressor_new (config, &error);

  g_assert_no_error (error);
  /* every tensor but in_mean (the trainer's input, not PyTorch's) */
  for (int i = 1; i < c->n_tensors; i++)
    {
      const LkCompressorTensor *t = &c->tensors[i];
      g_autofree float *w = read_tensor (init, t->name, t->size);
      memcpy (c->params + t->offset, w, t->size * sizeof (float));
    }
  return c;
}

static void
test_torch_cross_check (gconstpointer data)
{
  const char *dir = data;
  g_autofree char *skip = g_build_filename (dir, "SKIP", NULL);
  g_autofree char *init_path = g_build_filename (dir, "init.safetensors", NULL);
  g_autofree char *grads_path = g_build_filename (dir, "grads.safetensors", NULL);
  g_autofree char *expected_path = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkSafetensors) init = NULL, grads = NULL, expected = NULL;
  g_autoptr (LkCompressor) forced = NULL, free_run = NULL;
  g_autoptr (LkCompressorRun) run = NULL, run2 = NULL;
  g_autofree float *losses = NULL;
  double worst_loss = 0, worst_grad = 0, worst_param = 0, free_param = 0, worst_free_loss = 0;
  Reference r;
  int B, D;

  if (g_file_test (skip, G_FILE_TEST_EXISTS))
    {
      g_autofree char *why = NULL;
      g_file_get_contents (skip, &why, NULL, NULL);
      g_test_skip (g_strstrip (why));
      return;
    }
  init = lk_safetensors_open (init_path, &error);
  g_assert_no_error (error);
  grads = lk_safetensors_open (grads_path, &error);
  g_assert_no_error (error);
  expected = lk_safetensors_open (expected_path, &error);
  g_assert_no_error (error);
  r = reference_from (init);
  B = r.batch;
  D = r.config.in_dim;
  forced = model_from (init, &r.config);
  free_run = model_from (init, &r.config);
  g_assert_cmpuint (lk_safetensors_get_n_tensors (init), ==,
                    (guint) (forced->n_tensors - 1 + r.steps));
  run = lk_compressor_run_new (forced, B, 2);
  run2 = lk_compressor_run_new (free_run, B, 1);
  losses = read_tensor (expected, "loss", (gsize) r.steps);

  /* the initial weights' codes and reconstructions of batch 0, by the inference path */
  {
    g_autofree float *x = read_tensor (init, "batch.0", (gsize) B * D);
    g_autofree float *codes = read_tensor (expected, "codes.0", (gsize) B * r.config.latent);
    g_autofree float *recon = read_tensor (expected, "recon.0", (gsize) B * D);
    g_autofree float *ours = g_new (float, (gsize) B *D), *ref = g_new (float, (gsize) B *D);
    lk_compressor_encode (forced, ours, x, B);
    g_assert_cmpfloat (max_relative (ours, codes, (gsize) B * r.config.latent), <, 1e-5);
    lk_compressor_encode_ref (forced, ref, x, B);
    g_assert_cmpfloat (max_relative (ref, codes, (gsize) B * r.config.latent), <, 1e-5);
    lk_compressor_decode (forced, ours, codes, B);
    g_assert_cmpfloat (max_relative (ours, recon, (gsize) B * D), <, 1e-5);
  }

  for (int k = 0; k < r.steps; k++)
    {
      g_autofree char *batch_name = g_strdup_printf ("batch.%d", k);
      g_autofree float *x = read_tensor (init, batch_name, (gsize) B * D);
      float loss;

      /* teacher-forced */
      lk_compressor_zero_grad (run);
      loss = lk_compressor_forward (run, x, B, (float) r.tau, (float) r.rec, NULL);
      lk_compressor_backward (run);
      worst_loss = fmax (worst_loss, fabs (loss - losses[k]) / losses[k]);
      if (fabs (loss - losses[k]) > 1e-5 * losses[k])
        g_error ("step %d: loss %.9g where PyTorch has %.9g", k, loss, losses[k]);
      for (int i = 1; i < forced->n_tensors; i++)
        {
          const LkCompressorTensor *t = &forced->tensors[i];
          g_autofree char *name = g_strdup_printf ("step%d.%s", k, t->name);
          g_autofree float *g = read_tensor (grads, name, t->size);
          float *ours = lk_compressor_run_get_grads (run) + t->offset;
          double rel = max_relative (ours, g, t->size);
          if (rel > 5e-5)
            g_error ("step %d: gradient of %s %.3g away from PyTorch's, relative to its largest", k,
                     t->name, rel);
          worst_grad = fmax (worst_grad, rel);
          memcpy (ours, g, t->size * sizeof (float));
        }
      lk_compressor_update (run, (float) r.lr);

      /* free-running */
      lk_compressor_zero_grad (run2);
      loss = lk_compressor_forward (run2, x, B, (float) r.tau, (float) r.rec, NULL);
      lk_compressor_backward (run2);
      lk_compressor_update (run2, (float) r.lr);
      worst_free_loss = fmax (worst_free_loss, fabs (loss - losses[k]) / losses[k]);
      if (fabs (loss - losses[k]) > 1e-4 * losses[k])
        g_error ("free run, step %d: loss %.9g where PyTorch has %.9g", k, loss, losses[k]);
    }
  /* in_mean was never PyTorch's: it stays as it was */
  for (gsize i = 0; i < forced->tensors[0].size; i++)
    g_assert_cmpfloat (forced->in_mean[i], ==, 0.0f);
  for (int i = 1; i < forced->n_tensors; i++)
    {
      const LkCompressorTensor *t = &forced->tensors[i];
      g_autofree float *w = read_tensor (expected, t->name, t->size);
      double rel = max_relative (forced->params + t->offset, w, t->size);
      if (rel > 1e-4)
        g_error ("%s after %d steps: %.3g away from PyTorch's", t->name, r.steps, rel);
      worst_param = fmax (worst_param, rel);
      rel = max_relative (free_run->params + t->offset, w, t->size);
      if (rel > 1e-4)
        g_error ("free run: %s after %d steps: %.3g away from PyTorch's", t->name, r.steps, rel);
      free_param = fmax (free_param, rel);
    }
  g_test_message ("%s, %d steps: teacher-forced losses within %.2g, gradients within %.2g, "
                  "parameters within %.2g of PyTorch's; free-running losses within %.2g, "
                  "parameters within %.2g",
                  lk_compressor_method_to_string (r.config.method), r.steps, worst_loss, worst_grad,
                  worst_param, worst_free_loss, free_param);
}

/* ---------------------------------------------------------------------------------------------- */
/* Gradients of the whole network                                                                  */
/* ---------------------------------------------------------------------------------------------- */

/* Unit rows in @k clusters of @D dimensions (row i in cluster i % k), (n, D). */
static float *
make_clusters (int D, gsize n, int k, double spread, guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  g_autofree double *centres = g_new (double, (gsize) k *D);
  float *x = g_new (float, n *D);

  for (gsize i = 0; i < (gsize) k * D; i++)
    centres[i] = g_rand_double_range (rng, -1, 1);
  for (gsize r = 0; r < n; r++)
    {
      double norm = 0;
      for (int c = 0; c < D; c++)
        {
          double v = centres[(r % k) * D + c] + spread * g_rand_double_range (rng, -1, 1);
          x[r * D + c] = (float) v;
          norm += v * v;
        }
      for (int c = 0; c < D; c++)
        x[r * D + c] /= (float) sqrt (norm);
    }
  return x;
}

/* The network's loss in double (ListNet's twin on the codes rounded to float): what the finite
 * differences are taken of, since the float forward's rounding is larger than their steps' */
static double
network_loss_ref (const LkCompressor *c, const float *x, int B, float tau, float rec_weight,
                  double *rec_out)
{
  int D = c->config.in_dim, d = c->config.latent, h = c->config.hidden, width = MAX (h, D);
  g_autofree double *a = g_new (double, width), *b = g_new (double, width);
  g_autofree float *z = g_new (float, (gsize) B *d);
  double rec = 0;

  for (int r = 0; r < B; r++)
    {
      for (int k = 0; k < D; k++)
        a[k] = x[(gsize) r * D + k];
      for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
        {
          const LkCompressorLayer *l = &c->layers[i];
          for (int o = 0; o < l->out; o++)
            {
              double sum = l->bias[o];
              for (int k = 0; k < l->in; k++)
                sum += (double) l->weight[(gsize) o * l->in + k] * a[k];
              b[o] = (i == 2 || i == 5 || sum > 0) ? sum : 0.0;
            }
          memcpy (a, b, l->out * sizeof (double));
          if (i == 2)
            for (int k = 0; k < d; k++)
              z[(gsize) r * d + k] = (float) a[k];
        }
      for (int k = 0; k < D; k++)
        rec += (a[k] - x[(gsize) r * D + k]) * (a[k] - x[(gsize) r * D + k]);
    }
  rec /= B;
  *rec_out = rec;
  if (c->config.method == LK_COMPRESSOR_AE)
    return rec;
  return nn_listnet_forward_ref (x, z, B, D, d, tau) + rec_weight * rec;
}

/* The gradients of the loss (the encoder's parameters) or of the reconstruction error (the
 * decoder's) against central differences of the double-precision twin, at a few entries of every
 * tensor. Both forwards agree first. */
static void
check_network_gradients (LkCompressorMethod method, float rec_weight)
{
  enum
  {
    D = 10,
    d = 4,
    h = 7,
    B = 8
  };
  LkCompressorConfig config = { method, D, d, h };
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  g_autoptr (LkCompressorRun) run = NULL;
  g_autofree float *x = make_clusters (D, B, 3, 0.5, 5), *grads = NULL;
  const float tau = 0.2f, step = 1e-4f;
  double worst = 0;

  g_assert_no_error (error);
  lk_compressor_init_mlp (c, 3);
  run = lk_compressor_run_new (c, B, 1);
  lk_compressor_zero_grad (run);
  {
    double rec_ref, ref = network_loss_ref (c, x, B, tau, rec_weight, &rec_ref);
    float rec, loss = lk_compressor_forward (run, x, B, tau, rec_weight, &rec);
    g_assert_cmpfloat (fabs (loss - ref), <, 1e-5 * fmax (ref, 1));
    g_assert_cmpfloat (fabs (rec - rec_ref), <, 1e-5 * fmax (rec_ref, 1));
  }
  lk_compressor_backward (run);
  grads = g_memdup2 (lk_compressor_run_get_grads (run), c->n_params * sizeof (float));
  for (int i = 1; i < c->n_tensors; i++)
    {
      const LkCompressorTensor *t = &c->tensors[i];
      /* the decoder learns from rec alone, whatever the encoder's loss */
      gboolean decoder = g_str_has_prefix (t->name, "dec");
      for (gsize j = 0; j < t->size; j += MAX (t->size / 5, 1))
        {
          float *p = c->params + t->offset + j, saved = *p;
          double up, down, rec_up, rec_down, numeric, analytic = grads[t->offset + j], scale;
          *p = saved + step;
          up = network_loss_ref (c, x, B, tau, rec_weight, &rec_up);
          *p = saved - step;
          down = network_loss_ref (c, x, B, tau, rec_weight, &rec_down);
          *p = saved;
          numeric = decoder ? (rec_up - rec_down) / (2.0 * step) : (up - down) / (2.0 * step);
          scale = fmax (fmax (fabs (analytic), fabs (numeric)), 2e-2);
          worst = fmax (worst, fabs (analytic - numeric) / scale);
          if (fabs (analytic - numeric) > 1e-2 * scale)
            g_error ("%s, %s[%" G_GSIZE_FORMAT "]: backward %.7g, finite difference %.7g",
                     lk_compressor_method_to_string (method), t->name, j, analytic, numeric);
        }
    }
  g_test_message ("%s (rec weight %.2f): every tensor's gradient within %.2g of its finite "
                  "difference",
                  lk_compressor_method_to_string (method), rec_weight, worst);
}

static void
test_network_gradients (void)
{
  check_network_gradients (LK_COMPRESSOR_AE, 1.0f);
  check_network_gradients (LK_COMPRESSOR_NBR, 0.0f);
  check_network_gradients (LK_COMPRESSOR_NBR, 0.3f);
}

/* ---------------------------------------------------------------------------------------------- */
/* Training                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

enum
{
  TD = 32,
  TK = 8,
  TN = 400
};

/* the fraction of each row's 10 nearest (by cosine of @codes, itself left out) of its cluster */
static double
cluster_precision (const float *codes, gsize n, int dim)
{
  g_autofree float *u = g_memdup2 (codes, n * dim * sizeof (float));
  g_autofree guint *labels = g_new (guint, n);
  g_autoptr (LkEvalResult) eval = NULL;

  for (gsize i = 0; i < n; i++)
    labels[i] = (guint) (i % TK);
  lk_vectors_normalize (u, n, dim);
  eval = lk_eval_leave_one_out (u, n, dim, labels, TK, 10);
  return eval->precision_at_k;
}

static LkCompressor *
train_on (const float *x, gsize n, LkCompressorMethod method, int latent, guint64 seed, int epochs,
          LkCompressorTrainProgress *done, GCancellable *cancellable, GError **error)
{
  LkCompressorConfig config = { method, TD, latent, 64 };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, error);
  g_autofree float *in_mean = g_new0 (float, TD);
  LkCompressorTrainParams p = lk_compressor_train_default_params (method);

  g_assert_nonnull (c);
  p.seed = seed;
  p.epochs = epochs;
  p.batch = 64;
  p.n_threads = 2;
  if (!lk_compressor_train (c, in_mean, x, n, &p, NULL, NULL, done, cancellable, error))
    return NULL;
  return g_steal_pointer (&c);
}

/* On 8 clusters of 32-d rows spread so that they mix (precision@10 by cluster 0.76), 4-d codes:
 * the untrained network's codes find their own cluster far less often than the trained ones,
 * which keep at least 90 % of the input's precision; the same seed gives the same bits, another
 * seed other weights. */
static void
test_training_learns (void)
{
  g_autofree float *x = make_clusters (TD, TN, TK, 1.5, 21);
  g_autofree float *codes = g_new (float, (gsize) TN * 4);
  g_autoptr (GError) error = NULL;
  LkCompressorMethod methods[] = { LK_COMPRESSOR_NBR, LK_COMPRESSOR_AE };
  double raw = cluster_precision (x, TN, TD), kept[2] = { 0 };

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      LkCompressorConfig config = { methods[m], TD, 4, 64 };
      g_autoptr (LkCompressor) untrained = lk_compressor_new (&config, &error);
      g_autoptr (LkCompressor) a = NULL, b = NULL, other = NULL;
      LkCompressorTrainProgress done;
      double before, after;

      lk_compressor_init_mlp (untrained, 0);
      lk_compressor_encode (untrained, codes, x, TN);
      before = cluster_precision (codes, TN, 4);
      a = train_on (x, TN, methods[m], 4, 0, 60, &done, NULL, &error);
      g_assert_no_error (error);
      lk_compressor_encode (a, codes, x, TN);
      after = cluster_precision (codes, TN, 4);
      g_test_message ("%s: precision@10 by cluster %.3f untrained, %.3f trained (%d epochs, "
                      "best %d, score %.3f), %.3f uncompressed",
                      lk_compressor_method_to_string (methods[m]), before, after, done.epoch,
                      done.best_epoch, done.best_score, raw);
      g_assert_cmpfloat (after, >, before + 0.1);
      g_assert_cmpfloat (after, >, 0.9 * raw);
      g_assert_cmpint (done.best_epoch, >=, 1);
      g_assert_cmpint (done.best_epoch, <=, done.epoch);
      g_assert_cmpuint (done.n_train + done.n_val, ==, TN);
      /* recall@10 of the held-out rows: chance is 0.025 */
      if (methods[m] == LK_COMPRESSOR_NBR)
        g_assert_cmpfloat (done.best_score, >, 0.15);
      /* both decode: the reconstructions keep most of the rows' variance (nbr's decoder learns
       * in a phase of its own, on the codes as they are kept) */
      {
        g_autofree float *back = g_new (float, (gsize) TN *TD);
        double err = 0, var = 0, mean[TD] = { 0 };
        lk_compressor_decode (a, back, codes, TN);
        for (gsize i = 0; i < (gsize) TN * TD; i++)
          mean[i % TD] += x[i] / TN;
        for (gsize i = 0; i < (gsize) TN * TD; i++)
          {
            err += ((double) back[i] - x[i]) * ((double) back[i] - x[i]);
            var += (x[i] - mean[i % TD]) * (x[i] - mean[i % TD]);
          }
        kept[m] = 1 - err / var;
        g_test_message ("%s: reconstructions keep %.1f %% of the variance",
                        lk_compressor_method_to_string (methods[m]), 100 * kept[m]);
      }

      b = train_on (x, TN, methods[m], 4, 0, 60, NULL, NULL, &error);
      g_assert_cmpmem (a->params, a->n_params * sizeof (float), b->params,
                       b->n_params * sizeof (float));
      other = train_on (x, TN, methods[m], 4, 1, 5, NULL, NULL, &error);
      g_assert_true (memcmp (a->params, other->params, a->n_params * sizeof (float)) != 0);
    }
  /* the autoencoder, trained for it, reconstructs best; nbr's decoder, on codes trained for
   * something else, still more than half as well */
  g_assert_cmpfloat (kept[1], >, 0.3);
  g_assert_cmpfloat (kept[0], >, 0.5 * kept[1]);
}

/* cancelled before the first step, too few vectors, a setting out of range: each says so */
static void
test_training_refusals (void)
{
  g_autofree float *x = make_clusters (TD, TN, TK, 0.5, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LkCompressorConfig config = { LK_COMPRESSOR_NBR, TD, 4, 16 };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  g_autofree float *in_mean = g_new0 (float, TD);
  LkCompressorTrainParams p = lk_compressor_train_default_params (LK_COMPRESSOR_NBR);

  g_cancellable_cancel (cancellable);
  g_assert_null (train_on (x, TN, LK_COMPRESSOR_NBR, 4, 0, 5, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_false (lk_compressor_train (c, in_mean, x, 15, &p, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "the nbr compressor is trained on at least 16 vectors, and there are 15");
  g_clear_error (&error);

  p.tau = 0;
  g_assert_false (lk_compressor_train (c, in_mean, x, TN, &p, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "0 is outside the temperature (0.005–1)");
  g_clear_error (&error);

  /* a hidden width where none belongs, and none where one does */
  config.hidden = 0;
  g_assert_null (lk_compressor_new (&config, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  config.method = LK_COMPRESSOR_PCA;
  config.hidden = 8;
  g_assert_null (lk_compressor_new (&config, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "a hidden width of 8 does not fit the pca compressor (it has none)");
}

/* save → load: the same tensors and the same codes; a file cut short is refused with its name */
static void
test_mlp_file (void)
{
  g_autofree float *x = make_clusters (TD, 64, 4, 0.5, 9);
  g_autoptr (GError) error = NULL;
  LkCompressorConfig config = { LK_COMPRESSOR_NBR, TD, 6, 24 };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  g_autoptr (LkCompressor) back = NULL;
  g_autoptr (LkCompressorInfo) info = lk_compressor_info_new (), back_info = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-compressor-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "nbr.safetensors", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.safetensors", NULL);
  g_autofree char *contents = NULL;
  g_autofree float *codes = g_new (float, 64 * 6), *codes_back = g_new (float, 64 * 6);
  gsize length;

  lk_compressor_init_mlp (c, 4);
  for (int k = 0; k < TD; k++)
    c->in_mean[k] = 0.01f * k;
  info->config = config;
  info->upstream = g_new0 (LkModelIdentity, 1);
  info->upstream->backend = LK_BACKEND_CNN;
  info->upstream->model = g_strdup ("squeezenet1_1");
  info->upstream->weights_sha256 = g_strnfill (64, 'a');
  info->upstream->input_size = 224;
  info->upstream->dim = TD;
  info->date = g_strdup ("2026-12-01T19:00:00Z");
  g_assert_true (lk_compressor_file_save (path, c, info, &error));
  g_assert_no_error (error);
  back = lk_compressor_file_load (path, &back_info, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back_info->config.method, ==, LK_COMPRESSOR_NBR);
  g_assert_cmpint (back_info->config.hidden, ==, 24);
  g_assert_cmpint (back->n_tensors, ==, 13);
  g_assert_cmpmem (back->params, back->n_params * sizeof (float), c->params,
                   c->n_params * sizeof (float));
  lk_compressor_encode (c, codes, x, 64);
  lk_compressor_encode (back, codes_back, x, 64);
  g_assert_cmpmem (codes, 64 * 6 * sizeof (float), codes_back, 64 * 6 * sizeof (float));

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (cut, contents, (gssize) (length / 2), NULL));
  g_assert_null (lk_compressor_file_load (cut, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "cut.safetensors"));
  g_test_message ("%s", error->message);
  g_unlink (path);
  g_unlink (cut);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *base = g_path_get_basename (argv[i]);
      g_autofree char *name = g_strdup_printf ("/engine/compressor-mlp/torch-cross-check/%s", base);
      g_test_add_data_func_full (name, g_strdup (argv[i]), test_torch_cross_check, g_free);
    }
  g_test_add_func ("/engine/compressor-mlp/network-gradients", test_network_gradients);
  g_test_add_func ("/engine/compressor-mlp/training-learns", test_training_learns);
  g_test_add_func ("/engine/compressor-mlp/training-refusals", test_training_refusals);
  g_test_add_func ("/engine/compressor-mlp/file", test_mlp_file);
  return g_test_run ();
}
