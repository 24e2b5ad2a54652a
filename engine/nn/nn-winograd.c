/* nn-winograd.c: 3×3 stride-1 convolution by Winograd's F(4×4, 3×3).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each 4×4 block of outputs ("tile") is computed from the 6×6 input patch around it:
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 * with interpolation points 0, ±1, ±2 and ∞ (Lavin & Gray, 2016). Over C input channels the
 * element-wise products become 36 independent GEMMs, M[ξ] (OC, T) = U[ξ] (OC, C) · V[ξ] (C, T):
 * 36 multiplications per tile and channel pair instead of the direct method's 16 × 9 = 144.
 *
 * Tiles are processed in blocks of whole tile rows so that the transformed input V (36, C, tb) and
 * products M (36, OC, tb) stay within a few MiB. Each block runs three parallel phases: input
 * transform (split by channel), the 36 GEMMs (split by ξ) and the output transform with bias,
 * residual and ReLU (split by output channel). The transforms work a whole tile row at a time so
 * that their inner loops run over tiles and vectorise.
 */
#include "nn-private.h"

#include <cblas.h>
#include <string.h>

enum
{
  BLOCK_FLOATS = 128 * 1024, /* (C + OC) · tb per ξ: 36 of these make the block's scratch */
};

bool
nn_winograd_supported (const NnConv *conv)
{
  return conv->k == 3 && conv->stride == 1;
}

void
nn_winograd_transform_weights (float *u, const float *weight, int OC, int C)
{
  size_t plane = (size_t) OC * C;

  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      {
        const float *g = weight + ((size_t) o * C + c) * 9;
        double t[6][3], r[6][6];

        /* G g: 6×3 */
        for (int col = 0; col < 3; col++)
          {
            double g0 = g[0 * 3 + col], g1 = g[1 * 3 + col], g2 = g[2 * 3 + col];
            t[0][col] = g0 / 4.0;
            t[1][col] = -(g0 + g1 + g2) / 6.0;
            t[2][col] = -(g0 - g1 + g2) / 6.0;
            t[3][col] = g0 / 24.0 + g1 / 12.0 + g2 / 6.0;
            t[4][col] = g0 / 24.0 - g1 / 12.0 + g2 / 6.0;
            t[5][col] = g2;
          }
        /* (G g) Gᵀ: 6×6 */
        for (int row = 0; row < 6; row++)
          {
            double g0 = t[row][0], g1 = t[row][1], g2 = t[row][2];
            r[row][0] = g0 / 4.0;
            r[row][1] = -(g0 + g1 + g2) / 6.0;
            r[row][2] = -(g0 - g1 + g2) / 6.0;
            r[row][3] = g0 / 24.0 + g1 / 12.0 + g2 / 6.0;
            r[row][4] = g0 / 24.0 - g1 / 12.0 + g2 / 6.0;
            r[row][5] = g2;
          }
        for (int xi = 0; xi < NN_WINO_POINTS; xi++)
          u[xi * plane + (size_t) o * C + c] = (float) r[xi / 6][xi % 6];
      }
}

typedef struct
{
  float *out;
  const float *inp;
  const float *residual;
  const NnConv *conv;
  int B, H, W, Ho, Wo;
  int th, tw; /* tile rows per image, tiles per tile row */
  bool relu;
  int r0, rows;   /* the block: tile rows [r0, r0 + rows) of B·th */
  int tb;         /* tiles in the block: rows · tw */
  int c_per_task; /* phase 1 */
  int o_per_task; /* phase 3 */
  float *v;       /* (36, C, tb) */
  float *m;       /* (36, OC, tb) */
  float *temp;    /* per thread: temp_floats */
  size_t temp_floats;
} WinoJob;

/* Per-thread transform buffers: the input side needs 52·tw + 8 floats, the output side 28·tw. */
static size_t
temp_floats_for (int tw)
{
  return (size_t) 52 * tw + 16;
}

