/* test-loss-plot.c: the training curves widget: its counts, its best point, its hit test and its
 * rendering in light, dark and logarithmic modes.
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

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
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
  g_assert_nonnull (lk_loss_plot_describe_at (plot, width / 2.0, y));

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

  g_test_add_func ("/loss-plot/counts", test_counts);
  g_test_add_func ("/loss-plot/best", test_best);
  g_test_add_func ("/loss-plot/log-scale", test_log_scale);
  g_test_add_func ("/loss-plot/describe-at", test_describe_at);
  g_test_add_func ("/loss-plot/render", test_render);
  g_test_add_func ("/loss-plot/edge-cases", test_edge_cases);
  return g_test_run ();
}
