/* lk-session-private.h: what lk-session.c, lk-session-build.c and lk-session-search.c share.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lk-job.h"
#include "lk-session.h"

G_BEGIN_DECLS

struct _LkSession
{
  GObject parent_instance;

  LkSessionState state;
  char *root;
  char *catalog_path;
  char *weights;
  char *error;
  char *backend_error[LK_N_BACKENDS]; /* why a backend cannot be used (CNN without weights) */
  gboolean read_only;                 /* the catalog was opened as it is: nothing is built */
  LkBackend backend;
  guint generation; /* bumped by every open and close: results of superseded runs are dropped */

  /* the run in the background: opening and indexing, or building */
  LkJob *job;
  double progress;
  char *progress_text;
  LkTraining *training; /* the retraining running or waiting for a choice */

  /* searching; the model, the embedders made for the catalog's vectors and their states are
   * shared with workers under model_lock */
  LkSearchIndex *index[LK_N_BACKENDS];
  GMutex model_lock;
  LkModel *model; /* the CNN weights */
  LkEmbedder *embedder[LK_N_BACKENDS];
  LkEmbedderState *embed_state[LK_N_BACKENDS];
};

void lk_session_set_state (LkSession *self, LkSessionState state);
void lk_session_set_progress (LkSession *self, double progress, const char *text);
/* @index: (nullable) (transfer none) */
void lk_session_set_index (LkSession *self, LkBackend backend, LkSearchIndex *index);
/* Keeps @embedder (transfer none) to embed queries against @backend's vectors. */
void lk_session_set_embedder (LkSession *self, LkBackend backend, LkEmbedder *embedder);

/* A new run: :progress and :progress-text follow it until lk_session_end_job ().
 * Returns: (transfer none) */
LkJob *lk_session_begin_job (LkSession *self);
/* Stops following the current run, cancelling it if @cancel. */
void lk_session_end_job (LkSession *self, gboolean cancel);

/* The embedder that makes @identity's vectors (lk-session-search.c), kept while they stay the
 * same: the CNN features' made of the session's model. Called under model_lock.
 * Returns: (transfer none) (nullable) */
LkEmbedder *lk_session_embedder_for (LkSession *self, const LkModelIdentity *identity,
                                     const char *catalog_name, GError **error);

/* Brings @embedder's vectors of @catalog up to date, reporting through @job, on a lower-priority
 * thread (lk_session_run_below ()), and waits for it. */
gboolean lk_session_index_below (LkCatalog *catalog, LkEmbedder *embedder, LkJob *job,
                                 LkIndexSummary **summary, GError **error);

/* Forgets the retraining, deleting a stopped one's model (the catalog is closing). */
void lk_session_drop_training (LkSession *self);

/* Runs @func (@data) in a thread of its own, named @name, at a lower priority, and waits for it:
 * the threads it starts inherit the priority (and end with it), so the window's thread wins the
 * cores while both are busy. What outlives the run (search indexes, their ranking threads) must
 * be made by the caller at normal priority: a thread's priority cannot be raised again. */
void lk_session_run_below (const char *name, GThreadFunc func, gpointer data);

G_END_DECLS
