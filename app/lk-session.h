/* lk-session.h: the open catalog, as the window uses it.
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
  LK_SESSION_EMPTY,    /* no catalog open */
  LK_SESSION_INDEXING, /* opening or indexing (searching may work already: see :searchable) */
  LK_SESSION_READY,    /* up to date */
  LK_SESSION_FAILED,   /* could not open: see :error */
} LkSessionState;

/* What to search with: a file (a catalog image is searched with its stored vector), or a picture
 * dropped or pasted from elsewhere: its encoded bytes, decoded like a file (with the decoder's
 * limits, in the search worker), or, from a source that offers nothing the decoder reads, a
 * texture. */
typedef struct _LkQuery LkQuery;

#define LK_TYPE_QUERY (lk_query_get_type ())
GType lk_query_get_type (void);
LkQuery *lk_query_new_for_path (const char *path);
LkQuery *lk_query_new_for_bytes (GBytes *bytes, const char *name);
LkQuery *lk_query_new_for_texture (GdkTexture *texture, const char *name);
LkQuery *lk_query_ref (LkQuery *query);
void lk_query_unref (LkQuery *query);
/* For display: the file's name, or what the picture was called. */
const char *lk_query_get_name (LkQuery *query);
/* Returns: (nullable) the file */
const char *lk_query_get_path (LkQuery *query);
/* Returns: (nullable) the encoded picture (PNG, JPEG, …) */
GBytes *lk_query_get_bytes (LkQuery *query);
/* Returns: (nullable) the picture */
GdkTexture *lk_query_get_texture (LkQuery *query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkQuery, lk_query_unref)

#define LK_TYPE_SESSION (lk_session_get_type ())
G_DECLARE_FINAL_TYPE (LkSession, lk_session, LK, SESSION, GObject)

LkSession *lk_session_new (void);

/* The weights to index and search with; NULL or "" for the installed default. Takes effect at
 * the next lk_session_open (). */
void lk_session_set_weights (LkSession *self, const char *path);

/* Opens the catalog of @folder (the default catalog file for it) and brings it up to date in the
 * background; :state, :progress and :progress-text follow, "indexing-finished" ends it. Searching
 * works as soon as a previous run's vectors are loaded. @catalog_path: (nullable) another file */
void lk_session_open (LkSession *self, const char *folder, const char *catalog_path);
/* Stops indexing after the batch in flight, keeping what was committed. */
void lk_session_cancel_indexing (LkSession *self);
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
/* Images searchable with the current backend. */
guint lk_session_get_n_items (LkSession *self);

/* Ranks the catalog against @query with the current backend: a GListModel of LkResult, best
 * first, at most @k of them. An image of the catalog is left out of its own results. */
void lk_session_search_async (LkSession *self, LkQuery *query, guint k, const LkBands *bands,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* Returns: (transfer full) (nullable) */
GListModel *lk_session_search_finish (LkSession *self, GAsyncResult *result, GError **error);

G_END_DECLS
