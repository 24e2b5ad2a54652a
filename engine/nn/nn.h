/* nn.h: neural-network kernels in plain C on top of cblas.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This folder includes nothing above it: no GLib, no engine headers.
 *
 * Activation layout is (C, B, H, W): channel-major across the batch. A convolution over a whole
 * batch is then one GEMM with B·H·W columns, concatenating channels is placing the second tensor
 * after the first, and a (C, B, H, W) tensor for B = 1 is the same bytes as PyTorch's (1, C, H, W).
 *
 * Conventions (llm.c): outputs first, then inputs, then weights, then dimensions, then the
 * execution context; a shape comment on every tensor pointer. Every fast kernel has a naive
 * reference kernel beside it (suffix _ref) that the tests compare it against.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------------- */
/* Worker threads                                                                                  */
/* ---------------------------------------------------------------------------------------------- */

/* A fixed set of threads that run the tasks of one parallel loop at a time. The calling thread is
 * one of the workers, so a pool of 1 runs everything inline. Idle workers spin briefly, then
 * sleep. OpenBLAS must be single-threaded while kernels run on a pool (nn_blas_init). */
typedef struct NnPool NnPool;

typedef void (*NnTaskFunc) (void *ctx, int task, int thread);

/* Returns NULL when a thread cannot be created. */
NnPool *nn_pool_new (int n_threads);
void nn_pool_free (NnPool *pool);
int nn_pool_get_n_threads (const NnPool *pool);
/* Runs func (ctx, task, thread) for task in [0, n_tasks), thread in [0, n_threads); returns when
 * all are done. pool may be NULL (runs inline). Not reentrant. */
void nn_pool_run (NnPool *pool, int n_tasks, NnTaskFunc func, void *ctx);

/* Sets OpenBLAS to one thread, once per process: parallelism comes from NnPool, never from both at
 * once. */
void nn_blas_init (void);

/* Use the portable kernels even where AVX-512 ones exist (tests run both); false goes back to
 * what the CPU supports. Affects convolutions initialised afterwards. */
void nn_set_generic_kernels (bool generic);

/* ---------------------------------------------------------------------------------------------- */
/* GEMM against weights packed once                                                               */
/* ---------------------------------------------------------------------------------------------- */

enum
{
  NN_PACK_ROWS = 8,
};

/* Whether nn_gemm_packed has its AVX-512 kernels on this CPU (and they are not switched off). */
bool nn_gemm_packed_available (void);
/* Floats of nn_pack_a's output. */
size_t nn_pack_a_floats (int M, int K);
/* Packs A for nn_gemm_packed: panels of 8 rows, (ceil (M / 8), K, 8), zero-padded. */
void nn_pack_a (float *packed,  /* (ceil (M / 8), K, 8) */
                const float *a, /* (M, K) */
                int M, int K);
/* c = A · b, A packed by nn_pack_a. */
void nn_gemm_packed (float *c,                        /* (M, N), row stride ldc */
                     size_t ldc, const float *packed, /* (ceil (M / 8), K, 8) */
                     const float *b,                  /* (K, N), row stride ldb */
                     size_t ldb, int M, int N, int K);
void nn_gemm_packed_ref (float *c, size_t ldc, const float *packed, const float *b, size_t ldb,
                         int M, int N, int K);

/* ---------------------------------------------------------------------------------------------- */
/* Convolution                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

typedef enum
{
  NN_CONV_ALGO_GEMM,        /* im2col (skipped for 1×1 stride 1) + sgemm */
  NN_CONV_ALGO_WINOGRAD,    /* F(4×4, 3×3) Winograd: 36 GEMMs on transformed tiles */
  NN_CONV_ALGO_WINOGRAD_F2, /* F(2×2, 3×3) Winograd: 16 GEMMs, four times the tiles */
} NnConvAlgo;

typedef enum
{
  NN_WINO_F2,
  NN_WINO_F4,
  NN_WINO_N_VARIANTS,
} NnWinoVariant;

typedef struct
{
  int c_in, c_out; /* channels */
  int k;           /* square kernel side */
  int stride, pad; /* same in both directions */
  /* borrowed */
  const float *weight; /* (c_out, c_in, k, k) */
  const float *bias;   /* (c_out), or NULL */
  /* owned: Winograd-transformed weights per variant, NULL unless 3×3 stride 1. Plain they are
   * (P, c_out, c_in); when wino_packed, P × nn_pack_a's (ceil (c_out / 8), c_in, 8). */
  float *wino[NN_WINO_N_VARIANTS];
  bool wino_packed;
} NnConv;

