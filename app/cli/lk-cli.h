/* lk-cli.h: what the lookalike-cli subcommands share.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lookalike.h"

G_BEGIN_DECLS

/* Exit statuses */
enum
{
  LK_CLI_OK = 0,
  LK_CLI_FAILED = 1, /* bad input, or some items failed */
  LK_CLI_USAGE = 2,  /* the command line itself is wrong */
};

int lk_cli_embed (int argc, char **argv);
int lk_cli_index (int argc, char **argv);
int lk_cli_search (int argc, char **argv);
int lk_cli_eval (int argc, char **argv);

/* Prints "lookalike-cli: MESSAGE" on stderr; returns LK_CLI_FAILED. */
int lk_cli_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Appends @s as a JSON string literal, quotes included. Invalid UTF-8 (a file name in another
 * encoding) is shown the way GLib displays file names. */
void lk_cli_json_string (GString *out, const char *s);

/* Appends "KEY": PATH as a JSON member. A name that is not UTF-8 (a Latin-1 file name) is shown
 * with U+FFFD for what is not, so a second member "KEY_bytes" gives its real bytes in base64. */
void lk_cli_json_path (GString *out, const char *key, const char *path);

/* Appends a float so that it reads back as the same float32. */
void lk_cli_json_float (GString *out, float value);

/* @given, or the default weights (lk_model_find_default_weights); NULL with an error that says how
 * to get weights when there are none. */
char *lk_cli_resolve_weights (const char *given, GError **error);

/* Parses --backend; NULL @name means "cnn". FALSE with a message on stderr when unknown. */
gboolean lk_cli_parse_backend (const char *command, const char *name, LkBackend *backend);

/* The catalog for search and eval: @given, else the one `lookalike-cli index` last wrote.
 * NULL with an error saying what to do when there is none. */
char *lk_cli_catalog_path (const char *given, GError **error);
/* Resolves the catalog as lk_cli_catalog_path does, opens it and loads @backend's vectors.
 * @path: (out) (optional) the catalog file. */
LkSearchIndex *
lk_cli_load_index (const char *given, LkBackend backend, char **path, GError **error);
/* Remembers @path as the catalog that search and eval use by default. */
void lk_cli_remember_catalog (const char *path);

G_END_DECLS
