/* nn-winograd.c: 3×3 stride-1 convolution by Winograd's F(m×m, 3×3), m = 4 or 2.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each m×m block of outputs ("tile") is computed from the α×α input patch around it, α = m + 2:
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 * (Lavin & Gray, 2016). Over C input channels the element-wise products become P = α² independent
 * GEMMs, M[ξ] (OC, T) = U[ξ] (OC, C) · V[ξ] (C, T). Per output and channel pair that is P / m²
 * multiplications instead of the direct method's 9: 2.25 for F(4×4) (points 0, ±1, ±2, ∞), 4 for
 * F(2×2) (points 0, ±1, ∞). F(4×4) does least work; F(2×2) makes four times as many tiles, which
 * matters when a map is so small (7×7 at batch 1: 4 tiles of 4×4, 16 of 2×2) that F(4×4)'s GEMMs
 * would fill a fraction of a vector. nn_conv_pick_algo weighs the two and the direct method.
 *
 * Tiles are processed in blocks of whole tile rows so that the transformed input V (P, C, ld) and
 * products M (P, OC, ld) stay within a few MiB. Each block runs three parallel phases: input
 * transform (split by channel), the P GEMMs (split by ξ) and the output transform with bias,
 * residual and ReLU (split by output channel). The transforms run over all tiles of the block at
 * once so that their inner loops are long enough to vectorise.
 */
#include "nn-private.h"

#include <cblas.h>
#include <string.h>

enum
{
  BLOCK_FLOATS = 128 * 1024, /* (C + OC) · tb per ξ: P of these make the block's scratch */
};

typedef void (*RowsFunc) (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n);
typedef void (*DeinterleaveFunc) (float *restrict q, size_t qs, const float *restrict stage, int n);
typedef void (*InterleaveFunc) (float *restrict stage, const float *restrict y, size_t ys, int n);

typedef struct
{
  int m;                   /* outputs per tile side */
  int alpha;               /* inputs per tile side: m + 2 */
  const double (*g)[3];    /* G: (alpha, 3) */
  RowsFunc input_rows;     /* Bᵀ: alpha rows → alpha rows */
  RowsFunc output_rows;    /* Aᵀ: alpha rows → m rows */
  DeinterleaveFunc phases; /* q[j][t] = stage[m·t + j], j < m */
  InterleaveFunc unphase;  /* stage[m·t + j] = y[j][t], j < m */
} Variant;

