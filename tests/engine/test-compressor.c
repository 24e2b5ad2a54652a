/* test-compressor.c: the linear compressor of CNN vectors (principal components).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fit is held to an independent reference: the covariance of the prepared vectors computed in
 * double, one entry at a time, and diagonalised by cyclic Jacobi rotations (slow, simple, exact to
 * rounding). Encoding is held to its naive twin, decoding to the projection it must be.
 */
#include "lk-compressor-file.h"
#include "lookalike.h"
#include "models/lk-compressor.h"
#include "store/lk-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Vectors of @D dimensions around a centre, spread along a few directions of known strength
 * (a random orthonormal basis, scales 8, 4, 2, 1, 0.5, … and noise), so the leading components are
 * well separated. Returns (n, D). */
static float *
make_vectors (int D, gsize n, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  float *x = g_new (float, n *D);
  double *basis = g_new (double, (gsize) D *D);

  /* Gram–Schmidt on random vectors */
  for (int i = 0; i < D; i++)
    {
      double *v = basis + (gsize) i * D, norm = 0;
      for (int k = 0; k < D; k++)
        v[k] = g_rand_double_range (rand, -1, 1);
      for (int j = 0; j < i; j++)
        {
          const double *u = basis + (gsize) j * D;
          double dot = 0;
          for (int k = 0; k < D; k++)
            dot += v[k] * u[k];
          for (int k = 0; k < D; k++)
            v[k] -= dot * u[k];
        }
      for (int k = 0; k < D; k++)
        norm += v[k] * v[k];
      for (int k = 0; k < D; k++)
        v[k] /= sqrt (norm);
    }
  for (gsize r = 0; r < n; r++)
    for (int k = 0; k < D; k++)
      x[r * D + k] = 3.0f + (float) (k % 5); /* an offset the centring must take out */
  for (gsize r = 0; r < n; r++)
    for (int i = 0; i < D; i++)
      {
        double a = g_rand_double_range (rand, -1, 1) * 8.0 / pow (2.0, i);
        for (int k = 0; k < D; k++)
          x[r * D + k] += (float) (a * basis[(gsize) i * D + k]);
      }
  g_free (basis);
  g_rand_free (rand);
  return x;
}

/* Eigen-decomposition of the symmetric @a (D, D), destroyed, by cyclic Jacobi: eigenvalues in
 * @w (D), eigenvectors as the columns of @v (D, D). */
static void
jacobi (double *a, double *w, double *v, int D)
{
  for (int i = 0; i < D; i++)
    for (int j = 0; j < D; j++)
      v[i * D + j] = i == j;
  for (int sweep = 0; sweep < 100; sweep++)
    {
      double off = 0;
      for (int p = 0; p < D; p++)
        for (int q = p + 1; q < D; q++)
          off += a[p * D + q] * a[p * D + q];
      if (off < 1e-30)
        break;
      for (int p = 0; p < D; p++)
        for (int q = p + 1; q < D; q++)
          {
            double apq = a[p * D + q], theta, t, c, s;
            if (fabs (apq) < 1e-300)
              continue;
            theta = (a[q * D + q] - a[p * D + p]) / (2 * apq);
            t = (theta >= 0 ? 1 : -1) / (fabs (theta) + sqrt (theta * theta + 1));
            c = 1 / sqrt (t * t + 1);
            s = t * c;
            for (int k = 0; k < D; k++)
              {
                double akp = a[k * D + p], akq = a[k * D + q];
                a[k * D + p] = c * akp - s * akq;
                a[k * D + q] = s * akp + c * akq;
              }
            for (int k = 0; k < D; k++)
              {
                double apk = a[p * D + k], aqk = a[q * D + k];
                a[p * D + k] = c * apk - s * aqk;
                a[q * D + k] = s * apk + c * aqk;
              }
            for (int k = 0; k < D; k++)
              {
                double vkp = v[k * D + p], vkq = v[k * D + q];
                v[k * D + p] = c * vkp - s * vkq;
                v[k * D + q] = s * vkp + c * vkq;
              }
          }
    }
  for (int i = 0; i < D; i++)
    w[i] = a[i * D + i];
}

