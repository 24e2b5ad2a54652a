/* lk-plot-axis.c: the arithmetic of a plot's axes: nice tick steps on linear and logarithmic
 * axes, tick labels, values to pixels and back, and many points binned into pixel columns.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Steps are 1, 2 or 5 × 10^k, and every comparison against a multiple of one allows a relative
 * 1e-9, so that 0.1 + 0.2 still lands on the tick at 0.3. A tick label has just the decimals its
 * step needs. A log axis keeps powers of ten where they fit, and falls back to evenly spaced
 * values when less than a decade shows hardly any.
 */
#include "config.h"

#include "lk-plot-axis.h"

#include <math.h>
#include <string.h>

#define PIN 0.03 /* how far outside its range, as a fraction of it, a pinned axis draws a value */

/* ---------------------------------------------------------------------------------------------- */
/* Ticks                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

double
lk_plot_axis_nice_step (double raw)
{
  double magnitude = pow (10, floor (log10 (raw)));
  static const double multiples[] = { 1, 2, 5, 10 };

  for (gsize i = 0; i < G_N_ELEMENTS (multiples); i++)
    if (multiples[i] * magnitude >= raw * (1 - 1e-9))
      return multiples[i] * magnitude;
  return 10 * magnitude;
}

void
lk_plot_axis_format_tick (char *buf, gsize size, double value, double step)
{
  int decimals = MAX (0, (int) -floor (log10 (step) + 1e-9));

  if (fabs (value) < step * 1e-6)
    value = 0; /* not "-0.000" */
  if (decimals > 8 || fabs (value) >= 1e7)
    g_snprintf (buf, size, "%g", value);
  else
    g_snprintf (buf, size, "%.*f", decimals, value);
}

int
lk_plot_axis_integer_step (double pixels_per_unit, double min_gap)
{
  static const int multiples[] = { 1, 2, 5 };

  for (int magnitude = 1; magnitude < 1000000; magnitude *= 10)
    for (gsize i = 0; i < G_N_ELEMENTS (multiples); i++)
      if (pixels_per_unit * multiples[i] * magnitude >= min_gap)
        return multiples[i] * magnitude;
  return 1000000;
}

static void
add_tick (LkPlotAxis *axis, double value, double step)
{
  if (axis->n_ticks == LK_PLOT_AXIS_MAX_TICKS)
    return;
  axis->ticks[axis->n_ticks].value = value;
  lk_plot_axis_format_tick (axis->ticks[axis->n_ticks].label, sizeof axis->ticks[0].label, value,
                            step);
  axis->n_ticks++;
}