/* ---------------------------------------------------------------------------------------------- */
/* F(4×4, 3×3)                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

static const double g4[6][3] = {
  { 1.0 / 4, 0, 0 },
  { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
  { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
  { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
  { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
  { 0, 0, 1 },
};

NN_SIMD_CLONES static void
input_rows_6 (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
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

NN_SIMD_CLONES static void
output_rows_6 (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
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

NN_SIMD_CLONES static void
phases_4 (float *restrict q, size_t qs, const float *restrict stage, int n)
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

NN_SIMD_CLONES static void
unphase_4 (float *restrict stage, const float *restrict y, size_t ys, int n)
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

/* ---------------------------------------------------------------------------------------------- */
/* F(2×2, 3×3)                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

static const double g2[4][3] = {
  { 1, 0, 0 },
  { 0.5, 0.5, 0.5 },
  { 0.5, -0.5, 0.5 },
  { 0, 0, 1 },
};

NN_SIMD_CLONES static void
input_rows_4 (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
{
  const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
  float *y0 = y, *y1 = y + ys, *y2 = y + 2 * ys, *y3 = y + 3 * ys;

  for (int t = 0; t < n; t++)
    {
      float a1 = x1[t], a2 = x2[t];
      y0[t] = x0[t] - a2;
      y1[t] = a1 + a2;
      y2[t] = a2 - a1;
      y3[t] = a1 - x3[t];
    }
}

NN_SIMD_CLONES static void
output_rows_4 (float *restrict y, size_t ys, const float *restrict x, size_t xs, int n)
{
  const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs, *x3 = x + 3 * xs;
  float *y0 = y, *y1 = y + ys;

  for (int t = 0; t < n; t++)
    {
      y0[t] = x0[t] + x1[t] + x2[t];
      y1[t] = x1[t] - x2[t] - x3[t];
    }
}

NN_SIMD_CLONES static void
phases_2 (float *restrict q, size_t qs, const float *restrict stage, int n)
{
  for (int t = 0; t < n; t++)
    {
      q[t] = stage[2 * t];
      q[qs + t] = stage[2 * t + 1];
    }
}

NN_SIMD_CLONES static void
unphase_2 (float *restrict stage, const float *restrict y, size_t ys, int n)
{
  for (int t = 0; t < n; t++)
    {
      stage[2 * t] = y[t];
      stage[2 * t + 1] = y[ys + t];
    }
}

static const Variant variants[NN_WINO_N_VARIANTS] = {
  [NN_WINO_F2] = { 2, 4, g2, input_rows_4, output_rows_4, phases_2, unphase_2 },
  [NN_WINO_F4] = { 4, 6, g4, input_rows_6, output_rows_6, phases_4, unphase_4 },
};

/* ---------------------------------------------------------------------------------------------- */
/* Weights                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

bool
nn_winograd_supported (const NnConv *conv)
{
  return conv->k == 3 && conv->stride == 1;
}

int
nn_winograd_tile (NnWinoVariant v)
{
  return variants[v].m;
}

int
nn_winograd_points (NnWinoVariant v)
{
  return variants[v].alpha * variants[v].alpha;
}

void
nn_winograd_transform_weights (float *u, const float *weight, int OC, int C, NnWinoVariant v)
{
  const Variant *var = &variants[v];
  int alpha = var->alpha;
  size_t plane = (size_t) OC * C;

  for (int o = 0; o < OC; o++)
    for (int c = 0; c < C; c++)
      {
        const float *g = weight + ((size_t) o * C + c) * 9;
        double t[6][3], r[6][6];

        /* G g: (alpha, 3), then (G g) Gᵀ: (alpha, alpha), in double */
        for (int i = 0; i < alpha; i++)
          for (int col = 0; col < 3; col++)
            t[i][col] = var->g[i][0] * g[0 * 3 + col] + var->g[i][1] * g[1 * 3 + col]
                        + var->g[i][2] * g[2 * 3 + col];
        for (int i = 0; i < alpha; i++)
          for (int j = 0; j < alpha; j++)
            r[i][j] = t[i][0] * var->g[j][0] + t[i][1] * var->g[j][1] + t[i][2] * var->g[j][2];
        for (int xi = 0; xi < alpha * alpha; xi++)
          u[xi * plane + (size_t) o * C + c] = (float) r[xi / alpha][xi % alpha];
      }
}

/* ---------------------------------------------------------------------------------------------- */
/* Transforms                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  float *out;
  const float *inp;
  const float *residual;
  const NnConv *conv;
  const Variant *var;
  const float *u; /* this variant's transformed weights */
  bool packed;
  int B, H, W, Ho, Wo;
  int th, tw; /* tile rows per image, tiles per tile row */
  bool relu;
  int r0, rows;   /* the block: tile rows [r0, r0 + rows) of B·th */
  int tb;         /* tiles in the block: rows · tw */
  size_t ld;      /* row stride of V and M: tb rounded up to a multiple of 16 */
  int c_per_task; /* phase 1 */
  int o_per_task; /* phase 3 */
  float *v;       /* (P, C, ld) */
  float *m;       /* (P, OC, ld) */
  float *temp;    /* per thread: temp_floats */
  size_t temp_floats;
} WinoJob;

/* Per-thread transform buffers for a block of @tb tiles in @rows tile rows: the input side needs
 * (m + α + α²)·tb + 2·rows floats (staged rows, α phases, α² half-transformed rows), the output
 * side (m·α + 2m)·tb, which is less. */
