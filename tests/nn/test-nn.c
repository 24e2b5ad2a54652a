/* test-nn.c: fast kernels against the naive reference kernels, on awkward shapes.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layer three of the numerics tests (STYLE.md): every fast path must agree with the seven-loop
 * reference on strides, padding, non-square maps, channel counts that are not a multiple of 8,
 * batches that straddle chunk boundaries, and on both thread counts.
 */
#include "nn.h"

#include <glib.h>
#include <math.h>

typedef struct
{
  int B, C, H, W, OC, K, stride, pad;
  bool relu, residual;
} ConvCase;

static float *
random_tensor (GRand *rng, size_t n, float scale)
{
  float *x = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -scale, scale);
  return x;
}

/* max |a - b| / max |b| over n values */
static double
relative_error (const float *a, const float *b, size_t n)
{
  double diff = 0.0, ref = 1e-30;
  for (size_t i = 0; i < n; i++)
    {
      diff = fmax (diff, fabs ((double) a[i] - b[i]));
      ref = fmax (ref, fabs ((double) b[i]));
    }
  return diff / ref;
}

static void
check_conv (const ConvCase *tc, int algo, int n_threads, double tolerance)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (tc->B * 131 + tc->C * 17 + tc->OC + tc->K);
  int Ho = nn_conv_out_size (tc->H, tc->K, tc->stride, tc->pad);
  int Wo = nn_conv_out_size (tc->W, tc->K, tc->stride, tc->pad);
  size_t n_in = (size_t) tc->C * tc->B * tc->H * tc->W;
  size_t n_out = (size_t) tc->OC * tc->B * Ho * Wo;
  g_autofree float *inp = random_tensor (rng, n_in, 1.0f);
  g_autofree float *weight = random_tensor (rng, (size_t) tc->OC * tc->C * tc->K * tc->K, 0.5f);
  g_autofree float *bias = random_tensor (rng, tc->OC, 0.5f);
  g_autofree float *residual = tc->residual ? random_tensor (rng, n_out, 1.0f) : NULL;
  g_autofree float *expected = g_new (float, n_out);
  g_autofree float *got = g_new (float, n_out);
  NnConv conv;
  NnPool *pool = nn_pool_new (n_threads);

  g_assert_nonnull (pool);
  g_assert_true (nn_conv_init (&conv, tc->C, tc->OC, tc->K, tc->stride, tc->pad, weight, bias));
  if (algo != NN_CONV_ALGO_GEMM)
    g_assert_nonnull (conv.wino[algo == NN_CONV_ALGO_WINOGRAD ? NN_WINO_F4 : NN_WINO_F2]);

  nn_conv2d_forward_ref (expected, inp, weight, bias, tc->B, tc->C, tc->H, tc->W, tc->OC, tc->K,
                         tc->stride, tc->pad);
  if (residual)
    nn_add_forward (expected, expected, residual, n_out);
  if (tc->relu)
    nn_relu_forward (expected, expected, n_out);

  size_t scratch_n = nn_conv_scratch_floats (&conv, tc->B, tc->H, tc->W, n_threads);
  g_autofree float *scratch = g_new (float, scratch_n + 1);
  nn_conv2d_forward (got, inp, residual, &conv, tc->B, tc->H, tc->W, tc->relu, algo, pool, scratch);

  double err = relative_error (got, expected, n_out);
  if (err > tolerance)
    g_error ("conv B=%d C=%d %dx%d OC=%d k=%d s=%d p=%d algo=%d threads=%d: error %.3g > %.3g",
             tc->B, tc->C, tc->H, tc->W, tc->OC, tc->K, tc->stride, tc->pad, algo, n_threads, err,
             tolerance);

  /* the residual may be the output buffer itself */
  if (residual)
    {
      memcpy (got, residual, sizeof (float) * n_out);
      nn_conv2d_forward (got, inp, got, &conv, tc->B, tc->H, tc->W, tc->relu, algo, pool, scratch);
      g_assert_cmpfloat (relative_error (got, expected, n_out), <=, tolerance);
    }

  nn_conv_clear (&conv);
  nn_pool_free (pool);
}

