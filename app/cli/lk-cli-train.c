/* lk-cli-train.c: `lookalike-cli train`, the models Lookalike trains on a catalog.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli train [--index DB] [--backend conv-ae] [--epochs N] [--latent D] [--size S]
 *                     [--batch N] [--learning-rate F] [--denoise F] [--invariance F] [--preprocess MODE]
 *                     [--augment | --no-augment] [--patience N] [--seed N]
 *                     [--threads N] [--json] [FOLDER]
 * lookalike-cli train --backend compressed [--method pca|ae|nbr] [--latent D] [--epochs N]
 *                     [--seed N] [--int8] [--weights FILE] [--index DB] [--threads N] [--json]
 *                     [FOLDER]
 *
 * conv-ae: trains on the photos under the catalog's folder, writes the model beside the catalog
 * (<catalog>.conv-ae.safetensors, replaced atomically), then embeds the catalog with it, which
 * replaces the backend's vectors. Ctrl+C after the first epoch keeps the best model so far (and
 * embeds with it); before that nothing changes.
 * compressed: fits the compressor (principal components, or trains one of the MLPs, ae or nbr, for
 * at most --epochs passes, a line each on stderr) on the catalog's CNN vectors (no photo is read), writes it
 * beside the catalog (<catalog>.compressed.safetensors), then makes the catalog's codes with it;
 * --weights is for the CNN, when it is not where the catalog was indexed with it.
 * Progress goes to stderr; the summary to stdout, or with --json one object.
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

void
lk_cli_train_progress (const LkTrainProgress *p, gpointer user_data)
{
  LkCliProgress *state = user_data;
  gint64 now = g_get_monotonic_time ();
  char eta[32];

  lk_cli_format_duration (eta, sizeof eta, p->eta_seconds);
  if (p->phase == LK_TRAIN_SAVING)
    {
      if (state->drew)
        fputc ('\n', stderr);
      state->drew = FALSE;
      return;
    }
  if (p->phase == LK_TRAIN_LOADING)
    {
      if (state->tty)
        {
          fputc ('\r', stderr);
          fprintf (stderr, _ ("reading photos for training: %" PRIu64 "/%" PRIu64 "  "), p->done,
                   p->total);
          state->drew = TRUE;
        }
      else if (p->done == p->total)
        fprintf (stderr, _ ("read %" PRIu64 " photos for training\n"), p->total);
      fflush (stderr);
      return;
    }
  if (state->tty)
    {
      enum
      {
        WIDTH = 20
      };
      char bar[WIDTH + 1], val[32] = "";
      double fraction = p->total ? (double) p->done / p->total : 1.0;
      int fill = (int) (fraction * WIDTH);
      for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
      bar[WIDTH] = '\0';
      if (isfinite (p->val_loss))
        g_snprintf (val, sizeof val, _ (", validation %.4f"), p->val_loss);
      fputc ('\r', stderr);
      fprintf (stderr, _ ("training [%s] epoch %d/%d  loss %.4f%s  %.0f images/s  %s left  "), bar,
               p->epoch, p->epochs, p->train_loss, val, p->images_per_second, eta);
      state->drew = TRUE;
    }
  else if (p->epoch_finished)
    fprintf (stderr,
             _ ("epoch %d of %d: training loss %.4f, validation loss %.4f, %.0f images/s, "
                "%s left\n"),
             p->epoch, p->epochs, p->train_loss, p->val_loss, p->images_per_second, eta);
  else if (now - state->last_line >= 5 * G_USEC_PER_SEC)
    {
      state->last_line = now;
      fprintf (stderr, _ ("epoch %d of %d, step %" PRIu64 " of %" PRIu64 ": loss %.4f\n"), p->epoch,
               p->epochs, p->done, p->total, p->train_loss);
    }
  fflush (stderr);
}

static gboolean
train (LkCatalog *catalog, const LkTrainParams *params, LkCliProgress *progress,
       GCancellable *cancellable, LkTrainSummary **summary, GError **error)
{
  gboolean ok = lk_catalog_train (catalog, params, lk_cli_train_progress, progress, summary,
                                  cancellable, error);

  if (progress->drew)
    fputc ('\n', stderr);
  progress->drew = FALSE;
  return ok;
}

LkEmbedder *
lk_cli_conv_ae_embedder (LkCatalog *catalog, const char *model, int size, int threads,
                         LkCliProgress *progress, GCancellable *cancellable, gboolean *trained,
                         GError **error)
{
  g_autofree char *path =
    model ? g_strdup (model) : lk_catalog_get_model_path (catalog, LK_BACKEND_CONV_AE);
  g_autoptr (LkTrainSummary) summary = NULL;
  LkTrainParams params = lk_train_default_params ();

  if (trained)
    *trained = FALSE;
  if (model || g_file_test (path, G_FILE_TEST_EXISTS))
    return lk_embedder_new_conv_ae (path, error);

  /* no model yet: one with the defaults */
  if (size)
    params.input_size = size;
  params.n_threads = threads;
  fprintf (stderr, _ ("no autoencoder for this catalog yet: training one (%d pixels, %d epochs)\n"),
           params.input_size, params.epochs);
  if (!train (catalog, &params, progress, cancellable, &summary, error))
    return NULL;
  if (summary->cancelled)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      return NULL;
    }
  if (trained)
    *trained = TRUE;
  fprintf (stderr, _ ("trained in %.0f s; embedding the catalog\n"), summary->seconds);
  return lk_embedder_new_conv_ae (summary->model_path, error);
}

