/* main.c: the lookalike program.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lk-application.h"
#include "lookalike.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  g_autoptr (LkApplication) app = NULL;

  lk_runtime_ensure_blas_kernels (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = lk_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
