/* lk-compress.c: the compressed backend's pipeline: fitting a compressor on a catalog's stored
 * CNN vectors, and making the catalog's codes of them.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Neither decodes a photo: the CNN vectors are in the catalog already (indexing with the
 * compressed backend brings them up to date first, with the upstream embedder, the one thing that
 * reads photos). Fitting reads them all; embedding makes the codes the catalog lacks, in
 * transactions of a batch, as indexing does.
 */
#define G_LOG_DOMAIN "lk-compress"

#include "lk-compressor-file.h"
#include "lk-embedder.h"
#include "lk-indexer.h"
#include "store/lk-catalog-private.h"

#include <math.h>
#include <string.h>

/* codes written per transaction */
#define COMPRESS_BATCH 1024

/* the codes' length when none is asked for */
#define DEFAULT_LATENT 32

/* the MLP compressors' hidden width (tests/bench/eval-compress.py) */
#define MLP_HIDDEN 512

/* LK_COMPRESS_BEST: nbr below this many dimensions, for catalogs of at least BEST_NBR_MIN_ITEMS */
#define BEST_NBR_BELOW     64
#define BEST_NBR_MIN_ITEMS 256

/* quality figures: self-retrieval of this many items at most; precision only up to this many */
#define QUALITY_SELF_MAX 2000
#define QUALITY_EVAL_MAX 20000

typedef struct
{
  const LkCompressParams *params;
} Relay;

static void
relay_progress (const LkCompressorTrainProgress *p, gpointer user_data)
{
  const Relay *relay = user_data;
  LkCompressProgress out = {
    .method = relay->params->method,
    .decoder = p->phase == 2,
    .epoch = p->epoch,
    .epochs = p->epochs,
    .loss = p->loss,
    .score = p->score,
    .best_score = p->best_score,
    .best_epoch = p->best_epoch,
  };

  if (relay->params->progress)
    relay->params->progress (&out, relay->params->user_data);
}

/* each row's label, its folder's name, as lk_search_index_evaluate () has them (the files at the
 * root share one) */
static guint *
folder_labels (const LkCatalogVectors *vectors, guint *n_labels)
{
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint *labels = g_new (guint, MAX (vectors->n, 1));

  for (gsize i = 0; i < vectors->n; i++)
    {
      g_autofree char *parent = g_path_get_dirname (vectors->paths[i]);
      g_autofree char *dir = g_path_get_basename (parent);
      gpointer id;
      if (!g_hash_table_lookup_extended (ids, dir, NULL, &id))
        {
          id = GUINT_TO_POINTER (g_hash_table_size (ids));
          g_hash_table_insert (ids, g_steal_pointer (&dir), id);
        }
      labels[i] = GPOINTER_TO_UINT (id);
    }
  *n_labels = g_hash_table_size (ids);
  return labels;
}

/* The figures of the README's table for the compressor just made: reconstructions of the codes
 * as they will be stored (8-bit codes decoded, at the float code's length), self-retrieval and
 * precision@10 by folder. @x (n, D) prepared, @codes (n, d). */