static void
append_losses (GString *out, const char *key, GArray *losses)
{
  g_string_append_printf (out, ", \"%s\": [", key);
  for (guint i = 0; i < losses->len; i++)
    {
      if (i)
        g_string_append (out, ", ");
      lk_cli_json_float (out, (float) g_array_index (losses, double, i));
    }
  g_string_append_c (out, ']');
}

static void
print_json (const LkTrainParams *params, const LkTrainSummary *s, const LkIndexSummary *index)
{
  g_autoptr (GString) out = g_string_new ("{\"backend\": \"conv-ae\", ");

  lk_cli_json_path (out, "model_path", s->model_path);
  g_string_append_printf (
    out,
    ", \"epochs\": %d, \"best_epoch\": %d, \"input_size\": %d, \"latent\": %d, "
    "\"batch\": %d, \"seed\": %" G_GUINT64_FORMAT
    ", \"train_images\": %u, \"validation_images\": %u",
    s->epochs, s->best_epoch, params->input_size, params->latent, params->batch, params->seed,
    s->n_train, s->n_val);
  append_losses (out, "train_loss", s->train_loss);
  append_losses (out, "val_loss", s->val_loss);
  g_string_append (out, ", \"images_per_second\": ");
  lk_cli_json_float (out, (float) s->images_per_second);
  g_string_append_printf (out, ", \"seconds\": %.3f, \"cancelled\": %s, \"stopped_early\": %s",
                          s->seconds, s->cancelled ? "true" : "false",
                          s->stopped_early ? "true" : "false");
  g_string_append (out, ", \"failed\": [");
  for (guint i = 0; i < s->failures->len; i++)
    {
      const LkIndexFailure *f = s->failures->pdata[i];
      g_string_append (out, i ? ", {" : "{");
      lk_cli_json_path (out, "path", f->path);
      g_string_append (out, ", \"reason\": ");
      lk_cli_json_string (out, f->reason);
      g_string_append_c (out, '}');
    }
  g_string_append_printf (out, "], \"embedded\": %u", index ? index->added + index->updated : 0);
  g_string_append_printf (out, ", \"architecture\": %s}\n", s->architecture);
  fwrite (out->str, 1, out->len, stdout);
}

typedef struct
{
  LkCliProgress *cli;
} CompressProgress;

/* one line per epoch of a learned compressor (on a terminal, one line redrawn) */
static void
compress_progress (const LkCompressProgress *p, gpointer user_data)
{
  const CompressProgress *relay = user_data;
  LkCliProgress *state = relay->cli;
  char score[64];

  if (p->decoder)
    g_snprintf (score, sizeof score, _ ("decoder's error %.3g (best %.3g, epoch %d)"), -p->score,
                -p->best_score, p->best_epoch);
  else if (p->method == LK_COMPRESS_NBR)
    g_snprintf (score, sizeof score, _ ("neighbours kept %.1f %% (best %.1f %%, epoch %d)"),
                100 * p->score, 100 * p->best_score, p->best_epoch);
  else
    g_snprintf (score, sizeof score, _ ("validation error %.3g (best %.3g, epoch %d)"), -p->score,
                -p->best_score, p->best_epoch);
  if (state->tty)
    {
      fputc ('\r', stderr);
      fprintf (stderr, _ ("training the compressor: epoch %d of at most %d, loss %.4f, %s  "),
               p->epoch, p->epochs, p->loss, score);
      state->drew = TRUE;
    }
  else
    fprintf (stderr, _ ("epoch %d of at most %d: loss %.4f, %s\n"), p->epoch, p->epochs, p->loss,
             score);
  fflush (stderr);
}

