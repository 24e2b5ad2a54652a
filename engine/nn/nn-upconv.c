/* nn-upconv.c: 2× nearest upsampling followed by a 3×3 convolution, trained as one layer.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The decoder's layer: see nn.h (nn_upconv2d_*). Like nn-train.c's convolutions, tasks take a
 * fixed range of images each and partial weight gradients are added in task order, so the same
 * inputs and thread count give bit-identical results.
 */
#include "nn-private.h"

#include <cblas.h>
#include <stdint.h>
#include <string.h>

enum
{
  GROUP_COL_FLOATS = 512 * 1024, /* columns of a group of images: 2 MiB, in L2 with the weights */
};

/* Nearest-neighbour 2× upsampling followed by a 3×3 convolution (stride 1, padding 1) reads each
 * input pixel through several taps that land on the same pixel. Output pixel (2i + py, 2j + px)
 * sees the input rows i − 1, i, i for py = 0 and i, i, i + 1 for py = 1, so each of the four
 * output phases is a 2×2 convolution of the input with the 3×3 taps summed: rows {w0, w1 + w2}
 * at offsets (−1, 0) for py = 0, {w0 + w1, w2} at (0, +1) for py = 1, and the same for columns.
 * 16 multiplications per input pixel and output channel instead of 36, on the input's size
 * rather than the upsampled one, and no upsampled tensor at all. */

typedef struct
{
  int B, C, H, W, OC;
  int n_tasks, group;
  size_t cols_floats, out_floats, task_floats;
} UpShape;

static UpShape
up_shape (int B, int C, int H, int W, int OC, int n_threads)
{
  UpShape s = { B, C, H, W, OC, 0, 0, 0, 0, 0 };
  size_t per_image = (size_t) C * 4 * H * W;

  s.group = (int) nn_max (1, (int) (GROUP_COL_FLOATS / nn_max (1, (int) per_image)));
  s.group = nn_min (s.group, B);
  s.n_tasks = nn_max (1, nn_min (n_threads, B));
  s.cols_floats = per_image * s.group;
  s.out_floats = (size_t) OC * s.group * H * W;
  /* per task: columns, one phase's output (or its gradient), the four phases' weight gradients and
   * the bias gradient */
  s.task_floats = s.cols_floats + s.out_floats + (size_t) 4 * OC * C * 4 + OC;
  return s;
}

size_t
nn_upconv2d_train_scratch_floats (int B, int C, int H, int W, int OC, int n_threads)
{
  UpShape s = up_shape (B, C, H, W, OC, n_threads);
  return s.task_floats * s.n_tasks + (size_t) 4 * OC * C * 4;
}

/* the phase's weights (OC, C, 2, 2) from the 3×3 ones: tap t of phase p sums the 3×3 taps k with
 * tap_of (p, k) = t */
static int
tap_of (int phase, int k)
{
  return phase == 0 ? (k == 0 ? 0 : 1) : (k == 2 ? 1 : 0);
}

static void
phase_weights (float *wp, const float *weight, int OC, int C, int py, int px)
{
  memset (wp, 0, sizeof (float) * OC * C * 4);
  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          wp[((size_t) (o * C + c) * 2 + tap_of (py, ky)) * 2 + tap_of (px, kx)] +=
            weight[((size_t) (o * C + c) * 3 + ky) * 3 + kx];
}

/* cols ((c, ty, tx), (b, i, j)) for images b0..b1-1: input pixel (i + ty + oy, j + tx + ox), with
 * oy = py − 1 and ox = px − 1, zero outside */
static void
im2col_phase (float *cols, const float *inp, const UpShape *s, int b0, int b1, int py, int px)
{
  size_t n = (size_t) (b1 - b0) * s->H * s->W;

  for (int c = 0; c < s->C; c++)
    for (int ty = 0; ty < 2; ty++)
      for (int tx = 0; tx < 2; tx++)
        {
          float *row = cols + ((size_t) (c * 2 + ty) * 2 + tx) * n;
          int dy = ty + py - 1, dx = tx + px - 1;
          int y0 = nn_max (0, -dy), y1 = nn_min (s->H, s->H - dy);
          size_t W = (size_t) s->W, span = (size_t) (y1 - y0) * W;
          for (int b = b0; b < b1; b++, row += (size_t) s->H * W)
            {
              const float *src = inp + ((size_t) c * s->B + b) * s->H * W + (size_t) (y0 + dy) * W;
              float *dst = row + (size_t) y0 * W;
              /* rows that fall in the padding, then the rest as one shifted block, whose column
               * that wrapped round from the neighbouring row is the padding again */
              memset (row, 0, sizeof (float) * y0 * W);
              memset (row + (size_t) y1 * W, 0, sizeof (float) * (s->H - y1) * W);
              if (span == 0)
                continue;
              if (dx == 0)
                memcpy (dst, src, sizeof (float) * span);
              else if (dx < 0)
                {
                  memcpy (dst + 1, src, sizeof (float) * (span - 1));
                  for (int i = y0; i < y1; i++)
                    row[(size_t) i * W] = 0.0f;
                }
              else
                {
                  memcpy (dst, src + 1, sizeof (float) * (span - 1));
                  for (int i = y0; i < y1; i++)
                    row[(size_t) i * W + W - 1] = 0.0f;
                }
            }
        }
}