static const ConvCase gemm_cases[] = {
  /* B  C   H   W  OC  K  s  p  relu  residual */
  { 1, 3, 17, 23, 5, 7, 2, 3, true, false }, /* ResNet stem shape, odd sizes */
  { 2, 5, 9, 13, 7, 3, 1, 1, false, true },
  { 3, 13, 11, 7, 19, 3, 2, 1, true, true },   /* stride 2, non-square */
  { 2, 12, 8, 8, 24, 1, 1, 0, true, false },   /* 1×1 direct GEMM */
  { 2, 12, 9, 7, 20, 1, 2, 0, false, true },   /* 1×1 stride 2 (ResNet downsample) */
  { 1, 3, 31, 29, 10, 3, 2, 0, true, false },  /* SqueezeNet stem: no padding */
  { 1, 70, 7, 7, 130, 3, 1, 1, true, true },   /* few columns: channel split */
  { 1, 33, 4, 5, 100, 1, 1, 0, true, false },  /* few columns, 1×1 */
  { 5, 6, 37, 41, 9, 5, 3, 2, true, false },   /* kernel 5, stride 3 */
  { 4, 64, 29, 29, 40, 3, 1, 1, true, false }, /* many chunks */
};

static const ConvCase winograd_cases[] = {
  { 1, 3, 4, 4, 2, 3, 1, 1, false, false },    /* a single tile */
  { 1, 5, 13, 11, 7, 3, 1, 1, true, true },    /* partial tiles on both edges */
  { 3, 17, 9, 22, 9, 3, 1, 1, true, false },   /* batch crossing tile rows */
  { 2, 8, 10, 10, 8, 3, 1, 0, false, false },  /* no padding */
  { 2, 64, 28, 28, 64, 3, 1, 1, true, true },  /* ResNet layer2 shape */
  { 1, 37, 57, 5, 11, 3, 1, 1, false, false }, /* tall and thin */
  { 1, 4, 3, 70, 6, 3, 1, 1, true, false },    /* short and wide */
  { 6, 160, 14, 14, 96, 3, 1, 1, true, true }, /* several blocks */
};

static void
test_conv_gemm (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (gemm_cases); i++)
    for (int threads = 1; threads <= 3; threads++)
      check_conv (&gemm_cases[i], NN_CONV_ALGO_GEMM, threads, 2e-6);
}

static void
test_conv_winograd (void)
{
  /* Winograd rounds more than the direct method: F(4×4, 3×3)'s transforms scale values by up to 8.
   * Both GEMM paths: the packed AVX-512 kernels (where the CPU has them) and OpenBLAS. */
  for (int generic = 0; generic <= 1; generic++)
    {
      nn_set_generic_kernels (generic);
      for (gsize i = 0; i < G_N_ELEMENTS (winograd_cases); i++)
        for (int threads = 1; threads <= 3; threads++)
          {
            check_conv (&winograd_cases[i], NN_CONV_ALGO_WINOGRAD, threads, 5e-5);
            check_conv (&winograd_cases[i], NN_CONV_ALGO_WINOGRAD_F2, threads, 2e-5);
          }
    }
  nn_set_generic_kernels (false);
}

