/* test-app.c: the window, driven as a person would, under Xvfb.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage (meson runs it under xvfb-run and dbus-run-session):
 *   test-app REFERENCE_DIR LOOKALIKE_DEMO ARTIFACT_DIR
 * REFERENCE_DIR holds tests/tools/make-reference.py's random-init SqueezeNet; catalogs are
 * Fashion-MNIST images exported by lookalike-demo, or, to build the convolutional autoencoder on,
 * twelve generated 48-pixel patterns, trained at 32 pixels for a few epochs through the
 * application's test hooks LOOKALIKE_TEST_TRAIN_EPOCHS and LOOKALIKE_TEST_TRAIN_INPUT_SIZE. Every
 * check compares the window with the engine itself: the same catalog searched through the public
 * API must give the same ranking.
 */
#include "config.h"

#include "lk-application.h"
#include "lk-result-tile.h"
#include "lk-thumbnailer.h"
#include "lk-window.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>

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

/* What the engine ranks with @backend's stored identity: the catalog's vectors, and the query
 * embedded by the embedder that identity names. Every row, best first.
 * Returns: (transfer full) */
static LkMatch *
backend_ranking (LkWindow *window, const char *query, LkBackend backend, LkSearchIndex **index_out,
                 gsize *found)
{
  g_autoptr (GError) error = NULL;
  LkSession *session = lk_window_get_session (window);
  g_autoptr (LkCatalog) catalog =
    lk_catalog_open (lk_session_get_catalog_path (session), NULL, &error);
  g_assert_no_error (error);
  g_autoptr (LkModelIdentity) identity = lk_catalog_get_identity (catalog, backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (identity);
  g_autoptr (LkSearchIndex) index = lk_catalog_load (catalog, backend, &error);
  g_assert_no_error (error);
  g_autoptr (LkEmbedder) embedder = lk_embedder_new_for_identity (identity, NULL, "test", &error);
  g_assert_no_error (error);
  g_autoptr (LkEmbedderState) state = lk_embedder_state_new (embedder, 1, 1, &error);
  g_assert_no_error (error);
  g_autoptr (LkImage) image =
    lk_image_decode_file (query, lk_embedder_get_decode_params (embedder), &error);
  g_assert_no_error (error);
  g_autofree float *vector = g_new (float, lk_embedder_get_dim (embedder));
  g_assert_true (lk_embedder_embed_image (state, image, vector, &error));
  gsize n = lk_search_index_get_n_items (index);
  LkMatch *expected = g_new (LkMatch, n);
  *found = lk_search_index_query (index, vector, n, -1, expected);
  *index_out = g_steal_pointer (&index);
  return expected;
}

/* The window's results are the engine's ranking of @query with @backend. */
static void
assert_results_match_backend (LkWindow *window, const char *query, LkBackend backend)
{
  g_autoptr (LkSearchIndex) index = NULL;
  gsize found;
  g_autofree LkMatch *expected = backend_ranking (window, query, backend, &index, &found);
  GListModel *results = lk_window_get_results (window);

  g_assert_nonnull (results);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, MIN (found, 12));
  for (guint i = 0; i < g_list_model_get_n_items (results); i++)
    {
      g_autoptr (LkResult) r = g_list_model_get_item (results, i);
      g_assert_cmpstr (lk_result_get_path (r), ==,
                       lk_search_index_get_path (index, expected[i].index));
      g_assert_cmpfloat_with_epsilon (lk_result_get_cosine (r), expected[i].cosine, 1e-4);
    }
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

typedef struct
{
  GtkWidget *widget;
  const char *path;
  gboolean saved;
} Screenshot;

/* Renders the window as the frame just painted shows it: right after painting its allocation is
 * valid (a label changed by a progress report in between would leave nothing to render). */
static void
screenshot_after_paint_cb (GdkFrameClock *clock, Screenshot *shot)
{
  GtkWidget *widget = shot->widget;
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;

  if (shot->saved)
    return;
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  g_assert_true (gdk_texture_save_to_png (texture, shot->path));
  shot->saved = TRUE;
}

static gboolean
screenshot_saved (gpointer data)
{
  return ((Screenshot *) data)->saved;
}

static void
save_window_screenshot (GtkWindow *window, const char *name)
{
  g_autofree char *path = g_build_filename (artifacts, name, NULL);
  Screenshot shot = { GTK_WIDGET (window), path, FALSE };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gulong handler;

  spin (500); /* thumbnails */
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (screenshot_after_paint_cb), &shot);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  wait_for (screenshot_saved, &shot, 10, "a frame to be painted");
  g_signal_handler_disconnect (clock, handler);
  g_test_message ("window rendered to %s", path);
}

static void
save_screenshot (LkWindow *window, const char *name)
{
  save_window_screenshot (GTK_WINDOW (window), name);
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

/* A picture as a web browser's Copy Image puts it on the clipboard: the encoded bytes, offered as
 * @mime_type and nothing else (GTK adds the types it could decode them to, GdkTexture among them,
 * as it does for another program's clipboard). */
static void
set_clipboard_bytes (LkWindow *window, const char *mime_type, GBytes *bytes)
{
  g_autoptr (GdkContentProvider) provider = gdk_content_provider_new_for_bytes (mime_type, bytes);

  gdk_clipboard_set_content (gtk_widget_get_clipboard (GTK_WIDGET (window)), provider);
}

typedef struct
{
  GValue value;
  gboolean done;
} Deserialized;

static void
deserialized_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Deserialized *d = data;
  g_autoptr (GError) error = NULL;

  g_assert_true (gdk_content_deserialize_finish (result, &d->value, &error));
  g_assert_no_error (error);
  d->done = TRUE;
}

static gboolean
deserialized (gpointer data)
{
  return ((Deserialized *) data)->done;
}

/* What the window's drop target receives when a browser drops @stream as @mime_type: GTK reads it
 * with the deserializer registered for the type the drop target asks for. */
static gboolean
drop_stream (LkWindow *window, GInputStream *stream, const char *mime_type)
{
  Deserialized d = { G_VALUE_INIT, FALSE };
  gboolean handled = FALSE;

  g_value_init (&d.value, LK_TYPE_PICTURE_BYTES);
  gdk_content_deserialize_async (stream, mime_type, LK_TYPE_PICTURE_BYTES, G_PRIORITY_DEFAULT, NULL,
                                 deserialized_cb, &d);
  wait_for (deserialized, &d, 60, "the dropped data to be read");
  g_signal_emit_by_name (lk_window_get_drop_target (window), "drop", &d.value, 20.0, 20.0,
                         &handled);
  g_value_unset (&d.value);
  return handled;
}

