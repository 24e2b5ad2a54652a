/* lk-session.c: the open catalog, as the window uses it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything slow runs in GTask workers: opening and indexing in one (its own catalog handle;
 * SQLite's WAL lets the search handle read meanwhile; the indexing itself on a lower-priority
 * thread, see index_thread), each search in another. Indexing progress
 * arrives from the worker at most five times a second and reaches the properties through a single
 * pending idle, however many reports came in between. A generation number, bumped by every open
 * and close, lets results of superseded work be dropped.
 */
#define G_LOG_DOMAIN "lk-session"

#include "config.h"

#include "lk-session.h"

#include "lk-result.h"
#include "lk-thumbnailer.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------- */
/* LkQuery                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

struct _LkQuery
{
  gint ref_count;
  char *path; /* one of these three */
  GBytes *bytes;
  GdkTexture *texture;
  char *name;
};

G_DEFINE_BOXED_TYPE (LkQuery, lk_query, lk_query_ref, lk_query_unref)

LkQuery *
lk_query_new_for_path (const char *path)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->path = g_strdup (path);
  query->name = g_filename_display_basename (path);
  return query;
}

LkQuery *
lk_query_new_for_bytes (GBytes *bytes, const char *name)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->bytes = g_bytes_ref (bytes);
  query->name = g_strdup (name);
  return query;
}

LkQuery *
lk_query_new_for_texture (GdkTexture *texture, const char *name)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->texture = g_object_ref (texture);
  query->name = g_strdup (name);
  return query;
}

LkQuery *
lk_query_ref (LkQuery *query)
{
  g_atomic_int_inc (&query->ref_count);
  return query;
}

void
lk_query_unref (LkQuery *query)
{
  if (!query || !g_atomic_int_dec_and_test (&query->ref_count))
    return;
  g_free (query->path);
  g_free (query->name);
  g_clear_pointer (&query->bytes, g_bytes_unref);
  g_clear_object (&query->texture);
  g_free (query);
}

const char *
lk_query_get_name (LkQuery *query)
{
  return query->name;
}

const char *
lk_query_get_path (LkQuery *query)
{
  return query->path;
}

GBytes *
lk_query_get_bytes (LkQuery *query)
{
  return query->bytes;
}

GdkTexture *
lk_query_get_texture (LkQuery *query)
{
  return query->texture;
}

