/* lk-query.h: what a search is made with.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What to search with: a file (a catalog image is searched with its stored vector), or a picture
 * dropped or pasted from elsewhere: its encoded bytes, decoded like a file (with the decoder's
 * limits, in the search worker), or, from a source that offers nothing the decoder reads, a
 * texture. Immutable, and reference counted atomically: workers hold it. */
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

G_END_DECLS
