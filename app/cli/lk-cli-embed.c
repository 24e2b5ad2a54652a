/* lk-cli-embed.c: `lookalike-cli embed`, feature vectors as JSON lines.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli embed --weights FILE [--size N] [--json] IMAGE...
 *
 * One line per image, in argument order:
 *   {"path": "...", "model": "resnet50", "dim": 2048, "vector": [...]}
 * or, for an image that cannot be read,
 *   {"path": "...", "error": "..."}
 * The vector is the raw pooled feature, before any normalisation. Exit status 1 when any image
 * failed; the others are still embedded. Output is JSON lines with or without --json, which is
 * accepted so that every subcommand takes it.
 *
 * Images are decoded and preprocessed by one worker per core, a batch at a time, then the batch
 * runs through the network on every core.
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
#include <stdio.h>

typedef struct
{
  const char *path;
  int slot; /* its input slot in the batch */
  GError *error;
} Item;

typedef struct
{
  LkEmbedder *embedder;
  LkEmbedderState *state;
  GMutex lock;
  GCond done;
  int pending;
} Batch;

static void
prepare_worker (gpointer data, gpointer user_data)
{
  Item *item = data;
  Batch *batch = user_data;
  g_autoptr (LkImage) image = lk_image_decode_file (
    item->path, lk_embedder_get_decode_params (batch->embedder), &item->error);

  if (image)
    lk_embedder_state_prepare (batch->state, item->slot, image, &item->error);

  g_mutex_lock (&batch->lock);
  if (--batch->pending == 0)
    g_cond_signal (&batch->done);
  g_mutex_unlock (&batch->lock);
}

static void
print_vector (GString *line, const char *path, LkEmbedder *embedder, const float *vector)
{
  int dim = lk_embedder_get_dim (embedder);

  g_string_append_c (line, '{');
  lk_cli_json_path (line, "path", path);
  g_string_append (line, ", \"model\": ");
  lk_cli_json_string (line, lk_embedder_get_identity (embedder)->model);
  g_string_append_printf (line, ", \"dim\": %d, \"vector\": [", dim);
  for (int i = 0; i < dim; i++)
    {
      if (i)
        g_string_append (line, ", ");
      lk_cli_json_float (line, vector[i]);
    }
  g_string_append (line, "]}\n");
}

static void
print_error (GString *line, const char *path, const char *message)
{
  g_string_append_c (line, '{');
  lk_cli_json_path (line, "path", path);
  g_string_append (line, ", \"error\": ");
  lk_cli_json_string (line, message);
  g_string_append (line, "}\n");
}

int
lk_cli_embed (int argc, char **argv)
{
  g_autofree char *weights = NULL;
  g_autofree char *preprocess = NULL;
  g_auto (GStrv) images = NULL;
  int size = 224, threads = 0, max_batch = 16;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights,
      N_ ("Network weights (.safetensors); default: the installed ones"), N_ ("FILE") },
    { "size", 's', 0, G_OPTION_ARG_INT, &size, N_ ("Input size in pixels, 64–512 (224)"), "N" },
    { "preprocess", 'p', 0, G_OPTION_ARG_STRING, &preprocess,
      N_ ("fit, center-crop or stretch (center-crop)"), N_ ("MODE") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_ ("Worker threads (all cores)"), "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &max_batch, N_ ("Images per forward pass (16)"), "N" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_ ("JSON lines (always the case for embed)"),
      NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("IMAGE… — print feature vectors"));
  g_autoptr (GError) error = NULL;
  LkPreprocess mode = LK_PREPROCESS_DEFAULT;
  int status = LK_CLI_OK;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Prints one JSON line per image, in argument order: its path, "
                                   "the model, the dimension and the raw pooled feature vector."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      lk_cli_fail ("embed: %s", error->message);
      return LK_CLI_USAGE;
    }
  if (!images || !images[0])
    {
      lk_cli_fail (_ ("embed: no images given (lookalike-cli embed --help)"));
      return LK_CLI_USAGE;
    }
  if (preprocess && !lk_preprocess_from_string (preprocess, &mode))
    {
      lk_cli_fail (_ ("embed: unknown preprocessing “%s”: use fit, center-crop or stretch"),
                   preprocess);
      return LK_CLI_USAGE;
    }

  g_autofree char *path = lk_cli_resolve_weights (weights, &error);
  if (!path)
    return lk_cli_fail ("%s", error->message);
  g_autoptr (LkModel) model = lk_model_new_from_file (path, &error);
  if (!model)
    return lk_cli_fail ("%s", error->message);

  g_autoptr (LkEmbedder) embedder = lk_embedder_new_cnn (model, size, mode, &error);
  if (!embedder)
    return lk_cli_fail ("%s", error->message);
  g_autoptr (LkEmbedderState) state = lk_embedder_state_new (embedder, threads, max_batch, &error);
  if (!state)
    return lk_cli_fail ("%s", error->message);

  int n_images = (int) g_strv_length (images);
  int dim = lk_embedder_get_dim (embedder);
  g_autofree float *outputs = g_new (float, (gsize) max_batch *dim);
  g_autofree Item *items = g_new0 (Item, max_batch);
  Batch batch = { .embedder = embedder, .state = state };
  g_autoptr (GString) line = g_string_new (NULL);
  GThreadPool *workers;

  g_mutex_init (&batch.lock);
  g_cond_init (&batch.done);
  workers = g_thread_pool_new (prepare_worker, &batch,
                               threads > 0 ? threads : lk_runtime_get_n_cores (), FALSE, NULL);

  for (int start = 0; start < n_images; start += max_batch)
    {
      int n = MIN (max_batch, n_images - start), ok = 0;

      batch.pending = n;
      for (int i = 0; i < n; i++)
        {
          items[i] = (Item){ images[start + i], i, NULL };
          g_thread_pool_push (workers, &items[i], NULL);
        }
      g_mutex_lock (&batch.lock);
      while (batch.pending > 0)
        g_cond_wait (&batch.done, &batch.lock);
      g_mutex_unlock (&batch.lock);

      /* the images that decoded run as one batch: close the gaps the others left */
      for (int i = 0; i < n; i++)
        if (!items[i].error)
          lk_embedder_state_move_slot (state, ok++, i);
      if (ok > 0 && !lk_embedder_state_embed (state, ok, outputs, NULL, &error))
        {
          status = lk_cli_fail ("%s", error->message);
          break;
        }

      g_string_truncate (line, 0);
      for (int i = 0, j = 0; i < n; i++)
        {
          if (items[i].error)
            {
              print_error (line, items[i].path, items[i].error->message);
              g_clear_error (&items[i].error);
              status = LK_CLI_FAILED;
            }
          else
            print_vector (line, items[i].path, embedder, outputs + (gsize) j++ * dim);
        }
      fwrite (line->str, 1, line->len, stdout);
      fflush (stdout);
    }

  g_thread_pool_free (workers, FALSE, TRUE);
  g_cond_clear (&batch.done);
  g_mutex_clear (&batch.lock);
  return status;
}