static void
test_fit_matches_reference (void)
{
  enum
  {
    D = 24,
    d = 6
  };
  gsize n = 3000;
  g_autofree float *x = make_vectors (D, n, 11);
  g_autofree float *prepared = g_memdup2 (x, n * D * sizeof (float));
  g_autofree float *in_mean = g_new0 (float, D);
  g_autofree double *mean = g_new0 (double, D), *cov = g_new0 (double, D *D);
  g_autofree double *w = g_new (double, D), *v = g_new (double, D *D);
  g_autoptr (GError) error = NULL;
  LkCompressorConfig config = { LK_COMPRESSOR_PCA, D, d };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  int order[D];

  g_assert_no_error (error);
  for (gsize r = 0; r < n; r++)
    for (int k = 0; k < D; k++)
      in_mean[k] += x[r * D + k] / n;
  g_assert_true (lk_compressor_fit_pca (c, in_mean, x, n, &error));
  g_assert_no_error (error);

  /* the reference: prepared as documented, centred, covariance in double, Jacobi */
  for (gsize r = 0; r < n; r++)
    {
      double norm = 0;
      for (int k = 0; k < D; k++)
        {
          prepared[r * D + k] = x[r * D + k] - in_mean[k];
          norm += (double) prepared[r * D + k] * prepared[r * D + k];
        }
      for (int k = 0; k < D; k++)
        prepared[r * D + k] = (float) (prepared[r * D + k] / sqrt (norm));
    }
  for (gsize r = 0; r < n; r++)
    for (int k = 0; k < D; k++)
      mean[k] += prepared[r * D + k] / (double) n;
  for (int k = 0; k < D; k++)
    g_assert_cmpfloat_with_epsilon (c->mean[k], mean[k], 1e-5);
  for (gsize r = 0; r < n; r++)
    for (int i = 0; i < D; i++)
      for (int j = 0; j < D; j++)
        cov[i * D + j] +=
          (prepared[r * D + i] - mean[i]) * (prepared[r * D + j] - mean[j]) / (double) (n - 1);
  jacobi (cov, w, v, D);
  for (int i = 0; i < D; i++)
    order[i] = i;
  for (int i = 0; i < D; i++) /* by decreasing eigenvalue */
    for (int j = i + 1; j < D; j++)
      if (w[order[j]] > w[order[i]])
        {
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }

  for (int j = 0; j < d; j++)
    {
      double dot = 0, norm = 0, largest = 0;
      for (int k = 0; k < D; k++)
        {
          double comp = c->components[j * D + k];
          dot += comp * v[k * D + order[j]];
          norm += comp * comp;
          if (fabs (comp) > fabs (largest))
            largest = comp;
        }
      g_test_message ("component %d: variance %.6g (reference %.6g), |cos| %.8f", j, c->variance[j],
                      w[order[j]], fabs (dot));
      g_assert_cmpfloat_with_epsilon (norm, 1.0, 1e-5);
      g_assert_cmpfloat (fabs (dot), >, 0.9999);
      g_assert_cmpfloat (fabs (c->variance[j] - w[order[j]]), <, 1e-4 * w[order[j]] + 1e-7);
      g_assert_cmpfloat (largest, >, 0); /* the sign convention */
      if (j > 0)
        g_assert_cmpfloat (c->variance[j], <=, c->variance[j - 1]);
    }
}

/* encode is its naive twin; decode of a full-size code gives the vector back, and of a short one
 * its projection (the residual is orthogonal to every component) */
static void
test_encode_decode (void)
{
  enum
  {
    D = 40
  };
  gsize n = 500;
  g_autofree float *x = make_vectors (D, n, 5);
  g_autofree float *in_mean = g_new0 (float, D);
  g_autoptr (GError) error = NULL;

  for (gsize r = 0; r < n; r++)
    for (int k = 0; k < D; k++)
      in_mean[k] += x[r * D + k] / n;
  static const int latents[] = { 1, 14, 27, D };

  for (gsize t = 0; t < G_N_ELEMENTS (latents); t++)
    {
      LkCompressorConfig config = { LK_COMPRESSOR_PCA, D, latents[t] };
      g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
      int L = config.latent;
      g_autofree float *prepared = g_memdup2 (x, n * D * sizeof (float));
      g_autofree float *codes = g_new (float, n *L), *ref = g_new (float, n *L);
      g_autofree float *back = g_new (float, n *D);
      double worst = 0, worst_residual = 0;

      g_assert_no_error (error);
      g_assert_true (lk_compressor_fit_pca (c, in_mean, x, n, &error));
      lk_compressor_prepare (c, prepared, n);
      lk_compressor_encode (c, codes, prepared, n);
      lk_compressor_encode_ref (c, ref, prepared, n);
      for (gsize i = 0; i < n * L; i++)
        worst = MAX (worst, fabs (codes[i] - ref[i]));
      g_assert_cmpfloat (worst, <, 1e-5);
      lk_compressor_decode (c, back, codes, n);
      for (gsize r = 0; r < n; r++)
        for (int j = 0; j < L; j++)
          {
            double dot = 0;
            for (int k = 0; k < D; k++)
              dot += (double) (prepared[r * D + k] - back[r * D + k]) * c->components[j * D + k];
            worst_residual = MAX (worst_residual, fabs (dot));
          }
      g_assert_cmpfloat (worst_residual, <, 1e-5);
      if (L == D)
        for (gsize i = 0; i < n * D; i++)
          g_assert_cmpfloat (fabs (back[i] - prepared[i]), <, 1e-5);
    }
}

