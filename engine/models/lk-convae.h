/* lk-convae.h: the convolutional autoencoder, trained in C on a catalog's own photos.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In the manner of llm.c's train_gpt2.c: a Config; the parameters as named, shape-commented
 * pointers carved out of one allocation; their gradients and AdamW's two moments in the same
 * layout; activations allocated for one batch size and kept for the backward pass. One table of
 * {name, shape, offset} drives initialisation, zeroing the gradients (one memset), the optimizer
 * (one flat loop), saving and loading (the pipeline's job: this file reads and writes no file) and
 * the tests.
 *
 * The network (S = input size, n = stages, w = widths, s = S / 2ⁿ, F = w[n-1]·s·s):
 *   encoder.i     i < n: conv 3×3, stride 2, padding 1, w[i-1] → w[i] (w[-1] = 3), LeakyReLU
 *   to_latent     flatten (C, H, W), dense F → L: the latent code z, no activation
 *   from_latent   dense L → F, LeakyReLU, unflatten to (w[n-1], s, s)
 *   decoder.i     i < n: 2× nearest upsampling, conv 3×3 stride 1 padding 1, w[n-1-i] → w[n-2-i]
 *                 (3 for the last), LeakyReLU, except the last: sigmoid, the reconstruction
 * The loss is the binary cross-entropy of the reconstruction against the clean image, computed on
 * the logits (PyTorch's BCEWithLogitsLoss, mean over every value): with a mean squared error
 * through the sigmoid, a learning rate of 2e-3 saturated the output in the first epoch on a small
 * catalog and the gradients vanished for good; this loss has no such trap. Activations
 * are (C, B, H, W) as everywhere in nn/, so a batch is one GEMM per layer.
 */
#pragma once

#include "nn.h"

#include <glib.h>

G_BEGIN_DECLS

#define LK_CONV_AE_MAX_STAGES     3
#define LK_CONV_AE_MIN_INPUT_SIZE 16
#define LK_CONV_AE_MAX_INPUT_SIZE 256
#define LK_CONV_AE_MIN_LATENT     2
#define LK_CONV_AE_MAX_LATENT     1024
#define LK_CONV_AE_MAX_WIDTH      512
/* encoder + 2 dense + decoder, a weight and a bias each */
#define LK_CONV_AE_MAX_TENSORS (2 * (2 * LK_CONV_AE_MAX_STAGES + 2))

typedef struct
{
  int input_size; /* S: a multiple of 2^stages */
  int channels;   /* 3: grey photos are replicated */
  int latent;     /* L */
  int stages;     /* n: stride-2 convolutions in the encoder, upsamplings in the decoder */
  int widths[LK_CONV_AE_MAX_STAGES]; /* channels after each encoder stage */
  float slope;                       /* LeakyReLU's negative slope */
} LkConvAeConfig;

/* The default shape for @input_size and @latent: 3 stages of 32, 64, 128 channels (2 when the
 * size is a multiple of 4 but not of 8, as 28 is), slope 0.2. */
LkConvAeConfig lk_conv_ae_config_default (int input_size, int latent);
/* Whether @config describes a network this code builds; LK_ERROR_INVALID_ARGUMENT says why. */
gboolean lk_conv_ae_config_check (const LkConvAeConfig *config, GError **error);

typedef struct
{
  char name[24]; /* "encoder.0.weight": torch's names for the same network */
  int n_dims;
  gint64 shape[4];
  gsize offset; /* floats from the start of the arena */
  gsize size;   /* floats */
  int fan_in;   /* for He initialisation; 0 for a bias */
} LkConvAeTensor;

/* Pointers into one arena: the parameters, or their gradients, or a moment, all alike. */
typedef struct
{
  float *enc_w[LK_CONV_AE_MAX_STAGES]; /* (w[i], c_in, 3, 3) */
  float *enc_b[LK_CONV_AE_MAX_STAGES]; /* (w[i]) */
  float *lat_w;                        /* (L, F) */
  float *lat_b;                        /* (L) */
  float *unlat_w;                      /* (F, L) */
  float *unlat_b;                      /* (F) */
  float *dec_w[LK_CONV_AE_MAX_STAGES]; /* (c_out, c_in, 3, 3) */
  float *dec_b[LK_CONV_AE_MAX_STAGES]; /* (c_out) */
} LkConvAeTensors;

