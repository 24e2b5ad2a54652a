/* nn-conv.c: 2-D convolution, reference and im2col + sgemm.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fast path treats the convolution as out (OC, N) = weight (OC, K) · col (K, N) with
 * K = C·k·k and N = B·Ho·Wo. Columns are produced a chunk at a time into per-thread scratch that
 * stays in L2, so the im2col buffer of a 224-pixel batch of 16 never exists whole. When a layer has
 * too few columns to give every thread a chunk (late layers at batch 1), the columns are built once
 * and the threads split the output channels instead. 1×1 stride-1 convolutions read their input
 * directly as the column matrix.
 */
#include "nn-private.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum
{
  COL_CHUNK_FLOATS = 256 * 1024, /* 1 MiB of columns per chunk: half a core's L2 */
  MIN_CHUNK = 128,
  MAX_CHUNK = 4096,
  MIN_SPLIT_COLUMNS = 64, /* narrower chunks run sgemm too slowly: split channels instead */
};

int
nn_conv_out_size (int in, int k, int stride, int pad)
{
  return (in + 2 * pad - k) / stride + 1;
}

bool
nn_conv_init (NnConv *conv, int c_in, int c_out, int k, int stride, int pad, const float *weight,
              const float *bias)
{
  *conv = (NnConv){
    .c_in = c_in,
    .c_out = c_out,
    .k = k,
    .stride = stride,
    .pad = pad,
    .weight = weight,
    .bias = bias,
  };
  if (!nn_winograd_supported (conv))
    return true;

  bool packed = nn_gemm_packed_available ();
  size_t plane = (size_t) c_out * c_in;
  for (int v = 0; v < NN_WINO_N_VARIANTS; v++)
    {
      int points = nn_winograd_points (v);
      float *u = malloc (sizeof (float) * points * plane);
      if (!u)
        return false;
      nn_winograd_transform_weights (u, weight, c_out, c_in, v);
      if (!packed)
        {
          conv->wino[v] = u;
          continue;
        }
      /* the products run on nn_gemm_packed: pack each point's (c_out, c_in) matrix once */
      size_t size = nn_pack_a_floats (c_out, c_in);
      conv->wino[v] = malloc (sizeof (float) * points * size);
      if (conv->wino[v])
        for (int xi = 0; xi < points; xi++)
          nn_pack_a (conv->wino[v] + xi * size, u + xi * plane, c_out, c_in);
      free (u);
      if (!conv->wino[v])
        return false;
    }
  conv->wino_packed = packed;
  return true;
}

void
nn_conv_clear (NnConv *conv)
{
  for (int v = 0; v < NN_WINO_N_VARIANTS; v++)
    {
      free (conv->wino[v]);
      conv->wino[v] = NULL;
    }
  conv->wino_packed = false;
}

/* Vector work of an algorithm, in multiplications per (input, output) channel pair: per output
 * (or per tile) count, rounded up to whole 16-wide vectors as the GEMMs see them. */
static long
vector_work (long columns, int multiplications)
{
  return (long) nn_round_up ((int) columns, 16) * multiplications;
}

