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
 * Retraining (lk_session_retrain (), the Retrain dialog) is the same run with the user's
 * parameters, followed by an LkTraining that also receives every step's loss and the
 * reconstructions of a few photos. Its cancel differs: the best model so far (after at least one
 * epoch) stays in the temporary file, and the run stops there, the session ready, until the user
 * chooses (lk_session_resolve_training ()): keeping it is a second run that starts where the
 * model is put in place; keeping the previous one deletes the file, and nothing else was touched.
 * After embedding, a retraining evaluates the new vectors (precision@10 by folder) and the ones
 * they replaced, for the dialog's summary.
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

/* lk_session_build () builds the two backends whose model the application makes: the
 * convolutional autoencoder (trained on the photos, minutes) and the compressed embeddings (a
 * compressor fitted on the catalog's CNN vectors, seconds: then its codes are made of them). */

/* The share of the bar that training takes; embedding the catalog is the rest. */
#define TRAIN_SHARE 0.9
/* the same for the compressor, trained on vectors in seconds and embedding without decoding */
#define COMPRESS_SHARE 0.8

/* Evaluating leave-one-out costs n² · dim and cannot be cancelled: a catalog larger than this is
 * not evaluated for the summary (20,000² × 128 is about two seconds on two cores). */
#define EVALUATE_MAX_ITEMS 20000

