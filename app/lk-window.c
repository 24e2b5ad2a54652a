/* lk-window.c: the main window.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window follows its LkSession: which page shows (no catalog, failed, ready, results, a
 * backend not built), the bar of indexing or building (bound to the session's progress), the
 * title. A photo arrives by drop (files from
 * a file manager, pictures from a browser), by paste, or from a file chooser; each one becomes an
 * LkQuery that is searched in a worker, the previous search being cancelled. Results are a
 * GListModel of LkResult shown by a GtkGridView that recycles its tiles, with thumbnails loaded in
 * worker threads and cached, so that thousands of results scroll smoothly.
 */
#define G_LOG_DOMAIN "lk-window"

#include "config.h"

#include "lk-window-private.h"

#include "lk-result-tile.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (LkWindow, lk_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  THUMBNAIL_SIZE = 192, /* tiles show 160 logical pixels; a little more keeps them crisp */
  THUMBNAIL_CACHE = 600,
  PREVIEW_SIZE = 768,
};

/* ---------------------------------------------------------------------------------------------- */
/* Following the session                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static const char *const band_classes[] = { "green", "yellow", "red" };

/* The not-built page of the current backend: what building it means, or how far it is. */
static void
update_unavailable_page (LkWindow *self)
{
  LkSession *session = self->session;
  const LkBackendInfo *info = lk_backend_get_info (lk_session_get_backend (session));
  g_autofree char *title = NULL;
  const char *description;

  if (lk_session_get_state (session) == LK_SESSION_BUILDING && lk_session_is_buildable (session))
    {
      /* Translators: the backend's name as the selector shows it: "Building “Conv Autoencoder”
       * for this catalog" */
      title = g_strdup_printf (_ ("Building “%s” for this catalog"), _ (info->label));
      description = _ ("The bar above shows how far it is. The results appear when it is done.");
    }
  else
    {
      /* Translators: the backend's name as the selector shows it: "“Conv Autoencoder” is not
       * built for this catalog" */
      title = g_strdup_printf (_ ("“%s” is not built for this catalog"), _ (info->label));
      if (!lk_session_is_buildable (session))
        description = _ ("It is made of the catalog’s CNN features, which it does not have yet: "
                         "they come with network weights (Preferences → Network).");
      else if (lk_session_get_state (session) == LK_SESSION_READY
               && !lk_session_can_build (session))
        description = _ ("This catalog cannot be written: it cannot be built here.");
      else
        description = _ (info->building);
    }
  adw_status_page_set_title (self->unavailable_page, title);
  adw_status_page_set_description (self->unavailable_page, description);
  gtk_widget_set_visible (self->build_button,
                          lk_session_is_buildable (session)
                            && lk_session_get_state (session) != LK_SESSION_BUILDING);
}

static void
update_page (LkWindow *self)
{
  LkSession *session = self->session;
  LkSessionState state = lk_session_get_state (session);
  const char *page = "empty";

  switch (state)
    {
    case LK_SESSION_EMPTY:
      page = "empty";
      break;
    case LK_SESSION_FAILED:
      page = "failed";
      adw_status_page_set_description (self->failed_page, lk_session_get_error (session));
      break;
    case LK_SESSION_INDEXING:
    case LK_SESSION_READY:
    case LK_SESSION_BUILDING:
      if (!lk_session_get_searchable (session))
        {
          /* with CNN features, a first indexing is under way (or there are no weights to make
           * them with); another backend is not built until it is searchable. While the catalog
           * opens, a photo dropped now is searched as soon as there is something to search. */
          if (lk_session_get_backend_error (session))
            {
              page = "failed";
              adw_status_page_set_description (self->failed_page,
                                               lk_session_get_backend_error (session));
            }
          else if (state != LK_SESSION_INDEXING
                   && lk_session_get_backend (session) != LK_BACKEND_CNN)
            page = "unavailable";
          else
            page = "ready";
        }
      else if (self->results)
        {
          const char *now = gtk_stack_get_visible_child_name (self->stack);
          page = g_strcmp0 (now, "compare") == 0 ? "compare" : "results";
        }
      else
        page = "ready";
      break;
    }

  if (g_str_equal (page, "unavailable"))
    update_unavailable_page (self);
  if (g_str_equal (page, "ready"))
    {
      guint n = lk_session_get_n_items (session);
      g_autofree char *description = NULL;
      if (state == LK_SESSION_INDEXING && n == 0)
        description = g_strdup (_ ("The catalog is being indexed. You can drop a photo now: "
                                   "the search runs as soon as it can."));
      else
        description = g_strdup_printf (
          g_dngettext (
            GETTEXT_PACKAGE,
            "%u product to compare with. Or paste a photo (Ctrl+V), or open one (Ctrl+O).",
            "%u products to compare with. Or paste a photo (Ctrl+V), or open one (Ctrl+O).", n),
          n);
      adw_status_page_set_description (self->ready_page, description);
    }
  gtk_stack_set_visible_child_name (self->stack, page);
  lk_window_update_actions (self);
}

