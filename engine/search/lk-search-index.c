/* lk-search-index.c: a catalog's vectors, loaded for searching.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows and queries go through the backend's post-transform (lk-embedder.h: for CNN features,
 * centring on the catalog's mean, see lk-embedder-cnn.c) and are then normalised, so that ranking
 * is a plain cosine top-k.
 *
 * A backend of 8-bit codes (LK_VECTOR_UINT8, the compressed backend's --int8) is kept as its bytes,
 * in the byte scan's layout (lk_ranker_pack_u8), with the compressor's per-dimension offset and scale that
 * decode them (read from its file, which must be the one that made them). A query, a unit float
 * code q, becomes one weight per dimension, q_j · scale_j, rounded to int8 on the largest's scale:
 * the byte scan ranks rows by Σ weight · byte, which differs from q · decoded row by a constant
 * and the rounding. That ranking is a filter: its best CANDIDATES_MIN (or CANDIDATES_PER_K · k)
 * rows are scored again exactly, the cosine of q and the decoded row in double, and ranked by it.
 */
#define G_LOG_DOMAIN "lk-search"

#include "lk-compressor-file.h"
#include "lk-embedder.h"
#include "lookalike.h"
#include "store/lk-catalog-private.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 8-bit codes: the byte scan's best this many rows (at least) are scored again exactly */
#define CANDIDATES_MIN   64
#define CANDIDATES_PER_K 4

struct _LkSearchIndex
{
  gint ref_count;
  LkModelIdentity *identity;
  char *root;
  gsize n;
  int dim;
  float *matrix;                /* (n, dim) post-transformed, unit rows; NULL for 8-bit codes */
  guint8 *codes;                /* 8-bit codes packed for the scan (lk_ranker_pack_u8), else NULL */
  float *q_offset, *q_scale;    /* (dim) what a code's byte stands for */
  const LkEmbedderClass *klass; /* whose post-transform */
  float *post;                  /* its parameters (the CNN's mean), or NULL for none */
  char **rel;                   /* (n) paths relative to the root */
  char **paths;                 /* (n) absolute */
  char **labels;                /* (n) name of each row's folder */
  gint64 *sizes;                /* (n) when indexed */
  gint64 *mtimes;               /* (n) when indexed, ns */
  GHashTable *by_path;          /* relative path → row + 1 */
  LkRanker *ranker;             /* serves one query at a time: */
  GMutex ranker_lock;
};

/* The backend's post-transform, then unit length, in place. */
static void
transform_and_normalise (LkSearchIndex *index, float *v)
{
  int dim = index->dim;
  double sum = 0.0;

  if (index->post)
    index->klass->post_apply (index->post, v, dim);
  for (int j = 0; j < dim; j++)
    sum += (double) v[j] * v[j];
  if (sum > 0.0)
    {
      float scale = (float) (1.0 / sqrt (sum));
      for (int j = 0; j < dim; j++)
        v[j] *= scale;
    }
}

/* The decoder of @index's 8-bit codes: the compressor at the backend's weights path, which must be
 * the file that made them */
static gboolean
load_decoder (LkSearchIndex *index, LkCatalog *catalog, GError **error)
{
  const LkModelIdentity *id = index->identity;
  g_autofree char *sha256 = NULL;
  g_autoptr (LkCompressor) compressor = NULL;
  g_autoptr (GError) local = NULL;

  if (id->weights_path)
    compressor = lk_compressor_file_load (id->weights_path, NULL, &sha256, &local);
  if (!compressor || g_strcmp0 (sha256, id->weights_sha256) != 0 || !compressor->config.int8
      || compressor->config.latent != index->dim)
    {
      g_autofree char *shown =
        id->weights_path ? g_filename_display_name (id->weights_path) : g_strdup ("(none)");
      g_set_error (
        error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
        "%s: its 8-bit codes are decoded by the compressor that made them, %s, which %s: "
        "train it again (lookalike-cli train --backend compressed --int8)",
        lk_catalog_get_name (catalog), shown,
        !compressor ? (local ? local->message : "is not where it was") : "has changed since");
      return FALSE;
    }
  index->q_offset = g_memdup2 (compressor->q_offset, index->dim * sizeof (float));
  index->q_scale = g_memdup2 (compressor->q_scale, index->dim * sizeof (float));
  return TRUE;
}

