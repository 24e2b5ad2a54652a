/* nn-train.c: the kernels a model needs to be trained: forward and backward pairs.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every backward kernel accumulates into its gradient outputs (+=); zeroing them is the caller's,
 * one memset of the gradient arena per step. A NULL input gradient means "not needed" (the first
 * layer's). Each fast kernel has a naive _ref beside it, and the tests check every backward one
 * against finite differences of its forward.
 *
 * Convolutions in training run im2col + sgemm on the weights as they are now, never a cached
 * transform (an optimizer step changes them). They split the batch between tasks, a fixed range of
 * images each, so that col2im never writes one input pixel from two threads, and so that the
 * partial weight gradients of the tasks are added in the same order whichever thread ran which
 * task: the same inputs and thread count give bit-identical gradients.
 */
#include "nn-private.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum
{
  GROUP_COL_FLOATS = 512 * 1024, /* columns of a group of images: 2 MiB, in L2 with the weights */
};

/* ---------------------------------------------------------------------------------------------- */
/* Convolution                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  int B, C, H, W, OC, K, stride, pad, Ho, Wo;
  int n_tasks;
  int group; /* images per im2col block */
  size_t col_floats, task_floats;
} ConvShape;

static ConvShape
conv_shape (int B, int C, int H, int W, int OC, int K, int stride, int pad, int n_threads)
{
  ConvShape s = { B, C, H, W, OC, K, stride, pad, 0, 0, 0, 0, 0, 0 };
  size_t per_image;

  s.Ho = nn_conv_out_size (H, K, stride, pad);
  s.Wo = nn_conv_out_size (W, K, stride, pad);
  per_image = (size_t) C * K * K * s.Ho * s.Wo;
  s.group = (int) nn_max (1, (int) (GROUP_COL_FLOATS / nn_max (1, (int) per_image)));
  s.group = nn_min (s.group, B);
  s.n_tasks = nn_max (1, nn_min (n_threads, B));
  s.col_floats = per_image * s.group;
  /* per task: a column block, its partial weight and bias gradients */
  s.task_floats = s.col_floats + (size_t) OC * C * K * K + OC;
  return s;
}

size_t
nn_conv2d_train_scratch_floats (int B, int C, int H, int W, int OC, int K, int stride, int pad,
                                int n_threads)
{
  ConvShape s = conv_shape (B, C, H, W, OC, K, stride, pad, n_threads);
  return s.task_floats * s.n_tasks;
}

/* the output columns wo whose input column wo·stride − pad + k lies inside [0, W) */
static void
valid_range (int W, int Wo, int k, int stride, int pad, int *lo, int *hi)
{
  int first = pad - k, last = W - 1 + pad - k;

  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  *hi = last < 0 ? 0 : nn_min (Wo, last / stride + 1);
  if (*hi < *lo)
    *hi = *lo;
}

/* cols ((c, ky, kx), (b, ho, wo)) for images b0..b1-1 of inp (C, B, H, W); the rows that fall in
 * the padding are zeros, the rest strided copies */
static void
im2col_images (float *cols, const float *inp, const ConvShape *s, int b0, int b1)
{
  size_t n = (size_t) (b1 - b0) * s->Ho * s->Wo;

  for (int c = 0; c < s->C; c++)
    for (int ky = 0; ky < s->K; ky++)
      for (int kx = 0; kx < s->K; kx++)
        {
          float *row = cols + ((size_t) (c * s->K + ky) * s->K + kx) * n;
          int lo, hi, ylo, yhi;
          valid_range (s->W, s->Wo, kx, s->stride, s->pad, &lo, &hi);
          valid_range (s->H, s->Ho, ky, s->stride, s->pad, &ylo, &yhi);
          for (int b = b0; b < b1; b++)
            {
              const float *plane = inp + ((size_t) c * s->B + b) * s->H * s->W;
              for (int ho = 0; ho < s->Ho; ho++, row += s->Wo)
                {
                  if (ho < ylo || ho >= yhi)
                    {
                      memset (row, 0, sizeof (float) * s->Wo);
                      continue;
                    }
                  const float *src = plane + (size_t) (ho * s->stride - s->pad + ky) * s->W
                                     + (lo * s->stride - s->pad + kx);
                  for (int wo = 0; wo < lo; wo++)
                    row[wo] = 0.0f;
                  if (s->stride == 1)
                    memcpy (row + lo, src, sizeof (float) * (hi - lo));
                  else
                    for (int wo = lo; wo < hi; wo++)
                      row[wo] = src[(wo - lo) * s->stride];
                  for (int wo = hi; wo < s->Wo; wo++)
                    row[wo] = 0.0f;
                }
            }
        }
}

