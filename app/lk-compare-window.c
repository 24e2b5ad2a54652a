/* lk-compare-window.c: Compare Backends, one query answered by every backend side by side.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session ranks the catalog against the query with each backend it has vectors of
 * (lk_session_compare_async), timing each. A column per backend shows its top k with their
 * badges; a result that other columns found too names them, and the line under the query says how
 * many of the top k each pair of columns shares (overlap@k). Above each column's results: the
 * vectors' dimension, bytes per item, the catalog's size with them, and this search's time. Refresh searches
 * again (the first search of a backend also loads its network; the second is the one to read).
 */
#define G_LOG_DOMAIN "lk-compare"

#include "config.h"

#include "lk-compare-window.h"

#include "lk-result.h"

#include <glib/gi18n.h>

#define THUMB_SIDE 56

struct _LkCompareWindow
{
  AdwWindow parent_instance;

  /* template */
  GtkPicture *query_picture;
  GtkLabel *query_label;
  GtkLabel *overlap_label;
  GtkStack *stack;
  GtkBox *columns_box;
  AdwStatusPage *failed_page;

  /* owned */
  LkSession *session;
  LkQuery *query;
  LkThumbnailer *thumbnailer;
  GCancellable *cancellable; /* the comparison under way */
  GCancellable *thumbs;      /* the thumbnails */
  GPtrArray *columns;        /* (element-type LkComparison) the last comparison */
  guint k;
};

G_DEFINE_FINAL_TYPE (LkCompareWindow, lk_compare_window, ADW_TYPE_WINDOW)

static const char *
backend_label (LkBackend backend)
{
  return _ (lk_backend_get_info (backend)->label);
}

/* whether @path is among @c's results */
static gboolean
column_has (const LkComparison *c, const char *path)
{
  guint n = c->results ? g_list_model_get_n_items (c->results) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (LkResult) r = g_list_model_get_item (c->results, i);
      if (g_str_equal (lk_result_get_path (r), path))
        return TRUE;
    }
  return FALSE;
}

int
lk_compare_window_get_overlap (LkCompareWindow *self, guint a, guint b)
{
  const LkComparison *ca, *cb;
  guint n, shared = 0;

  if (!self->columns || a >= self->columns->len || b >= self->columns->len)
    return -1;
  ca = g_ptr_array_index (self->columns, a);
  cb = g_ptr_array_index (self->columns, b);
  if (!ca->results || !cb->results)
    return -1;
  n = g_list_model_get_n_items (ca->results);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (LkResult) r = g_list_model_get_item (ca->results, i);
      shared += column_has (cb, lk_result_get_path (r));
    }
  return (int) shared;
}

guint
lk_compare_window_get_n_columns (LkCompareWindow *self)
{
  return self->columns && g_str_equal (gtk_stack_get_visible_child_name (self->stack), "columns")
           ? self->columns->len
           : 0;
}

LkBackend
lk_compare_window_get_column_backend (LkCompareWindow *self, guint i)
{
  g_return_val_if_fail (self->columns && i < self->columns->len, LK_BACKEND_CNN);
  return ((LkComparison *) g_ptr_array_index (self->columns, i))->backend;
}

typedef struct
{
  GtkPicture *picture; /* strong reference */
} ThumbLoad;

static void
thumb_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  ThumbLoad *load = data;
  g_autoptr (GdkTexture) texture =
    lk_thumbnailer_load_finish (LK_THUMBNAILER (source), result, NULL);

  if (texture)
    gtk_picture_set_paintable (load->picture, GDK_PAINTABLE (texture));
  g_object_unref (load->picture);
  g_free (load);
}

static void
set_thumbnail (LkCompareWindow *self, GtkPicture *picture, const char *path)
{
  GdkTexture *cached = lk_thumbnailer_lookup (self->thumbnailer, path);
  ThumbLoad *load;

  if (cached)
    {
      gtk_picture_set_paintable (picture, GDK_PAINTABLE (cached));
      return;
    }
  load = g_new0 (ThumbLoad, 1);
  load->picture = g_object_ref (picture);
  lk_thumbnailer_load_async (self->thumbnailer, path, self->thumbs, thumb_cb, load);
}

/* "also found by: Conv Autoencoder, Compressed Embeddings", or NULL */
static char *
shared_with (LkCompareWindow *self, guint column, const char *path)
{
  g_autoptr (GString) names = NULL;

  for (guint i = 0; i < self->columns->len; i++)
    {
      const LkComparison *other = g_ptr_array_index (self->columns, i);
      if (i == column || !column_has (other, path))
        continue;
      if (!names)
        names = g_string_new (NULL);
      else
        g_string_append (names, _ (", "));
      g_string_append (names, backend_label (other->backend));
    }
  return names ? g_string_free (g_steal_pointer (&names), FALSE) : NULL;
}