LkSearchIndex *
lk_catalog_load (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (LkCatalogVectors) vectors = lk_catalog_load_vectors (catalog, backend, error);
  g_autoptr (LkSearchIndex) index = NULL;

  if (!vectors)
    return NULL;
  index = g_new0 (LkSearchIndex, 1);
  index->ref_count = 1;
  if (!(index->identity = lk_catalog_get_identity (catalog, backend, error)))
    return NULL;
  index->root = g_strdup (lk_catalog_get_root (catalog));
  index->n = vectors->n;
  index->dim = vectors->dim;
  index->rel = g_steal_pointer (&vectors->paths);
  index->sizes = g_steal_pointer (&vectors->sizes);
  index->mtimes = g_steal_pointer (&vectors->mtimes_ns);
  index->klass = lk_embedder_class_for (backend);
  if (vectors->codes)
    {
      /* 8-bit codes: packed for the scan, no post-transform (the codes are unit already) */
      if (!load_decoder (index, catalog, error))
        return NULL;
      index->codes = g_try_malloc (MAX (lk_ranker_u8_packed_bytes (index->n, index->dim), 1));
      if (!index->codes)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "%s: not enough memory for %zu codes",
                       lk_catalog_get_name (catalog), index->n);
          return NULL;
        }
      lk_ranker_pack_u8 (index->codes, vectors->codes, index->n, index->dim);
    }
  else
    {
      index->matrix = g_steal_pointer (&vectors->vectors);
      /* the post-transform fitted on every row, then every row transformed and normalised */
      if (index->klass->post_fit)
        {
          index->post = g_new0 (float, index->klass->post_floats (index->dim));
          index->klass->post_fit (index->post, index->matrix, index->n, index->dim);
        }
      for (gsize i = 0; i < index->n; i++)
        transform_and_normalise (index, index->matrix + i * index->dim);
    }

  index->paths = g_new0 (char *, index->n + 1);
  index->labels = g_new0 (char *, index->n + 1);
  index->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < index->n; i++)
    {
      g_autofree char *dir = NULL;
      index->paths[i] = g_build_filename (index->root, index->rel[i], NULL);
      dir = g_path_get_dirname (index->paths[i]);
      index->labels[i] = g_path_get_basename (dir);
      g_hash_table_insert (index->by_path, index->rel[i], GSIZE_TO_POINTER (i + 1));
    }
  index->ranker = lk_ranker_new (0);
  g_mutex_init (&index->ranker_lock);
  return g_steal_pointer (&index);
}

LkSearchIndex *
lk_search_index_ref (LkSearchIndex *index)
{
  g_atomic_int_inc (&index->ref_count);
  return index;
}

void
lk_search_index_unref (LkSearchIndex *index)
{
  if (!index || !g_atomic_int_dec_and_test (&index->ref_count))
    return;
  lk_model_identity_free (index->identity);
  if (index->by_path)
    g_hash_table_unref (index->by_path);
  if (index->ranker)
    {
      lk_ranker_free (index->ranker);
      g_mutex_clear (&index->ranker_lock);
    }
  g_free (index->root);
  g_free (index->matrix);
  g_free (index->codes);
  g_free (index->q_offset);
  g_free (index->q_scale);
  g_free (index->post);
  g_strfreev (index->rel);
  g_strfreev (index->paths);
  g_strfreev (index->labels);
  g_free (index->sizes);
  g_free (index->mtimes);
  g_free (index);
}

gsize
lk_search_index_get_n_items (LkSearchIndex *index)
{
  return index->n;
}

int
lk_search_index_get_dim (LkSearchIndex *index)
{
  return index->dim;
}

gsize
lk_search_index_get_bytes_per_item (LkSearchIndex *index)
{
  return (gsize) index->dim * (index->codes ? 1 : sizeof (float));
}

const LkModelIdentity *
lk_search_index_get_identity (LkSearchIndex *index)
{
  return index->identity;
}

const char *
lk_search_index_get_path (LkSearchIndex *index, gsize row)
{
  return row < index->n ? index->paths[row] : NULL;
}

const char *
lk_search_index_get_label (LkSearchIndex *index, gsize row)
{
  return row < index->n ? index->labels[row] : NULL;
}

gssize
lk_search_index_find (LkSearchIndex *index, const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *real = realpath (absolute, NULL);
  const char *candidates[] = { path, absolute, real };

  for (gsize c = 0; c < G_N_ELEMENTS (candidates); c++)
    {
      const char *p = candidates[c];
      gsize root_len = strlen (index->root);
      gpointer row;
      if (!p)
        continue;
      if (g_path_is_absolute (p))
        {
          /* (a catalog of "/" itself: its root ends in the separator) */
          gsize skip = index->root[root_len - 1] == G_DIR_SEPARATOR ? root_len : root_len + 1;
          if (strncmp (p, index->root, root_len) != 0
              || (skip > root_len && p[root_len] != G_DIR_SEPARATOR))
            continue;
          p += skip;
        }
      if ((row = g_hash_table_lookup (index->by_path, p)))
        return (gssize) GPOINTER_TO_SIZE (row) - 1;
    }
  return -1;
}