static void
test_refusals (void)
{
  static const struct
  {
    int in_dim, latent;
    const char *message;
  } cases[] = {
    { 512, 0, "latent size 0 is outside 1–1024" },
    { 512, 600, "latent size 600 is over the vectors' 512 dimensions" },
    { 0, 16, "vectors of 0 dimensions are outside 1–8192" },
  };
  g_autoptr (GError) error = NULL;
  LkCompressorConfig config = { LK_COMPRESSOR_PCA, 8, 4 };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  float x[4 * 8] = { 0 }, in_mean[8] = { 0 };
  LkCompressorMethod method;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) e = NULL;
      LkCompressorConfig bad = { LK_COMPRESSOR_PCA, cases[i].in_dim, cases[i].latent };
      g_assert_null (lk_compressor_new (&bad, &e));
      g_assert_error (e, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (e->message, ==, cases[i].message);
    }
  /* four vectors cannot give four components */
  g_assert_false (lk_compressor_fit_pca (c, in_mean, x, 4, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "4 vectors cannot give 4 principal components: it takes at least 5");
  g_assert_true (lk_compressor_method_from_string ("pca", &method));
  g_assert_cmpint (method, ==, LK_COMPRESSOR_PCA);
  g_assert_false (lk_compressor_method_from_string ("zip", &method));
  g_assert_nonnull (lk_compressor_lookup (c, "components"));
  g_assert_cmpint (lk_compressor_lookup (c, "components")->shape[0], ==, 4);
  g_assert_null (lk_compressor_lookup (c, "weights"));
}

static LkModelIdentity *
cnn_identity (int dim)
{
  LkModelIdentity *identity = g_new0 (LkModelIdentity, 1);

  identity->backend = LK_BACKEND_CNN;
  identity->model = g_strdup ("squeezenet1_1");
  identity->weights_sha256 = g_strnfill (64, 'a');
  identity->input_size = 224;
  identity->preprocess = LK_PREPROCESS_CENTER_CROP;
  identity->dim = dim;
  identity->vector_type = LK_VECTOR_FLOAT32;
  return identity;
}

/* save → load gives the same compressor and record; a file cut short, of another format, or whose
 * upstream does not fit its config is refused, naming the file and why */
