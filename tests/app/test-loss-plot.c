/* test-loss-plot.c: the training curves widget: its counts, its best point, its hit test and its
 * rendering in light, dark and logarithmic modes; and its axes' arithmetic (lk-plot-axis.c) on
 * its own: tick steps and labels, ranges, values to pixels and back, decimation.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage (meson runs it under xvfb-run and dbus-run-session):
 *   test-loss-plot ARTIFACT_DIR
 * The renderings are saved to ARTIFACT_DIR as loss-plot-light.png, loss-plot-dark.png,
 * loss-plot-log.png and loss-plot-100k.png, for a person to look at.
 */
#include "config.h"

#include "lk-loss-plot.h"
#include "lk-plot-axis.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *artifacts;

/* ---------------------------------------------------------------------------------------------- */
/* Helpers                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

/* Runs the main loop until @widget is mapped and allocated most of its window's @window_width ×
 * @window_height (decorations take a few pixels); its size is then in @width and @height. */
static void
wait_for_allocation (GtkWidget *widget, int window_width, int window_height, double *width,
                     double *height)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) < window_width - 40
         || gtk_widget_get_height (widget) < window_height - 40)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for the plot to be mapped in a %dx%d window (it is %dx%d)",
                 window_width, window_height, gtk_widget_get_width (widget),
                 gtk_widget_get_height (widget));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  *width = gtk_widget_get_width (widget);
  *height = gtk_widget_get_height (widget);
}

/* A window of @window_width × @window_height holding only a plot, which gets @width × @height of
 * it; destroy the window when done. */
static LkLossPlot *
plot_in_window (int window_width, int window_height, GtkWindow **window, double *width,
                double *height)
{
  GtkWidget *plot = lk_loss_plot_new ();

  *window = GTK_WINDOW (adw_window_new ());
  gtk_window_set_default_size (*window, window_width, window_height);
  gtk_window_set_resizable (*window, FALSE);
  adw_window_set_content (ADW_WINDOW (*window), plot);
  gtk_window_present (*window);
  wait_for_allocation (plot, window_width, window_height, width, height);
  return LK_LOSS_PLOT (plot);
}

/* A training run that settles: @n_train steps over @epochs epochs, one validation per epoch. */
static void
add_run (LkLossPlot *plot, int epochs, guint n_train)
{
  GRand *rand = g_rand_new_with_seed (7);

  lk_loss_plot_reset (plot, epochs);
  for (guint i = 1; i <= n_train; i++)
    {
      double epoch = (double) i * epochs / n_train;
      double noise = 1 + 0.15 * (g_rand_double (rand) - 0.5);
      lk_loss_plot_add_train (plot, epoch, (0.01 + 0.07 * exp (-1.5 * epoch)) * noise);
    }
  /* falls, then the model overfits a little: the best is not the last */
  static const double validation[] = { 0.034, 0.0182, 0.01452, 0.0149, 0.0153 };
  for (int e = 1; e <= epochs && e <= (int) G_N_ELEMENTS (validation); e++)
    lk_loss_plot_add_validation (plot, e, validation[e - 1]);
  g_rand_free (rand);
}

typedef struct
{
  GtkWidget *window;
  GdkTexture *texture;
} Render;

/* Renders the window as the frame just painted shows it (the plot's last snapshot). */
static void
render_after_paint_cb (GdkFrameClock *clock, Render *render)
{
  GtkWidget *window = render->window;
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  int w = gtk_widget_get_width (window), h = gtk_widget_get_height (window);
  g_autoptr (GskRenderNode) node = NULL;

  if (render->texture)
    return;
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  render->texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)),
                                                 node, &GRAPHENE_RECT_INIT (0, 0, w, h));
}

/* Redraws @plot and renders its window into a texture, saved as ARTIFACT_DIR/@name unless @name
 * is NULL. */
static GdkTexture *
render (GtkWindow *window, LkLossPlot *plot, const char *name)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  Render render = { GTK_WIDGET (window), NULL };
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  g_autofree char *path = name ? g_build_filename (artifacts, name, NULL) : NULL;
  gulong handler;

  /* a frame or two for a style change to reach the widgets */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (render_after_paint_cb), &render);
  gtk_widget_queue_draw (GTK_WIDGET (plot));
  while (!render.texture)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for a frame to render %s", name ? name : "the plot");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_signal_handler_disconnect (clock, handler);
  if (path)
    {
      g_assert_true (gdk_texture_save_to_png (render.texture, path));
      g_test_message ("saved %s", path);
    }
  return render.texture;
}

static guchar *
download (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  guchar *pixels = g_malloc ((gsize) w * h * 4);

  gdk_texture_download (texture, pixels, (gsize) w * 4);
  return pixels;
}

/* The fraction of @texture's pixels that differ from its background: its commonest colour. */
static double
fraction_not_background (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = download (texture);
  g_autoptr (GHashTable) counts = g_hash_table_new (NULL, NULL);
  guint most = 0;

  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint32 pixel;
      memcpy (&pixel, pixels + i * 4, 4);
      gpointer key = GUINT_TO_POINTER (pixel);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;
      g_hash_table_insert (counts, key, GUINT_TO_POINTER (n));
      most = MAX (most, n);
    }
  return 1 - (double) most / ((double) w * h);
}

/* The fraction of pixels where @a and @b differ. */
static double
fraction_different (GdkTexture *a, GdkTexture *b)
{
  int w = gdk_texture_get_width (a), h = gdk_texture_get_height (a);
  g_autofree guchar *pa = download (a);
  g_autofree guchar *pb = download (b);
  gsize differ = 0;

  g_assert_cmpint (gdk_texture_get_width (b), ==, w);
  g_assert_cmpint (gdk_texture_get_height (b), ==, h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    if (memcmp (pa + i * 4, pb + i * 4, 4) != 0)
      differ++;
  return (double) differ / ((double) w * h);
}

/* The controller that follows the pointer over @plot, to play a pointer's moves. */
static GtkEventController *
motion_controller (LkLossPlot *plot)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (plot));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_MOTION (controller))
        return controller; /* the widget keeps it */
    }
  g_assert_not_reached ();
}

