/* lk-preferences-window.c: the application's preferences, bound to GSettings.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "lk-preferences"

#include "config.h"

#include "lk-preferences-window.h"

#include "lookalike.h"

#include <glib/gi18n.h>

struct _LkPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* template */
  GtkSpinButton *results_spin;
  GtkSpinButton *green_spin;
  GtkSpinButton *yellow_spin;
  AdwActionRow *weights_row;

  /* owned */
  GSettings *settings;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (LkPreferencesWindow, lk_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
show_weights (LkPreferencesWindow *self)
{
  g_autofree char *weights = g_settings_get_string (self->settings, "weights");
  g_autofree char *found = NULL;
  g_autofree char *shown = NULL;

  if (!*weights)
    {
      found = lk_model_find_default_weights ();
      shown = found ? g_strdup_printf (_ ("The installed ones: %s"), found)
                    : g_strdup (_ ("None installed: run models/download-weights.sh, or choose a "
                                   "file"));
    }
  else
    shown = g_filename_display_name (weights);
  adw_action_row_set_subtitle (self->weights_row, shown);
}

static void
chooser_response_cb (GtkNativeDialog *dialog, int response, gpointer data)
{
  LkPreferencesWindow *self = LK_PREFERENCES_WINDOW (data);
  g_autoptr (GFile) file =
    response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)) : NULL;
  g_autofree char *path = file ? g_file_get_path (file) : NULL;
  g_autoptr (GError) error = NULL;

  g_clear_object (&self->chooser);
  if (!path)
    return;
  /* check it now rather than when the next catalog fails to open */
  g_autoptr (LkModel) model = lk_model_new_from_file (path, &error);
  if (!model)
    {
      AdwToast *toast = adw_toast_new (error->message);
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
      return;
    }
  g_settings_set_string (self->settings, "weights", path);
  show_weights (self);
}

static void
choose_weights_cb (LkPreferencesWindow *self)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  self->chooser = gtk_file_chooser_native_new (_ ("Choose Network Weights"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Choose"), NULL);
  gtk_file_filter_set_name (filter, _ ("Weights (.safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
default_weights_cb (LkPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "weights", "");
  show_weights (self);
}

static void
lk_preferences_window_dispose (GObject *object)
{
  LkPreferencesWindow *self = LK_PREFERENCES_WINDOW (object);

  g_clear_object (&self->chooser);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (lk_preferences_window_parent_class)->dispose (object);
}

static void
lk_preferences_window_class_init (LkPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = lk_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/lookalike/Lookalike/ui/lk-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, results_spin);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, green_spin);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, yellow_spin);
  gtk_widget_class_bind_template_child (widget_class, LkPreferencesWindow, weights_row);
  gtk_widget_class_bind_template_callback (widget_class, choose_weights_cb);
  gtk_widget_class_bind_template_callback (widget_class, default_weights_cb);
}

static void
lk_preferences_window_init (LkPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APPLICATION_ID);
  g_settings_bind (self->settings, "results", self->results_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "green-from", self->green_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "yellow-from", self->yellow_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  show_weights (self);
}

GtkWidget *
lk_preferences_window_new (GtkWindow *parent)
{
  return g_object_new (LK_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}
