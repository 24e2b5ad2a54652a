/* lk-session-search.c: searching the open catalog with the current backend.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each search runs in a GTask worker; so does a comparison, every backend the catalog has in turn. A catalog image is ranked by its stored vector; any other
 * picture is decoded and embedded the way the index's vectors were made, by an embedder kept per
 * backend while the catalog's vectors stay the same.
 */
#define G_LOG_DOMAIN "lk-session"

#include "config.h"

#include "lk-session-private.h"

#include "lk-result.h"
#include "lk-thumbnailer.h"

#include <glib/gi18n.h>

typedef struct
{
  LkSession *session;
  LkSearchIndex *index;
  LkQuery *query;
  char *catalog_name; /* for messages */
  guint k;
  LkBands bands;
} SearchJob;

static void
search_job_free (SearchJob *job)
{
  g_object_unref (job->session);
  lk_search_index_unref (job->index);
  lk_query_unref (job->query);
  g_free (job->catalog_name);
  g_free (job);
}

/* The CNN features' embedder, made of the session's model: the weights chosen in Preferences
 * must be those that made the catalog's vectors. */
static LkEmbedder *
new_cnn_embedder (LkSession *self, const LkModelIdentity *identity, GError **error)
{
  if (!self->model
      || g_strcmp0 (lk_model_get_weights_sha256 (self->model), identity->weights_sha256) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   _ ("The catalog was indexed with other network weights; search again when "
                      "indexing is done"));
      return NULL;
    }
  if (lk_model_get_dim (self->model) != identity->dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   _ ("The catalog is damaged: vectors of dimension %d where %s makes %d"),
                   identity->dim, lk_model_get_name (self->model), lk_model_get_dim (self->model));
      return NULL;
    }
  return lk_embedder_new_cnn (self->model, identity->input_size, identity->preprocess, error);
}

/* The embedder that makes @identity's vectors: kept while the catalog's vectors stay the same.
 * The CNN features are made of the session's model; every other backend of what its identity
 * names (a conv-ae model beside the catalog). Called under model_lock. */
LkEmbedder *
lk_session_embedder_for (LkSession *self, const LkModelIdentity *identity, const char *catalog_name,
                         GError **error)
{
  LkBackend b = identity->backend;

  if (self->embedder[b]
      && lk_model_identity_equal (lk_embedder_get_identity (self->embedder[b]), identity))
    return self->embedder[b];
  g_clear_pointer (&self->embed_state[b], lk_embedder_state_free);
  g_clear_pointer (&self->embedder[b], lk_embedder_unref);
  if (b == LK_BACKEND_CNN)
    self->embedder[b] = new_cnn_embedder (self, identity, error);
  else
    self->embedder[b] = lk_embedder_new_for_identity (identity, NULL, catalog_name, error);
  return self->embedder[b];
}

/* The raw vector of the query picture, made as the index's vectors were. */
static float *
embed (LkSession *self, const LkModelIdentity *identity, LkQuery *query, const char *catalog_name,
       GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->model_lock);
  LkEmbedder *embedder = lk_session_embedder_for (self, identity, catalog_name, error);
  LkEmbedderState **state = &self->embed_state[identity->backend];
  g_autoptr (LkImage) image = NULL;
  g_autofree float *vector = NULL;
  const char *path = lk_query_get_path (query);

  if (!embedder)
    return NULL;
  if (lk_query_get_texture (query))
    image = lk_image_new_from_texture (lk_query_get_texture (query), lk_query_get_name (query),
                                       error); /* refused from its size first */
  else if (lk_query_get_bytes (query))
    /* a dropped or pasted picture decodes as a file does: the decoder refuses one over its pixel
     * limit from the header, before allocating anything */
    image = lk_image_decode_bytes (lk_query_get_bytes (query), lk_query_get_name (query),
                                   lk_embedder_get_decode_params (embedder), error);
  else
    image = lk_image_decode_file (path, lk_embedder_get_decode_params (embedder), error);
  if (!image)
    return NULL;
  if (!*state && !(*state = lk_embedder_state_new (embedder, 0, 1, error)))
    return NULL;
  vector = g_new (float, lk_embedder_get_dim (embedder));
  if (!lk_embedder_embed_image (*state, image, vector, error))
    return NULL;
  return g_steal_pointer (&vector);
}