/* ---------------------------------------------------------------------------------------------- */
/* LkSession                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

struct _LkSession
{
  GObject parent_instance;

  LkSessionState state;
  char *root;
  char *catalog_path;
  char *weights;
  char *error;
  LkBackend backend;
  guint generation;

  /* indexing */
  GCancellable *index_cancellable;
  double progress;
  char *progress_text;
  GMutex progress_lock;
  LkIndexProgress pending; /* the worker's last report, under progress_lock */
  guint reporting;         /* the generation whose reports count, under progress_lock */
  guint progress_idle;     /* the idle that will apply it, under progress_lock */

  /* searching; the model, the embedder made of it for the catalog's vectors and its state are
   * shared with workers under model_lock */
  LkSearchIndex *index[LK_N_BACKENDS];
  GMutex model_lock;
  LkModel *model;
  LkEmbedder *embedder;
  LkEmbedderState *embed_state;
};

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
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_state (LkSession *self, LkSessionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_index (LkSession *self, LkBackend backend, LkSearchIndex *index)
{
  gboolean was = lk_session_get_searchable (self);
  guint n = lk_session_get_n_items (self);

  g_clear_pointer (&self->index[backend], lk_search_index_unref);
  self->index[backend] = index ? lk_search_index_ref (index) : NULL;
  if (was != lk_session_get_searchable (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHABLE]);
  if (n != lk_session_get_n_items (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
set_progress (LkSession *self, double progress, const char *text)
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
  g_mutex_clear (&self->progress_lock);
  g_mutex_lock (&self->model_lock);
  g_clear_pointer (&self->embed_state, lk_embedder_state_free);
  g_clear_pointer (&self->embedder, lk_embedder_unref);
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
}

static void
lk_session_init (LkSession *self)
{
  g_mutex_init (&self->progress_lock);
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
  guint generation;
  char *root;
  char *catalog_path;
  char *weights;
  LkModel *model;          /* the session's, or loaded here */
  LkSearchIndex *index;    /* the result */
  LkIndexSummary *summary; /* the result */
  gboolean cancelled;
  char *read_only; /* why the catalog could not be written, when it was opened read-only */
} OpenJob;

static void
open_job_free (OpenJob *job)
{
  g_object_unref (job->session);
  g_free (job->root);
  g_free (job->catalog_path);
  g_free (job->weights);
  g_clear_pointer (&job->model, lk_model_unref);
  g_clear_pointer (&job->index, lk_search_index_unref);
  g_clear_pointer (&job->summary, lk_index_summary_free);
  g_free (job->read_only);
  g_free (job);
}

/* "640 of 1,617 · 245 images/s · about 4 s left" */
static char *
describe_progress (const LkIndexProgress *p)
{
  g_autofree char *left = NULL;

  if (p->phase == LK_INDEX_WAITING)
    return g_strdup (_ ("Waiting for another program that is indexing this catalog…"));
  if (p->total == 0)
    return g_strdup (_ ("Checking for new photos…"));
  if (p->eta_seconds < 0)
    left = g_strdup (_ ("estimating time left"));
  else if (p->eta_seconds < 90)
    left = g_strdup_printf (_ ("about %.0f s left"), MAX (1, p->eta_seconds));
  else
    left = g_strdup_printf (_ ("about %.0f min left"), p->eta_seconds / 60);
  return g_strdup_printf (_ ("%" PRIu64 " of %" PRIu64 " · %.0f images/s · %s"), p->done, p->total,
                          p->images_per_second, left);
}

static gboolean
apply_progress_idle (gpointer data)
{
  LkSession *self = data;
  LkIndexProgress p;

  g_mutex_lock (&self->progress_lock);
  p = self->pending;
  self->progress_idle = 0;
  g_mutex_unlock (&self->progress_lock);
  if (self->state == LK_SESSION_INDEXING)
    {
      g_autofree char *text = describe_progress (&p);
      set_progress (self, p.total ? (double) p.done / p.total : 0.0, text);
    }
  return G_SOURCE_REMOVE;
}

/* From the indexing thread: keep the latest report; one idle applies whatever is latest. */
static void
progress_cb (const LkIndexProgress *progress, gpointer user_data)
{
  OpenJob *job = user_data;
  LkSession *self = job->session;

  g_mutex_lock (&self->progress_lock);
  if (job->generation != self->reporting)
    {
      g_mutex_unlock (&self->progress_lock);
      return; /* a superseded run winding down */
    }
  self->pending = *progress;
  if (!self->progress_idle)
    self->progress_idle = g_idle_add_full (G_PRIORITY_DEFAULT, apply_progress_idle,
                                           g_object_ref (self), g_object_unref);
  g_mutex_unlock (&self->progress_lock);
}

typedef struct
{
  LkSession *session;
  guint generation;
  LkSearchIndex *index;
} EarlyIndex;

static gboolean
early_index_idle (gpointer data)
{
  EarlyIndex *early = data;

  if (early->generation == early->session->generation)
    set_index (early->session, LK_BACKEND_CNN, early->index);
  g_object_unref (early->session);
  lk_search_index_unref (early->index);
  g_free (early);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  OpenJob *job;
  LkCatalog *catalog;
  LkEmbedder *embedder;
  LkIndexParams params;
  GCancellable *cancellable;
  GError *error;
  gboolean ok;
} IndexRun;

/* The indexing itself runs in a thread of its own at a lower priority, and so do the worker
 * threads it starts (they inherit it, and end with it): the window's thread wins the cores while
 * both are busy indexing. What outlives the run, the search index and its ranking threads, is made
 * by the caller at normal priority: a thread's priority cannot be raised again. */
static gpointer
index_thread (gpointer data)
{
  IndexRun *run = data;

  if (setpriority (PRIO_PROCESS, (id_t) gettid (), 10) != 0)
    g_debug ("could not lower the indexing thread's priority: %s", g_strerror (errno));
  run->ok = lk_catalog_index (run->catalog, run->embedder, &run->params, progress_cb, run->job,
                              &run->job->summary, run->cancellable, &run->error);
  return NULL;
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
  {
    g_autoptr (LkModelIdentity) identity =
      lk_catalog_get_identity (catalog, LK_BACKEND_CNN, &error);
    if (!error && identity)
      job->index = lk_catalog_load (catalog, LK_BACKEND_CNN, &error);
    if (error)
      {
        g_task_return_error (task, g_steal_pointer (&error));
        return;
      }
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
  g_autoptr (LkEmbedder) embedder = NULL;
  IndexRun run = { job, NULL, NULL, lk_index_default_params (), cancellable, NULL, FALSE };

  if (!job->model)
    {
      g_autofree char *weights =
        job->weights ? g_strdup (job->weights) : lk_model_find_default_weights ();
      if (!weights)
        {
          g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                                   _ ("No network weights are installed. Run "
                                      "models/download-weights.sh, or choose a weights file in "
                                      "Preferences."));
          return;
        }
      if (!(job->model = lk_model_new_from_file (weights, &error)))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
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
  stored = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, NULL);
  if (stored && g_strcmp0 (stored->weights_sha256, lk_model_get_weights_sha256 (job->model)) == 0)
    {
      LkSearchIndex *index = lk_catalog_load (catalog, LK_BACKEND_CNN, NULL);
      if (index)
        {
          EarlyIndex *early = g_new (EarlyIndex, 1);
          early->session = g_object_ref (job->session);
          early->generation = job->generation;
          early->index = index;
          g_idle_add (early_index_idle, early);
        }
    }

  /* the writer's lock, then what the catalog was made with: another process may be making it */
  if (!lk_catalog_lock_for_writing (catalog, progress_cb, job, cancellable, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      job->cancelled = TRUE; /* stopped while waiting: what is there is searchable */
      job->index = lk_catalog_load (catalog, LK_BACKEND_CNN, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_clear_pointer (&stored, lk_model_identity_free);
  stored = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, NULL);
  embedder = lk_embedder_new_cnn (job->model, stored ? stored->input_size : 224,
                                  stored ? stored->preprocess : LK_PREPROCESS_DEFAULT, &error);
  if (!embedder)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  run.catalog = catalog;
  run.embedder = embedder;
  g_thread_join (g_thread_new ("lk-indexer", index_thread, &run));
  if (!run.ok)
    {
      if (!g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, run.error);
          return;
        }
      job->cancelled = TRUE;
      g_clear_error (&run.error);
    }
  /* after a cancel, what was committed; an empty folder has nothing to load */
  job->index = lk_catalog_load (catalog, LK_BACKEND_CNN, NULL);
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
  g_clear_object (&self->index_cancellable);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (self->error);
      self->error = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      set_progress (self, 0.0, NULL);
      set_state (self, LK_SESSION_FAILED);
      return;
    }

  g_mutex_lock (&self->model_lock);
  if (self->model != job->model)
    {
      g_clear_pointer (&self->embed_state, lk_embedder_state_free);
      g_clear_pointer (&self->embedder, lk_embedder_unref);
      g_clear_pointer (&self->model, lk_model_unref);
      self->model = lk_model_ref (job->model);
    }
  g_mutex_unlock (&self->model_lock);
  set_index (self, LK_BACKEND_CNN, job->index);
  set_progress (self, 1.0, NULL);
  set_state (self, LK_SESSION_READY);

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
  self->index_cancellable = g_cancellable_new ();

  job = g_new0 (OpenJob, 1);
  job->session = g_object_ref (self);
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

  task = g_task_new (self, self->index_cancellable, open_done_cb, NULL);
  g_task_set_source_tag (task, lk_session_open);
  /* a cancelled run still returns what it committed: do not turn that into an error */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) open_job_free);
  g_task_run_in_thread (task, open_worker);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOT]);
  set_progress (self, 0.0, _ ("Opening…"));
  set_state (self, LK_SESSION_INDEXING);
}