int nn_conv_out_size (int in, int k, int stride, int pad);

/* Fills @conv; computes both variants' Winograd weights when the shape allows it (3×3, stride 1).
 * Returns false when out of memory. */
bool nn_conv_init (NnConv *conv, int c_in, int c_out, int k, int stride, int pad,
                   const float *weight, const float *bias);
void nn_conv_clear (NnConv *conv);

/* The algorithm nn_conv2d_forward uses for this input shape: the one with the least vector work,
 * counting multiplications per tile (or output) and rounding tiles up to whole 16-wide vectors. */
NnConvAlgo nn_conv_pick_algo (const NnConv *conv, int B, int H, int W);

/* Scratch floats that nn_conv2d_forward needs for this input shape with n_threads threads, with
 * whichever algorithm it picks or is told to use. */
size_t nn_conv_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads);

/* out = act (conv (inp) + bias + residual). residual may be NULL; act is ReLU when relu is set.
 * out must not alias inp; it may alias residual. algo forces an algorithm (-1 = pick). */
void nn_conv2d_forward (float *out,            /* (c_out, B, Ho, Wo) */
                        const float *inp,      /* (c_in, B, H, W) */
                        const float *residual, /* (c_out, B, Ho, Wo) or NULL */
                        const NnConv *conv, int B, int H, int W, bool relu, int algo, NnPool *pool,
                        float *scratch);

/* Direct seven-loop convolution, double accumulation: the reference. */
void nn_conv2d_forward_ref (float *out,          /* (OC, B, Ho, Wo) */
                            const float *inp,    /* (C, B, H, W) */
                            const float *weight, /* (OC, C, K, K) */
                            const float *bias,   /* (OC) or NULL */
                            int B, int C, int H, int W, int OC, int K, int stride, int pad);

/* ---------------------------------------------------------------------------------------------- */
/* Pooling, activations, tensor plumbing                                                           */
/* ---------------------------------------------------------------------------------------------- */

/* PyTorch's output size for pooling, including ceil_mode's rule that the last window must start
 * inside the input or its left padding. */
int nn_pool_out_size (int in, int k, int stride, int pad, bool ceil_mode);

/* Max pooling over P = C·B planes; padding never wins (it is -inf). */
void nn_maxpool2d_forward (float *out,       /* (P, Ho, Wo) */
                           const float *inp, /* (P, H, W) */
                           int P, int H, int W, int k, int stride, int pad, bool ceil_mode,
                           NnPool *pool);
void nn_maxpool2d_forward_ref (float *out,       /* (P, Ho, Wo) */
                               const float *inp, /* (P, H, W) */
                               int P, int H, int W, int k, int stride, int pad, bool ceil_mode);

/* Average pooling (count_include_pad = true, as PyTorch's default). */
void nn_avgpool2d_forward_ref (float *out,       /* (P, Ho, Wo) */
                               const float *inp, /* (P, H, W) */
                               int P, int H, int W, int k, int stride, int pad, bool ceil_mode);

/* Global average pool and transpose to the batch-major layout callers expect. */
void nn_global_avgpool_forward (float *out,       /* (B, C) */
                                const float *inp, /* (C, B, H, W) */
                                int B, int C, int H, int W);

void nn_relu_forward (float *out,       /* (N) */
                      const float *inp, /* (N) */
                      size_t N);
void nn_add_forward (float *out,     /* (N) */
                     const float *a, /* (N) */
                     const float *b, /* (N) */
                     size_t N);

/* Concatenates along channels: out = [a; b]. In the (C, B, H, W) layout this is two copies; the
 * networks avoid even that by writing both halves in place. */
void nn_concat_forward (float *out,     /* (Ca + Cb, B, H, W) */
                        const float *a, /* (Ca, B, H, W) */
                        const float *b, /* (Cb, B, H, W) */
                        int Ca, int Cb, int B, int H, int W);

/* (B, C, H, W) <-> (C, B, H, W) */
void nn_bchw_to_cbhw (float *out,       /* (C, B, H, W) */
                      const float *inp, /* (B, C, H, W) */
                      int B, int C, int H, int W);