static size_t
temp_floats_for (const Variant *var, int tb, int rows)
{
  int a = var->alpha;
  return (size_t) (var->m + a + a * a) * tb + 2 * (size_t) rows + 64;
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
 * The tiles of the block are numbered t = (r - r0)·tw + tx. For each of the α input rows i of a
 * tile row, the rows of all tile rows are staged back to back, m·tw columns each, so that phase j
 * of tile t is stage[m·t + j] for j < m: one linear deinterleave over the whole block. Phases m and
 * m + 1 are phases 0 and 1 of the next tile, except for the last tile of each row, whose two extra
 * columns are staged separately. Every loop then runs over the block's tb tiles, not over one
 * row's few. */
static void
input_transform (const WinoJob *job, int c, float *temp)
{
  const NnConv *conv = job->conv;
  const Variant *var = job->var;
  int m = var->m, alpha = var->alpha;
  int tw = job->tw, tb = job->tb, W = job->W, H = job->H;
  size_t n = (size_t) tb;
  float *stage = temp;                       /* (rows, m·tw) */
  float *extra = stage + m * n;              /* (rows, 2) */
  float *q = extra + 2 * (size_t) job->rows; /* (α, tb): the α phases */
  float *h = q + alpha * n;                  /* (α rows i, α frequencies k, tb) */

  for (int i = 0; i < alpha; i++)
    {
      for (int r = 0; r < job->rows; r++)
        {
          int row = job->r0 + r, b = row / job->th, ty = row % job->th;
          const float *plane = job->inp + ((size_t) c * job->B + b) * H * W;
          int iy = ty * m - conv->pad + i;
          padded_row (stage + (size_t) r * m * tw, plane, H, W, iy, -conv->pad, m * tw);
          padded_row (extra + 2 * r, plane, H, W, iy, m * tw - conv->pad, 2);
        }
      var->phases (q, n, stage, tb);
      memcpy (q + m * n, q + 1, sizeof (float) * (n - 1));
      memcpy (q + (m + 1) * n, q + n + 1, sizeof (float) * (n - 1));
      for (int r = 0; r < job->rows; r++)
        {
          size_t last = (size_t) r * tw + tw - 1;
          q[m * n + last] = extra[2 * r];
          q[(m + 1) * n + last] = extra[2 * r + 1];
        }
      var->input_rows (h + (size_t) i * alpha * n, n, q, n, tb);
    }

  /* vertical: Bᵀ along y for each horizontal frequency k, straight into V[ξ = i·α + k] */
  size_t vplane = (size_t) conv->c_in * job->ld;
  float *dst = job->v + (size_t) c * job->ld;
  for (int k = 0; k < alpha; k++)
    var->input_rows (dst + (size_t) k * vplane, alpha * vplane, h + (size_t) k * n, alpha * n, tb);
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

/* Aᵀ M A for every tile of the block in output channel @o, plus bias, residual and ReLU. */
static void
output_transform (const WinoJob *job, int o, float *temp)
{
  const NnConv *conv = job->conv;
  const Variant *var = job->var;
  int m = var->m, alpha = var->alpha;
  int tw = job->tw, tb = job->tb;
  size_t n = (size_t) tb;
  size_t mplane = (size_t) conv->c_out * job->ld;
  const float *src = job->m + (size_t) o * job->ld;
  float *w = temp;              /* (m rows i, α frequencies k, tb) */
  float *y = w + m * alpha * n; /* (m, tb) */
  float *stage = y + m * n;     /* (rows, m·tw) */
  float bias = conv->bias ? conv->bias[o] : 0.0f;
  size_t out_plane = (size_t) job->Ho * job->Wo;

  /* vertical: Aᵀ along the first frequency, for each horizontal frequency k */
  for (int k = 0; k < alpha; k++)
    var->output_rows (w + (size_t) k * n, alpha * n, src + (size_t) k * mplane, alpha * mplane, tb);
  for (int i = 0; i < m; i++)
    {
      /* horizontal, then the m outputs of each tile back into image order */
      var->output_rows (y, n, w + (size_t) i * alpha * n, n, tb);
      var->unphase (stage, y, n, tb);
      for (int r = 0; r < job->rows; r++)
        {
          int row = job->r0 + r, b = row / job->th, oy = (row % job->th) * m + i;
          if (oy >= job->Ho)
            continue;
          size_t at = ((size_t) o * job->B + b) * out_plane + (size_t) oy * job->Wo;
          store_row (job->out + at, stage + (size_t) r * m * tw,
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
  const float *v = job->v + (size_t) xi * conv->c_in * ld;
  float *m = job->m + (size_t) xi * conv->c_out * ld;

  (void) thread;
  if (job->packed)
    nn_gemm_packed (m, ld, job->u + xi * nn_pack_a_floats (conv->c_out, conv->c_in), v, ld,
                    conv->c_out, job->tb, conv->c_in);
  else
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, conv->c_out, job->tb, conv->c_in, 1.0f,
                 job->u + (size_t) xi * conv->c_out * conv->c_in, conv->c_in, v, (int) ld, 0.0f, m,
                 (int) ld);
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

/* ---------------------------------------------------------------------------------------------- */
/* Driver                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Tile rows per block. */
static int
block_rows (const NnConv *conv, int tw, int total_rows)
{
  int rows = BLOCK_FLOATS / ((conv->c_in + conv->c_out) * tw);
  return nn_max (1, nn_min (rows, total_rows));
}

size_t
nn_winograd_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads, NnWinoVariant v)
{
  const Variant *var = &variants[v];
  int Ho = nn_conv_out_size (H, 3, 1, conv->pad), Wo = nn_conv_out_size (W, 3, 1, conv->pad);
  int th = nn_ceil_div (Ho, var->m), tw = nn_ceil_div (Wo, var->m);
  int rows = block_rows (conv, tw, B * th);
  size_t ld = (size_t) nn_round_up (rows * tw, 16);

  return (size_t) var->alpha * var->alpha * (size_t) (conv->c_in + conv->c_out) * ld
         + (size_t) n_threads * temp_floats_for (var, rows * tw, rows);
}

void
nn_winograd_forward (float *out, const float *inp, const float *residual, const NnConv *conv, int B,
                     int H, int W, bool relu, NnWinoVariant v, NnPool *pool, float *scratch)
{
  const Variant *var = &variants[v];
  int n_threads = nn_pool_get_n_threads (pool);
  int points = var->alpha * var->alpha;
  WinoJob job = {
    .out = out,
    .inp = inp,
    .residual = residual,
    .conv = conv,
    .var = var,
    .u = conv->wino[v],
    .packed = conv->wino_packed,
    .B = B,
    .H = H,
    .W = W,
    .Ho = nn_conv_out_size (H, 3, 1, conv->pad),
    .Wo = nn_conv_out_size (W, 3, 1, conv->pad),
    .relu = relu,
  };
  job.th = nn_ceil_div (job.Ho, var->m);
  job.tw = nn_ceil_div (job.Wo, var->m);

  int total_rows = B * job.th;
  int rows = block_rows (conv, job.tw, total_rows);
  size_t max_ld = (size_t) nn_round_up (rows * job.tw, 16);
  job.v = scratch;
  job.m = scratch + points * (size_t) conv->c_in * max_ld;
  job.temp = job.m + points * (size_t) conv->c_out * max_ld;
  job.temp_floats = temp_floats_for (var, rows * job.tw, rows);
  job.c_per_task = nn_max (1, nn_ceil_div (conv->c_in, 8 * n_threads));
  job.o_per_task = nn_max (1, nn_ceil_div (conv->c_out, 8 * n_threads));

  for (int r0 = 0; r0 < total_rows; r0 += rows)
    {
      job.r0 = r0;
      job.rows = nn_min (rows, total_rows - r0);
      job.tb = job.rows * job.tw;
      job.ld = (size_t) nn_round_up (job.tb, 16);
      nn_pool_run (pool, nn_ceil_div (conv->c_in, job.c_per_task), input_task, &job);
      nn_pool_run (pool, points, gemm_task, &job);
      nn_pool_run (pool, nn_ceil_div (conv->c_out, job.o_per_task), output_task, &job);
    }
}
