/* lk-result.h: one match of a search, as the results grid shows it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LK_TYPE_RESULT (lk_result_get_type ())
G_DECLARE_FINAL_TYPE (LkResult, lk_result, LK, RESULT, GObject)

/* @band: "green", "yellow" or "red" (a CSS class of the badge as well) */
LkResult *lk_result_new (guint rank, const char *path, float cosine, int percent, const char *band,
                         gboolean missing);

guint lk_result_get_rank (LkResult *self);
/* The file, absolute. */
const char *lk_result_get_path (LkResult *self);
/* Its name, for display. */
const char *lk_result_get_name (LkResult *self);
float lk_result_get_cosine (LkResult *self);
int lk_result_get_percent (LkResult *self);
const char *lk_result_get_band (LkResult *self);
/* Deleted or changed since it was indexed. */
gboolean lk_result_get_missing (LkResult *self);
/* "87%", as the badge shows it. Returns: (transfer full) */
char *lk_result_dup_badge_text (LkResult *self);

G_END_DECLS