/* The first description found moving left from @x along @y, NULL when none before @x_end. */
static char *
describe_leftwards (LkLossPlot *plot, double x, double x_end, double y)
{
  for (; x > x_end; x--)
    {
      char *text = lk_loss_plot_describe_at (plot, x, y);
      if (text)
        return text;
    }
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Axis arithmetic                                                                                 */
/* ---------------------------------------------------------------------------------------------- */

/* @a equals @b to about nine significant digits (or 1e-15 around zero). */
#define assert_close(a, b) \
  g_assert_cmpfloat_with_epsilon ((a), (b), 1e-9 * fabs ((double) (b)) + 1e-15)

/* Whether @step is 1, 2 or 5 × 10^k. */
static gboolean
is_nice (double step)
{
  double mantissa = step / pow (10, floor (log10 (step) + 1e-9));

  return fabs (mantissa - 1) < 1e-9 || fabs (mantissa - 2) < 1e-9 || fabs (mantissa - 5) < 1e-9;
}

/* Ticks that cover [@min, @max] inside the axis' range, evenly spaced a nice step apart on whole
 * multiples of it, each label the value with the decimals the step needs; returns the step. */
static double
assert_linear_ticks (const LkPlotAxis *axis, double min, double max)
{
  g_assert_false (axis->log);
  g_assert_cmpuint (axis->n_ticks, >=, 2);
  double step = axis->ticks[1].value - axis->ticks[0].value;

  g_assert_true (is_nice (step));
  g_assert_cmpfloat (axis->ticks[0].value, <=, min);
  g_assert_cmpfloat (axis->ticks[axis->n_ticks - 1].value, >=, max);
  g_assert_cmpfloat (axis->lo, <=, min);
  g_assert_cmpfloat (axis->hi, >=, max);
  assert_close (axis->ticks[0].value, axis->lo); /* the range ends on whole ticks */
  assert_close (axis->ticks[axis->n_ticks - 1].value, axis->hi);
  for (guint i = 0; i < axis->n_ticks; i++)
    {
      const LkPlotAxisTick *tick = &axis->ticks[i];
      char expected[32];

      g_assert_cmpfloat (fabs (tick->value / step - round (tick->value / step)), <, 1e-6);
      if (i > 0)
        assert_close (tick->value - axis->ticks[i - 1].value, step);
      lk_plot_axis_format_tick (expected, sizeof expected, tick->value, step);
      g_assert_cmpstr (tick->label, ==, expected);
      g_assert_cmpfloat (fabs (g_ascii_strtod (tick->label, NULL) - tick->value), <, step * 1e-6);
    }
  return step;
}

/* Labels @label_height tall at @axis' ticks, placed over @length pixels, do not overlap. */
static void
assert_labels_clear (LkPlotAxis *axis, double length, double label_height)
{
  lk_plot_axis_place (axis, 0, length, TRUE, TRUE);
  for (guint i = 1; i < axis->n_ticks; i++)
    g_assert_cmpfloat (lk_plot_axis_to_pixel (axis, axis->ticks[i - 1].value)
                         - lk_plot_axis_to_pixel (axis, axis->ticks[i].value),
                       >=, label_height);
}

static void
test_axis_nice_step (void)
{
  assert_close (lk_plot_axis_nice_step (1), 1);
  assert_close (lk_plot_axis_nice_step (1.2), 2);
  assert_close (lk_plot_axis_nice_step (2), 2);
  assert_close (lk_plot_axis_nice_step (3), 5);
  assert_close (lk_plot_axis_nice_step (7), 10);
  assert_close (lk_plot_axis_nice_step (0.00117), 0.002);
  assert_close (lk_plot_axis_nice_step (0.2 * (1 + 1e-12)), 0.2); /* rounding noise is no step up */
  assert_close (lk_plot_axis_nice_step (4.5e6), 5e6);
  for (double raw = 1e-7; raw < 1e7; raw *= 1.37)
    {
      double step = lk_plot_axis_nice_step (raw);
      g_assert_true (is_nice (step));
      g_assert_cmpfloat (step, >=, raw * (1 - 1e-9));
      g_assert_cmpfloat (step, <, raw * 2.5); /* the next nice number is at most 2.5× the last */
    }
}

static void
test_axis_format_tick (void)
{
  char buf[32];

  lk_plot_axis_format_tick (buf, sizeof buf, 0.012, 0.002);
  g_assert_cmpstr (buf, ==, "0.012");
  lk_plot_axis_format_tick (buf, sizeof buf, 0.01, 0.002);
  g_assert_cmpstr (buf, ==, "0.010"); /* the same decimals as its neighbours */
  lk_plot_axis_format_tick (buf, sizeof buf, 0.1 + 0.2, 0.1);
  g_assert_cmpstr (buf, ==, "0.3");
  lk_plot_axis_format_tick (buf, sizeof buf, -1e-17, 0.1);
  g_assert_cmpstr (buf, ==, "0.0"); /* not "-0.0" */
  lk_plot_axis_format_tick (buf, sizeof buf, 20, 10);
  g_assert_cmpstr (buf, ==, "20");
  lk_plot_axis_format_tick (buf, sizeof buf, 2.5, 0.5);
  g_assert_cmpstr (buf, ==, "2.5");
  lk_plot_axis_format_tick (buf, sizeof buf, 1e-5, 1e-5);
  g_assert_cmpstr (buf, ==, "0.00001");
  lk_plot_axis_format_tick (buf, sizeof buf, 2e-10, 1e-10);
  g_assert_cmpstr (buf, ==, "2e-10"); /* too many decimals */
  lk_plot_axis_format_tick (buf, sizeof buf, 3e7, 1e7);
  g_assert_cmpstr (buf, ==, "3e+07");
}

static void
test_axis_integer_step (void)
{
  g_assert_cmpint (lk_plot_axis_integer_step (100, 30), ==, 1);
  g_assert_cmpint (lk_plot_axis_integer_step (20, 30), ==, 2);
  g_assert_cmpint (lk_plot_axis_integer_step (10, 30), ==, 5);
  g_assert_cmpint (lk_plot_axis_integer_step (6, 30), ==, 5); /* exactly 30 apart is enough */
  g_assert_cmpint (lk_plot_axis_integer_step (1, 30), ==, 50);
  g_assert_cmpint (lk_plot_axis_integer_step (0.001, 30), ==, 50000);
  g_assert_cmpint (lk_plot_axis_integer_step (1e-9, 30), ==, 1000000);
}

static void
test_axis_linear (void)
{
  LkPlotAxis axis, few;
  double step;

  /* a loss that settles: 0.010, 0.012 … 0.020 */
  lk_plot_axis_fit_linear (&axis, 0.0123, 0.0187, 200, 12);
  step = assert_linear_ticks (&axis, 0.0123, 0.0187);
  g_test_message ("[0.0123, 0.0187]: %u ticks from %s to %s", axis.n_ticks, axis.ticks[0].label,
                  axis.ticks[axis.n_ticks - 1].label);
  g_assert_cmpuint (axis.n_ticks, >=, 3);
  g_assert_cmpuint (axis.n_ticks, <=, 8);
  assert_close (step, 0.002);
  g_assert_cmpstr (axis.ticks[0].label, ==, "0.010");
  g_assert_cmpstr (axis.ticks[1].label, ==, "0.012");
  assert_labels_clear (&axis, 200, 12);

  /* a short axis has fewer ticks, never fewer than two */
  lk_plot_axis_fit_linear (&few, 0.0123, 0.0187, 40, 12);
  assert_linear_ticks (&few, 0.0123, 0.0187);
  g_assert_cmpuint (few.n_ticks, <, axis.n_ticks);
  lk_plot_axis_fit_linear (&few, 0.0123, 0.0187, 1, 12);
  assert_linear_ticks (&few, 0.0123, 0.0187);
  /* a tall one more, but no more than 8 steps' worth (and the two the range's ends round out to) */
  lk_plot_axis_fit_linear (&few, 0.0123, 0.0187, 2000, 12);
  assert_linear_ticks (&few, 0.0123, 0.0187);
  g_assert_cmpuint (few.n_ticks, >, axis.n_ticks);
  g_assert_cmpuint (few.n_ticks, <=, 10);
  /* larger labels, fewer ticks */
  lk_plot_axis_fit_linear (&few, 0.0123, 0.0187, 200, 24);
  assert_linear_ticks (&few, 0.0123, 0.0187);
  g_assert_cmpuint (few.n_ticks, <, axis.n_ticks);
  assert_labels_clear (&few, 200, 24);

  /* losses from near zero: the range stops at zero, not below */
  lk_plot_axis_fit_linear (&axis, 0.001, 0.5, 200, 12);
  assert_linear_ticks (&axis, 0.001, 0.5);
  g_assert_cmpfloat (axis.lo, ==, 0);
  g_assert_cmpstr (axis.ticks[0].label, ==, "0.0");

  /* negative values may go below zero; the tick at zero reads "0.0" */
  lk_plot_axis_fit_linear (&axis, -0.5, 0.25, 200, 12);
  step = assert_linear_ticks (&axis, -0.5, 0.25);
  g_assert_cmpfloat (axis.lo, <, -0.5);
  for (guint i = 0; i < axis.n_ticks; i++)
    if (fabs (axis.ticks[i].value) < step / 2)
      g_assert_cmpstr (axis.ticks[i].label, ==, "0.0");

  /* large values */
  lk_plot_axis_fit_linear (&axis, 1200, 98000, 300, 12);
  assert_linear_ticks (&axis, 1200, 98000);
  assert_labels_clear (&axis, 300, 12);
}

/* The tick of @axis at @value, or NULL. */
static const LkPlotAxisTick *
find_tick (const LkPlotAxis *axis, double value)
{
  for (guint i = 0; i < axis->n_ticks; i++)
    if (fabs (axis->ticks[i].value - value) <= 1e-12 * value)
      return &axis->ticks[i];
  return NULL;
}

static void
test_axis_log (void)
{
  LkPlotAxis axis, narrow;
  const LkPlotAxisTick *tick;

  /* two decades on a tall axis: 0.01, 0.02, 0.05, 0.1 … 1 */
  lk_plot_axis_fit_log (&axis, 0.01, 1, 200, 12);
  g_assert_true (axis.log);
  g_assert_cmpfloat (axis.lo, <, -2);
  g_assert_cmpfloat (axis.hi, >, 0);
  g_assert_nonnull ((tick = find_tick (&axis, 0.01)));
  g_assert_cmpstr (tick->label, ==, "0.01");
  g_assert_nonnull ((tick = find_tick (&axis, 0.1)));
  g_assert_cmpstr (tick->label, ==, "0.1");
  g_assert_nonnull ((tick = find_tick (&axis, 1)));
  g_assert_cmpstr (tick->label, ==, "1");
  g_assert_nonnull ((tick = find_tick (&axis, 0.05)));
  g_assert_cmpstr (tick->label, ==, "0.05");
  g_assert_cmpuint (axis.n_ticks, ==, 7);
  for (guint i = 0; i < axis.n_ticks; i++)
    {
      g_assert_cmpfloat (log10 (axis.ticks[i].value), >=, axis.lo - 1e-9);
      g_assert_cmpfloat (log10 (axis.ticks[i].value), <=, axis.hi + 1e-9);
      if (i > 0)
        g_assert_cmpfloat (axis.ticks[i].value, >, axis.ticks[i - 1].value);
    }
  assert_labels_clear (&axis, 200, 12);

  /* the same on a short axis: every second power of ten, nothing between */
  lk_plot_axis_fit_log (&axis, 0.01, 1, 40, 12);
  g_assert_cmpuint (axis.n_ticks, ==, 2);
  g_assert_nonnull (find_tick (&axis, 0.01));
  g_assert_nonnull (find_tick (&axis, 1));
  assert_labels_clear (&axis, 40, 12);

  /* six decades: powers of ten only, their labels clear of each other */
  lk_plot_axis_fit_log (&axis, 1e-6, 1, 100, 12);
  g_assert_cmpuint (axis.n_ticks, >=, 2);
  for (guint i = 0; i < axis.n_ticks; i++)
    g_assert_cmpfloat (fabs (log10 (axis.ticks[i].value) - round (log10 (axis.ticks[i].value))), <,
                       1e-9);
  assert_labels_clear (&axis, 100, 12);

  /* less than a decade with no power of ten, 2× or 5× inside: evenly spaced values */
  lk_plot_axis_fit_log (&narrow, 0.012, 0.018, 200, 12);
  g_assert_true (narrow.log);
  g_assert_cmpuint (narrow.n_ticks, >=, 3);
  double step = narrow.ticks[1].value - narrow.ticks[0].value;
  g_assert_true (is_nice (step));
  for (guint i = 0; i < narrow.n_ticks; i++)
    {
      g_assert_cmpfloat (log10 (narrow.ticks[i].value), >=, narrow.lo - 1e-9);
      g_assert_cmpfloat (log10 (narrow.ticks[i].value), <=, narrow.hi + 1e-9);
      if (i > 0)
        assert_close (narrow.ticks[i].value - narrow.ticks[i - 1].value, step);
    }
  g_assert_nonnull ((tick = find_tick (&narrow, 0.014)));
  g_assert_cmpstr (tick->label, ==, "0.014");
}

/* A flat range is widened around its value, which is drawn mid-axis. */
static void
test_axis_flat (void)
{
  static const double values[] = { 0.02, -3, 1e-8, 12345 };
  LkPlotAxis axis;

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      double v = values[i];

      lk_plot_axis_fit_linear (&axis, v, v, 200, 12);
      lk_plot_axis_place (&axis, 10, 200, TRUE, TRUE);
      g_assert_true (isfinite (axis.lo) && isfinite (axis.hi));
      g_assert_cmpfloat (axis.lo, <, v);
      g_assert_cmpfloat (axis.hi, >, v);
      assert_linear_ticks (&axis, v, v);
      g_assert_cmpfloat (fabs (lk_plot_axis_to_fraction (&axis, v) - 0.5), <, 0.2);
      g_assert_true (isfinite (lk_plot_axis_to_pixel (&axis, v)));

      if (v > 0)
        {
          lk_plot_axis_fit_log (&axis, v, v, 200, 12);
          lk_plot_axis_place (&axis, 10, 200, TRUE, TRUE);
          g_assert_cmpfloat (axis.lo, <, log10 (v));
          g_assert_cmpfloat (axis.hi, >, log10 (v));
          g_assert_cmpuint (axis.n_ticks, >=, 1);
          assert_close (lk_plot_axis_to_fraction (&axis, v), 0.5);
          g_assert_true (isfinite (lk_plot_axis_to_pixel (&axis, v)));
        }
    }

  /* all zeros: from zero up, zero at the bottom */
  lk_plot_axis_fit_linear (&axis, 0, 0, 200, 12);
  lk_plot_axis_place (&axis, 10, 200, TRUE, TRUE);
  g_assert_cmpfloat (axis.lo, ==, 0);
  g_assert_cmpfloat (axis.hi, >, 0);
  assert_linear_ticks (&axis, 0, 0);
  assert_close (lk_plot_axis_to_pixel (&axis, 0), 210);
}

