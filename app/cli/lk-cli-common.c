/* lk-cli-common.c: output helpers shared by the subcommands.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
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
       "models/download-weights.sh to install ResNet-50 (see models/README.md)"));
  return NULL;
}
