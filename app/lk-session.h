/* lk-session.h: the open catalog, as the window uses it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lk-query.h"
#include "lk-training.h"
#include "lookalike.h"

G_BEGIN_DECLS

typedef enum
{
  LK_SESSION_EMPTY,    /* no catalog open */
  LK_SESSION_INDEXING, /* opening or indexing (searching may work already: see :searchable) */
  LK_SESSION_READY,    /* up to date */
  LK_SESSION_BUILDING, /* training a backend's model and embedding the catalog with it */
  LK_SESSION_FAILED,   /* could not open: see :error */
} LkSessionState;

#define LK_TYPE_SESSION (lk_session_get_type ())
G_DECLARE_FINAL_TYPE (LkSession, lk_session, LK, SESSION, GObject)

LkSession *lk_session_new (void);

/* The weights to index and search with; NULL or "" for the installed default. Takes effect at
 * the next lk_session_open (). */
void lk_session_set_weights (LkSession *self, const char *path);

/* Opens the catalog of @folder (the default catalog file for it) and brings it up to date in the
 * background: the CNN features when there are weights, and every backend built for it before;
 * :state, :progress and :progress-text follow, "indexing-finished" ends it. Searching works as soon
 * as a previous run's vectors are loaded. Without CNN weights the catalog still opens: the CNN
 * backend says why in lk_session_get_backend_error (). @catalog_path: (nullable) another file */
void lk_session_open (LkSession *self, const char *folder, const char *catalog_path);

/* Whether the current backend is one the application builds for a catalog (by training its model
 * on the catalog's photos): the convolutional autoencoder. */
gboolean lk_session_is_buildable (LkSession *self);
/* Whether lk_session_build () can build it now: a catalog open that can be written, nothing else
 * running. */
gboolean lk_session_can_build (LkSession *self);
/* Builds the current backend in the background (see lk-session-build.c): trains its model on the
 * catalog's photos with the default parameters, then embeds the catalog with it; :state is
 * LK_SESSION_BUILDING meanwhile, :progress and :progress-text follow, "build-finished" ends it. */
void lk_session_build (LkSession *self);

/* The parameters a build trains with: the trainer's defaults (and the tests' overrides, see
 * lk-session-build.c). */
LkTrainParams lk_session_get_train_params (LkSession *self);

/* Whether lk_session_retrain () can start: a catalog open that can be written, nothing running,
 * no retraining waiting for a choice. */
gboolean lk_session_can_retrain (LkSession *self);
/* Retrains the catalog's convolutional autoencoder with @training's parameters, in the
 * background, @training following it (and the session keeping a reference until it ends): then,
 * unless stopped, the model replaces the previous one, the catalog is embedded with it and the new
 * vectors evaluated; "retrain-finished" ends it. Cancelling it (lk_session_cancel ()) after an
 * epoch leaves @training LK_TRAINING_STOPPED, its best model so far waiting for
 * lk_session_resolve_training (); before that, nothing was made. */
void lk_session_retrain (LkSession *self, LkTraining *training);
/* Returns: (nullable) (transfer none) the retraining running or waiting for a choice */
LkTraining *lk_session_get_training (LkSession *self);
/* For a stopped retraining: keep its best model so far (it is put in place and the catalog
 * embedded with it, as if it had finished), or keep the previous model (deleting the new one). */
void lk_session_resolve_training (LkSession *self, gboolean keep_best);

/* Stops what runs in the background: indexing after the batch in flight, keeping what was
 * committed; a build's training, keeping nothing of it; a retraining, for a choice. */
void lk_session_cancel (LkSession *self);
/* Cancels everything and forgets the catalog. */
void lk_session_close (LkSession *self);

LkSessionState lk_session_get_state (LkSession *self);
/* Returns: (nullable) the catalog's folder */
const char *lk_session_get_root (LkSession *self);
/* Returns: (nullable) the catalog file */
const char *lk_session_get_catalog_path (LkSession *self);
double lk_session_get_progress (LkSession *self);
/* "640 of 1,617 · 245 images/s · about 4 s left" */
const char *lk_session_get_progress_text (LkSession *self);
/* Returns: (nullable) why opening failed */
const char *lk_session_get_error (LkSession *self);

void lk_session_set_backend (LkSession *self, LkBackend backend);
LkBackend lk_session_get_backend (LkSession *self);
/* Whether the current backend has vectors to search. */
gboolean lk_session_get_searchable (LkSession *self);
/* Returns: (nullable) why the current backend cannot be indexed or searched with ("No network
 * weights are installed…"), beyond not being built */
const char *lk_session_get_backend_error (LkSession *self);
/* Whether @backend has vectors for the open catalog: their dimension and how many. */
gboolean lk_session_describe_backend (LkSession *self, LkBackend backend, int *dim, guint *n_items);
/* What one of @backend's vectors takes (0 when the catalog has none). */
gsize lk_session_get_bytes_per_item (LkSession *self, LkBackend backend);
/* Images searchable with the current backend. */
guint lk_session_get_n_items (LkSession *self);

/* Ranks the catalog against @query with the current backend: a GListModel of LkResult, best
 * first, at most @k of them. An image of the catalog is left out of its own results. */
void lk_session_search_async (LkSession *self, LkQuery *query, guint k, const LkBands *bands,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* Returns: (transfer full) (nullable) */
GListModel *lk_session_search_finish (LkSession *self, GAsyncResult *result, GError **error);

/* One backend's answer to a query, for comparing backends side by side. */
typedef struct
{
  LkBackend backend;
  GListModel *results; /* (nullable) of LkResult, best first; NULL when it failed */
  char *error;         /* (nullable) why it failed */
  int dim;
  gsize n_items, bytes_per_item;
  double embed_ms;  /* making the query's vector (0 for a catalog image: its stored one) */
  double search_ms; /* ranking the catalog against it */
} LkComparison;

void lk_comparison_free (LkComparison *comparison);

/* Ranks the catalog against @query with every backend it has vectors of, one after the other on
 * a worker thread, timing each: a GPtrArray of LkComparison in the backends' order. */
void lk_session_compare_async (LkSession *self, LkQuery *query, guint k, const LkBands *bands,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
/* Returns: (transfer full) (element-type LkComparison) (nullable) */
GPtrArray *lk_session_compare_finish (LkSession *self, GAsyncResult *result, GError **error);

G_END_DECLS
