/* lk-embedder-compressed.c: the compressed backend: codes made of an upstream CNN backend's
 * vectors by a compressor fitted on a catalog's own vectors (lk-compressor.h).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A photo goes through the upstream embedder (its own state, slots and threads), then the
 * compressor; a catalog's vectors are made from its stored upstream vectors without decoding a
 * photo (lk_embedder_compress (), the indexer's job). Its identity holds the upstream's: the
 * compressor of one CNN's vectors never compresses another's.
 */
#define G_LOG_DOMAIN "lk-embedder"

#include "lk-compressor-file.h"
#include "lk-embedder.h"

#include <string.h>

typedef struct
{
  LkCompressor *compressor;
  LkEmbedder *upstream;
} Priv;

typedef struct
{
  LkEmbedderState *upstream;
  float *vectors; /* (max_batch, D): the upstream's, then prepared */
} State;

static void
compressed_finalize (LkEmbedder *embedder)
{
  Priv *priv = embedder->priv;

  lk_compressor_free (priv->compressor);
  lk_embedder_unref (priv->upstream);
  g_free (priv);
}

static gpointer
compressed_state_new (LkEmbedder *embedder, int n_threads, int max_batch, GError **error)
{
  Priv *priv = embedder->priv;
  LkEmbedderState *upstream = lk_embedder_state_new (priv->upstream, n_threads, max_batch, error);
  State *state;

  if (!upstream)
    return NULL;
  state = g_new0 (State, 1);
  state->upstream = upstream;
  state->vectors = g_new (float, (gsize) max_batch * priv->compressor->config.in_dim);
  return state;
}

static void
compressed_state_free (gpointer data)
{
  State *state = data;

  lk_embedder_state_free (state->upstream);
  g_free (state->vectors);
  g_free (state);
}

static gboolean
compressed_prepare (LkEmbedder *embedder, gpointer data, int slot, const LkImage *image,
                    GError **error)
{
  return lk_embedder_state_prepare (((State *) data)->upstream, slot, image, error);
}

static void
compressed_move_slot (LkEmbedder *embedder, gpointer data, int to, int from)
{
  lk_embedder_state_move_slot (((State *) data)->upstream, to, from);
}

static gboolean
compressed_embed (LkEmbedder *embedder, gpointer data, int n, float *out, GCancellable *cancellable,
                  GError **error)
{
  State *state = data;
  Priv *priv = embedder->priv;

  if (!lk_embedder_state_embed (state->upstream, n, state->vectors, cancellable, error))
    return FALSE;
  lk_compressor_prepare (priv->compressor, state->vectors, (gsize) n);
  lk_compressor_encode (priv->compressor, out, state->vectors, (gsize) n);
  return TRUE;
}

static void
compressed_run_tasks (gpointer data, int n_tasks, NnTaskFunc func, void *ctx)
{
  lk_embedder_state_run_tasks (((State *) data)->upstream, n_tasks, func, ctx);
}

const LkEmbedderClass lk_embedder_compressed_class = {
  .backend = LK_BACKEND_COMPRESSED,
  .input = LK_EMBEDDER_TAKES_VECTORS,
  .finalize = compressed_finalize,
  .state_new = compressed_state_new,
  .state_free = compressed_state_free,
  .prepare = compressed_prepare,
  .move_slot = compressed_move_slot,
  .embed = compressed_embed,
  .run_tasks = compressed_run_tasks,
  /* the codes are centred already, and searched by cosine as they are */
};

LkEmbedder *
lk_embedder_new_compressed (const char *path, LkEmbedder *upstream, GError **error)
{
  g_autoptr (LkCompressorInfo) info = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr (LkCompressor) compressor = lk_compressor_file_load (path, &info, &sha256, error);
  const LkModelIdentity *up = lk_embedder_get_identity (upstream);
  LkModelIdentity *identity;
  LkEmbedder *embedder;
  Priv *priv;

  if (!compressor)
    return NULL;
  if (!lk_model_identity_equal (info->upstream, up))
    {
      g_autofree char *shown = g_filename_display_basename (path);
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s was fitted on the vectors of other weights (%s, sha256 %.12s…) than these "
                   "(%s, sha256 %.12s…): train it again (lookalike-cli train --backend compressed)",
                   shown, info->upstream->model, info->upstream->weights_sha256, up->model,
                   up->weights_sha256);
      return NULL;
    }

  identity = g_new0 (LkModelIdentity, 1);
  identity->backend = LK_BACKEND_COMPRESSED;
  identity->model = g_strdup (lk_compressor_method_to_string (compressor->config.method));
  identity->weights_sha256 = g_strdup (sha256);
  identity->weights_path = g_canonicalize_filename (path, NULL);
  identity->input_size = up->input_size;
  identity->preprocess = up->preprocess;
  identity->dim = compressor->config.latent;
  identity->vector_type = compressor->config.int8 ? LK_VECTOR_UINT8 : LK_VECTOR_FLOAT32;
  identity->upstream = lk_model_identity_copy (up);
  embedder = lk_embedder_new (&lk_embedder_compressed_class, identity);
  embedder->decode = *lk_embedder_get_decode_params (upstream);
  priv = g_new0 (Priv, 1);
  priv->compressor = g_steal_pointer (&compressor);
  priv->upstream = lk_embedder_ref (upstream);
  embedder->priv = priv;
  return embedder;
}

LkEmbedder *
lk_embedder_get_upstream (LkEmbedder *embedder)
{
  if (embedder->klass != &lk_embedder_compressed_class)
    return NULL;
  return ((Priv *) embedder->priv)->upstream;
}

void
lk_embedder_compress (LkEmbedder *embedder, const float *vectors, gsize n, float *out)
{
  Priv *priv;
  g_autofree float *prepared = NULL;

  g_return_if_fail (embedder->klass == &lk_embedder_compressed_class);
  priv = embedder->priv;
  prepared = g_memdup2 (vectors, n * priv->compressor->config.in_dim * sizeof (float));
  lk_compressor_prepare (priv->compressor, prepared, n);
  lk_compressor_encode (priv->compressor, out, prepared, n);
}

void
lk_embedder_quantize (LkEmbedder *embedder, const float *codes, gsize n, guint8 *out)
{
  Priv *priv;
  g_autofree float *unit = NULL;

  g_return_if_fail (embedder->klass == &lk_embedder_compressed_class);
  priv = embedder->priv;
  g_return_if_fail (priv->compressor->config.int8);
  unit = g_memdup2 (codes, n * priv->compressor->config.latent * sizeof (float));
  lk_vectors_normalize (unit, n, priv->compressor->config.latent);
  lk_compressor_quantize (priv->compressor, out, unit, n);
}
