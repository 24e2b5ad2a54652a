/* test-app.c: the window, driven as a person would, under Xvfb.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage (meson runs it under xvfb-run and dbus-run-session):
 *   test-app REFERENCE_DIR LOOKALIKE_DEMO ARTIFACT_DIR
 * REFERENCE_DIR holds tests/tools/make-reference.py's random-init SqueezeNet; catalogs are
 * Fashion-MNIST images exported by lookalike-demo. Every check compares the window with the
 * engine itself: the same catalog searched through the public API must give the same ranking.
 */
#include "config.h"

#include "lk-application.h"
#include "lk-result-tile.h"
#include "lk-window.h"

#include <glib/gstdio.h>
#include <math.h>

static const char *refdir, *demo, *artifacts;
static char *weights, *scratch;
static LkApplication *app;

/* ---------------------------------------------------------------------------------------------- */
/* Helpers                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

/* Runs the main loop until @cond holds; fails the test after @seconds. */
static void
wait_for (Condition cond, gpointer data, double seconds, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %.0f s waiting for %s", seconds, what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Runs the main loop for @ms milliseconds (frames get drawn, idles run). */
static void
spin (int ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
session_settled (gpointer data)
{
  LkSessionState state = lk_session_get_state (lk_window_get_session (data));
  return state == LK_SESSION_READY || state == LK_SESSION_FAILED;
}

typedef struct
{
  LkWindow *window;
  guint searches;
} SearchWait;

static gboolean
searched (gpointer data)
{
  SearchWait *w = data;
  return lk_window_get_n_searches (w->window) > w->searches;
}

static char *
export_catalog (const char *name, int per_class)
{
  g_autoptr (GError) error = NULL;
  char *folder = g_build_filename (scratch, name, NULL);
  g_autofree char *n = g_strdup_printf ("%d", per_class);
  const char *argv[] = { demo, "export", "--per-class", n, folder, NULL };
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return folder;
}

static char *
first_image (const char *folder, const char *label)
{
  g_autofree char *dir = g_build_filename (folder, label, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return g_build_filename (dir, *(char **) names->pdata, NULL);
}

static LkWindow *
new_window (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
  LkWindow *window;

  g_settings_set_string (settings, "weights", weights);
  g_settings_set_int (settings, "results", 12);
  g_settings_set_string (settings, "backend", "cnn");
  window = lk_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  spin (100);
  return window;
}

/* The engine's own ranking of the catalog against a decoded query image. */
static LkMatch *
engine_ranking (LkWindow *window, const char *query, gsize k, gsize *found, LkSearchIndex **out)
{
  g_autoptr (GError) error = NULL;
  LkSession *session = lk_window_get_session (window);
  g_autoptr (LkCatalog) catalog =
    lk_catalog_open (lk_session_get_catalog_path (session), NULL, &error);
  g_autoptr (LkSearchIndex) index =
    catalog ? lk_catalog_load (catalog, LK_BACKEND_CNN, &error) : NULL;
  g_assert_no_error (error);
  const LkModelIdentity *identity = lk_search_index_get_identity (index);
  g_autoptr (LkModel) model = lk_model_new_from_file (weights, &error);
  LkStateParams params = { .max_batch = 1, .input_size = identity->input_size };
  g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
  LkDecodeParams decode = lk_decode_default_params ();
  lk_decode_params_set_target (&decode, identity->preprocess, identity->input_size);
  g_autoptr (LkImage) image = lk_image_decode_file (query, &decode, &error);
  g_autofree float *input = g_new (float, 3 * identity->input_size * identity->input_size);
  g_autofree float *vector = g_new (float, identity->dim);
  LkMatch *matches = g_new (LkMatch, k);

  g_assert_no_error (error);
  g_assert_true (lk_model_state_prepare_input (state, image, identity->preprocess, input, &error));
  g_assert_true (lk_model_state_forward (state, input, 1, vector, NULL, &error));
  *found = lk_search_index_query (index, vector, k, -1, matches);
  *out = g_steal_pointer (&index);
  return matches;
}

/* The window's results must be the engine's ranking, with the bands the badges show. */
static void
assert_results_match_engine (LkWindow *window, const char *query)
{
  GListModel *results = lk_window_get_results (window);
  LkSearchIndex *index = NULL;
  gsize found;
  g_autofree LkMatch *expected = engine_ranking (window, query, 12, &found, &index);
  LkBands bands = lk_bands_default ();

  g_assert_nonnull (results);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, found);
  g_assert_cmpuint (found, ==, 12);
  for (guint i = 0; i < found; i++)
    {
      g_autoptr (LkResult) r = g_list_model_get_item (results, i);
      int percent = lk_score_percent (expected[i].cosine);
      g_assert_cmpuint (lk_result_get_rank (r), ==, i + 1);
      g_assert_cmpstr (lk_result_get_path (r), ==,
                       lk_search_index_get_path (index, expected[i].index));
      g_assert_cmpfloat_with_epsilon (lk_result_get_cosine (r), expected[i].cosine, 1e-4);
      g_assert_cmpint (lk_result_get_percent (r), ==, percent);
      g_assert_cmpstr (lk_result_get_band (r), ==,
                       lk_band_to_string (lk_score_band (percent, &bands)));
    }
  lk_search_index_unref (index);
}

static void
collect_tiles (GtkWidget *widget, GPtrArray *tiles)
{
  if (LK_IS_RESULT_TILE (widget))
    {
      g_ptr_array_add (tiles, widget);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    collect_tiles (child, tiles);
}

/* Every tile on screen shows its result's percentage and its band as a CSS class. */
static void
assert_tiles_show_badges (LkWindow *window)
{
  g_autoptr (GPtrArray) tiles = g_ptr_array_new ();
  guint shown = 0;

  spin (300); /* let the grid lay out and bind its tiles */
  collect_tiles (GTK_WIDGET (window), tiles);
  for (guint i = 0; i < tiles->len; i++)
    {
      LkResultTile *tile = tiles->pdata[i];
      LkResult *result = lk_result_tile_get_result (tile);
      GtkWidget *badge = lk_result_tile_get_badge (tile);
      g_autofree char *text = NULL;
      if (!result || !gtk_widget_get_mapped (GTK_WIDGET (tile)))
        continue;
      text = g_strdup_printf ("%d%%", lk_result_get_percent (result));
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (badge)), ==, text);
      g_assert_true (gtk_widget_has_css_class (badge, lk_result_get_band (result)));
      for (const char *const *band = (const char *const[]){ "green", "yellow", "red", NULL }; *band;
           band++)
        if (!g_str_equal (*band, lk_result_get_band (result)))
          g_assert_false (gtk_widget_has_css_class (badge, *band));
      shown++;
    }
  g_test_message ("%u tiles on screen checked", shown);
  g_assert_cmpuint (shown, >=, 4);
}

static void
save_screenshot (LkWindow *window, const char *name)
{
  GtkWidget *widget = GTK_WIDGET (window);
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (artifacts, name, NULL);

  spin (500); /* thumbnails */
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("window rendered to %s", path);
}

static gboolean
drop_file (LkWindow *window, const char *path)
{
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, g_slist_prepend (NULL, g_file_new_for_path (path)));
  g_signal_emit_by_name (lk_window_get_drop_target (window), "drop", &value, 20.0, 20.0, &handled);
  g_value_unset (&value);
  return handled;
}

