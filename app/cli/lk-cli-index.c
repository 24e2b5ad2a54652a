/* lk-cli-index.c: `lookalike-cli index`, bringing a catalog up to date with its folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli index [--index DB] [--backend cnn|conv-ae|compressed] [--weights FILE] [--threads N]
 *                     [--json] DIR
 *
 * With --backend conv-ae on a catalog that has no autoencoder yet, one is trained first with the
 * defaults (lookalike-cli train), then the catalog is embedded with it. With --backend compressed,
 * the CNN features are brought up to date first (--weights as for cnn), a compressor is fitted on
 * them with the defaults when the catalog has none (lookalike-cli train --backend compressed), and
 * the codes are made of them.
 *
 * Progress goes to stderr: a bar on a terminal, a plain line every few seconds otherwise. The
 * summary goes to stdout ("added 1,540, updated 3, removed 2, failed 2: a.jpg (truncated JPEG)"),
 * or with --json one object. Ctrl+C stops after the batch in flight, keeping everything done.
 * Images that cannot be read are reported, not fatal: the exit status is 0 when the catalog is up
 * to date, 1 when the run could not finish.
 */
#include "config.h"

#include "lk-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

void
lk_cli_index_progress (const LkIndexProgress *p, gpointer user_data)
{
  LkCliProgress *state = user_data;
  double fraction = p->total ? (double) p->done / p->total : 1.0;
  char eta[32];

  if (p->phase == LK_INDEX_WAITING)
    {
      fprintf (stderr, _ ("waiting for another process that is indexing this catalog…\n"));
      fflush (stderr);
      return;
    }
  lk_cli_format_duration (eta, sizeof eta, p->eta_seconds);
  if (state->tty)
    {
      enum
      {
        WIDTH = 30
      };
      char bar[WIDTH + 1];
      int fill = (int) (fraction * WIDTH);
      for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
      bar[WIDTH] = '\0';
      fputc ('\r', stderr);
      fprintf (stderr, _ ("[%s] %" PRIu64 "/%" PRIu64 " %3.0f%%  %.0f images/s  %s left  "), bar,
               p->done, p->total, 100 * fraction, p->images_per_second, eta);
      state->drew = TRUE;
    }
  else
    {
      gint64 now = g_get_monotonic_time ();
      if (p->done == 0 || (p->done != p->total && now - state->last_line < 2 * G_USEC_PER_SEC))
        return;
      state->last_line = now;
      fprintf (stderr,
               _ ("indexed %" PRIu64 " of %" PRIu64 " (%.0f%%), %.0f images/s, "
                  "%s left\n"),
               p->done, p->total, 100 * fraction, p->images_per_second, eta);
    }
  fflush (stderr);
}

static void
print_json (LkCatalog *catalog, LkEmbedder *embedder, const LkIndexSummary *summary)
{
  g_autoptr (GString) out = g_string_new ("{");

  lk_cli_json_path (out, "catalog", lk_catalog_get_path (catalog));
  g_string_append (out, ", ");
  lk_cli_json_path (out, "root", lk_catalog_get_root (catalog));
  g_string_append (out, ", \"backend\": ");
  lk_cli_json_string (out, lk_backend_to_string (lk_embedder_get_backend (embedder)));
  g_string_append (out, ", \"model\": ");
  lk_cli_json_string (out, lk_embedder_get_identity (embedder)->model);
  g_string_append_printf (out,
                          ", \"added\": %u, \"updated\": %u, \"removed\": %u, \"renamed\": %u, "
                          "\"unchanged\": %u, \"failed\": [",
                          summary->added, summary->updated, summary->removed, summary->renamed,
                          summary->unchanged);
  for (guint i = 0; i < summary->failures->len; i++)
    {
      const LkIndexFailure *f = summary->failures->pdata[i];
      g_string_append (out, i ? ", {" : "{");
      lk_cli_json_path (out, "path", f->path);
      g_string_append (out, ", \"reason\": ");
      lk_cli_json_string (out, f->reason);
      g_string_append_c (out, '}');
    }
  g_string_append_printf (out, "], \"seconds\": %.3f}\n", summary->seconds);
  fwrite (out->str, 1, out->len, stdout);
}

/* The CNN embedder: the weights given, else those @previous (nullable) was made with where they
 * were, else the installed ones; @size and @mode (nullable) given, else @previous's, else 224 and
 * the default preprocessing. */
