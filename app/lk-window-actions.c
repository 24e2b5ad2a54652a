/* lk-window-actions.c: what the window's menus, buttons and shortcuts do.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   win.open-catalog          choose a product folder          Ctrl+Shift+O
 *   win.open-image            choose a photo to search with    Ctrl+O
 *   win.paste                 search with the clipboard        Ctrl+V
 *   win.reindex               bring the catalog up to date     F5
 *   win.cancel-indexing       stop indexing (keeping what is done) or building (keeping nothing)
 *   win.build                 build the current backend for the catalog (train it, embed with it)
 *   win.retrain               the Retrain Autoencoder dialog            Ctrl+Shift+R
 *   win.compare-backends      the photo searched with every backend   Ctrl+Shift+B
 *   win.back                  from the comparison to the results  Escape
 *   win.use-cnn               switch to CNN features
 *   win.open-result(s)        open a result in the image viewer
 *   win.show-in-files(s)      show a result in the file manager
 *   win.copy-path(s)          copy a result's path
 *   win.search-similar(s)     search with a result (its stored vector, nothing decoded)
 *   win.search-similar-shown  the same for the result on the compare page
 */
#define G_LOG_DOMAIN "lk-window"

#include "config.h"

#include "lk-window-private.h"

#include <glib/gi18n.h>

static void
chooser_response_cb (GtkNativeDialog *dialog, int response, gpointer data)
{
  LkWindow *self = LK_WINDOW (data);
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  gboolean folder = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog))
                    == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->chooser);
  if (!file)
    return;
  if (!(path = g_file_get_path (file)))
    {
      lk_window_toast (self, _ ("Only files on this computer can be used"), NULL);
      return;
    }
  if (folder)
    lk_window_open_folder (self, path);
  else
    lk_window_search_path (self, path);
}

static void
choose (LkWindow *self, GtkFileChooserAction action, const char *title, const char *accept)
{
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (action == GTK_FILE_CHOOSER_ACTION_OPEN)
    {
      g_autoptr (GtkFileFilter) images = gtk_file_filter_new ();
      g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();
      gtk_file_filter_set_name (images, _ ("Images"));
      gtk_file_filter_add_pixbuf_formats (images);
      gtk_file_filter_add_mime_type (images, "image/*");
      gtk_file_filter_set_name (all, _ ("All Files"));
      gtk_file_filter_add_pattern (all, "*");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), images);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
open_catalog_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (LK_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("Open a Product Folder"),
          _ ("_Open"));
}

static void
open_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (LK_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _ ("Search With a Photo"),
          _ ("_Search"));
}

/* ---------------------------------------------------------------------------------------------- */
/* Paste                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static void
paste_files_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);
  GSList *files = value ? g_value_get_boxed (value) : NULL;
  g_autofree char *path = files ? g_file_get_path (files->data) : NULL;

  if (!path)
    {
      lk_window_toast (self, _ ("The clipboard holds no photo on this computer"), NULL);
      return;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    lk_window_open_folder (self, path);
  else
    lk_window_search_path (self, path);
}

static void
paste_picture_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);
  const char *name = _ ("Pasted picture");
  g_autoptr (GBytes) bytes = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!value)
    {
      g_autofree char *message =
        g_strdup_printf (_ ("The pasted picture cannot be read: %s"), error->message);
      lk_window_toast (self, message, NULL);
      return;
    }
  /* the raw data, at most the decoder's file-size limit of it: decoded in the search worker,
   * within the decoder's limits ("Pasted picture: image is 30000×30000 pixels, over the
   * 100-megapixel limit") */
  if (!(bytes = lk_picture_bytes_get_bytes (g_value_get_boxed (value), name, &error)))
    {
      lk_window_toast (self, error->message, NULL);
      return;
    }
  lk_window_search_bytes (self, bytes, name);
}

static void
paste_texture_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
    gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!texture)
    {
      g_autofree char *message =
        g_strdup_printf (_ ("The pasted picture cannot be read: %s"), error->message);
      lk_window_toast (self, message, NULL);
      return;
    }
  lk_window_search_texture (self, texture, _ ("Pasted picture"));
}

static void
paste_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                    self->cancellable, paste_files_cb, g_object_ref (self));
  /* a picture as the encoded bytes of a format the decoder reads, whenever the clipboard offers
   * one: GTK would decode it whole, of any size, before the decoder's limits could apply */
  else if (lk_picture_bytes_offered (formats))
    gdk_clipboard_read_value_async (clipboard, LK_TYPE_PICTURE_BYTES, G_PRIORITY_DEFAULT,
                                    self->cancellable, paste_picture_cb, g_object_ref (self));
  /* nothing the decoder reads (another program's TIFF or WebP): GTK decodes it; the search
   * refuses it from its size */
  else if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable, paste_texture_cb,
                                      g_object_ref (self));
  else
    lk_window_toast (self, _ ("The clipboard holds no photo to search with"), NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Catalog                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

static void
reindex_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  const char *root = lk_session_get_root (self->session);

  if (root)
    {
      g_autofree char *folder = g_strdup (root);
      g_autoptr (LkQuery) query = self->query ? lk_query_ref (self->query) : NULL;
      lk_window_open_folder (self, folder);
      /* keep the photo: it is searched again once the catalog is up to date */
      if (query)
        self->query = lk_query_ref (query);
    }
}

static void
cancel_indexing_action (GtkWidget *widget, const char *name, GVariant *param)
{
  lk_session_cancel (LK_WINDOW (widget)->session);
}

