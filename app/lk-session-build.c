/* lk-session-build.c: building a backend the application trains itself, the convolutional
 * autoencoder, for the open catalog.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GTask worker, reporting through the session's LkJob like indexing does: lk_catalog_train ()
 * with the default parameters (nine tenths of the bar: reading the photos, then the epochs), then
 * lk_catalog_index () with the new model (the last tenth, "Embedding…"), each on a lower-priority
 * thread so that the window keeps the cores it needs.
 *
 * Nothing half-made is kept: the model is trained into a temporary file beside where it belongs
 * and renamed into place only once training has finished uncancelled (lk_catalog_train () would
 * keep the best model so far of a cancelled run; a cancelled build deletes it), so that a build
 * cancelled while it trains leaves neither a model nor vectors. Once the model is in place,
 * embedding the catalog is indexing like any other: cancelling it keeps what was committed, and
 * the next opening of the catalog embeds the rest.
 *
 * For the tests, and only in the application: LOOKALIKE_TEST_TRAIN_EPOCHS and
 * LOOKALIKE_TEST_TRAIN_INPUT_SIZE, when set, replace the defaults' number of epochs and input size
 * (a build of a tiny catalog in a second or two).
 */
#define G_LOG_DOMAIN "lk-session"

#include "config.h"

#include "lk-session-private.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* The backend lk_session_build () builds: the one backend whose model the application trains. */
#define BUILT_BACKEND LK_BACKEND_CONV_AE

/* The share of the bar that training takes; embedding the catalog is the rest. */
#define TRAIN_SHARE 0.9

typedef struct
{
  LkSession *session; /* strong reference */
  LkJob *job;         /* strong reference */
  guint generation;
  LkBackend backend;
  char *root;
  char *catalog_path;
  LkEmbedder *embedder;    /* the result */
  LkSearchIndex *index;    /* the result */
  LkIndexSummary *summary; /* the result */
  gboolean built;          /* the model is in place */
  gboolean cancelled;
} BuildJob;

static void
build_job_free (BuildJob *job)
{
  g_object_unref (job->session);
  g_object_unref (job->job);
  g_free (job->root);
  g_free (job->catalog_path);
  g_clear_pointer (&job->embedder, lk_embedder_unref);
  g_clear_pointer (&job->index, lk_search_index_unref);
  g_clear_pointer (&job->summary, lk_index_summary_free);
  g_free (job);
}

/* The defaults, with the tests' overrides. */
static LkTrainParams
train_params (void)
{
  LkTrainParams params = lk_train_default_params ();
  const char *epochs = g_getenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  const char *size = g_getenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");

  if (epochs && *epochs)
    params.epochs = (int) g_ascii_strtoll (epochs, NULL, 10);
  if (size && *size)
    params.input_size = (int) g_ascii_strtoll (size, NULL, 10);
  return params;
}

/* "<model>.<pid>.part": where this process trains the model at @model_path. */
static char *
partial_path (const char *model_path, GPid pid)
{
  return g_strdup_printf ("%s.%d.part", model_path, (int) pid);
}

/* Removes what builds of processes that are gone (killed while saving) left beside @model_path. */
static void
remove_stale_partials (const char *model_path)
{
  g_autofree char *dir = g_path_get_dirname (model_path);
  g_autofree char *base = g_path_get_basename (model_path);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      const char *rest;
      char *end;
      gint64 pid;

      if (!g_str_has_prefix (name, base) || name[strlen (base)] != '.')
        continue;
      rest = name + strlen (base) + 1;
      pid = g_ascii_strtoll (rest, &end, 10);
      if (end == rest || !g_str_equal (end, ".part") || pid <= 0 || pid > G_MAXINT)
        continue;
      if (pid != getpid () && kill ((pid_t) pid, 0) != 0 && errno == ESRCH)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_debug ("removing %s, left by a build that did not finish", path);
          g_unlink (path);
        }
    }
}

typedef struct
{
  LkCatalog *catalog;
  const LkTrainParams *params;
  LkJob *job;
  LkTrainSummary *summary;
  GError *error;
  gboolean ok;
} TrainRun;

static gpointer
train_thread (gpointer data)
{
  TrainRun *run = data;

  run->ok = lk_catalog_train (run->catalog, run->params, lk_job_train_progress_cb, run->job,
                              &run->summary, lk_job_get_cancellable (run->job), &run->error);
  return NULL;
}

typedef struct
{
  LkCatalog *catalog;
  LkEmbedder *embedder;
  LkJob *job;
  LkIndexSummary **summary;
  GError *error;
  gboolean ok;
} EmbedRun;

static gpointer
embed_thread (gpointer data)
{
  EmbedRun *run = data;
  LkIndexParams params = lk_index_default_params ();

  run->ok =
    lk_catalog_index (run->catalog, run->embedder, &params, lk_job_index_progress_cb, run->job,
                      run->summary, lk_job_get_cancellable (run->job), &run->error);
  return NULL;
}

