/* lk-training.h: one retraining of the catalog's autoencoder, as the Retrain dialog and the window
 * follow it: its parameters, its losses point by point, the reconstructions of a few photos, and
 * how it ended.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lookalike.h"

G_BEGIN_DECLS

typedef enum
{
  LK_TRAINING_WAITING,   /* made, not started */
  LK_TRAINING_READING,   /* the photos are read */
  LK_TRAINING_RUNNING,   /* the epochs */
  LK_TRAINING_SAVING,    /* the best model is written */
  LK_TRAINING_STOPPED,   /* stopped after an epoch: the best model so far waits for a choice */
  LK_TRAINING_EMBEDDING, /* the new model is in place; the catalog is embedded with it */
  LK_TRAINING_FINISHED,  /* done: the new model and its vectors (see :cancelled-embedding) */
  LK_TRAINING_DISCARDED, /* stopped, and the previous model kept */
  LK_TRAINING_FAILED,    /* see lk_training_get_error () */
} LkTrainingState;

/* The photos shown reconstructed */
#define LK_TRAINING_N_SAMPLES 8

typedef struct
{
  double epoch; /* fractional */
  double loss;
} LkLossPoint;

#define LK_TYPE_TRAINING (lk_training_get_type ())
G_DECLARE_FINAL_TYPE (LkTraining, lk_training, LK, TRAINING, GObject)

/* A retraining with @params (copied; output is the session's business). */
LkTraining *lk_training_new (const LkTrainParams *params);
const LkTrainParams *lk_training_get_params (LkTraining *self);

/* :state */
LkTrainingState lk_training_get_state (LkTraining *self);
gboolean lk_training_is_active (LkTraining *self); /* reading, running, saving or embedding */
/* Returns: (nullable) why it failed */
const char *lk_training_get_error (LkTraining *self);

/* What the reports said, in the main context; "progress" is emitted after each batch of them. */
/* The epoch under way, from 1 (the last one once all steps are taken). */
int lk_training_get_epoch (LkTraining *self);
int lk_training_get_epochs (LkTraining *self);
double lk_training_get_fraction (LkTraining *self); /* of the steps, or of the photos read */
double lk_training_get_images_per_second (LkTraining *self);
double lk_training_get_eta (LkTraining *self); /* seconds, -1 unknown */
/* Seconds since the training started (stops counting when it ends). */
double lk_training_get_elapsed (LkTraining *self);
guint64 lk_training_get_photos_read (LkTraining *self, guint64 *total);
/* Every step's training loss, and every epoch's validation loss, so far: (transfer none) */
const LkLossPoint *lk_training_get_train_points (LkTraining *self, guint *n);
const LkLossPoint *lk_training_get_validation_points (LkTraining *self, guint *n);

/* The photos (validation, fixed for the run) and the current model's reconstructions of them;
 * "samples-changed" says when they are new. Returns: (transfer none) (nullable) */
GdkTexture *lk_training_get_sample (LkTraining *self, guint i);
GdkTexture *lk_training_get_reconstruction (LkTraining *self, guint i);
guint lk_training_get_n_samples (LkTraining *self);
/* Which epoch's model made the reconstructions: 0 the untrained one. */
int lk_training_get_samples_epoch (LkTraining *self);

/* Once the training has ended (stopped, finished): (transfer none) (nullable) */
const LkTrainSummary *lk_training_get_summary (LkTraining *self);
/* Once the catalog is embedded: precision@10 by folder (leave-one-out, the engine's evaluation,
 * each photo labelled with its folder) of the new model; NULL when the catalog has one folder, or
 * too many photos to evaluate in a moment. (transfer none) */
const LkEvalResult *lk_training_get_evaluation (LkTraining *self);
/* The folder of label @i of the evaluation. */
const char *lk_training_get_label (LkTraining *self, guint i);
/* The precision@10 of the model it replaced, on that model's vectors; NAN when there were none. */
double lk_training_get_previous_precision (LkTraining *self);
/* The embedding was cancelled: the model is kept, with part of its vectors. */
gboolean lk_training_get_embedding_cancelled (LkTraining *self);
/* Photos that could not be read for training. */
guint lk_training_get_n_failures (LkTraining *self);

/* Whether a stop should discard the model at once instead of asking (the dialog was closed with
 * "Stop Training"). */
void lk_training_set_discard_on_stop (LkTraining *self, gboolean discard);
gboolean lk_training_get_discard_on_stop (LkTraining *self);

/* For the session (lk-session-build.c). From any thread: a report of the engine (copied;
 * coalesced into one idle in the main context lk_training_new () ran in). */
void lk_training_report (LkTraining *self, const LkTrainProgress *progress);
/* From any thread: the model is in place, and the catalog is being embedded with it. */
void lk_training_begin_embedding (LkTraining *self);
/* From the worker: renames the new model from @partial to @model_path unless @cancellable is
 * cancelled (then FALSE with @cancelled set), under the lock lk_training_is_model_in_place ()
 * takes: whoever cancels and then asks gets an answer that stays true. */
gboolean lk_training_commit_model (LkTraining *self, const char *partial, const char *model_path,
                                   GCancellable *cancellable, gboolean *cancelled, GError **error);
/* Whether the new model has replaced the previous one. */
gboolean lk_training_is_model_in_place (LkTraining *self);
/* In the main context: applies the reports not applied yet (the idle would, later) */
void lk_training_flush (LkTraining *self);
void lk_training_set_state (LkTraining *self, LkTrainingState state);
void lk_training_fail (LkTraining *self, const char *message);
/* @summary, @partial: (transfer full) (nullable) the stopped run's model, kept until
 * lk_training_take_partial () or finalization (which deletes it) */
void lk_training_set_summary (LkTraining *self, LkTrainSummary *summary);
void lk_training_set_partial (LkTraining *self, char *partial);
/* Returns: (transfer full) (nullable) */
char *lk_training_take_partial (LkTraining *self);
/* @evaluation: (transfer full) (nullable); @labels: (transfer full) (nullable) */
void lk_training_set_evaluation (LkTraining *self, LkEvalResult *evaluation, GStrv labels,
                                 double previous_precision);
void lk_training_set_embedding_cancelled (LkTraining *self, gboolean cancelled);

G_END_DECLS