void nn_cbhw_to_bchw (float *out,       /* (B, C, H, W) */
                      const float *inp, /* (C, B, H, W) */
                      int B, int C, int H, int W);

/* Folds an eval-mode BatchNorm into the preceding convolution, in place:
 * w[o] *= gamma[o] / sqrt (var[o] + eps); bias[o] = beta[o] + (bias[o] - mean[o]) · that scale. */
void nn_fold_batchnorm (float *weight,      /* (OC, fan_in) */
                        float *bias,        /* (OC), may hold a conv bias or zeros */
                        const float *gamma, /* (OC) */
                        const float *beta,  /* (OC) */
                        const float *mean,  /* (OC) */
                        const float *var,   /* (OC) */
                        int OC, int fan_in, float eps);

/* ---------------------------------------------------------------------------------------------- */
/* Training: forward and backward pairs (nn-train.c)                                               */
/* ---------------------------------------------------------------------------------------------- */

/* Backward kernels accumulate (+=) into their gradients; zeroing them is the caller's. A NULL input
 * gradient is not computed. The same inputs and thread count give bit-identical results. */

/* Scratch floats of nn_conv2d_train_forward and nn_conv2d_backward for this shape. */
size_t nn_conv2d_train_scratch_floats (int B, int C, int H, int W, int OC, int K, int stride,
                                       int pad, int n_threads);

/* out = conv (inp) + bias, im2col + sgemm on the weights as they are (no cached transform). */
void nn_conv2d_train_forward (float *out,          /* (OC, B, Ho, Wo) */
                              const float *inp,    /* (C, B, H, W) */
                              const float *weight, /* (OC, C, K, K) */
                              const float *bias,   /* (OC) or NULL */
                              int B, int C, int H, int W, int OC, int K, int stride, int pad,
                              NnPool *pool, float *scratch);
void nn_conv2d_backward (float *dinp,         /* (C, B, H, W) or NULL */
                         float *dweight,      /* (OC, C, K, K) */
                         float *dbias,        /* (OC) */
                         const float *dout,   /* (OC, B, Ho, Wo) */
                         const float *inp,    /* (C, B, H, W) */
                         const float *weight, /* (OC, C, K, K) */
                         int B, int C, int H, int W, int OC, int K, int stride, int pad,
                         NnPool *pool, float *scratch);
void nn_conv2d_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, int B, int C, int H, int W,
                             int OC, int K, int stride, int pad);

/* out = inp · weightᵀ + bias, PyTorch's Linear. */
void nn_dense_forward (float *out,          /* (B, OUT) */
                       const float *inp,    /* (B, IN) */
                       const float *weight, /* (OUT, IN) */
                       const float *bias,   /* (OUT) or NULL */
                       int B, int IN, int OUT);
void nn_dense_backward (float *dinp,         /* (B, IN) or NULL */
                        float *dweight,      /* (OUT, IN) */
                        float *dbias,        /* (OUT) or NULL */
                        const float *dout,   /* (B, OUT) */
                        const float *inp,    /* (B, IN) */
                        const float *weight, /* (OUT, IN) */
                        int B, int IN, int OUT);
void nn_dense_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, int B, int IN, int OUT);

/* The same on a pool's threads (the batch's rows, then the output rows, split between them). */
void nn_dense_train_forward (float *out, const float *inp, const float *weight, const float *bias,
                             int B, int IN, int OUT, NnPool *pool);
void nn_dense_train_backward (float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, int B, int IN, int OUT,
                              NnPool *pool);

/* LeakyReLU (slope 0: ReLU); its backward takes the forward's input. */
void nn_leaky_relu_forward (float *out,       /* (N) */
                            const float *inp, /* (N) */
                            size_t N, float slope);
void nn_leaky_relu_backward (float *dinp,       /* (N) */
                             const float *dout, /* (N) */
                             const float *inp,  /* (N) */
                             size_t N, float slope);
/* sigmoid; its backward takes the forward's output. */
void nn_sigmoid_forward (float *out,       /* (N) */
                         const float *inp, /* (N) */
                         size_t N);
void nn_sigmoid_backward (float *dinp,       /* (N) */
                          const float *dout, /* (N) */
                          const float *out,  /* (N) */
                          size_t N);
