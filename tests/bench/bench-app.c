/* bench-app.c: how the window feels: start-up, drop-to-results, main-loop stalls while indexing
 * and while the autoencoder is built and retrained.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-app WEIGHTS CATALOG_DIR SMALL_QUERY LARGE_QUERY [ROUNDS [EPOCHS]]
 * bench-app --scroll WEIGHTS CATALOG_DIR QUERY
 * (under xvfb-run and dbus-run-session; tests/bench/bench-app.sh runs it on ../shared's data)
 *
 *   start-up        from main () to the window's first frame drawn (the process's own loading is
 *                   not included: it is what `hyperfine lookalike --version`-like tools measure)
 *   stall           the longest the main loop went without running while the catalog was indexed
 *                   from scratch: a 1 ms timeout records the gaps between its runs; beside it
 *                   the longest single frame paint, which is the renderer's share of that stall
 *   drop-to-results from a file dropped on the window to the first frame drawn with its results,
 *                   median of ROUNDS drops (7), for a 224-pixel photo and a large one
 *   build           the same stall while the Conv Autoencoder is built for the catalog (Build It:
 *                   its photos read, the autoencoder trained with the defaults, the catalog
 *                   embedded with it), and how long that takes
 *   retrain         the Retrain Autoencoder dialog on the same catalog, its settings as they come
 *                   but EPOCHS epochs (20), from Start pressed to the training finished (the
 *                   catalog embedded with the new model): how long it takes; how long until the
 *                   plot has its first point, as the main loop sees it (and until a frame of the
 *                   dialog shows it); the same stall, overall (Start's own handling included) and
 *                   by the training's state, each gap counted in every state the training was in
 *                   during it (the one it began in and any entered before it ended), but the
 *                   last, in which it finished, counted apart as finishing: it holds the end's
 *                   own handling (the new model put in the window and searched with); beside the
 *                   longest, the main thread's CPU time in it (the rest it waited, for a core or a
 *                   lock), and the longest frame paint of the dialog and of the window (a frame
 *                   that only lays out, with no paint, is not timed there: it is in the stalls)
 *   --scroll        10,000 results of CATALOG_DIR for QUERY, scrolled at a steady 3,000 pixels a
 *                   second for 8 s from the middle of the list, then 20 jumps to random places
 *                   (a scroll bar dragged): the frame intervals while the thumbnails stream in
 *
 * LOOKALIKE_BENCH_PHASES=retrain (a comma-separated list of drop, build and retrain) runs only
 * those phases after start-up and indexing, which every phase needs; without drop, one drop of
 * SMALL_QUERY, untimed, still gives the window results to search again with a new model.
 * LOOKALIKE_BENCH_SCREENSHOT=FILE.png renders the Retrain dialog to FILE.png once 6 epochs (or all,
 * when there are fewer) are plotted with their reconstructions; that rendering is left out of the
 * stalls.
 * Figures for the README; not a timed test.
 */
#include "config.h"

#include "lk-application.h"
#include "lk-window.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static gint64 first_paint, last_paint, main_start;
static gint64 last_tick, longest_gap;
static gint64 paint_start, longest_paint;
static gboolean sampling;
/* where a frame's time goes: GTK's own handlers of each phase run before ours, connected later */
static gint64 layout_done, paint_done;
static gint64 layout_total, paint_total, n_frames;

static void
before_paint_cb (GdkFrameClock *clock, gpointer data)
{
  paint_start = g_get_monotonic_time ();
}

static void
layout_cb (GdkFrameClock *clock, gpointer data)
{
  layout_done = g_get_monotonic_time ();
}

static void
paint_cb (GdkFrameClock *clock, gpointer data)
{
  paint_done = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  last_paint = g_get_monotonic_time ();
  if (sampling && layout_done > paint_start && paint_done > layout_done)
    {
      layout_total += layout_done - paint_start; /* tick callbacks, list item binding, layout */
      paint_total += paint_done - layout_done;   /* snapshot and render */
      n_frames++;
    }
  if (!first_paint)
    first_paint = last_paint;
  if (sampling && last_paint - paint_start > longest_paint)
    longest_paint = last_paint - paint_start;
}