static void
measure_quality (const LkCompressor *c, const LkCatalogVectors *vectors, const float *x,
                 const float *codes, LkCompressSummary *summary)
{
  int D = c->config.in_dim, d = c->config.latent;
  gsize n = vectors->n, n_self = MIN (n, (gsize) QUALITY_SELF_MAX);
  g_autofree float *stored = g_memdup2 (codes, n * d * sizeof (float));
  g_autofree float *recon = g_new (float, n_self *D);
  g_autofree LkMatch *nearest = g_new (LkMatch, n_self);
  g_autofree gsize *found = g_new (gsize, n_self);
  g_autoptr (LkRanker) ranker = lk_ranker_new (0);
  double cosine = 0, sq = 0;
  gsize self = 0;

  if (c->config.int8)
    {
      g_autofree guint8 *bytes = g_new (guint8, n * d);
      for (gsize i = 0; i < n; i++)
        {
          double len = 0;
          for (int j = 0; j < d; j++)
            len += (double) codes[i * d + j] * codes[i * d + j];
          len = sqrt (len);
          lk_vectors_normalize (stored + i * d, 1, d);
          lk_compressor_quantize (c, bytes + i * d, stored + i * d, 1);
          lk_compressor_dequantize (c, stored + i * d, bytes + i * d, 1);
          for (int j = 0; j < d; j++)
            stored[i * d + j] *= (float) len;
        }
    }
  for (gsize first = 0; first < n; first += COMPRESS_BATCH)
    {
      gsize m = MIN (COMPRESS_BATCH, n - first);
      g_autofree float *back = g_new (float, m *D);
      lk_compressor_decode (c, back, stored + first * d, m);
      for (gsize i = 0; i < m; i++)
        {
          const float *a = back + i * D, *b = x + (first + i) * D;
          double dot = 0, na = 0, nb = 0;
          for (int k = 0; k < D; k++)
            {
              dot += (double) a[k] * b[k];
              na += (double) a[k] * a[k];
              nb += (double) b[k] * b[k];
              sq += ((double) a[k] - b[k]) * ((double) a[k] - b[k]);
            }
          cosine += na > 0 && nb > 0 ? dot / sqrt (na * nb) : 0;
          if (first + i < n_self)
            memcpy (recon + (first + i) * D, a, D * sizeof (float));
        }
    }
  summary->mean_cosine = cosine / MAX (n, 1);
  summary->mse = sq / MAX (n * D, 1);
  lk_vectors_normalize (recon, n_self, D);
  lk_ranker_top_k_many (ranker, x, n, D, recon, n_self, 1, NULL, nearest, found);
  for (gsize i = 0; i < n_self; i++)
    self += found[i] == 1 && nearest[i].index == i;
  summary->self_retrieval = (double) self / MAX (n_self, 1);
  summary->bytes_per_item = d * (c->config.int8 ? 1 : 4);
  summary->cnn_bytes_per_item = D * 4;
  summary->precision_at_10 = summary->cnn_precision_at_10 = NAN;
  if (n > 1 && n <= QUALITY_EVAL_MAX)
    {
      guint n_labels;
      g_autofree guint *labels = folder_labels (vectors, &n_labels);
      g_autoptr (LkEvalResult) ours = NULL, cnn = NULL;
      lk_vectors_normalize (stored, n, d);
      ours = lk_eval_leave_one_out (stored, n, d, labels, n_labels, 10);
      cnn = lk_eval_leave_one_out (x, n, D, labels, n_labels, 10);
      summary->precision_at_10 = ours->precision_at_k;
      summary->cnn_precision_at_10 = cnn->precision_at_k;
    }
}

const char *
lk_compress_method_to_string (LkCompressMethod method)
{
  static const char *const names[] = { "pca", "ae", "nbr", "best" };
  return (guint) method < G_N_ELEMENTS (names) ? names[method] : NULL;
}

LkCompressParams
lk_compress_default_params (void)
{
  LkCompressParams params = {
    .method = LK_COMPRESS_BEST,
    .latent = 0,
    .output = NULL,
    .epochs = 0,
    .seed = 0,
    .int8 = FALSE,
    .n_threads = 0,
    .progress = NULL,
  };
  return params;
}

void
lk_compress_summary_free (LkCompressSummary *summary)
{
  if (!summary)
    return;
  g_free (summary->model_path);
  g_free (summary);
}