/* Bᵀ x for six rows x0..x5 of length n, into y0..y5 (rows of a 6-row array with stride ys). */
NN_SIMD_CLONES static void
input_rows (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
{
  const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs,
              *x5 = x + 5 * xs;
  float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys, *y4 = y + 4 * ys,
        *y5 = y + 5 * ys;

  for (int t = 0; t < n; t++)
    {
      float a0 = x0[t], a1 = x1[t], a2 = x2[t], a3 = x3[t], a4 = x4[t], a5 = x5[t];
      y0[t] = 4.0f * a0 - 5.0f * a2 + a4;
      y1[t] = -4.0f * (a1 + a2) + a3 + a4;
      y2[t] = 4.0f * (a1 - a2) - a3 + a4;
      y3[t] = 2.0f * (a3 - a1) - a2 + a4;
      y4[t] = 2.0f * (a1 - a3) - a2 + a4;
      y5[t] = 4.0f * a1 - 5.0f * a3 + a5;
    }
}

/* Splits a padded input row into its six tile phases: q[j][t] = row[4t + j]. */
NN_SIMD_CLONES static void
deinterleave_row (float *restrict q, size_t qs, const float *restrict row, int tw)
{
  for (int t = 0; t < tw; t++)
    {
      q[0 * qs + t] = row[4 * t + 0];
      q[1 * qs + t] = row[4 * t + 1];
      q[2 * qs + t] = row[4 * t + 2];
      q[3 * qs + t] = row[4 * t + 3];
      q[4 * qs + t] = row[4 * t + 4];
      q[5 * qs + t] = row[4 * t + 5];
    }
}

static void
input_transform_row (const WinoJob *job, int c, int r, float *temp)
{
  const NnConv *conv = job->conv;
  int tw = job->tw, W = job->W, H = job->H;
  int b = r / job->th, ty = r % job->th;
  const float *plane = job->inp + ((size_t) c * job->B + b) * H * W;
  int xlen = 4 * tw + 2;
  float *row = temp;               /* (xlen): one zero-padded input row */
  float *ph = row + xlen + 6;      /* (6, tw): its six tile phases */
  float *q = ph + 6 * (size_t) tw; /* (6 rows i, 6 frequencies k, tw): q[(i·6 + k)·tw + t] */
  float *y = q + 36 * (size_t) tw; /* (6, tw) */
  int x0 = -conv->pad;
  int lo = nn_max (0, -x0), hi = nn_max (lo, nn_min (xlen, W - x0));

  /* horizontal: Bᵀ along x for each of the six input rows of the tile row */
  for (int i = 0; i < 6; i++)
    {
      int iy = ty * 4 - conv->pad + i;
      float *qi = q + (size_t) i * 6 * tw;
      if (iy < 0 || iy >= H)
        {
          memset (qi, 0, sizeof (float) * 6 * (size_t) tw);
          continue;
        }
      memset (row, 0, sizeof (float) * (size_t) lo);
      memcpy (row + lo, plane + (size_t) iy * W + x0 + lo, sizeof (float) * (size_t) (hi - lo));
      memset (row + hi, 0, sizeof (float) * (size_t) (xlen - hi));
      deinterleave_row (ph, (size_t) tw, row, tw);
      input_rows (qi, (size_t) tw, ph, (size_t) tw, tw);
    }

  /* vertical: Bᵀ along y for each horizontal frequency k, into V[ξ = i·6 + k] */
  size_t ld = (size_t) job->tb;
  size_t vplane = (size_t) conv->c_in * ld;
  float *dst = job->v + (size_t) c * ld + (size_t) (r - job->r0) * tw;
  for (int k = 0; k < 6; k++)
    {
      input_rows (y, (size_t) tw, q + (size_t) k * tw, 6 * (size_t) tw, tw);
      for (int i = 0; i < 6; i++)
        memcpy (dst + (size_t) (i * 6 + k) * vplane, y + (size_t) i * tw,
                sizeof (float) * (size_t) tw);
    }
}

/* Aᵀ x for six rows x0..x5 of length n, into four rows y0..y3. */
NN_SIMD_CLONES static void
output_rows (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
{
  const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs, *x4 = x + 4 * xs,
              *x5 = x + 5 * xs;
  float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;

  for (int t = 0; t < n; t++)
    {
      float a1 = x1[t], a2 = x2[t], a3 = x3[t], a4 = x4[t];
      float s12 = a1 + a2, d12 = a1 - a2, s34 = a3 + a4, d34 = a3 - a4;
      y0[t] = x0[t] + s12 + s34;
      y1[t] = d12 + 2.0f * d34;
      y2[t] = s12 + 4.0f * s34;
      y3[t] = d12 + 8.0f * d34 + x5[t];
    }
}

/* out[4t + j] = act (y[j][t] + bias + res[4t + j]) for the first n outputs of a row. */
NN_SIMD_CLONES static void
store_row (float *restrict out, const float *restrict y, size_t ys, const float *res, float bias,
           bool relu, int tw, int n)
{
  float row[4 * 128];
  int done = 0;

  for (int t0 = 0; t0 < tw; t0 += 128)
    {
      int cnt = nn_min (128, tw - t0);
      for (int t = 0; t < cnt; t++)
        {
          row[4 * t + 0] = y[0 * ys + t0 + t];
          row[4 * t + 1] = y[1 * ys + t0 + t];
          row[4 * t + 2] = y[2 * ys + t0 + t];
          row[4 * t + 3] = y[3 * ys + t0 + t];
        }
      int len = nn_min (4 * cnt, n - done);
      float *o = out + done;
      const float *rs = res ? res + done : NULL;
      for (int x = 0; x < len; x++)
        {
          float v = row[x] + bias + (rs ? rs[x] : 0.0f);
          o[x] = relu && v < 0.0f ? 0.0f : v;
        }
      done += len;
    }
}

static void
output_transform_row (const WinoJob *job, int o, int r, float *temp)
{
  const NnConv *conv = job->conv;
  int tw = job->tw;
  int b = r / job->th, ty = r % job->th;
  size_t ld = (size_t) job->tb;
  size_t mplane = (size_t) conv->c_out * ld;
  const float *src = job->m + (size_t) o * ld + (size_t) (r - job->r0) * tw;
  float *w = temp;                 /* (4 rows i, 6 frequencies k, tw): w[(i·6 + k)·tw] */
  float *y = w + 24 * (size_t) tw; /* (4, tw) */
  float bias = conv->bias ? conv->bias[o] : 0.0f;
  size_t out_plane = (size_t) job->Ho * job->Wo;
  float *dst = job->out + ((size_t) o * job->B + b) * out_plane;
  const float *res = job->residual ? job->residual + ((size_t) o * job->B + b) * out_plane : NULL;

  /* vertical: Aᵀ along the first frequency for each k */
  for (int k = 0; k < 6; k++)
    output_rows (w + (size_t) k * tw, 6 * (size_t) tw, src + (size_t) k * mplane, 6 * mplane, tw);
  /* horizontal, then store the (up to) four output rows */
  for (int i = 0; i < 4; i++)
    {
      int oy = ty * 4 + i;
      if (oy >= job->Ho)
        break;
      output_rows (y, (size_t) tw, w + (size_t) i * 6 * tw, (size_t) tw, tw);
      store_row (dst + (size_t) oy * job->Wo, y, (size_t) tw,
                 res ? res + (size_t) oy * job->Wo : NULL, bias, job->relu, tw, job->Wo);
    }
}

static void
input_task (void *ctx, int task, int thread)
{
  const WinoJob *job = ctx;
  float *temp = job->temp + (size_t) thread * job->temp_floats;
  int c0 = task * job->c_per_task, c1 = nn_min (job->conv->c_in, c0 + job->c_per_task);

  for (int c = c0; c < c1; c++)
    for (int r = job->r0; r < job->r0 + job->rows; r++)
      input_transform_row (job, c, r, temp);
}

static void
gemm_task (void *ctx, int xi, int thread)
{
  const WinoJob *job = ctx;
  const NnConv *conv = job->conv;
  size_t ld = (size_t) job->tb;

  (void) thread;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->c_out, job->tb, conv->c_in, 1.0f,
               conv->wino_weight + (size_t) xi * conv->c_out * conv->c_in, conv->c_in,
               job->v + (size_t) xi * conv->c_in * ld, (int) ld, 0.0f,
               job->m + (size_t) xi * conv->c_out * ld, (int) ld);
}

static void
output_task (void *ctx, int task, int thread)
{
  const WinoJob *job = ctx;
  float *temp = job->temp + (size_t) thread * job->temp_floats;
  int o0 = task * job->o_per_task, o1 = nn_min (job->conv->c_out, o0 + job->o_per_task);

  for (int o = o0; o < o1; o++)
    for (int r = job->r0; r < job->r0 + job->rows; r++)
      output_transform_row (job, o, r, temp);
}

/* Tile rows per block. */
static int
block_rows (const NnConv *conv, int tw, int total_rows)
{
  int rows = BLOCK_FLOATS / ((conv->c_in + conv->c_out) * tw);
  return nn_max (1, nn_min (rows, total_rows));
}

size_t
nn_winograd_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads)
{
  int Ho = nn_conv_out_size (H, 3, 1, conv->pad), Wo = nn_conv_out_size (W, 3, 1, conv->pad);
  int th = nn_ceil_div (Ho, NN_WINO_TILE), tw = nn_ceil_div (Wo, NN_WINO_TILE);
  int rows = block_rows (conv, tw, B * th);
  size_t tb = (size_t) rows * tw;

  return NN_WINO_POINTS * (size_t) (conv->c_in + conv->c_out) * tb
         + (size_t) n_threads * temp_floats_for (tw);
}