static void
test_axis_mapping (void)
{
  static const double losses[] = { 0.0123, 0.015, 0.0161803, 0.0187 };
  LkPlotAxis axis;

  /* a y axis: larger values higher up, hi at the top */
  lk_plot_axis_fit_linear (&axis, 0.0123, 0.0187, 200, 12);
  lk_plot_axis_place (&axis, 30.5, 200, TRUE, TRUE);
  assert_close (lk_plot_axis_to_pixel (&axis, axis.hi), 30.5);
  assert_close (lk_plot_axis_to_pixel (&axis, axis.lo), 230.5);
  assert_close (lk_plot_axis_to_pixel (&axis, (axis.lo + axis.hi) / 2), 130.5);
  for (gsize i = 0; i < G_N_ELEMENTS (losses); i++)
    {
      double pixel = lk_plot_axis_to_pixel (&axis, losses[i]);
      g_assert_cmpfloat (pixel, >, 30.5);
      g_assert_cmpfloat (pixel, <, 230.5);
      if (i > 0)
        g_assert_cmpfloat (pixel, <, lk_plot_axis_to_pixel (&axis, losses[i - 1]));
      assert_close (lk_plot_axis_from_pixel (&axis, pixel), losses[i]);
      assert_close (lk_plot_axis_from_fraction (&axis, lk_plot_axis_to_fraction (&axis, losses[i])),
                    losses[i]);
    }
  for (double pixel = 30.5; pixel <= 230.5; pixel += 12.5)
    assert_close (lk_plot_axis_to_pixel (&axis, lk_plot_axis_from_pixel (&axis, pixel)), pixel);

  /* a log axis: equal ratios, equal distances */
  lk_plot_axis_fit_log (&axis, 0.01, 1, 200, 12);
  lk_plot_axis_place (&axis, 30.5, 200, TRUE, TRUE);
  assert_close (lk_plot_axis_to_pixel (&axis, 0.01) - lk_plot_axis_to_pixel (&axis, 0.1),
                lk_plot_axis_to_pixel (&axis, 0.1) - lk_plot_axis_to_pixel (&axis, 1));
  assert_close (lk_plot_axis_to_pixel (&axis, pow (10, axis.lo)), 230.5);
  for (gsize i = 0; i < G_N_ELEMENTS (losses); i++)
    assert_close (lk_plot_axis_from_pixel (&axis, lk_plot_axis_to_pixel (&axis, losses[i])),
                  losses[i]);
  assert_close (lk_plot_axis_from_pixel (&axis, lk_plot_axis_to_pixel (&axis, 0.5)), 0.5);
  /* pinned: a zero is drawn just below the axis, a huge loss just above it */
  assert_close (lk_plot_axis_to_pixel (&axis, 0), 230.5 + 0.03 * 200);
  assert_close (lk_plot_axis_to_pixel (&axis, -1), 230.5 + 0.03 * 200);
  assert_close (lk_plot_axis_to_pixel (&axis, 1e6), 30.5 - 0.03 * 200);

  /* an x axis of 5 epochs over 500 pixels from 40: not reversed, not pinned */
  lk_plot_axis_init (&axis, 0, 5);
  lk_plot_axis_place (&axis, 40, 500, FALSE, FALSE);
  assert_close (lk_plot_axis_to_pixel (&axis, 0), 40);
  assert_close (lk_plot_axis_to_pixel (&axis, 2.5), 290);
  assert_close (lk_plot_axis_to_pixel (&axis, 5), 540);
  assert_close (lk_plot_axis_to_pixel (&axis, -1), -60);
  assert_close (lk_plot_axis_to_pixel (&axis, 6), 640);
  assert_close (lk_plot_axis_from_pixel (&axis, 290), 2.5);
  assert_close (lk_plot_axis_from_pixel (&axis, lk_plot_axis_to_pixel (&axis, 4.99)), 4.99);
}