static void
session_state_cb (LkWindow *self)
{
  LkSession *session = self->session;
  const char *root = lk_session_get_root (session);
  g_autofree char *name = root ? g_filename_display_basename (root) : NULL;

  adw_window_title_set_subtitle (self->window_title, name);
  gtk_revealer_set_reveal_child (self->progress_revealer,
                                 lk_session_get_state (session) == LK_SESSION_INDEXING
                                   || lk_session_get_state (session) == LK_SESSION_BUILDING);
  if (lk_session_get_state (session) == LK_SESSION_BUILDING && lk_session_get_training (session))
    gtk_label_set_label (self->progress_title, _ ("Retraining"));
  else if (lk_session_get_state (session) == LK_SESSION_BUILDING)
    gtk_label_set_label (self->progress_title, _ ("Building"));
  else if (lk_session_get_state (session) == LK_SESSION_INDEXING)
    gtk_label_set_label (self->progress_title, _ ("Indexing"));
  update_page (self);
}

static void
session_searchable_cb (LkWindow *self)
{
  /* a photo dropped before there was anything to search with */
  if (self->query && !self->results && lk_session_get_searchable (self->session))
    lk_window_search_again (self);
  update_page (self);
}

static void
indexing_finished_cb (LkWindow *self, guint failed, const char *summary, gboolean cancelled)
{
  if (cancelled)
    lk_window_toast (
      self, _ ("Indexing stopped. What was indexed is kept; update the catalog to go on."), NULL);
  else if (failed > 0)
    {
      g_autofree char *title =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u photo could not be read",
                                      "%u photos could not be read", failed),
                         failed);
      lk_window_toast (self, title, summary);
    }
  if (self->query && lk_session_get_searchable (self->session))
    lk_window_search_again (self); /* the catalog changed under the results */
}

/* A retraining ended: a new model is searched with at once, the current photo again; the dialog
 * says how it went when it is shown, the toast when it is not. */
static void
retrain_finished_cb (LkWindow *self, LkTraining *training)
{
  gboolean shown = self->retrain && gtk_widget_get_visible (GTK_WIDGET (self->retrain));

  switch (lk_training_get_state (training))
    {
    case LK_TRAINING_FINISHED:
      if (!shown)
        lk_window_toast (self, _ ("The autoencoder is retrained"), NULL);
      if (!lk_session_get_root (self->session))
        break; /* the catalog was closed meanwhile */
      if (lk_session_get_backend (self->session) != LK_BACKEND_CONV_AE)
        lk_window_set_backend (self, LK_BACKEND_CONV_AE); /* searches again */
      else if (self->query && lk_session_get_searchable (self->session))
        lk_window_search_again (self);
      break;
    case LK_TRAINING_FAILED:
      if (!shown)
        lk_window_toast (self, _ ("The autoencoder could not be retrained"),
                         lk_training_get_error (training));
      break;
    default:
      if (!shown)
        lk_window_toast (self, _ ("Retraining stopped. The previous model is kept."), NULL);
      break;
    }
  /* a dialog left in the background has nothing more to show */
  if (self->retrain && !shown)
    gtk_window_destroy (GTK_WINDOW (self->retrain));
  update_page (self);
}