static void
test_file_round_trip_and_refusals (void)
{
  enum
  {
    D = 20,
    d = 5
  };
  gsize n = 200;
  g_autofree float *x = make_vectors (D, n, 3);
  g_autofree float *in_mean = g_new0 (float, D);
  g_autoptr (GError) error = NULL;
  LkCompressorConfig config = { LK_COMPRESSOR_PCA, D, d };
  g_autoptr (LkCompressor) c = lk_compressor_new (&config, &error);
  g_autoptr (LkCompressorInfo) info = lk_compressor_info_new ();
  g_autoptr (LkCompressorInfo) back_info = NULL;
  g_autoptr (LkCompressor) back = NULL;
  g_autofree char *dir = g_dir_make_tmp ("lk-compressor-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "c.compressed.safetensors", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.safetensors", NULL);
  g_autofree char *contents = NULL, *sha = NULL;
  gsize length;

  g_assert_true (lk_compressor_fit_pca (c, in_mean, x, n, &error));
  info->config = config;
  info->upstream = cnn_identity (D);
  info->catalog_root = g_strdup ("/photos");
  info->date = g_strdup ("2026-12-01T17:00:00Z");
  info->n_items = n;
  info->retained_variance = 0.75;
  g_assert_true (lk_compressor_file_save (path, c, info, &error));
  g_assert_no_error (error);

  back = lk_compressor_file_load (path, &back_info, &sha, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_params, ==, c->n_params);
  g_assert_cmpmem (back->params, back->n_params * sizeof (float), c->params,
                   c->n_params * sizeof (float));
  g_assert_cmpint (back_info->config.latent, ==, d);
  g_assert_true (lk_model_identity_equal (back_info->upstream, info->upstream));
  g_assert_cmpstr (back_info->catalog_root, ==, "/photos");
  g_assert_cmpuint (back_info->n_items, ==, n);
  g_assert_cmpfloat (back_info->retained_variance, ==, 0.75);
  g_assert_cmpuint (strlen (sha), ==, 64);

  /* cut short */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (cut, contents, (gssize) (length - 7), NULL));
  g_clear_pointer (&back, lk_compressor_free);
  g_assert_null (lk_compressor_file_load (cut, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "cut.safetensors"));
  g_clear_error (&error);

  /* an upstream of another dimension than the config takes */
  lk_model_identity_free (info->upstream);
  info->upstream = cnn_identity (D + 1);
  g_assert_true (lk_compressor_file_save (cut, c, info, &error));
  g_assert_null (lk_compressor_file_load (cut, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
  g_assert_cmpstr (error->message, ==,
                   "cut.safetensors: not a Lookalike compressor (its \"upstream\" is not an "
                   "identity of vectors its config takes)");
  g_clear_error (&error);

  /* not a compressor at all: a tensor file of another format */
  {
    const float one = 1;
    LkTensorWrite t = { "x", 1, { 1 }, &one };
    g_assert_true (lk_safetensors_write (cut, &t, 1, NULL, &error));
    g_assert_null (lk_compressor_file_load (cut, NULL, NULL, &error));
    g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
    g_assert_cmpstr (error->message, ==,
                     "cut.safetensors: not a Lookalike compressor (no \"format\": "
                     "\"lookalike-compressor\" in its metadata)");
    g_clear_error (&error);
  }
  g_unlink (path);
  g_unlink (cut);
  g_rmdir (dir);
}

/* a compressed identity holds its upstream's, in its canonical text and its equality; what does
 * not fit is refused */
static void
test_identity_upstream (void)
{
  g_autoptr (LkModelIdentity) compressed = cnn_identity (32);
  g_autoptr (LkModelIdentity) back = NULL, other = NULL;
  g_autofree char *text = NULL, *bad = NULL;
  g_autoptr (GError) error = NULL;

  compressed->backend = LK_BACKEND_COMPRESSED;
  g_free (compressed->model);
  compressed->model = g_strdup ("pca");
  compressed->upstream = cnn_identity (512);
  compressed->upstream->weights_path = g_strdup ("/somewhere/squeezenet.safetensors");
  text = lk_model_identity_to_canonical (compressed);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, ",\"upstream\":{\"backend\":\"cnn\",\"dim\":512,"));
  g_assert_null (strstr (text, "somewhere")); /* paths are hints, not identity */
  back = lk_model_identity_from_canonical (text, &error);
  g_assert_no_error (error);
  g_assert_true (lk_model_identity_equal (back, compressed));
  g_assert_cmpint (back->upstream->dim, ==, 512);

  /* other CNN weights: another identity */
  other = lk_model_identity_copy (compressed);
  g_free (other->upstream->weights_sha256);
  other->upstream->weights_sha256 = g_strnfill (64, 'b');
  g_assert_false (lk_model_identity_equal (other, compressed));

  /* no upstream where one belongs, one where none does, nested twice */
  {
    g_autoptr (LkModelIdentity) cnn = cnn_identity (512);
    g_autoptr (LkModelIdentity) nested = lk_model_identity_copy (compressed);
    const char *cases[3];
    g_autofree char *a = NULL, *b = NULL, *c = NULL;

    lk_model_identity_free (compressed->upstream);
    compressed->upstream = NULL;
    a = lk_model_identity_to_canonical (compressed);
    cnn->upstream = cnn_identity (512);
    b = lk_model_identity_to_canonical (cnn);
    nested->upstream->backend = LK_BACKEND_COMPRESSED;
    nested->upstream->upstream = cnn_identity (512);
    c = lk_model_identity_to_canonical (nested);
    cases[0] = a, cases[1] = b, cases[2] = c;
    for (int i = 0; i < 3; i++)
      {
        g_autoptr (GError) e = NULL;
        g_assert_null (lk_model_identity_from_canonical (cases[i], &e));
        g_assert_error (e, LK_ERROR, LK_ERROR_CORRUPT_INDEX);
        g_assert_cmpstr (e->message, ==, "the model identity's upstream does not fit its backend");
      }
  }
  /* an upstream that takes other photos than the identity says */
  bad = g_strdup (text);
  memcpy (strstr (bad, "\"input_size\":224"), "\"input_size\":225", 16);
  g_assert_null (lk_model_identity_from_canonical (bad, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/compressor/fit-matches-reference", test_fit_matches_reference);
  g_test_add_func ("/engine/compressor/encode-decode", test_encode_decode);
  g_test_add_func ("/engine/compressor/refusals", test_refusals);
  g_test_add_func ("/engine/compressor/file", test_file_round_trip_and_refusals);
  g_test_add_func ("/engine/compressor/identity-upstream", test_identity_upstream);
  return g_test_run ();
}