static GtkWidget *
result_row (LkCompareWindow *self, guint column, LkResult *result)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *rank = gtk_label_new (NULL), *picture = gtk_picture_new ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (lk_result_get_name (result));
  g_autofree char *rank_text = g_strdup_printf ("%u", lk_result_get_rank (result));
  g_autofree char *badge_text = lk_result_dup_badge_text (result);
  g_autofree char *others = shared_with (self, column, lk_result_get_path (result));
  g_autofree char *tooltip = NULL;
  GtkWidget *badge = gtk_label_new (badge_text);

  gtk_widget_set_margin_top (row, 6);
  gtk_widget_set_margin_bottom (row, 6);
  gtk_widget_set_margin_start (row, 8);
  gtk_widget_set_margin_end (row, 8);
  gtk_label_set_label (GTK_LABEL (rank), rank_text);
  gtk_label_set_width_chars (GTK_LABEL (rank), 2);
  gtk_label_set_xalign (GTK_LABEL (rank), 1);
  gtk_widget_add_css_class (rank, "dim-label");
  gtk_widget_add_css_class (rank, "numeric");
  gtk_widget_set_size_request (picture, THUMB_SIDE, THUMB_SIDE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
  set_thumbnail (self, GTK_PICTURE (picture), lk_result_get_path (result));
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_box_append (GTK_BOX (text), name);
  if (others)
    {
      /* Translators: under a result that other backends found too: "Also: CNN Features" */
      g_autofree char *also = g_strdup_printf (_ ("Also: %s"), others);
      GtkWidget *label = gtk_label_new (also);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (label, "accent");
      gtk_box_append (GTK_BOX (text), label);
      gtk_widget_add_css_class (row, "shared");
    }
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (badge, "badge");
  gtk_widget_add_css_class (badge, lk_result_get_band (result));
  if (others)
    /* Translators: a result's tooltip in Compare Backends: its path, raw cosine, and the other
     * backends that found it */
    tooltip = g_strdup_printf (_ ("%s\nCosine %.3f · also found by %s"),
                               lk_result_get_path (result), lk_result_get_cosine (result), others);
  else
    tooltip = g_strdup_printf (_ ("%s\nCosine %.3f · found by this backend only"),
                               lk_result_get_path (result), lk_result_get_cosine (result));
  gtk_widget_set_tooltip_text (row, tooltip);
  gtk_box_append (GTK_BOX (row), rank);
  gtk_box_append (GTK_BOX (row), picture);
  gtk_box_append (GTK_BOX (row), text);
  gtk_box_append (GTK_BOX (row), badge);
  return row;
}

static GtkWidget *
caption_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "caption");
  return label;
}

static GtkWidget *
column_widget (LkCompareWindow *self, guint i)
{
  const LkComparison *c = g_ptr_array_index (self->columns, i);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (backend_label (c->backend));
  g_autofree char *size =
    g_format_size_full ((guint64) c->n_items * c->bytes_per_item, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *per_item = g_format_size_full (c->bytes_per_item, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *shape = g_strdup_printf (
    /* Translators: under a column of Compare Backends: "512 dimensions · 2.0 kB per photo" */
    _ ("%d dimensions · %s per photo"), c->dim, per_item);
  g_autofree char *catalog = g_strdup_printf (
    /* Translators: "Catalog: 3.2 MB for 1617 photos" */
    g_dngettext (GETTEXT_PACKAGE, "Catalog: %s for %u photo", "Catalog: %s for %u photos",
                 (gulong) c->n_items),
    size, (guint) c->n_items);
  g_autofree char *timing = NULL;

  gtk_widget_set_size_request (box, 300, -1);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);
  /* what it costs, above what it finds, so that both are in view */
  gtk_box_append (GTK_BOX (box), caption_label (shape));
  gtk_box_append (GTK_BOX (box), caption_label (catalog));
  if (c->results)
    {
      GtkWidget *list = gtk_list_box_new ();
      guint n = g_list_model_get_n_items (c->results);
      if (c->embed_ms > 0)
        timing = g_strdup_printf (
          /* Translators: "Search: 0.21 ms (and 38 ms to make the photo's vector)" */
          _ ("Search: %.2f ms (and %.0f ms to make the photo’s vector)"), c->search_ms,
          c->embed_ms);
      else
        timing =
          g_strdup_printf (_ ("Search: %.2f ms (with the photo’s stored vector)"), c->search_ms);
      gtk_box_append (GTK_BOX (box), caption_label (timing));
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (list, "boxed-list");
      gtk_widget_set_margin_top (list, 6);
      for (guint r = 0; r < n; r++)
        {
          g_autoptr (LkResult) result = g_list_model_get_item (c->results, r);
          gtk_list_box_append (GTK_LIST_BOX (list), result_row (self, i, result));
        }
      gtk_box_append (GTK_BOX (box), list);
    }
  else
    {
      GtkWidget *status = gtk_label_new (c->error);
      gtk_label_set_wrap (GTK_LABEL (status), TRUE);
      gtk_label_set_xalign (GTK_LABEL (status), 0);
      gtk_widget_add_css_class (status, "error");
      gtk_box_append (GTK_BOX (box), status);
    }
  return box;
}

static void
show_columns (LkCompareWindow *self)
{
  GtkWidget *child;
  g_autoptr (GString) overlap = g_string_new (NULL);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_box))))
    gtk_box_remove (self->columns_box, child);
  for (guint i = 0; i < self->columns->len; i++)
    gtk_box_append (self->columns_box, column_widget (self, i));
  for (guint a = 0; a < self->columns->len; a++)
    for (guint b = a + 1; b < self->columns->len; b++)
      {
        int shared = lk_compare_window_get_overlap (self, a, b);
        const LkComparison *ca = g_ptr_array_index (self->columns, a);
        const LkComparison *cb = g_ptr_array_index (self->columns, b);
        if (shared < 0)
          continue;
        if (overlap->len)
          g_string_append (overlap, " · ");
        g_string_append_printf (overlap,
                                /* Translators: "CNN Features and Compressed Embeddings share 9" */
                                _ ("%s and %s share %d"), backend_label (ca->backend),
                                backend_label (cb->backend), shared);
      }
  if (self->columns->len < 2)
    gtk_label_set_label (self->overlap_label,
                         _ ("Build another backend for this catalog to compare it with this one"));
  else
    {
      g_autofree char *text =
        /* Translators: "Of the top 10: CNN Features and Conv Autoencoder share 3 · …" */
        g_strdup_printf (_ ("Of the top %u: %s"), self->k, overlap->str);
      gtk_label_set_label (self->overlap_label, text);
    }
  gtk_stack_set_visible_child_name (self->stack, "columns");
}