static void
test_gemm_packed (void)
{
  /* every kernel shape and tail: rows around the 8/16 row blocks, columns around 16/32/48 */
  static const int Ms[] = { 1, 2, 7, 8, 9, 15, 16, 17, 24, 40, 64 };
  static const int Ns[] = { 1, 5, 16, 17, 31, 32, 33, 47, 48, 49, 100 };
  static const int Ks[] = { 1, 3, 64 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);

  if (!nn_gemm_packed_available ())
    g_test_message ("no AVX-512 on this CPU: checking the portable kernel only");
  for (gsize mi = 0; mi < G_N_ELEMENTS (Ms); mi++)
    for (gsize ni = 0; ni < G_N_ELEMENTS (Ns); ni++)
      for (gsize ki = 0; ki < G_N_ELEMENTS (Ks); ki++)
        {
          int M = Ms[mi], N = Ns[ni], K = Ks[ki];
          size_t ldb = (size_t) N + 3, ldc = (size_t) N + 5; /* rows not packed tightly */
          g_autofree float *a = random_tensor (rng, (size_t) M * K, 1.0f);
          g_autofree float *b = random_tensor (rng, (size_t) K * ldb, 1.0f);
          g_autofree float *packed = g_new (float, nn_pack_a_floats (M, K));
          g_autofree float *expected = g_new0 (float, (size_t) M *ldc);
          g_autofree float *got = g_new0 (float, (size_t) M *ldc);

          /* the gaps between rows of c must stay untouched */
          for (size_t i = 0; i < (size_t) M * ldc; i++)
            expected[i] = got[i] = -7.0f;
          nn_pack_a (packed, a, M, K);
          for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++)
              {
                double acc = 0;
                for (int k = 0; k < K; k++)
                  acc += (double) a[(size_t) m * K + k] * b[(size_t) k * ldb + n];
                expected[(size_t) m * ldc + n] = (float) acc;
              }
          nn_gemm_packed (got, ldc, packed, b, ldb, M, N, K);
          for (size_t i = 0; i < (size_t) M * ldc; i++)
            if (fabs ((double) got[i] - expected[i]) > 1e-4 * (1 + fabs ((double) expected[i])))
              g_error ("gemm_packed M=%d N=%d K=%d: c[%zu] = %g, expected %g", M, N, K, i, got[i],
                       expected[i]);
          nn_gemm_packed_ref (got, ldc, packed, b, ldb, M, N, K);
          for (size_t i = 0; i < (size_t) M * ldc; i++)
            g_assert_cmpfloat (fabs ((double) got[i] - expected[i]), <=,
                               1e-4 * (1 + fabs ((double) expected[i])));
        }
}

static void
test_conv_pick (void)
{
  g_autofree float *w = g_new0 (float, 512 * 512 * 9);
  NnConv conv;

  g_assert_true (nn_conv_init (&conv, 64, 64, 3, 1, 1, w, NULL));
  g_assert_nonnull (conv.wino[NN_WINO_F4]);
  g_assert_nonnull (conv.wino[NN_WINO_F2]);
  /* 56×56: 196 tiles of 4×4 fill vectors, F(4×4) does least work */
  g_assert_cmpint (nn_conv_pick_algo (&conv, 1, 56, 56), ==, NN_CONV_ALGO_WINOGRAD);
  /* 14×14 at batch 1: 16 tiles of 4×4, one full vector */
  g_assert_cmpint (nn_conv_pick_algo (&conv, 1, 14, 14), ==, NN_CONV_ALGO_WINOGRAD);
  /* 7×7 at batch 1: 4 tiles of 4×4 but 16 of 2×2 */
  g_assert_cmpint (nn_conv_pick_algo (&conv, 1, 7, 7), ==, NN_CONV_ALGO_WINOGRAD_F2);
  g_assert_cmpint (nn_conv_pick_algo (&conv, 16, 7, 7), ==, NN_CONV_ALGO_WINOGRAD);
  /* a 2×2 map: one tile either way, direct is cheapest */
  g_assert_cmpint (nn_conv_pick_algo (&conv, 1, 2, 2), ==, NN_CONV_ALGO_GEMM);
  nn_conv_clear (&conv);
  g_assert_null (conv.wino[NN_WINO_F4]);

  g_assert_true (nn_conv_init (&conv, 64, 64, 3, 2, 1, w, NULL));
  g_assert_null (conv.wino[NN_WINO_F4]);
  g_assert_null (conv.wino[NN_WINO_F2]);
  g_assert_cmpint (nn_conv_pick_algo (&conv, 8, 56, 56), ==, NN_CONV_ALGO_GEMM);
  nn_conv_clear (&conv);

  g_assert_true (nn_conv_init (&conv, 64, 64, 1, 1, 0, w, NULL));
  g_assert_cmpint (nn_conv_pick_algo (&conv, 8, 56, 56), ==, NN_CONV_ALGO_GEMM);
  nn_conv_clear (&conv);
}

