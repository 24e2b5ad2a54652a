/* lk-session.c: the open catalog, as the window uses it: its state, opening and indexing.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything slow runs in GTask workers: opening and indexing in one (its own catalog handle;
 * SQLite's WAL lets the search handle read meanwhile; the indexing itself on a lower-priority
 * thread, see lk_session_run_below), building a backend in another (lk-session-build.c), each
 * search in another (lk-session-search.c). A run's progress goes through its LkJob, which
 * coalesces the engine's reports into one pending idle; the session follows the current job only.
 * A generation number, bumped by every open and close, lets results of superseded work be
 * dropped.
 *
 * Backends: the CNN features are made of the session's model (the weights chosen in Preferences,
 * or the installed ones), and indexed whenever a catalog opens; the catalog opens without them
 * too, the CNN backend then saying why it cannot be used. Every other backend whose vectors the
 * catalog has is searched with the embedder its stored identity names (a conv-ae model beside the
 * catalog), and brought up to date with it when the catalog opens.
 */
#define G_LOG_DOMAIN "lk-session"

#include "config.h"

#include "lk-session-private.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/resource.h>
#include <unistd.h>

G_DEFINE_FINAL_TYPE (LkSession, lk_session, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_ROOT,
  PROP_PROGRESS,
  PROP_PROGRESS_TEXT,
  PROP_ERROR,
  PROP_BACKEND,
  PROP_SEARCHABLE,
  PROP_N_ITEMS,
  N_PROPS
};