static gboolean
drop_bytes (LkWindow *window, GBytes *bytes, const char *mime_type)
{
  g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  return drop_stream (window, stream, mime_type);
}

/* CRC-32 as PNG chunks carry it (ISO 3309, the one zlib's crc32 () computes). */
static guint32
png_crc (const guint8 *data, gsize len)
{
  static guint32 table[256];
  guint32 crc = 0xffffffffu;

  if (table[1] == 0)
    for (guint32 n = 0; n < 256; n++)
      {
        guint32 c = n;
        for (int k = 0; k < 8; k++)
          c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
      }
  for (gsize i = 0; i < len; i++)
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

static void
put_be32 (guint8 *out, guint32 v)
{
  out[0] = v >> 24;
  out[1] = v >> 16;
  out[2] = v >> 8;
  out[3] = v;
}

static void
append_chunk (GByteArray *png, const char *type, const guint8 *data, guint32 len)
{
  guint8 be32[4];
  guint start;

  put_be32 (be32, len);
  g_byte_array_append (png, be32, 4);
  start = png->len;
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, len);
  put_be32 (be32, png_crc (png->data + start, len + 4));
  g_byte_array_append (png, be32, 4);
}

/* A valid PNG whose header says @width × @height pixels of 8-bit RGB, and whose data is one
 * deflated zero byte: a decoder that checks the header refuses it at once, one that allocates the
 * picture first asks for width × height × 3 bytes (and then finds the data short). */