static void
build_finished_cb (LkWindow *self, int backend, gboolean built, gboolean cancelled, guint failed,
                   const char *summary, const char *error)
{
  const char *label = _ (lk_backend_get_info ((LkBackend) backend)->label);

  if (error)
    {
      /* Translators: the backend's name as the selector shows it */
      g_autofree char *title = g_strdup_printf (_ ("“%s” could not be built"), label);
      lk_window_toast (self, title, error);
    }
  else if (cancelled && !built)
    lk_window_toast (self, _ ("Building stopped. Nothing of it was kept."), NULL);
  else if (cancelled)
    lk_window_toast (
      self, _ ("Embedding stopped. The model is kept; update the catalog to embed the rest."),
      NULL);
  else if (failed > 0)
    {
      g_autofree char *title =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u photo could not be read",
                                      "%u photos could not be read", failed),
                         failed);
      lk_window_toast (self, title, summary);
    }
  else
    {
      /* Translators: the backend's name as the selector shows it */
      g_autofree char *title = g_strdup_printf (_ ("“%s” is built for this catalog"), label);
      lk_window_toast (self, title, NULL);
    }
  if (self->query && lk_session_get_searchable (self->session))
    lk_window_search_again (self); /* the same photo, with what was built */
  update_page (self);
}

static void
read_only_cb (LkWindow *self, const char *why)
{
  lk_window_toast (self, _ ("This catalog cannot be written: it is shown as it was indexed"), why);
}

/* ---------------------------------------------------------------------------------------------- */
/* Toasts                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

static void
details_cb (AdwToast *toast, gpointer data)
{
  LkWindow *self = LK_WINDOW (data);
  const char *details = g_object_get_data (G_OBJECT (toast), "details");
  GtkWidget *dialog =
    adw_message_dialog_new (GTK_WINDOW (self), adw_toast_get_title (toast), details);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
lk_window_toast (LkWindow *self, const char *title, const char *details)
{
  AdwToast *toast = adw_toast_new (title);

  g_free (self->last_toast);
  self->last_toast = g_strdup (title);
  adw_toast_set_timeout (toast, details ? 10 : 5);
  if (details)
    {
      adw_toast_set_button_label (toast, _ ("_Details"));
      g_object_set_data_full (G_OBJECT (toast), "details", g_strdup (details), g_free);
      g_signal_connect_object (toast, "button-clicked", G_CALLBACK (details_cb), self, 0);
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---------------------------------------------------------------------------------------------- */
/* Searching                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

static void
preview_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkPicture) picture = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
    lk_thumbnailer_load_finish (LK_THUMBNAILER (source), result, &error);

  if (texture)
    gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

/* Shows @path (or @texture) in @picture, decoded in the background. */
static void
show_picture (LkWindow *self, GtkPicture *picture, const char *path, GdkTexture *texture)
{
  gtk_picture_set_paintable (picture, texture ? GDK_PAINTABLE (texture) : NULL);
  if (path)
    lk_thumbnailer_load_async (self->previewer, path, self->cancellable, preview_cb,
                               g_object_ref (picture));
}

