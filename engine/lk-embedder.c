/* lk-embedder.c: LkEmbedder, what the rest of the engine sees of a backend.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The functions here only dispatch to the backend's table (lk-embedder.h); what is particular to a
 * backend lives in its own file (lk-embedder-cnn.c).
 */
#define G_LOG_DOMAIN "lk-embedder"

#include "lk-embedder.h"

const LkEmbedderClass *
lk_embedder_class_for (LkBackend backend)
{
  switch (backend)
    {
    case LK_BACKEND_CNN:
      return &lk_embedder_cnn_class;
    case LK_BACKEND_CONV_AE:
      return &lk_embedder_conv_ae_class;
    case LK_BACKEND_COMPRESSED:
      return &lk_embedder_compressed_class;
    }
  g_return_val_if_reached (NULL);
}

LkEmbedder *
lk_embedder_new (const LkEmbedderClass *klass, LkModelIdentity *identity)
{
  LkEmbedder *embedder = g_new0 (LkEmbedder, 1);

  embedder->klass = klass;
  embedder->ref_count = 1;
  embedder->identity = identity;
  embedder->decode = lk_decode_default_params ();
  if (klass->input == LK_EMBEDDER_TAKES_IMAGES)
    lk_decode_params_set_target (&embedder->decode, identity->preprocess, identity->input_size);
  return embedder;
}

/* the model file beside the catalog that made its vectors, and no other */
static LkEmbedder *
new_conv_ae_for_identity (const LkModelIdentity *identity, const char *model_path,
                          const char *catalog_name, GError **error)
{
  const char *path = model_path ? model_path : identity->weights_path;
  g_autoptr (LkEmbedder) embedder = NULL;
  const LkModelIdentity *made;

  if (!path || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: its autoencoder model %s is missing: train it again "
                   "(lookalike-cli train, or index --backend conv-ae)",
                   catalog_name, path ? path : "(none recorded)");
      return NULL;
    }
  if (!(embedder = lk_embedder_new_conv_ae (path, error)))
    return NULL;
  made = lk_embedder_get_identity (embedder);
  if (g_strcmp0 (made->weights_sha256, identity->weights_sha256) != 0)
    {
      g_autofree char *shown = g_filename_display_basename (path);
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s was embedded with another autoencoder (sha256 %.12s…) than %s (sha256 "
                   "%.12s…): index it again with lookalike-cli index --backend conv-ae",
                   catalog_name, identity->weights_sha256, shown, made->weights_sha256);
      return NULL;
    }
  if (made->dim != identity->dim || made->input_size != identity->input_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: damaged index (vectors of dimension %d where its autoencoder makes %d)",
                   catalog_name, identity->dim, made->dim);
      return NULL;
    }
  return g_steal_pointer (&embedder);
}

/* the compressor file that made the vectors, over the CNN embedder of its upstream */
static LkEmbedder *
new_compressed_for_identity (const LkModelIdentity *identity, const char *weights,
                             const char *catalog_name, GError **error)
{
  const char *path = identity->weights_path;
  g_autoptr (LkEmbedder) upstream = NULL;
  g_autoptr (LkEmbedder) embedder = NULL;

  if (!path || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: its compressor %s is missing: train it again "
                   "(lookalike-cli train --backend compressed)",
                   catalog_name, path ? path : "(none recorded)");
      return NULL;
    }
  if (!(upstream = lk_embedder_new_for_identity (identity->upstream, weights, catalog_name, error))
      || !(embedder = lk_embedder_new_compressed (path, upstream, error)))
    return NULL;
  if (!lk_model_identity_equal (lk_embedder_get_identity (embedder), identity))
    {
      g_autofree char *shown = g_filename_display_basename (path);
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s was compressed with another compressor (sha256 %.12s…) than %s (sha256 "
                   "%.12s…): index it again with lookalike-cli index --backend compressed",
                   catalog_name, identity->weights_sha256, shown,
                   lk_embedder_get_identity (embedder)->weights_sha256);
      return NULL;
    }
  return g_steal_pointer (&embedder);
}

LkEmbedder *
lk_embedder_new_for_identity (const LkModelIdentity *identity, const char *weights,
                              const char *catalog_name, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (LkModel) model = NULL;

  if (identity->backend == LK_BACKEND_CONV_AE)
    return new_conv_ae_for_identity (identity, weights, catalog_name, error);
  if (identity->backend == LK_BACKEND_COMPRESSED)
    return new_compressed_for_identity (identity, weights, catalog_name, error);
  if (identity->backend != LK_BACKEND_CNN)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "%s: the %s backend cannot embed photos in this version of Lookalike",
                   catalog_name, lk_backend_to_string (identity->backend));
      return NULL;
    }
  if (weights)
    path = g_strdup (weights);
  else if (identity->weights_path && g_file_test (identity->weights_path, G_FILE_TEST_IS_REGULAR))
    path = g_strdup (identity->weights_path);
  else if (!(path = lk_model_find_default_weights ()))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s was indexed with %s (sha256 %.12s…), which is no longer where it was: "
                   "pass the weights file it was indexed with",
                   catalog_name, identity->model, identity->weights_sha256);
      return NULL;
    }

  if (!(model = lk_model_new_from_file (path, error)))
    return NULL;
  if (g_strcmp0 (lk_model_get_weights_sha256 (model), identity->weights_sha256) != 0)
    {
      g_autofree char *shown = g_filename_display_basename (path);
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s was indexed with other weights (%s, sha256 %.12s…) than %s (%s, sha256 "
                   "%.12s…): pass the weights file it was indexed with",
                   catalog_name, identity->model, identity->weights_sha256, shown,
                   lk_model_get_name (model), lk_model_get_weights_sha256 (model));
      return NULL;
    }
  if (lk_model_get_dim (model) != identity->dim)
    {
      /* the weights' digest matched, so the stored dimension is what is wrong */
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: damaged index (vectors of dimension %d where %s makes %d)", catalog_name,
                   identity->dim, lk_model_get_name (model), lk_model_get_dim (model));
      return NULL;
    }
  return lk_embedder_new_cnn (model, identity->input_size, identity->preprocess, error);
}