enum
{
  INDEXING_FINISHED,
  READ_ONLY,
  BUILD_FINISHED,
  RETRAIN_FINISHED,
  BACKENDS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

void
lk_session_set_state (LkSession *self, LkSessionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
lk_session_set_index (LkSession *self, LkBackend backend, LkSearchIndex *index)
{
  gboolean was = lk_session_get_searchable (self);
  guint n = lk_session_get_n_items (self);

  if (self->index[backend] == index)
    return;
  g_clear_pointer (&self->index[backend], lk_search_index_unref);
  self->index[backend] = index ? lk_search_index_ref (index) : NULL;
  g_signal_emit (self, signals[BACKENDS_CHANGED], 0);
  if (was != lk_session_get_searchable (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHABLE]);
  if (n != lk_session_get_n_items (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

void
lk_session_set_embedder (LkSession *self, LkBackend backend, LkEmbedder *embedder)
{
  g_mutex_lock (&self->model_lock);
  if (self->embedder[backend] != embedder)
    {
      g_clear_pointer (&self->embed_state[backend], lk_embedder_state_free);
      g_clear_pointer (&self->embedder[backend], lk_embedder_unref);
      self->embedder[backend] = embedder ? lk_embedder_ref (embedder) : NULL;
    }
  g_mutex_unlock (&self->model_lock);
}

void
lk_session_set_progress (LkSession *self, double progress, const char *text)
{
  if (self->progress != progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
  if (g_strcmp0 (self->progress_text, text) != 0)
    {
      g_free (self->progress_text);
      self->progress_text = g_strdup (text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS_TEXT]);
    }
}

static void
job_progress_cb (LkSession *self)
{
  if (self->state == LK_SESSION_INDEXING || self->state == LK_SESSION_BUILDING)
    lk_session_set_progress (self, lk_job_get_fraction (self->job), lk_job_get_text (self->job));
}

LkJob *
lk_session_begin_job (LkSession *self)
{
  lk_session_end_job (self, TRUE);
  self->job = lk_job_new ();
  g_signal_connect_object (self->job, "notify", G_CALLBACK (job_progress_cb), self,
                           G_CONNECT_SWAPPED);
  return self->job;
}

void
lk_session_end_job (LkSession *self, gboolean cancel)
{
  if (!self->job)
    return;
  if (cancel)
    lk_job_cancel (self->job);
  g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

typedef struct
{
  GThreadFunc func;
  gpointer data;
} Below;

static gpointer
below_thread (gpointer data)
{
  Below *below = data;

  if (setpriority (PRIO_PROCESS, (id_t) gettid (), 10) != 0)
    g_debug ("could not lower the priority of a worker thread: %s", g_strerror (errno));
  return below->func (below->data);
}

void
lk_session_run_below (const char *name, GThreadFunc func, gpointer data)
{
  Below below = { func, data };

  g_thread_join (g_thread_new (name, below_thread, &below));
}

static void
lk_session_dispose (GObject *object)
{
  LkSession *self = LK_SESSION (object);

  lk_session_close (self);
  G_OBJECT_CLASS (lk_session_parent_class)->dispose (object);
}

static void
lk_session_finalize (GObject *object)
{
  LkSession *self = LK_SESSION (object);

  g_free (self->weights);
  g_free (self->progress_text);
  g_mutex_lock (&self->model_lock);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_clear_pointer (&self->embed_state[b], lk_embedder_state_free);
      g_clear_pointer (&self->embedder[b], lk_embedder_unref);
    }
  g_clear_pointer (&self->model, lk_model_unref);
  g_mutex_unlock (&self->model_lock);
  g_mutex_clear (&self->model_lock);
  G_OBJECT_CLASS (lk_session_parent_class)->finalize (object);
}

static void
lk_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkSession *self = LK_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_PROGRESS_TEXT:
      g_value_set_string (value, self->progress_text);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_BACKEND:
      g_value_set_int (value, self->backend);
      break;
    case PROP_SEARCHABLE:
      g_value_set_boolean (value, lk_session_get_searchable (self));
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, lk_session_get_n_items (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_session_class_init (LkSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lk_session_dispose;
  object_class->finalize = lk_session_finalize;
  object_class->get_property = lk_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, LK_SESSION_EMPTY, LK_SESSION_FAILED, LK_SESSION_EMPTY,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOT] =
    g_param_spec_string ("root", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0, 1, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS_TEXT] = g_param_spec_string ("progress-text", NULL, NULL, NULL,
                                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKEND] = g_param_spec_int ("backend", NULL, NULL, 0, LK_N_BACKENDS - 1, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCHABLE] = g_param_spec_boolean ("searchable", NULL, NULL, FALSE,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (guint failed, const char *summary, gboolean cancelled): the summary line names the files
   * that cannot be read */
  signals[INDEXING_FINISHED] =
    g_signal_new ("indexing-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_BOOLEAN);
  /* (const char *why): the catalog cannot be written, so it was opened as it is, unindexed */
  signals[READ_ONLY] = g_signal_new ("read-only", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* (int backend, gboolean built, gboolean cancelled, guint failed, const char *summary,
   * const char *error): @built when the backend's model is in place (then cancelled means its
   * embedding stopped, keeping what was committed; before, that nothing was kept); @error
   * (nullable) why it failed; @summary names the photos that cannot be read */
  signals[BUILD_FINISHED] =
    g_signal_new ("build-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 6, G_TYPE_INT, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN, G_TYPE_UINT,
                  G_TYPE_STRING, G_TYPE_STRING);
  /* A retraining ended (see lk_session_retrain ()): finished, discarded or failed; the
   * LkTraining says how. */
  /* which backends have vectors, and how many, changed (lk_session_describe_backend ()) */
  signals[BACKENDS_CHANGED] = g_signal_new ("backends-changed", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[RETRAIN_FINISHED] =
    g_signal_new ("retrain-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, LK_TYPE_TRAINING);
}

static void
lk_session_init (LkSession *self)
{
  g_mutex_init (&self->model_lock);
}

LkSession *
lk_session_new (void)
{
  return g_object_new (LK_TYPE_SESSION, NULL);
}

void
lk_session_set_weights (LkSession *self, const char *path)
{
  g_free (self->weights);
  self->weights = path && *path ? g_strdup (path) : NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Opening and indexing                                                                            */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  LkSession *session; /* strong reference */
  LkJob *job;         /* strong reference */
  guint generation;
  char *root;
  char *catalog_path;
  char *weights;
  LkModel *model;                      /* the session's, or loaded here; NULL: no CNN weights */
  char *cnn_error;                     /* why there is no model */
  LkEmbedder *embedder[LK_N_BACKENDS]; /* of the other backends built before, from identities */
  LkSearchIndex *index[LK_N_BACKENDS]; /* the result */
  LkIndexSummary *summary;             /* the result: of the first backend indexed */
  gboolean cancelled;
  char *read_only; /* why the catalog could not be written, when it was opened read-only */
} OpenJob;

static void
open_job_free (OpenJob *job)
{
  g_object_unref (job->session);
  g_object_unref (job->job);
  g_free (job->root);
  g_free (job->catalog_path);
  g_free (job->weights);
  g_clear_pointer (&job->model, lk_model_unref);
  g_free (job->cnn_error);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_clear_pointer (&job->embedder[b], lk_embedder_unref);
      g_clear_pointer (&job->index[b], lk_search_index_unref);
    }
  g_clear_pointer (&job->summary, lk_index_summary_free);
  g_free (job->read_only);
  g_free (job);
}

typedef struct
{
  LkSession *session;
  guint generation;
  LkBackend backend;
  LkSearchIndex *index;
  LkEmbedder *embedder; /* (nullable) */
} EarlyIndex;

static gboolean
early_index_idle (gpointer data)
{
  EarlyIndex *early = data;

  if (early->generation == early->session->generation)
    {
      if (early->embedder)
        lk_session_set_embedder (early->session, early->backend, early->embedder);
      lk_session_set_index (early->session, early->backend, early->index);
    }
  g_object_unref (early->session);
  lk_search_index_unref (early->index);
  g_clear_pointer (&early->embedder, lk_embedder_unref);
  g_free (early);
  return G_SOURCE_REMOVE;
}

/* What was indexed before is searchable at once, while the run brings it up to date. */
static void
post_early_index (OpenJob *job, LkBackend backend, LkSearchIndex *index)
{
  EarlyIndex *early = g_new (EarlyIndex, 1);

  early->session = g_object_ref (job->session);
  early->generation = job->generation;
  early->backend = backend;
  early->index = index;
  early->embedder = job->embedder[backend] ? lk_embedder_ref (job->embedder[backend]) : NULL;
  g_idle_add (early_index_idle, early);
}

/* The CNN weights, or why there are none: the catalog opens either way. */
static void
load_model (OpenJob *job)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *weights =
    job->weights ? g_strdup (job->weights) : lk_model_find_default_weights ();

  if (!weights)
    job->cnn_error = g_strdup (_ ("No network weights are installed. Run "
                                  "models/download-weights.sh, or choose a weights file in "
                                  "Preferences."));
  else if (!(job->model = lk_model_new_from_file (weights, &error)))
    job->cnn_error = g_strdup (error->message);
}

/* The embedders of the backends other than the CNN features (which are made of the session's
 * model) that the catalog has vectors of, made from their identities: a model that is no longer
 * there, or that this version cannot run, leaves its backend unbuilt. */
static void
load_built_embedders (OpenJob *job, LkCatalog *catalog)
{
  g_autofree char *name = g_filename_display_basename (job->catalog_path);

  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (LkModelIdentity) identity = NULL;

      if (b == LK_BACKEND_CNN)
        continue;
      if (!(identity = lk_catalog_get_identity (catalog, b, &error)))
        {
          if (error)
            g_debug ("%s: %s", name, error->message);
          continue;
        }
      if (!(job->embedder[b] = lk_embedder_new_for_identity (identity, NULL, name, &error)))
        g_debug ("%s: the %s vectors cannot be searched: %s", name, lk_backend_to_string (b),
                 error->message);
    }
}

/* The search indexes of every backend that can be searched: after a cancel, what was committed;
 * a backend with nothing indexed has nothing to load. */
static gboolean
load_indexes (OpenJob *job, LkCatalog *catalog, GError **error)
{
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (LkModelIdentity) identity = NULL;

      g_clear_pointer (&job->index[b], lk_search_index_unref);
      if (b == LK_BACKEND_CNN ? !job->model : !job->embedder[b])
        continue;
      identity = lk_catalog_get_identity (catalog, b, &local);
      if (identity)
        job->index[b] = lk_catalog_load (catalog, b, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  LkCatalog *catalog;
  LkEmbedder *embedder;
  LkJob *job;
  LkIndexSummary **summary;
  GError *error;
  gboolean ok;
} IndexRun;

static gpointer
index_thread (gpointer data)
{
  IndexRun *run = data;
  LkIndexParams params = lk_index_default_params ();

  run->ok =
    lk_catalog_index (run->catalog, run->embedder, &params, lk_job_index_progress_cb, run->job,
                      run->summary, lk_job_get_cancellable (run->job), &run->error);
  return NULL;
}

gboolean
lk_session_index_below (LkCatalog *catalog, LkEmbedder *embedder, LkJob *job,
                        LkIndexSummary **summary, GError **error)
{
  IndexRun run = { catalog, embedder, job, summary, NULL, FALSE };

  lk_session_run_below ("lk-indexer", index_thread, &run);
  if (!run.ok)
    g_propagate_error (error, run.error);
  return run.ok;
}

static void
open_read_only (GTask *task, OpenJob *job)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open_read_only (job->catalog_path, &error);
  g_autofree char *root = NULL;

  if (!catalog)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  root = realpath (job->root, NULL);
  if (g_strcmp0 (root ? root : job->root, lk_catalog_get_root (catalog)) != 0)
    {
      g_autofree char *name = g_filename_display_basename (job->catalog_path);
      g_autofree char *shown = g_filename_display_name (job->root);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _ ("%s does not index %s"), name, shown);
      return;
    }
  /* a catalog with nothing indexed yet has nothing to load: an empty catalog, not an error; a
   * damaged one is */
  load_built_embedders (job, catalog);
  if (!load_indexes (job, catalog, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
open_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  OpenJob *job = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = NULL;
  g_autoptr (LkModelIdentity) stored = NULL;
  int runs = 0, run = 0;

  if (!job->model)
    load_model (job);
  if (!(catalog = lk_catalog_open (job->catalog_path, job->root, &error)))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* on read-only media, or another user's: searchable as it is, not brought up to date */
      job->read_only = g_strdup (error->message);
      open_read_only (task, job);
      return;
    }

  /* what was indexed before is searchable at once, while this run brings it up to date */
  stored = job->model ? lk_catalog_get_identity (catalog, LK_BACKEND_CNN, NULL) : NULL;
  if (stored && g_strcmp0 (stored->weights_sha256, lk_model_get_weights_sha256 (job->model)) == 0)
    {
      LkSearchIndex *index = lk_catalog_load (catalog, LK_BACKEND_CNN, NULL);
      if (index)
        post_early_index (job, LK_BACKEND_CNN, index);
    }
  load_built_embedders (job, catalog);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    if (job->embedder[b])
      {
        LkSearchIndex *index = lk_catalog_load (catalog, b, NULL);
        if (index)
          post_early_index (job, b, index);
      }

  /* the writer's lock, then what the catalog was made with: another process may be making it */
  if (!lk_catalog_lock_for_writing (catalog, lk_job_index_progress_cb, job->job, cancellable,
                                    &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      job->cancelled = TRUE; /* stopped while waiting: what is there is searchable */
      g_clear_error (&error);
      if (!load_indexes (job, catalog, &error))
        g_debug ("%s", error->message);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* the CNN features, then every other backend built before: one share of the bar each */
  runs = job->model ? 1 : 0;
  for (int b = 0; b < LK_N_BACKENDS; b++)
    runs += job->embedder[b] != NULL;
  if (job->model)
    {
      g_autoptr (LkEmbedder) embedder = NULL;
      g_clear_pointer (&stored, lk_model_identity_free);
      stored = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, NULL);
      embedder = lk_embedder_new_cnn (job->model, stored ? stored->input_size : 224,
                                      stored ? stored->preprocess : LK_PREPROCESS_DEFAULT, &error);
      if (!embedder)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      lk_job_begin_stage (job->job, 0.0, 1.0 / runs, NULL);
      if (!lk_session_index_below (catalog, embedder, job->job, &job->summary, &error))
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }
          job->cancelled = TRUE;
          g_clear_error (&error);
        }
      run++;
    }
  for (int b = 0; b < LK_N_BACKENDS && !job->cancelled; b++)
    {
      g_autoptr (LkIndexSummary) summary = NULL;

      if (!job->embedder[b])
        continue;
      lk_job_begin_stage (job->job, (double) run / runs, (double) (run + 1) / runs,
                          _ ("Embedding…"));
      if (!lk_session_index_below (catalog, job->embedder[b], job->job, &summary, &error))
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }
          job->cancelled = TRUE;
          g_clear_error (&error);
        }
      if (!job->summary)
        job->summary = g_steal_pointer (&summary);
      run++;
    }
  /* after a cancel, what was committed */
  if (!load_indexes (job, catalog, &error))
    g_debug ("%s", error->message);
  g_task_return_boolean (task, TRUE);
}

static void
open_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LkSession *self = LK_SESSION (source);
  OpenJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (job->generation != self->generation)
    return; /* superseded by another open or a close */
  lk_session_end_job (self, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      lk_session_set_progress (self, 0.0, NULL);
      lk_session_set_state (self, LK_SESSION_FAILED);
      return;
    }

  g_mutex_lock (&self->model_lock);
  if (job->model && self->model != job->model)
    {
      g_clear_pointer (&self->embed_state[LK_BACKEND_CNN], lk_embedder_state_free);
      g_clear_pointer (&self->embedder[LK_BACKEND_CNN], lk_embedder_unref);
      g_clear_pointer (&self->model, lk_model_unref);
      self->model = lk_model_ref (job->model);
    }
  g_mutex_unlock (&self->model_lock);
  g_free (self->backend_error[LK_BACKEND_CNN]);
  self->backend_error[LK_BACKEND_CNN] = g_strdup (job->cnn_error);
  self->read_only = job->read_only != NULL;
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      if (job->embedder[b])
        lk_session_set_embedder (self, b, job->embedder[b]);
      lk_session_set_index (self, b, job->index[b]);
    }
  lk_session_set_progress (self, 1.0, NULL);
  lk_session_set_state (self, LK_SESSION_READY);

  if (job->read_only)
    g_signal_emit (self, signals[READ_ONLY], 0, job->read_only);
  {
    g_autofree char *line = job->summary ? lk_index_summary_to_string (job->summary, 3) : NULL;
    guint failed = job->summary ? job->summary->failures->len : 0;
    g_signal_emit (self, signals[INDEXING_FINISHED], 0, failed, line, job->cancelled);
  }
}

void
lk_session_open (LkSession *self, const char *folder, const char *catalog_path)
{
  g_autoptr (GTask) task = NULL;
  OpenJob *job;

  lk_session_close (self);
  self->root = g_canonicalize_filename (folder, NULL);
  self->catalog_path =
    catalog_path ? g_strdup (catalog_path) : lk_catalog_default_path (self->root);

  job = g_new0 (OpenJob, 1);
  job->session = g_object_ref (self);
  job->job = g_object_ref (lk_session_begin_job (self));
  job->generation = self->generation;
  job->root = g_strdup (self->root);
  job->catalog_path = g_strdup (self->catalog_path);
  job->weights = g_strdup (self->weights);
  g_mutex_lock (&self->model_lock);
  /* keep the loaded model unless other weights were chosen since */
  if (self->model
      && (!self->weights || g_strcmp0 (lk_model_get_path (self->model), self->weights) == 0))
    job->model = lk_model_ref (self->model);
  g_mutex_unlock (&self->model_lock);

  task = g_task_new (self, lk_job_get_cancellable (job->job), open_done_cb, NULL);
  g_task_set_source_tag (task, lk_session_open);
  /* a cancelled run still returns what it committed: do not turn that into an error */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) open_job_free);
  g_task_run_in_thread (task, open_worker);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOT]);
  lk_session_set_progress (self, 0.0, _ ("Opening…"));
  lk_session_set_state (self, LK_SESSION_INDEXING);
}