static GBytes *
png_claiming_size (guint32 width, guint32 height)
{
  g_autoptr (GByteArray) png = g_byte_array_new ();
  guint8 ihdr[13] = { 0 }; /* compression, filter and interlace methods 0 */
  static const guint8 idat[] = { 0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };

  /* the CRC function, against the one value every PNG file has */
  g_assert_cmphex (png_crc ((const guint8 *) "IEND", 4), ==, 0xae426082);
  put_be32 (ihdr, width);
  put_be32 (ihdr + 4, height);
  ihdr[8] = 8; /* bits per sample, then 2: RGB */
  ihdr[9] = 2;
  g_byte_array_append (png, (const guint8 *) "\x89PNG\r\n\x1a\n", 8);
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  append_chunk (png, "IDAT", idat, sizeof idat);
  append_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

static guint64
address_space_in_use (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmSize:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nVmSize:"), NULL, 10) * 1024;
}

/* Indexing and thumbnails run at a lower priority; nothing else of ours may be left there
 * (searches would stay slowed down for good). GTask's threads and the threads they start are
 * named "pool…", the indexing threads "lk-indexer" (they end with the run), the thumbnail threads
 * "lk-thumbnails"; other libraries' threads (Mesa's disk cache) may lower themselves. Normal is the
 * priority the process runs at, which need not be nice 0 (`nice meson test`, a CI runner's
 * own niceness). Returns how many thumbnail threads are below it. */
static guint
assert_only_thumbnails_run_low (void)
{
  g_autoptr (GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  guint low = 0;
  gint64 normal;

  g_assert_nonnull (tasks);
  /* the main thread's, which every thread started with (-1 is a valid niceness: check errno) */
  errno = 0;
  normal = getpriority (PRIO_PROCESS, 0);
  g_assert_cmpint (errno, ==, 0);
  while ((tid = g_dir_read_name (tasks)))
    {
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat = NULL;
      g_autofree char *comm = NULL;
      g_auto (GStrv) fields = NULL;
      gint64 nice;

      if (!g_file_get_contents (stat_path, &stat, NULL, NULL)
          || !g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue; /* the thread ended meanwhile */
      /* after "pid (comm) ": state is field 3, nice field 19 */
      fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 16);
      g_strchomp (comm);
      nice = g_ascii_strtoll (fields[16], NULL, 10);
      if (nice != normal)
        {
          if (g_str_has_prefix (comm, "pool") || g_str_equal (comm, "lk-indexer"))
            g_error ("thread %s (%s) was left at nice %" G_GINT64_FORMAT
                     ", the process runs at %" G_GINT64_FORMAT,
                     tid, comm, nice, normal);
          low += nice > normal && g_str_equal (comm, "lk-thumbnails");
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

  /* the file's own PNG, as a browser's Copy Image and drag offer it: read as bytes and decoded
   * by the engine, the same ranking */
  {
    g_autoptr (GBytes) png = g_bytes_new (contents, length);
    set_clipboard_bytes (window, "image/png", png);
    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL));
    wait_for (searched, &wait, 60, "the pasted PNG's results");
    assert_results_match_engine (window, query);
    assert_tiles_show_badges (window);

    wait.searches = lk_window_get_n_searches (window);
    g_assert_true (drop_bytes (window, png, "image/png"));
    wait_for (searched, &wait, 60, "the dropped PNG's results");
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

typedef struct
{
  LkWindow *window;
  const char *prefix;
} ToastWait;

static gboolean
toast_starts_with (gpointer data)
{
  ToastWait *w = data;
  const char *toast = lk_window_get_last_toast (w->window);
  return toast && g_str_has_prefix (toast, w->prefix);
}

static void
unmap_picture (gpointer data)
{
  /* 10000 × 10001 × 3 bytes, see test_oversized_picture_refused */
  munmap (data, (gsize) 10000 * 10001 * 3);
}

/* A picture dropped or pasted from another program is read as bytes and refused by the engine's
 * decoder from its header, before anything allocates its pixels; a texture (from a source that
 * offers nothing the decoder reads), from its size before its pixels are downloaded. */
static void
test_oversized_picture_refused (void)
{
  g_autofree char *catalog = export_catalog ("limits", 1);
  g_autoptr (GBytes) huge = png_claiming_size (20000, 20000);
  LkWindow *window = new_window ();
  ToastWait pasted = { window, "Pasted picture:" }, dropped = { window, "Dropped picture:" };
  struct rlimit saved, guard;
  guint searches;

  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 60, "indexing");
  g_assert_cmpint (lk_session_get_state (lk_window_get_session (window)), ==, LK_SESSION_READY);
  searches = lk_window_get_n_searches (window);

  /* The picture is 20000 × 20000 × 3 bytes, 1.1 GiB: with 768 MiB left to map, whatever
   * allocated it (GTK's PNG loader does, before it reads a row) would fail, and the toast would
   * say something else. Before the fix the paste went to GTK, which did exactly that. */
  g_assert_cmpint (getrlimit (RLIMIT_AS, &saved), ==, 0);
  guard = saved;
  guard.rlim_cur = address_space_in_use () + ((rlim_t) 768 << 20);
  if (saved.rlim_cur != RLIM_INFINITY)
    guard.rlim_cur = MIN (guard.rlim_cur, saved.rlim_cur);
  g_assert_cmpint (setrlimit (RLIMIT_AS, &guard), ==, 0);

  set_clipboard_bytes (window, "image/png", huge);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL));
  wait_for (toast_starts_with, &pasted, 60, "a toast about the pasted picture");
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "Pasted picture: image is 20000×20000 pixels, over the 100-megapixel limit");

  g_assert_true (drop_bytes (window, huge, "image/png"));
  wait_for (toast_starts_with, &dropped, 60, "a toast about the dropped picture");
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "Dropped picture: image is 20000×20000 pixels, over the 100-megapixel limit");
  spin (300); /* the query picture's preview, refused as well */

  g_assert_cmpint (setrlimit (RLIMIT_AS, &saved), ==, 0);
  g_assert_cmpuint (lk_window_get_n_searches (window), ==, searches);
  g_assert_null (lk_window_get_results (window));

  /* A texture of 100,010,000 pixels whose memory is never touched: refused from its size (its
   * download alone would be 400 MB, then 300 MB for the image). */
  {
    gsize size = (gsize) 10000 * 10001 * 3;
    void *pixels = mmap (NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    g_autoptr (GBytes) bytes = NULL;
    g_autoptr (GdkTexture) texture = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (LkImage) image = NULL;

    g_assert_true (pixels != MAP_FAILED);
    bytes = g_bytes_new_with_free_func (pixels, size, unmap_picture, pixels);
    texture = gdk_memory_texture_new (10000, 10001, GDK_MEMORY_R8G8B8, bytes, 10000 * 3);
    image = lk_image_new_from_texture (texture, "Dropped picture", &error);
    g_assert_null (image);
    g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
    g_assert_cmpstr (error->message, ==,
                     "Dropped picture: image is 10000×10001 pixels, over the 100-megapixel limit");
  }

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* Reading a dropped picture stops as soon as more than the decoder's file-size limit has arrived,
 * however much the source would send. */
static void
test_picture_data_limit (void)
{
  LkWindow *window = new_window ();
  g_autoptr (GFile) zero = g_file_new_for_path ("/dev/zero");
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileInputStream) endless = g_file_read (zero, NULL, &error);
  g_autofree char *limit =
    g_format_size_full (lk_decode_default_params ().max_file_size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *expected =
    g_strdup_printf ("Dropped picture: picture data is over the %s limit", limit);

  g_assert_no_error (error);
  g_assert_false (drop_stream (window, G_INPUT_STREAM (endless), "image/png"));
  g_assert_cmpstr (lk_window_get_last_toast (window), ==, expected);
  g_assert_cmpuint (lk_window_get_n_searches (window), ==, 0);

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* ---------------------------------------------------------------------------------------------- */
/* Building the convolutional autoencoder                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* A small generated photo: stripes across, stripes down or checks (@i modulo 3), of a period and
 * in colours that change with @i. */
static void
save_pattern (const char *path, int i)
{
  enum
  {
    SIDE = 48
  };
  gsize size = SIDE * SIDE * 3;
  guint8 *pixels = g_malloc (size);
  int kind = i % 3, period = 3 + 2 * (i / 3 % 4);
  guint8 colour[3] = { (guint8) (40 + 50 * (i % 4)), (guint8) (200 - 30 * (i % 5)),
                       (guint8) (60 + 40 * (i % 3)) };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GdkTexture) texture = NULL;

  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      {
        int on = kind == 0   ? y / period % 2
                 : kind == 1 ? x / period % 2
                             : (x / period + y / period) % 2;
        for (int c = 0; c < 3; c++)
          pixels[(y * SIDE + x) * 3 + c] = on ? colour[c] : (guint8) (255 - colour[c]);
      }
  bytes = g_bytes_new_take (pixels, size);
  texture = gdk_memory_texture_new (SIDE, SIDE, GDK_MEMORY_R8G8B8, bytes, SIDE * 3);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* A catalog of @n generated photos. */
static char *
make_pattern_catalog (const char *name, int n)
{
  char *folder = g_build_filename (scratch, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *file = g_strdup_printf ("pattern-%02d.png", i);
      g_autofree char *path = g_build_filename (folder, file, NULL);
      save_pattern (path, i);
    }
  return folder;
}

/* What the window's bar said while a build ran. */
typedef struct
{
  LkSession *session;
  gboolean reading, training, embedding;
  int epoch; /* the last "Training — epoch k of N" */
  guint reports;
  double fraction;
  gboolean went_back;
} BuildWatch;

static void
build_progress_cb (LkSession *session, GParamSpec *pspec, BuildWatch *w)
{
  const char *text = lk_session_get_progress_text (session);
  double fraction = lk_session_get_progress (session);

  if (lk_session_get_state (session) != LK_SESSION_BUILDING)
    return;
  w->reports++;
  if (fraction < w->fraction)
    w->went_back = TRUE;
  w->fraction = fraction;
  if (!text)
    return;
  w->reading |= g_str_has_prefix (text, "Reading photos…");
  w->embedding |= g_str_has_prefix (text, "Embedding…");
  if (g_str_has_prefix (text, "Training — epoch "))
    {
      w->training = TRUE;
      w->epoch = atoi (text + strlen ("Training — epoch "));
    }
}

/* Presses Build It and follows the build's progress. */
static void
start_build (LkWindow *window, BuildWatch *w)
{
  LkSession *session = lk_window_get_session (window);

  *w = (BuildWatch){ .session = session };
  g_assert_true (lk_session_can_build (session));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.build", NULL));
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_BUILDING);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  g_assert_false (lk_session_can_build (session)); /* one at a time */
  g_signal_connect (session, "notify::progress", G_CALLBACK (build_progress_cb), w);
  g_signal_connect (session, "notify::progress-text", G_CALLBACK (build_progress_cb), w);
  build_progress_cb (session, NULL, w);
}

static void
stop_watching (BuildWatch *w)
{
  g_signal_handlers_disconnect_by_data (w->session, w);
  g_test_message ("%u progress reports, the last in epoch %d", w->reports, w->epoch);
}

static gboolean
third_epoch (gpointer data)
{
  return ((BuildWatch *) data)->epoch >= 3;
}

/* The conv-ae model of the window's catalog, and whether anything else of a build (a temporary
 * model) lies beside it. */
static char *
model_path (LkWindow *window, gboolean *leftovers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog =
    lk_catalog_open (lk_session_get_catalog_path (lk_window_get_session (window)), NULL, &error);
  char *path;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;

  g_assert_no_error (error);
  path = lk_catalog_get_model_path (catalog, LK_BACKEND_CONV_AE);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  d = g_dir_open (dir, 0, NULL);
  *leftovers = FALSE;
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, base) && !g_str_equal (name, base))
      {
        g_test_message ("left beside the model: %s", name);
        *leftovers = TRUE;
      }
  return path;
}