LkEmbedder *
lk_embedder_ref (LkEmbedder *embedder)
{
  g_atomic_int_inc (&embedder->ref_count);
  return embedder;
}

void
lk_embedder_unref (LkEmbedder *embedder)
{
  if (!embedder || !g_atomic_int_dec_and_test (&embedder->ref_count))
    return;
  if (embedder->klass->finalize)
    embedder->klass->finalize (embedder);
  lk_model_identity_free (embedder->identity);
  g_free (embedder);
}

LkBackend
lk_embedder_get_backend (LkEmbedder *embedder)
{
  return embedder->klass->backend;
}

LkEmbedderInput
lk_embedder_get_input (LkEmbedder *embedder)
{
  return embedder->klass->input;
}

int
lk_embedder_get_dim (LkEmbedder *embedder)
{
  return embedder->identity->dim;
}

LkVectorType
lk_embedder_get_vector_type (LkEmbedder *embedder)
{
  return embedder->identity->vector_type;
}

const LkModelIdentity *
lk_embedder_get_identity (LkEmbedder *embedder)
{
  return embedder->identity;
}

const LkDecodeParams *
lk_embedder_get_decode_params (LkEmbedder *embedder)
{
  return &embedder->decode;
}

/* ---------------------------------------------------------------------------------------------- */
/* States                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

LkEmbedderState *
lk_embedder_state_new (LkEmbedder *embedder, int n_threads, int max_batch, GError **error)
{
  gpointer priv;
  LkEmbedderState *state;

  if (!embedder->klass->state_new)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "the %s backend cannot embed in this version of Lookalike",
                   lk_backend_to_string (embedder->klass->backend));
      return NULL;
    }
  if (!(priv = embedder->klass->state_new (embedder, n_threads, max_batch, error)))
    return NULL;
  state = g_new0 (LkEmbedderState, 1);
  state->embedder = lk_embedder_ref (embedder);
  state->priv = priv;
  state->max_batch = max_batch;
  return state;
}

void
lk_embedder_state_free (LkEmbedderState *state)
{
  if (!state)
    return;
  state->embedder->klass->state_free (state->priv);
  lk_embedder_unref (state->embedder);
  g_free (state);
}

int
lk_embedder_state_get_max_batch (LkEmbedderState *state)
{
  return state->max_batch;
}

gboolean
lk_embedder_state_prepare (LkEmbedderState *state, int slot, const LkImage *image, GError **error)
{
  g_return_val_if_fail (slot >= 0 && slot < state->max_batch, FALSE);
  return state->embedder->klass->prepare (state->embedder, state->priv, slot, image, error);
}

void
lk_embedder_state_move_slot (LkEmbedderState *state, int to, int from)
{
  g_return_if_fail (to >= 0 && to < state->max_batch && from >= 0 && from < state->max_batch);
  if (to != from)
    state->embedder->klass->move_slot (state->embedder, state->priv, to, from);
}

gboolean
lk_embedder_state_embed (LkEmbedderState *state, int n, float *out, GCancellable *cancellable,
                         GError **error)
{
  return state->embedder->klass->embed (state->embedder, state->priv, n, out, cancellable, error);
}

gboolean
lk_embedder_embed_image (LkEmbedderState *state, const LkImage *image, float *out, GError **error)
{
  return lk_embedder_state_prepare (state, 0, image, error)
         && lk_embedder_state_embed (state, 1, out, NULL, error);
}

void
lk_embedder_state_run_tasks (LkEmbedderState *state, int n_tasks, NnTaskFunc func, void *ctx)
{
  state->embedder->klass->run_tasks (state->priv, n_tasks, func, ctx);
}

/* ---------------------------------------------------------------------------------------------- */
/* Centring on the catalog's mean, the post-transform of the CNN and conv-ae backends              */
/* ---------------------------------------------------------------------------------------------- */

/* a mean estimated from a handful of vectors would mostly subtract them from themselves: it is
 * shrunk towards zero by n / (n + MEAN_PRIOR) */
#define MEAN_PRIOR 16.0

gsize
lk_embedder_mean_floats (int dim)
{
  return (gsize) dim;
}

/* the mean, shrunk for small catalogs */
void
lk_embedder_mean_fit (float *mean, const float *vectors, gsize n, int dim)
{
  g_autofree double *sum = g_new0 (double, dim);

  for (gsize i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      sum[j] += vectors[i * dim + j];
  for (int j = 0; j < dim; j++)
    mean[j] = n > 0 ? (float) (sum[j] / ((double) n + MEAN_PRIOR)) : 0.0f;
}

void
lk_embedder_mean_apply (const float *mean, float *vector, int dim)
{
  for (int j = 0; j < dim; j++)
    vector[j] -= mean[j];
}