NnConvAlgo
nn_conv_pick_algo (const NnConv *conv, int B, int H, int W)
{
  if (!conv->wino[NN_WINO_F4] || !conv->wino[NN_WINO_F2])
    return NN_CONV_ALGO_GEMM;

  int Ho = nn_conv_out_size (H, conv->k, conv->stride, conv->pad);
  int Wo = nn_conv_out_size (W, conv->k, conv->stride, conv->pad);
  long t4 = (long) B * nn_ceil_div (Ho, 4) * nn_ceil_div (Wo, 4);
  long t2 = (long) B * nn_ceil_div (Ho, 2) * nn_ceil_div (Wo, 2);
  long direct = vector_work ((long) B * Ho * Wo, 9);
  long f4 = vector_work (t4, 36), f2 = vector_work (t2, 16);

  /* on a tie, the more accurate method: direct, then F(2×2), then F(4×4) */
  if (direct <= f2 && direct <= f4)
    return NN_CONV_ALGO_GEMM;
  return f2 <= f4 ? NN_CONV_ALGO_WINOGRAD_F2 : NN_CONV_ALGO_WINOGRAD;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reference                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

void
nn_conv2d_forward_ref (float *out, const float *inp, const float *weight, const float *bias, int B,
                       int C, int H, int W, int OC, int K, int stride, int pad)
{
  int Ho = nn_conv_out_size (H, K, stride, pad);
  int Wo = nn_conv_out_size (W, K, stride, pad);

  for (int o = 0; o < OC; o++)
    for (int b = 0; b < B; b++)
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            double acc = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++)
                  {
                    int iy = oy * stride - pad + ky;
                    int ix = ox * stride - pad + kx;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                      continue;
                    acc += (double) weight[((size_t) (o * C + c) * K + ky) * K + kx]
                           * inp[(((size_t) c * B + b) * H + iy) * W + ix];
                  }
            out[(((size_t) o * B + b) * Ho + oy) * Wo + ox] = (float) acc;
          }
}

/* ---------------------------------------------------------------------------------------------- */
/* im2col + sgemm                                                                                  */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  float *out;
  const float *inp;
  const float *residual;
  const NnConv *conv;
  int B, H, W, Ho, Wo;
  size_t N; /* columns: B·Ho·Wo */
  int K;    /* rows of the column matrix: C·k·k */
  bool relu;
  bool direct; /* 1×1 stride 1, no padding: the input is the column matrix */

  /* column split */
  int chunk;      /* columns per task */
  float *scratch; /* per-thread column buffers of K × chunk */

  /* channel split */
  const float *col; /* (K, N), shared */
  int c_per_task;   /* input channels per im2col task */
  int m_per_task;   /* output channels per sgemm task */
} GemmJob;

static inline int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Rows [c0·k·k, c1·k·k) of the column matrix for columns [n0, n0 + nc), written with leading
 * dimension ld. */
static void
im2col (float *col, size_t ld, const GemmJob *job, int c0, int c1, size_t n0, int nc)
{
  const NnConv *conv = job->conv;
  int k = conv->k, s = conv->stride, p = conv->pad;
  int H = job->H, W = job->W, Ho = job->Ho, Wo = job->Wo, B = job->B;
  size_t plane = (size_t) H * W, out_plane = (size_t) Ho * Wo;

  for (int c = c0; c < c1; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *dst = col + ((size_t) ((c - c0) * k + ky) * k + kx) * ld;
          int b = (int) (n0 / out_plane);
          int rem = (int) (n0 % out_plane);
          int oy = rem / Wo, ox = rem % Wo;

          for (int j = 0; j < nc;)
            {
              int run = nn_min (Wo - ox, nc - j);
              int iy = oy * s - p + ky;
              float *d = dst + j;

              if (iy < 0 || iy >= H)
                memset (d, 0, sizeof (float) * (size_t) run);
              else
                {
                  const float *row = job->inp + ((size_t) c * B + b) * plane + (size_t) iy * W;
                  int x0 = ox * s - p + kx; /* input column of d[0] */
                  int lo = nn_max (0, nn_ceil_div (-x0 > 0 ? -x0 : 0, s));
                  int hi = nn_min (run, floor_div (W - 1 - x0, s) + 1);
                  if (hi < lo)
                    hi = lo;
                  if (lo > run)
                    lo = hi = run;
                  memset (d, 0, sizeof (float) * (size_t) lo);
                  if (s == 1)
                    memcpy (d + lo, row + x0 + lo, sizeof (float) * (size_t) (hi - lo));
                  else
                    for (int t = lo; t < hi; t++)
                      d[t] = row[x0 + t * s];
                  memset (d + hi, 0, sizeof (float) * (size_t) (run - hi));
                }
              j += run;
              ox += run;
              if (ox == Wo)
                {
                  ox = 0;
                  if (++oy == Ho)
                    {
                      oy = 0;
                      b++;
                    }
                }
            }
        }
}

