/* lk-embedder-convae.c: the conv-ae backend, the latent code of an autoencoder trained on the
 * catalog (lk-trainer.c trains it, lk-convae-file.c reads it).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A photo is resampled to the model's input size with the preprocessing the model file names,
 * kept as 8-bit RGB (exactly what the trainer's image cache holds, so a catalog photo is embedded
 * from the very pixels it was trained on), and encoded; the vector is the latent code.
 */
#define G_LOG_DOMAIN "lk-embedder"

#include "lk-convae-file.h"
#include "lk-embedder.h"

#include <string.h>

typedef struct
{
  LkConvAe *model;
  LkConvAeInfo *info;
} Priv;

typedef struct
{
  NnPool *pool;
  LkConvAeRun *run;
  guint8 *pixels; /* (max_batch, S, S, 3) */
  gsize plane;    /* bytes of one image */
} State;

static void
convae_finalize (LkEmbedder *embedder)
{
  Priv *priv = embedder->priv;

  lk_conv_ae_free (priv->model);
  lk_conv_ae_info_free (priv->info);
  g_free (priv);
}

static gpointer
convae_state_new (LkEmbedder *embedder, int n_threads, int max_batch, GError **error)
{
  Priv *priv = embedder->priv;
  int S = priv->model->config.input_size;
  State *state = g_new0 (State, 1);

  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  nn_blas_init ();
  state->plane = (gsize) S * S * 3;
  state->pool = nn_pool_new (n_threads);
  state->run = lk_conv_ae_run_new (priv->model, max_batch, FALSE, n_threads);
  state->pixels = g_try_malloc_n ((gsize) max_batch, state->plane);
  if (!state->pool || !state->run || !state->pixels)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory or threads for a batch of %d images of %d pixels", max_batch,
                   S);
      nn_pool_free (state->pool);
      lk_conv_ae_run_free (state->run);
      g_free (state->pixels);
      g_free (state);
      return NULL;
    }
  return state;
}

static void
convae_state_free (gpointer data)
{
  State *state = data;

  nn_pool_free (state->pool);
  lk_conv_ae_run_free (state->run);
  g_free (state->pixels);
  g_free (state);
}

static gboolean
convae_prepare (LkEmbedder *embedder, gpointer data, int slot, const LkImage *image, GError **error)
{
  State *state = data;
  g_autoptr (LkImage) small = lk_image_resample (image, embedder->identity->preprocess,
                                                 embedder->identity->input_size, error);

  if (!small)
    return FALSE;
  memcpy (state->pixels + (gsize) slot * state->plane, small->pixels, state->plane);
  return TRUE;
}

static void
convae_move_slot (LkEmbedder *embedder, gpointer data, int to, int from)
{
  State *state = data;

  memmove (state->pixels + (gsize) to * state->plane, state->pixels + (gsize) from * state->plane,
           state->plane);
}

static gboolean
convae_embed (LkEmbedder *embedder, gpointer data, int n, float *out, GCancellable *cancellable,
              GError **error)
{
  State *state = data;
  const float *latent;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (int b = 0; b < n; b++)
    lk_conv_ae_set_input (state->run, n, b, state->pixels + (gsize) b * state->plane);
  latent = lk_conv_ae_encode (state->run, n, state->pool);
  memcpy (out, latent, sizeof (float) * (gsize) n * embedder->identity->dim);
  return TRUE;
}

static void
convae_run_tasks (gpointer data, int n_tasks, NnTaskFunc func, void *ctx)
{
  State *state = data;

  nn_pool_run (state->pool, n_tasks, func, ctx);
}

const LkEmbedderClass lk_embedder_conv_ae_class = {
  .backend = LK_BACKEND_CONV_AE,
  .input = LK_EMBEDDER_TAKES_IMAGES,
  .finalize = convae_finalize,
  .state_new = convae_state_new,
  .state_free = convae_state_free,
  .prepare = convae_prepare,
  .move_slot = convae_move_slot,
  .embed = convae_embed,
  .run_tasks = convae_run_tasks,
  /* centred on the catalog's mean, as CNN features are: on Fashion-MNIST (60,000 against 10,000)
   * precision@10 goes from 0.8225 to 0.8247, on the product photos from 0.5324 to 0.5396, and in
   * PyTorch runs of the same network on two seeds by 0.001–0.007 (tests/bench/eval-convae.py) */
  .post_floats = lk_embedder_mean_floats,
  .post_fit = lk_embedder_mean_fit,
  .post_apply = lk_embedder_mean_apply,
};

/* the identity of a model's vectors: the model file's digest names the network and its weights */
static LkModelIdentity *
identity_for (const LkConvAe *model, const LkConvAeInfo *info, const char *path, const char *sha256)
{
  LkModelIdentity *identity = g_new0 (LkModelIdentity, 1);

  identity->backend = LK_BACKEND_CONV_AE;
  identity->model = g_strdup ("conv-ae");
  identity->weights_sha256 = g_strdup (sha256);
  identity->weights_path = g_canonicalize_filename (path, NULL);
  identity->input_size = model->config.input_size;
  identity->preprocess = info->preprocess;
  identity->dim = model->config.latent;
  identity->vector_type = LK_VECTOR_FLOAT32;
  return identity;
}

LkEmbedder *
lk_embedder_new_conv_ae (const char *path, GError **error)
{
  g_autoptr (LkConvAeInfo) info = NULL;
  g_autofree char *sha256 = NULL;
  LkConvAe *model = lk_conv_ae_file_load (path, &info, &sha256, error);
  LkEmbedder *embedder;
  Priv *priv;

  if (!model)
    return NULL;
  embedder = lk_embedder_new (&lk_embedder_conv_ae_class, identity_for (model, info, path, sha256));
  priv = g_new0 (Priv, 1);
  priv->model = model;
  priv->info = g_steal_pointer (&info);
  embedder->priv = priv;
  return embedder;
}

const char *
lk_embedder_get_trained_date (LkEmbedder *embedder)
{
  if (embedder->klass != &lk_embedder_conv_ae_class)
    return NULL;
  return ((Priv *) embedder->priv)->info->date;
}

guint
lk_embedder_get_trained_on (LkEmbedder *embedder)
{
  Priv *priv;

  if (embedder->klass != &lk_embedder_conv_ae_class)
    return 0;
  priv = embedder->priv;
  return priv->info->n_train + priv->info->n_val;
}