/* Trains the model into @partial and puts it at @model_path; FALSE with @error when it failed,
 * FALSE without when it was cancelled. Nothing is left at @partial either way. */
static gboolean
train (BuildJob *job, LkCatalog *catalog, const char *model_path, const char *partial,
       GError **error)
{
  LkTrainParams params = train_params ();
  TrainRun run = { catalog, &params, job->job, NULL, NULL, FALSE };
  g_autoptr (LkTrainSummary) summary = NULL;

  params.output = partial;
  if (!lk_train_params_check (&params, error))
    return FALSE;
  lk_job_begin_stage (job->job, 0.0, TRAIN_SHARE, NULL);
  lk_job_report (job->job, 0.0, _ ("Reading photos…"));
  lk_session_run_below ("lk-trainer", train_thread, &run);
  summary = run.summary;
  if (!run.ok || summary->cancelled
      || g_cancellable_is_cancelled (lk_job_get_cancellable (job->job)))
    {
      /* a cancel after the first epoch kept the best model so far: not for a build */
      if (g_unlink (partial) != 0 && errno != ENOENT)
        g_warning ("could not remove %s: %s", partial, g_strerror (errno));
      if (run.ok || g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&run.error);
          job->cancelled = TRUE;
          return FALSE;
        }
      g_propagate_error (error, run.error);
      return FALSE;
    }
  if (g_rename (partial, model_path) != 0)
    {
      int saved = errno;
      g_autofree char *shown = g_filename_display_name (model_path);
      g_unlink (partial);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _ ("%s: cannot be written (%s)"), shown, g_strerror (saved));
      return FALSE;
    }
  job->built = TRUE;
  return TRUE;
}

static void
build_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BuildJob *job = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = NULL;
  g_autofree char *model_path = NULL;
  g_autofree char *partial = NULL;

  if (!(catalog = lk_catalog_open (job->catalog_path, job->root, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  model_path = lk_catalog_get_model_path (catalog, job->backend);
  partial = partial_path (model_path, getpid ());
  remove_stale_partials (model_path);
  if (!train (job, catalog, model_path, partial, &error))
    {
      if (error)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE); /* cancelled: nothing kept */
      return;
    }

  /* the model is in place: embedding the catalog with it is indexing */
  if (!(job->embedder = lk_embedder_new_conv_ae (model_path, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  lk_job_begin_stage (job->job, TRAIN_SHARE, 1.0, _ ("Embedding…"));
  lk_job_report (job->job, 0.0, _ ("Embedding…"));
  {
    EmbedRun run = { catalog, job->embedder, job->job, &job->summary, NULL, FALSE };
    lk_session_run_below ("lk-indexer", embed_thread, &run);
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
  }
  /* after a cancel, what was committed; a folder with nothing readable has nothing to load */
  job->index = lk_catalog_load (catalog, job->backend, job->cancelled ? NULL : &error);
  if (!job->index && error)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
build_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LkSession *self = LK_SESSION (source);
  BuildJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  guint failed = 0;

  if (job->generation != self->generation)
    return; /* the catalog was closed or opened again meanwhile */
  lk_session_end_job (self, FALSE);
  g_task_propagate_boolean (G_TASK (result), &error);
  if (job->embedder)
    lk_session_set_embedder (self, job->backend, job->embedder);
  if (job->built)
    lk_session_set_index (self, job->backend, job->index);
  lk_session_set_progress (self, 1.0, NULL);
  lk_session_set_state (self, LK_SESSION_READY);

  if (job->summary)
    {
      line = lk_index_summary_to_string (job->summary, 3);
      failed = job->summary->failures->len;
    }
  g_signal_emit_by_name (self, "build-finished", (int) job->backend, job->built, job->cancelled,
                         failed, line, error ? error->message : NULL);
}

gboolean
lk_session_is_buildable (LkSession *self)
{
  return self->backend == BUILT_BACKEND;
}

gboolean
lk_session_can_build (LkSession *self)
{
  return lk_session_is_buildable (self) && self->state == LK_SESSION_READY && !self->read_only;
}

void
lk_session_build (LkSession *self)
{
  g_autoptr (GTask) task = NULL;
  BuildJob *job;

  g_return_if_fail (lk_session_can_build (self));

  job = g_new0 (BuildJob, 1);
  job->session = g_object_ref (self);
  job->job = g_object_ref (lk_session_begin_job (self));
  job->generation = self->generation;
  job->backend = self->backend;
  job->root = g_strdup (self->root);
  job->catalog_path = g_strdup (self->catalog_path);

  task = g_task_new (self, lk_job_get_cancellable (job->job), build_done_cb, NULL);
  g_task_set_source_tag (task, lk_session_build);
  /* a cancel is an outcome the worker reports, not an error */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) build_job_free);
  g_task_run_in_thread (task, build_worker);

  lk_session_set_progress (self, 0.0, _ ("Reading photos…"));
  lk_session_set_state (self, LK_SESSION_BUILDING);
}