/* Ticks every @step from @lo to @hi (values). */
static void
add_linear_ticks (LkPlotAxis *axis, double lo, double hi, double step)
{
  for (double k = ceil (lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
    add_tick (axis, k * step, step);
}

/* ---------------------------------------------------------------------------------------------- */
/* Ranges                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* As many ticks as there is room for: 2 to 8, labels 2.5 label heights apart. */
static int
wanted_ticks (double length, double label_height)
{
  return CLAMP ((int) (length / (label_height * 2.5)), 2, 8);
}

void
lk_plot_axis_init (LkPlotAxis *axis, double lo, double hi)
{
  memset (axis, 0, sizeof *axis);
  axis->lo = lo;
  axis->hi = hi;
}

void
lk_plot_axis_fit_linear (LkPlotAxis *axis, double min, double max, double length,
                         double label_height)
{
  double lo = min, hi = max, step;

  if (hi - lo <= 1e-12 * fabs (hi))
    {
      double half = lo != 0 ? fabs (lo) * 0.1 : 1;
      lo -= half;
      hi += half;
    }
  double pad = (hi - lo) * 0.05;
  lo = min >= 0 ? MAX (lo - pad, 0) : lo - pad;
  hi += pad;
  step = lk_plot_axis_nice_step ((hi - lo) / wanted_ticks (length, label_height));
  lk_plot_axis_init (axis, floor (lo / step + 1e-9) * step, ceil (hi / step - 1e-9) * step);
  add_linear_ticks (axis, axis->lo, axis->hi, step);
}

void
lk_plot_axis_fit_log (LkPlotAxis *axis, double min, double max, double length, double label_height)
{
  double lo = log10 (min), hi = log10 (MAX (max, min));

  if (hi - lo < 1e-9)
    {
      lo -= 0.2;
      hi += 0.2;
    }
  double pad = (hi - lo) * 0.05;
  lk_plot_axis_init (axis, lo - pad, hi + pad);
  axis->log = TRUE;

  /* powers of ten, with 2× and 5× when a decade is tall enough to show them apart */
  double decade = length / (axis->hi - axis->lo);
  gboolean fine = decade >= label_height * 5;
  int every = 1;
  while (!fine && decade * every < label_height * 2)
    every++;
  for (int k = (int) floor (axis->lo); k <= (int) ceil (axis->hi); k++)
    {
      static const double multiples[] = { 1, 2, 5 };
      if (k % every != 0)
        continue;
      for (gsize i = 0; i < (fine ? 3 : 1); i++)
        {
          double v = multiples[i] * pow (10, k);
          if (log10 (v) >= axis->lo - 1e-9 && log10 (v) <= axis->hi + 1e-9)
            add_tick (axis, v, pow (10, k));
        }
    }
  /* less than a decade with hardly any of those inside: evenly spaced values instead */
  if (axis->n_ticks < 3 && axis->hi - axis->lo < 1)
    {
      double vlo = pow (10, axis->lo), vhi = pow (10, axis->hi);
      guint n = axis->n_ticks;
      LkPlotAxisTick saved[LK_PLOT_AXIS_MAX_TICKS];

      memcpy (saved, axis->ticks, sizeof saved);
      axis->n_ticks = 0;
      add_linear_ticks (axis, vlo, vhi,
                        lk_plot_axis_nice_step ((vhi - vlo) / wanted_ticks (length, label_height)));
      if (axis->n_ticks <= n)
        {
          memcpy (axis->ticks, saved, sizeof saved);
          axis->n_ticks = n;
        }
    }
}

void
lk_plot_axis_place (LkPlotAxis *axis, double start, double length, gboolean reversed,
                    gboolean pinned)
{
  axis->start = start;
  axis->length = length;
  axis->reversed = reversed;
  axis->pinned = pinned;
}

/* ---------------------------------------------------------------------------------------------- */
/* Mapping                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

double
lk_plot_axis_to_fraction (const LkPlotAxis *axis, double value)
{
  double v = axis->log ? log10 (MAX (value, 1e-300)) : value;
  double t = (v - axis->lo) / (axis->hi - axis->lo);

  return axis->pinned ? CLAMP (t, -PIN, 1 + PIN) : t;
}

double
lk_plot_axis_from_fraction (const LkPlotAxis *axis, double fraction)
{
  double v = axis->lo + fraction * (axis->hi - axis->lo);

  return axis->log ? pow (10, v) : v;
}

double
lk_plot_axis_to_pixel (const LkPlotAxis *axis, double value)
{
  double t = lk_plot_axis_to_fraction (axis, value);

  return axis->start + (axis->reversed ? 1 - t : t) * axis->length;
}

double
lk_plot_axis_from_pixel (const LkPlotAxis *axis, double pixel)
{
  double t = (pixel - axis->start) / axis->length;

  return lk_plot_axis_from_fraction (axis, axis->reversed ? 1 - t : t);
}

/* ---------------------------------------------------------------------------------------------- */
/* Decimation                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

guint
lk_plot_axis_n_columns (const LkPlotAxis *axis)
{
  return (guint) ceil (axis->length) + 1;
}

double
lk_plot_axis_column_pixel (const LkPlotAxis *axis, guint column)
{
  return axis->start + column + 0.5;
}

void
lk_plot_axis_decimate (LkPlotAxisColumn *columns, /* (n_columns) */
                       const double *xy,          /* (n, 2): x, y */
                       const LkPlotAxis *axis, guint n_columns, guint n)
{
  double scale = axis->length / (axis->hi - axis->lo); /* pixels per unit of x */

  if (n_columns == 0)
    return;
  memset (columns, 0, n_columns * sizeof *columns);
  for (guint i = 0; i < n; i++)
    {
      double x = xy[2 * i], y = xy[2 * i + 1];
      double c = floor ((x - axis->lo) * scale);
      LkPlotAxisColumn *column = &columns[(guint) CLAMP (c, 0, n_columns - 1)];
      if (column->n == 0 || y < column->min)
        column->min = y;
      if (column->n == 0 || y > column->max)
        column->max = y;
      column->sum += y;
      column->n++;
    }
}

double
lk_plot_axis_select (double *values, gsize n, gsize k)
{
  gssize lo = 0, hi = (gssize) n - 1, want = (gssize) k;

  g_return_val_if_fail (k < n, NAN);
  /* Wirth's: partition around the value at @k until it is in its place */
  while (lo < hi)
    {
      double pivot = values[want];
      gssize i = lo, j = hi;
      do
        {
          while (values[i] < pivot)
            i++;
          while (pivot < values[j])
            j--;
          if (i <= j)
            {
              double t = values[i];
              values[i] = values[j];
              values[j] = t;
              i++;
              j--;
            }
        }
      while (i <= j);
      if (j < want)
        lo = i;
      if (want < i)
        hi = j;
    }
  return values[want];
}