static void
search_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) results = lk_session_search_finish (LK_SESSION (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->searching);
  gtk_widget_remove_css_class (GTK_WIDGET (self->results_view), "searching");
  if (!results)
    {
      lk_window_toast (self, error->message, NULL);
      update_page (self);
      return;
    }

  g_set_object (&self->results, results);
  GtkSingleSelection *selection = gtk_single_selection_new (g_object_ref (results));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  gtk_grid_view_set_model (self->results_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  {
    guint n = g_list_model_get_n_items (results);
    guint total = lk_session_get_n_items (self->session);
    g_autofree char *matches =
      g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u match", "%u matches", n), n);
    g_autofree char *products =
      g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u product", "%u products", total), total);
    /* Translators: "30 matches · 1617 products · CNN features"; the last is the backend's name
     * as the backend selector shows it */
    g_autofree char *text =
      g_strdup_printf (_ ("%s · %s · %s"), matches, products,
                       _ (lk_backend_get_info (lk_session_get_backend (self->session))->label));
    gtk_label_set_text (self->summary_label, text);
  }
  self->n_searches++;
  if (!g_str_equal (gtk_stack_get_visible_child_name (self->stack), "compare"))
    gtk_stack_set_visible_child_name (self->stack, "results");
  update_page (self);
}

void
lk_window_search_again (LkWindow *self)
{
  LkBands bands = {
    .green_min = g_settings_get_int (self->settings, "green-from"),
    .yellow_min = g_settings_get_int (self->settings, "yellow-from"),
  };

  if (!self->query)
    return;
  if (self->searching)
    g_cancellable_cancel (self->searching);
  g_set_object (&self->searching, g_cancellable_new ());
  if (!lk_session_get_searchable (self->session))
    {
      g_clear_object (&self->results);
      update_page (self);
      return;
    }
  gtk_widget_add_css_class (GTK_WIDGET (self->results_view), "searching");
  lk_session_search_async (self->session, self->query,
                           (guint) gtk_spin_button_get_value_as_int (self->results_spin), &bands,
                           self->searching, search_cb, g_object_ref (self));
}

static void
set_query (LkWindow *self, LkQuery *query)
{
  g_clear_pointer (&self->query, lk_query_unref);
  self->query = lk_query_ref (query);
  gtk_label_set_text (self->query_label, lk_query_get_name (query));
  show_picture (self, self->query_picture, lk_query_get_path (query), lk_query_get_texture (query));
  if (lk_query_get_bytes (query))
    lk_thumbnailer_load_bytes_async (self->previewer, lk_query_get_bytes (query),
                                     lk_query_get_name (query), self->cancellable, preview_cb,
                                     g_object_ref (self->query_picture));
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "compare"))
    gtk_stack_set_visible_child_name (self->stack, "results");

  if (lk_session_get_state (self->session) == LK_SESSION_EMPTY)
    lk_window_toast (
      self, _ ("Open a product folder first: that is what the photo is compared with"), NULL);
  else if (lk_session_get_state (self->session) == LK_SESSION_FAILED)
    lk_window_toast (self, lk_session_get_error (self->session), NULL);
  lk_window_update_actions (self);
  lk_window_search_again (self);
}

void
lk_window_search_path (LkWindow *self, const char *path)
{
  g_autoptr (LkQuery) query = lk_query_new_for_path (path);
  set_query (self, query);
}

void
lk_window_search_bytes (LkWindow *self, GBytes *bytes, const char *name)
{
  g_autoptr (LkQuery) query = lk_query_new_for_bytes (bytes, name);
  set_query (self, query);
}

void
lk_window_search_texture (LkWindow *self, GdkTexture *texture, const char *name)
{
  g_autoptr (LkQuery) query = lk_query_new_for_texture (texture, name);
  set_query (self, query);
}

void
lk_window_show_compare (LkWindow *self, guint position)
{
  g_autoptr (LkResult) result =
    self->results ? g_list_model_get_item (self->results, position) : NULL;
  g_autofree char *badge = NULL;
  g_autofree char *caption = NULL;

  if (!result || !self->query)
    return;
  g_set_object (&self->shown, result);
  badge = lk_result_dup_badge_text (result);
  gtk_label_set_text (self->compare_badge, badge);
  for (gsize i = 0; i < G_N_ELEMENTS (band_classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->compare_badge), band_classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->compare_badge), lk_result_get_band (result));
  gtk_label_set_text (self->compare_query_label, lk_query_get_name (self->query));
  caption =
    g_strdup_printf (_ ("%u. %s"), lk_result_get_rank (result), lk_result_get_name (result));
  gtk_label_set_text (self->compare_result_label, caption);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->compare_result_label),
                               lk_result_get_path (result));
  gtk_picture_set_paintable (self->compare_query, gtk_picture_get_paintable (self->query_picture));
  show_picture (self, self->compare_result, lk_result_get_path (result), NULL);
  gtk_stack_set_visible_child_name (self->stack, "compare");
  lk_window_update_actions (self);
}