static void
test_axis_decimate (void)
{
  LkPlotAxis axis;
  double xy[1002][2];
  guint n_columns, total = 0;

  /* 10 epochs over 100 pixels: 101 columns of a tenth of an epoch */
  lk_plot_axis_init (&axis, 0, 10);
  lk_plot_axis_place (&axis, 20, 100, FALSE, FALSE);
  n_columns = lk_plot_axis_n_columns (&axis);
  g_assert_cmpuint (n_columns, ==, 101);
  assert_close (lk_plot_axis_column_pixel (&axis, 3), 23.5);

  /* ten points in each column, and one before the axis and one after it */
  for (int i = 0; i < 1000; i++)
    {
      xy[i][0] = (i + 0.5) / 100;
      xy[i][1] = i % 2 ? i : 1000 - i; /* not in order */
    }
  xy[1000][0] = -1;
  xy[1000][1] = -7;
  xy[1001][0] = 12;
  xy[1001][1] = 5000;

  g_autofree LkPlotAxisColumn *columns = g_new (LkPlotAxisColumn, n_columns);
  memset (columns, 0xff, n_columns * sizeof *columns); /* overwritten */
  lk_plot_axis_decimate (columns, &xy[0][0], &axis, n_columns, G_N_ELEMENTS (xy));
  for (guint c = 0; c < n_columns; c++)
    total += columns[c].n;
  g_assert_cmpuint (total, ==, G_N_ELEMENTS (xy));

  for (guint c = 1; c < 100; c++)
    {
      double sum = 0, min = INFINITY, max = -INFINITY;
      for (guint i = 10 * c; i < 10 * c + 10; i++)
        {
          sum += xy[i][1];
          min = MIN (min, xy[i][1]);
          max = MAX (max, xy[i][1]);
        }
      g_assert_cmpuint (columns[c].n, ==, 10);
      g_assert_cmpfloat (columns[c].min, ==, min);
      g_assert_cmpfloat (columns[c].max, ==, max);
      assert_close (columns[c].sum, sum);
    }
  /* the point before the axis joins the first column, the one after it the last */
  g_assert_cmpuint (columns[0].n, ==, 11);
  g_assert_cmpfloat (columns[0].min, ==, -7);
  g_assert_cmpuint (columns[100].n, ==, 1);
  g_assert_cmpfloat (columns[100].min, ==, 5000);
  g_assert_cmpfloat (columns[100].max, ==, 5000);

  /* a shorter axis packs more points into each column: a fifth of an epoch, twenty points */
  lk_plot_axis_place (&axis, 20, 49.5, FALSE, FALSE);
  n_columns = lk_plot_axis_n_columns (&axis);
  g_assert_cmpuint (n_columns, ==, 51);
  lk_plot_axis_place (&axis, 20, 50, FALSE, FALSE);
  lk_plot_axis_decimate (columns, &xy[0][0], &axis, n_columns, 1000);
  for (guint c = 0; c < 50; c++)
    {
      g_assert_cmpuint (columns[c].n, ==, 20);
      g_assert_cmpfloat (columns[c].max, ==, MAX (xy[20 * c][1], xy[20 * c + 19][1]));
    }
  g_assert_cmpuint (columns[50].n, ==, 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* Tests                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static void
test_counts (void)
{
  g_autoptr (LkLossPlot) plot = g_object_ref_sink (LK_LOSS_PLOT (lk_loss_plot_new ()));

  g_assert_cmpuint (lk_loss_plot_get_n_points (plot), ==, 0);
  lk_loss_plot_reset (plot, 3);
  lk_loss_plot_add_train (plot, 0.1, 0.5);
  lk_loss_plot_add_train (plot, 0.2, NAN);
  lk_loss_plot_add_train (plot, 0.3, INFINITY);
  lk_loss_plot_add_train (plot, 0.4, -INFINITY);
  lk_loss_plot_add_train (plot, NAN, 0.4);
  lk_loss_plot_add_train (plot, 0.5, 0.25);
  lk_loss_plot_add_train (plot, 0.6, 0); /* zero is a loss like any other */
  lk_loss_plot_add_validation (plot, 1, NAN);
  lk_loss_plot_add_validation (plot, 1, 0.3);
  lk_loss_plot_add_validation (plot, 2, INFINITY);
  g_assert_cmpuint (lk_loss_plot_get_n_train_points (plot), ==, 3);
  g_assert_cmpuint (lk_loss_plot_get_n_validation_points (plot), ==, 1);
  g_assert_cmpuint (lk_loss_plot_get_n_points (plot), ==, 4);

  lk_loss_plot_reset (plot, 5);
  g_assert_cmpuint (lk_loss_plot_get_n_train_points (plot), ==, 0);
  g_assert_cmpuint (lk_loss_plot_get_n_validation_points (plot), ==, 0);
  g_assert_cmpuint (lk_loss_plot_get_n_points (plot), ==, 0);
  g_assert_false (lk_loss_plot_get_best (plot, NULL, NULL));
  lk_loss_plot_add_train (plot, 0.1, 0.5);
  g_assert_cmpuint (lk_loss_plot_get_n_points (plot), ==, 1);
}

static void
test_best (void)
{
  g_autoptr (LkLossPlot) plot = g_object_ref_sink (LK_LOSS_PLOT (lk_loss_plot_new ()));
  double epoch = -1, loss = -1;

  lk_loss_plot_reset (plot, 6);
  g_assert_false (lk_loss_plot_get_best (plot, &epoch, &loss));
  g_assert_cmpfloat (epoch, ==, -1);         /* left alone */
  lk_loss_plot_add_train (plot, 0.5, 0.001); /* training points never count */
  g_assert_false (lk_loss_plot_get_best (plot, &epoch, &loss));

  lk_loss_plot_add_validation (plot, 1, 0.05);
  g_assert_true (lk_loss_plot_get_best (plot, &epoch, &loss));
  g_assert_cmpfloat (epoch, ==, 1);
  g_assert_cmpfloat (loss, ==, 0.05);
  lk_loss_plot_add_validation (plot, 2, 0.03);
  lk_loss_plot_add_validation (plot, 3, 0.04);
  lk_loss_plot_add_validation (plot, 4, NAN);
  g_assert_true (lk_loss_plot_get_best (plot, &epoch, &loss));
  g_assert_cmpfloat (epoch, ==, 2);
  g_assert_cmpfloat (loss, ==, 0.03);
  lk_loss_plot_add_validation (plot, 5, 0.03); /* a tie keeps the first */
  g_assert_true (lk_loss_plot_get_best (plot, &epoch, NULL));
  g_assert_cmpfloat (epoch, ==, 2);
  lk_loss_plot_add_validation (plot, 6, 0.02);
  g_assert_true (lk_loss_plot_get_best (plot, NULL, &loss));
  g_assert_cmpfloat (loss, ==, 0.02);

  lk_loss_plot_reset (plot, 6);
  g_assert_false (lk_loss_plot_get_best (plot, &epoch, &loss));
}

static void
notify_cb (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_log_scale (void)
{
  g_autoptr (LkLossPlot) plot = g_object_ref_sink (LK_LOSS_PLOT (lk_loss_plot_new ()));
  guint count = 0;
  gboolean value = TRUE;

  g_object_get (plot, "log-scale", &value, NULL);
  g_assert_false (value);
  g_signal_connect (plot, "notify::log-scale", G_CALLBACK (notify_cb), &count);
  lk_loss_plot_set_log_scale (plot, TRUE);
  g_assert_true (lk_loss_plot_get_log_scale (plot));
  g_assert_cmpuint (count, ==, 1);
  lk_loss_plot_set_log_scale (plot, TRUE);
  g_assert_cmpuint (count, ==, 1);
  g_object_set (plot, "log-scale", TRUE, NULL); /* explicit notify: no change, no signal */
  g_assert_cmpuint (count, ==, 1);
  g_object_set (plot, "log-scale", FALSE, NULL);
  g_assert_false (lk_loss_plot_get_log_scale (plot));
  g_assert_cmpuint (count, ==, 2);
  lk_loss_plot_set_log_scale (plot, FALSE);
  g_assert_cmpuint (count, ==, 2);
}

/* The hit test, swept across the middle of a plot laid out in a window. */
static void
test_describe_at (void)
{
  GtkWindow *window;
  double width, height;
  LkLossPlot *plot = plot_in_window (640, 320, &window, &width, &height);
  double y = height / 2.0, first_hit = -1, last_epoch = -1;
  gboolean validation_seen[6] = { FALSE };
  guint best_seen = 0;
  char *text;

  /* only training points: 0.05 epochs (about 5 px) apart, the last at epoch 4.99 */
  lk_loss_plot_reset (plot, 5);
  for (int i = 0; i < 99; i++)
    lk_loss_plot_add_train (plot, 0.04 + i * 0.05, 0.02 + 0.0001 * i);
  lk_loss_plot_add_train (plot, 4.99, 0.01234);

  /* far from any data: the corners, and beyond the widget */
  g_assert_null (lk_loss_plot_describe_at (plot, 1, 1));
  g_assert_null (lk_loss_plot_describe_at (plot, 1, height - 1));
  g_assert_null (lk_loss_plot_describe_at (plot, -100, y));
  g_assert_null (lk_loss_plot_describe_at (plot, width / 2.0, -100));

  /* coming in from the right edge, the first point reached is the last one */
  for (double x = width - 1; x > width / 2.0; x--)
    if ((text = lk_loss_plot_describe_at (plot, x, y)))
      {
        g_test_message ("at x = %.0f: %s", x, text);
        g_assert_cmpfloat (x, >, width - 60);
        g_assert_nonnull (strstr (text, "4.99"));
        g_assert_nonnull (strstr (text, "training"));
        g_assert_nonnull (strstr (text, "0.01234"));
        g_free (text);
        break;
      }
  text = lk_loss_plot_describe_at (plot, width / 2.0, y);
  g_assert_nonnull (text);
  g_free (text);

  /* now with validation points, which win when they are within reach */
  for (int e = 1; e <= 5; e++)
    lk_loss_plot_add_validation (plot, e, e == 3 ? 0.01452 : 0.02 + 0.001 * e);
  for (double x = 0; x < width; x++)
    {
      double epoch;
      text = lk_loss_plot_describe_at (plot, x, y);
      if (!text)
        {
          /* no gaps inside the plot: nothing before the first hit, nothing once it ends */
          g_assert_true (first_hit < 0 || x > width - 40);
          continue;
        }
      if (first_hit < 0)
        first_hit = x;
      g_assert_true (g_str_has_prefix (text, "Epoch "));
      epoch = g_ascii_strtod (text + strlen ("Epoch "), NULL);
      g_assert_cmpfloat (epoch, >=, last_epoch); /* left to right, epochs only grow */
      last_epoch = epoch;
      if (strstr (text, "validation"))
        {
          g_assert_cmpfloat (epoch, ==, round (epoch));
          validation_seen[(int) epoch] = TRUE;
          if (strstr (text, "(best)"))
            {
              g_assert_cmpfloat (epoch, ==, 3);
              g_assert_nonnull (strstr (text, "validation loss 0.01452 (best)"));
              best_seen++;
            }
        }
      g_free (text);
    }
  g_test_message ("first point reached at x = %.0f", first_hit);
  g_assert_cmpfloat (first_hit, >, 20); /* the y axis' labels are left of the plot */
  g_assert_cmpfloat (last_epoch, ==, 5);
  for (int e = 1; e <= 5; e++)
    g_assert_true (validation_seen[e]);
  g_assert_cmpuint (best_seen, >=, 10); /* a reach of several pixels either side */
  g_assert_cmpuint (best_seen, <=, 30);

  lk_loss_plot_reset (plot, 5);
  g_assert_null (lk_loss_plot_describe_at (plot, width / 2.0, y));
  gtk_window_destroy (window);
}

static void
test_render (void)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkWindow *window;
  double width, height;
  LkLossPlot *plot = plot_in_window (640, 320, &window, &width, &height);
  g_autoptr (GdkTexture) empty = NULL;
  g_autoptr (GdkTexture) light = NULL;
  g_autoptr (GdkTexture) dark = NULL;
  g_autoptr (GdkTexture) logarithmic = NULL;
  g_autoptr (GdkTexture) many = NULL;

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  lk_loss_plot_reset (plot, 5);
  empty = render (window, plot, "loss-plot-empty.png");
  add_run (plot, 5, 100);
  g_assert_cmpuint (lk_loss_plot_get_n_points (plot), ==, 105);
  light = render (window, plot, "loss-plot-light.png");

  /* the hover indicator follows the pointer, and goes when it leaves */
  {
    GtkEventController *motion = motion_controller (plot);
    g_autoptr (GdkTexture) hovered = NULL;
    g_autoptr (GdkTexture) left = NULL;

    g_signal_emit_by_name (motion, "motion", width / 2, height / 2);
    hovered = render (window, plot, "loss-plot-hover.png");
    g_signal_emit_by_name (motion, "leave");
    left = render (window, plot, NULL);
    g_test_message ("hovering changes %.4f of the pixels", fraction_different (light, hovered));
    g_assert_cmpfloat (fraction_different (light, hovered), >, 0.0005);
    g_assert_cmpfloat (fraction_different (light, left), ==, 0);
  }

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  dark = render (window, plot, "loss-plot-dark.png");
  lk_loss_plot_set_log_scale (plot, TRUE);
  logarithmic = render (window, plot, "loss-plot-log.png");
  lk_loss_plot_set_log_scale (plot, FALSE);

  g_test_message ("not background: empty %.3f, light %.3f, dark %.3f, log %.3f",
                  fraction_not_background (empty), fraction_not_background (light),
                  fraction_not_background (dark), fraction_not_background (logarithmic));
  g_assert_cmpfloat (fraction_not_background (empty), >, 0.005);
  g_assert_cmpfloat (fraction_not_background (light), >, 0.02);
  g_assert_cmpfloat (fraction_not_background (dark), >, 0.02);
  g_assert_cmpfloat (fraction_not_background (light), >, fraction_not_background (empty));
  g_assert_cmpfloat (fraction_different (light, dark), >, 0.5); /* the background, mostly */
  g_assert_cmpfloat (fraction_different (dark, logarithmic), >, 0.005);

  /* a large catalog's run: its rendering for a person to look at, and one snapshot timed */
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  add_run (plot, 5, 100000);
  g_assert_cmpuint (lk_loss_plot_get_n_train_points (plot), ==, 100000);
  many = render (window, plot, "loss-plot-100k.png");
  g_assert_cmpfloat (fraction_not_background (many), >, 0.02);
  {
    GtkWidget *widget = GTK_WIDGET (plot);
    g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
    g_autoptr (GskRenderNode) node = NULL;
    g_autoptr (GdkTexture) texture = NULL;
    gint64 start, built, rendered;

    start = g_get_monotonic_time ();
    GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
    node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    built = g_get_monotonic_time ();
    texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                           &GRAPHENE_RECT_INIT (0, 0, width, height));
    rendered = g_get_monotonic_time ();
    g_assert_nonnull (texture);
    g_test_message ("100,000 training points: snapshot %.2f ms, rendered %.2f ms more",
                    (built - start) / 1000.0, (rendered - built) / 1000.0);
  }
  gtk_window_destroy (window);
}

/* Few points, flat curves, many epochs, points beyond the planned epochs, in a small plot. */
static void
test_edge_cases (void)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkWindow *window;
  double width, height, epoch;
  LkLossPlot *plot = plot_in_window (360, 190, &window, &width, &height);
  g_autoptr (GdkTexture) single = NULL;
  g_autoptr (GdkTexture) flat = NULL;
  g_autoptr (GdkTexture) long_run = NULL;
  g_autoptr (GdkTexture) beyond = NULL;
  char *text;

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);

  /* one point: the flat range is widened around it, so it sits mid-height */
  lk_loss_plot_reset (plot, 3);
  lk_loss_plot_add_train (plot, 0.5, 0.02);
  single = render (window, plot, "loss-plot-single.png");
  text = describe_leftwards (plot, width - 1, 0, height / 2);
  g_assert_cmpstr (text, ==, "Epoch 0.50 · training loss 0.02");
  g_free (text);
  g_assert_cmpfloat (fraction_not_background (single), >, 0.01);

  /* all equal: still drawn, and the first validation point is the best */
  lk_loss_plot_reset (plot, 3);
  for (int i = 1; i <= 30; i++)
    lk_loss_plot_add_train (plot, i / 10.0, 0.02);
  for (int e = 1; e <= 3; e++)
    lk_loss_plot_add_validation (plot, e, 0.02);
  g_assert_true (lk_loss_plot_get_best (plot, &epoch, NULL));
  g_assert_cmpfloat (epoch, ==, 1);
  flat = render (window, plot, "loss-plot-flat.png");
  g_assert_cmpfloat (fraction_different (single, flat), >, 0.005);

  /* 200 epochs on a small plot, on a logarithmic axis */
  lk_loss_plot_reset (plot, 200);
  lk_loss_plot_set_log_scale (plot, TRUE);
  for (int i = 1; i <= 2000; i++)
    lk_loss_plot_add_train (plot, i / 10.0, 0.5 * pow (i / 10.0, -0.8));
  for (int e = 10; e <= 200; e += 10)
    lk_loss_plot_add_validation (plot, e, 0.6 * pow (e, -0.7));
  long_run = render (window, plot, "loss-plot-200-epochs.png");
  lk_loss_plot_set_log_scale (plot, FALSE);

  /* points beyond the planned epochs stretch the axis: the last is still at the right */
  lk_loss_plot_reset (plot, 2);
  for (int i = 1; i <= 35; i++)
    lk_loss_plot_add_train (plot, i / 10.0, 0.03 - i * 0.0005);
  beyond = render (window, plot, "loss-plot-beyond.png");
  text = describe_leftwards (plot, width - 1, width - 40, height / 2);
  g_assert_cmpstr (text, ==, "Epoch 3.50 · training loss 0.0125");
  g_free (text);

  gtk_window_destroy (window);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* the k-th smallest, whatever the order and with repeats, as sorting says */