/* `train --backend compressed` */
static int
train_compressed (LkCatalog *catalog, const char *path, const char *method_name_in, int latent,
                  int epochs, gint64 seed, gboolean int8, const char *weights, int threads,
                  gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCompressSummary) summary = NULL;
  g_autoptr (LkModelIdentity) cnn = NULL;
  g_autoptr (LkEmbedder) upstream = NULL, embedder = NULL;
  g_autoptr (LkIndexSummary) indexed = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LkCompressParams params = lk_compress_default_params ();
  LkCliProgress progress = { .tty = isatty (STDERR_FILENO) };
  LkIndexParams index_params = lk_index_default_params ();
  CompressProgress relay;
  const char *method_label, *method_name = method_name_in;
  gboolean ok;

  if (method_name && g_str_equal (method_name, "pca"))
    params.method = LK_COMPRESS_PCA;
  else if (method_name && g_str_equal (method_name, "ae"))
    params.method = LK_COMPRESS_AE;
  else if (method_name && g_str_equal (method_name, "nbr"))
    params.method = LK_COMPRESS_NBR;
  else if (method_name)
    {
      lk_cli_fail (_ ("train: unknown compression method “%s”: use pca, ae or nbr"), method_name);
      return LK_CLI_USAGE;
    }
  if (params.method == LK_COMPRESS_PCA && (epochs != G_MININT || seed != G_MININT64))
    {
      lk_cli_fail (_ ("train: principal components are computed, not trained: --epochs and "
                      "--seed are for --method ae and nbr"));
      return LK_CLI_USAGE;
    }
  if (epochs != G_MININT && (epochs < 1 || epochs > 10000))
    {
      lk_cli_fail (_ ("train: %d epochs is outside 1–10000"), epochs);
      return LK_CLI_USAGE;
    }
  if (latent != G_MININT)
    params.latent = latent;
  if (epochs != G_MININT)
    params.epochs = epochs;
  if (seed != G_MININT64)
    params.seed = (guint64) seed;
  params.int8 = int8;
  params.n_threads = threads;
  relay.cli = &progress;
  params.progress = compress_progress;
  params.user_data = &relay;
  lk_cli_catch_signals (cancellable);
  if (!lk_cli_lock_catalog (catalog, &progress, cancellable))
    return LK_CLI_FAILED;
  g_autofree char *name = g_filename_display_basename (lk_catalog_get_path (catalog));
  if (!(cnn = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, &error)))
    {
      if (error)
        return lk_cli_fail ("%s", error->message);
      return lk_cli_fail (_ ("%s has no CNN features to compress: index it first "
                             "(lookalike-cli index --backend cnn)"),
                          name);
    }
  /* the CNN that made the vectors, for the photos that will be searched with */
  if (!(upstream = lk_embedder_new_for_identity (cnn, weights, name, &error)))
    return lk_cli_fail ("%s", error->message);
  ok = lk_catalog_train_compressor (catalog, &params, &summary, cancellable, &error);
  if (progress.drew)
    fputc ('\n', stderr);
  progress.drew = FALSE;
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return lk_cli_fail (_ ("interrupted: no compressor was written, and the catalog is as "
                               "it was"));
      return lk_cli_fail ("%s", error->message);
    }
  lk_cli_remember_catalog (path);
  if (!(embedder = lk_embedder_new_compressed (summary->model_path, upstream, &error)))
    return lk_cli_fail ("%s", error->message);
  index_params.n_threads = threads;
  ok = lk_catalog_index (catalog, embedder, &index_params, lk_cli_index_progress, &progress,
                         &indexed, cancellable, &error);
  if (progress.drew)
    fputc ('\n', stderr);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return lk_cli_fail (_ ("interrupted while embedding: the compressor is saved and what "
                               "was embedded is kept; run lookalike-cli index --backend "
                               "compressed to finish"));
      return lk_cli_fail ("%s", error->message);
    }

  method_name = lk_compress_method_to_string (summary->method);
  if (json)
    {
      g_autoptr (GString) out = g_string_new ("{\"backend\": \"compressed\", ");
      lk_cli_json_path (out, "model_path", summary->model_path);
      g_string_append_printf (out,
                              ", \"method\": \"%s\", \"in_dim\": %d, \"latent\": %d, "
                              "\"vectors\": %" G_GUINT64_FORMAT ", ",
                              method_name, summary->in_dim, summary->latent, summary->n_items);
      if (summary->method != LK_COMPRESS_PCA)
        g_string_append_printf (out, "\"epochs\": %d, \"best_epoch\": %d, ", summary->epochs,
                                summary->best_epoch);
      g_string_append_printf (out, "\"int8\": %s, \"bytes_per_item\": %d, ",
                              summary->int8 ? "true" : "false", summary->bytes_per_item);
      g_string_append (out, "\"retained_variance\": ");
      lk_cli_json_float (out, (float) summary->retained_variance);
      g_string_append_printf (
        out, ", \"seconds\": %.3f, \"embedded\": %" G_GINT64_FORMAT ", ", summary->seconds,
        MAX (lk_catalog_count_vectors (catalog, LK_BACKEND_COMPRESSED, NULL), 0));
      g_string_append (out, "\"quality\": {\"mean_cosine\": ");
      lk_cli_json_float (out, (float) summary->mean_cosine);
      g_string_append (out, ", \"mse\": ");
      g_string_append_printf (out, "%.4g", summary->mse);
      g_string_append (out, ", \"self_retrieval\": ");
      lk_cli_json_float (out, (float) summary->self_retrieval);
      g_string_append (out, ", \"precision_at_10\": ");
      if (isnan (summary->precision_at_10))
        g_string_append (out, "null, \"cnn_precision_at_10\": null");
      else
        {
          lk_cli_json_float (out, (float) summary->precision_at_10);
          g_string_append (out, ", \"cnn_precision_at_10\": ");
          lk_cli_json_float (out, (float) summary->cnn_precision_at_10);
        }
      g_string_append_printf (out, ", \"cnn_bytes_per_item\": %d}}\n", summary->cnn_bytes_per_item);
      fwrite (out->str, 1, out->len, stdout);
    }
  else
    {
      g_autofree char *shown = lk_path_display_line (summary->model_path);
      g_autofree char *ours_size =
        g_format_size_full ((guint64) summary->bytes_per_item * 1000000, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *cnn_size = g_format_size_full (
        (guint64) summary->cnn_bytes_per_item * 1000000, G_FORMAT_SIZE_IEC_UNITS);
      char ours_p[16] = "—", cnn_p[16] = "—";
      method_label = summary->method == LK_COMPRESS_NBR  ? _ ("neighbourhood-preserving MLP")
                     : summary->method == LK_COMPRESS_AE ? _ ("MLP autoencoder")
                                                         : _ ("principal components");
      printf (_ ("compressed %" PRIu64 " CNN vectors of %d dimensions to %d (%s) in %.1f s\n"),
              summary->n_items, summary->in_dim, summary->latent, method_label, summary->seconds);
      if (!isnan (summary->precision_at_10))
        {
          g_snprintf (ours_p, sizeof ours_p, "%.3f", summary->precision_at_10);
          g_snprintf (cnn_p, sizeof cnn_p, "%.3f", summary->cnn_precision_at_10);
        }
      /* the table of the README, for this model */
      printf ("\n%-24s %10s %14s %14s %12s %15s %13s\n", "", _ ("dimensions"), _ ("bytes/item"),
              _ ("at 1M items"), _ ("rec. cosine"), _ ("self-retrieval"), _ ("precision@10"));
      printf ("%-24s %10d %14d %14s %12s %15s %13s\n", _ ("CNN vectors"), summary->in_dim,
              summary->cnn_bytes_per_item, cnn_size, "1.000", "100 %", cnn_p);
      g_autofree char *ours_label =
        g_strdup_printf ("%s%s", method_name, summary->int8 ? _ (", 8-bit") : "");
      g_autofree char *self = g_strdup_printf ("%.1f %%", 100 * summary->self_retrieval);
      g_autofree char *cos = g_strdup_printf ("%.3f", summary->mean_cosine);
      printf ("%-24s %10d %14d %14s %12s %15s %13s\n\n", ours_label, summary->latent,
              summary->bytes_per_item, ours_size, cos, self, ours_p);
      printf (_ ("model: %s\n"), shown);
    }
  return LK_CLI_OK;
}

