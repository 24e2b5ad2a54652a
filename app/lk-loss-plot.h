/* lk-loss-plot.h: live training curves of an autoencoder: loss per step and per epoch.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define LK_TYPE_LOSS_PLOT (lk_loss_plot_get_type ())
G_DECLARE_FINAL_TYPE (LkLossPlot, lk_loss_plot, LK, LOSS_PLOT, GtkWidget)

GtkWidget *lk_loss_plot_new (void);
/* Forgets every point; the x axis then spans 0..@epochs (more if points go beyond). */
void lk_loss_plot_reset (LkLossPlot *self, int epochs);
/* One step's training loss at fractional @epoch; non-finite values are ignored. */
void lk_loss_plot_add_train (LkLossPlot *self, double epoch, double loss);
/* The validation loss at the end of an epoch; non-finite values are ignored. */
void lk_loss_plot_add_validation (LkLossPlot *self, double epoch, double loss);
/* Training plus validation points received since the last reset. */
guint lk_loss_plot_get_n_points (LkLossPlot *self);
guint lk_loss_plot_get_n_train_points (LkLossPlot *self);
guint lk_loss_plot_get_n_validation_points (LkLossPlot *self);
/* The lowest validation loss so far and its epoch (the first of equals); FALSE when there is
 * none. @epoch and @loss may be NULL. */
gboolean lk_loss_plot_get_best (LkLossPlot *self, double *epoch, double *loss);
/* Property "log-scale": a logarithmic y axis. */
void lk_loss_plot_set_log_scale (LkLossPlot *self, gboolean log_scale);
gboolean lk_loss_plot_get_log_scale (LkLossPlot *self);
/* What the tooltip says at widget coordinates (@x, @y), NULL where no point is near; for tests.
 * Returns: (transfer full) (nullable) */
char *lk_loss_plot_describe_at (LkLossPlot *self, double x, double y);

G_END_DECLS
