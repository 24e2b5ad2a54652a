/* lk-training.c: one retraining of the catalog's autoencoder, as the dialog and the window follow
 * it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine reports from the training thread a few times a second, each report carrying the
 * losses of the steps since the previous one and, at the end of an epoch, the reconstructions of
 * the sample photos. Reports pile up under a lock (points appended, the latest numbers and
 * samples replacing the older) and one idle, added by the first report after the last was
 * applied, moves them to the main context's side, makes the textures there and emits "progress"
 * (and "samples-changed"): however fast the reports come, the main loop does one small piece of
 * work per turn.
 */
#define G_LOG_DOMAIN "lk-training"

#include "config.h"

#include "lk-training.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

typedef struct
{
  gboolean valid;
  LkTrainPhase phase;
  guint64 done, total;
  int epoch, epochs;
  double images_per_second, eta;
} Numbers;

struct _LkTraining
{
  GObject parent_instance;

  /* owned, main context */
  LkTrainParams params;
  LkTrainingState state;
  char *error;
  GMainContext *context;
  Numbers numbers;
  guint64 photos_read, photos_total;
  GArray *train_points;      /* (element-type LkLossPoint) */
  GArray *validation_points; /* (element-type LkLossPoint) */
  GdkTexture *samples[LK_TRAINING_N_SAMPLES];
  GdkTexture *reconstructions[LK_TRAINING_N_SAMPLES];
  guint n_samples;
  int samples_epoch;
  gint64 started, ended; /* monotonic µs, 0 before */
  LkTrainSummary *summary;
  char *partial;
  LkEvalResult *evaluation;
  GStrv labels;
  double previous_precision;
  gboolean embedding_cancelled;
  gboolean discard_on_stop;

  /* shared with the training thread, under lock */
  GMutex lock;
  Numbers pending;
  GArray *pending_train;                             /* (element-type LkLossPoint) */
  GArray *pending_validation;                        /* (element-type LkLossPoint) */
  GBytes *pending_samples, *pending_reconstructions; /* (n, S, S, 3) */
  guint pending_n_samples;
  int pending_sample_size, pending_samples_epoch;
  gboolean pending_embedding;
  gboolean model_in_place;
  GSource *idle;
};