void
lk_session_cancel_indexing (LkSession *self)
{
  if (self->index_cancellable)
    g_cancellable_cancel (self->index_cancellable);
}

void
lk_session_close (LkSession *self)
{
  self->generation++;
  g_mutex_lock (&self->progress_lock);
  self->reporting = self->generation;
  g_mutex_unlock (&self->progress_lock);
  if (self->index_cancellable)
    {
      g_cancellable_cancel (self->index_cancellable);
      g_clear_object (&self->index_cancellable);
    }
  for (int b = 0; b < LK_N_BACKENDS; b++)
    set_index (self, b, NULL);
  g_clear_pointer (&self->root, g_free);
  g_clear_pointer (&self->catalog_path, g_free);
  g_clear_pointer (&self->error, g_free);
  set_progress (self, 0.0, NULL);
  set_state (self, LK_SESSION_EMPTY);
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

guint
lk_session_get_n_items (LkSession *self)
{
  LkSearchIndex *index = self->index[self->backend];
  return index ? (guint) lk_search_index_get_n_items (index) : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Searching                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  LkSession *session;
  LkSearchIndex *index;
  LkQuery *query;
  guint k;
  LkBands bands;
} SearchJob;

static void
search_job_free (SearchJob *job)
{
  g_object_unref (job->session);
  lk_search_index_unref (job->index);
  lk_query_unref (job->query);
  g_free (job);
}

/* The embedder that makes @identity's vectors, made of the session's model: kept while the catalog's
 * vectors stay the same. Called under model_lock. */
static LkEmbedder *
embedder_for (LkSession *self, const LkModelIdentity *identity, GError **error)
{
  if (self->embedder
      && lk_model_identity_equal (lk_embedder_get_identity (self->embedder), identity))
    return self->embedder;
  g_clear_pointer (&self->embed_state, lk_embedder_state_free);
  g_clear_pointer (&self->embedder, lk_embedder_unref);
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
  self->embedder =
    lk_embedder_new_cnn (self->model, identity->input_size, identity->preprocess, error);
  return self->embedder;
}

/* The raw vector of the query picture, made as the index's vectors were. */
static float *
embed (LkSession *self, const LkModelIdentity *identity, LkQuery *query, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->model_lock);
  LkEmbedder *embedder = embedder_for (self, identity, error);
  g_autoptr (LkImage) image = NULL;
  g_autofree float *vector = NULL;

  if (!embedder)
    return NULL;
  if (query->texture)
    image = lk_image_new_from_texture (query->texture, query->name, error); /* refused from its
                                                                              * size first */
  else if (query->bytes)
    /* a dropped or pasted picture decodes as a file does: the decoder refuses one over its pixel
     * limit from the header, before allocating anything */
    image = lk_image_decode_bytes (query->bytes, query->name,
                                   lk_embedder_get_decode_params (embedder), error);
  else
    image = lk_image_decode_file (query->path, lk_embedder_get_decode_params (embedder), error);
  if (!image)
    return NULL;
  if (!self->embed_state && !(self->embed_state = lk_embedder_state_new (embedder, 0, 1, error)))
    return NULL;
  vector = g_new (float, lk_embedder_get_dim (embedder));
  if (!lk_embedder_embed_image (self->embed_state, image, vector, error))
    return NULL;
  return g_steal_pointer (&vector);
}

