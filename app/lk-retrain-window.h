/* lk-retrain-window.h: the Retrain Autoencoder dialog.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "lk-loss-plot.h"
#include "lk-session.h"

G_BEGIN_DECLS

#define LK_TYPE_RETRAIN_WINDOW (lk_retrain_window_get_type ())
G_DECLARE_FINAL_TYPE (LkRetrainWindow, lk_retrain_window, LK, RETRAIN_WINDOW, AdwWindow)

/* A dialog over @parent for retraining @session's catalog: the settings, or the retraining the
 * session runs already (continued in the background, or stopped for a choice). */
LkRetrainWindow *lk_retrain_window_new (GtkWindow *parent, LkSession *session);

/* Returns: (transfer none) (nullable) the retraining it shows */
LkTraining *lk_retrain_window_get_training (LkRetrainWindow *self);
/* Returns: (transfer none) */
LkLossPlot *lk_retrain_window_get_plot (LkRetrainWindow *self);
/* The settings as they are entered. */
LkTrainParams lk_retrain_window_get_params (LkRetrainWindow *self);
/* Whether the catalog's description (photos, current model) has been read. */
gboolean lk_retrain_window_is_described (LkRetrainWindow *self);

G_END_DECLS