/* the main thread's CPU time at the last tick, and in the longest gap: a gap it spent waiting
 * (for a core, or a lock) rather than working shows as wall time without CPU time */
static gint64 last_tick_cpu, longest_gap_cpu;
/* time the main loop spent on the bench's own work (a screenshot) since the last tick */
static gint64 left_out, left_out_cpu;

static gint64
thread_cpu_time (void)
{
  struct timespec t;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * G_USEC_PER_SEC + t.tv_nsec / 1000;
}

static void retrain_gap (gint64 gap, gint64 now);

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time (), cpu = thread_cpu_time ();
  gint64 gap = now - last_tick - left_out;
  if (sampling && last_tick && gap > longest_gap)
    {
      longest_gap = gap;
      longest_gap_cpu = cpu - last_tick_cpu - left_out_cpu;
    }
  if (sampling && last_tick)
    retrain_gap (gap, now);
  last_tick = now;
  last_tick_cpu = cpu;
  left_out = left_out_cpu = 0;
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

/* ---- scrolling ------------------------------------------------------------------------------ */

typedef struct
{
  GtkAdjustment *adjustment;
  double from, to, speed; /* pixels, pixels a second */
  gint64 start, last;
  GArray *intervals; /* ms between frames */
  gboolean done;
} Scroll;