static void
compare_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (LkCompareWindow) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) columns = lk_session_compare_finish (LK_SESSION (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self), TRUE);
  if (!columns)
    {
      adw_status_page_set_description (self->failed_page, error->message);
      gtk_stack_set_visible_child_name (self->stack, "failed");
      return;
    }
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  self->columns = g_steal_pointer (&columns);
  show_columns (self);
}

static void
refresh_cb (LkCompareWindow *self)
{
  LkBands bands = lk_bands_default ();

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (!self->columns)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  lk_session_compare_async (self->session, self->query, self->k, &bands, self->cancellable,
                            compare_cb, g_object_ref (self));
}

static void
query_thumb_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (LkCompareWindow) self = data;
  g_autoptr (GdkTexture) texture =
    lk_thumbnailer_load_finish (LK_THUMBNAILER (source), result, NULL);

  if (texture)
    gtk_picture_set_paintable (self->query_picture, GDK_PAINTABLE (texture));
}

static void
lk_compare_window_dispose (GObject *object)
{
  LkCompareWindow *self = LK_COMPARE_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->thumbs)
    g_cancellable_cancel (self->thumbs);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->thumbs);
  g_clear_object (&self->session);
  g_clear_object (&self->thumbnailer);
  g_clear_pointer (&self->query, lk_query_unref);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  G_OBJECT_CLASS (lk_compare_window_parent_class)->dispose (object);
}

static void
lk_compare_window_class_init (LkCompareWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = lk_compare_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/lookalike/Lookalike/ui/"
                                                             "lk-compare-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, query_picture);
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, query_label);
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, overlap_label);
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, columns_box);
  gtk_widget_class_bind_template_child (widget_class, LkCompareWindow, failed_page);
  gtk_widget_class_bind_template_callback (widget_class, refresh_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
lk_compare_window_init (LkCompareWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

LkCompareWindow *
lk_compare_window_new (GtkWindow *parent, LkSession *session, LkQuery *query, guint k,
                       LkThumbnailer *thumbnailer)
{
  LkCompareWindow *self = g_object_new (LK_TYPE_COMPARE_WINDOW, "transient-for", parent, NULL);

  self->session = g_object_ref (session);
  self->query = lk_query_ref (query);
  self->thumbnailer = g_object_ref (thumbnailer);
  self->k = MAX (k, 1);
  gtk_label_set_label (self->query_label, lk_query_get_name (query));
  self->thumbs = g_cancellable_new ();
  if (lk_query_get_texture (query))
    gtk_picture_set_paintable (self->query_picture, GDK_PAINTABLE (lk_query_get_texture (query)));
  else if (lk_query_get_bytes (query))
    lk_thumbnailer_load_bytes_async (thumbnailer, lk_query_get_bytes (query),
                                     lk_query_get_name (query), self->thumbs, query_thumb_cb,
                                     g_object_ref (self));
  else if (lk_query_get_path (query))
    lk_thumbnailer_load_async (thumbnailer, lk_query_get_path (query), self->thumbs, query_thumb_cb,
                               g_object_ref (self));
  refresh_cb (self);
  return self;
}