/* ---------------------------------------------------------------------------------------------- */
/* Results grid                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

static void
setup_tile_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  gtk_list_item_set_child (item, lk_result_tile_new (self->thumbnailer));
}

static void
bind_tile_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  lk_result_tile_set_result (LK_RESULT_TILE (gtk_list_item_get_child (item)),
                             gtk_list_item_get_item (item));
}

static void
unbind_tile_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  lk_result_tile_set_result (LK_RESULT_TILE (gtk_list_item_get_child (item)), NULL);
}

static void
activate_cb (GtkGridView *view, guint position, LkWindow *self)
{
  lk_window_show_compare (self, position);
}

/* ---------------------------------------------------------------------------------------------- */
/* Drops                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, LkWindow *self)
{
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = g_value_get_boxed (value);
      GFile *file = files ? files->data : NULL;
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (!path)
        {
          lk_window_toast (self, _ ("Only files on this computer can be searched with"), NULL);
          return FALSE;
        }
      /* a folder opens as the catalog, anything else is the photo to search with */
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        lk_window_open_folder (self, path);
      else
        lk_window_search_path (self, path);
      return TRUE;
    }
  if (G_VALUE_HOLDS (value, LK_TYPE_PICTURE_BYTES))
    {
      /* the raw data, at most the decoder's file-size limit of it: decoded in the search worker,
       * within the decoder's limits */
      const char *name = _ ("Dropped picture");
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes =
        lk_picture_bytes_get_bytes (g_value_get_boxed (value), name, &error);

      if (!bytes)
        {
          lk_window_toast (self, error->message, NULL);
          return FALSE;
        }
      lk_window_search_bytes (self, bytes, name);
      return TRUE;
    }
  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      /* a source that offers nothing the decoder reads (another program's TIFF, or a texture
       * from this one): GTK has decoded it already; the search refuses it from its size */
      lk_window_search_texture (self, g_value_get_object (value), _ ("Dropped picture"));
      return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Public                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

void
lk_window_open_folder (LkWindow *self, const char *folder)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-catalogs");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *absolute = g_canonicalize_filename (folder, NULL);
  g_auto (GStrv) updated = NULL;
  guint kept = 0;

  g_clear_pointer (&self->query, lk_query_unref);
  g_clear_object (&self->results);
  gtk_grid_view_set_model (self->results_view, NULL);
  {
    g_autofree char *weights = g_settings_get_string (self->settings, "weights");
    lk_session_set_weights (self->session, weights);
  }
  lk_session_open (self->session, absolute, NULL);

  /* remember it first among at most ten recent catalogs */
  g_strv_builder_add (builder, absolute);
  for (guint i = 0; recent[i] && kept < 9; i++)
    if (!g_str_equal (recent[i], absolute))
      {
        g_strv_builder_add (builder, recent[i]);
        kept++;
      }
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-catalogs", (const char *const *) updated);
}

void
lk_window_set_backend (LkWindow *self, LkBackend backend)
{
  gtk_drop_down_set_selected (self->backend_dropdown, (guint) backend);
}

static void
backend_changed_cb (LkWindow *self)
{
  LkBackend backend = (LkBackend) gtk_drop_down_get_selected (self->backend_dropdown);

  if (backend >= LK_N_BACKENDS)
    return;
  lk_session_set_backend (self->session, backend);
  g_settings_set_string (self->settings, "backend", lk_backend_to_string (backend));
  g_clear_object (&self->results);
  lk_window_search_again (self); /* the same photo, measured the other way */
  update_page (self);
}

static void
results_changed_cb (LkWindow *self)
{
  g_settings_set_int (self->settings, "results",
                      gtk_spin_button_get_value_as_int (self->results_spin));
  lk_window_search_again (self);
}

LkSession *
lk_window_get_session (LkWindow *self)
{
  return self->session;
}

GListModel *
lk_window_get_results (LkWindow *self)
{
  return self->results;
}

const char *
lk_window_get_page (LkWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
lk_window_get_last_toast (LkWindow *self)
{
  return self->last_toast;
}

guint
lk_window_get_n_searches (LkWindow *self)
{
  return self->n_searches;
}

GtkDropTarget *
lk_window_get_drop_target (LkWindow *self)
{
  return self->drop_target;
}

LkCompareWindow *
lk_window_get_compare_window (LkWindow *self)
{
  return self->compare;
}

LkRetrainWindow *
lk_window_get_retrain_window (LkWindow *self)
{
  return self->retrain;
}

/* ---------------------------------------------------------------------------------------------- */
/* Lifetime                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

static gboolean
lk_window_close_request (GtkWindow *window)
{
  LkWindow *self = LK_WINDOW (window);
  int width, height;

  /* everything in flight stops; committed indexing work is kept */
  g_cancellable_cancel (self->cancellable);
  if (self->searching)
    g_cancellable_cancel (self->searching);
  lk_session_close (self->session);

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return GTK_WINDOW_CLASS (lk_window_parent_class)->close_request (window);
}

