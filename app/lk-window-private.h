/* lk-window-private.h: what lk-window.c and lk-window-actions.c share.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lk-result.h"
#include "lk-compare-window.h"
#include "lk-retrain-window.h"
#include "lk-thumbnailer.h"
#include "lk-window.h"

G_BEGIN_DECLS

struct _LkWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkDropDown *backend_dropdown;
  GtkSpinButton *results_spin;
  GtkRevealer *progress_revealer;
  GtkLabel *progress_title;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  GtkStack *stack;
  AdwStatusPage *failed_page;
  AdwStatusPage *ready_page;
  AdwStatusPage *unavailable_page;
  GtkWidget *build_button;
  GtkPicture *query_picture;
  GtkLabel *query_label;
  GtkLabel *summary_label;
  GtkGridView *results_view;
  GtkLabel *compare_badge;
  GtkPicture *compare_query;
  GtkLabel *compare_query_label;
  GtkPicture *compare_result;
  GtkLabel *compare_result_label;

  /* owned */
  GSettings *settings;
  LkSession *session;
  LkThumbnailer *thumbnailer; /* tiles */
  LkThumbnailer *previewer;   /* the query and the comparison, larger */
  GCancellable *cancellable;  /* everything, cancelled when the window closes */
  GCancellable *searching;    /* the search in flight */
  LkQuery *query;             /* the last query */
  GListModel *results;        /* its results (LkResult) */
  GtkDropTarget *drop_target;
  GtkFileChooserNative *chooser;
  LkResult *shown;          /* the result on the compare page */
  LkRetrainWindow *retrain; /* (nullable) weak: the Retrain dialog, shown or hidden */
  LkCompareWindow *compare; /* (nullable) weak: Compare Backends */
  GPtrArray *backend_rows;  /* the backend selector's bound rows (GtkListItem, borrowed) */
  char *last_toast;
  guint n_searches;
};

/* Runs the current query again (results count or backend changed). */
void lk_window_search_again (LkWindow *self);

G_END_DECLS
