/* lk-compare-window.h: Compare Backends, one query answered by every backend side by side.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lk-query.h"
#include "lk-session.h"
#include "lk-thumbnailer.h"

G_BEGIN_DECLS

#define LK_TYPE_COMPARE_WINDOW (lk_compare_window_get_type ())
G_DECLARE_FINAL_TYPE (LkCompareWindow, lk_compare_window, LK, COMPARE_WINDOW, AdwWindow)

/* A window over @parent comparing @session's backends on @query, the top @k of each, with
 * thumbnails from @thumbnailer. It searches at once. */
LkCompareWindow *lk_compare_window_new (GtkWindow *parent, LkSession *session, LkQuery *query,
                                        guint k, LkThumbnailer *thumbnailer);

/* For the tests: how many columns it shows (0 while it searches), and the overlap of the top k
 * of columns @a and @b, or -1. */
guint lk_compare_window_get_n_columns (LkCompareWindow *self);
int lk_compare_window_get_overlap (LkCompareWindow *self, guint a, guint b);
/* The backend of column @i. */
LkBackend lk_compare_window_get_column_backend (LkCompareWindow *self, guint i);

G_END_DECLS
