/* lk-window.h: the main window.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lk-compare-window.h"
#include "lk-retrain-window.h"
#include "lk-session.h"

G_BEGIN_DECLS

#define LK_TYPE_WINDOW (lk_window_get_type ())
G_DECLARE_FINAL_TYPE (LkWindow, lk_window, LK, WINDOW, AdwApplicationWindow)

LkWindow *lk_window_new (GtkApplication *application);

/* Opens @folder as the catalog (indexing it in the background) and remembers it. */
void lk_window_open_folder (LkWindow *self, const char *folder);
/* Searches with a photo: a file, or a picture dropped or pasted from elsewhere (its encoded bytes,
 * decoded with the engine's limits; or a texture). */
void lk_window_search_path (LkWindow *self, const char *path);
void lk_window_search_bytes (LkWindow *self, GBytes *bytes, const char *name);
void lk_window_search_texture (LkWindow *self, GdkTexture *texture, const char *name);
void lk_window_set_backend (LkWindow *self, LkBackend backend);

/* Shows a message at the bottom of the window. @details (nullable) adds a Details button. */
void lk_window_toast (LkWindow *self, const char *title, const char *details);

LkSession *lk_window_get_session (LkWindow *self);

/* For tests and tools: what the window shows. */
GListModel *lk_window_get_results (LkWindow *self);
const char *lk_window_get_page (LkWindow *self);
const char *lk_window_get_last_toast (LkWindow *self);
guint lk_window_get_n_searches (LkWindow *self);
GtkDropTarget *lk_window_get_drop_target (LkWindow *self);
/* Returns: (nullable) (transfer none) the Retrain dialog, if one is open or hidden */
LkRetrainWindow *lk_window_get_retrain_window (LkWindow *self);
/* (nullable) the Compare Backends window (win.compare-backends), while it is open */
LkCompareWindow *lk_window_get_compare_window (LkWindow *self);
/* What the backend selector's row says of @backend for the open catalog: "512 dimensions ·
 * 3.2 MiB for 1617 photos". Returns: (transfer full) */
char *lk_window_describe_backend (LkWindow *self, LkBackend backend);

/* lk-window-actions.c */
void lk_window_install_actions (LkWindowClass *klass);
void lk_window_update_actions (LkWindow *self);
void lk_window_show_compare (LkWindow *self, guint position);

G_END_DECLS