static void
test_maxpool (void)
{
  static const int cases[][6] = {
    /* H   W  k  s  p  ceil */
    { 111, 111, 3, 2, 0, 1 }, /* SqueezeNet 224 */
    { 112, 112, 3, 2, 1, 0 }, /* ResNet 224 */
    { 10, 13, 3, 2, 0, 1 },   /* ceil mode adds a partial window */
    { 9, 9, 3, 2, 1, 1 },     /* ceil mode's last-window rule drops one */
    { 7, 12, 2, 2, 0, 0 },    { 5, 5, 5, 1, 2, 0 },
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int threads = 1; threads <= 2; threads++)
      {
        int H = cases[i][0], W = cases[i][1], k = cases[i][2], s = cases[i][3], p = cases[i][4];
        bool ceil_mode = cases[i][5];
        int P = 11;
        int Ho = nn_pool_out_size (H, k, s, p, ceil_mode);
        int Wo = nn_pool_out_size (W, k, s, p, ceil_mode);
        size_t n_out = (size_t) P * Ho * Wo;
        g_autofree float *inp = random_tensor (rng, (size_t) P * H * W, 3.0f);
        g_autofree float *expected = g_new (float, n_out);
        g_autofree float *got = g_new (float, n_out);
        NnPool *pool = nn_pool_new (threads);

        nn_maxpool2d_forward_ref (expected, inp, P, H, W, k, s, p, ceil_mode);
        nn_maxpool2d_forward (got, inp, P, H, W, k, s, p, ceil_mode, pool);
        g_assert_cmpmem (got, n_out * sizeof (float), expected, n_out * sizeof (float));
        nn_pool_free (pool);
      }
}

static void
test_pool_out_size (void)
{
  /* values from torch.nn.MaxPool2d (…, ceil_mode=…)(torch.zeros (1, 1, n, n)).shape */
  g_assert_cmpint (nn_pool_out_size (111, 3, 2, 0, true), ==, 55);
  g_assert_cmpint (nn_pool_out_size (55, 3, 2, 0, true), ==, 27);
  g_assert_cmpint (nn_pool_out_size (27, 3, 2, 0, true), ==, 13);
  g_assert_cmpint (nn_pool_out_size (10, 3, 2, 0, true), ==, 5);
  g_assert_cmpint (nn_pool_out_size (10, 3, 2, 0, false), ==, 4);
  g_assert_cmpint (nn_pool_out_size (9, 3, 2, 1, true), ==, 5);
  g_assert_cmpint (nn_pool_out_size (6, 2, 2, 1, true), ==, 4);
  g_assert_cmpint (nn_pool_out_size (112, 3, 2, 1, false), ==, 56);
}

static void
test_avgpool (void)
{
  /* 1 plane 3×3, window 2, stride 2, pad 1, count_include_pad: corners see one value of four */
  const float inp[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  float out[4];

  nn_avgpool2d_forward_ref (out, inp, 1, 3, 3, 2, 2, 1, false);
  g_assert_cmpfloat_with_epsilon (out[0], 1.0f / 4, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], (2.0f + 3.0f) / 4, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], (4.0f + 7.0f) / 4, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[3], (5.0f + 6 + 8 + 9) / 4, 1e-6);
}

static void
test_global_avgpool (void)
{
  /* (C=2, B=3, 2, 2) → (B, C) */
  float inp[2 * 3 * 4];
  float out[6];

  for (int i = 0; i < 24; i++)
    inp[i] = (float) i;
  nn_global_avgpool_forward (out, inp, 3, 2, 2, 2);
  for (int b = 0; b < 3; b++)
    for (int c = 0; c < 2; c++)
      g_assert_cmpfloat_with_epsilon (out[b * 2 + c], (c * 3 + b) * 4 + 1.5f, 1e-6);
}