static LkEmbedder *
cnn_embedder (const LkModelIdentity *previous, const char *weights, int size,
              const LkPreprocess *mode, GError **error)
{
  g_autofree char *weights_path = NULL;
  g_autoptr (LkModel) model = NULL;

  if (weights)
    weights_path = g_strdup (weights);
  else if (previous && previous->weights_path
           && g_file_test (previous->weights_path, G_FILE_TEST_IS_REGULAR))
    weights_path = g_strdup (previous->weights_path);
  else if (!(weights_path = lk_cli_resolve_weights (NULL, error)))
    return NULL;
  if (!(model = lk_model_new_from_file (weights_path, error)))
    return NULL;
  return lk_embedder_new_cnn (model,
                              size       ? size
                              : previous ? previous->input_size
                                         : 224,
                              mode       ? *mode
                              : previous ? previous->preprocess
                                         : LK_PREPROCESS_DEFAULT,
                              error);
}

/* The compressed backend over @upstream: the catalog's compressor; without one, the CNN features
 * brought up to date and a compressor fitted on them with the defaults. */
static LkEmbedder *
compressed_embedder (LkCatalog *catalog, LkEmbedder *upstream, int threads, LkCliProgress *progress,
                     GCancellable *cancellable, GError **error)
{
  g_autofree char *model = lk_catalog_get_model_path (catalog, LK_BACKEND_COMPRESSED);

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      LkIndexParams params = lk_index_default_params ();
      LkCompressParams compress = lk_compress_default_params ();
      g_autoptr (LkCompressSummary) summary = NULL;
      gboolean ok;

      params.n_threads = threads;
      ok = lk_catalog_index (catalog, upstream, &params, lk_cli_index_progress, progress, NULL,
                             cancellable, error);
      if (progress->drew)
        fputc ('\n', stderr);
      progress->drew = FALSE;
      if (!ok || !lk_catalog_train_compressor (catalog, &compress, &summary, cancellable, error))
        return NULL;
      fprintf (stderr,
               _ ("fitted a compressor of the CNN features to %d dimensions (%.1f %% of their "
                  "variance kept)\n"),
               summary->latent, 100 * summary->retained_variance);
    }
  return lk_embedder_new_compressed (model, upstream, error);
}

