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
 * In the manner of lk-convae.h: a Config, the parameters as named, shape-commented pointers carved
 * out of one allocation, and one table of {name, shape, offset} that saving, loading, training and
 * the tests walk. Every method starts with
 *   in_mean     (D)     the upstream vectors' centre, subtracted before normalising
 * The linear compressor ("pca", principal components) then has
 *   mean        (D)     the prepared vectors' mean: the codes' origin
 *   components  (d, D)  orthonormal rows, by decreasing variance
 *   variance    (d)     the prepared vectors' variance along each
 *   code = components · (prepared − mean); its reconstruction, mean + componentsᵀ · code.
 * The two learned ones ("ae", "nbr") are the same multilayer perceptron, D → h → h → d → h → h → D
 * (PyTorch's Linear layers, ReLU between them, none on the code or the output):
 *   enc1.weight (h, D), enc1.bias (h), enc2.weight (h, h), enc2.bias (h),
 *   enc3.weight (d, h), enc3.bias (d)     the encoder: prepared vector → code
 *   dec1.weight (h, d), dec1.bias (h), dec2.weight (h, h), dec2.bias (h),
 *   dec3.weight (D, h), dec3.bias (D)     the decoder: code → prepared vector
 * With 8-bit codes (config.int8), every method ends with
 *   q_offset (d), q_scale (d)   unit code u ≈ q_offset + q_scale · c, c = 0…255 per dimension
 * fitted on the catalog's unit codes (their range in each dimension).
 * "ae" trains both to reconstruct; "nbr" trains the encoder to keep each item's neighbours
 * (lk-compressor-train.c), and the decoder beside it, so that its codes can be decoded too.
 * This file reads and writes no file (the pipeline's job, lk-compressor-file.c).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LK_COMPRESSOR_MAX_DIM     8192
#define LK_COMPRESSOR_MAX_LATENT  1024
#define LK_COMPRESSOR_MAX_HIDDEN  4096
#define LK_COMPRESSOR_MAX_TENSORS 16
#define LK_COMPRESSOR_N_LAYERS    6 /* of the MLP: enc1, enc2, enc3, dec1, dec2, dec3 */

typedef enum
{
  LK_COMPRESSOR_PCA, /* "pca": the leading principal components */
  LK_COMPRESSOR_AE,  /* "ae": the MLP, trained to reconstruct (mean squared error) */
  LK_COMPRESSOR_NBR, /* "nbr": the MLP, its encoder trained to keep neighbourhoods (ListNet) */
} LkCompressorMethod;

typedef struct
{
  LkCompressorMethod method;
  int in_dim;    /* D */
  int latent;    /* d ≤ D */
  int hidden;    /* h, the MLP's width, 1–4096; 0 for "pca" */
  gboolean int8; /* the codes are stored as 8 bits each (latent ≤ 512): q_offset, q_scale */
} LkCompressorConfig;

/* Whether @method is one of the MLP's. */
gboolean lk_compressor_method_is_mlp (LkCompressorMethod method);

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

/* One Linear layer of the MLP: out = weight · in + bias. */
typedef struct
{
  float *weight; /* (out, in) */
  float *bias;   /* (out) */
  int in, out;
} LkCompressorLayer;

typedef struct
{
  LkCompressorConfig config;
  float *params; /* one allocation: every tensor below */
  gsize n_params;
  LkCompressorTensor tensors[LK_COMPRESSOR_MAX_TENSORS];
  int n_tensors;

  float *in_mean; /* (D) */
  /* "pca" (else NULL) */
  float *mean;       /* (D) */
  float *components; /* (d, D) */
  float *variance;   /* (d) */
  /* "ae", "nbr" (else zeroed): enc1, enc2, enc3, dec1, dec2, dec3 */
  LkCompressorLayer layers[LK_COMPRESSOR_N_LAYERS];
  /* 8-bit codes (else NULL) */
  float *q_offset; /* (d) */
  float *q_scale;  /* (d) */
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
/* The codes (n, d) of @n prepared vectors (n, D): one GEMM for "pca", a GEMM per layer for the
 * MLPs (a block of rows at a time). */
void
lk_compressor_encode (const LkCompressor *compressor, float *codes, const float *prepared, gsize n);
/* The same, one dot product at a time in double: the reference the tests hold encode to. */
void lk_compressor_encode_ref (const LkCompressor *compressor, float *codes, const float *prepared,
                               gsize n);
/* The prepared vectors (n, D) @n codes (n, d) stand for: their reconstructions. */
void lk_compressor_decode (const LkCompressor *compressor, float *out, const float *codes, gsize n);

/* 8-bit codes. Fits q_offset and q_scale to the range of each dimension of @n unit codes (n, d).
 */
void lk_compressor_fit_quantizer (LkCompressor *compressor, const float *unit_codes, gsize n);
/* @n unit codes (n, d) to bytes, each the nearest step (clamped to the range fitted). */
void lk_compressor_quantize (const LkCompressor *compressor, guint8 *out, const float *unit_codes,
                             gsize n);
/* The codes (n, d) @n byte codes stand for: q_offset + q_scale · byte. */
void
lk_compressor_dequantize (const LkCompressor *compressor, float *out, const guint8 *bytes, gsize n);

/* Fits the principal components of @n raw upstream vectors @vectors (n, D), centred on @in_mean
 * (D) and normalised, keeping the d of most variance; the largest entry (by magnitude) of each
 * component is made positive, so a fit is the same every time. Fewer vectors than d + 1 is
 * LK_ERROR_INVALID_ARGUMENT; a failure of the eigensolver is LK_ERROR_FAILED. */
gboolean lk_compressor_fit_pca (LkCompressor *compressor, const float *in_mean,
                                const float *vectors, gsize n, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Training the MLP ("ae", "nbr"): lk-compressor-train.c                                           */
/* ---------------------------------------------------------------------------------------------- */

/* Sets every layer as PyTorch's Linear does, weight and bias uniform in ±1 / sqrt (fan_in), layer
 * by layer from enc1 (in_mean is left as it is). */
void lk_compressor_init_mlp (LkCompressor *compressor, guint64 seed);

/* What one training step needs: the gradients and Adam's moments (the params' layout), and the
 * activations of one batch of up to max_batch rows, kept from forward for backward. */
typedef struct _LkCompressorRun LkCompressorRun;

/* Returns: (transfer full) (nullable) NULL when out of memory */
LkCompressorRun *lk_compressor_run_new (LkCompressor *compressor, int max_batch, int n_threads);
void lk_compressor_run_free (LkCompressorRun *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCompressorRun, lk_compressor_run_free)

/* (n_params) the gradients, in the params' layout; in_mean's stay zero */
float *lk_compressor_run_get_grads (LkCompressorRun *run);
void lk_compressor_zero_grad (LkCompressorRun *run);
/* The loss of @B ≥ 2 prepared rows @x (B, D), which backward takes the gradient of. rec (the
 * reconstruction error) is |x − decode (encode (x))|² summed over the D values, the mean over the
 * rows. "ae": loss = rec. "nbr": loss = ListNet (x, codes; @tau) + @rec_weight · rec, and the
 * decoder learns from rec beside it: d/d(decoder) is that of rec (weight 1) whatever @rec_weight,
 * the encoder's that of the loss. In PyTorch's terms, for nbr,
 *   listnet + rec_weight · rec (z) + (1 − rec_weight) · rec (z.detach ()).
 * @rec_out: (out) (optional) the reconstruction error */
float lk_compressor_forward (LkCompressorRun *run, const float *x, int B, float tau,
                             float rec_weight, float *rec_out);
/* Adds the last forward's gradients to the run's. */
void lk_compressor_backward (LkCompressorRun *run);
/* One Adam step (betas 0.9, 0.999, eps 1e-8, no weight decay) of every layer's parameters. */
void lk_compressor_update (LkCompressorRun *run, float lr);

typedef struct
{
  guint64 seed;   /* the initial weights, the validation rows, the batches */
  int epochs;     /* at most, 1–10000; a plateau stops it earlier */
  int batch;      /* rows per step, 8–4096 */
  float lr;       /* Adam's learning rate at the start; each plateau halves it */
  float tau;      /* "nbr": the softmaxes' temperature, 0.005–1 */
  float rec;      /* "nbr": the weight of the reconstruction error in the encoder's loss, 0–10 */
  int neighbours; /* "nbr": each anchor of a batch comes with this many of its neighbours, 0–15 */
  int pool;       /* "nbr": drawn from its nearest this many, neighbours–100 */
  int max_rows;   /* trained on at most this many rows (a random subset of more), 16– */
  int n_threads;  /* 0: every core */
} LkCompressorTrainParams;

/* What the measurements behind the README's table chose (tests/bench/eval-compress.py). */
LkCompressorTrainParams lk_compressor_train_default_params (LkCompressorMethod method);
/* LK_ERROR_INVALID_ARGUMENT naming the value out of range. */
gboolean lk_compressor_train_params_check (const LkCompressorTrainParams *params, GError **error);

typedef struct
{
  int phase;         /* 1; "nbr" then 2: the decoder alone, on the codes as they are kept */
  int epoch, epochs; /* finished, at most */
  int best_epoch;    /* whose weights are kept */
  double loss;       /* the epoch's mean training loss */
  double score;      /* on the validation rows: "ae" and phase 2 −(mean squared error), "nbr"
                      * recall@10 */
  double best_score;
  float lr;
  gsize n_train, n_val;
} LkCompressorTrainProgress;

typedef void (*LkCompressorTrainFunc) (const LkCompressorTrainProgress *progress,
                                       gpointer user_data);

/* Trains @compressor's MLP (initialised here from @params->seed) on @n raw upstream vectors
 * @vectors (n, D), prepared with @in_mean: 10 % of them (at least one) are held out to choose the
 * epoch whose weights are kept, and a plateau (no progress for about 100 steps, and 5 epochs)
 * halves the learning rate; the fifth plateau ends it. "ae" watches the held-out rows'
 * reconstruction error (and so does "nbr"'s second phase, the decoder alone on the codes); "nbr" whether their 10 nearest among the rows (4,096 at most) by code are
 * those by vector. Reports each epoch to @progress on this thread. Fewer than 16 vectors is
 * LK_ERROR_INVALID_ARGUMENT; cancelling leaves @compressor undefined.
 * @result: (out) (optional) the first phase's last report */
gboolean
lk_compressor_train (LkCompressor *compressor, const float *in_mean, const float *vectors, gsize n,
                     const LkCompressorTrainParams *params, LkCompressorTrainFunc progress,
                     gpointer user_data, LkCompressorTrainProgress *result,
                     GCancellable *cancellable, GError **error);

G_END_DECLS