static gboolean
scroll_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Scroll *s = data;
  gint64 now = g_get_monotonic_time ();

  if (!s->start)
    s->start = now;
  else
    g_array_append_val (s->intervals, (double){ (now - s->last) / 1000.0 });
  s->last = now;
  double value = s->from + s->speed * (now - s->start) / G_USEC_PER_SEC;
  gtk_adjustment_set_value (s->adjustment, MIN (value, s->to));
  if (value >= s->to)
    {
      s->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
scroll_done (gpointer data)
{
  return ((Scroll *) data)->done;
}

static gboolean
frame_drawn (gpointer data)
{
  return last_paint > *(gint64 *) data;
}

static GtkWidget *
find_grid (GtkWidget *widget)
{
  if (GTK_IS_GRID_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_grid (child);
      if (found)
        return found;
    }
  return NULL;
}

static void
print_intervals (const char *what, GArray *ms)
{
  guint n = ms->len, slow = 0;
  double sum = 0;

  g_array_sort (ms, compare_doubles);
  for (guint i = 0; i < n; i++)
    {
      sum += g_array_index (ms, double, i);
      slow += g_array_index (ms, double, i) > 1000.0 / 30;
    }
  printf ("%s: %u frames, %.1f frames/s, frame interval median %.1f ms, 99th percentile %.1f ms, "
          "longest %.1f ms, %u over 33 ms\n",
          what, n, n / (sum / 1000.0), g_array_index (ms, double, n / 2),
          g_array_index (ms, double, MIN (n - 1, n * 99 / 100)), g_array_index (ms, double, n - 1),
          slow);
}

static int
bench_scroll (LkWindow *window, const char *catalog, const char *query)
{
  GtkWidget *grid;
  GtkAdjustment *adjustment;
  guint searches;

  lk_window_open_folder (window, catalog);
  wait_until (settled, window, 1200);
  searches = lk_window_get_n_searches (window);
  lk_window_search_path (window, query);
  {
    Drop d = { window, searches, 0 };
    wait_until (results_drawn, &d, 60);
  }
  grid = find_grid (GTK_WIDGET (window));
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));
  printf ("%u results, %u items in the catalog, %.0f pixels tall\n",
          g_list_model_get_n_items (lk_window_get_results (window)),
          lk_session_get_n_items (lk_window_get_session (window)),
          gtk_adjustment_get_upper (adjustment));

  /* a steady scroll from the middle */
  Scroll s = { adjustment };
  s.from = gtk_adjustment_get_upper (adjustment) / 2;
  s.speed = 3000;
  s.to = MIN (s.from + 8 * s.speed,
              gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
  s.intervals = g_array_new (FALSE, FALSE, sizeof (double));
  gtk_adjustment_set_value (adjustment, s.from);
  gint64 now = g_get_monotonic_time ();
  wait_until (frame_drawn, &now, 10);
  gtk_widget_add_tick_callback (grid, scroll_tick_cb, &s, NULL);
  longest_paint = 0;
  sampling = TRUE;
  wait_until (scroll_done, &s, 60);
  sampling = FALSE;
  print_intervals ("scrolling 3,000 px/s", s.intervals);
  printf ("  per frame: %.1f ms updating and laying out (binding the tiles scrolled into view), "
          "%.1f ms drawing; the longest frame %.1f ms\n",
          layout_total / 1000.0 / MAX (n_frames, 1), paint_total / 1000.0 / MAX (n_frames, 1),
          longest_paint / 1000.0);

  /* jumps: from a click on the scroll bar to the frame drawn at the new place */
  g_autoptr (GArray) jumps = g_array_new (FALSE, FALSE, sizeof (double));
  GRand *rand = g_rand_new_with_seed (7);
  for (int i = 0; i < 20; i++)
    {
      double to =
        g_rand_double (rand)
        * (gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
      gint64 start = g_get_monotonic_time ();
      gtk_adjustment_set_value (adjustment, to);
      wait_until (frame_drawn, &start, 10);
      g_array_append_val (jumps, (double){ (last_paint - start) / 1000.0 });
      /* let the thumbnails of this place arrive before the next jump */
      gint64 settle = g_get_monotonic_time () + 300 * 1000;
      while (g_get_monotonic_time () < settle)
        g_main_context_iteration (NULL, FALSE);
    }
  g_rand_free (rand);
  g_array_sort (jumps, compare_doubles);
  printf ("jumping to 20 random places: frame drawn after median %.1f ms, longest %.1f ms\n",
          g_array_index (jumps, double, jumps->len / 2),
          g_array_index (jumps, double, jumps->len - 1));
  g_array_unref (s.intervals);
  return 0;
}

/* ---- retraining ----------------------------------------------------------------------------- */

#define N_STATES (LK_TRAINING_FAILED + 1)

typedef struct
{
  LkRetrainWindow *dialog;
  LkTraining *training;
  guint states;             /* a bit for each state the training was in since the last tick */
  guint seen;               /* every state it was in */
  gint64 longest[N_STATES]; /* the longest gap in each state */
  gint64 end_gap;           /* the gap in which it ended */
  gint64 first_point, first_point_drawn, ended;
  gint64 paint_start, longest_paint; /* the dialog's own frames */
  const char *screenshot;            /* (nullable) where to render the dialog */
  int screenshot_epoch;              /* once this many epochs are plotted */
  gboolean screenshot_due, screenshot_saved;
  gint64 screenshot_cost;
} Retrain;

static Retrain *retraining; /* while the retrain phase samples */

static void
retrain_state_cb (LkTraining *training, GParamSpec *pspec, Retrain *r)
{
  r->states |= 1u << lk_training_get_state (training);
  r->seen |= r->states;
}

/* a gap of the main loop's (from tick_cb) while the dialog trains */
static void
retrain_gap (gint64 gap, gint64 now)
{
  Retrain *r = retraining;
  guint n_validation;

  if (!r || r->ended)
    return;
  if (!lk_training_is_active (r->training))
    {
      /* the gap that held the end's own handling (the new model put in the window and searched
       * with) is the end's, not embedding's */
      r->end_gap = gap;
      r->ended = now;
      sampling = FALSE;
      return;
    }
  for (int s = 0; s < N_STATES; s++)
    if (r->states & (1u << s) && gap > r->longest[s])
      r->longest[s] = gap;
  r->states = 1u << lk_training_get_state (r->training);
  if (!r->first_point && lk_loss_plot_get_n_train_points (lk_retrain_window_get_plot (r->dialog)))
    r->first_point = now;
  lk_training_get_validation_points (r->training, &n_validation);
  if (r->screenshot && !r->screenshot_due && (int) n_validation >= r->screenshot_epoch
      && lk_training_get_samples_epoch (r->training) >= r->screenshot_epoch)
    {
      r->screenshot_due = TRUE;
      gtk_widget_queue_draw (GTK_WIDGET (r->dialog));
    }
}

static void
retrain_before_paint_cb (GdkFrameClock *clock, Retrain *r)
{
  r->paint_start = g_get_monotonic_time ();
}

/* Renders the dialog as the frame just painted shows it (as test-app.c does). */
static void
render_dialog (Retrain *r)
{
  GtkWidget *widget = GTK_WIDGET (r->dialog);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node)
    texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                           &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!texture || !gdk_texture_save_to_png (texture, r->screenshot))
    {
      fprintf (stderr, "bench-app: %s: the dialog could not be rendered\n", r->screenshot);
      exit (1);
    }
}