/* dinp (C, B, H, W) += col2im (dcols) for images b0..b1-1 */
static void
col2im_images (float *dinp, const float *dcols, const ConvShape *s, int b0, int b1)
{
  size_t n = (size_t) (b1 - b0) * s->Ho * s->Wo;

  for (int c = 0; c < s->C; c++)
    for (int ky = 0; ky < s->K; ky++)
      for (int kx = 0; kx < s->K; kx++)
        {
          const float *row = dcols + ((size_t) (c * s->K + ky) * s->K + kx) * n;
          int lo, hi, ylo, yhi;
          valid_range (s->W, s->Wo, kx, s->stride, s->pad, &lo, &hi);
          valid_range (s->H, s->Ho, ky, s->stride, s->pad, &ylo, &yhi);
          for (int b = b0; b < b1; b++)
            {
              float *plane = dinp + ((size_t) c * s->B + b) * s->H * s->W;
              for (int ho = 0; ho < s->Ho; ho++, row += s->Wo)
                {
                  if (ho < ylo || ho >= yhi)
                    continue;
                  float *dst = plane + (size_t) (ho * s->stride - s->pad + ky) * s->W
                               + (lo * s->stride - s->pad + kx);
                  if (s->stride == 1)
                    for (int wo = lo; wo < hi; wo++)
                      dst[wo - lo] += row[wo];
                  else
                    for (int wo = lo; wo < hi; wo++)
                      dst[(wo - lo) * s->stride] += row[wo];
                }
            }
        }
}

typedef struct
{
  ConvShape s;
  float *out, *dinp, *dweight, *dbias;
  const float *inp, *dout, *weight, *bias;
  float *scratch;
} ConvJob;

static void
task_images (const ConvShape *s, int task, int *b0, int *b1)
{
  *b0 = (int) ((int64_t) s->B * task / s->n_tasks);
  *b1 = (int) ((int64_t) s->B * (task + 1) / s->n_tasks);
}

static void
conv_forward_task (void *ctx, int task, int thread)
{
  ConvJob *job = ctx;
  const ConvShape *s = &job->s;
  float *cols = job->scratch + s->task_floats * task;
  int K2C = s->C * s->K * s->K, b0, b1;
  size_t N = (size_t) s->B * s->Ho * s->Wo, hw = (size_t) s->Ho * s->Wo;

  (void) thread;
  task_images (s, task, &b0, &b1);
  for (int g0 = b0; g0 < b1; g0 += s->group)
    {
      int g1 = nn_min (g0 + s->group, b1);
      int n = (int) ((g1 - g0) * hw);
      float *out = job->out + g0 * hw;
      im2col_images (cols, job->inp, s, g0, g1);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, n, K2C, 1.0f, job->weight, K2C,
                   cols, n, 0.0f, out, (int) N);
      if (job->bias)
        for (int o = 0; o < s->OC; o++)
          for (int j = 0; j < n; j++)
            out[o * N + j] += job->bias[o];
    }
}

void
nn_conv2d_train_forward (float *out, const float *inp, const float *weight, const float *bias,
                         int B, int C, int H, int W, int OC, int K, int stride, int pad,
                         NnPool *pool, float *scratch)
{
  ConvJob job = {
    .s = conv_shape (B, C, H, W, OC, K, stride, pad, pool ? nn_pool_get_n_threads (pool) : 1),
    .out = out,
    .inp = inp,
    .weight = weight,
    .bias = bias,
    .scratch = scratch,
  };

  nn_pool_run (pool, job.s.n_tasks, conv_forward_task, &job);
}