/* Nearest-neighbour upsampling by 2 over P = C·B planes. */
void nn_upsample2x_forward (float *out,       /* (P, 2H, 2W) */
                            const float *inp, /* (P, H, W) */
                            int P, int H, int W);
void nn_upsample2x_backward (float *dinp,       /* (P, H, W) */
                             const float *dout, /* (P, 2H, 2W) */
                             int P, int H, int W);

/* (nn-upconv.c) conv3×3 (upsample2x (inp)) + bias, stride 1, padding 1, as four 2×2 convolutions of
 * inp, one per output phase (the upsampled tensor never exists): out is (OC, B, 2H, 2W). Scratch
 * floats: nn_upconv2d_train_scratch_floats. */
size_t nn_upconv2d_train_scratch_floats (int B, int C, int H, int W, int OC, int n_threads);
void nn_upconv2d_train_forward (float *out,          /* (OC, B, 2H, 2W) */
                                const float *inp,    /* (C, B, H, W) */
                                const float *weight, /* (OC, C, 3, 3) */
                                const float *bias,   /* (OC) or NULL */
                                int B, int C, int H, int W, int OC, NnPool *pool, float *scratch);
void nn_upconv2d_backward (float *dinp,         /* (C, B, H, W) or NULL */
                           float *dweight,      /* (OC, C, 3, 3) */
                           float *dbias,        /* (OC) */
                           const float *dout,   /* (OC, B, 2H, 2W) */
                           const float *inp,    /* (C, B, H, W) */
                           const float *weight, /* (OC, C, 3, 3) */
                           int B, int C, int H, int W, int OC, NnPool *pool, float *scratch);

/* Mean squared error over N values; backward adds scale · d(loss)/d(pred). */
float nn_mse_forward (const float *pred, const float *target, size_t N);
void nn_mse_backward (float *dpred, const float *pred, const float *target, size_t N, float scale);
/* Binary cross-entropy of sigmoid (logits) against targets in [0, 1], mean over N. */
float nn_bce_logits_forward (const float *logits, const float *target, size_t N);
void nn_bce_logits_backward (float *dlogits, const float *logits, const float *target, size_t N,
                             float scale);

/* ListNet distillation of a batch's neighbourhoods (the neighbourhood-preserving compressor's
 * loss). @x holds B unit-length input rows, @z their B codes, compared by cosine through
 * u = z / max (|z|, 1e-12). Each row i spreads a softmax over the batch's other rows: of the
 * inputs' cosines / tau (the target P_i) and of the codes' (Q_i), and
 *   loss = 1/B · Σ_i Σ_{j≠i} P_ij · (log P_ij − log Q_ij),
 * the KL divergence of PyTorch's kl_div (log Q, P, reduction "batchmean"). The forward leaves u,
 * |z|, P and Q in @scratch (nn_listnet_scratch_floats) for the backward, which adds
 * scale · d(loss)/dz to @dz and uses the rest of the scratch as its own. B ≥ 2. */
size_t nn_listnet_scratch_floats (int B, int d);
float nn_listnet_forward (float *scratch, /* nn_listnet_scratch_floats (B, d) */
                          const float *x, /* (B, D) */
                          const float *z, /* (B, d) */
                          int B, int D, int d, float tau);
void nn_listnet_backward (float *dz,      /* (B, d) */
                          float *scratch, /* as the forward left it */
                          int B, int d, float tau, float scale);
/* The same loss, naively in double. */
double nn_listnet_forward_ref (const float *x, const float *z, int B, int D, int d, float tau);

/* One AdamW step on N parameters, as torch.optim.AdamW does it (decoupled weight decay); step
 * counts from 1. */
void nn_adamw_update (float *param, const float *grad, float *m, float *v, size_t N, float lr,
                      float beta1, float beta2, float eps, float weight_decay, int step);

/* A seeded generator (splitmix64) and He's normal initialisation, std = sqrt (2 / fan_in). */
uint64_t nn_rng_next (uint64_t *state);
void nn_init_he_normal (float *weight, size_t N, int fan_in, uint64_t *state);
/* Uniform in (−bound, bound): PyTorch's default for a Linear layer is bound = 1 / sqrt (fan_in),
 * for its weight and its bias alike. */
void nn_init_uniform (float *weight, size_t N, float bound, uint64_t *state);