static char *
now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
lk_catalog_train_compressor (LkCatalog *catalog, const LkCompressParams *params_in,
                             LkCompressSummary **summary_out, GCancellable *cancellable,
                             GError **error)
{
  LkCompressParams params = params_in ? *params_in : lk_compress_default_params ();
  g_autoptr (LkModelIdentity) upstream = NULL;
  g_autoptr (LkCatalogVectors) vectors = NULL;
  g_autoptr (LkCompressor) compressor = NULL;
  g_autoptr (LkCompressorInfo) info = lk_compressor_info_new ();
  g_autoptr (LkCompressSummary) summary = g_new0 (LkCompressSummary, 1);
  g_autofree float *in_mean = NULL;
  const LkEmbedderClass *klass;
  LkCompressorConfig config;
  gint64 start = g_get_monotonic_time ();
  double total = 0, kept = 0;

  if (!(upstream = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, error)))
    {
      if (error && !*error)
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                     "%s has no CNN vectors to compress: index it with the CNN backend first",
                     lk_catalog_get_name (catalog));
      return FALSE;
    }
  if (!(vectors = lk_catalog_load_vectors (catalog, LK_BACKEND_CNN, error)))
    return FALSE;
  if (vectors->n < 2)
    {
      g_set_error (
        error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
        "%s: a compressor is fitted on at least 2 CNN vectors, and it has %" G_GSIZE_FORMAT,
        lk_catalog_get_name (catalog), vectors->n);
      return FALSE;
    }
  /* by default 32, fewer for a catalog too small to give 32 components */
  if (params.latent == 0)
    params.latent = (int) MIN ((gsize) MIN (DEFAULT_LATENT, upstream->dim), vectors->n - 1);
  if (params.method == LK_COMPRESS_BEST)
    params.method = params.latent < BEST_NBR_BELOW && vectors->n >= BEST_NBR_MIN_ITEMS
                      ? LK_COMPRESS_NBR
                      : LK_COMPRESS_PCA;
  config = (LkCompressorConfig){ (LkCompressorMethod) params.method, upstream->dim, params.latent,
                                 0, params.int8 };
  if (lk_compressor_method_is_mlp (config.method))
    config.hidden = MLP_HIDDEN;
  if (!(compressor = lk_compressor_new (&config, error)))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* centred as a search of the CNN vectors centres them, with the same shrinkage */
  klass = lk_embedder_class_for (LK_BACKEND_CNN);
  in_mean = g_new0 (float, upstream->dim);
  if (klass->post_fit && klass->post_floats (upstream->dim) == (gsize) upstream->dim)
    klass->post_fit (in_mean, vectors->vectors, vectors->n, upstream->dim);
  if (config.method == LK_COMPRESSOR_PCA)
    {
      if (!lk_compressor_fit_pca (compressor, in_mean, vectors->vectors, vectors->n, error))
        return FALSE;
    }
  else
    {
      LkCompressorTrainParams train = lk_compressor_train_default_params (config.method);
      LkCompressorTrainProgress done;
      Relay relay = { &params };
      if (params.epochs)
        train.epochs = params.epochs;
      train.seed = params.seed;
      train.n_threads = params.n_threads;
      if (!lk_compressor_train (compressor, in_mean, vectors->vectors, vectors->n, &train,
                                relay_progress, &relay, &done, cancellable, error))
        {
          if (error && *error && (*error)->domain == LK_ERROR)
            g_prefix_error (error, "%s: ", lk_catalog_get_name (catalog));
          return FALSE;
        }
      summary->epochs = done.epoch;
      summary->best_epoch = done.best_epoch;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* the share of the variance the codes keep: 1 − their reconstructions' error over the prepared
   * vectors' variance (for principal components, the kept components' share of the variance);
   * and for 8-bit codes, the range of each dimension of the unit codes */
  {
    int D = upstream->dim, d = config.latent;
    g_autofree float *x = g_memdup2 (vectors->vectors, vectors->n * D * sizeof (float));
    g_autofree float *codes = g_new (float, vectors->n *d);
    g_autofree float *recon = g_new (float, (gsize) COMPRESS_BATCH *D);
    g_autofree double *mean = g_new0 (double, D);
    double error_sum = 0;
    lk_compressor_prepare (compressor, x, vectors->n);
    for (gsize i = 0; i < vectors->n; i++)
      for (int k = 0; k < D; k++)
        mean[k] += x[i * D + k];
    for (int k = 0; k < D; k++)
      mean[k] /= vectors->n;
    lk_compressor_encode (compressor, codes, x, vectors->n);
    for (gsize first = 0; first < vectors->n; first += COMPRESS_BATCH)
      {
        gsize m = MIN (COMPRESS_BATCH, vectors->n - first);
        lk_compressor_decode (compressor, recon, codes + first * d, m);
        for (gsize i = 0; i < m * D; i++)
          {
            double e = (double) recon[i] - x[first * D + i], v = x[first * D + i] - mean[i % D];
            error_sum += e * e;
            total += v * v;
          }
      }
    kept = total - error_sum;
    if (config.int8)
      {
        g_autofree float *unit = g_memdup2 (codes, vectors->n * d * sizeof (float));
        lk_vectors_normalize (unit, vectors->n, d);
        lk_compressor_fit_quantizer (compressor, unit, vectors->n);
      }
    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    measure_quality (compressor, vectors, x, codes, summary);
  }

  summary->model_path = params.output ? g_strdup (params.output)
                                      : lk_catalog_get_model_path (catalog, LK_BACKEND_COMPRESSED);
  summary->method = params.method;
  summary->in_dim = upstream->dim;
  summary->latent = params.latent;
  summary->n_items = vectors->n;
  summary->retained_variance = total > 0 ? CLAMP (kept / total, 0.0, 1.0) : 1.0;
  summary->int8 = config.int8;
  summary->seconds = (g_get_monotonic_time () - start) / 1e6;

  info->config = config;
  info->upstream = g_steal_pointer (&upstream);
  info->catalog_root = g_strdup (lk_catalog_get_root (catalog));
  info->date = now_iso8601 ();
  info->n_items = vectors->n;
  info->retained_variance = summary->retained_variance;
  info->seconds = summary->seconds;
  if (!lk_compressor_file_save (summary->model_path, compressor, info, error))
    return FALSE;
  if (summary_out)
    *summary_out = g_steal_pointer (&summary);
  return TRUE;
}