static void
conv_backward_task (void *ctx, int task, int thread)
{
  ConvJob *job = ctx;
  const ConvShape *s = &job->s;
  float *cols = job->scratch + s->task_floats * task;
  float *dw = cols + s->col_floats; /* (OC, K2C) partial */
  float *db = dw + (size_t) s->OC * s->C * s->K * s->K;
  int K2C = s->C * s->K * s->K, b0, b1;
  size_t N = (size_t) s->B * s->Ho * s->Wo, hw = (size_t) s->Ho * s->Wo;

  (void) thread;
  memset (dw, 0, sizeof (float) * ((size_t) s->OC * K2C + s->OC));
  task_images (s, task, &b0, &b1);
  for (int g0 = b0; g0 < b1; g0 += s->group)
    {
      int g1 = nn_min (g0 + s->group, b1);
      int n = (int) ((g1 - g0) * hw);
      const float *dout = job->dout + g0 * hw;

      for (int o = 0; o < s->OC; o++)
        {
          double sum = 0.0;
          for (int j = 0; j < n; j++)
            sum += dout[o * N + j];
          db[o] += (float) sum;
        }
      /* dweight (OC, K2C) += dout (OC, n) · cols (K2C, n)ᵀ */
      im2col_images (cols, job->inp, s, g0, g1);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, K2C, n, 1.0f, dout, (int) N,
                   cols, n, 1.0f, dw, K2C);
      if (job->dinp)
        {
          /* dcols (K2C, n) = weight (OC, K2C)ᵀ · dout (OC, n), into the same block */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K2C, n, s->OC, 1.0f, job->weight,
                       K2C, dout, (int) N, 0.0f, cols, n);
          col2im_images (job->dinp, cols, s, g0, g1);
        }
    }
}

void
nn_conv2d_backward (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                    const float *weight, int B, int C, int H, int W, int OC, int K, int stride,
                    int pad, NnPool *pool, float *scratch)
{
  ConvJob job = {
    .s = conv_shape (B, C, H, W, OC, K, stride, pad, pool ? nn_pool_get_n_threads (pool) : 1),
    .dinp = dinp,
    .dout = dout,
    .inp = inp,
    .weight = weight,
    .scratch = scratch,
  };
  size_t wn = (size_t) OC * C * K * K;

  nn_pool_run (pool, job.s.n_tasks, conv_backward_task, &job);
  /* the tasks' partial gradients, added in task order */
  for (int t = 0; t < job.s.n_tasks; t++)
    {
      const float *dw = scratch + job.s.task_floats * t + job.s.col_floats;
      for (size_t i = 0; i < wn; i++)
        dweight[i] += dw[i];
      for (int o = 0; o < OC; o++)
        dbias[o] += dw[wn + o];
    }
}

void
nn_conv2d_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int B, int C, int H, int W, int OC,
                        int K, int stride, int pad)
{
  int Ho = nn_conv_out_size (H, K, stride, pad), Wo = nn_conv_out_size (W, K, stride, pad);

  for (int o = 0; o < OC; o++)
    for (int b = 0; b < B; b++)
      for (int ho = 0; ho < Ho; ho++)
        for (int wo = 0; wo < Wo; wo++)
          {
            float g = dout[(((size_t) o * B + b) * Ho + ho) * Wo + wo];
            dbias[o] += g;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int y = ho * stride - pad + ky, x = wo * stride - pad + kx;
                    if (y < 0 || y >= H || x < 0 || x >= W)
                      continue;
                    size_t wi = (((size_t) o * C + c) * K + ky) * K + kx;
                    size_t ii = (((size_t) c * B + b) * H + y) * W + x;
                    dweight[wi] += g * inp[ii];
                    if (dinp)
                      dinp[ii] += g * weight[wi];
                  }
          }
}