static gboolean
has_vectors (LkWindow *window, LkBackend backend)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog =
    lk_catalog_open (lk_session_get_catalog_path (lk_window_get_session (window)), NULL, &error);
  g_autoptr (LkModelIdentity) identity = lk_catalog_get_identity (catalog, backend, &error);

  g_assert_no_error (error);
  return identity != NULL;
}

/* The not-built page's Build It trains the autoencoder on a tiny catalog with progress in the
 * bar, then shows the results of the photo dropped meanwhile, ranked by the engine's own
 * conv-ae search; opened again, the catalog searches with it at once. */
static void
test_build_conv_ae (void)
{
  g_autofree char *catalog = make_pattern_catalog ("patterns", 12);
  g_autofree char *query = g_build_filename (scratch, "pattern-query.png", NULL);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  SearchWait wait = { window, 0 };
  BuildWatch watch;
  g_autofree char *model = NULL;
  gboolean leftovers;

  save_pattern (query, 13);
  /* enough epochs that the bar is drawn between two of them: reports that come faster than the
   * main loop runs are coalesced into the last one, and three epochs of twelve small photos
   * could end, under AddressSanitizer, before the window had shown one */
  g_setenv ("LOOKALIKE_TEST_TRAIN_EPOCHS", "12", TRUE);
  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 12);

  /* not built: the page says so and offers to build it; a photo dropped now waits for it */
  lk_window_set_backend (window, LK_BACKEND_CONV_AE);
  spin (50);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  g_assert_false (lk_session_get_searchable (session));
  g_assert_true (drop_file (window, query));
  spin (200);
  g_assert_cmpuint (lk_window_get_n_searches (window), ==, 0);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  save_screenshot (window, "window-not-built.png");

  /* Build It: reading, training and embedding in the bar, the bar only going forward */
  wait.searches = lk_window_get_n_searches (window);
  start_build (window, &watch);
  wait_for (session_settled, window, 300, "the build");
  stop_watching (&watch);
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_true (watch.reading);
  g_assert_true (watch.training);
  g_assert_true (watch.embedding);
  g_assert_cmpint (watch.epoch, >=, 1);
  g_assert_cmpint (watch.epoch, <=, 12);
  g_assert_false (watch.went_back);
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "“Conv Autoencoder” is built for this catalog");

  /* and then the results, measured the new way */
  wait_for (searched, &wait, 60, "the dropped photo's results");
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  g_assert_cmpint (lk_session_get_backend (session), ==, LK_BACKEND_CONV_AE);
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 12);
  assert_results_match_backend (window, query, LK_BACKEND_CONV_AE);
  model = model_path (window, &leftovers);
  g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
  g_assert_false (leftovers);
  save_screenshot (window, "window-built-results.png");

  /* opened again, the autoencoder is searched with at once; CNN features as before */
  wait.searches = lk_window_get_n_searches (window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.reindex", NULL));
  wait_for (session_settled, window, 120, "indexing");
  wait_for (searched, &wait, 60, "the results again");
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  assert_results_match_backend (window, query, LK_BACKEND_CONV_AE);
  wait.searches = lk_window_get_n_searches (window);
  lk_window_set_backend (window, LK_BACKEND_CNN);
  wait_for (searched, &wait, 60, "the CNN results");
  assert_results_match_engine (window, query);

  g_unsetenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* Compressed embeddings are built from the CNN features in a moment, no photo read again: Build
 * It, then the dropped photo's results, ranked as the engine ranks the compressed codes. */
static void
test_build_compressed (void)
{
  g_autofree char *catalog = make_pattern_catalog ("patterns-compressed", 40);
  g_autofree char *query = g_build_filename (scratch, "pattern-query-compressed.png", NULL);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  SearchWait wait = { window, 0 };
  BuildWatch watch;

  save_pattern (query, 41);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  lk_window_set_backend (window, LK_BACKEND_COMPRESSED);
  spin (50);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  g_assert_true (lk_session_is_buildable (session));
  g_assert_true (drop_file (window, query));
  spin (100);
  wait.searches = lk_window_get_n_searches (window);
  start_build (window, &watch);
  wait_for (session_settled, window, 120, "the build");
  stop_watching (&watch);
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "“Compressed Embeddings” is built for this catalog");
  g_assert_false (watch.went_back);
  wait_for (searched, &wait, 60, "the results");
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 40);
  g_assert_true (has_vectors (window, LK_BACKEND_COMPRESSED));
  assert_results_match_backend (window, query, LK_BACKEND_COMPRESSED);
  /* the selector's rows say what the catalog has of each backend */
  {
    int dim;
    guint n;
    GtkWidget *dropdown = GTK_WIDGET (
      gtk_widget_get_template_child (GTK_WIDGET (window), LK_TYPE_WINDOW, "backend_dropdown"));
    g_assert_true (lk_session_describe_backend (session, LK_BACKEND_COMPRESSED, &dim, &n));
    g_assert_cmpint (dim, ==, 32);
    g_assert_cmpuint (n, ==, 40);
    g_assert_true (lk_session_describe_backend (session, LK_BACKEND_CNN, &dim, &n));
    g_assert_cmpint (dim, ==, 512);
    g_assert_false (lk_session_describe_backend (session, LK_BACKEND_CONV_AE, &dim, &n));
    g_autofree char *compressed = lk_window_describe_backend (window, LK_BACKEND_COMPRESSED);
    g_autofree char *conv_ae = lk_window_describe_backend (window, LK_BACKEND_CONV_AE);
    g_assert_cmpstr (compressed, ==, "32 dimensions · 5.0\u00a0KiB for 40 photos");
    g_assert_cmpstr (conv_ae, ==, "Not built for this catalog");
    g_assert_nonnull (gtk_drop_down_get_list_factory (GTK_DROP_DOWN (dropdown)));
  }
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* Compare Backends on a catalog with all three: three columns, in the backends' order, each the
 * engine's top k for its backend, and every pair's overlap@k what those rankings share. */
