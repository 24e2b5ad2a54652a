/* lk-plot-axis.h: the arithmetic of a plot's axes: nice tick steps on linear and logarithmic
 * axes, tick labels, values to pixels and back, and many points binned into pixel columns.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No GTK here, only numbers: LkLossPlot lays itself out and draws with these, and the tests check
 * them directly. An axis is a plain struct, filled in two steps: its range and ticks from the
 * data (lk_plot_axis_fit_linear, lk_plot_axis_fit_log, or lk_plot_axis_init for a range of your
 * own), then where it is drawn (lk_plot_axis_place). Nothing is allocated.
 *
 * Units: a "value" is what is plotted (a loss, an epoch), always as it is, never its logarithm;
 * the range (lo, hi) is in the axis' own units, which are log10 of values on a logarithmic axis;
 * a "fraction" is 0 at lo and 1 at hi; a "pixel" is a widget coordinate.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LK_PLOT_AXIS_MAX_TICKS 32

typedef struct
{
  double value;   /* where the tick is, as a value (not its log10) */
  char label[32]; /* "0.012", "20000", "2e-10" */
} LkPlotAxisTick;

typedef struct
{
  /* the range and its ticks */
  gboolean log;  /* the axis maps log10 (value) */
  double lo, hi; /* its ends, in axis units (log10 of values when log); lo < hi */
  LkPlotAxisTick ticks[LK_PLOT_AXIS_MAX_TICKS]; /* ascending */
  guint n_ticks;

  /* where it is drawn */
  double start, length; /* pixels: the axis runs from start to start + length */
  gboolean reversed;    /* hi at start, lo at start + length (a y axis: pixels grow downwards) */
  gboolean pinned;      /* values beyond the range are drawn 3% of the length outside it, no
                         * further (a zero on a log axis: just below it) */
} LkPlotAxis;

/* ---------------------------------------------------------------------------------------------- */
/* Ticks                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

/* The smallest 1, 2 or 5 × 10^k at least @raw (> 0): 0.00117 → 0.002, 3 → 5, 7 → 10. */
double lk_plot_axis_nice_step (double raw);
/* Writes @value to @buf (of @size bytes) with as many decimals as ticks @step apart need to
 * differ: 0.012 and 0.014 for a step of 0.002; "0", never "-0.000"; %g for tiny steps and huge
 * values. */
void lk_plot_axis_format_tick (char *buf, gsize size, double value, double step);
/* The smallest integer step of 1, 2 or 5 × 10^k (up to 1000000) that puts ticks at least @min_gap
 * pixels apart when one unit is @pixels_per_unit pixels long: 1000000 when none does. */
int lk_plot_axis_integer_step (double pixels_per_unit, double min_gap);

/* ---------------------------------------------------------------------------------------------- */
/* Ranges                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* A linear axis from @lo to @hi (values), without ticks, not yet placed. */
void lk_plot_axis_init (LkPlotAxis *axis, double lo, double hi);
/* A linear axis for values from @min to @max (@min <= @max), @length pixels long with tick labels
 * @label_height pixels tall: the range padded by 5% (never below zero when @min is not), a nice
 * step that divides it into 2 to 8, as many as fit, and the ends rounded out to whole steps (so up
 * to 10 ticks). A flat range (@min == @max) is widened by 10% of the value either way, or by 1
 * around zero. Not yet placed. */
void lk_plot_axis_fit_linear (LkPlotAxis *axis, double min, double max, double length,
                              double label_height);
/* A logarithmic axis for values from @min (> 0) to @max, sized as for lk_plot_axis_fit_linear:
 * the range of log10 padded by 5% (a flat one widened by 0.2 decades either way), ticks at powers
 * of ten (only every second, third… one when decades are short; with 2× and 5× when they are
 * tall); less than a decade with fewer than three of those gets evenly spaced ticks instead.
 * Not yet placed. */
void
lk_plot_axis_fit_log (LkPlotAxis *axis, double min, double max, double length, double label_height);
/* Where @axis is drawn: from pixel @start, @length (> 0) pixels long, hi first when @reversed;
 * values beyond its range pinned just outside it when @pinned. */
void lk_plot_axis_place (LkPlotAxis *axis, double start, double length, gboolean reversed,
                         gboolean pinned);

/* ---------------------------------------------------------------------------------------------- */
/* Mapping                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

/* Where @value falls along @axis: 0 at lo, 1 at hi, in [-0.03, 1.03] when pinned. On a log axis,
 * values at or below zero are taken as 1e-300 (far below, so pinned just under the axis). */
double lk_plot_axis_to_fraction (const LkPlotAxis *axis, double value);
/* The value at @fraction along @axis: the inverse of lk_plot_axis_to_fraction inside the range. */
double lk_plot_axis_from_fraction (const LkPlotAxis *axis, double fraction);
/* The pixel where @value is drawn on a placed @axis. */
double lk_plot_axis_to_pixel (const LkPlotAxis *axis, double value);
/* The value drawn at @pixel on a placed @axis: the inverse of lk_plot_axis_to_pixel inside the
 * range. */
double lk_plot_axis_from_pixel (const LkPlotAxis *axis, double pixel);

/* The @k-th smallest of @values (@n of them, k < n), which it reorders: quickselect, O(n). */
double lk_plot_axis_select (double *values, gsize n, gsize k);

/* ---------------------------------------------------------------------------------------------- */
/* Decimation                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

/* The points that fall in one pixel column. */
typedef struct
{
  double min, max, sum; /* of their y values; min and max are meaningless when n == 0 */
  guint n;
} LkPlotAxisColumn;

/* How many pixel columns a placed @axis covers: one per pixel started, and one for its end. */
guint lk_plot_axis_n_columns (const LkPlotAxis *axis);
/* The pixel at the middle of column @column of a placed @axis. */
double lk_plot_axis_column_pixel (const LkPlotAxis *axis, guint column);
/* Bins @n points (x, y) into the pixel columns of a placed, linear, not reversed x axis @axis:
 * column c gets the points whose x is drawn in [start + c, start + c + 1); points before the
 * first column or after the last go to it. @columns is overwritten; nothing is done when
 * @n_columns is 0. One pass over the points whatever their number. */
void lk_plot_axis_decimate (LkPlotAxisColumn *columns, /* (n_columns) */
                            const double *xy,          /* (n, 2): x, y */
                            const LkPlotAxis *axis, guint n_columns, guint n);

G_END_DECLS