/* an image dragged from a web browser arrives as a picture, not a file */
static gboolean
drop_picture (LkWindow *window, GdkTexture *texture)
{
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;

  g_value_init (&value, GDK_TYPE_TEXTURE);
  g_value_set_object (&value, texture);
  g_signal_emit_by_name (lk_window_get_drop_target (window), "drop", &value, 20.0, 20.0, &handled);
  g_value_unset (&value);
  return handled;
}

/* Indexing and thumbnails run at a lower priority; nothing else of ours may be left there
 * (searches would stay slowed down for good). GTask's threads and the threads they start are
 * named "pool…", the indexing threads "lk-indexer" (they end with the run), the thumbnail threads
 * "lk-thumbnails"; other libraries' threads (Mesa's disk cache) may lower themselves. Returns how
 * many thumbnail threads are below normal priority. */
static guint
assert_only_thumbnails_run_low (void)
{
  g_autoptr (GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  guint low = 0;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)))
    {
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat = NULL;
      g_autofree char *comm = NULL;
      g_auto (GStrv) fields = NULL;

      if (!g_file_get_contents (stat_path, &stat, NULL, NULL)
          || !g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue; /* the thread ended meanwhile */
      /* after "pid (comm) ": state is field 3, nice field 19 */
      fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 16);
      g_strchomp (comm);
      if (g_ascii_strtoll (fields[16], NULL, 10) != 0)
        {
          if (g_str_has_prefix (comm, "pool") || g_str_equal (comm, "lk-indexer"))
            g_error ("thread %s (%s) was left at a lower priority", tid, comm);
          low += g_str_equal (comm, "lk-thumbnails");
        }
    }
  return low;
}