/* @index against @query: a GListStore of LkResult, or NULL with @error; the two phases' times */
static GListStore *
rank_query (LkSession *session, LkSearchIndex *index, LkQuery *query, const char *catalog_name,
            guint k, const LkBands *bands, double *embed_ms, double *search_ms, GError **error)
{
  const LkModelIdentity *identity = lk_search_index_get_identity (index);
  g_autofree LkMatch *matches = g_new (LkMatch, MAX (k, 1));
  GListStore *store = g_list_store_new (LK_TYPE_RESULT);
  const char *path = lk_query_get_path (query);
  gssize row = path ? lk_search_index_find (index, path) : -1;
  gint64 start = g_get_monotonic_time ();
  gsize found;

  *embed_ms = 0;
  if (row >= 0 && !lk_search_index_is_missing (index, (gsize) row))
    found = lk_search_index_query_row (index, (gsize) row, k, TRUE, matches);
  else
    {
      g_autofree float *vector = embed (session, identity, query, catalog_name, error);
      if (!vector)
        {
          g_object_unref (store);
          return NULL;
        }
      *embed_ms = (g_get_monotonic_time () - start) / 1e3;
      start = g_get_monotonic_time ();
      found = lk_search_index_query (index, vector, k, -1, matches);
    }
  *search_ms = (g_get_monotonic_time () - start) / 1e3;

  for (gsize r = 0; r < found; r++)
    {
      int percent = lk_score_percent (matches[r].cosine);
      g_autoptr (LkResult) result = lk_result_new (
        (guint) r + 1, lk_search_index_get_path (index, matches[r].index), matches[r].cosine,
        percent, lk_band_to_string (lk_score_band (percent, bands)),
        lk_search_index_is_missing (index, matches[r].index));
      g_list_store_append (store, result);
    }
  return store;
}

static void
search_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SearchJob *job = data;
  g_autoptr (GError) error = NULL;
  double embed_ms, search_ms;
  GListStore *store = rank_query (job->session, job->index, job->query, job->catalog_name, job->k,
                                  &job->bands, &embed_ms, &search_ms, &error);

  if (!store)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (store);
      return;
    }
  g_task_return_pointer (task, store, g_object_unref);
}

void
lk_session_search_async (LkSession *self, LkQuery *query, guint k, const LkBands *bands,
                         GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  SearchJob *job;

  g_task_set_source_tag (task, lk_session_search_async);
  if (!self->index[self->backend])
    {
      g_task_return_new_error (task, LK_ERROR, LK_ERROR_FAILED,
                               _ ("There is nothing to search yet"));
      return;
    }
  job = g_new0 (SearchJob, 1);
  job->session = g_object_ref (self);
  job->index = lk_search_index_ref (self->index[self->backend]);
  job->query = lk_query_ref (query);
  job->catalog_name = g_filename_display_basename (self->catalog_path);
  job->k = MAX (k, 1);
  job->bands = bands ? *bands : lk_bands_default ();
  g_task_set_task_data (task, job, (GDestroyNotify) search_job_free);
  g_task_run_in_thread (task, search_worker);
}

GListModel *
lk_session_search_finish (LkSession *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------------------------------------- */
/* Comparing backends                                                                              */
/* ---------------------------------------------------------------------------------------------- */

void
lk_comparison_free (LkComparison *comparison)
{
  if (!comparison)
    return;
  g_clear_object (&comparison->results);
  g_free (comparison->error);
  g_free (comparison);
}

typedef struct
{
  LkSession *session;
  LkSearchIndex *index[LK_N_BACKENDS]; /* those the catalog has */
  LkQuery *query;
  char *catalog_name;
  guint k;
  LkBands bands;
} CompareJob;

static void
compare_job_free (CompareJob *job)
{
  g_object_unref (job->session);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    g_clear_pointer (&job->index[b], lk_search_index_unref);
  lk_query_unref (job->query);
  g_free (job->catalog_name);
  g_free (job);
}

static void
compare_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  CompareJob *job = data;
  g_autoptr (GPtrArray) columns =
    g_ptr_array_new_with_free_func ((GDestroyNotify) lk_comparison_free);

  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      LkComparison *c;
      g_autoptr (GError) error = NULL;
      if (!job->index[b])
        continue;
      if (g_task_return_error_if_cancelled (task))
        return;
      c = g_new0 (LkComparison, 1);
      c->backend = (LkBackend) b;
      c->dim = lk_search_index_get_dim (job->index[b]);
      c->n_items = lk_search_index_get_n_items (job->index[b]);
      c->bytes_per_item = lk_search_index_get_bytes_per_item (job->index[b]);
      c->results =
        (GListModel *) rank_query (job->session, job->index[b], job->query, job->catalog_name,
                                   job->k, &job->bands, &c->embed_ms, &c->search_ms, &error);
      if (!c->results)
        c->error = g_strdup (error->message);
      g_ptr_array_add (columns, c);
    }
  g_task_return_pointer (task, g_steal_pointer (&columns), (GDestroyNotify) g_ptr_array_unref);
}

void
lk_session_compare_async (LkSession *self, LkQuery *query, guint k, const LkBands *bands,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  CompareJob *job = g_new0 (CompareJob, 1);

  g_task_set_source_tag (task, lk_session_compare_async);
  job->session = g_object_ref (self);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    if (self->index[b])
      job->index[b] = lk_search_index_ref (self->index[b]);
  job->query = lk_query_ref (query);
  job->catalog_name = g_filename_display_basename (self->catalog_path);
  job->k = MAX (k, 1);
  job->bands = bands ? *bands : lk_bands_default ();
  g_task_set_task_data (task, job, (GDestroyNotify) compare_job_free);
  g_task_run_in_thread (task, compare_worker);
}

GPtrArray *
lk_session_compare_finish (LkSession *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