static void
col2im_phase (float *dinp, const float *dcols, const UpShape *s, int b0, int b1, int py, int px)
{
  size_t n = (size_t) (b1 - b0) * s->H * s->W;

  for (int c = 0; c < s->C; c++)
    for (int ty = 0; ty < 2; ty++)
      for (int tx = 0; tx < 2; tx++)
        {
          const float *row = dcols + ((size_t) (c * 2 + ty) * 2 + tx) * n;
          int dy = ty + py - 1, dx = tx + px - 1;
          int lo = nn_max (0, -dx), hi = nn_min (s->W, s->W - dx);
          for (int b = b0; b < b1; b++)
            {
              float *plane = dinp + ((size_t) c * s->B + b) * s->H * s->W;
              for (int i = 0; i < s->H; i++, row += s->W)
                {
                  int y = i + dy;
                  if (y < 0 || y >= s->H)
                    continue;
                  float *dst = plane + (size_t) y * s->W + dx;
                  for (int j = lo; j < hi; j++)
                    dst[j] += row[j];
                }
            }
        }
}

typedef struct
{
  UpShape s;
  float *out, *dinp;
  const float *inp, *dout, *bias;
  const float *wp; /* (4, OC, C, 2, 2) */
  float *scratch;
} UpJob;

static void
upconv_forward_task (void *ctx, int task, int thread)
{
  UpJob *job = ctx;
  const UpShape *s = &job->s;
  float *cols = job->scratch + s->task_floats * task, *tmp = cols + s->cols_floats;
  int K4C = s->C * 4, b0, b1;
  size_t hw = (size_t) s->H * s->W, W2 = (size_t) 2 * s->W, plane2 = 4 * hw;

  (void) thread;
  b0 = (int) ((int64_t) s->B * task / s->n_tasks);
  b1 = (int) ((int64_t) s->B * (task + 1) / s->n_tasks);
  for (int g0 = b0; g0 < b1; g0 += s->group)
    {
      int g1 = nn_min (g0 + s->group, b1);
      int n = (int) ((g1 - g0) * hw);
      for (int p = 0; p < 4; p++)
        {
          int py = p >> 1, px = p & 1;
          im2col_phase (cols, job->inp, s, g0, g1, py, px);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->OC, n, K4C, 1.0f,
                       job->wp + (size_t) p * s->OC * K4C, K4C, cols, n, 0.0f, tmp, n);
          for (int o = 0; o < s->OC; o++)
            {
              float bias = job->bias ? job->bias[o] : 0.0f;
              for (int b = g0; b < g1; b++)
                {
                  const float *t = tmp + (size_t) o * n + (size_t) (b - g0) * hw;
                  float *dst = job->out + ((size_t) o * s->B + b) * plane2 + py * W2 + px;
                  for (int i = 0; i < s->H; i++)
                    for (int j = 0; j < s->W; j++)
                      dst[i * 2 * W2 + 2 * j] = t[i * s->W + j] + bias;
                }
            }
        }
    }
}

void
nn_upconv2d_train_forward (float *out, const float *inp, const float *weight, const float *bias,
                           int B, int C, int H, int W, int OC, NnPool *pool, float *scratch)
{
  UpJob job = {
    .s = up_shape (B, C, H, W, OC, pool ? nn_pool_get_n_threads (pool) : 1),
    .out = out,
    .inp = inp,
    .bias = bias,
    .scratch = scratch,
  };
  float *wp = scratch + job.s.task_floats * job.s.n_tasks;

  for (int p = 0; p < 4; p++)
    phase_weights (wp + (size_t) p * OC * C * 4, weight, OC, C, p >> 1, p & 1);
  job.wp = wp;
  nn_pool_run (pool, job.s.n_tasks, upconv_forward_task, &job);
}

