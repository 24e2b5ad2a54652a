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
  size_t ld;      /* row stride of V and M: tb rounded up to a multiple of 16 */
  int c_per_task; /* phase 1 */
  int o_per_task; /* phase 3 */
  float *v;       /* (36, C, ld) */
  float *m;       /* (36, OC, ld) */
  float *temp;    /* per thread: temp_floats */
  size_t temp_floats;
} WinoJob;

/* Per-thread transform buffers for a block of @tb tiles in @rows tile rows: the input side needs
 * 46·tb + 2·rows floats (staged rows, six phases, 36 half-transformed rows), the output side 32·tb. */
static size_t
temp_floats_for (int tb, int rows)
{
  return (size_t) 46 * tb + 2 * (size_t) rows + 64;
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

/* q[j][t] = stage[4t + j] for j < 4 (rows of q with stride qs): the first four phases of every
 * tile, over all n tiles of the block at once. */
NN_SIMD_CLONES static void
deinterleave4 (float *restrict q, size_t qs, const float *restrict stage, int n)
{
  float *q0 = q, *q1 = q + qs, *q2 = q + 2 * qs, *q3 = q + 3 * qs;

  for (int t = 0; t < n; t++)
    {
      q0[t] = stage[4 * t + 0];
      q1[t] = stage[4 * t + 1];
      q2[t] = stage[4 * t + 2];
      q3[t] = stage[4 * t + 3];
    }
}

/* Copies input row @iy of @plane, columns [x0, x0 + n), zero outside the image. */
static void
padded_row (float *dst, const float *plane, int H, int W, int iy, int x0, int n)
{
  if (iy < 0 || iy >= H)
    {
      memset (dst, 0, sizeof (float) * (size_t) n);
      return;
    }
  int lo = nn_min (n, nn_max (0, -x0)), hi = nn_max (lo, nn_min (n, W - x0));
  memset (dst, 0, sizeof (float) * (size_t) lo);
  memcpy (dst + lo, plane + (size_t) iy * W + x0 + lo, sizeof (float) * (size_t) (hi - lo));
  memset (dst + hi, 0, sizeof (float) * (size_t) (n - hi));
}

/* Bᵀ d B for every tile of the block in channel @c, into V[ξ][c][t].
 *
 * The tiles of the block are numbered t = (r - r0)·tw + tx. For each of the six input rows i of a
 * tile row, the rows of all tile rows are staged back to back, 4·tw columns each, so that phase j of
 * tile t is stage[4t + j] for j < 4: one linear deinterleave over the whole block. Phases 4 and 5
 * are phases 0 and 1 of the next tile, except for the last tile of each row, whose two extra
 * columns are staged separately. Every loop then runs over the block's tb tiles, not over one row's
 * few. */
static void
input_transform (const WinoJob *job, int c, float *temp)
{
  const NnConv *conv = job->conv;
  int tw = job->tw, tb = job->tb, W = job->W, H = job->H;
  size_t n = (size_t) tb;
  float *stage = temp;                       /* (rows, 4·tw) */
  float *extra = stage + 4 * n;              /* (rows, 2) */
  float *q = extra + 2 * (size_t) job->rows; /* (6, tb): the six phases */
  float *h = q + 6 * n;                      /* (6 rows i, 6 frequencies k, tb) */

  for (int i = 0; i < 6; i++)
    {
      for (int r = 0; r < job->rows; r++)
        {
          int row = job->r0 + r, b = row / job->th, ty = row % job->th;
          const float *plane = job->inp + ((size_t) c * job->B + b) * H * W;
          int iy = ty * 4 - conv->pad + i;
          padded_row (stage + (size_t) r * 4 * tw, plane, H, W, iy, -conv->pad, 4 * tw);
          padded_row (extra + 2 * r, plane, H, W, iy, 4 * tw - conv->pad, 2);
        }
      deinterleave4 (q, n, stage, tb);
      memcpy (q + 4 * n, q + 1, sizeof (float) * (n - 1));
      memcpy (q + 5 * n, q + n + 1, sizeof (float) * (n - 1));
      for (int r = 0; r < job->rows; r++)
        {
          size_t last = (size_t) r * tw + tw - 1;
          q[4 * n + last] = extra[2 * r];
          q[5 * n + last] = extra[2 * r + 1];
        }
      input_rows (h + (size_t) i * 6 * n, n, q, n, tb);
    }

  /* vertical: Bᵀ along y for each horizontal frequency k, straight into V[ξ = i·6 + k] */
  size_t vplane = (size_t) conv->c_in * job->ld;
  float *dst = job->v + (size_t) c * job->ld;
  for (int k = 0; k < 6; k++)
    input_rows (dst + (size_t) k * vplane, 6 * vplane, h + (size_t) k * n, 6 * n, tb);
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

/* stage[4t + j] = y[j][t] */
NN_SIMD_CLONES static void
interleave4 (float *restrict stage, const float *restrict y, size_t ys, int n)
{
  const float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;

  for (int t = 0; t < n; t++)
    {
      stage[4 * t + 0] = y0[t];
      stage[4 * t + 1] = y1[t];
      stage[4 * t + 2] = y2[t];
      stage[4 * t + 3] = y3[t];
    }
}

/* out[x] = act (row[x] + bias + res[x]) */
NN_SIMD_CLONES static void
store_row (float *restrict out, const float *restrict row, const float *res, float bias, bool relu,
           int n)
{
  if (res)
    for (int x = 0; x < n; x++)
      {
        float v = row[x] + bias + res[x];
        out[x] = relu && v < 0.0f ? 0.0f : v;
      }
  else
    for (int x = 0; x < n; x++)
      {
        float v = row[x] + bias;
        out[x] = relu && v < 0.0f ? 0.0f : v;
      }
}

/* Aᵀ m A for every tile of the block in output channel @o, plus bias, residual and ReLU. */
static void
output_transform (const WinoJob *job, int o, float *temp)
{
  const NnConv *conv = job->conv;
  int tw = job->tw, tb = job->tb;
  size_t n = (size_t) tb;
  size_t mplane = (size_t) conv->c_out * job->ld;
  const float *src = job->m + (size_t) o * job->ld;
  float *w = temp;          /* (4 rows i, 6 frequencies k, tb) */
  float *y = w + 24 * n;    /* (4, tb) */
  float *stage = y + 4 * n; /* (rows, 4·tw) */
  float bias = conv->bias ? conv->bias[o] : 0.0f;
  size_t out_plane = (size_t) job->Ho * job->Wo;

  /* vertical: Aᵀ along the first frequency, for each horizontal frequency k */
  for (int k = 0; k < 6; k++)
    output_rows (w + (size_t) k * n, 6 * n, src + (size_t) k * mplane, 6 * mplane, tb);
  for (int i = 0; i < 4; i++)
    {
      /* horizontal, then the four outputs of each tile back into image order */
      output_rows (y, n, w + (size_t) i * 6 * n, n, tb);
      interleave4 (stage, y, n, tb);
      for (int r = 0; r < job->rows; r++)
        {
          int row = job->r0 + r, b = row / job->th, oy = (row % job->th) * 4 + i;
          if (oy >= job->Ho)
            continue;
          size_t at = ((size_t) o * job->B + b) * out_plane + (size_t) oy * job->Wo;
          store_row (job->out + at, stage + (size_t) r * 4 * tw,
                     job->residual ? job->residual + at : NULL, bias, job->relu, job->Wo);
        }
    }
}

static void
input_task (void *ctx, int task, int thread)
{
  const WinoJob *job = ctx;
  float *temp = job->temp + (size_t) thread * job->temp_floats;
  int c0 = task * job->c_per_task, c1 = nn_min (job->conv->c_in, c0 + job->c_per_task);

  for (int c = c0; c < c1; c++)
    input_transform (job, c, temp);
}

static void
gemm_task (void *ctx, int xi, int thread)
{
  const WinoJob *job = ctx;
  const NnConv *conv = job->conv;
  size_t ld = job->ld;

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
    output_transform (job, o, temp);
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
  size_t ld = (size_t) nn_round_up (rows * tw, 16);

  return NN_WINO_POINTS * (size_t) (conv->c_in + conv->c_out) * ld
         + (size_t) n_threads * temp_floats_for (rows * tw, rows);
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
  size_t max_ld = (size_t) nn_round_up (rows * job.tw, 16);
  job.v = scratch;
  job.m = scratch + NN_WINO_POINTS * (size_t) conv->c_in * max_ld;
  job.temp = job.m + NN_WINO_POINTS * (size_t) conv->c_out * max_ld;
  job.temp_floats = temp_floats_for (rows * job.tw, rows);
  job.c_per_task = nn_max (1, nn_ceil_div (conv->c_in, 8 * n_threads));
  job.o_per_task = nn_max (1, nn_ceil_div (conv->c_out, 8 * n_threads));

  for (int r0 = 0; r0 < total_rows; r0 += rows)
    {
      job.r0 = r0;
      job.rows = nn_min (rows, total_rows - r0);
      job.tb = job.rows * job.tw;
      job.ld = (size_t) nn_round_up (job.tb, 16);
      nn_pool_run (pool, nn_ceil_div (conv->c_in, job.c_per_task), input_task, &job);
      nn_pool_run (pool, NN_WINO_POINTS, gemm_task, &job);
      nn_pool_run (pool, nn_ceil_div (conv->c_out, job.o_per_task), output_task, &job);
    }
}
