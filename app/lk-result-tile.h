/* lk-result-tile.h: one result in the grid: thumbnail, name and similarity badge.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lk-result.h"
#include "lk-thumbnailer.h"

G_BEGIN_DECLS

#define LK_TYPE_RESULT_TILE (lk_result_tile_get_type ())
G_DECLARE_FINAL_TYPE (LkResultTile, lk_result_tile, LK, RESULT_TILE, GtkWidget)

GtkWidget *lk_result_tile_new (LkThumbnailer *thumbnailer);
/* Shows @result (NULL: nothing); its thumbnail loads in the background. */
void lk_result_tile_set_result (LkResultTile *self, LkResult *result);
LkResult *lk_result_tile_get_result (LkResultTile *self);
/* The badge label, for tests: its text and its band's CSS class. */
GtkWidget *lk_result_tile_get_badge (LkResultTile *self);

G_END_DECLS
