/* bench-app.c: how the window feels: start-up, drop-to-results, main-loop stalls while indexing.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-app WEIGHTS CATALOG_DIR SMALL_QUERY LARGE_QUERY [ROUNDS]
 * (under xvfb-run and dbus-run-session; tests/bench/bench-app.sh runs it on ../shared's data)
 *
 *   start-up        from main () to the window's first frame drawn (the process's own loading is
 *                   not included: it is what `hyperfine lookalike --version`-like tools measure)
 *   stall           the longest the main loop went without running while the catalog was indexed
 *                   from scratch: a 1 ms timeout records the gaps between its runs; beside it
 *                   the longest single frame paint, which is the renderer's share of that stall
 *   drop-to-results from a file dropped on the window to the first frame drawn with its results,
 *                   median of ROUNDS drops, for a 224-pixel photo and a large one
 * Figures for the README; not a timed test.
 */
#include "config.h"

#include "lk-application.h"
#include "lk-window.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

static gint64 first_paint, last_paint, main_start;
static gint64 last_tick, longest_gap;
static gint64 paint_start, longest_paint;
static gboolean sampling;

static void
before_paint_cb (GdkFrameClock *clock, gpointer data)
{
  paint_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  last_paint = g_get_monotonic_time ();
  if (!first_paint)
    first_paint = last_paint;
  if (sampling && last_paint - paint_start > longest_paint)
    longest_paint = last_paint - paint_start;
}

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  if (sampling && last_tick && now - last_tick > longest_gap)
    longest_gap = now - last_tick;
  last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
wait_until (gboolean (*done) (gpointer), gpointer data, double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "bench-app: timed out\n");
          exit (1);
        }
      g_main_context_iteration (NULL, TRUE); /* sleeps until something happens: no busy loop */
    }
}

static gboolean
painted (gpointer data)
{
  return first_paint != 0;
}

static gboolean
settled (gpointer data)
{
  LkSessionState s = lk_session_get_state (lk_window_get_session (data));
  return s == LK_SESSION_READY || s == LK_SESSION_FAILED;
}

typedef struct
{
  LkWindow *window;
  guint searches;
  gint64 results_at;
} Drop;

static gboolean
results_drawn (gpointer data)
{
  Drop *d = data;
  if (!d->results_at && lk_window_get_n_searches (d->window) > d->searches)
    d->results_at = g_get_monotonic_time ();
  return d->results_at && last_paint > d->results_at;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
time_drops (LkWindow *window, const char *path, int rounds)
{
  g_autofree double *ms = g_new (double, rounds);

  for (int r = 0; r < rounds; r++)
    {
      Drop d = { window, lk_window_get_n_searches (window), 0 };
      GValue value = G_VALUE_INIT;
      gboolean handled;
      gint64 start;

      g_value_init (&value, GDK_TYPE_FILE_LIST);
      g_value_take_boxed (&value, g_slist_prepend (NULL, g_file_new_for_path (path)));
      start = g_get_monotonic_time ();
      g_signal_emit_by_name (lk_window_get_drop_target (window), "drop", &value, 20.0, 20.0,
                             &handled);
      g_value_unset (&value);
      wait_until (results_drawn, &d, 60);
      ms[r] = (last_paint - start) / 1000.0;
    }
  qsort (ms, rounds, sizeof *ms, compare_doubles);
  return ms[rounds / 2];
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int rounds = argc > 5 ? atoi (argv[5]) : 7;

  main_start = g_get_monotonic_time ();
  lk_runtime_ensure_blas_kernels (argv);
  if (argc < 5)
    {
      fprintf (stderr, "usage: %s WEIGHTS CATALOG_DIR SMALL_QUERY LARGE_QUERY [ROUNDS]\n", argv[0]);
      return 2;
    }
  g_autofree char *scratch = g_dir_make_tmp ("lk-bench-app-XXXXXX", &error);
  g_setenv ("XDG_DATA_HOME", scratch, TRUE); /* a fresh catalog: indexing from scratch */
  gtk_init ();
  adw_init ();
  g_autoptr (LkApplication) app = lk_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  {
    g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
    g_settings_set_string (settings, "weights", argv[1]);
    g_settings_set_int (settings, "results", 30);
  }
  LkWindow *window = lk_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  wait_until (painted, NULL, 30);
  double startup_ms = (first_paint - main_start) / 1000.0;

  /* index the catalog from scratch, sampling the main loop */
  g_timeout_add (1, tick_cb, NULL);
  gint64 index_start = g_get_monotonic_time ();
  sampling = TRUE;
  lk_window_open_folder (window, argv[2]);
  wait_until (settled, window, 600);
  sampling = FALSE;
  double index_s = (g_get_monotonic_time () - index_start) / 1e6;
  guint n = lk_session_get_n_items (lk_window_get_session (window));

  double small_ms = time_drops (window, argv[3], rounds);
  double large_ms = time_drops (window, argv[4], rounds);

  printf ("renderer: %s\n", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  printf ("start-up to first frame: %.0f ms\n", startup_ms);
  printf ("indexing %u images: %.1f s, longest main-loop stall %.1f ms (longest frame paint "
          "%.1f ms)\n",
          n, index_s, longest_gap / 1000.0, longest_paint / 1000.0);
  printf ("drop to results drawn, %s: %.0f ms (median of %d)\n", argv[3], small_ms, rounds);
  printf ("drop to results drawn, %s: %.0f ms (median of %d)\n", argv[4], large_ms, rounds);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