static void
retrain_after_paint_cb (GdkFrameClock *clock, Retrain *r)
{
  gint64 now = g_get_monotonic_time ();

  if (sampling && now - r->paint_start > r->longest_paint)
    r->longest_paint = now - r->paint_start;
  if (r->first_point && !r->first_point_drawn)
    r->first_point_drawn = now;
  if (r->screenshot_due && !r->screenshot_saved)
    {
      gint64 cpu = thread_cpu_time ();
      render_dialog (r);
      left_out_cpu += thread_cpu_time () - cpu;
      r->screenshot_saved = TRUE;
      r->screenshot_cost = g_get_monotonic_time () - now;
      left_out += r->screenshot_cost;
    }
}

static gboolean
described (gpointer data)
{
  return lk_retrain_window_is_described (data);
}

static gboolean
retrain_ended (gpointer data)
{
  return ((Retrain *) data)->ended != 0;
}

static gboolean
dialog_gone (gpointer data)
{
  return lk_window_get_retrain_window (data) == NULL;
}

/* "12.3 ms", or "–" for a state the training was never seen in */
static char *
format_stall (Retrain *r, LkTrainingState state)
{
  if (!(r->seen & (1u << state)))
    return g_strdup ("–");
  return g_strdup_printf ("%.1f ms", r->longest[state] / 1000.0);
}