NN_SIMD_CLONES void
nn_epilogue_row (float *out, const float *residual, float bias, bool relu, size_t n)
{
  if (residual)
    for (size_t i = 0; i < n; i++)
      out[i] += residual[i] + bias;
  else if (bias != 0.0f)
    for (size_t i = 0; i < n; i++)
      out[i] += bias;
  if (relu)
    for (size_t i = 0; i < n; i++)
      out[i] = out[i] > 0.0f ? out[i] : 0.0f;
}

/* sgemm for output rows [m0, m0 + mc) and columns [n0, n0 + nc), then the epilogue. When the
 * residual is the output buffer itself, sgemm accumulates onto it (beta = 1). */
static void
gemm_block (const GemmJob *job, const float *col, size_t ldcol, int m0, int mc, size_t n0, int nc)
{
  const NnConv *conv = job->conv;
  float *out = job->out + (size_t) m0 * job->N + n0;
  bool accumulate = job->residual == job->out;

  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, mc, nc, job->K, 1.0f,
               conv->weight + (size_t) m0 * job->K, job->K, col, (int) ldcol,
               accumulate ? 1.0f : 0.0f, out, (int) job->N);
  for (int m = 0; m < mc; m++)
    {
      const float *res =
        job->residual && !accumulate ? job->residual + (size_t) (m0 + m) * job->N + n0 : NULL;
      float bias = conv->bias ? conv->bias[m0 + m] : 0.0f;
      nn_epilogue_row (out + (size_t) m * job->N, res, bias, job->relu, (size_t) nc);
    }
}

static void
column_task (void *ctx, int task, int thread)
{
  const GemmJob *job = ctx;
  size_t n0 = (size_t) task * job->chunk;
  int nc = (int) (job->N - n0 < (size_t) job->chunk ? job->N - n0 : (size_t) job->chunk);

  if (job->direct)
    {
      gemm_block (job, job->inp + n0, job->N, 0, job->conv->c_out, n0, nc);
      return;
    }
  float *col = job->scratch + (size_t) thread * job->K * job->chunk;
  im2col (col, (size_t) nc, job, 0, job->conv->c_in, n0, nc);
  gemm_block (job, col, (size_t) nc, 0, job->conv->c_out, n0, nc);
}

static void
im2col_task (void *ctx, int task, int thread)
{
  const GemmJob *job = ctx;
  int k2 = job->conv->k * job->conv->k;
  int c0 = task * job->c_per_task;
  int c1 = nn_min (job->conv->c_in, c0 + job->c_per_task);

  (void) thread;
  im2col ((float *) job->col + (size_t) c0 * k2 * job->N, job->N, job, c0, c1, 0, (int) job->N);
}

static void
channel_task (void *ctx, int task, int thread)
{
  const GemmJob *job = ctx;
  int m0 = task * job->m_per_task;
  int mc = nn_min (job->conv->c_out - m0, job->m_per_task);

  (void) thread;
  gemm_block (job, job->col, job->N, m0, mc, 0, (int) job->N);
}

/* How the GEMM path splits the work: fills chunk (column split) or m_per_task (channel split). */
static void
plan_gemm (GemmJob *job, int n_threads)
{
  int chunk = COL_CHUNK_FLOATS / job->K;
  chunk = nn_max (MIN_CHUNK, nn_min (MAX_CHUNK, nn_round_up (chunk, 16)));
  long n_chunks = ((long) job->N + chunk / 2) / chunk;
  if (n_chunks < 1)
    n_chunks = 1;
  n_chunks = nn_round_up ((int) n_chunks, n_threads);
  chunk = nn_round_up (nn_ceil_div ((int) job->N, (int) n_chunks), 16);

  job->chunk = chunk;
  job->m_per_task = 0;
  if (n_threads > 1 && chunk < MIN_SPLIT_COLUMNS && job->conv->c_out >= 32 * n_threads)
    {
      job->chunk = 0;
      job->m_per_task = nn_round_up (nn_ceil_div (job->conv->c_out, n_threads), 8);
      job->c_per_task = nn_max (1, nn_ceil_div (job->conv->c_in, 4 * n_threads));
    }
  else if (job->chunk > (int) job->N)
    job->chunk = (int) job->N;
}

