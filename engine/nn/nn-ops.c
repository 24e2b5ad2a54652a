/* nn-ops.c: pooling, activations and tensor plumbing.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "nn-private.h"

#include <float.h>
#include <string.h>

int
nn_pool_out_size (int in, int k, int stride, int pad, bool ceil_mode)
{
  int span = in + 2 * pad - k;
  int out = (ceil_mode ? nn_ceil_div (span, stride) : span / stride) + 1;

  /* PyTorch: in ceil mode the last window must start inside the input or the left padding */
  if (ceil_mode && (out - 1) * stride >= in + pad)
    out--;
  return out;
}

/* ---------------------------------------------------------------------------------------------- */
/* Max pooling                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

void
nn_maxpool2d_forward_ref (float *out, const float *inp, int P, int H, int W, int k, int stride,
                          int pad, bool ceil_mode)
{
  int Ho = nn_pool_out_size (H, k, stride, pad, ceil_mode);
  int Wo = nn_pool_out_size (W, k, stride, pad, ceil_mode);

  for (int p = 0; p < P; p++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++)
        {
          float best = -FLT_MAX;
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
              {
                int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                  {
                    float v = inp[((size_t) p * H + iy) * W + ix];
                    best = v > best ? v : best;
                  }
              }
          out[((size_t) p * Ho + oy) * Wo + ox] = best;
        }
}

typedef struct
{
  float *out;
  const float *inp;
  int P, H, W, Ho, Wo, k, stride, pad;
  int planes_per_task;
} MaxPoolJob;

enum
{
  MAXPOOL_ROW_MAX = 2048, /* widest row the separable path buffers on the stack */
};

/* Column-wise max of @n rows, then the max over each window of the row. */
NN_SIMD_CLONES static void
maxpool_row (float *restrict out, const float *restrict inp, int W, int n_rows, int Wo, int k,
             int stride, int pad)
{
  float col[MAXPOOL_ROW_MAX];

  memcpy (col, inp, sizeof (float) * (size_t) W);
  for (int r = 1; r < n_rows; r++)
    {
      const float *row = inp + (size_t) r * W;
      for (int x = 0; x < W; x++)
        col[x] = row[x] > col[x] ? row[x] : col[x];
    }
  for (int ox = 0; ox < Wo; ox++)
    {
      int x0 = nn_max (0, ox * stride - pad), x1 = nn_min (W, ox * stride - pad + k);
      float best = col[x0];
      for (int x = x0 + 1; x < x1; x++)
        best = col[x] > best ? col[x] : best;
      out[ox] = best;
    }
}

static void
maxpool_task (void *ctx, int task, int thread)
{
  const MaxPoolJob *job = ctx;
  int p0 = task * job->planes_per_task, p1 = nn_min (job->P, p0 + job->planes_per_task);

  (void) thread;
  for (int p = p0; p < p1; p++)
    for (int oy = 0; oy < job->Ho; oy++)
      {
        int y0 = nn_max (0, oy * job->stride - job->pad);
        int y1 = nn_min (job->H, oy * job->stride - job->pad + job->k);
        maxpool_row (job->out + ((size_t) p * job->Ho + oy) * job->Wo,
                     job->inp + ((size_t) p * job->H + y0) * job->W, job->W, y1 - y0, job->Wo,
                     job->k, job->stride, job->pad);
      }
}

void
nn_maxpool2d_forward (float *out, const float *inp, int P, int H, int W, int k, int stride, int pad,
                      bool ceil_mode, NnPool *pool)
{
  MaxPoolJob job = {
    .out = out,
    .inp = inp,
    .P = P,
    .H = H,
    .W = W,
    .Ho = nn_pool_out_size (H, k, stride, pad, ceil_mode),
    .Wo = nn_pool_out_size (W, k, stride, pad, ceil_mode),
    .k = k,
    .stride = stride,
    .pad = pad,
  };

  if (W > MAXPOOL_ROW_MAX)
    {
      /* rare enough to run the reference, with the caller's exact ceil_mode */
      nn_maxpool2d_forward_ref (out, inp, P, H, W, k, stride, pad, ceil_mode);
      return;
    }
  job.planes_per_task = nn_max (1, P / (8 * nn_pool_get_n_threads (pool)));
  nn_pool_run (pool, nn_ceil_div (P, job.planes_per_task), maxpool_task, &job);
}

/* ---------------------------------------------------------------------------------------------- */
/* Average pooling                                                                                 */
/* ---------------------------------------------------------------------------------------------- */

void
nn_avgpool2d_forward_ref (float *out, const float *inp, int P, int H, int W, int k, int stride,
                          int pad, bool ceil_mode)
{
  int Ho = nn_pool_out_size (H, k, stride, pad, ceil_mode);
  int Wo = nn_pool_out_size (W, k, stride, pad, ceil_mode);

  for (int p = 0; p < P; p++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++)
        {
          int y0 = oy * stride - pad, x0 = ox * stride - pad;
          /* PyTorch divides by the window clipped to the padded input, padding included */
          int y1 = nn_min (y0 + k, H + pad), x1 = nn_min (x0 + k, W + pad);
          int count = (y1 - y0) * (x1 - x0);
          double sum = 0.0;
          for (int iy = nn_max (y0, 0); iy < nn_min (y1, H); iy++)
            for (int ix = nn_max (x0, 0); ix < nn_min (x1, W); ix++)
              sum += inp[((size_t) p * H + iy) * W + ix];
          out[((size_t) p * Ho + oy) * Wo + ox] = (float) (sum / count);
        }
}

void
nn_global_avgpool_forward (float *out, const float *inp, int B, int C, int H, int W)
{
  size_t plane = (size_t) H * W;

  for (int c = 0; c < C; c++)
    for (int b = 0; b < B; b++)
      {
        const float *x = inp + ((size_t) c * B + b) * plane;
        float sum = 0.0f;
        for (size_t i = 0; i < plane; i++)
          sum += x[i];
        out[(size_t) b * C + c] = sum / (float) plane;
      }
}

/* ---------------------------------------------------------------------------------------------- */
/* Element-wise and layout                                                                         */
/* ---------------------------------------------------------------------------------------------- */

void
nn_relu_forward (float *out, const float *inp, size_t N)
{
  for (size_t i = 0; i < N; i++)
    out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void
nn_add_forward (float *out, const float *a, const float *b, size_t N)
{
  for (size_t i = 0; i < N; i++)
    out[i] = a[i] + b[i];
}

void
nn_concat_forward (float *out, const float *a, const float *b, int Ca, int Cb, int B, int H, int W)
{
  size_t n = (size_t) B * H * W;

  memmove (out, a, sizeof (float) * (size_t) Ca * n);
  memmove (out + (size_t) Ca * n, b, sizeof (float) * (size_t) Cb * n);
}

void
nn_bchw_to_cbhw (float *out, const float *inp, int B, int C, int H, int W)
{
  size_t plane = (size_t) H * W;

  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      memcpy (out + ((size_t) c * B + b) * plane, inp + ((size_t) b * C + c) * plane,
              sizeof (float) * plane);
}

void
nn_cbhw_to_bchw (float *out, const float *inp, int B, int C, int H, int W)
{
  size_t plane = (size_t) H * W;

  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      memcpy (out + ((size_t) b * C + c) * plane, inp + ((size_t) c * B + b) * plane,
              sizeof (float) * plane);
}