static void
test_axis_select (void)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (int round = 0; round < 200; round++)
    {
      gsize n = 1 + (gsize) g_rand_int_range (rand, 0, 300);
      g_autofree double *values = g_new (double, n);
      g_autofree double *sorted = g_new (double, n);
      g_autofree double *work = g_new (double, n);
      /* few distinct values in some rounds: repeats */
      int distinct = round % 3 == 0 ? 4 : 1000000;

      for (gsize i = 0; i < n; i++)
        values[i] = g_rand_int_range (rand, 0, distinct) / 7.0;
      memcpy (sorted, values, n * sizeof (double));
      qsort (sorted, n, sizeof (double), compare_doubles);
      for (gsize k = 0; k < n; k += 1 + n / 17)
        {
          memcpy (work, values, n * sizeof (double));
          g_assert_cmpfloat (lk_plot_axis_select (work, n, k), ==, sorted[k]);
        }
      memcpy (work, values, n * sizeof (double));
      g_assert_cmpfloat (lk_plot_axis_select (work, n, n - 1), ==, sorted[n - 1]);
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: %s ARTIFACT_DIR\n", argv[0]);
      return 1;
    }
  artifacts = argv[1];
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 77;
    }
  adw_init ();
  g_mkdir_with_parents (artifacts, 0755);

  g_test_add_func ("/loss-plot/axis/nice-step", test_axis_nice_step);
  g_test_add_func ("/loss-plot/axis/format-tick", test_axis_format_tick);
  g_test_add_func ("/loss-plot/axis/integer-step", test_axis_integer_step);
  g_test_add_func ("/loss-plot/axis/linear", test_axis_linear);
  g_test_add_func ("/loss-plot/axis/log", test_axis_log);
  g_test_add_func ("/loss-plot/axis/flat", test_axis_flat);
  g_test_add_func ("/loss-plot/axis/mapping", test_axis_mapping);
  g_test_add_func ("/loss-plot/axis/decimate", test_axis_decimate);
  g_test_add_func ("/loss-plot/counts", test_counts);
  g_test_add_func ("/loss-plot/best", test_best);
  g_test_add_func ("/loss-plot/log-scale", test_log_scale);
  g_test_add_func ("/loss-plot/describe-at", test_describe_at);
  g_test_add_func ("/loss-plot/render", test_render);
  g_test_add_func ("/loss-plot/edge-cases", test_edge_cases);
  g_test_add_func ("/loss-plot/axis/select", test_axis_select);
  return g_test_run ();
}