static int
bench_retrain (LkWindow *window, int epochs)
{
  LkSession *session = lk_window_get_session (window);
  Retrain r = { 0 };
  GdkFrameClock *clock;
  GtkSpinButton *epochs_spin;
  g_autofree char *text = g_strdup_printf ("%d", epochs);
  gulong handlers[3];
  gint64 start;

  if (!gtk_widget_activate_action (GTK_WIDGET (window), "win.retrain", NULL)
      || !(r.dialog = lk_window_get_retrain_window (window)))
    {
      fprintf (stderr, "bench-app: the Retrain dialog did not open\n");
      return 1;
    }
  wait_until (described, r.dialog, 60);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (r.dialog));
  handlers[0] = g_signal_connect (clock, "before-paint", G_CALLBACK (retrain_before_paint_cb), &r);
  handlers[1] = g_signal_connect (clock, "after-paint", G_CALLBACK (retrain_after_paint_cb), &r);
  epochs_spin = GTK_SPIN_BUTTON (
    gtk_widget_get_template_child (GTK_WIDGET (r.dialog), LK_TYPE_RETRAIN_WINDOW, "epochs_spin"));
  gtk_editable_set_text (GTK_EDITABLE (epochs_spin), text);
  if (lk_retrain_window_get_params (r.dialog).epochs != epochs)
    {
      fprintf (stderr, "bench-app: the dialog refused %d epochs\n", epochs);
      return 1;
    }
  r.screenshot = g_getenv ("LOOKALIKE_BENCH_SCREENSHOT");
  if (r.screenshot && !*r.screenshot)
    r.screenshot = NULL;
  r.screenshot_epoch = MIN (6, epochs);
  /* let the dialog settle, unsampled */
  {
    gint64 settle = g_get_monotonic_time () + 300 * 1000;
    while (g_get_monotonic_time () < settle)
      g_main_context_iteration (NULL, FALSE);
  }

  /* Start, its own handling in the first gap */
  longest_gap = longest_gap_cpu = longest_paint = 0;
  r.states = r.seen = 1u << LK_TRAINING_WAITING;
  start = last_tick = g_get_monotonic_time ();
  last_tick_cpu = thread_cpu_time ();
  left_out = left_out_cpu = 0;
  sampling = TRUE;
  gtk_widget_activate_action (GTK_WIDGET (r.dialog), "retrain.start", NULL);
  if (!(r.training = lk_retrain_window_get_training (r.dialog)))
    {
      fprintf (stderr, "bench-app: the retraining did not start\n");
      sampling = FALSE;
      return 1;
    }
  g_object_ref (r.training);
  handlers[2] = g_signal_connect (r.training, "notify::state", G_CALLBACK (retrain_state_cb), &r);
  retrain_state_cb (r.training, NULL, &r);
  retraining = &r;
  wait_until (retrain_ended, &r, 1800);
  retraining = NULL;

  g_autofree char *reading = format_stall (&r, LK_TRAINING_READING);
  g_autofree char *running = format_stall (&r, LK_TRAINING_RUNNING);
  g_autofree char *saving = format_stall (&r, LK_TRAINING_SAVING);
  g_autofree char *embedding = format_stall (&r, LK_TRAINING_EMBEDDING);
  printf ("retraining the autoencoder (%u images, %d epochs): %.1f s, first plotted point after "
          "%.0f ms (drawn after %.0f ms), longest main-loop stall %.1f ms, %.1f ms of it the main "
          "thread running (reading %s, training %s, saving %s, embedding %s, finishing %.1f ms; "
          "longest frame paint %.1f ms in the dialog, %.1f ms in the window)\n",
          lk_session_get_n_items (session), epochs, (r.ended - start) / 1e6,
          r.first_point ? (r.first_point - start) / 1000.0 : NAN,
          r.first_point_drawn ? (r.first_point_drawn - start) / 1000.0 : NAN, longest_gap / 1000.0,
          longest_gap_cpu / 1000.0, reading, running, saving, embedding, r.end_gap / 1000.0,
          r.longest_paint / 1000.0, longest_paint / 1000.0);
  if (r.screenshot_saved)
    printf ("  the dialog rendered to %s after epoch %d (%.0f ms, left out of the stalls)\n",
            r.screenshot, r.screenshot_epoch, r.screenshot_cost / 1000.0);
  if (lk_training_get_state (r.training) != LK_TRAINING_FINISHED)
    {
      gboolean failed = lk_training_get_state (r.training) == LK_TRAINING_FAILED;
      fprintf (stderr, "bench-app: the retraining did not finish%s%s\n", failed ? ": " : "",
               failed ? lk_training_get_error (r.training) : "");
      return 1;
    }

  /* the end: the session ready, the dialog closed (nothing is asked once it has finished) */
  g_signal_handler_disconnect (r.training, handlers[2]);
  g_signal_handler_disconnect (clock, handlers[0]);
  g_signal_handler_disconnect (clock, handlers[1]);
  g_object_unref (r.training);
  wait_until (settled, window, 60);
  gtk_window_close (GTK_WINDOW (r.dialog));
  wait_until (dialog_gone, window, 10);
  if (r.screenshot && !r.screenshot_saved)
    {
      fprintf (stderr, "bench-app: %s: the dialog was not rendered\n", r.screenshot);
      return 1;
    }
  return 0;
}

/* ---- main ----------------------------------------------------------------------------------- */

/* LOOKALIKE_BENCH_PHASES: the phases after indexing to run; all when unset */
static gboolean
phase_wanted (const char *name)
{
  const char *phases = g_getenv ("LOOKALIKE_BENCH_PHASES");
  g_auto (GStrv) list = NULL;

  if (!phases || !*phases)
    return TRUE;
  list = g_strsplit (phases, ",", -1);
  return g_strv_contains ((const char *const *) list, name);
}