static void
lk_window_dispose (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->chooser);
  if (self->retrain)
    gtk_window_destroy (GTK_WINDOW (self->retrain));
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_WINDOW);
  G_OBJECT_CLASS (lk_window_parent_class)->dispose (object);
}

static void
lk_window_finalize (GObject *object)
{
  LkWindow *self = LK_WINDOW (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->backend_rows, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->thumbnailer);
  g_clear_object (&self->previewer);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->searching);
  g_clear_object (&self->results);
  g_clear_object (&self->shown);
  g_clear_pointer (&self->query, lk_query_unref);
  g_free (self->last_toast);
  G_OBJECT_CLASS (lk_window_parent_class)->finalize (object);
}

static void
lk_window_class_init (LkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_window_dispose;
  object_class->finalize = lk_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = lk_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/lookalike/Lookalike/ui/lk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, backend_dropdown);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, results_spin);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, progress_title);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, failed_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, ready_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, build_button);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, query_picture);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, query_label);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, results_view);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, compare_badge);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, compare_query);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, compare_query_label);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, compare_result);
  gtk_widget_class_bind_template_child (widget_class, LkWindow, compare_result_label);

  lk_window_install_actions (klass);
}

/* ---------------------------------------------------------------------------------------------- */
/* The backend selector: each backend's name over what the catalog has of it                       */

/* "512 dimensions · 3.2 MiB for 1,617 photos", "Not built for this catalog" */
char *
lk_window_describe_backend (LkWindow *self, LkBackend backend)
{
  g_autofree char *size = NULL;
  guint n;
  int dim;

  if (!lk_session_get_root (self->session))
    return g_strdup (_ (lk_backend_get_info (backend)->description));
  if (!lk_session_describe_backend (self->session, backend, &dim, &n))
    return g_strdup (_ ("Not built for this catalog"));
  size = g_format_size_full ((guint64) n * lk_session_get_bytes_per_item (self->session, backend),
                             G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf (
    /* Translators: a backend's vectors in the open catalog: "512 dimensions · 3.2 MiB for 1617
     * photos" */
    g_dngettext (GETTEXT_PACKAGE, "%d dimensions · %s for %u photo",
                 "%d dimensions · %s for %u photos", n),
    dim, size, n);
}

static void
setup_backend_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL), *caption = gtk_label_new (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (caption), 0);
  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_box_append (GTK_BOX (row), box);
  gtk_box_append (GTK_BOX (row), check);
  gtk_list_item_set_child (item, row);
}

static void
update_backend_row (LkWindow *self, GtkListItem *item)
{
  GtkWidget *box = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *title = gtk_widget_get_first_child (box);
  LkBackend backend = (LkBackend) gtk_list_item_get_position (item);
  g_autofree char *caption = NULL;

  if ((guint) backend >= LK_N_BACKENDS)
    return;
  caption = lk_window_describe_backend (self, backend);
  gtk_label_set_label (GTK_LABEL (title), _ (lk_backend_get_info (backend)->label));
  gtk_label_set_label (GTK_LABEL (gtk_widget_get_next_sibling (title)), caption);
  /* the current one checked, as the selector's own rows are */
  gtk_widget_set_opacity (gtk_widget_get_next_sibling (box),
                          gtk_drop_down_get_selected (self->backend_dropdown) == (guint) backend);
}

static void
bind_backend_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  update_backend_row (self, item);
  g_ptr_array_add (self->backend_rows, item);
}

static void
unbind_backend_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, LkWindow *self)
{
  g_ptr_array_remove_fast (self->backend_rows, item);
}

static void
backends_changed_cb (LkWindow *self)
{
  for (guint i = 0; i < self->backend_rows->len; i++)
    update_backend_row (self, self->backend_rows->pdata[i]);
}

/* Whether there are CNN weights to index with: chosen in Preferences, or installed. */
static gboolean
cnn_weights_available (LkWindow *self)
{
  g_autofree char *chosen = g_settings_get_string (self->settings, "weights");
  g_autofree char *installed = NULL;

  if (chosen[0])
    return TRUE;
  installed = lk_model_find_default_weights ();
  return installed != NULL;
}