/* ---------------------------------------------------------------------------------------------- */
/* Tests                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static double max_progress;

static void
progress_cb (LkSession *session)
{
  max_progress = MAX (max_progress, lk_session_get_progress (session));
}

static void
test_index_drop_paste_backend (void)
{
  g_autofree char *catalog = export_catalog ("small", 4);
  g_autofree char *query_dir = g_build_filename (scratch, "queries", NULL);
  g_autofree char *query = g_build_filename (query_dir, "query.png", NULL);
  g_autofree char *source = first_image (catalog, "Sneaker");
  g_autofree char *broken = g_build_filename (catalog, "Bag", "broken.png", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  SearchWait wait = { window, 0 };

  /* a query from outside the catalog, and a broken image inside it */
  g_mkdir_with_parents (query_dir, 0755);
  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (query, contents, (gssize) length, NULL));
  g_assert_true (g_file_set_contents (broken, contents, (gssize) length / 2, NULL));

  g_assert_cmpstr (lk_window_get_page (window), ==, "empty");
  save_screenshot (window, "window-empty.png");
  max_progress = 0;
  g_signal_connect (session, "notify::progress", G_CALLBACK (progress_cb), NULL);
  lk_window_open_folder (window, catalog);
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_INDEXING);
  g_assert_cmpstr (lk_window_get_page (window), ==, "ready");
  wait_for (session_settled, window, 120, "indexing");
  g_signal_handlers_disconnect_by_func (session, progress_cb, NULL);
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_cmpfloat (max_progress, ==, 1.0);
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 40);
  g_assert_cmpstr (lk_window_get_page (window), ==, "ready");
  /* the broken image: a toast naming how many, not a crash */
  g_assert_cmpstr (lk_window_get_last_toast (window), ==, "1 photo could not be read");

  save_screenshot (window, "window-ready.png");

  /* drop a file from a file manager */
  wait.searches = lk_window_get_n_searches (window);
  g_assert_true (drop_file (window, query));
  wait_for (searched, &wait, 60, "the dropped photo's results");
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  assert_results_match_engine (window, query);
  assert_tiles_show_badges (window);
  save_screenshot (window, "window-after-drop.png");

  /* paste a picture (not a file): the same pixels, the same ranking */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (query, &error);
    g_assert_no_error (error);
    gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (window)), texture);
    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL));
    wait_for (searched, &wait, 60, "the pasted picture's results");
    assert_results_match_engine (window, query);
    assert_tiles_show_badges (window);

    /* the same picture dragged from a web browser */
    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (drop_picture (window, texture));
    wait_for (searched, &wait, 60, "the dropped picture's results");
    assert_results_match_engine (window, query);
  }

  /* paste a file (as a file manager's Copy does) */
  {
    g_autoptr (GFile) file = g_file_new_for_path (query);
    GValue value = G_VALUE_INIT;
    g_value_init (&value, GDK_TYPE_FILE_LIST);
    g_value_take_boxed (&value, g_slist_prepend (NULL, g_object_ref (file)));
    gdk_clipboard_set_value (gtk_widget_get_clipboard (GTK_WIDGET (window)), &value);
    g_value_unset (&value);
    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL));
    wait_for (searched, &wait, 60, "the pasted file's results");
    assert_results_match_engine (window, query);
  }

  /* another backend: not built for this catalog, which the window says; back to CNN features
   * runs the same query again */
  lk_window_set_backend (window, LK_BACKEND_CONV_AE);
  spin (50);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  save_screenshot (window, "window-unavailable.png");
  wait.searches = lk_window_get_n_searches (window);
  lk_window_set_backend (window, LK_BACKEND_CNN);
  wait_for (searched, &wait, 60, "the query run again");
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  assert_results_match_engine (window, query);

  /* more like this: a result's own vector, the result itself left out */
  {
    g_autoptr (LkResult) second = g_list_model_get_item (lk_window_get_results (window), 1);
    g_autofree char *path = g_strdup (lk_result_get_path (second));
    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (window), "win.search-similar", "s", path));
    wait_for (searched, &wait, 60, "similar results");
    for (guint i = 0; i < g_list_model_get_n_items (lk_window_get_results (window)); i++)
      {
        g_autoptr (LkResult) r = g_list_model_get_item (lk_window_get_results (window), i);
        g_assert_cmpstr (lk_result_get_path (r), !=, path);
      }
  }

  /* dark mode: the badges keep their contrast */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  save_screenshot (window, "window-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* the searches ran at normal priority; the thumbnail threads, which made the tiles, below it */
  g_assert_cmpuint (assert_only_thumbnails_run_low (), >, 0);

  /* the comparison page and back */
  lk_window_show_compare (window, 0);
  g_assert_cmpstr (lk_window_get_page (window), ==, "compare");
  save_screenshot (window, "window-compare.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL));
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

static gboolean
progressing (gpointer data)
{
  double p = lk_session_get_progress (lk_window_get_session (data));
  return p > 0.05 && p < 0.6;
}

static void
test_cancel_keeps_work (void)
{
  g_autofree char *catalog = export_catalog ("large", 30);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  g_autoptr (GError) error = NULL;

  /* slow the writer down so that the cancel lands in the middle */
  g_setenv ("LOOKALIKE_FAULT_WRITE_DELAY_MS", "3", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (progressing, window, 120, "indexing to get going");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-indexing", NULL));
  wait_for (session_settled, window, 120, "indexing to stop");
  g_unsetenv ("LOOKALIKE_FAULT_WRITE_DELAY_MS");
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_nonnull (strstr (lk_window_get_last_toast (window), "stopped"));

  guint kept = lk_session_get_n_items (session);
  g_test_message ("cancelled with %u of 300 images indexed", kept);
  g_assert_cmpuint (kept, >, 0);
  g_assert_cmpuint (kept, <, 300);
  g_assert_cmpuint (kept % 16, ==, 0); /* whole batches */

  /* opening it again goes on from there */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.reindex", NULL));
  wait_for (session_settled, window, 120, "indexing to finish");
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 300);

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

static gboolean
toast_names_notes (gpointer data)
{
  const char *toast = lk_window_get_last_toast (data);
  return toast && strstr (toast, "notes.jpg");
}

static void
test_failures_say_why (void)
{
  LkWindow *window = new_window ();
  g_autofree char *missing = g_build_filename (scratch, "no-such-folder", NULL);
  g_autofree char *text = g_build_filename (scratch, "notes.jpg", NULL);
  g_autofree char *catalog = export_catalog ("tiny", 1);
  SearchWait wait = { window, 0 };

  lk_window_open_folder (window, missing);
  wait_for (session_settled, window, 30, "opening a missing folder");
  g_assert_cmpint (lk_session_get_state (lk_window_get_session (window)), ==, LK_SESSION_FAILED);
  g_assert_cmpstr (lk_window_get_page (window), ==, "failed");
  g_assert_nonnull (
    strstr (lk_session_get_error (lk_window_get_session (window)), "no-such-folder"));

  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 60, "indexing");
  g_assert_true (g_file_set_contents (text, "not a photo", -1, NULL));
  g_assert_true (drop_file (window, text));
  wait_for (toast_names_notes, window, 30, "a toast about notes.jpg");
  g_assert_nonnull (strstr (lk_window_get_last_toast (window), "not a supported image format"));
  g_assert_cmpuint (lk_window_get_n_searches (window), ==, wait.searches);

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  lk_runtime_ensure_blas_kernels (argv); /* as the program's main () does */
  g_test_init (&argc, &argv, NULL);
  if (argc < 4)
    {
      g_printerr ("usage: %s REFERENCE_DIR LOOKALIKE_DEMO ARTIFACT_DIR\n", argv[0]);
      return 1;
    }
  refdir = argv[1];
  demo = argv[2];
  artifacts = argv[3];
  {
    g_autofree char *skip_path = g_build_filename (refdir, "SKIP", NULL);
    g_autofree char *skip = NULL;
    if (g_file_get_contents (skip_path, &skip, NULL, NULL))
      {
        g_print ("1..0 # SKIP %s", skip);
        return 77;
      }
  }
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 77;
    }
  adw_init ();
  weights = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  scratch = g_dir_make_tmp ("lk-app-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", scratch, TRUE);
  g_mkdir_with_parents (artifacts, 0755);

  app = lk_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/app/index-drop-paste-backend", test_index_drop_paste_backend);
  g_test_add_func ("/app/cancel-keeps-work", test_cancel_keeps_work);
  g_test_add_func ("/app/failures-say-why", test_failures_say_why);
  return g_test_run ();
}