static gboolean
compared (gpointer data)
{
  LkCompareWindow *compare = lk_window_get_compare_window (data);
  return compare && lk_compare_window_get_n_columns (compare) > 0;
}

static void
test_compare_backends (void)
{
  g_autofree char *catalog = make_pattern_catalog ("patterns-compare", 40);
  g_autofree char *query = g_build_filename (scratch, "pattern-query-compare.png", NULL);
  LkWindow *window = new_window ();
  SearchWait wait = { window, 0 };
  LkBackend backends[] = { LK_BACKEND_CONV_AE, LK_BACKEND_COMPRESSED };
  LkCompareWindow *compare;
  guint k = 10;

  save_pattern (query, 43);
  g_setenv ("LOOKALIKE_TEST_TRAIN_EPOCHS", "3", TRUE);
  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      BuildWatch watch;
      lk_window_set_backend (window, backends[i]);
      spin (50);
      start_build (window, &watch);
      wait_for (session_settled, window, 300, "the build");
      stop_watching (&watch);
      g_assert_true (has_vectors (window, backends[i]));
    }
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");
  lk_window_set_backend (window, LK_BACKEND_CNN);
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (window), "win.compare-backends", NULL)
                  && lk_window_get_compare_window (window)); /* no photo yet */
  wait.searches = lk_window_get_n_searches (window);
  g_assert_true (drop_file (window, query));
  wait_for (searched, &wait, 60, "the results");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gtk_widget_get_template_child (
                               GTK_WIDGET (window), LK_TYPE_WINDOW, "results_spin")),
                             k);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.compare-backends", NULL));
  wait_for (compared, window, 120, "the comparison");
  compare = lk_window_get_compare_window (window);
  g_assert_cmpuint (lk_compare_window_get_n_columns (compare), ==, 3);
  {
    LkSearchIndex *index[3] = { NULL };
    LkMatch *top[3] = { NULL };
    for (guint c = 0; c < 3; c++)
      {
        gsize found;
        g_assert_cmpint (lk_compare_window_get_column_backend (compare, c), ==, (LkBackend) c);
        top[c] = backend_ranking (window, query, (LkBackend) c, &index[c], &found);
        g_assert_cmpuint (found, >=, k);
      }
    for (guint a = 0; a < 3; a++)
      for (guint b = a + 1; b < 3; b++)
        {
          int shared = 0;
          for (guint i = 0; i < k; i++)
            for (guint j = 0; j < k; j++)
              shared += g_str_equal (lk_search_index_get_path (index[a], top[a][i].index),
                                     lk_search_index_get_path (index[b], top[b][j].index));
          g_test_message ("%s and %s share %d of %u", lk_backend_to_string ((LkBackend) a),
                          lk_backend_to_string ((LkBackend) b), shared, k);
          g_assert_cmpint (lk_compare_window_get_overlap (compare, a, b), ==, shared);
        }
    /* CNN features and their codes find nearly the same products */
    g_assert_cmpint (lk_compare_window_get_overlap (compare, LK_BACKEND_CNN, LK_BACKEND_COMPRESSED),
                     >=, 5);
    for (guint c = 0; c < 3; c++)
      {
        lk_search_index_unref (index[c]);
        g_free (top[c]);
      }
  }
  spin (300); /* thumbnails */
  save_window_screenshot (GTK_WINDOW (compare), "compare-backends.png");
  gtk_window_destroy (GTK_WINDOW (compare));
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* Cancel while training, after two epochs (which lk_catalog_train () alone would keep): no model,
 * no temporary model, no conv-ae vectors; the page offers to build it again. */
static void
test_build_cancel_keeps_nothing (void)
{
  g_autofree char *catalog = make_pattern_catalog ("patterns-cancel", 12);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  BuildWatch watch;
  g_autofree char *model = NULL;
  gboolean leftovers;

  g_setenv ("LOOKALIKE_TEST_TRAIN_EPOCHS", "10000", TRUE);
  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  lk_window_set_backend (window, LK_BACKEND_CONV_AE);
  spin (50);

  start_build (window, &watch);
  wait_for (third_epoch, &watch, 120, "the third epoch");
  save_screenshot (window, "window-training.png");
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_BUILDING);
  g_assert_true (g_str_has_prefix (lk_session_get_progress_text (session), "Training — epoch "));
  g_assert_cmpfloat (lk_session_get_progress (session), >, 0.0);
  g_assert_cmpfloat (lk_session_get_progress (session), <, 0.9);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-indexing", NULL));
  wait_for (session_settled, window, 120, "the build to stop");
  stop_watching (&watch);
  g_test_message ("cancelled in epoch %d", watch.epoch);
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");

  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "Building stopped. Nothing of it was kept.");
  model = model_path (window, &leftovers);
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  g_assert_false (leftovers);
  g_assert_false (has_vectors (window, LK_BACKEND_CONV_AE));
  g_assert_false (lk_session_get_searchable (session));
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  g_assert_true (lk_session_can_build (session));

  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* ---------------------------------------------------------------------------------------------- */
/* Retraining the autoencoder                                                                      */
/* ---------------------------------------------------------------------------------------------- */