static gboolean
phases_valid (void)
{
  const char *phases = g_getenv ("LOOKALIKE_BENCH_PHASES");
  const char *const known[] = { "drop", "build", "retrain", NULL };
  g_auto (GStrv) list = NULL;

  if (!phases || !*phases)
    return TRUE;
  list = g_strsplit (phases, ",", -1);
  for (char **p = list; *p; p++)
    if (!g_strv_contains (known, *p))
      return FALSE;
  return TRUE;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  gboolean scroll = argc > 1 && g_str_equal (argv[1], "--scroll");
  int rounds = !scroll && argc > 5 ? atoi (argv[5]) : 7;
  int epochs = !scroll && argc > 6 ? atoi (argv[6]) : 20;
  int status = 0;

  main_start = g_get_monotonic_time ();
  lk_runtime_ensure_blas_kernels (argv);
  if (scroll ? argc != 5 : argc < 5 || argc > 7 || rounds < 1 || epochs < 1 || !phases_valid ())
    {
      fprintf (stderr,
               "usage: %s WEIGHTS CATALOG_DIR SMALL_QUERY LARGE_QUERY [ROUNDS [EPOCHS]]\n"
               "       %s --scroll WEIGHTS CATALOG_DIR QUERY\n"
               "LOOKALIKE_BENCH_PHASES: a comma-separated list of drop, build, retrain\n",
               argv[0], argv[0]);
      return 2;
    }
  if (scroll)
    argv++;
  g_autofree char *scratch = g_dir_make_tmp ("lk-bench-app-XXXXXX", &error);
  g_setenv ("XDG_DATA_HOME", scratch, TRUE); /* a fresh catalog: indexing from scratch */
  gtk_init ();
  adw_init ();
  g_autoptr (LkApplication) app = lk_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  {
    g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
    g_settings_set_string (settings, "weights", argv[1]);
    g_settings_set_int (settings, "results", scroll ? 10000 : 30);
  }
  LkWindow *window = lk_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (clock, "layout", G_CALLBACK (layout_cb), NULL);
  g_signal_connect (clock, "paint", G_CALLBACK (paint_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  wait_until (painted, NULL, 30);
  double startup_ms = (first_paint - main_start) / 1000.0;

  printf ("renderer: %s\n", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
  if (scroll)
    status = bench_scroll (window, argv[2], argv[3]);
  else
    {
      /* index the catalog from scratch, sampling the main loop */
      g_timeout_add (1, tick_cb, NULL);
      gint64 index_start = g_get_monotonic_time ();
      sampling = TRUE;
      lk_window_open_folder (window, argv[2]);
      wait_until (settled, window, 600);
      sampling = FALSE;
      double index_s = (g_get_monotonic_time () - index_start) / 1e6;
      guint n = lk_session_get_n_items (lk_window_get_session (window));

      printf ("start-up to first frame: %.0f ms\n", startup_ms);
      printf ("indexing %u images: %.1f s, longest main-loop stall %.1f ms (longest frame paint "
              "%.1f ms)\n",
              n, index_s, longest_gap / 1000.0, longest_paint / 1000.0);
      if (phase_wanted ("drop"))
        {
          double small_ms = time_drops (window, argv[3], rounds);
          double large_ms = time_drops (window, argv[4], rounds);

          printf ("drop to results drawn, %s: %.0f ms (median of %d)\n", argv[3], small_ms, rounds);
          printf ("drop to results drawn, %s: %.0f ms (median of %d)\n", argv[4], large_ms, rounds);
        }
      else
        time_drops (window, argv[3], 1); /* results, searched again with a new model */

      /* the autoencoder built for the catalog from the window (Build It: read, train with the
       * defaults, embed), sampling the main loop the same way */
      if (phase_wanted ("build"))
        {
          LkSession *session = lk_window_get_session (window);
          lk_window_set_backend (window, LK_BACKEND_CONV_AE);
          longest_gap = longest_paint = 0;
          last_tick = 0;
          gint64 build_start = g_get_monotonic_time ();
          sampling = TRUE;
          gtk_widget_activate_action (GTK_WIDGET (window), "win.build", NULL);
          while (lk_session_get_state (session) != LK_SESSION_BUILDING && !settled (window))
            g_main_context_iteration (NULL, TRUE);
          wait_until (settled, window, 1800);
          sampling = FALSE;
          printf ("building the autoencoder (%u images): %.1f s, longest main-loop stall %.1f ms "
                  "(longest frame paint %.1f ms)\n",
                  lk_session_get_n_items (session), (g_get_monotonic_time () - build_start) / 1e6,
                  longest_gap / 1000.0, longest_paint / 1000.0);
        }

      /* retrained from the Retrain dialog, EPOCHS epochs, the same way again */
      if (phase_wanted ("retrain"))
        status = bench_retrain (window, epochs);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  remove_tree (scratch);
  return status;
}