G_DEFINE_FINAL_TYPE (LkTraining, lk_training, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum
{
  PROGRESS,
  SAMPLES_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
lk_training_finalize (GObject *object)
{
  LkTraining *self = LK_TRAINING (object);

  /* a stopped run's model nobody chose: the previous one stays */
  if (self->partial && g_unlink (self->partial) != 0)
    g_debug ("could not remove %s: %s", self->partial, g_strerror (errno));
  g_free (self->partial);
  g_free (self->error);
  g_main_context_unref (self->context);
  g_array_unref (self->train_points);
  g_array_unref (self->validation_points);
  g_array_unref (self->pending_train);
  g_array_unref (self->pending_validation);
  g_clear_pointer (&self->pending_samples, g_bytes_unref);
  g_clear_pointer (&self->pending_reconstructions, g_bytes_unref);
  for (guint i = 0; i < LK_TRAINING_N_SAMPLES; i++)
    {
      g_clear_object (&self->samples[i]);
      g_clear_object (&self->reconstructions[i]);
    }
  g_clear_pointer (&self->summary, lk_train_summary_free);
  g_clear_pointer (&self->evaluation, lk_eval_result_free);
  g_strfreev (self->labels);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lk_training_parent_class)->finalize (object);
}

static void
lk_training_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkTraining *self = LK_TRAINING (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_training_class_init (LkTrainingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lk_training_finalize;
  object_class->get_property = lk_training_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, LK_TRAINING_WAITING, LK_TRAINING_FAILED,
                      LK_TRAINING_WAITING, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SAMPLES_CHANGED] = g_signal_new ("samples-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lk_training_init (LkTraining *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->train_points = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  self->validation_points = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  self->pending_train = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  self->pending_validation = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  self->previous_precision = NAN;
  self->numbers.eta = -1;
}

LkTraining *
lk_training_new (const LkTrainParams *params)
{
  LkTraining *self = g_object_new (LK_TYPE_TRAINING, NULL);

  self->params = *params;
  self->params.output = NULL;
  self->params.n_samples = LK_TRAINING_N_SAMPLES;
  self->numbers.epochs = params->epochs;
  return self;
}

const LkTrainParams *
lk_training_get_params (LkTraining *self)
{
  return &self->params;
}

LkTrainingState
lk_training_get_state (LkTraining *self)
{
  return self->state;
}

static gboolean
state_is_active (LkTrainingState state)
{
  return state == LK_TRAINING_READING || state == LK_TRAINING_RUNNING || state == LK_TRAINING_SAVING
         || state == LK_TRAINING_EMBEDDING;
}

gboolean
lk_training_is_active (LkTraining *self)
{
  return state_is_active (self->state);
}

void
lk_training_set_state (LkTraining *self, LkTrainingState state)
{
  if (self->state == state)
    return;
  if (state == LK_TRAINING_READING && !self->started)
    self->started = g_get_monotonic_time ();
  if (!state_is_active (state) && state != LK_TRAINING_WAITING && !self->ended)
    self->ended = g_get_monotonic_time ();
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

const char *
lk_training_get_error (LkTraining *self)
{
  return self->error;
}

void
lk_training_fail (LkTraining *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  lk_training_set_state (self, LK_TRAINING_FAILED);
}

int
lk_training_get_epoch (LkTraining *self)
{
  const Numbers *n = &self->numbers;

  /* the epoch under way: after the report that ends an epoch, the next one */
  if (n->total && n->epochs > 0 && n->done < n->total)
    return (int) MIN ((guint64) n->epochs, n->done / (n->total / n->epochs) + 1);
  return n->epoch;
}

int
lk_training_get_epochs (LkTraining *self)
{
  return self->numbers.epochs;
}

double
lk_training_get_fraction (LkTraining *self)
{
  const Numbers *n = &self->numbers;
  return n->total ? (double) n->done / n->total : 0.0;
}

double
lk_training_get_images_per_second (LkTraining *self)
{
  return self->numbers.images_per_second;
}

double
lk_training_get_eta (LkTraining *self)
{
  return self->numbers.eta;
}

double
lk_training_get_elapsed (LkTraining *self)
{
  if (!self->started)
    return 0.0;
  return ((self->ended ? self->ended : g_get_monotonic_time ()) - self->started) / 1e6;
}

guint64
lk_training_get_photos_read (LkTraining *self, guint64 *total)
{
  if (total)
    *total = self->photos_total;
  return self->photos_read;
}

const LkLossPoint *
lk_training_get_train_points (LkTraining *self, guint *n)
{
  *n = self->train_points->len;
  return (const LkLossPoint *) self->train_points->data;
}

const LkLossPoint *
lk_training_get_validation_points (LkTraining *self, guint *n)
{
  *n = self->validation_points->len;
  return (const LkLossPoint *) self->validation_points->data;
}

GdkTexture *
lk_training_get_sample (LkTraining *self, guint i)
{
  return i < self->n_samples ? self->samples[i] : NULL;
}

GdkTexture *
lk_training_get_reconstruction (LkTraining *self, guint i)
{
  return i < self->n_samples ? self->reconstructions[i] : NULL;
}

guint
lk_training_get_n_samples (LkTraining *self)
{
  return self->n_samples;
}

int
lk_training_get_samples_epoch (LkTraining *self)
{
  return self->samples_epoch;
}

const LkTrainSummary *
lk_training_get_summary (LkTraining *self)
{
  return self->summary;
}

void
lk_training_set_summary (LkTraining *self, LkTrainSummary *summary)
{
  g_clear_pointer (&self->summary, lk_train_summary_free);
  self->summary = summary;
}

void
lk_training_set_partial (LkTraining *self, char *partial)
{
  g_free (self->partial);
  self->partial = partial;
}

char *
lk_training_take_partial (LkTraining *self)
{
  return g_steal_pointer (&self->partial);
}

const LkEvalResult *
lk_training_get_evaluation (LkTraining *self)
{
  return self->evaluation;
}

const char *
lk_training_get_label (LkTraining *self, guint i)
{
  return self->labels && i < g_strv_length (self->labels) ? self->labels[i] : "";
}

double
lk_training_get_previous_precision (LkTraining *self)
{
  return self->previous_precision;
}

void
lk_training_set_evaluation (LkTraining *self, LkEvalResult *evaluation, GStrv labels,
                            double previous_precision)
{
  g_clear_pointer (&self->evaluation, lk_eval_result_free);
  g_strfreev (self->labels);
  self->evaluation = evaluation;
  self->labels = labels;
  self->previous_precision = previous_precision;
}

gboolean
lk_training_get_embedding_cancelled (LkTraining *self)
{
  return self->embedding_cancelled;
}

void
lk_training_set_embedding_cancelled (LkTraining *self, gboolean cancelled)
{
  self->embedding_cancelled = cancelled;
}

guint
lk_training_get_n_failures (LkTraining *self)
{
  return self->summary ? self->summary->failures->len : 0;
}

void
lk_training_set_discard_on_stop (LkTraining *self, gboolean discard)
{
  self->discard_on_stop = discard;
}

gboolean
lk_training_get_discard_on_stop (LkTraining *self)
{
  return self->discard_on_stop;
}

/* (n, S, S, 3) RGB → one texture per photo */
static void
make_textures (GdkTexture **out, GBytes *bytes, guint n, int S)
{
  gsize plane = (gsize) S * S * 3;

  for (guint i = 0; i < LK_TRAINING_N_SAMPLES; i++)
    {
      g_clear_object (&out[i]);
      if (i < n)
        {
          g_autoptr (GBytes) one = g_bytes_new_from_bytes (bytes, i * plane, plane);
          out[i] = gdk_memory_texture_new (S, S, GDK_MEMORY_R8G8B8, one, (gsize) S * 3);
        }
    }
}

void
lk_training_flush (LkTraining *self)
{
  Numbers numbers;
  g_autoptr (GArray) train = NULL, validation = NULL;
  g_autoptr (GBytes) samples = NULL, reconstructions = NULL;
  guint n_samples;
  int size, samples_epoch;
  gboolean embedding;

  g_mutex_lock (&self->lock);
  numbers = self->pending;
  self->pending.valid = FALSE;
  embedding = self->pending_embedding;
  self->pending_embedding = FALSE;
  train = self->pending_train;
  validation = self->pending_validation;
  self->pending_train = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  self->pending_validation = g_array_new (FALSE, FALSE, sizeof (LkLossPoint));
  samples = g_steal_pointer (&self->pending_samples);
  reconstructions = g_steal_pointer (&self->pending_reconstructions);
  n_samples = self->pending_n_samples;
  size = self->pending_sample_size;
  samples_epoch = self->pending_samples_epoch;
  if (self->idle)
    g_source_destroy (self->idle);
  g_clear_pointer (&self->idle, g_source_unref);
  g_mutex_unlock (&self->lock);

  /* the points of a run that has ended are kept; its state is the session's */
  if (numbers.valid && (lk_training_is_active (self) || self->state == LK_TRAINING_WAITING))
    {
      if (numbers.phase == LK_TRAIN_LOADING)
        {
          self->photos_read = numbers.done;
          self->photos_total = numbers.total;
          lk_training_set_state (self, LK_TRAINING_READING);
        }
      else
        {
          self->numbers = numbers;
          lk_training_set_state (self, numbers.phase == LK_TRAIN_SAVING ? LK_TRAINING_SAVING
                                                                        : LK_TRAINING_RUNNING);
        }
    }
  if (embedding && lk_training_is_active (self))
    lk_training_set_state (self, LK_TRAINING_EMBEDDING);
  g_array_append_vals (self->train_points, train->data, train->len);
  g_array_append_vals (self->validation_points, validation->data, validation->len);
  if (samples)
    {
      make_textures (self->samples, samples, n_samples, size);
      make_textures (self->reconstructions, reconstructions, n_samples, size);
      self->n_samples = n_samples;
      self->samples_epoch = samples_epoch;
      g_signal_emit (self, signals[SAMPLES_CHANGED], 0);
    }
  g_signal_emit (self, signals[PROGRESS], 0);
}

static gboolean
apply_idle (gpointer data)
{
  lk_training_flush (LK_TRAINING (data));
  return G_SOURCE_REMOVE;
}

static void
schedule (LkTraining *self)
{
  if (!self->idle)
    {
      self->idle = g_idle_source_new ();
      g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->idle, apply_idle, g_object_ref (self), g_object_unref);
      g_source_set_static_name (self->idle, "[lookalike] training progress");
      g_source_attach (self->idle, self->context);
    }
}

gboolean
lk_training_commit_model (LkTraining *self, const char *partial, const char *model_path,
                          GCancellable *cancellable, gboolean *cancelled, GError **error)
{
  gboolean ok = FALSE;

  *cancelled = FALSE;
  g_mutex_lock (&self->lock);
  if (g_cancellable_is_cancelled (cancellable))
    *cancelled = TRUE;
  else if (g_rename (partial, model_path) != 0)
    {
      int saved = errno;
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved), g_strerror (saved));
    }
  else
    ok = self->model_in_place = TRUE;
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
lk_training_is_model_in_place (LkTraining *self)
{
  gboolean in_place;

  g_mutex_lock (&self->lock);
  in_place = self->model_in_place;
  g_mutex_unlock (&self->lock);
  return in_place;
}

void
lk_training_begin_embedding (LkTraining *self)
{
  g_mutex_lock (&self->lock);
  self->pending_embedding = TRUE;
  schedule (self);
  g_mutex_unlock (&self->lock);
}

void
lk_training_report (LkTraining *self, const LkTrainProgress *p)
{
  g_mutex_lock (&self->lock);
  self->pending = (Numbers){ .valid = TRUE,
                             .phase = p->phase,
                             .done = p->done,
                             .total = p->total,
                             .epoch = p->epoch ? p->epoch : self->pending.epoch,
                             .epochs = p->epochs ? p->epochs : self->params.epochs,
                             .images_per_second = p->images_per_second,
                             .eta = p->eta_seconds };
  for (guint i = 0; i < p->n_step_losses; i++)
    {
      guint64 step = p->done - p->n_step_losses + i + 1;
      LkLossPoint point = { (double) step / MAX (p->steps_per_epoch, 1), p->step_losses[i] };
      g_array_append_val (self->pending_train, point);
    }
  if (p->epoch_finished)
    {
      LkLossPoint point = { p->epoch, p->val_loss };
      g_array_append_val (self->pending_validation, point);
    }
  if (p->samples && p->n_samples)
    {
      gsize n =
        (gsize) MIN (p->n_samples, LK_TRAINING_N_SAMPLES) * p->sample_size * p->sample_size * 3;
      g_clear_pointer (&self->pending_samples, g_bytes_unref);
      g_clear_pointer (&self->pending_reconstructions, g_bytes_unref);
      self->pending_samples = g_bytes_new (p->samples, n);
      self->pending_reconstructions = g_bytes_new (p->reconstructions, n);
      self->pending_n_samples = MIN (p->n_samples, LK_TRAINING_N_SAMPLES);
      self->pending_sample_size = p->sample_size;
      self->pending_samples_epoch = p->done ? p->epoch : 0;
    }
  schedule (self);
  g_mutex_unlock (&self->lock);
}