/* ---------------------------------------------------------------------------------------------- */
/* Dense                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

void
nn_dense_forward (float *out, const float *inp, const float *weight, const float *bias, int B,
                  int IN, int OUT)
{
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, B, OUT, IN, 1.0f, inp, IN, weight, IN, 0.0f,
               out, OUT);
  if (bias)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < OUT; o++)
        out[(size_t) b * OUT + o] += bias[o];
}

void
nn_dense_backward (float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                   const float *weight, int B, int IN, int OUT)
{
  /* dweight (OUT, IN) += dout (B, OUT)ᵀ · inp (B, IN) */
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, OUT, IN, B, 1.0f, dout, OUT, inp, IN, 1.0f,
               dweight, IN);
  if (dbias)
    for (int o = 0; o < OUT; o++)
      {
        double sum = 0.0;
        for (int b = 0; b < B; b++)
          sum += dout[(size_t) b * OUT + o];
        dbias[o] += (float) sum;
      }
  /* dinp (B, IN) += dout (B, OUT) · weight (OUT, IN) */
  if (dinp)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, B, IN, OUT, 1.0f, dout, OUT, weight, IN,
                 1.0f, dinp, IN);
}

/* The dense layers on a pool: the forward and the input gradient split the batch's rows, the
 * weight and bias gradients split the output rows, so no two tasks write one value and nothing is
 * added across tasks. */
typedef struct
{
  float *out, *dinp, *dweight, *dbias;
  const float *inp, *dout, *weight, *bias;
  int B, IN, OUT, n_tasks;
} DenseJob;

static void
dense_forward_task (void *ctx, int task, int thread)
{
  DenseJob *j = ctx;
  int b0 = (int) ((int64_t) j->B * task / j->n_tasks);
  int b1 = (int) ((int64_t) j->B * (task + 1) / j->n_tasks);

  (void) thread;
  if (b1 > b0)
    nn_dense_forward (j->out + (size_t) b0 * j->OUT, j->inp + (size_t) b0 * j->IN, j->weight,
                      j->bias, b1 - b0, j->IN, j->OUT);
}

static void
dense_backward_task (void *ctx, int task, int thread)
{
  DenseJob *j = ctx;
  int o0 = (int) ((int64_t) j->OUT * task / j->n_tasks);
  int o1 = (int) ((int64_t) j->OUT * (task + 1) / j->n_tasks);
  int b0 = (int) ((int64_t) j->B * task / j->n_tasks);
  int b1 = (int) ((int64_t) j->B * (task + 1) / j->n_tasks);

  (void) thread;
  if (o1 > o0)
    {
      /* dweight[o0:o1] (Oc, IN) += dout[:, o0:o1]ᵀ · inp */
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, j->IN, j->B, 1.0f,
                   j->dout + o0, j->OUT, j->inp, j->IN, 1.0f, j->dweight + (size_t) o0 * j->IN,
                   j->IN);
      if (j->dbias)
        for (int o = o0; o < o1; o++)
          {
            double sum = 0.0;
            for (int b = 0; b < j->B; b++)
              sum += j->dout[(size_t) b * j->OUT + o];
            j->dbias[o] += (float) sum;
          }
    }
  if (j->dinp && b1 > b0)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, b1 - b0, j->IN, j->OUT, 1.0f,
                 j->dout + (size_t) b0 * j->OUT, j->OUT, j->weight, j->IN, 1.0f,
                 j->dinp + (size_t) b0 * j->IN, j->IN);
}

void
nn_dense_train_forward (float *out, const float *inp, const float *weight, const float *bias, int B,
                        int IN, int OUT, NnPool *pool)
{
  DenseJob j = {
    .out = out, .inp = inp, .weight = weight, .bias = bias, .B = B, .IN = IN, .OUT = OUT
  };

  j.n_tasks = nn_max (1, nn_min (pool ? nn_pool_get_n_threads (pool) : 1, B));
  nn_pool_run (pool, j.n_tasks, dense_forward_task, &j);
}

void
nn_dense_train_backward (float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int B, int IN, int OUT,
                         NnPool *pool)
{
  DenseJob j = { .dinp = dinp,
                 .dweight = dweight,
                 .dbias = dbias,
                 .dout = dout,
                 .inp = inp,
                 .weight = weight,
                 .B = B,
                 .IN = IN,
                 .OUT = OUT };

  j.n_tasks = nn_max (1, nn_min (pool ? nn_pool_get_n_threads (pool) : 1, nn_min (B, OUT)));
  nn_pool_run (pool, j.n_tasks, dense_backward_task, &j);
}

