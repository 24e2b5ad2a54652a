/* lk-compressor.h: compressors of another backend's vectors into short codes.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The compressed backend searches a catalog by codes of d numbers (16–256) made from its CNN
 * vectors of D (512, 2048). A vector goes through what a search does to it first — centring on the
 * catalog mean the compressor was fitted with (in_mean) and L2 normalisation, "preparing" it —
 * and the code is made of the prepared vector: searching codes by cosine then stands in for
 * searching the CNN vectors by cosine.
 *
 * The linear compressor (principal components), in the manner of lk-convae.h: a Config, the
 * parameters as named, shape-commented pointers carved out of one allocation, and one table of
 * {name, shape, offset} that saving, loading and the tests walk:
 *   in_mean     (D)     the upstream vectors' centre, subtracted before normalising
 *   mean        (D)     the prepared vectors' mean: the codes' origin
 *   components  (d, D)  orthonormal rows, by decreasing variance
 *   variance    (d)     the prepared vectors' variance along each
 *   code = components · (prepared − mean); its reconstruction, mean + componentsᵀ · code.
 * This file reads and writes no file (the pipeline's job, lk-compressor-file.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LK_COMPRESSOR_MAX_DIM     8192
#define LK_COMPRESSOR_MAX_LATENT  1024
#define LK_COMPRESSOR_MAX_TENSORS 4

typedef enum
{
  LK_COMPRESSOR_PCA, /* "pca": the leading principal components */
} LkCompressorMethod;

typedef struct
{
  LkCompressorMethod method;
  int in_dim; /* D */
  int latent; /* d ≤ D */
} LkCompressorConfig;

/* LK_ERROR_INVALID_ARGUMENT naming what is out of range: "latent size 600 is over the vectors'
 * 512 dimensions". */
gboolean lk_compressor_config_check (const LkCompressorConfig *config, GError **error);
const char *lk_compressor_method_to_string (LkCompressorMethod method);
gboolean lk_compressor_method_from_string (const char *name, LkCompressorMethod *method);

typedef struct
{
  char name[16];
  int ndim;
  int shape[2];
  gsize offset; /* in floats, into params */
  gsize size;   /* floats */
} LkCompressorTensor;

typedef struct
{
  LkCompressorConfig config;
  float *params; /* one allocation: every tensor below */
  gsize n_params;
  LkCompressorTensor tensors[LK_COMPRESSOR_MAX_TENSORS];
  int n_tensors;

  float *in_mean;    /* (D) */
  float *mean;       /* (D) */
  float *components; /* (d, D) */
  float *variance;   /* (d) */
} LkCompressor;

/* Zeroed parameters for @config (checked). Returns: (transfer full) (nullable) */
LkCompressor *lk_compressor_new (const LkCompressorConfig *config, GError **error);
void lk_compressor_free (LkCompressor *compressor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCompressor, lk_compressor_free)

/* Returns: (nullable) the tensor named @name */
const LkCompressorTensor *lk_compressor_lookup (const LkCompressor *compressor, const char *name);

/* Prepares @n raw upstream vectors @x (n, D) in place: centred on in_mean, L2-normalised (a zero
 * vector stays zero). */
void lk_compressor_prepare (const LkCompressor *compressor, float *x, gsize n);
/* The codes (n, d) of @n prepared vectors (n, D): one GEMM. */
void
lk_compressor_encode (const LkCompressor *compressor, float *codes, const float *prepared, gsize n);
/* The same, one dot product at a time in double: the reference the tests hold encode to. */
void lk_compressor_encode_ref (const LkCompressor *compressor, float *codes, const float *prepared,
                               gsize n);
/* The prepared vectors (n, D) @n codes (n, d) stand for. */
void lk_compressor_decode (const LkCompressor *compressor, float *out, const float *codes, gsize n);

/* Fits the principal components of @n raw upstream vectors @vectors (n, D), centred on @in_mean
 * (D) and normalised, keeping the d of most variance; the largest entry (by magnitude) of each
 * component is made positive, so a fit is the same every time. Fewer vectors than d + 1 is
 * LK_ERROR_INVALID_ARGUMENT; a failure of the eigensolver is LK_ERROR_FAILED. */
gboolean lk_compressor_fit_pca (LkCompressor *compressor, const float *in_mean,
                                const float *vectors, gsize n, GError **error);

G_END_DECLS