static void
retrain_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (!self->retrain)
    {
      if (!lk_session_can_retrain (self->session))
        return;
      self->retrain = lk_retrain_window_new (GTK_WINDOW (self), self->session);
      g_object_add_weak_pointer (G_OBJECT (self->retrain), (gpointer *) &self->retrain);
    }
  gtk_window_present (GTK_WINDOW (self->retrain));
}

static void
compare_backends_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (!self->query || !lk_session_get_root (self->session))
    return;
  /* one at a time: a new photo replaces the window's */
  if (self->compare)
    gtk_window_destroy (GTK_WINDOW (self->compare));
  self->compare = lk_compare_window_new (
    GTK_WINDOW (self), self->session, self->query,
    (guint) MIN (gtk_spin_button_get_value_as_int (self->results_spin), 20), self->thumbnailer);
  g_object_add_weak_pointer (G_OBJECT (self->compare), (gpointer *) &self->compare);
  gtk_window_present (GTK_WINDOW (self->compare));
}

static void
build_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  if (lk_session_can_build (self->session))
    lk_session_build (self->session);
}

static void
back_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, self->results ? "results" : "ready");
  lk_window_update_actions (self);
}

static void
use_cnn_action (GtkWidget *widget, const char *name, GVariant *param)
{
  lk_window_set_backend (LK_WINDOW (widget), LK_BACKEND_CNN);
}

/* ---------------------------------------------------------------------------------------------- */
/* A result                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

static void
launched_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (self), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    lk_window_toast (self, error->message, NULL);
}

static void
open_result_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  g_autofree char *uri = g_file_get_uri (file);

  if (!g_file_query_exists (file, NULL))
    {
      g_autofree char *shown = g_file_get_parse_name (file);
      g_autofree char *message = g_strdup_printf (_ ("%s: no such file any more"), shown);
      lk_window_toast (self, message, NULL);
      return;
    }
  gtk_show_uri_full (GTK_WINDOW (self), uri, GDK_CURRENT_TIME, self->cancellable, launched_cb,
                     g_object_ref (self));
}

static void
show_in_files_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply =
    g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (!reply && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    lk_window_toast (self, _ ("No file manager could show the file"), NULL);
}

static void
show_in_files_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  g_autofree char *uri = g_file_get_uri (file);
  const char *uris[] = { uri, NULL };
  GDBusConnection *bus = g_application_get_dbus_connection (g_application_get_default ());

  if (!bus)
    {
      lk_window_toast (self, _ ("No file manager could show the file"), NULL);
      return;
    }
  /* the freedesktop file-manager interface selects the file in its folder */
  g_dbus_connection_call (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", "ShowItems",
                          g_variant_new ("(^ass)", uris, ""), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          self->cancellable, show_in_files_done_cb, g_object_ref (self));
}

static void
copy_path_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  g_autofree char *shown = g_filename_display_name (g_variant_get_string (param, NULL));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), shown);
  lk_window_toast (self, _ ("Path copied"), NULL);
}

static void
search_similar_action (GtkWidget *widget, const char *name, GVariant *param)
{
  lk_window_search_path (LK_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
search_similar_shown_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkWindow *self = LK_WINDOW (widget);
  g_autoptr (LkResult) shown = self->shown ? g_object_ref (self->shown) : NULL;

  if (shown)
    lk_window_search_path (self, lk_result_get_path (shown));
}

/* ---------------------------------------------------------------------------------------------- */

void
lk_window_update_actions (LkWindow *self)
{
  LkSessionState state = lk_session_get_state (self->session);
  const char *page = gtk_stack_get_visible_child_name (self->stack);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reindex",
                                 state == LK_SESSION_READY || state == LK_SESSION_FAILED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-indexing",
                                 state == LK_SESSION_INDEXING || state == LK_SESSION_BUILDING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.build",
                                 lk_session_can_build (self->session));
  /* a retraining in the background, or stopped for a choice, is shown again */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.retrain",
                                 lk_session_can_retrain (self->session)
                                   || lk_session_get_training (self->session));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.compare-backends",
                                 self->query
                                   && (state == LK_SESSION_READY || state == LK_SESSION_INDEXING
                                       || state == LK_SESSION_BUILDING));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back", g_strcmp0 (page, "compare") == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search-similar-shown",
                                 g_strcmp0 (page, "compare") == 0);
}

void
lk_window_install_actions (LkWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.open-catalog", NULL, open_catalog_action);
  gtk_widget_class_install_action (widget_class, "win.open-image", NULL, open_image_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.reindex", NULL, reindex_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-indexing", NULL,
                                   cancel_indexing_action);
  gtk_widget_class_install_action (widget_class, "win.build", NULL, build_action);
  gtk_widget_class_install_action (widget_class, "win.retrain", NULL, retrain_action);
  gtk_widget_class_install_action (widget_class, "win.compare-backends", NULL,
                                   compare_backends_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.use-cnn", NULL, use_cnn_action);
  gtk_widget_class_install_action (widget_class, "win.open-result", "s", open_result_action);
  gtk_widget_class_install_action (widget_class, "win.show-in-files", "s", show_in_files_action);
  gtk_widget_class_install_action (widget_class, "win.copy-path", "s", copy_path_action);
  gtk_widget_class_install_action (widget_class, "win.search-similar", "s", search_similar_action);
  gtk_widget_class_install_action (widget_class, "win.search-similar-shown", NULL,
                                   search_similar_shown_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-image",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-catalog", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.reindex", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.retrain", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.compare-backends", NULL);
}