void
nn_dense_backward_ref (float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, int B, int IN, int OUT)
{
  for (int b = 0; b < B; b++)
    for (int o = 0; o < OUT; o++)
      {
        float g = dout[(size_t) b * OUT + o];
        if (dbias)
          dbias[o] += g;
        for (int i = 0; i < IN; i++)
          {
            dweight[(size_t) o * IN + i] += g * inp[(size_t) b * IN + i];
            if (dinp)
              dinp[(size_t) b * IN + i] += g * weight[(size_t) o * IN + i];
          }
      }
}

/* ---------------------------------------------------------------------------------------------- */
/* Activations, upsampling                                                                         */
/* ---------------------------------------------------------------------------------------------- */

/* 1 for x > 0, else slope, without a branch: the signs of activations are random, so a branch
 * mispredicts half the time and keeps the loop from vectorising. x = +0 is the one positive-signed
 * value that is not > 0; it gets 1, and 0 · 1 = 0 · slope. */
static inline float
leaky_factor (float x, float slope)
{
  uint32_t bits;
  float negative;

  memcpy (&bits, &x, sizeof bits);
  negative = (float) (bits >> 31);
  return (1.0f - negative) + negative * slope;
}

void
nn_leaky_relu_forward (float *out, const float *inp, size_t N, float slope)
{
  for (size_t i = 0; i < N; i++)
    out[i] = inp[i] * leaky_factor (inp[i], slope);
}

void
nn_leaky_relu_backward (float *dinp, const float *dout, const float *inp, size_t N, float slope)
{
  for (size_t i = 0; i < N; i++)
    dinp[i] += dout[i] * leaky_factor (inp[i], slope);
}

void
nn_sigmoid_forward (float *out, const float *inp, size_t N)
{
  for (size_t i = 0; i < N; i++)
    out[i] = 1.0f / (1.0f + expf (-inp[i]));
}

void
nn_sigmoid_backward (float *dinp, const float *dout, const float *out, size_t N)
{
  for (size_t i = 0; i < N; i++)
    dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
}

void
nn_upsample2x_forward (float *out, const float *inp, int P, int H, int W)
{
  for (int p = 0; p < P; p++)
    for (int y = 0; y < 2 * H; y++)
      for (int x = 0; x < 2 * W; x++)
        out[((size_t) p * 2 * H + y) * 2 * W + x] = inp[((size_t) p * H + y / 2) * W + x / 2];
}

void
nn_upsample2x_backward (float *dinp, const float *dout, int P, int H, int W)
{
  for (int p = 0; p < P; p++)
    for (int y = 0; y < 2 * H; y++)
      for (int x = 0; x < 2 * W; x++)
        dinp[((size_t) p * H + y / 2) * W + x / 2] += dout[((size_t) p * 2 * H + y) * 2 * W + x];
}

/* ---------------------------------------------------------------------------------------------- */
/* Losses                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

float
nn_mse_forward (const float *pred, const float *target, size_t N)
{
  double sum = 0.0;

  for (size_t i = 0; i < N; i++)
    {
      double d = (double) pred[i] - target[i];
      sum += d * d;
    }
  return N ? (float) (sum / N) : 0.0f;
}

void
nn_mse_backward (float *dpred, const float *pred, const float *target, size_t N, float scale)
{
  float k = N ? 2.0f * scale / (float) N : 0.0f;

  for (size_t i = 0; i < N; i++)
    dpred[i] += k * (pred[i] - target[i]);
}

/* max (x, 0) − x·t + log (1 + e^(−|x|)): PyTorch's BCEWithLogits, which never overflows */
float
nn_bce_logits_forward (const float *logits, const float *target, size_t N)
{
  double sum = 0.0;

  for (size_t i = 0; i < N; i++)
    {
      double x = logits[i];
      sum += (x > 0 ? x : 0.0) - x * target[i] + log1p (exp (-fabs (x)));
    }
  return N ? (float) (sum / N) : 0.0f;
}