static void
upconv_backward_task (void *ctx, int task, int thread)
{
  UpJob *job = ctx;
  const UpShape *s = &job->s;
  float *cols = job->scratch + s->task_floats * task, *tmp = cols + s->cols_floats;
  float *dwp = tmp + s->out_floats; /* (4, OC, C·4) partial */
  float *db = dwp + (size_t) 4 * s->OC * s->C * 4;
  int K4C = s->C * 4, b0, b1;
  size_t hw = (size_t) s->H * s->W, W2 = (size_t) 2 * s->W, plane2 = 4 * hw;

  (void) thread;
  memset (dwp, 0, sizeof (float) * ((size_t) 4 * s->OC * K4C + s->OC));
  b0 = (int) ((int64_t) s->B * task / s->n_tasks);
  b1 = (int) ((int64_t) s->B * (task + 1) / s->n_tasks);
  for (int g0 = b0; g0 < b1; g0 += s->group)
    {
      int g1 = nn_min (g0 + s->group, b1);
      int n = (int) ((g1 - g0) * hw);
      for (int o = 0; o < s->OC; o++)
        {
          double sum = 0.0;
          for (int b = g0; b < g1; b++)
            {
              const float *d = job->dout + ((size_t) o * s->B + b) * plane2;
              for (size_t k = 0; k < plane2; k++)
                sum += d[k];
            }
          db[o] += (float) sum;
        }
      for (int p = 0; p < 4; p++)
        {
          int py = p >> 1, px = p & 1;
          /* this phase's output gradient, gathered */
          for (int o = 0; o < s->OC; o++)
            for (int b = g0; b < g1; b++)
              {
                float *t = tmp + (size_t) o * n + (size_t) (b - g0) * hw;
                const float *src = job->dout + ((size_t) o * s->B + b) * plane2 + py * W2 + px;
                for (int i = 0; i < s->H; i++)
                  for (int j = 0; j < s->W; j++)
                    t[i * s->W + j] = src[i * 2 * W2 + 2 * j];
              }
          im2col_phase (cols, job->inp, s, g0, g1, py, px);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->OC, K4C, n, 1.0f, tmp, n, cols,
                       n, 1.0f, dwp + (size_t) p * s->OC * K4C, K4C);
          if (job->dinp)
            {
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, K4C, n, s->OC, 1.0f,
                           job->wp + (size_t) p * s->OC * K4C, K4C, tmp, n, 0.0f, cols, n);
              col2im_phase (job->dinp, cols, s, g0, g1, py, px);
            }
        }
    }
}

void
nn_upconv2d_backward (float *dinp, float *dweight, float *dbias, const float *dout,
                      const float *inp, const float *weight, int B, int C, int H, int W, int OC,
                      NnPool *pool, float *scratch)
{
  UpJob job = {
    .s = up_shape (B, C, H, W, OC, pool ? nn_pool_get_n_threads (pool) : 1),
    .dinp = dinp,
    .dout = dout,
    .inp = inp,
    .scratch = scratch,
  };
  float *wp = scratch + job.s.task_floats * job.s.n_tasks;
  size_t pn = (size_t) OC * C * 4;

  for (int p = 0; p < 4; p++)
    phase_weights (wp + p * pn, weight, OC, C, p >> 1, p & 1);
  job.wp = wp;
  nn_pool_run (pool, job.s.n_tasks, upconv_backward_task, &job);
  /* the tasks' partial gradients in task order, each phase's taps back onto the 3×3 ones */
  for (int t = 0; t < job.s.n_tasks; t++)
    {
      const float *dwp = scratch + job.s.task_floats * t + job.s.cols_floats + job.s.out_floats;
      for (int o = 0; o < OC; o++)
        for (int c = 0; c < C; c++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
              {
                float sum = 0.0f;
                for (int p = 0; p < 4; p++)
                  sum += dwp[p * pn + ((size_t) (o * C + c) * 2 + tap_of (p >> 1, ky)) * 2
                             + tap_of (p & 1, kx)];
                dweight[((size_t) (o * C + c) * 3 + ky) * 3 + kx] += sum;
              }
      for (int o = 0; o < OC; o++)
        dbias[o] += dwp[4 * pn + o];
    }
}