void
lk_session_cancel (LkSession *self)
{
  if (self->job)
    lk_job_cancel (self->job);
}

void
lk_session_close (LkSession *self)
{
  self->generation++;
  lk_session_end_job (self, TRUE);
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      lk_session_set_index (self, b, NULL);
      g_clear_pointer (&self->backend_error[b], g_free);
    }
  g_clear_pointer (&self->root, g_free);
  g_clear_pointer (&self->catalog_path, g_free);
  g_clear_pointer (&self->error, g_free);
  self->read_only = FALSE;
  lk_session_set_progress (self, 0.0, NULL);
  lk_session_set_state (self, LK_SESSION_EMPTY);
  /* last: "retrain-finished" sees the catalog closed */
  lk_session_drop_training (self);
}

gboolean
lk_session_describe_backend (LkSession *self, LkBackend backend, int *dim, guint *n_items)
{
  LkSearchIndex *index = (guint) backend < LK_N_BACKENDS ? self->index[backend] : NULL;

  if (!index)
    return FALSE;
  *dim = lk_search_index_get_dim (index);
  *n_items = (guint) lk_search_index_get_n_items (index);
  return TRUE;
}

gsize
lk_session_get_bytes_per_item (LkSession *self, LkBackend backend)
{
  LkSearchIndex *index = (guint) backend < LK_N_BACKENDS ? self->index[backend] : NULL;

  return index ? lk_search_index_get_bytes_per_item (index) : 0;
}

