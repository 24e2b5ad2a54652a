/* lookalike-cli.c: the engine without a window.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli COMMAND [OPTION…] — the subcommands and their output are a contract that the
 * window and outside scripts rely on; see README.md.
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

static const struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} commands[] = {
  { "index", lk_cli_index, N_ ("Index a product folder into a catalog") },
  { "search", lk_cli_search, N_ ("Rank a catalog by similarity to an image") },
  { "train", lk_cli_train, N_ ("Train the autoencoder on a catalog’s photos, and embed them") },
  { "eval", lk_cli_eval, N_ ("Measure retrieval quality on a catalog labelled by folder") },
  { "embed", lk_cli_embed, N_ ("Print the feature vector of each image as a JSON line") },
};

static void
usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n", _ ("Usage: lookalike-cli COMMAND [OPTION…]"), _ ("Commands:"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _ (commands[i].summary));
  fprintf (out, "\n%s\n", _ ("Run “lookalike-cli COMMAND --help” for a command’s options."));
}

int
main (int argc, char **argv)
{
  lk_runtime_ensure_blas_kernels (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("lookalike-cli");

  if (argc < 2)
    {
      lk_cli_fail (_ ("no command given"));
      usage (stderr);
      return LK_CLI_USAGE;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || g_str_equal (argv[1], "help"))
    {
      usage (stdout);
      return LK_CLI_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("lookalike-cli %s (OpenBLAS %s kernels)\n", PACKAGE_VERSION,
              lk_runtime_get_blas_core ());
      return LK_CLI_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        /* the subcommand parses its own options; its name leads their usage line */
        g_autofree char *name = g_strdup_printf ("lookalike-cli %s", commands[i].name);
        g_set_prgname (name);
        argv[1] = name;
        return commands[i].run (argc - 1, argv + 1);
      }

  lk_cli_fail (_ ("unknown command “%s”"), argv[1]);
  usage (stderr);
  return LK_CLI_USAGE;
}