int
lk_cli_index (int argc, char **argv)
{
  g_autofree char *index_path = NULL, *backend_name = NULL, *weights = NULL, *preprocess = NULL;
  g_auto (GStrv) dirs = NULL;
  int threads = 0, batch = 16, size = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      N_ ("Catalog file (default: one per folder under ~/.local/share/lookalike/catalogs)"),
      N_ ("FILE") },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name,
      N_ ("cnn, conv-ae or compressed (default: cnn when weights are given or installed, or the "
          "catalog has "
          "CNN vectors; else conv-ae)"),
      N_ ("NAME") },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights,
      N_ ("Network weights, or the autoencoder's model file for conv-ae (default: those the "
          "catalog was indexed with, else the installed ones)"),
      N_ ("FILE") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_ ("Worker threads (all cores)"), "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_ ("Images per forward pass and commit (16)"),
      "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size,
      N_ ("Input size in pixels: 64–512 for cnn (as before, else 224); for conv-ae the size a "
          "new autoencoder is trained at (64)"),
      "N" },
    { "preprocess", 'p', 0, G_OPTION_ARG_STRING, &preprocess,
      N_ ("fit, center-crop or stretch (as before, else center-crop)"), N_ ("MODE") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_ ("Print the summary as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FOLDER — index a product folder"));
  g_autoptr (GError) error = NULL;
  LkBackend backend;
  LkPreprocess mode = LK_PREPROCESS_DEFAULT;
  LkIndexParams params = lk_index_default_params ();

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Embeds the images under FOLDER that are new or changed since "
                                   "the last run, removes those that are gone, and reports the "
                                   "ones that cannot be read."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      lk_cli_fail ("index: %s", error->message);
      return LK_CLI_USAGE;
    }
  if (!dirs || !dirs[0] || dirs[1])
    {
      lk_cli_fail (_ ("index: give one folder (lookalike-cli index --help)"));
      return LK_CLI_USAGE;
    }
  if (!lk_cli_parse_backend ("index", backend_name, &backend))
    return LK_CLI_USAGE;
  if (preprocess && !lk_preprocess_from_string (preprocess, &mode))
    {
      lk_cli_fail (_ ("index: unknown preprocessing “%s”: use fit, center-crop or stretch"),
                   preprocess);
      return LK_CLI_USAGE;
    }

  g_autofree char *path = index_path ? g_strdup (index_path) : lk_catalog_default_path (dirs[0]);
  g_autoptr (LkCatalog) catalog = lk_catalog_open (path, dirs[0], &error);
  if (!catalog)
    return lk_cli_fail ("%s", error->message);

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  lk_cli_catch_signals (cancellable);
  LkCliProgress progress = { .tty = isatty (STDERR_FILENO) };

  /* keep the model, size and preprocessing the catalog was made with unless told otherwise:
   * changing any of them re-embeds every image. Read under the writer's lock, so that a run
   * started while another makes the catalog reads what that one made. */
  if (!lk_cli_lock_catalog (catalog, &progress, cancellable))
    return LK_CLI_FAILED;
  if (backend == LK_CLI_BACKEND_DEFAULT)
    backend = lk_cli_default_backend (catalog, weights);
  g_autoptr (LkModelIdentity) previous = lk_catalog_get_identity (catalog, backend, &error);
  if (error)
    return lk_cli_fail ("%s", error->message);
  g_autoptr (LkEmbedder) embedder = NULL;
  if (backend == LK_BACKEND_CONV_AE)
    {
      if (preprocess)
        return lk_cli_fail (_ ("index: --preprocess is for CNN features: an autoencoder keeps "
                               "the preprocessing it was trained with"));
      gboolean trained = FALSE;
      embedder = lk_cli_conv_ae_embedder (catalog, weights, size, threads, &progress, cancellable,
                                          &trained, &error);
      if (!embedder)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return lk_cli_fail (_ ("interrupted while training: nothing was changed"));
          return lk_cli_fail ("%s", error->message);
        }
      if (size && !trained && size != lk_embedder_get_identity (embedder)->input_size)
        return lk_cli_fail (_ ("index: the catalog’s autoencoder takes %d pixels: retrain it "
                               "with lookalike-cli train --size %d to change that"),
                            lk_embedder_get_identity (embedder)->input_size, size);
    }
  else if (backend == LK_BACKEND_COMPRESSED)
    {
      g_autoptr (LkModelIdentity) cnn = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, &error);
      g_autoptr (LkEmbedder) upstream = NULL;
      if (error)
        return lk_cli_fail ("%s", error->message);
      if (!(upstream = cnn_embedder (cnn, weights, size, preprocess ? &mode : NULL, &error)))
        return lk_cli_fail ("%s", error->message);
      if (!(embedder =
              compressed_embedder (catalog, upstream, threads, &progress, cancellable, &error)))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return lk_cli_fail (_ ("interrupted: what was indexed is kept; run the same command "
                                   "again to continue"));
          return lk_cli_fail ("%s", error->message);
        }
    }
  else if (backend != LK_BACKEND_CNN)
    return lk_cli_fail (_ ("the %s backend is not available in this version of Lookalike"),
                        lk_backend_to_string (backend));
  else if (!(embedder = cnn_embedder (previous, weights, size, preprocess ? &mode : NULL, &error)))
    return lk_cli_fail ("%s", error->message);
  params.n_threads = threads;
  params.batch = batch;

  g_autoptr (LkIndexSummary) summary = NULL;
  gboolean ok = lk_catalog_index (catalog, embedder, &params, lk_cli_index_progress, &progress,
                                  &summary, cancellable, &error);
  if (progress.drew)
    fputc ('\n', stderr);
  lk_cli_remember_catalog (path);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return lk_cli_fail (_ ("interrupted: what was indexed is kept; run the same command again "
                               "to continue"));
      return lk_cli_fail ("%s", error->message);
    }

  /* an autoencoder knows the photos it was trained on; many more since, and it is worth a retrain */
  guint trained_on = lk_embedder_get_trained_on (embedder);
  gint64 embedded = trained_on ? lk_catalog_count_vectors (catalog, backend, NULL) : -1;
  if (trained_on && embedded > (gint64) trained_on
      && embedded - trained_on >= MAX (20, trained_on / 4))
    fprintf (stderr,
             _ ("%u of the catalog’s %u photos came after its autoencoder was trained on %u: "
                "retraining it (lookalike-cli train) would fit it to them\n"),
             (guint) (embedded - trained_on), (guint) embedded, trained_on);

  if (json)
    print_json (catalog, embedder, summary);
  else
    {
      g_autofree char *line = lk_index_summary_to_string (summary, 10);
      printf ("%s\n", line);
    }
  return LK_CLI_OK;
}