int
lk_cli_train (int argc, char **argv)
{
  g_autofree char *index_path = NULL, *backend_name = NULL, *preprocess = NULL;
  g_autofree char *method = NULL, *weights = NULL;
  g_auto (GStrv) dirs = NULL;
  LkTrainParams params = lk_train_default_params ();
  const LkTrainParams defaults = params;
  int latent = G_MININT, epochs = G_MININT; /* not given */
  gint64 seed = G_MININT64;
  gboolean json = FALSE, no_augment = FALSE, augment = FALSE, int8 = FALSE;
  const GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      N_ ("Catalog file (default: FOLDER’s, else the one last indexed)"), N_ ("FILE") },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name,
      N_ ("conv-ae (the default) or compressed"), N_ ("NAME") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method,
      N_ ("compressed: how the CNN vectors are compressed: pca, ae or nbr (the best for the size)"),
      N_ ("METHOD") },
    { "int8", 0, 0, G_OPTION_ARG_NONE, &int8,
      N_ ("compressed: store the codes as 8 bits each, 4× smaller (off)"), NULL },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights,
      N_ ("compressed: the CNN weights the catalog was indexed with (where they were)"),
      N_ ("FILE") },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs,
      N_ ("Passes over the photos (20); compressed ae and nbr: at most (400)"), "N" },
    { "latent", 'l', 0, G_OPTION_ARG_INT, &latent,
      N_ ("Length of the code, the search vector (conv-ae 128, compressed 32)"), "D" },
    { "size", 's', 0, G_OPTION_ARG_INT, &params.input_size,
      N_ ("Input size in pixels, 16–256, a multiple of 4 (64)"), "S" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &params.batch, N_ ("Photos per step (32)"), "N" },
    { "learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &params.learning_rate,
      N_ ("AdamW’s learning rate (0.001)"), "F" },
    { "denoise", 'd', 0, G_OPTION_ARG_DOUBLE, &params.denoise,
      N_ ("Noise added to the inputs, 0–1 (0.05)"), "F" },
    { "invariance", 0, 0, G_OPTION_ARG_DOUBLE, &params.invariance,
      N_ ("Weight of the term that pulls two augmentations of a photo together (0)"), "F" },
    { "preprocess", 'p', 0, G_OPTION_ARG_STRING, &preprocess,
      N_ ("fit, center-crop or stretch (fit: the whole photo)"), N_ ("MODE") },
    { "augment", 0, 0, G_OPTION_ARG_NONE, &augment,
      N_ ("Random flips, shifts and brightness changes (off)"), NULL },
    { "no-augment", 0, 0, G_OPTION_ARG_NONE, &no_augment, N_ ("None of them (the default)"), NULL },
    { "patience", 0, 0, G_OPTION_ARG_INT, &params.patience,
      N_ ("Stop after N epochs without a better validation loss (never)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      N_ ("Seed of the initial weights and batches (1; compressed: 0)"), "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &params.n_threads, N_ ("Worker threads (all cores)"),
      "N" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_ ("Print the summary as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new (_ ("[FOLDER] — train the autoencoder on a catalog"));
  g_autoptr (GError) error = NULL;
  LkBackend backend;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Trains the convolutional autoencoder on the photos of a "
                                   "catalog, keeps the epoch with the best validation loss, and "
                                   "embeds the catalog with it."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      lk_cli_fail ("train: %s", error->message);
      return LK_CLI_USAGE;
    }
  if (dirs && dirs[0] && dirs[1])
    {
      lk_cli_fail (_ ("train: give at most one folder (lookalike-cli train --help)"));
      return LK_CLI_USAGE;
    }
  if (!lk_cli_parse_backend ("train", backend_name, &backend))
    return LK_CLI_USAGE;
  if (backend != LK_CLI_BACKEND_DEFAULT && backend != LK_BACKEND_CONV_AE
      && backend != LK_BACKEND_COMPRESSED)
    {
      lk_cli_fail (_ ("train: the %s backend is not trained by Lookalike: conv-ae and compressed "
                      "are"),
                   lk_backend_to_string (backend));
      return LK_CLI_USAGE;
    }
  if (backend == LK_BACKEND_COMPRESSED
      && (params.input_size != defaults.input_size || params.batch != defaults.batch
          || params.learning_rate != defaults.learning_rate || params.denoise != defaults.denoise
          || params.invariance != defaults.invariance || preprocess || augment || no_augment
          || params.patience != defaults.patience))
    {
      lk_cli_fail (_ ("train: the compressed backend takes --method, --latent, --epochs, --seed "
                      "and --weights; the other settings are the autoencoder’s"));
      return LK_CLI_USAGE;
    }
  if (backend != LK_BACKEND_COMPRESSED && (method || weights || int8))
    {
      lk_cli_fail (_ ("train: --method, --int8 and --weights are for the compressed backend"));
      return LK_CLI_USAGE;
    }
  if (latent != G_MININT && backend != LK_BACKEND_COMPRESSED)
    params.latent = latent;
  if (preprocess && !lk_preprocess_from_string (preprocess, &params.preprocess))
    {
      lk_cli_fail (_ ("train: unknown preprocessing “%s”: use fit, center-crop or stretch"),
                   preprocess);
      return LK_CLI_USAGE;
    }
  if (backend != LK_BACKEND_COMPRESSED)
    {
      if (epochs != G_MININT)
        params.epochs = epochs;
      if (seed != G_MININT64)
        params.seed = (guint64) seed;
    }
  params.augment = augment && !no_augment;
  if (backend != LK_BACKEND_COMPRESSED && !lk_train_params_check (&params, &error))
    {
      lk_cli_fail ("train: %s", error->message);
      return LK_CLI_USAGE;
    }

  g_autofree char *path = NULL;
  const char *root = dirs && dirs[0] ? dirs[0] : NULL;
  if (index_path)
    path = g_strdup (index_path);
  else if (root)
    path = lk_catalog_default_path (root);
  else if (!(path = lk_cli_catalog_path (NULL, &error)))
    return lk_cli_fail ("%s", error->message);
  g_autoptr (LkCatalog) catalog = lk_catalog_open (path, root, &error);
  if (!catalog)
    return lk_cli_fail ("%s", error->message);
  if (backend == LK_BACKEND_COMPRESSED)
    return train_compressed (catalog, path, method, latent, epochs, seed, int8, weights,
                             params.n_threads, json);

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  lk_cli_catch_signals (cancellable);
  LkCliProgress progress = { .tty = isatty (STDERR_FILENO) };

  /* one process at a time trains and embeds a catalog */
  if (!lk_cli_lock_catalog (catalog, &progress, cancellable))
    return LK_CLI_FAILED;
  g_autoptr (LkTrainSummary) summary = NULL;
  if (!train (catalog, &params, &progress, cancellable, &summary, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return lk_cli_fail (_ ("interrupted before the first epoch ended: the model and the "
                               "catalog are as they were"));
      return lk_cli_fail ("%s", error->message);
    }
  lk_cli_remember_catalog (path);

  /* the catalog's vectors come from the model it has now */
  g_autoptr (LkEmbedder) embedder = lk_embedder_new_conv_ae (summary->model_path, &error);
  if (!embedder)
    return lk_cli_fail ("%s", error->message);
  if (summary->cancelled)
    fprintf (stderr,
             _ ("interrupted: kept the best model so far (epoch %d); embedding the "
                "catalog with it\n"),
             summary->best_epoch);
  LkIndexParams index_params = lk_index_default_params ();
  index_params.n_threads = params.n_threads;
  g_autoptr (LkIndexSummary) indexed = NULL;
  gboolean ok =
    lk_catalog_index (catalog, embedder, &index_params, lk_cli_index_progress, &progress, &indexed,
                      summary->cancelled ? NULL : cancellable, &error);
  if (progress.drew)
    fputc ('\n', stderr);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return lk_cli_fail (_ ("interrupted while embedding: the model is saved and what was "
                               "embedded is kept; run lookalike-cli index --backend conv-ae to "
                               "finish"));
      return lk_cli_fail ("%s", error->message);
    }

  if (json)
    print_json (&params, summary, indexed);
  else
    {
      double val = summary->val_loss->len
                     ? g_array_index (summary->val_loss, double, summary->best_epoch - 1)
                     : NAN;
      printf (_ ("trained conv-ae on %u photos (%u held out) for %d epochs in %.0f s, %.0f "
                 "images/s: validation loss %.4f at epoch %d\n"),
              summary->n_train, summary->n_val, summary->epochs, summary->seconds,
              summary->images_per_second, val, summary->best_epoch);
      g_autofree char *shown = lk_path_display_line (summary->model_path);
      printf (_ ("model: %s\n"), shown);
      g_autofree char *line = lk_index_summary_to_string (indexed, 10);
      printf ("%s\n", line);
    }
  return LK_CLI_OK;
}
