/* lk-result-tile.c: one result in the grid: thumbnail, name and similarity badge.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The badge says the percentage in words and shows the band in colour (CSS classes green, yellow,
 * red from style.css), so colour is never the only signal. A secondary click or a long press opens
 * the result's menu: the window's actions with the file's path as their target.
 */
#include "config.h"

#include "lk-result-tile.h"

#include <glib/gi18n.h>

struct _LkResultTile
{
  GtkWidget parent_instance;

  /* template */
  GtkWidget *picture;
  GtkWidget *badge;
  GtkWidget *name;
  GtkWidget *menu;

  /* owned */
  LkResult *result;
  LkThumbnailer *thumbnailer;
  GCancellable *loading;
  const char *band;      /* the badge's colour class, NULL when none */
  char *thumbnail_error; /* why there is no thumbnail, for the tooltip */
};

G_DEFINE_FINAL_TYPE (LkResultTile, lk_result_tile, GTK_TYPE_WIDGET)

static const char *const bands[] = { "green", "yellow", "red" };

static void
thumbnail_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LkResultTile) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
    lk_thumbnailer_load_finish (LK_THUMBNAILER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->loading);
  if (texture)
    gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (texture));
  else
    {
      g_free (self->thumbnail_error);
      self->thumbnail_error = g_strdup (error->message);
    }
}

static void
build_menu (LkResultTile *self)
{
  g_autoptr (GMenu) menu = g_menu_new ();
  GVariant *target = g_variant_new_string (lk_result_get_path (self->result));
  static const struct
  {
    const char *label, *action;
  } items[] = {
    { N_ ("_Open"), "win.open-result" },
    { N_ ("Show in _Files"), "win.show-in-files" },
    { N_ ("_Copy Path"), "win.copy-path" },
    { N_ ("_Search Similar"), "win.search-similar" },
  };

  g_variant_ref_sink (target);
  for (gsize i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (_ (items[i].label), NULL);
      g_menu_item_set_action_and_target_value (item, items[i].action, target);
      g_menu_append_item (menu, item);
    }
  g_variant_unref (target);
  gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (self->menu), G_MENU_MODEL (menu));
}

static void
show_menu (LkResultTile *self, double x, double y)
{
  if (!self->result)
    return;
  build_menu (self);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle){ (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
secondary_click_cb (GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
  show_menu (LK_RESULT_TILE (data), x, y);
}

static void
long_press_cb (GtkGestureLongPress *gesture, double x, double y, gpointer data)
{
  show_menu (LK_RESULT_TILE (data), x, y);
}

static void
menu_action_cb (GtkWidget *widget, const char *action, GVariant *parameter)
{
  LkResultTile *self = LK_RESULT_TILE (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  show_menu (self, w / 2.0, h / 2.0);
}

void
lk_result_tile_set_result (LkResultTile *self, LkResult *result)
{
  if (self->loading)
    {
      g_cancellable_cancel (self->loading);
      g_clear_object (&self->loading);
    }
  g_set_object (&self->result, result);
  g_clear_pointer (&self->thumbnail_error, g_free);
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), NULL);
  /* A tile is rebound for every row scrolled into view: only what changes is touched (a CSS
   * class added or removed restyles the widget), and the tooltip is made when it is asked for
   * (setting one queries the pointer, a round trip to the display server on X11). */
  const char *band = NULL; /* one of bands[], which outlive any result */
  for (gsize i = 0; result && i < G_N_ELEMENTS (bands); i++)
    if (g_str_equal (bands[i], lk_result_get_band (result)))
      band = bands[i];
  if (g_strcmp0 (band, self->band) != 0)
    {
      if (self->band)
        gtk_widget_remove_css_class (self->badge, self->band);
      if (band)
        gtk_widget_add_css_class (self->badge, band);
      self->band = band;
    }
  if (result && lk_result_get_missing (result))
    gtk_widget_add_css_class (self->name, "missing");
  else
    gtk_widget_remove_css_class (self->name, "missing");
  if (!result)
    return;

  g_autofree char *badge = lk_result_dup_badge_text (result);
  g_autofree char *spoken = NULL;
  gtk_label_set_text (GTK_LABEL (self->badge), badge);
  gtk_label_set_text (GTK_LABEL (self->name), lk_result_get_name (result));
  /* Translators: what a screen reader says for a result: "sneaker.jpg, 87% similar" */
  spoken = g_strdup_printf (_ ("%s, %d%% similar"), lk_result_get_name (result),
                            lk_result_get_percent (result));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);

  GdkTexture *cached = lk_thumbnailer_lookup (self->thumbnailer, lk_result_get_path (result));
  if (cached)
    gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (cached));
  else
    {
      self->loading = g_cancellable_new ();
      lk_thumbnailer_load_async (self->thumbnailer, lk_result_get_path (result), self->loading,
                                 thumbnail_cb, g_object_ref (self));
    }
}

static gboolean
lk_result_tile_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard,
                              GtkTooltip *tooltip)
{
  LkResultTile *self = LK_RESULT_TILE (widget);
  g_autofree char *shown = NULL;
  g_autofree char *text = NULL;

  if (!self->result)
    return FALSE;
  shown = g_filename_display_name (lk_result_get_path (self->result));
  if (lk_result_get_missing (self->result))
    text = g_strdup_printf (_ ("%s\nDeleted or changed since it was indexed"), shown);
  else if (self->thumbnail_error)
    text = g_strdup_printf ("%s\n%s", shown, self->thumbnail_error);
  gtk_tooltip_set_text (tooltip, text ? text : shown);
  return TRUE;
}

LkResult *
lk_result_tile_get_result (LkResultTile *self)
{
  return self->result;
}

GtkWidget *
lk_result_tile_get_badge (LkResultTile *self)
{
  return self->badge;
}

static void
lk_result_tile_dispose (GObject *object)
{
  LkResultTile *self = LK_RESULT_TILE (object);

  GtkWidget *child;

  lk_result_tile_set_result (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_RESULT_TILE);
  /* the template's unnamed children too */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_object (&self->thumbnailer);
  G_OBJECT_CLASS (lk_result_tile_parent_class)->dispose (object);
}

static void
lk_result_tile_class_init (LkResultTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_result_tile_dispose;
  widget_class->query_tooltip = lk_result_tile_query_tooltip;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/lookalike/Lookalike/ui/lk-result-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, LkResultTile, picture);
  gtk_widget_class_bind_template_child (widget_class, LkResultTile, badge);
  gtk_widget_class_bind_template_child (widget_class, LkResultTile, name);
  gtk_widget_class_bind_template_child (widget_class, LkResultTile, menu);
  gtk_widget_class_bind_template_callback (widget_class, secondary_click_cb);
  gtk_widget_class_bind_template_callback (widget_class, long_press_cb);
  gtk_widget_class_install_action (widget_class, "tile.menu", NULL, menu_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "tile.menu",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "tile.menu", NULL);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "lk-result-tile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
lk_result_tile_init (LkResultTile *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
}

GtkWidget *
lk_result_tile_new (LkThumbnailer *thumbnailer)
{
  LkResultTile *self = g_object_new (LK_TYPE_RESULT_TILE, NULL);

  self->thumbnailer = g_object_ref (thumbnailer);
  return GTK_WIDGET (self);
}