gboolean
lk_search_index_is_missing (LkSearchIndex *index, gsize row)
{
  GStatBuf st;

  if (row >= index->n || g_stat (index->paths[row], &st) != 0 || !S_ISREG (st.st_mode))
    return TRUE;
  gint64 mtime_ns =
    (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  return (gint64) st.st_size != index->sizes[row] || mtime_ns != index->mtimes[row];
}

/* row @row's code decoded (dim) */
static void
decode_row (LkSearchIndex *index, gsize row, float *out)
{
  guint8 code[LK_RANKER_U8_MAX_DIM];

  lk_ranker_unpack_u8_row (code, index->codes, row, index->dim);
  for (int j = 0; j < index->dim; j++)
    out[j] = index->q_offset[j] + index->q_scale[j] * code[j];
}

/* the cosine of unit @query and @row's decoded code, in double */
static float
code_cosine (LkSearchIndex *index, gsize row, const float *query)
{
  guint8 code[LK_RANKER_U8_MAX_DIM];
  double dot = 0, norm = 0;

  lk_ranker_unpack_u8_row (code, index->codes, row, index->dim);
  for (int j = 0; j < index->dim; j++)
    {
      double v = index->q_offset[j] + (double) index->q_scale[j] * code[j];
      dot += v * query[j];
      norm += v * v;
    }
  return norm > 0 ? (float) (dot / sqrt (norm)) : 0.0f;
}

static int
compare_ranked (gconstpointer a, gconstpointer b)
{
  const LkMatch *x = a, *y = b;
  if (x->cosine != y->cosine)
    return x->cosine > y->cosine ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* 8-bit codes: the byte scan's candidates, scored again exactly (the ranker's lock held) */
static gsize
rank_codes (LkSearchIndex *index, const float *query, gsize k, gssize exclude, LkMatch *out)
{
  g_autofree gint8 *weights = g_new0 (gint8, (index->dim + 3) / 4 * 4);
  g_autofree float *w = g_new (float, index->dim);
  gsize want = MIN (MAX (CANDIDATES_MIN, CANDIDATES_PER_K * k), index->n), found;
  g_autofree LkMatch *candidates = g_new (LkMatch, MAX (want, 1));
  float largest = 0;

  for (int j = 0; j < index->dim; j++)
    {
      w[j] = query[j] * index->q_scale[j];
      largest = MAX (largest, fabsf (w[j]));
    }
  for (int j = 0; j < index->dim && largest > 0; j++)
    weights[j] = (gint8) lrintf (w[j] * 127.0f / largest);
  found = lk_ranker_top_k_u8 (index->ranker, index->codes, index->n, index->dim, weights, want,
                              exclude, candidates);
  for (gsize i = 0; i < found; i++)
    {
      float c = code_cosine (index, candidates[i].index, query);
      candidates[i].cosine = isnan (c) ? -1.0f : c;
    }
  qsort (candidates, found, sizeof *candidates, compare_ranked);
  found = MIN (found, k);
  memcpy (out, candidates, found * sizeof *out);
  return found;
}

static gsize
rank (LkSearchIndex *index, const float *query, gsize k, gssize exclude, LkMatch *out)
{
  gsize found;

  g_mutex_lock (&index->ranker_lock);
  if (index->codes)
    found = rank_codes (index, query, k, exclude, out);
  else
    found =
      lk_ranker_top_k (index->ranker, index->matrix, index->n, index->dim, query, k, exclude, out);
  g_mutex_unlock (&index->ranker_lock);
  return found;
}

gsize
lk_search_index_query (LkSearchIndex *index, const float *vector, gsize k, gssize exclude,
                       LkMatch *out)
{
  g_autofree float *q = g_memdup2 (vector, sizeof (float) * index->dim);

  transform_and_normalise (index, q);
  return rank (index, q, k, exclude, out);
}

gsize
lk_search_index_query_row (LkSearchIndex *index, gsize row, gsize k, gboolean exclude_self,
                           LkMatch *out)
{
  g_autofree float *q = NULL;

  if (row >= index->n)
    return 0;
  if (!index->codes)
    return rank (index, index->matrix + row * index->dim, k, exclude_self ? (gssize) row : -1, out);
  q = g_new (float, index->dim);
  decode_row (index, row, q);
  lk_vectors_normalize (q, 1, index->dim);
  return rank (index, q, k, exclude_self ? (gssize) row : -1, out);
}

LkEvalResult *
lk_search_index_evaluate (LkSearchIndex *index, gsize k)
{
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint *labels = g_new (guint, MAX (index->n, 1));

  for (gsize i = 0; i < index->n; i++)
    {
      gpointer id;
      if (!g_hash_table_lookup_extended (ids, index->labels[i], NULL, &id))
        {
          id = GUINT_TO_POINTER (g_hash_table_size (ids));
          g_hash_table_insert (ids, index->labels[i], id);
        }
      labels[i] = GPOINTER_TO_UINT (id);
    }
  if (index->codes)
    {
      /* 8-bit codes: ranked by the exact cosine of the decoded codes, which the byte scan's
       * candidates are scored by */
      g_autofree float *decoded = g_new (float, MAX (index->n, 1) * index->dim);
      for (gsize i = 0; i < index->n; i++)
        decode_row (index, i, decoded + i * index->dim);
      lk_vectors_normalize (decoded, index->n, index->dim);
      return lk_eval_leave_one_out (decoded, index->n, index->dim, labels, g_hash_table_size (ids),
                                    k);
    }
  return lk_eval_leave_one_out (index->matrix, index->n, index->dim, labels,
                                g_hash_table_size (ids), k);
}