static void
init_gemm_job (GemmJob *job, float *out, const float *inp, const float *residual,
               const NnConv *conv, int B, int H, int W, bool relu)
{
  *job = (GemmJob){
    .out = out,
    .inp = inp,
    .residual = residual,
    .conv = conv,
    .B = B,
    .H = H,
    .W = W,
    .Ho = nn_conv_out_size (H, conv->k, conv->stride, conv->pad),
    .Wo = nn_conv_out_size (W, conv->k, conv->stride, conv->pad),
    .K = conv->c_in * conv->k * conv->k,
    .relu = relu,
    .direct = conv->k == 1 && conv->stride == 1 && conv->pad == 0,
  };
  job->N = (size_t) B * job->Ho * job->Wo;
}

static size_t
gemm_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads)
{
  GemmJob job;

  init_gemm_job (&job, NULL, NULL, NULL, conv, B, H, W, false);
  if (job.direct)
    return 0;
  plan_gemm (&job, n_threads);
  if (job.m_per_task)
    return (size_t) job.K * job.N;
  return (size_t) n_threads * job.K * job.chunk;
}

size_t
nn_conv_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads)
{
  size_t n = gemm_scratch_floats (conv, B, H, W, n_threads);

  /* enough for every algorithm, so that forcing one is always safe */
  for (int v = 0; v < NN_WINO_N_VARIANTS; v++)
    if (conv->wino[v])
      {
        size_t wino = nn_winograd_scratch_floats (conv, B, H, W, n_threads, v);
        n = wino > n ? wino : n;
      }
  return n;
}

void
nn_conv2d_forward (float *out, const float *inp, const float *residual, const NnConv *conv, int B,
                   int H, int W, bool relu, int algo, NnPool *pool, float *scratch)
{
  int n_threads = nn_pool_get_n_threads (pool);
  GemmJob job;

  if (algo < 0)
    algo = (int) nn_conv_pick_algo (conv, B, H, W);
  if (algo == NN_CONV_ALGO_WINOGRAD || algo == NN_CONV_ALGO_WINOGRAD_F2)
    {
      NnWinoVariant v = algo == NN_CONV_ALGO_WINOGRAD ? NN_WINO_F4 : NN_WINO_F2;
      if (conv->wino[v])
        {
          nn_winograd_forward (out, inp, residual, conv, B, H, W, relu, v, pool, scratch);
          return;
        }
    }

  init_gemm_job (&job, out, inp, residual, conv, B, H, W, relu);
  plan_gemm (&job, n_threads);
  if (job.m_per_task)
    {
      job.col = job.direct ? inp : scratch;
      if (!job.direct)
        nn_pool_run (pool, nn_ceil_div (conv->c_in, job.c_per_task), im2col_task, &job);
      nn_pool_run (pool, nn_ceil_div (conv->c_out, job.m_per_task), channel_task, &job);
    }
  else
    {
      job.scratch = scratch;
      nn_pool_run (pool, (int) ((job.N + job.chunk - 1) / job.chunk), column_task, &job);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* BatchNorm folding                                                                               */
/* ---------------------------------------------------------------------------------------------- */

void
nn_fold_batchnorm (float *weight, float *bias, const float *gamma, const float *beta,
                   const float *mean, const float *var, int OC, int fan_in, float eps)
{
  for (int o = 0; o < OC; o++)
    {
      /* in double, as PyTorch's own fusion helper does the arithmetic at full precision */
      double scale = (double) gamma[o] / __builtin_sqrt ((double) var[o] + eps);
      for (int i = 0; i < fan_in; i++)
        weight[(size_t) o * fan_in + i] = (float) (weight[(size_t) o * fan_in + i] * scale);
      bias[o] = (float) (beta[o] + ((double) bias[o] - mean[o]) * scale);
    }
}
