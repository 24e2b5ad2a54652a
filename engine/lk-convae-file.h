/* lk-convae-file.h: the conv-ae model file, a self-describing safetensors file.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tensors carry torch's names for the network (encoder.0.weight, …); "__metadata__" holds
 *   format        "lookalike-conv-ae", version "1"
 *   config        {"channels":3,"input_size":64,"latent":128,"slope":0.2,"stages":3,"widths":[…]}
 *   architecture  every layer in order (lk_conv_ae_architecture_json ())
 *   preprocess    how photos become the square input ("center-crop")
 *   training      {"seed","epochs","batch","learning_rate","weight_decay","denoise","augment",
 *                  "invariance",
 *                  "train_loss":[…],"val_loss":[…],"best_epoch","n_train","n_val","seconds"}
 *   catalog_root  the folder it was trained on; date, ISO 8601 UTC
 * A file from anywhere is untrusted: its config must build, its architecture must be the config's,
 * and its tensors must be exactly the config's, finite, with their shapes.
 */
#pragma once

#include "lookalike.h"
#include "models/lk-convae.h"

G_BEGIN_DECLS

typedef struct
{
  LkConvAeConfig config;
  LkPreprocess preprocess;
  char *catalog_root;
  char *date;
  /* training */
  guint64 seed;
  int epochs;
  int batch;
  double learning_rate, weight_decay, denoise, invariance;
  gboolean augment;
  GArray *train_loss; /* (element-type double) */
  GArray *val_loss;   /* (element-type double) */
  int best_epoch;
  guint n_train, n_val;
  double seconds;
} LkConvAeInfo;

LkConvAeInfo *lk_conv_ae_info_new (void);
void lk_conv_ae_info_free (LkConvAeInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkConvAeInfo, lk_conv_ae_info_free)

/* Writes @model's parameters and @info atomically to @path. */
gboolean lk_conv_ae_file_save (const char *path, const LkConvAe *model, const LkConvAeInfo *info,
                               GError **error);

/* Reads a model file: LK_ERROR_BAD_WEIGHTS naming the file and what is wrong.
 * @info, @sha256: (out) (optional) (transfer full)
 * Returns: (transfer full) (nullable) */
LkConvAe *
lk_conv_ae_file_load (const char *path, LkConvAeInfo **info, char **sha256, GError **error);

G_END_DECLS