typedef struct
{
  LkSession *session; /* strong reference */
  LkJob *job;         /* strong reference */
  guint generation;
  LkBackend backend;
  char *root;
  char *catalog_path;
  LkTrainParams params;
  LkEmbedder *upstream;    /* (nullable) a reference: the CNN embedder, for compressed ones */
  LkTraining *training;    /* (nullable) strong reference: a retraining */
  char *accept;            /* (nullable) a stopped retraining's model to put in place */
  LkEmbedder *embedder;    /* the result */
  LkSearchIndex *index;    /* the result */
  LkIndexSummary *summary; /* the result */
  LkTrainSummary *train_summary;
  char *stopped; /* a retraining stopped: its best model so far, in this file */
  LkEvalResult *evaluation;
  GStrv labels;
  double previous_precision;
  gboolean built; /* the model is in place */
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
  g_clear_pointer (&job->train_summary, lk_train_summary_free);
  g_clear_object (&job->training);
  g_clear_pointer (&job->upstream, lk_embedder_unref);
  g_free (job->accept);
  g_free (job->stopped);
  g_clear_pointer (&job->evaluation, lk_eval_result_free);
  g_strfreev (job->labels);
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

/* "<model>.<pid>.part" (a build) or "<model>.<pid>.retrain.part": where this process trains the
 * model at @model_path; the two never share a file. */
static char *
partial_path (const char *model_path, GPid pid, gboolean retrain)
{
  return g_strdup_printf ("%s.%d%s.part", model_path, (int) pid, retrain ? ".retrain" : "");
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
      if (end == rest || !(g_str_equal (end, ".part") || g_str_equal (end, ".retrain.part"))
          || pid <= 0 || pid > G_MAXINT)
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
  BuildJob *job;
  LkTrainSummary *summary;
  GError *error;
  gboolean ok;
} TrainRun;

static void
train_progress_cb (const LkTrainProgress *progress, gpointer data)
{
  BuildJob *job = data;

  lk_job_train_progress_cb (progress, job->job);
  if (job->training)
    lk_training_report (job->training, progress);
}

static gpointer
train_thread (gpointer data)
{
  TrainRun *run = data;

  run->ok = lk_catalog_train (run->catalog, run->params, train_progress_cb, run->job, &run->summary,
                              lk_job_get_cancellable (run->job->job), &run->error);
  return NULL;
}

/* Trains the model into @partial and puts it at @model_path; FALSE with @error when it failed,
 * FALSE without when it was cancelled. Nothing is left at @partial either way. */
static gboolean
train (BuildJob *job, LkCatalog *catalog, const char *model_path, const char *partial,
       GError **error)
{
  LkTrainParams params = job->params;
  TrainRun run = { catalog, &params, job, NULL, NULL, FALSE };
  g_autoptr (LkTrainSummary) summary = NULL;

  params.output = partial;
  if (!lk_train_params_check (&params, error))
    return FALSE;
  lk_job_begin_stage (job->job, 0.0, TRAIN_SHARE, NULL);
  lk_job_report (job->job, 0.0, _ ("Reading photos…"));
  lk_session_run_below ("lk-trainer", train_thread, &run);
  summary = run.summary;
  if (run.ok && job->training)
    {
      /* a retraining's model, whole: stopped (in any phase), it waits for the user's choice;
       * else the caller puts it in place */
      gboolean stopped =
        summary->cancelled || g_cancellable_is_cancelled (lk_job_get_cancellable (job->job));
      job->train_summary = g_steal_pointer (&summary);
      if (stopped)
        job->stopped = g_strdup (partial);
      return !stopped;
    }
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
  job->train_summary = g_steal_pointer (&summary);
  job->built = TRUE;
  return TRUE;
}

typedef struct
{
  LkSearchIndex *index;
  LkEvalResult *result;
} EvalRun;

static LkEvalResult *evaluate (LkSearchIndex *index);

static gpointer
evaluate_thread (gpointer data)
{
  EvalRun *run = data;

  run->result = evaluate (run->index);
  return NULL;
}

/* evaluate () on a lower-priority thread, as the rest of the work */
static LkEvalResult *
evaluate_below (LkSearchIndex *index)
{
  EvalRun run = { index, NULL };

  if (index)
    lk_session_run_below ("lk-evaluate", evaluate_thread, &run);
  return run.result;
}

/* Puts a retraining's model, whole at @partial, in place: FALSE with @error when it cannot be,
 * FALSE without when the run was cancelled first (the model then waits again for a choice). */
static gboolean
commit (BuildJob *job, LkCatalog *catalog, const char *partial, const char *model_path,
        GError **error)
{
  gboolean cancelled = FALSE;
  g_autoptr (GError) local = NULL;

  {
    /* the vectors of the model being replaced, before embedding replaces them */
    g_autoptr (LkSearchIndex) previous = lk_catalog_load (catalog, job->backend, NULL);
    g_autoptr (LkEvalResult) before = evaluate_below (previous);
    job->previous_precision = before ? before->precision_at_k : NAN;
  }
  if (lk_training_commit_model (job->training, partial, model_path,
                                lk_job_get_cancellable (job->job), &cancelled, &local))
    {
      job->built = TRUE;
      return TRUE;
    }
  if (cancelled)
    job->stopped = g_strdup (partial);
  else
    {
      g_autofree char *shown = g_filename_display_name (model_path);
      g_unlink (partial);
      g_set_error (error, local->domain, local->code, _ ("%s: cannot be written (%s)"), shown,
                   local->message);
    }
  return FALSE;
}

/* The folders of @index's labels, in the evaluation's numbering (order of first appearance). */
static GStrv
label_names (LkSearchIndex *index)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (gsize i = 0; i < lk_search_index_get_n_items (index); i++)
    {
      const char *label = lk_search_index_get_label (index, i);
      if (g_hash_table_add (seen, (gpointer) label))
        g_strv_builder_add (names, label);
    }
  return g_strv_builder_end (names);
}