LkSessionState
lk_session_get_state (LkSession *self)
{
  return self->state;
}

const char *
lk_session_get_root (LkSession *self)
{
  return self->root;
}

const char *
lk_session_get_catalog_path (LkSession *self)
{
  return self->catalog_path;
}

double
lk_session_get_progress (LkSession *self)
{
  return self->progress;
}

const char *
lk_session_get_progress_text (LkSession *self)
{
  return self->progress_text;
}

const char *
lk_session_get_error (LkSession *self)
{
  return self->error;
}

void
lk_session_set_backend (LkSession *self, LkBackend backend)
{
  gboolean was = lk_session_get_searchable (self);
  guint n = lk_session_get_n_items (self);

  if (self->backend == backend)
    return;
  self->backend = backend;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKEND]);
  if (was != lk_session_get_searchable (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHABLE]);
  if (n != lk_session_get_n_items (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

LkBackend
lk_session_get_backend (LkSession *self)
{
  return self->backend;
}

gboolean
lk_session_get_searchable (LkSession *self)
{
  return self->index[self->backend] != NULL;
}

const char *
lk_session_get_backend_error (LkSession *self)
{
  return self->backend_error[self->backend];
}

guint
lk_session_get_n_items (LkSession *self)
{
  LkSearchIndex *index = self->index[self->backend];
  return index ? (guint) lk_search_index_get_n_items (index) : 0;
}
