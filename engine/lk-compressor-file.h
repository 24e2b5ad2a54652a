/* lk-compressor-file.h: the compressed backend's model file, a self-describing safetensors file.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tensors are the compressor's (lk-compressor.h: in_mean, then mean, components, variance
 * for "pca", or the MLP's six layers for "ae" and "nbr"; then q_offset, q_scale for 8-bit codes);
 * "__metadata__" holds
 *   format        "lookalike-compressor", version "1"
 *   config        {"in_dim":512,"latent":32,"method":"pca"}, or
 *                 {"hidden":512,"in_dim":512,"latent":32,"method":"nbr"}, with "int8":true
 *                 after "in_dim" for 8-bit codes
 *   upstream      the canonical identity (lk_model_identity_to_canonical) of the vectors it was
 *                 fitted on and compresses: a catalog's CNN vectors of other weights are not its
 *   fit           {"n_items":1617,"retained_variance":0.83,"seconds":0.4}
 *   catalog_root  the folder whose vectors it was fitted on; date, ISO 8601 UTC
 * A file from anywhere is untrusted: its config must build, its upstream must be an identity of
 * the config's input size, and its tensors must be exactly the config's, finite, with their
 * shapes.
 */
#pragma once

#include "lookalike.h"
#include "models/lk-compressor.h"

G_BEGIN_DECLS

typedef struct
{
  LkCompressorConfig config;
  LkModelIdentity *upstream;
  char *catalog_root;
  char *date;
  guint64 n_items;
  double retained_variance; /* the share of the prepared vectors' variance the codes keep */
  double seconds;
} LkCompressorInfo;

LkCompressorInfo *lk_compressor_info_new (void);
void lk_compressor_info_free (LkCompressorInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCompressorInfo, lk_compressor_info_free)

/* Writes @compressor and @info (whose config is the compressor's) atomically to @path. */
gboolean lk_compressor_file_save (const char *path, const LkCompressor *compressor,
                                  const LkCompressorInfo *info, GError **error);

/* Reads a compressor file: LK_ERROR_BAD_WEIGHTS naming the file and what is wrong.
 * @info, @sha256: (out) (optional) (transfer full)
 * Returns: (transfer full) (nullable) */
LkCompressor *
lk_compressor_file_load (const char *path, LkCompressorInfo **info, char **sha256, GError **error);

G_END_DECLS
