/* lk-application.c: the application: command line, app actions, the window.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike [--backend NAME] [--weights FILE] [CATALOG_DIR [QUERY_IMAGE]]
 * opens the catalog (indexing it if needed) and searches with the image: for scripts and
 * screenshots. Without arguments the most recent catalog opens again.
 */
#define G_LOG_DOMAIN "lk-application"

#include "config.h"

#include "lk-application.h"

#include "lk-preferences-window.h"
#include "lk-window.h"
#include "lookalike.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <string.h>

struct _LkApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (LkApplication, lk_application, ADW_TYPE_APPLICATION)

/* Where OpenGL is drawn on the CPU (Mesa's llvmpipe or softpipe: a virtual machine, a remote
 * desktop, a machine without a GPU driver), asks GTK for its cairo renderer instead, which redraws
 * only what changed: three times the frame rate when scrolling results, a third of the longest
 * stall while indexing (tests/bench/bench-app.sh). GSK_RENDERER, when set, decides. */
static void
choose_renderer (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr (GdkGLContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *renderer;
  gboolean software;

  if (!display || g_getenv ("GSK_RENDERER"))
    return;
  context = gdk_display_create_gl_context (display, &error);
  if (!context || !gdk_gl_context_realize (context, &error))
    {
      g_debug ("no OpenGL (%s): GTK chooses", error->message);
      return;
    }
  gdk_gl_context_make_current (context);
  renderer = (const char *) glGetString (GL_RENDERER);
  software = renderer && (strstr (renderer, "llvmpipe") || strstr (renderer, "softpipe"));
  g_debug ("OpenGL renderer: %s", renderer ? renderer : "unknown");
  gdk_gl_context_clear_current ();
  /* GTK reads the variable when it makes the first window's renderer, which is yet to come */
  if (software)
    g_setenv ("GSK_RENDERER", "cairo", TRUE);
}

static LkWindow *
get_window (LkApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!window)
    window = GTK_WINDOW (lk_window_new (GTK_APPLICATION (self)));
  return LK_WINDOW (window);
}

static void
lk_application_activate (GApplication *app)
{
  LkWindow *window = get_window (LK_APPLICATION (app));
  LkSession *session = lk_window_get_session (window);

  if (lk_session_get_state (session) == LK_SESSION_EMPTY)
    {
      g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
      g_auto (GStrv) recent = g_settings_get_strv (settings, "recent-catalogs");
      if (recent[0] && g_file_test (recent[0], G_FILE_TEST_IS_DIR))
        lk_window_open_folder (window, recent[0]);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static int
lk_application_command_line (GApplication *app, GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_auto (GStrv) args = NULL;
  const char *backend_name = NULL, *weights = NULL;
  LkBackend backend = LK_BACKEND_CNN;
  LkWindow *window;

  g_variant_dict_lookup (options, "backend", "&s", &backend_name);
  g_variant_dict_lookup (options, "weights", "^&ay", &weights);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^aay", &args);
  if (backend_name && !lk_backend_from_string (backend_name, &backend))
    {
      g_application_command_line_printerr (command_line,
                                           _ ("lookalike: unknown backend “%s”: use one of %s\n"),
                                           backend_name, lk_backend_list_names ());
      return 2;
    }
  if (args && args[0] && args[1] && args[2])
    {
      g_application_command_line_printerr (
        command_line, _ ("lookalike: usage: lookalike [OPTION…] [CATALOG_DIR [QUERY_IMAGE]]\n"));
      return 2;
    }

  window = get_window (LK_APPLICATION (app));
  if (weights)
    {
      g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
      g_autoptr (GFile) file =
        g_application_command_line_create_file_for_arg (command_line, weights);
      g_autofree char *path = g_file_get_path (file);
      g_settings_set_string (settings, "weights", path);
    }
  if (backend_name)
    lk_window_set_backend (window, backend);
  if (args && args[0])
    {
      g_autoptr (GFile) folder =
        g_application_command_line_create_file_for_arg (command_line, args[0]);
      g_autofree char *path = g_file_get_path (folder);
      lk_window_open_folder (window, path);
      if (args[1])
        {
          g_autoptr (GFile) image =
            g_application_command_line_create_file_for_arg (command_line, args[1]);
          g_autofree char *image_path = g_file_get_path (image);
          lk_window_search_path (window, image_path);
        }
      gtk_window_present (GTK_WINDOW (window));
    }
  else
    lk_application_activate (app);
  return 0;
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  static const char *developers[] = { "The Lookalike authors", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  g_autofree char *debug = g_strdup_printf ("OpenBLAS kernels: %s\nCores: %d\n",
                                            lk_runtime_get_blas_core (), lk_runtime_get_n_cores ());

  adw_show_about_window (parent, "application-name", _ ("Lookalike"), "application-icon",
                         APPLICATION_ID, "developer-name", _ ("The Lookalike authors"), "version",
                         PACKAGE_VERSION, "website", "https://github.com/lookalike/lookalike",
                         "issue-url", "https://github.com/lookalike/lookalike/issues",
                         "license-type", GTK_LICENSE_GPL_3_0, "developers", developers, "comments",
                         _ ("Find visually similar products in your catalog: drop a photo, see "
                            "the products most like it, ranked and colour-coded."),
                         "debug-info", debug, "translator-credits", _ ("translator-credits"), NULL);
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  GtkWidget *preferences = lk_preferences_window_new (parent);

  gtk_window_present (GTK_WINDOW (preferences));
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (data));

  /* close_request cancels each window's work; quitting follows when the last one is gone */
  for (GList *l = g_list_copy (windows), *w = l; w; w = w->next)
    {
      gtk_window_close (GTK_WINDOW (w->data));
      if (!w->next)
        g_list_free (l);
    }
}

static void
lk_application_startup (GApplication *app)
{
  static const GActionEntry actions[] = {
    { "about", about_action },
    { "preferences", preferences_action },
    { "quit", quit_action },
  };
  static const struct
  {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (lk_application_parent_class)->startup (app);
  choose_renderer ();
  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
}

static void
lk_application_class_init (LkApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = lk_application_activate;
  app_class->command_line = lk_application_command_line;
  app_class->startup = lk_application_startup;
}

static void
lk_application_init (LkApplication *self)
{
  /* "How similarity is measured: cnn, conv-ae, compressed", kept for the options' lifetime */
  static char *backend_help;
  if (!backend_help)
    backend_help =
      g_strdup_printf ("%s: %s", _ ("How similarity is measured"), lk_backend_list_names ());
  GOptionEntry options[] = {
    { "backend", 'b', 0, G_OPTION_ARG_STRING, NULL, backend_help, N_ ("NAME") },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, NULL, N_ ("Network weights (.safetensors)"),
      N_ ("FILE") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL,
      N_ ("[CATALOG_DIR [QUERY_IMAGE]]") },
    { NULL },
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _ ("Opens the product folder CATALOG_DIR (indexing "
                                               "it if needed) and searches it with QUERY_IMAGE."));
}

LkApplication *
lk_application_new (void)
{
  return g_object_new (LK_TYPE_APPLICATION, "application-id", APPLICATION_ID, "flags",
                       G_APPLICATION_HANDLES_COMMAND_LINE, "resource-base-path",
                       "/io/github/lookalike/Lookalike", NULL);
}