void
nn_winograd_forward (float *out, const float *inp, const float *residual, const NnConv *conv, int B,
                     int H, int W, bool relu, NnPool *pool, float *scratch)
{
  int n_threads = nn_pool_get_n_threads (pool);
  WinoJob job = {
    .out = out,
    .inp = inp,
    .residual = residual,
    .conv = conv,
    .B = B,
    .H = H,
    .W = W,
    .Ho = nn_conv_out_size (H, 3, 1, conv->pad),
    .Wo = nn_conv_out_size (W, 3, 1, conv->pad),
    .relu = relu,
  };
  job.th = nn_ceil_div (job.Ho, NN_WINO_TILE);
  job.tw = nn_ceil_div (job.Wo, NN_WINO_TILE);

  int total_rows = B * job.th;
  int rows = block_rows (conv, job.tw, total_rows);
  size_t max_tb = (size_t) rows * job.tw;
  job.v = scratch;
  job.m = scratch + NN_WINO_POINTS * (size_t) conv->c_in * max_tb;
  job.temp = job.m + NN_WINO_POINTS * (size_t) conv->c_out * max_tb;
  job.temp_floats = temp_floats_for (job.tw);
  job.c_per_task = nn_max (1, nn_ceil_div (conv->c_in, 8 * n_threads));
  job.o_per_task = nn_max (1, nn_ceil_div (conv->c_out, 8 * n_threads));

  for (int r0 = 0; r0 < total_rows; r0 += rows)
    {
      job.r0 = r0;
      job.rows = nn_min (rows, total_rows - r0);
      job.tb = job.rows * job.tw;
      nn_pool_run (pool, nn_ceil_div (conv->c_in, job.c_per_task), input_task, &job);
      nn_pool_run (pool, NN_WINO_POINTS, gemm_task, &job);
      nn_pool_run (pool, nn_ceil_div (conv->c_out, job.o_per_task), output_task, &job);
    }
}
