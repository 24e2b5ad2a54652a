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

/* --backend not given: lk_cli_default_backend () decides once the catalog is open. */
#define LK_CLI_BACKEND_DEFAULT ((LkBackend) -1)

/* Parses --backend; NULL @name gives LK_CLI_BACKEND_DEFAULT. FALSE with a message on stderr when
 * unknown. */
gboolean lk_cli_parse_backend (const char *command, const char *name, LkBackend *backend);

/* The catalog for search and eval: @given, else the one `lookalike-cli index` last wrote.
 * NULL with an error saying what to do when there is none. */
char *lk_cli_catalog_path (const char *given, GError **error);
/* Resolves the catalog as lk_cli_catalog_path does, opens it and loads @backend's vectors
 * (@backend LK_CLI_BACKEND_DEFAULT: lk_cli_default_backend (), written back).
 * @path: (out) (optional) the catalog file. */
LkSearchIndex *lk_cli_load_index (const char *given, LkBackend *backend, const char *weights,
                                  char **path, GError **error);
/* Remembers @path as the catalog that search and eval use by default. */
void lk_cli_remember_catalog (const char *path);

/* "45 s", "12 min", "1.5 h"; "?" for a negative (unknown) time. */
void lk_cli_format_duration (char *buf, gsize size, double seconds);

/* Ctrl+C and SIGTERM cancel @cancellable (a second one ends the process). */
void lk_cli_catch_signals (GCancellable *cancellable);

/* Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise. */
typedef struct
{
  gboolean tty;
  gint64 last_line; /* µs, plain-line mode */
  gboolean drew;    /* a bar is on the line: end it before printing anything else */
} LkCliProgress;

void lk_cli_index_progress (const LkIndexProgress *p, gpointer user_data);

/* Takes @catalog's writer lock (saying so while another process holds it); FALSE with the reason
 * on stderr when it cannot, or when Ctrl+C came first. */
gboolean
lk_cli_lock_catalog (LkCatalog *catalog, LkCliProgress *progress, GCancellable *cancellable);
void lk_cli_train_progress (const LkTrainProgress *p, gpointer user_data);

/* The backend when --backend is not given: CNN features when @weights names some, when @catalog
 * (nullable) has CNN vectors or when weights are installed; elsewhere the autoencoder, which
 * needs none. */
LkBackend lk_cli_default_backend (LkCatalog *catalog, const char *weights);

/* The conv-ae embedder of @catalog: its model file (@model, else the one beside the catalog), or,
 * when there is none yet, a model trained with the defaults (and @size when not 0) first.
 * @trained: (out) (optional) whether one was trained. */
LkEmbedder *lk_cli_conv_ae_embedder (LkCatalog *catalog, const char *model, int size, int threads,
                                     LkCliProgress *progress, GCancellable *cancellable,
                                     gboolean *trained, GError **error);

int lk_cli_train (int argc, char **argv);

G_END_DECLS