/* A catalog of two folders of generated photos, @n in each: stripes and checks. */
static char *
make_two_folder_catalog (const char *name, int n)
{
  char *folder = g_build_filename (scratch, name, NULL);
  const char *kinds[] = { "stripes", "checks" };

  for (int k = 0; k < 2; k++)
    {
      g_autofree char *dir = g_build_filename (folder, kinds[k], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
      for (int i = 0; i < n; i++)
        {
          g_autofree char *file = g_strdup_printf ("%s-%02d.png", kinds[k], i);
          g_autofree char *path = g_build_filename (dir, file, NULL);
          /* save_pattern's kinds: 0 stripes across, 2 checks; colours and periods vary with i */
          save_pattern (path, 3 * i + 2 * k);
        }
    }
  return folder;
}

/* What the catalog holds of the autoencoder: its model file's bytes and its vectors (with the
 * identity that made them), as one SHA-256; "" for none of either. */
static char *
conv_ae_digest (LkWindow *window)
{
  const char *db = lk_session_get_catalog_path (lk_window_get_session (window));
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GError) error = NULL;
  g_autofree char *model = NULL, *contents = NULL;
  gsize length = 0;
  gboolean leftovers;
  sqlite3 *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  guint rows = 0;

  model = model_path (window, &leftovers);
  g_assert_false (leftovers);
  if (g_file_get_contents (model, &contents, &length, NULL))
    g_checksum_update (sum, (const guchar *) contents, (gssize) length);
  g_assert_cmpint (sqlite3_open_v2 (db, &sql, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (
    sqlite3_prepare_v2 (sql,
                        "SELECT identity_sha256 FROM backends WHERE name = 'conv-ae' "
                        "UNION ALL SELECT hex (item_id) || hex (vector) FROM "
                        "embeddings WHERE backend = 'conv-ae'",
                        -1, &stmt, NULL),
    ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_checksum_update (sum, sqlite3_column_text (stmt, 0), -1);
      rows++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (sql);
  g_test_message ("conv-ae: model %zu bytes, %u rows", length, rows);
  return length || rows ? g_strdup (g_checksum_get_string (sum)) : g_strdup ("");
}

static LkRetrainWindow *
open_retrain (LkWindow *window)
{
  LkRetrainWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.retrain", NULL));
  dialog = lk_window_get_retrain_window (window);
  g_assert_nonnull (dialog);
  spin (100);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));
  return dialog;
}

static gboolean
described (gpointer data)
{
  return lk_retrain_window_is_described (data);
}

static gpointer
dialog_child (LkRetrainWindow *dialog, const char *name)
{
  GObject *child =
    gtk_widget_get_template_child (GTK_WIDGET (dialog), LK_TYPE_RETRAIN_WINDOW, name);
  g_assert_nonnull (child);
  return child;
}

/* Sets the epochs as a person would (typing into the row's spin button) and presses Start. */
static LkTraining *
start_retrain (LkRetrainWindow *dialog, int epochs)
{
  GtkSpinButton *spin_button = dialog_child (dialog, "epochs_spin");
  g_autofree char *text = g_strdup_printf ("%d", epochs);
  LkTraining *training;

  gtk_editable_set_text (GTK_EDITABLE (spin_button), text);
  g_assert_cmpint (lk_retrain_window_get_params (dialog).epochs, ==, epochs);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.start", NULL));
  training = lk_retrain_window_get_training (dialog);
  g_assert_nonnull (training);
  g_assert_true (lk_training_is_active (training));
  return training;
}

typedef struct
{
  LkTraining *training;
  LkTrainingState state;
  guint validation;
} TrainingWait;

static gboolean
training_in_state (gpointer data)
{
  TrainingWait *w = data;
  return lk_training_get_state (w->training) == w->state;
}

static gboolean
validation_points (gpointer data)
{
  TrainingWait *w = data;
  guint n;
  lk_training_get_validation_points (w->training, &n);
  return n >= w->validation;
}

static gboolean
plot_has_points (gpointer data)
{
  return lk_loss_plot_get_n_train_points (lk_retrain_window_get_plot (data)) > 0;
}

static guint
samples_shown (LkRetrainWindow *dialog)
{
  GtkWidget *grid = dialog_child (dialog, "samples_grid");
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (grid); child;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_visible (child) && gtk_picture_get_paintable (GTK_PICTURE (child)))
      n++;
  return n;
}

typedef struct
{
  LkLossPlot *plot;
  guint last, values;
} PlotGrowth;

/* on each of the training's reports, in the main loop: the points the plot has by then */
static void
count_plot_cb (LkTraining *training, PlotGrowth *g)
{
  guint n = lk_loss_plot_get_n_points (g->plot);

  if (n > g->last)
    {
      g->values++;
      g->last = n;
    }
}

/* Retrain from the menu on a tiny catalog of two folders, five epochs: the plot fills point by
 * point, the strip with the photos and their reconstructions, and the run ends with the summary
 * (precision@10 by folder) and the photo's results, searched with the new autoencoder. */
