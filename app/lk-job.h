/* lk-job.h: one run of the session's background work (opening and indexing a catalog, or building
 * a backend for it): its cancellable and its progress.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "lookalike.h"

G_BEGIN_DECLS

#define LK_TYPE_JOB (lk_job_get_type ())
G_DECLARE_FINAL_TYPE (LkJob, lk_job, LK, JOB, GObject)

/* Workers report from any thread, as often as the engine calls back; :fraction and :text change
 * in the main context the job was made in, through one pending idle however many reports came in
 * between. A job nobody follows any more (superseded, closed) still reports into itself, harmlessly. */
LkJob *lk_job_new (void);

GCancellable *lk_job_get_cancellable (LkJob *self);
void lk_job_cancel (LkJob *self);
/* 0..1, over the whole run */
double lk_job_get_fraction (LkJob *self);
/* "640 of 1617 · 245 images/s · about 4 s left", "Training — epoch 3 of 20, loss 0.0213 · …" */
const char *lk_job_get_text (LkJob *self);

/* From the worker: the next reports fill the bar from @start to @end (0..1); @label (nullable)
 * names what indexing reports are for ("Embedding…"): without one they read as the catalog's own
 * indexing. */
void lk_job_begin_stage (LkJob *self, double start, double end, const char *label);
/* From the worker: @fraction (0..1) of the current stage done. */
void lk_job_report (LkJob *self, double fraction, const char *text);

/* LkIndexProgressFunc and LkTrainProgressFunc; @job is the LkJob. */
void lk_job_index_progress_cb (const LkIndexProgress *progress, gpointer job);
void lk_job_train_progress_cb (const LkTrainProgress *progress, gpointer job);

G_END_DECLS
