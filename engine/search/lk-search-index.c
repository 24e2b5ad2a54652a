/* lk-search-index.c: a catalog's vectors, loaded for searching.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows and queries go through the backend's post-transform (lk-embedder.h: for CNN features,
 * centring on the catalog's mean, see lk-embedder-cnn.c) and are then normalised, so that ranking
 * is a plain cosine top-k.
 */
#define G_LOG_DOMAIN "lk-search"

#include "lk-embedder.h"
#include "lookalike.h"
#include "store/lk-catalog-private.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _LkSearchIndex
{
  gint ref_count;
  LkModelIdentity *identity;
  char *root;
  gsize n;
  int dim;
  float *matrix;                /* (n, dim) post-transformed, unit rows */
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
  index->matrix = g_steal_pointer (&vectors->vectors);
  index->rel = g_steal_pointer (&vectors->paths);
  index->sizes = g_steal_pointer (&vectors->sizes);
  index->mtimes = g_steal_pointer (&vectors->mtimes_ns);

  /* the post-transform fitted on every row, then every row transformed and normalised */
  index->klass = lk_embedder_class_for (backend);
  if (index->klass->post_fit)
    {
      index->post = g_new0 (float, index->klass->post_floats (index->dim));
      index->klass->post_fit (index->post, index->matrix, index->n, index->dim);
    }
  for (gsize i = 0; i < index->n; i++)
    transform_and_normalise (index, index->matrix + i * index->dim);

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

static gsize
rank (LkSearchIndex *index, const float *query, gsize k, gssize exclude, LkMatch *out)
{
  gsize found;

  g_mutex_lock (&index->ranker_lock);
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
  if (row >= index->n)
    return 0;
  return rank (index, index->matrix + row * index->dim, k, exclude_self ? (gssize) row : -1, out);
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
  return lk_eval_leave_one_out (index->matrix, index->n, index->dim, labels,
                                g_hash_table_size (ids), k);
}