static void
test_retrain_live (void)
{
  g_autofree char *catalog = make_two_folder_catalog ("retrain", 12);
  g_autofree char *query = g_build_filename (scratch, "retrain-query.png", NULL);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  SearchWait wait = { window, 0 };
  LkRetrainWindow *dialog;
  LkTraining *training;
  TrainingWait tw;
  PlotGrowth growth = { 0 };
  guint n_train, n_validation;
  const LkTrainSummary *summary;
  enum
  {
    EPOCHS = 5
  };

  save_pattern (query, 40);
  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  g_assert_true (drop_file (window, query));
  wait_for (searched, &wait, 60, "the CNN results");
  g_assert_cmpint (lk_session_get_backend (session), ==, LK_BACKEND_CNN);

  dialog = open_retrain (window);
  wait_for (described, dialog, 30, "the catalog's description");
  g_assert_cmpstr (adw_action_row_get_subtitle (dialog_child (dialog, "photos_row")), ==,
                   "24 photos indexed");
  g_assert_cmpstr (adw_action_row_get_subtitle (dialog_child (dialog, "model_row")), ==,
                   "None yet: this training makes the first one");
  /* the trainer's defaults (but the tests' input size), and ranges that hold values to them */
  {
    LkTrainParams shown = lk_retrain_window_get_params (dialog);
    LkTrainParams defaults = lk_train_default_params ();
    GtkSpinButton *input = dialog_child (dialog, "input_spin");
    g_assert_cmpint (shown.epochs, ==, defaults.epochs);
    g_assert_cmpint (shown.latent, ==, defaults.latent);
    g_assert_cmpint (shown.batch, ==, defaults.batch);
    g_assert_cmpfloat (shown.denoise, ==, defaults.denoise);
    g_assert_cmpfloat (shown.learning_rate, ==, defaults.learning_rate);
    g_assert_true (shown.augment == defaults.augment);
    g_assert_cmpint (shown.input_size, ==, 32);
    gtk_editable_set_text (GTK_EDITABLE (input), "30");
    shown = lk_retrain_window_get_params (dialog);
    g_assert_cmpint (gtk_spin_button_get_value_as_int (input), ==, shown.input_size);
    g_assert_true (shown.input_size == 28 || shown.input_size == 32);
    gtk_editable_set_text (GTK_EDITABLE (input), "9999");
    g_assert_cmpint (lk_retrain_window_get_params (dialog).input_size, ==, 256);
    gtk_editable_set_text (GTK_EDITABLE (dialog_child (dialog, "latent_spin")), "0");
    g_assert_cmpint (lk_retrain_window_get_params (dialog).latent, ==, 2);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.reset", NULL));
    g_assert_cmpint (lk_retrain_window_get_params (dialog).input_size, ==, 32);
    g_assert_cmpint (lk_retrain_window_get_params (dialog).latent, ==, defaults.latent);
  }
  save_window_screenshot (GTK_WINDOW (dialog), "retrain-settings.png");

  /* batches of 4: several steps an epoch */
  gtk_editable_set_text (GTK_EDITABLE (dialog_child (dialog, "batch_spin")), "4");
  training = start_retrain (dialog, EPOCHS);
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_BUILDING);
  g_assert_false (lk_session_can_retrain (session)); /* one at a time */
  g_assert_false (lk_session_can_build (session));
  g_signal_connect (training, "progress", G_CALLBACK (count_plot_cb), &growth);
  growth.plot = lk_retrain_window_get_plot (dialog);
  wait_for (plot_has_points, dialog, 120, "the first plotted point");
  tw = (TrainingWait){ training, LK_TRAINING_FINISHED, 0 };
  wait_for (training_in_state, &tw, 300, "the retraining to finish");
  spin (100);
  g_signal_handlers_disconnect_by_data (training, &growth);
  /* the plot grew while it trained: counts seen at several reports, each larger */
  g_test_message ("the plot's point count took %u values, the last %u", growth.values, growth.last);
  g_assert_cmpuint (growth.values, >=, 2);

  /* every step and every epoch reached the plot */
  lk_training_get_train_points (training, &n_train);
  lk_training_get_validation_points (training, &n_validation);
  g_assert_cmpuint (n_validation, ==, EPOCHS);
  g_assert_cmpuint (lk_loss_plot_get_n_validation_points (lk_retrain_window_get_plot (dialog)), ==,
                    EPOCHS);
  g_assert_cmpuint (lk_loss_plot_get_n_train_points (lk_retrain_window_get_plot (dialog)), ==,
                    n_train);
  summary = lk_training_get_summary (training);
  g_assert_nonnull (summary);
  g_assert_cmpuint (n_train, ==, EPOCHS * ((summary->n_train + 3) / 4));
  g_assert_cmpuint (samples_shown (dialog), ==, 2 * MIN (8, summary->n_val));
  g_assert_cmpint (lk_training_get_samples_epoch (training), ==, EPOCHS);
  g_assert_nonnull (lk_training_get_evaluation (training));
  g_assert_cmpuint (lk_training_get_evaluation (training)->labels, ==, 2);
  g_assert_true (gtk_widget_get_visible (dialog_child (dialog, "summary_group")));
  g_assert_true (gtk_widget_get_visible (dialog_child (dialog, "precision_row")));
  g_test_message ("precision@10 by folder %.3f",
                  lk_training_get_evaluation (training)->precision_at_k);

  /* the window searches with the new model */
  wait_for (session_settled, window, 60, "the session");
  spin (300);
  g_assert_cmpint (lk_session_get_backend (session), ==, LK_BACKEND_CONV_AE);
  g_assert_cmpstr (lk_window_get_page (window), ==, "results");
  assert_results_match_backend (window, query, LK_BACKEND_CONV_AE);
  save_window_screenshot (GTK_WINDOW (dialog), "retrain-finished.png");

  /* closed after the end: nothing is asked */
  gtk_window_close (GTK_WINDOW (dialog));
  spin (100);
  g_assert_null (lk_window_get_retrain_window (window));
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* Stopping: keeping the previous model changes nothing in the catalog, byte for byte; keeping the
 * best so far puts it in place and remakes the vectors. Closing the dialog while it trains asks,
 * and the training can go on in the background, in the window's bar. */
