/* lk-cli-common.c: output helpers shared by the subcommands.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lk-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>

int
lk_cli_fail (const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "lookalike-cli: %s\n", message);
  return LK_CLI_FAILED;
}

void
lk_cli_json_string (GString *out, const char *s)
{
  g_autofree char *valid = g_utf8_validate (s, -1, NULL) ? NULL : g_filename_display_name (s);

  if (valid)
    s = valid;
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
}

void
lk_cli_json_path (GString *out, const char *key, const char *path)
{
  g_string_append_printf (out, "\"%s\": ", key);
  lk_cli_json_string (out, path);
  if (!g_utf8_validate (path, -1, NULL))
    {
      /* the display form has U+FFFD for what is not UTF-8: give the name as it really is */
      g_autofree char *raw = g_base64_encode ((const guchar *) path, strlen (path));
      g_string_append_printf (out, ", \"%s_bytes\": \"%s\"", key, raw);
    }
}

void
lk_cli_json_float (GString *out, float value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null"); /* JSON has no NaN or infinity */
      return;
    }
  /* nine significant digits round-trip any float32; g_ascii_formatd ignores the locale */
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", value));
}

char *
lk_cli_resolve_weights (const char *given, GError **error)
{
  char *found;

  if (given)
    return g_strdup (given);
  if ((found = lk_model_find_default_weights ()))
    return found;
  g_set_error_literal (
    error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
    _ ("no network weights: pass --weights FILE.safetensors, or run "
       "models/download-weights.sh to install ResNet-50 (see models/README.md); or use "
       "--backend conv-ae, which trains on the catalog and needs none"));
  return NULL;
}

LkBackend
lk_cli_default_backend (LkCatalog *catalog, const char *weights)
{
  g_autoptr (LkModelIdentity) cnn = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *installed = NULL;

  if (weights)
    return LK_BACKEND_CNN;
  /* a CNN row that cannot be read counts too: loading it says what is wrong with it */
  if (catalog && ((cnn = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, &local)) || local))
    return LK_BACKEND_CNN;
  if ((installed = lk_model_find_default_weights ()))
    return LK_BACKEND_CNN;
  return LK_BACKEND_CONV_AE;
}

gboolean
lk_cli_parse_backend (const char *command, const char *name, LkBackend *backend)
{
  if (!name)
    {
      *backend = LK_CLI_BACKEND_DEFAULT;
      return TRUE;
    }
  if (lk_backend_from_string (name, backend))
    return TRUE;
  lk_cli_fail (_ ("%s: unknown backend “%s”: use one of %s"), command, name,
               lk_backend_list_names ());
  return FALSE;
}

static char *
remembered_path_file (void)
{
  return g_build_filename (g_get_user_data_dir (), "lookalike", "last-catalog", NULL);
}

char *
lk_cli_catalog_path (const char *given, GError **error)
{
  g_autofree char *file = remembered_path_file ();
  char *path = NULL;

  if (given)
    return g_strdup (given);
  if (g_file_get_contents (file, &path, NULL, NULL))
    {
      g_strchomp (path);
      if (*path)
        return path;
      g_free (path);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _ ("no catalog: pass --index FILE, or index a folder first "
                          "(lookalike-cli index FOLDER)"));
  return NULL;
}

LkSearchIndex *
lk_cli_load_index (const char *given, LkBackend *backend, const char *weights, char **path_out,
                   GError **error)
{
  g_autofree char *path = lk_cli_catalog_path (given, error);
  g_autoptr (LkCatalog) catalog = NULL;
  LkSearchIndex *index;

  if (!path || !(catalog = lk_catalog_open_read_only (path, error)))
    return NULL;
  if (*backend == LK_CLI_BACKEND_DEFAULT)
    *backend = lk_cli_default_backend (catalog, weights);
  if (!(index = lk_catalog_load (catalog, *backend, error)))
    return NULL;
  if (path_out)
    *path_out = g_steal_pointer (&path);
  return index;
}

void
lk_cli_remember_catalog (const char *path)
{
  g_autofree char *file = remembered_path_file ();
  g_autofree char *dir = g_path_get_dirname (file);
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *content = g_strconcat (absolute, "\n", NULL);

  /* a convenience: failing to remember is not worth failing the command */
  if (g_mkdir_with_parents (dir, 0755) == 0)
    g_file_set_contents (file, content, -1, NULL);
}

void
lk_cli_format_duration (char *buf, gsize size, double seconds)
{
  if (seconds < 0)
    g_strlcpy (buf, "?", size);
  else if (seconds < 90)
    g_snprintf (buf, size, "%.0f s", seconds);
  else if (seconds < 5400)
    g_snprintf (buf, size, "%.0f min", seconds / 60);
  else
    g_snprintf (buf, size, "%.1f h", seconds / 3600);
}

/* Ctrl+C and SIGTERM cancel the run. Threads started before main () (OpenBLAS makes its own)
 * may receive the signal, so it is caught by a handler that only writes to a pipe; a thread
 * waiting on the pipe does the cancelling. A second Ctrl+C, once cancelling, ends at once. */
static int signal_pipe[2] = { -1, -1 };

static void
on_signal (int sig)
{
  char c = (char) sig;
  ssize_t ignored = write (signal_pipe[1], &c, 1);
  (void) ignored;
}

static gpointer
signal_thread (gpointer data)
{
  GCancellable *cancellable = data;
  char c;

  while (read (signal_pipe[0], &c, 1) < 0 && errno == EINTR)
    ;
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  g_cancellable_cancel (cancellable);
  return NULL;
}

void
lk_cli_catch_signals (GCancellable *cancellable)
{
  struct sigaction action = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

  if (!g_unix_open_pipe (signal_pipe, FD_CLOEXEC, NULL))
    return; /* without the pipe, Ctrl+C keeps its default: committed batches stay anyway */
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  g_thread_unref (g_thread_new ("lk-signals", signal_thread, cancellable));
}

gboolean
lk_cli_lock_catalog (LkCatalog *catalog, LkCliProgress *progress, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;

  if (lk_catalog_lock_for_writing (catalog, lk_cli_index_progress, progress, cancellable, &error))
    return TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    lk_cli_fail (_ ("interrupted while waiting: nothing was changed"));
  else
    lk_cli_fail ("%s", error->message);
  return FALSE;
}