gboolean
lk_index_compress (LkCatalog *catalog, LkEmbedder *embedder, LkIndexProgressFunc progress,
                   gpointer user_data, guint *made, GCancellable *cancellable, GError **error)
{
  LkEmbedder *upstream = lk_embedder_get_upstream (embedder);
  const LkModelIdentity *identity = lk_embedder_get_identity (embedder);
  g_autoptr (LkModelIdentity) stored = NULL;
  g_autoptr (LkCatalogVectors) vectors = NULL;
  g_autoptr (GHashTable) items = NULL, embedded = NULL;
  g_autoptr (GArray) todo = NULL; /* rows of vectors without a code */
  g_autofree float *codes = NULL;
  g_autofree guint8 *bytes = NULL;
  gboolean replaced = FALSE;
  int D = lk_embedder_get_dim (upstream), d = lk_embedder_get_dim (embedder);
  gint64 start = g_get_monotonic_time ();
  LkIndexProgress p = { .eta_seconds = -1, .phase = LK_INDEX_EMBEDDING };

  *made = 0;
  /* the catalog's CNN vectors must be those the compressor takes */
  if (!(stored = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, error)))
    {
      if (error && !*error)
        g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                     "%s has no CNN vectors to compress", lk_catalog_get_name (catalog));
      return FALSE;
    }
  if (!lk_model_identity_equal (stored, identity->upstream))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: its CNN vectors are of other weights (%s, sha256 %.12s…) than its "
                   "compressor was fitted on (%s, sha256 %.12s…): train it again "
                   "(lookalike-cli train --backend compressed)",
                   lk_catalog_get_name (catalog), stored->model, stored->weights_sha256,
                   identity->upstream->model, identity->upstream->weights_sha256);
      return FALSE;
    }
  if (!lk_catalog_set_identity (catalog, LK_BACKEND_COMPRESSED, identity, &replaced, error)
      || !lk_catalog_check_vectors (catalog, LK_BACKEND_COMPRESSED, d, error)
      || !(items = lk_catalog_load_items (catalog, error))
      || !(embedded = lk_catalog_load_embedded (catalog, LK_BACKEND_COMPRESSED, error))
      || !(vectors = lk_catalog_load_vectors (catalog, LK_BACKEND_CNN, error)))
    return FALSE;

  todo = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < vectors->n; i++)
    {
      const LkCatalogItem *item = g_hash_table_lookup (items, vectors->paths[i]);
      if (item && !g_hash_table_contains (embedded, &item->id))
        g_array_append_val (todo, i);
    }
  p.total = todo->len;
  codes = g_new (float, (gsize) COMPRESS_BATCH *d);
  if (identity->vector_type == LK_VECTOR_UINT8)
    bytes = g_new (guint8, (gsize) COMPRESS_BATCH * d);
  for (guint first = 0; first < todo->len; first += COMPRESS_BATCH)
    {
      guint n = MIN (COMPRESS_BATCH, todo->len - first);
      g_autofree float *batch = g_new (float, (gsize) n *D);
      double elapsed;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      for (guint j = 0; j < n; j++)
        memcpy (batch + (gsize) j * D,
                vectors->vectors + g_array_index (todo, gsize, first + j) * D, D * sizeof (float));
      lk_embedder_compress (embedder, batch, n, codes);
      if (bytes)
        lk_embedder_quantize (embedder, codes, n, bytes);
      if (!lk_catalog_begin (catalog, error))
        return FALSE;
      for (guint j = 0; j < n; j++)
        {
          const LkCatalogItem *item =
            g_hash_table_lookup (items, vectors->paths[g_array_index (todo, gsize, first + j)]);
          if (bytes ? !lk_catalog_put_code (catalog, LK_BACKEND_COMPRESSED, item->id,
                                            bytes + (gsize) j * d, d, error)
                    : !lk_catalog_put_vector (catalog, LK_BACKEND_COMPRESSED, item->id,
                                              codes + (gsize) j * d, d, error))
            {
              lk_catalog_rollback (catalog);
              return FALSE;
            }
        }
      if (!lk_catalog_commit (catalog, error))
        return FALSE;
      *made += n;
      p.done = first + n;
      elapsed = (g_get_monotonic_time () - start) / 1e6;
      p.images_per_second = elapsed > 0 ? p.done / elapsed : 0;
      p.eta_seconds = p.done ? (p.total - p.done) * elapsed / p.done : -1;
      if (progress)
        progress (&p, user_data);
    }
  return TRUE;
}