static void
search_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SearchJob *job = data;
  const LkModelIdentity *identity = lk_search_index_get_identity (job->index);
  g_autofree LkMatch *matches = g_new (LkMatch, MAX (job->k, 1));
  g_autoptr (GListStore) store = g_list_store_new (LK_TYPE_RESULT);
  g_autoptr (GError) error = NULL;
  gssize row = job->query->path ? lk_search_index_find (job->index, job->query->path) : -1;
  gsize found;

  if (row >= 0 && !lk_search_index_is_missing (job->index, (gsize) row))
    found = lk_search_index_query_row (job->index, (gsize) row, job->k, TRUE, matches);
  else
    {
      g_autofree float *vector = embed (job->session, identity, job->query, &error);
      if (!vector)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      found = lk_search_index_query (job->index, vector, job->k, -1, matches);
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  for (gsize r = 0; r < found; r++)
    {
      int percent = lk_score_percent (matches[r].cosine);
      g_autoptr (LkResult) result = lk_result_new (
        (guint) r + 1, lk_search_index_get_path (job->index, matches[r].index), matches[r].cosine,
        percent, lk_band_to_string (lk_score_band (percent, &job->bands)),
        lk_search_index_is_missing (job->index, matches[r].index));
      g_list_store_append (store, result);
    }
  g_task_return_pointer (task, g_steal_pointer (&store), g_object_unref);
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