static void
test_retrain_cancel (void)
{
  g_autofree char *catalog = make_two_folder_catalog ("retrain-cancel", 8);
  LkWindow *window = new_window ();
  LkSession *session = lk_window_get_session (window);
  LkRetrainWindow *dialog;
  LkTraining *training;
  TrainingWait tw;
  BuildWatch watch;
  g_autofree char *before = NULL, *after = NULL, *model = NULL;
  gboolean leftovers;

  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  g_setenv ("LOOKALIKE_TEST_TRAIN_EPOCHS", "2", TRUE);
  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 120, "indexing");
  lk_window_set_backend (window, LK_BACKEND_CONV_AE);
  start_build (window, &watch);
  wait_for (session_settled, window, 300, "the build");
  stop_watching (&watch);
  before = conv_ae_digest (window);
  g_assert_cmpstr (before, !=, "");

  /* closed mid-run with Stop Training: the dialog goes, and nothing changed */
  dialog = open_retrain (window);
  training = g_object_ref (start_retrain (dialog, 10000));
  tw = (TrainingWait){ training, LK_TRAINING_RUNNING, 1 };
  wait_for (validation_points, &tw, 120, "an epoch");
  gtk_window_close (GTK_WINDOW (dialog));
  spin (100);
  adw_message_dialog_response (find_message_dialog (), "stop");
  spin (100);
  g_assert_null (lk_window_get_retrain_window (window));
  tw.state = LK_TRAINING_DISCARDED;
  wait_for (training_in_state, &tw, 60, "the stop");
  wait_for (session_settled, window, 60, "the session");
  g_assert_null (lk_session_get_training (session));
  g_assert_cmpstr (lk_window_get_last_toast (window), ==,
                   "Retraining stopped. The previous model is kept.");
  after = conv_ae_digest (window);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);
  g_clear_object (&training);

  /* mid-run, then Stop, then Keep Previous Model */
  dialog = open_retrain (window);
  wait_for (described, dialog, 30, "the catalog's description");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (dialog_child (dialog, "model_row")),
                                   "Trained "));
  training = g_object_ref (start_retrain (dialog, 10000));
  tw = (TrainingWait){ training, LK_TRAINING_RUNNING, 3 };
  wait_for (validation_points, &tw, 120, "three epochs");
  save_window_screenshot (GTK_WINDOW (dialog), "retrain-training.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  spin (200);
  save_window_screenshot (GTK_WINDOW (dialog), "retrain-training-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.stop", NULL));
  tw.state = LK_TRAINING_STOPPED;
  wait_for (training_in_state, &tw, 60, "the stop");
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_true (gtk_widget_get_visible (dialog_child (dialog, "stopped_box")));
  save_window_screenshot (GTK_WINDOW (dialog), "retrain-stopped.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.keep-previous", NULL));
  g_assert_cmpint (lk_training_get_state (training), ==, LK_TRAINING_DISCARDED);
  spin (100);
  after = conv_ae_digest (window);
  g_assert_cmpstr (after, ==, before);
  g_assert_null (lk_session_get_training (session));
  g_clear_object (&training);

  /* again; closed while it trains: it asks, and goes on in the background */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.again", NULL));
  training = g_object_ref (start_retrain (dialog, 10000));
  tw = (TrainingWait){ training, LK_TRAINING_RUNNING, 2 };
  wait_for (validation_points, &tw, 120, "two epochs");
  gtk_window_close (GTK_WINDOW (dialog));
  spin (100);
  g_assert_nonnull (find_message_dialog ());
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  adw_message_dialog_response (find_message_dialog (), "background");
  spin (100);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (lk_training_is_active (training));
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_BUILDING);
  save_screenshot (window, "window-retraining-in-background.png");
  /* from the menu again: the same run; and in the background once more */
  g_assert_true (open_retrain (window) == dialog);
  g_assert_true (lk_retrain_window_get_training (dialog) == training);
  gtk_window_close (GTK_WINDOW (dialog));
  spin (100);
  adw_message_dialog_response (find_message_dialog (), "background");
  spin (100);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));

  /* Cancel in the window's bar: the dialog comes back with the choice; Use Best So Far puts a
   * valid model of fewer epochs in place, and vectors made with it */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-indexing", NULL));
  tw.state = LK_TRAINING_STOPPED;
  wait_for (training_in_state, &tw, 60, "the stop");
  spin (100);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  g_assert_true (gtk_widget_get_visible (dialog_child (dialog, "stopped_box")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "retrain.keep-best", NULL));
  tw.state = LK_TRAINING_FINISHED;
  wait_for (training_in_state, &tw, 120, "the best model's vectors");
  wait_for (session_settled, window, 60, "the session");
  spin (100);
  g_free (after);
  after = conv_ae_digest (window);
  g_assert_cmpstr (after, !=, before);
  model = model_path (window, &leftovers);
  g_assert_false (leftovers);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (LkEmbedder) embedder = lk_embedder_new_conv_ae (model, &error);
    const LkTrainSummary *summary = lk_training_get_summary (training);
    g_assert_no_error (error);
    g_assert_cmpuint (lk_embedder_get_trained_on (embedder), ==, 16);
    g_assert_true (summary->cancelled);
    g_assert_cmpint (summary->epochs, >=, 2);
    g_assert_cmpint (summary->epochs, <, 10000);
  }
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 16);
  g_assert_cmpint (lk_session_get_backend (session), ==, LK_BACKEND_CONV_AE);
  g_assert_true (lk_session_get_searchable (session));
  g_clear_object (&training);

  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* Without CNN weights the window chooses the autoencoder, the catalog opens, and building it is
 * all it takes to search; CNN features say why they cannot be used. */
static void
test_without_weights (void)
{
  g_autofree char *installed = lk_model_find_default_weights ();
  g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *catalog = NULL;
  g_autofree char *backend = NULL;
  LkWindow *window;
  LkSession *session;
  BuildWatch watch;

  if (installed)
    {
      g_test_skip ("network weights are installed on this machine, so the window chooses CNN "
                   "features");
      return;
    }
  catalog = make_pattern_catalog ("patterns-no-weights", 12);
  g_settings_set_string (settings, "weights", "");
  g_settings_set_string (settings, "backend", "cnn");
  window = lk_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_window_present (GTK_WINDOW (window));
  spin (100);
  session = lk_window_get_session (window);
  g_assert_cmpint (lk_session_get_backend (session), ==, LK_BACKEND_CONV_AE);
  backend = g_settings_get_string (settings, "backend");
  g_assert_cmpstr (backend, ==, "cnn"); /* a choice for now, not the setting */

  lk_window_open_folder (window, catalog);
  wait_for (session_settled, window, 60, "opening");
  g_assert_cmpint (lk_session_get_state (session), ==, LK_SESSION_READY);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");
  g_assert_false (has_vectors (window, LK_BACKEND_CNN));

  lk_window_set_backend (window, LK_BACKEND_CNN);
  spin (50);
  g_assert_cmpstr (lk_window_get_page (window), ==, "failed");
  g_assert_nonnull (strstr (lk_session_get_backend_error (session), "No network weights"));
  lk_window_set_backend (window, LK_BACKEND_CONV_AE);
  spin (50);
  g_assert_cmpstr (lk_window_get_page (window), ==, "unavailable");

  g_setenv ("LOOKALIKE_TEST_TRAIN_EPOCHS", "2", TRUE);
  g_setenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE", "32", TRUE);
  start_build (window, &watch);
  wait_for (session_settled, window, 300, "the build");
  stop_watching (&watch);
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_EPOCHS");
  g_unsetenv ("LOOKALIKE_TEST_TRAIN_INPUT_SIZE");
  g_assert_true (lk_session_get_searchable (session));
  g_assert_cmpuint (lk_session_get_n_items (session), ==, 12);
  g_assert_cmpstr (lk_window_get_page (window), ==, "ready");
  g_assert_false (has_vectors (window, LK_BACKEND_CNN));

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
  g_test_add_func ("/app/oversized-picture-refused", test_oversized_picture_refused);
  g_test_add_func ("/app/picture-data-limit", test_picture_data_limit);
  g_test_add_func ("/app/build-conv-ae", test_build_conv_ae);
  g_test_add_func ("/app/build-cancel-keeps-nothing", test_build_cancel_keeps_nothing);
  g_test_add_func ("/app/build-compressed", test_build_compressed);
  g_test_add_func ("/app/compare-backends", test_compare_backends);
  g_test_add_func ("/app/retrain-live", test_retrain_live);
  g_test_add_func ("/app/retrain-cancel", test_retrain_cancel);
  g_test_add_func ("/app/without-weights", test_without_weights);
  return g_test_run ();
}