void
nn_bce_logits_backward (float *dlogits, const float *logits, const float *target, size_t N,
                        float scale)
{
  float k = N ? scale / (float) N : 0.0f;

  for (size_t i = 0; i < N; i++)
    dlogits[i] += k * (1.0f / (1.0f + expf (-logits[i])) - target[i]);
}

/* ---------------------------------------------------------------------------------------------- */
/* AdamW, initialisation                                                                           */
/* ---------------------------------------------------------------------------------------------- */

/* torch.optim.AdamW's update, operation for operation in float32 */
void
nn_adamw_update (float *param, const float *grad, float *m, float *v, size_t N, float lr,
                 float beta1, float beta2, float eps, float weight_decay, int step)
{
  float bias1 = 1.0f - powf (beta1, (float) step);
  float bias2_sqrt = sqrtf (1.0f - powf (beta2, (float) step));
  float step_size = lr / bias1;
  float decay = 1.0f - lr * weight_decay;

  for (size_t i = 0; i < N; i++)
    {
      float g = grad[i];
      param[i] *= decay;
      m[i] += (g - m[i]) * (1.0f - beta1); /* lerp */
      v[i] = v[i] * beta2 + (1.0f - beta2) * g * g;
      float denom = sqrtf (v[i]) / bias2_sqrt + eps;
      param[i] -= step_size * (m[i] / denom);
    }
}

/* ListNet. Scratch: u (B, d), |z| (B), P (B, B), Q (B, B), then the backward's G (B, B) and
 * dU (B, d). Each row's two softmaxes are taken in double from their logits, shifted by the row's
 * largest, so that neither overflows at tau = 0.05 (logits up to 20). */
size_t
nn_listnet_scratch_floats (int B, int d)
{
  return 2 * (size_t) B * d + (size_t) B + 3 * (size_t) B * B;
}

/* log Σ_{j≠skip} e^(row_j / tau) */
static double
log_sum_exp_row (const float *row, int B, int skip, float tau)
{
  double top = -INFINITY, sum = 0.0;

  for (int j = 0; j < B; j++)
    if (j != skip)
      top = fmax (top, (double) row[j] / tau);
  for (int j = 0; j < B; j++)
    if (j != skip)
      sum += exp ((double) row[j] / tau - top);
  return top + log (sum);
}

float
nn_listnet_forward (float *scratch, const float *x, const float *z, int B, int D, int d, float tau)
{
  float *u = scratch, *norm = u + (size_t) B * d, *P = norm + B, *Q = P + (size_t) B * B;
  double loss = 0.0;

  for (int i = 0; i < B; i++)
    {
      const float *zi = z + (size_t) i * d;
      double sum = 0.0;
      for (int k = 0; k < d; k++)
        sum += (double) zi[k] * zi[k];
      norm[i] = (float) sqrt (sum);
      float inv = 1.0f / fmaxf (norm[i], 1e-12f);
      for (int k = 0; k < d; k++)
        u[(size_t) i * d + k] = zi[k] * inv;
    }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, B, B, D, 1.0f, x, D, x, D, 0.0f, P, B);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, B, B, d, 1.0f, u, d, u, d, 0.0f, Q, B);
  for (int i = 0; i < B; i++)
    {
      float *p = P + (size_t) i * B, *q = Q + (size_t) i * B;
      double p_norm = log_sum_exp_row (p, B, i, tau), q_norm = log_sum_exp_row (q, B, i, tau);
      for (int j = 0; j < B; j++)
        {
          if (j == i)
            {
              p[j] = q[j] = 0.0f;
              continue;
            }
          double log_p = p[j] / tau - p_norm, log_q = q[j] / tau - q_norm, pj = exp (log_p);
          loss += pj * (log_p - log_q);
          p[j] = (float) pj;
          q[j] = (float) exp (log_q);
        }
    }
  return (float) (loss / B);
}

/* d(loss)/dS_code_ij = (Q_ij − P_ij) / (B·tau) =: G_ij; S = U·Uᵀ gives dU = (G + Gᵀ)·U; and through
 * the normalisation, dz_i = (dU_i − u_i (u_i · dU_i)) / |z_i| */
