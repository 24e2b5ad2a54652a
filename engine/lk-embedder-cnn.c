/* lk-embedder-cnn.c: the CNN backend, features of an ImageNet-pretrained network.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The vector is the global average pool of the network's last convolutional stage (LkModel), of
 * the photo resampled to the input size with the preprocessing the identity names.
 *
 * Post-transform: CNN features come out of a ReLU, so every component is non-negative, every pair
 * of photos has a high cosine, and what tells products apart is how they differ from the typical
 * photo. A search index therefore centres rows and queries on the catalog's mean vector before
 * normalising them: on the 1,617 product photos (ImageNet SqueezeNet) leave-one-out
 * precision@10 goes from 0.6688 to 0.6700 and mAP@10 from 0.6192 to 0.6212, and the percentages
 * spread over the scale instead of crowding above 70 % (the five best matches of a shoe: 79–85 %
 * raw, 61–71 % centred). A mean estimated from a handful of images would mostly subtract those
 * images from themselves (two images would come out opposite, cosine -1), so it is shrunk towards
 * zero by n / (n + MEAN_PRIOR). This was measured for CNN features; the autoencoder measured it for
 * itself (lk-embedder-convae.c); other backends have their own post-transform, or none.
 */
#define G_LOG_DOMAIN "lk-embedder"

#include "lk-embedder.h"
#include "models/lk-model-private.h"

#include <string.h>

typedef struct
{
  LkModelState *model_state;
  float *inputs; /* (max_batch, 3, S, S) */
  gsize plane;   /* floats of one input */
} State;

static void
cnn_finalize (LkEmbedder *embedder)
{
  lk_model_unref (embedder->priv);
}

static gpointer
cnn_state_new (LkEmbedder *embedder, int n_threads, int max_batch, GError **error)
{
  LkStateParams params = {
    .n_threads = n_threads,
    .max_batch = max_batch,
    .input_size = embedder->identity->input_size,
  };
  g_autoptr (LkModelState) model_state = lk_model_state_new (embedder->priv, &params, error);
  gsize plane = (gsize) 3 * params.input_size * params.input_size;
  State *state;
  float *inputs;

  if (!model_state)
    return NULL;
  if (!(inputs = g_try_malloc_n ((gsize) max_batch, plane * sizeof (float))))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory for a batch of %d images of %d pixels", max_batch,
                   params.input_size);
      return NULL;
    }
  state = g_new0 (State, 1);
  state->model_state = g_steal_pointer (&model_state);
  state->inputs = inputs;
  state->plane = plane;
  return state;
}

static void
cnn_state_free (gpointer data)
{
  State *state = data;

  lk_model_state_free (state->model_state);
  g_free (state->inputs);
  g_free (state);
}

static gboolean
cnn_prepare (LkEmbedder *embedder, gpointer data, int slot, const LkImage *image, GError **error)
{
  State *state = data;

  return lk_model_state_prepare_input (state->model_state, image, embedder->identity->preprocess,
                                       state->inputs + (gsize) slot * state->plane, error);
}

static void
cnn_move_slot (LkEmbedder *embedder, gpointer data, int to, int from)
{
  State *state = data;

  memmove (state->inputs + (gsize) to * state->plane, state->inputs + (gsize) from * state->plane,
           sizeof (float) * state->plane);
}

static gboolean
cnn_embed (LkEmbedder *embedder, gpointer data, int n, float *out, GCancellable *cancellable,
           GError **error)
{
  State *state = data;

  return lk_model_state_forward (state->model_state, state->inputs, n, out, cancellable, error);
}

static void
cnn_run_tasks (gpointer data, int n_tasks, NnTaskFunc func, void *ctx)
{
  State *state = data;

  lk_model_state_run_tasks (state->model_state, n_tasks, func, ctx);
}

const LkEmbedderClass lk_embedder_cnn_class = {
  .backend = LK_BACKEND_CNN,
  .input = LK_EMBEDDER_TAKES_IMAGES,
  .finalize = cnn_finalize,
  .state_new = cnn_state_new,
  .state_free = cnn_state_free,
  .prepare = cnn_prepare,
  .move_slot = cnn_move_slot,
  .embed = cnn_embed,
  .run_tasks = cnn_run_tasks,
  .post_floats = lk_embedder_mean_floats,
  .post_fit = lk_embedder_mean_fit,
  .post_apply = lk_embedder_mean_apply,
};

LkEmbedder *
lk_embedder_new_cnn (LkModel *model, int input_size, LkPreprocess preprocess, GError **error)
{
  LkEmbedder *embedder;

  if (input_size < LK_MODEL_MIN_INPUT_SIZE || input_size > LK_MODEL_MAX_INPUT_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "input size %d is outside the supported %d–%d pixels", input_size,
                   LK_MODEL_MIN_INPUT_SIZE, LK_MODEL_MAX_INPUT_SIZE);
      return NULL;
    }
  embedder =
    lk_embedder_new (&lk_embedder_cnn_class, lk_model_identity_new (model, input_size, preprocess));
  embedder->priv = lk_model_ref (model);
  return embedder;
}