/* precision@10 by folder of @index, when it is worth it and cheap enough; NULL otherwise */
static LkEvalResult *
evaluate (LkSearchIndex *index)
{
  g_autoptr (LkEvalResult) result = NULL;

  if (!index || lk_search_index_get_n_items (index) < 2
      || lk_search_index_get_n_items (index) > EVALUATE_MAX_ITEMS)
    return NULL;
  result = lk_search_index_evaluate (index, 10);
  return result->labels > 1 ? g_steal_pointer (&result) : NULL;
}
/* a learned compressor's epochs, in the job's bar */
static void
compress_progress (const LkCompressProgress *p, gpointer user_data)
{
  LkJob *job = user_data;
  g_autofree char *text = NULL;

  if (p->decoder)
    text = g_strdup_printf (_ ("Training the compressor’s decoder: epoch %d"), p->epoch);
  else if (p->method == LK_COMPRESS_NBR)
    /* Translators: while the compressed backend learns; the percentage is how many of each
     * photo's nearest neighbours its short codes keep */
    text = g_strdup_printf (_ ("Training the compressor: epoch %d, %.0f %% of neighbours kept"),
                            p->epoch, 100 * p->best_score);
  else
    text = g_strdup_printf (_ ("Training the compressor: epoch %d"), p->epoch);
  /* it stops on a plateau, usually long before its last epoch */
  lk_job_report (job, MIN (1.0, (double) p->epoch / MAX (p->epochs / 2, 1)), text);
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
  if (job->backend == LK_BACKEND_COMPRESSED)
    {
      /* compressed embeddings: fitted in a moment (principal components) or trained in seconds
       * (the MLPs), then their codes are indexing */
      LkCompressParams params = lk_compress_default_params ();
      params.progress = compress_progress;
      params.user_data = job->job;
      if (!job->upstream)
        {
          g_task_return_new_error (task, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s",
                                   _ ("The network that made the catalog’s CNN features is not "
                                      "the one chosen in Preferences"));
          return;
        }
      lk_job_begin_stage (job->job, 0.0, COMPRESS_SHARE, NULL);
      lk_job_report (job->job, 0.0, _ ("Fitting the compressor…"));
      if (!lk_catalog_train_compressor (catalog, &params, NULL, lk_job_get_cancellable (job->job),
                                        &error)
          || !(job->embedder = lk_embedder_new_compressed (model_path, job->upstream, &error)))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              job->cancelled = TRUE;
              g_task_return_boolean (task, TRUE);
            }
          else
            g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      job->built = TRUE;
    }
  else if (!job->accept)
    {
      partial = partial_path (model_path, getpid (), job->training != NULL);
      remove_stale_partials (model_path);
      if (!train (job, catalog, model_path, partial, &error))
        {
          if (error)
            g_task_return_error (task, g_steal_pointer (&error));
          else
            g_task_return_boolean (task, TRUE); /* cancelled: nothing kept, or a choice */
          return;
        }
    }
  if (job->training
      && !commit (job, catalog, job->accept ? job->accept : partial, model_path, &error))
    {
      if (error)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE); /* stopped first: a choice */
      return;
    }

  /* the model is in place: embedding the catalog with it is indexing */
  if (!job->embedder && !(job->embedder = lk_embedder_new_conv_ae (model_path, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  lk_job_begin_stage (job->job,
                      job->accept     ? 0.0
                      : job->upstream ? COMPRESS_SHARE
                                      : TRAIN_SHARE,
                      1.0, _ ("Embedding…"));
  lk_job_report (job->job, 0.0, _ ("Embedding…"));
  if (job->training)
    lk_training_begin_embedding (job->training);
  if (!lk_session_index_below (catalog, job->embedder, job->job, &job->summary, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* the model is in place all the same: what was embedded with it is searched */
          job->index = lk_catalog_load (catalog, job->backend, NULL);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      job->cancelled = TRUE;
      g_clear_error (&error);
    }
  /* after a cancel, what was committed; a folder with nothing readable has nothing to load */
  job->index = lk_catalog_load (catalog, job->backend, job->cancelled ? NULL : &error);
  if (!job->index && error)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (job->training && !job->cancelled && (job->evaluation = evaluate_below (job->index)))
    job->labels = label_names (job->index);
  g_task_return_boolean (task, TRUE);
}

/* The session searches with what the run made, and is ready again. */
static void
take_results (LkSession *self, BuildJob *job)
{
  if (job->embedder)
    lk_session_set_embedder (self, job->backend, job->embedder);
  if (job->built)
    lk_session_set_index (self, job->backend, job->index);
  lk_session_set_progress (self, 1.0, NULL);
  lk_session_set_state (self, LK_SESSION_READY);
}

/* A retraining's run ended: stopped for a choice, or done. */
static void
retrain_done (LkSession *self, BuildJob *job, const GError *error)
{
  LkTraining *training = job->training;

  lk_training_flush (training);
  if (job->train_summary)
    lk_training_set_summary (training, g_steal_pointer (&job->train_summary));
  take_results (self, job);

  if (job->stopped && !lk_training_get_discard_on_stop (training))
    {
      /* the session stays with the training until the user chooses */
      lk_training_set_partial (training, g_steal_pointer (&job->stopped));
      lk_training_set_state (training, LK_TRAINING_STOPPED);
      return;
    }
  if (job->stopped && g_unlink (job->stopped) != 0 && errno != ENOENT)
    g_warning ("could not remove %s: %s", job->stopped, g_strerror (errno));
  g_clear_object (&self->training);
  if (error && job->built)
    {
      g_autofree char *message = g_strdup_printf (
        /* Translators: the reason is an error message */
        _ ("the new model is in place, but the catalog could not be embedded with it (%s); "
           "updating the catalog tries again"),
        error->message);
      lk_training_fail (training, message);
    }
  else if (error)
    lk_training_fail (training, error->message);
  else if (!job->built)
    lk_training_set_state (training, LK_TRAINING_DISCARDED);
  else
    {
      lk_training_set_evaluation (training, g_steal_pointer (&job->evaluation),
                                  g_steal_pointer (&job->labels), job->previous_precision);
      lk_training_set_embedding_cancelled (training, job->cancelled);
      lk_training_set_state (training, LK_TRAINING_FINISHED);
    }
  g_signal_emit_by_name (self, "retrain-finished", training);
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
    {
      /* the catalog was closed or opened again meanwhile: a retraining's choice is moot */
      if (job->stopped && g_unlink (job->stopped) != 0 && errno != ENOENT)
        g_warning ("could not remove %s: %s", job->stopped, g_strerror (errno));
      g_clear_object (&job->training);
      return;
    }
  lk_session_end_job (self, FALSE);
  g_task_propagate_boolean (G_TASK (result), &error);
  if (job->training)
    {
      retrain_done (self, job, error);
      /* here, not in the task's data's free, which may run in the worker's thread: the
       * training's textures belong to this one */
      g_clear_object (&job->training);
      return;
    }
  take_results (self, job);

  if (job->summary)
    {
      line = lk_index_summary_to_string (job->summary, 3);
      failed = job->summary->failures->len;
    }
  g_signal_emit_by_name (self, "build-finished", (int) job->backend, job->built, job->cancelled,
                         failed, line, error ? error->message : NULL);
}

/* A build or a retraining: the job, started. */
static void
start (LkSession *self, const LkTrainParams *params, LkTraining *training, char *accept)
{
  g_autoptr (GTask) task = NULL;
  BuildJob *job = g_new0 (BuildJob, 1);

  job->session = g_object_ref (self);
  job->job = g_object_ref (lk_session_begin_job (self));
  job->generation = self->generation;
  job->backend = training ? LK_BACKEND_CONV_AE : self->backend;
  job->root = g_strdup (self->root);
  job->catalog_path = g_strdup (self->catalog_path);
  job->params = *params;
  job->training = training ? g_object_ref (training) : NULL;
  job->accept = accept;
  if (job->backend == LK_BACKEND_COMPRESSED)
    {
      /* of the session's CNN, as its vectors are (lk_session_is_buildable () made sure) */
      g_autofree char *name = g_path_get_basename (self->catalog_path);
      LkEmbedder *cnn;
      g_mutex_lock (&self->model_lock);
      cnn = lk_session_embedder_for (
        self, lk_search_index_get_identity (self->index[LK_BACKEND_CNN]), name, NULL);
      job->upstream = cnn ? lk_embedder_ref (cnn) : NULL;
      g_mutex_unlock (&self->model_lock);
    }

  task = g_task_new (self, lk_job_get_cancellable (job->job), build_done_cb, NULL);
  g_task_set_source_tag (task, start);
  /* a cancel is an outcome the worker reports, not an error */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) build_job_free);
  g_task_run_in_thread (task, build_worker);

  lk_session_set_progress (self, 0.0,
                           accept          ? _ ("Embedding…")
                           : job->upstream ? _ ("Fitting the compressor…")
                                           : _ ("Reading photos…"));
  lk_session_set_state (self, LK_SESSION_BUILDING);
}

gboolean
lk_session_is_buildable (LkSession *self)
{
  gboolean cnn;

  if (self->backend == LK_BACKEND_CONV_AE)
    return TRUE;
  if (self->backend != LK_BACKEND_COMPRESSED)
    return FALSE;
  /* made of the CNN features: once there are some, of the network the session has */
  if (!self->index[LK_BACKEND_CNN])
    return FALSE;
  g_mutex_lock (&self->model_lock);
  cnn = lk_session_embedder_for (self, lk_search_index_get_identity (self->index[LK_BACKEND_CNN]),
                                 "", NULL)
        != NULL;
  g_mutex_unlock (&self->model_lock);
  return cnn;
}

gboolean
lk_session_can_build (LkSession *self)
{
  return lk_session_is_buildable (self) && self->state == LK_SESSION_READY && !self->read_only
         && !self->training;
}

void
lk_session_build (LkSession *self)
{
  LkTrainParams params = lk_session_get_train_params (self);

  g_return_if_fail (lk_session_can_build (self));
  start (self, &params, NULL, NULL);
}

LkTrainParams
lk_session_get_train_params (LkSession *self)
{
  (void) self;
  return train_params ();
}

gboolean
lk_session_can_retrain (LkSession *self)
{
  return self->root && self->state == LK_SESSION_READY && !self->read_only && !self->training;
}

void
lk_session_retrain (LkSession *self, LkTraining *training)
{
  g_return_if_fail (lk_session_can_retrain (self));
  g_return_if_fail (lk_training_get_state (training) == LK_TRAINING_WAITING);

  self->training = g_object_ref (training);
  lk_training_set_state (training, LK_TRAINING_READING);
  start (self, lk_training_get_params (training), training, NULL);
}

LkTraining *
lk_session_get_training (LkSession *self)
{
  return self->training;
}

void
lk_session_resolve_training (LkSession *self, gboolean keep_best)
{
  LkTraining *training = self->training;
  g_autofree char *partial = NULL;

  g_return_if_fail (training && lk_training_get_state (training) == LK_TRAINING_STOPPED);
  g_return_if_fail (!keep_best || self->state == LK_SESSION_READY);

  partial = lk_training_take_partial (training);
  if (keep_best)
    {
      lk_training_set_state (training, LK_TRAINING_EMBEDDING);
      start (self, lk_training_get_params (training), training, g_steal_pointer (&partial));
      return;
    }
  if (g_unlink (partial) != 0 && errno != ENOENT)
    g_warning ("could not remove %s: %s", partial, g_strerror (errno));
  self->training = NULL;
  lk_training_set_state (training, LK_TRAINING_DISCARDED);
  g_signal_emit_by_name (self, "retrain-finished", training);
  g_object_unref (training);
}

/* When the catalog closes (its job cancelled first): a retraining running stops with it (its
 * result dropped, see build_done_cb), keeping the previous model unless the new one was in place
 * already (lk_training_commit_model () decides which, atomically with the cancel); one waiting
 * for a choice keeps the previous model. */
void
lk_session_drop_training (LkSession *self)
{
  LkTraining *training = g_steal_pointer (&self->training);
  g_autofree char *partial = NULL;

  if (!training)
    return;
  if ((partial = lk_training_take_partial (training)) && g_unlink (partial) != 0 && errno != ENOENT)
    g_warning ("could not remove %s: %s", partial, g_strerror (errno));
  if (lk_training_is_model_in_place (training))
    {
      lk_training_set_embedding_cancelled (training, TRUE);
      lk_training_set_state (training, LK_TRAINING_FINISHED);
    }
  else
    lk_training_set_state (training, LK_TRAINING_DISCARDED);
  g_signal_emit_by_name (self, "retrain-finished", training);
  g_object_unref (training);
}