void
nn_listnet_backward (float *dz, float *scratch, int B, int d, float tau, float scale)
{
  float *u = scratch, *norm = u + (size_t) B * d, *P = norm + B, *Q = P + (size_t) B * B;
  float *G = Q + (size_t) B * B, *dU = G + (size_t) B * B;
  float k = scale / ((float) B * tau);

  for (size_t i = 0; i < (size_t) B * B; i++)
    G[i] = k * (Q[i] - P[i]);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, B, 1.0f, G, B, u, d, 0.0f, dU, d);
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, B, d, B, 1.0f, G, B, u, d, 1.0f, dU, d);
  for (int i = 0; i < B; i++)
    {
      const float *ui = u + (size_t) i * d;
      float *gi = dU + (size_t) i * d;
      double dot = 0.0;
      if (norm[i] <= 1e-12f)
        {
          /* below the clamp u = z / 1e-12: the normalisation is a plain scale there */
          for (int c = 0; c < d; c++)
            dz[(size_t) i * d + c] += gi[c] / 1e-12f;
          continue;
        }
      for (int c = 0; c < d; c++)
        dot += (double) ui[c] * gi[c];
      for (int c = 0; c < d; c++)
        dz[(size_t) i * d + c] += (float) ((gi[c] - ui[c] * dot) / norm[i]);
    }
}

double
nn_listnet_forward_ref (const float *x, const float *z, int B, int D, int d, float tau)
{
  double *norm = calloc ((size_t) B, sizeof (double)), loss = 0.0;

  for (int i = 0; i < B; i++)
    {
      for (int k = 0; k < d; k++)
        norm[i] += (double) z[(size_t) i * d + k] * z[(size_t) i * d + k];
      norm[i] = fmax (sqrt (norm[i]), 1e-12);
    }
  for (int i = 0; i < B; i++)
    {
      double p_top = -INFINITY, q_top = -INFINITY, p_sum = 0.0, q_sum = 0.0;
      double *s_in = calloc ((size_t) B, sizeof (double)),
             *s_code = calloc ((size_t) B, sizeof (double));
      for (int j = 0; j < B; j++)
        {
          for (int k = 0; k < D; k++)
            s_in[j] += (double) x[(size_t) i * D + k] * x[(size_t) j * D + k];
          for (int k = 0; k < d; k++)
            s_code[j] += (double) z[(size_t) i * d + k] * z[(size_t) j * d + k];
          s_in[j] /= tau;
          s_code[j] /= norm[i] * norm[j] * tau;
          if (j != i)
            {
              p_top = fmax (p_top, s_in[j]);
              q_top = fmax (q_top, s_code[j]);
            }
        }
      for (int j = 0; j < B; j++)
        if (j != i)
          {
            p_sum += exp (s_in[j] - p_top);
            q_sum += exp (s_code[j] - q_top);
          }
      for (int j = 0; j < B; j++)
        if (j != i)
          {
            double log_p = s_in[j] - p_top - log (p_sum), log_q = s_code[j] - q_top - log (q_sum);
            loss += exp (log_p) * (log_p - log_q);
          }
      free (s_in);
      free (s_code);
    }
  free (norm);
  return loss / B;
}

/* splitmix64: a small generator whose stream depends on the seed alone */
uint64_t
nn_rng_next (uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double
rng_uniform (uint64_t *state)
{
  return ((double) (nn_rng_next (state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

void
nn_init_he_normal (float *weight, size_t N, int fan_in, uint64_t *state)
{
  double std = sqrt (2.0 / (fan_in > 0 ? fan_in : 1));

  for (size_t i = 0; i < N; i += 2)
    {
      /* Box–Muller: two normals from two uniforms */
      double r = sqrt (-2.0 * log (rng_uniform (state))), t = 2.0 * M_PI * rng_uniform (state);
      weight[i] = (float) (std * r * cos (t));
      if (i + 1 < N)
        weight[i + 1] = (float) (std * r * sin (t));
    }
}

void
nn_init_uniform (float *weight, size_t N, float bound, uint64_t *state)
{
  for (size_t i = 0; i < N; i++)
    weight[i] = (float) (bound * (2.0 * rng_uniform (state) - 1.0));
}