static void
test_layout_and_concat (void)
{
  float bchw[2 * 3 * 2], cbhw[2 * 3 * 2], back[2 * 3 * 2];
  float a[4] = { 1, 2, 3, 4 }, b[2] = { 5, 6 }, cat[6];

  for (int i = 0; i < 12; i++)
    bchw[i] = (float) i;
  nn_bchw_to_cbhw (cbhw, bchw, 2, 3, 1, 2);
  /* c=1, b=1 plane is bchw[(1·3 + 1)·2] = 8, 9 at cbhw[(1·2 + 1)·2] */
  g_assert_cmpfloat (cbhw[6], ==, 8.0f);
  g_assert_cmpfloat (cbhw[7], ==, 9.0f);
  nn_cbhw_to_bchw (back, cbhw, 2, 3, 1, 2);
  g_assert_cmpmem (back, sizeof back, bchw, sizeof bchw);

  nn_concat_forward (cat, a, b, 2, 1, 1, 1, 2);
  g_assert_cmpfloat (cat[0], ==, 1.0f);
  g_assert_cmpfloat (cat[3], ==, 4.0f);
  g_assert_cmpfloat (cat[4], ==, 5.0f);
  g_assert_cmpfloat (cat[5], ==, 6.0f);
}

static void
test_fold_batchnorm (void)
{
  /* conv(x) then BN, against the folded conv, on one output channel of fan-in 2 */
  float w[2] = { 0.5f, -2.0f }, bias[1] = { 0.25f };
  const float gamma[1] = { 1.5f }, beta[1] = { -0.5f }, mean[1] = { 0.75f }, var[1] = { 4.0f };
  const float x[2] = { 3.0f, 1.0f };
  float conv = w[0] * x[0] + w[1] * x[1] + bias[0];
  float expected = (conv - mean[0]) / sqrtf (var[0] + 1e-5f) * gamma[0] + beta[0];

  nn_fold_batchnorm (w, bias, gamma, beta, mean, var, 1, 2, 1e-5f);
  g_assert_cmpfloat_with_epsilon (w[0] * x[0] + w[1] * x[1] + bias[0], expected, 1e-6);
}

typedef struct
{
  int *hits;
  int *threads_seen;
} PoolCtx;

static void
count_task (void *ctx, int task, int thread)
{
  PoolCtx *c = ctx;
  g_atomic_int_inc (&c->hits[task]);
  g_atomic_int_or ((guint *) c->threads_seen, 1u << thread);
}

static void
test_pool_runs_every_task_once (void)
{
  for (int threads = 1; threads <= 4; threads++)
    {
      NnPool *pool = nn_pool_new (threads);
      g_assert_cmpint (nn_pool_get_n_threads (pool), ==, threads);
      for (int round = 0; round < 200; round++)
        {
          int n = 1 + round % 37;
          int hits[37] = { 0 };
          int seen = 0;
          PoolCtx ctx = { hits, &seen };
          nn_pool_run (pool, n, count_task, &ctx);
          for (int i = 0; i < n; i++)
            g_assert_cmpint (hits[i], ==, 1);
          g_assert_cmpint (seen & ~((1 << threads) - 1), ==, 0);
        }
      nn_pool_free (pool);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  nn_blas_init ();

  g_test_add_func ("/nn/pool/every-task-once", test_pool_runs_every_task_once);
  g_test_add_func ("/nn/conv/gemm-vs-reference", test_conv_gemm);
  g_test_add_func ("/nn/conv/winograd-vs-reference", test_conv_winograd);
  g_test_add_func ("/nn/conv/pick-algorithm", test_conv_pick);
  g_test_add_func ("/nn/gemm-packed/vs-reference", test_gemm_packed);
  g_test_add_func ("/nn/maxpool/fast-vs-reference", test_maxpool);
  g_test_add_func ("/nn/maxpool/out-size", test_pool_out_size);
  g_test_add_func ("/nn/avgpool/reference", test_avgpool);
  g_test_add_func ("/nn/global-avgpool", test_global_avgpool);
  g_test_add_func ("/nn/layout-and-concat", test_layout_and_concat);
  g_test_add_func ("/nn/fold-batchnorm", test_fold_batchnorm);

  return g_test_run ();
}
