/* lk-job.c: one run of the session's background work: its cancellable and its progress.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine calls back from its threads, at most a few times a second; each report replaces the
 * pending one under a lock, and a single idle (added by the first report after the last one was
 * applied) sets the properties to whatever is latest when it runs. The texts are made in the
 * worker: the main loop only copies them.
 */
#define G_LOG_DOMAIN "lk-job"

#include "config.h"

#include "lk-job.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

struct _LkJob
{
  GObject parent_instance;

  /* owned */
  GCancellable *cancellable;
  GMainContext *context; /* where the properties change */
  double fraction;
  char *text;

  /* shared with the workers, under lock */
  GMutex lock;
  double stage_start, stage_end;
  char *stage_label;
  double pending_fraction;
  char *pending_text;
  GSource *idle; /* the idle that applies the pending report */
};

G_DEFINE_FINAL_TYPE (LkJob, lk_job, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_FRACTION,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
lk_job_finalize (GObject *object)
{
  LkJob *self = LK_JOB (object);

  /* a pending idle holds a reference: there is none left */
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);
  g_free (self->text);
  g_free (self->stage_label);
  g_free (self->pending_text);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lk_job_parent_class)->finalize (object);
}

static void
lk_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkJob *self = LK_JOB (object);

  switch (prop_id)
    {
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_job_class_init (LkJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lk_job_finalize;
  object_class->get_property = lk_job_get_property;

  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lk_job_init (LkJob *self)
{
  g_mutex_init (&self->lock);
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->stage_end = 1.0;
}

LkJob *
lk_job_new (void)
{
  return g_object_new (LK_TYPE_JOB, NULL);
}

GCancellable *
lk_job_get_cancellable (LkJob *self)
{
  return self->cancellable;
}

void
lk_job_cancel (LkJob *self)
{
  g_cancellable_cancel (self->cancellable);
}

double
lk_job_get_fraction (LkJob *self)
{
  return self->fraction;
}

const char *
lk_job_get_text (LkJob *self)
{
  return self->text;
}

static gboolean
apply_idle (gpointer data)
{
  LkJob *self = data;
  double fraction;
  g_autofree char *text = NULL;

  g_mutex_lock (&self->lock);
  fraction = self->pending_fraction;
  text = g_steal_pointer (&self->pending_text);
  g_clear_pointer (&self->idle, g_source_unref);
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->fraction != fraction)
    {
      self->fraction = fraction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  if (g_strcmp0 (self->text, text) != 0)
    {
      g_free (self->text);
      self->text = g_steal_pointer (&text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

void
lk_job_begin_stage (LkJob *self, double start, double end, const char *label)
{
  g_mutex_lock (&self->lock);
  self->stage_start = start;
  self->stage_end = end;
  g_free (self->stage_label);
  self->stage_label = g_strdup (label);
  g_mutex_unlock (&self->lock);
}

void
lk_job_report (LkJob *self, double fraction, const char *text)
{
  g_mutex_lock (&self->lock);
  fraction = CLAMP (fraction, 0.0, 1.0);
  self->pending_fraction = self->stage_start + (self->stage_end - self->stage_start) * fraction;
  g_free (self->pending_text);
  self->pending_text = g_strdup (text);
  if (!self->idle)
    {
      self->idle = g_idle_source_new ();
      g_source_set_priority (self->idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->idle, apply_idle, g_object_ref (self), g_object_unref);
      g_source_set_static_name (self->idle, "[lookalike] job progress");
      g_source_attach (self->idle, self->context);
    }
  g_mutex_unlock (&self->lock);
}

/* "about 4 s left" */
static char *
describe_time_left (double eta_seconds)
{
  if (eta_seconds < 0)
    return g_strdup (_ ("estimating time left"));
  if (eta_seconds < 90)
    return g_strdup_printf (_ ("about %.0f s left"), MAX (1, eta_seconds));
  return g_strdup_printf (_ ("about %.0f min left"), eta_seconds / 60);
}

/* "640 of 1,617 · 245 images/s · about 4 s left" */
static char *
describe_index (const LkIndexProgress *p)
{
  g_autofree char *left = NULL;

  if (p->phase == LK_INDEX_WAITING)
    return g_strdup (_ ("Waiting for another program that is indexing this catalog…"));
  if (p->total == 0)
    return g_strdup (_ ("Checking for new photos…"));
  left = describe_time_left (p->eta_seconds);
  return g_strdup_printf (_ ("%" PRIu64 " of %" PRIu64 " · %.0f images/s · %s"), p->done, p->total,
                          p->images_per_second, left);
}

void
lk_job_index_progress_cb (const LkIndexProgress *progress, gpointer job)
{
  LkJob *self = job;
  g_autofree char *text = describe_index (progress);
  g_autofree char *label = NULL;

  g_mutex_lock (&self->lock);
  label = g_strdup (self->stage_label);
  g_mutex_unlock (&self->lock);
  if (label)
    {
      /* Translators: what is being done, then how far it is: "Embedding… 640 of 1617 · 245
       * images/s · about 4 s left" */
      g_autofree char *labelled = g_strdup_printf (_ ("%s %s"), label, text);
      g_free (text);
      text = g_steal_pointer (&labelled);
    }
  lk_job_report (self, progress->total ? (double) progress->done / progress->total : 0.0, text);
}

/* Of a build's training: reading the photos is the first tenth, the epochs the rest. */
#define TRAIN_LOADING_SHARE 0.1

void
lk_job_train_progress_cb (const LkTrainProgress *p, gpointer job)
{
  LkJob *self = job;
  g_autofree char *text = NULL;
  g_autofree char *left = describe_time_left (p->eta_seconds);
  double fraction = 0.0;

  switch (p->phase)
    {
    case LK_TRAIN_LOADING:
      fraction = p->total ? TRAIN_LOADING_SHARE * p->done / p->total : 0.0;
      if (p->total)
        /* Translators: "Reading photos… 640 of 1617 · about 4 s left" */
        text = g_strdup_printf (_ ("Reading photos… %" PRIu64 " of %" PRIu64 " · %s"), p->done,
                                p->total, left);
      else
        text = g_strdup (_ ("Reading photos…"));
      break;
    case LK_TRAIN_TRAINING:
      if (p->total)
        fraction = (double) p->done / p->total;
      else if (p->epochs > 0)
        fraction = p->epoch_position / p->epochs;
      fraction = TRAIN_LOADING_SHARE + (1 - TRAIN_LOADING_SHARE) * fraction;
      if (isfinite (p->train_loss))
        /* Translators: "Training — epoch 3 of 20, loss 0.0213 · about 2 min left"; the loss is
         * how far the network's reconstructions are from the photos, lower is better */
        text = g_strdup_printf (_ ("Training — epoch %d of %d, loss %.4f · %s"), p->epoch,
                                p->epochs, p->train_loss, left);
      else
        /* Translators: "Training — epoch 1 of 20 · about 2 min left" */
        text = g_strdup_printf (_ ("Training — epoch %d of %d · %s"), p->epoch, p->epochs, left);
      break;
    case LK_TRAIN_SAVING:
      fraction = 1.0;
      text = g_strdup (_ ("Saving the model…"));
      break;
    }
  lk_job_report (self, fraction, text);
}