static void
lk_window_init (LkWindow *self)
{
  GtkListItemFactory *factory;
  g_autofree char *backend = NULL;
  LkBackend b = LK_BACKEND_CNN;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APPLICATION_ID);
  self->session = lk_session_new ();
  self->thumbnailer = lk_thumbnailer_new (THUMBNAIL_SIZE, THUMBNAIL_CACHE);
  self->previewer = lk_thumbnailer_new (PREVIEW_SIZE, 8);
  self->cancellable = g_cancellable_new ();

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  gtk_spin_button_set_value (self->results_spin, g_settings_get_int (self->settings, "results"));
  /* the selector lists the engine's table of backends, in its order */
  {
    g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);
    for (int i = 0; i < LK_N_BACKENDS; i++)
      gtk_string_list_append (labels, _ (lk_backend_get_info ((LkBackend) i)->label));
    gtk_drop_down_set_model (self->backend_dropdown, G_LIST_MODEL (labels));
  }
  {
    g_autoptr (GtkListItemFactory) rows = gtk_signal_list_item_factory_new ();
    self->backend_rows = g_ptr_array_new ();
    g_signal_connect (rows, "setup", G_CALLBACK (setup_backend_row_cb), self);
    g_signal_connect (rows, "bind", G_CALLBACK (bind_backend_row_cb), self);
    g_signal_connect (rows, "unbind", G_CALLBACK (unbind_backend_row_cb), self);
    gtk_drop_down_set_list_factory (self->backend_dropdown, rows);
  }
  backend = g_settings_get_string (self->settings, "backend");
  lk_backend_from_string (backend, &b);
  /* CNN features need network weights; without any, the convolutional autoencoder, which is
   * trained on the catalog itself, is what can be used (the setting stays as it is) */
  if (b == LK_BACKEND_CNN && !cnn_weights_available (self))
    b = LK_BACKEND_CONV_AE;
  gtk_drop_down_set_selected (self->backend_dropdown, (guint) b);
  lk_session_set_backend (self->session, b);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_tile_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_tile_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_tile_cb), self);
  gtk_grid_view_set_factory (self->results_view, factory);
  g_object_unref (factory);
  g_signal_connect (self->results_view, "activate", G_CALLBACK (activate_cb), self);

  g_object_bind_property (self->session, "progress", self->progress_bar, "fraction",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "progress-text", self->progress_label, "label",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_swapped (self->session, "notify::state", G_CALLBACK (session_state_cb), self);
  g_signal_connect_swapped (self->session, "notify::searchable", G_CALLBACK (session_searchable_cb),
                            self);
  g_signal_connect_swapped (self->session, "notify::n-items", G_CALLBACK (update_page), self);
  g_signal_connect_swapped (self->session, "indexing-finished", G_CALLBACK (indexing_finished_cb),
                            self);
  g_signal_connect_swapped (self->session, "read-only", G_CALLBACK (read_only_cb), self);
  g_signal_connect_swapped (self->session, "build-finished", G_CALLBACK (build_finished_cb), self);
  g_signal_connect_swapped (self->session, "retrain-finished", G_CALLBACK (retrain_finished_cb),
                            self);
  g_signal_connect_swapped (self->session, "backends-changed", G_CALLBACK (backends_changed_cb),
                            self);
  g_signal_connect_swapped (self->session, "notify::state", G_CALLBACK (backends_changed_cb), self);
  g_signal_connect_swapped (self->backend_dropdown, "notify::selected",
                            G_CALLBACK (backend_changed_cb), self);
  g_signal_connect_swapped (self->backend_dropdown, "notify::selected",
                            G_CALLBACK (backends_changed_cb), self);
  g_signal_connect_swapped (self->results_spin, "value-changed", G_CALLBACK (results_changed_cb),
                            self);

  /* photos and folders from file managers, pictures from browsers: anywhere in the window. A
   * picture is read as the encoded bytes of a format the decoder reads whenever the source offers
   * one, so that GTK never decodes it (of any size) before the decoder's limits apply. */
  self->drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (
    self->drop_target, (GType[]){ GDK_TYPE_FILE_LIST, LK_TYPE_PICTURE_BYTES, GDK_TYPE_TEXTURE }, 3);
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));

  session_state_cb (self);
}

LkWindow *
lk_window_new (GtkApplication *application)
{
  return g_object_new (LK_TYPE_WINDOW, "application", application, NULL);
}