typedef struct
{
  LkConvAeConfig config;
  LkConvAeTensor tensors[LK_CONV_AE_MAX_TENSORS];
  int n_tensors;
  gsize n_params;

  float *params; /* (n_params): the arena */
  LkConvAeTensors p;
  /* training state, allocated by lk_conv_ae_enable_training () */
  float *grads; /* (n_params) */
  float *m;     /* (n_params) */
  float *v;     /* (n_params) */
  LkConvAeTensors g;
  int step; /* AdamW steps taken */
} LkConvAe;

/* A network of @config with its parameters zeroed. Returns: (nullable) NULL and
 * LK_ERROR_INVALID_ARGUMENT for a config lk_conv_ae_config_check () refuses, LK_ERROR_FAILED when
 * out of memory. */
LkConvAe *lk_conv_ae_new (const LkConvAeConfig *config, GError **error);
void lk_conv_ae_free (LkConvAe *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkConvAe, lk_conv_ae_free)

/* He-normal weights from @seed's stream, zero biases. */
void lk_conv_ae_init (LkConvAe *model, guint64 seed);
/* The tensor called @name, or NULL. */
const LkConvAeTensor *lk_conv_ae_lookup (const LkConvAe *model, const char *name);
/* Gradients and moments, zeroed. Returns FALSE when out of memory. */
gboolean lk_conv_ae_enable_training (LkConvAe *model);
void lk_conv_ae_zero_grad (LkConvAe *model);
/* One AdamW step (betas 0.9, 0.999, eps 1e-8) on every parameter, on @pool's threads (nullable). */
void lk_conv_ae_update (LkConvAe *model, float lr, float weight_decay, NnPool *pool);

/* The layers in order as a JSON array, the architecture a model file records:
 * [{"name":"encoder.0","type":"conv2d","in":3,"out":32,"kernel":3,"stride":2,"padding":1,
 *   "activation":"leaky_relu","slope":0.2},…]. Returns: (transfer full) */
char *lk_conv_ae_architecture_json (const LkConvAeConfig *config);

/* Activations and scratch for batches of up to max_batch images, kept for the backward pass. */
typedef struct _LkConvAeRun LkConvAeRun;

/* @training: also the decoder, the activation gradients and the scratch the backward needs
 * (otherwise only what encoding takes). Returns: (nullable) NULL when out of memory. */
LkConvAeRun *lk_conv_ae_run_new (LkConvAe *model, int max_batch, gboolean training, int n_threads);
void lk_conv_ae_run_free (LkConvAeRun *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkConvAeRun, lk_conv_ae_run_free)

/* The run's input buffer (3, max_batch, S, S), to be filled before a pass: for @B images, the
 * first 3·B·S·S floats in the (C, B, H, W) layout. */
float *lk_conv_ae_run_get_input (LkConvAeRun *run);

/* Puts image @b of a batch of @B into the input: @rgb (S, S, 3) 8-bit, as x / 255. */
void lk_conv_ae_set_input (LkConvAeRun *run, int B, int b, const guint8 *rgb);

/* Encodes the first @B images of the input: latent (B, L). */
const float *lk_conv_ae_encode (LkConvAeRun *run, int B, NnPool *pool);
/* Encodes and decodes; with @target (3, B, S, S) returns the loss, else NAN. */
float lk_conv_ae_forward (LkConvAeRun *run, int B, const float *target, NnPool *pool);
/* The last forward's latent codes (B, L) and reconstructions (3, B, S, S). */
const float *lk_conv_ae_get_latent (LkConvAeRun *run);
const float *lk_conv_ae_get_reconstruction (LkConvAeRun *run);
/* Adds the gradients of the last forward's loss (times @loss_scale) to the model's, plus those of
 * any term the caller computed on the latent code: @dlatent (B, L) or NULL. */
void lk_conv_ae_backward (LkConvAeRun *run, const float *target, float loss_scale,
                          const float *dlatent, NnPool *pool);

/* The augmentation-invariance term: λ · the mean over B pairs of 1 − cos (z_a, z_b), the two
 * views of image i being rows i and B + i of @z (2B, L). Returns it, and writes its gradient with
 * respect to @z to @dz (2B, L), for lk_conv_ae_backward ()'s @dlatent. */
double lk_conv_ae_invariance_loss (float *dz, const float *z, int B, int L, float lambda);

G_END_DECLS
