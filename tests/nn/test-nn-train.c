/* test-nn-train.c: the training kernels, each backward against finite differences of its forward.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layer two of the numerics tests (STYLE.md). For a kernel y = f (x, w, b) and a random r, the loss
 * L = Σ r·y has dL/dy = r; the backward kernel, given r, must give dL/dx, dL/dw and dL/db that
 * agree with (L (θ + h) − L (θ − h)) / 2h for every element θ tried. Shapes are small and odd:
 * strides of 2, padding, maps that are not square, channel counts that are not a multiple of 8,
 * batches split unevenly between threads. The fast kernels are also checked against their _ref.
 */
#include "nn.h"

#include <glib.h>
#include <math.h>
#include <string.h>

static float *
random_tensor (GRand *rng, size_t n, float scale)
{
  float *x = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -scale, scale);
  return x;
}

static double
dot (const float *a, const float *b, size_t n)
{
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += (double) a[i] * b[i];
  return sum;
}

/* |analytic − numeric| within tolerance of the larger of the two, or of a floor for values near
 * zero (the elements tried are few, so a failure names the one) */
static void
assert_gradient (const char *what, size_t i, double analytic, double numeric, double tolerance)
{
  double scale = fmax (fmax (fabs (analytic), fabs (numeric)), 1e-2);
  if (fabs (analytic - numeric) > tolerance * scale)
    g_error ("%s[%zu]: backward %.8g, finite difference %.8g", what, i, analytic, numeric);
}

/* @scale · @got against @expected, to 1e-5 of the largest expected value: sums of many products
 * in another order differ in their last bits, most visibly where they nearly cancel */
static void
assert_close (const char *what, const float *got, double scale, const float *expected, size_t n)
{
  double largest = 1e-30;
  for (size_t i = 0; i < n; i++)
    largest = fmax (largest, fabs ((double) expected[i]));
  for (size_t i = 0; i < n; i++)
    if (fabs (scale * got[i] - expected[i]) > 1e-5 * largest)
      g_error ("%s[%zu]: %.8g, expected %.8g (largest %.3g)", what, i, scale * got[i], expected[i],
               largest);
}

/* ---------------------------------------------------------------------------------------------- */
/* Convolution                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  int B, C, H, W, OC, K, stride, pad;
} ConvCase;

typedef struct
{
  const ConvCase *tc;
  float *inp, *weight, *bias, *r, *out, *scratch;
  NnPool *pool;
  size_t n_out;
} ConvProblem;

static double
conv_loss (ConvProblem *p)
{
  const ConvCase *tc = p->tc;
  nn_conv2d_train_forward (p->out, p->inp, p->weight, p->bias, tc->B, tc->C, tc->H, tc->W, tc->OC,
                           tc->K, tc->stride, tc->pad, p->pool, p->scratch);
  return dot (p->out, p->r, p->n_out);
}

/* central difference on @x[i] */
static double
numeric (ConvProblem *p, float *x, size_t i, float h)
{
  float saved = x[i];
  double up, down;
  x[i] = saved + h;
  up = conv_loss (p);
  x[i] = saved - h;
  down = conv_loss (p);
  x[i] = saved;
  return (up - down) / (2.0 * h);
}

static void
check_conv_gradients (const ConvCase *tc, int n_threads)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (tc->B * 7 + tc->C * 31 + tc->OC + tc->stride);
  int Ho = nn_conv_out_size (tc->H, tc->K, tc->stride, tc->pad);
  int Wo = nn_conv_out_size (tc->W, tc->K, tc->stride, tc->pad);
  size_t n_in = (size_t) tc->C * tc->B * tc->H * tc->W;
  size_t n_w = (size_t) tc->OC * tc->C * tc->K * tc->K;
  ConvProblem p = { .tc = tc, .n_out = (size_t) tc->OC * tc->B * Ho * Wo };
  g_autofree float *dinp = g_new0 (float, n_in), *dw = g_new0 (float, n_w);
  g_autofree float *db = g_new0 (float, tc->OC);
  g_autofree float *ref_dinp = g_new0 (float, n_in), *ref_dw = g_new0 (float, n_w);
  g_autofree float *ref_db = g_new0 (float, tc->OC);

  p.inp = random_tensor (rng, n_in, 1.0f);
  p.weight = random_tensor (rng, n_w, 0.5f);
  p.bias = random_tensor (rng, tc->OC, 0.5f);
  p.r = random_tensor (rng, p.n_out, 1.0f);
  p.out = g_new (float, p.n_out);
  p.pool = nn_pool_new (n_threads);
  p.scratch = g_new (float, nn_conv2d_train_scratch_floats (tc->B, tc->C, tc->H, tc->W, tc->OC,
                                                            tc->K, tc->stride, tc->pad, n_threads));

  /* the forward agrees with the inference reference */
  {
    g_autofree float *expected = g_new (float, p.n_out);
    double diff = 0.0, scale = 1e-30;
    nn_conv2d_forward_ref (expected, p.inp, p.weight, p.bias, tc->B, tc->C, tc->H, tc->W, tc->OC,
                           tc->K, tc->stride, tc->pad);
    conv_loss (&p);
    for (size_t i = 0; i < p.n_out; i++)
      {
        diff = fmax (diff, fabs ((double) p.out[i] - expected[i]));
        scale = fmax (scale, fabs ((double) expected[i]));
      }
    g_assert_cmpfloat (diff / scale, <, 1e-5);
  }

  /* backward, twice over: it accumulates */
  for (int round = 0; round < 2; round++)
    nn_conv2d_backward (dinp, dw, db, p.r, p.inp, p.weight, tc->B, tc->C, tc->H, tc->W, tc->OC,
                        tc->K, tc->stride, tc->pad, p.pool, p.scratch);
  nn_conv2d_backward_ref (ref_dinp, ref_dw, ref_db, p.r, p.inp, p.weight, tc->B, tc->C, tc->H,
                          tc->W, tc->OC, tc->K, tc->stride, tc->pad);
  assert_close ("fast vs ref dinp", dinp, 0.5, ref_dinp, n_in);
  assert_close ("fast vs ref dweight", dw, 0.5, ref_dw, n_w);
  assert_close ("fast vs ref dbias", db, 0.5, ref_db, (size_t) tc->OC);

  /* finite differences on a spread of elements (the loss is linear in each: h can be large) */
  for (int t = 0; t < 24; t++)
    {
      size_t i = (size_t) g_rand_int_range (rng, 0, (int) n_in);
      assert_gradient ("dinp", i, dinp[i] / 2, numeric (&p, p.inp, i, 0.25f), 2e-3);
      i = (size_t) g_rand_int_range (rng, 0, (int) n_w);
      assert_gradient ("dweight", i, dw[i] / 2, numeric (&p, p.weight, i, 0.25f), 2e-3);
    }
  for (int i = 0; i < tc->OC; i++)
    assert_gradient ("dbias", (size_t) i, db[i] / 2, numeric (&p, p.bias, (size_t) i, 0.25f), 2e-3);

  nn_pool_free (p.pool);
  g_free (p.inp);
  g_free (p.weight);
  g_free (p.bias);
  g_free (p.r);
  g_free (p.out);
  g_free (p.scratch);
}

static void
test_conv_gradients (void)
{
  static const ConvCase cases[] = {
    { 3, 3, 9, 7, 5, 3, 2, 1 },   /* stride 2, padding, not square, 3 images over 2 threads */
    { 2, 5, 8, 8, 11, 3, 1, 1 },  /* channels not a multiple of 8 */
    { 5, 4, 6, 5, 3, 1, 1, 0 },   /* 1×1 */
    { 1, 2, 11, 9, 6, 3, 2, 0 },  /* no padding, odd sides */
    { 4, 7, 16, 16, 9, 3, 2, 1 }, /* the autoencoder's downsampling */
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    for (int threads = 1; threads <= 2; threads++)
      check_conv_gradients (&cases[c], threads);
}

/* The same inputs and thread count give the same bits, whichever thread runs which task. */
static void
test_conv_backward_is_deterministic (void)
{
  const ConvCase tc = { 7, 6, 12, 10, 5, 3, 2, 1 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  int Ho = nn_conv_out_size (tc.H, 3, 2, 1), Wo = nn_conv_out_size (tc.W, 3, 2, 1);
  size_t n_in = (size_t) tc.C * tc.B * tc.H * tc.W, n_w = (size_t) tc.OC * tc.C * 9;
  size_t n_out = (size_t) tc.OC * tc.B * Ho * Wo;
  g_autofree float *inp = random_tensor (rng, n_in, 1.0f), *w = random_tensor (rng, n_w, 0.5f);
  g_autofree float *dout = random_tensor (rng, n_out, 1.0f);
  g_autofree float *first = NULL;
  NnPool *pool = nn_pool_new (2);
  g_autofree float *scratch =
    g_new (float, nn_conv2d_train_scratch_floats (tc.B, tc.C, tc.H, tc.W, tc.OC, 3, 2, 1, 2));

  for (int run = 0; run < 20; run++)
    {
      g_autofree float *grads = g_new0 (float, n_in + n_w + tc.OC);
      nn_conv2d_backward (grads, grads + n_in, grads + n_in + n_w, dout, inp, w, tc.B, tc.C, tc.H,
                          tc.W, tc.OC, 3, 2, 1, pool, scratch);
      if (!first)
        first = g_steal_pointer (&grads);
      else
        g_assert_cmpmem (grads, sizeof (float) * (n_in + n_w + tc.OC), first,
                         sizeof (float) * (n_in + n_w + tc.OC));
    }
  nn_pool_free (pool);
}

/* ---------------------------------------------------------------------------------------------- */
/* Dense                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

static double
dense_loss (float *out, const float *inp, const float *w, const float *b, const float *r, int B,
            int IN, int OUT)
{
  nn_dense_forward (out, inp, w, b, B, IN, OUT);
  return dot (out, r, (size_t) B * OUT);
}

/* the dense layers on a pool give what the single-threaded ones give */
static void
test_dense_on_a_pool (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  int B = 7, IN = 13, OUT = 5;
  g_autofree float *inp = random_tensor (rng, (size_t) B * IN, 1.0f);
  g_autofree float *w = random_tensor (rng, (size_t) OUT * IN, 1.0f);
  g_autofree float *bias = random_tensor (rng, OUT, 1.0f);
  g_autofree float *dout = random_tensor (rng, (size_t) B * OUT, 1.0f);
  g_autofree float *out1 = g_new (float, B *OUT), *out2 = g_new (float, B *OUT);
  g_autofree float *dinp1 = g_new0 (float, B *IN), *dinp2 = g_new0 (float, B *IN);
  g_autofree float *dw1 = g_new0 (float, OUT *IN), *dw2 = g_new0 (float, OUT *IN);
  g_autofree float *db1 = g_new0 (float, OUT), *db2 = g_new0 (float, OUT);

  for (int threads = 1; threads <= 3; threads++)
    {
      NnPool *pool = nn_pool_new (threads);
      memset (dinp2, 0, sizeof (float) * B * IN);
      memset (dw2, 0, sizeof (float) * OUT * IN);
      memset (db2, 0, sizeof (float) * OUT);
      nn_dense_forward (out1, inp, w, bias, B, IN, OUT);
      nn_dense_train_forward (out2, inp, w, bias, B, IN, OUT, pool);
      assert_close ("pooled dense forward", out2, 1.0, out1, (size_t) B * OUT);
      if (threads == 1)
        nn_dense_backward (dinp1, dw1, db1, dout, inp, w, B, IN, OUT);
      nn_dense_train_backward (dinp2, dw2, db2, dout, inp, w, B, IN, OUT, pool);
      assert_close ("pooled dense dinp", dinp2, 1.0, dinp1, (size_t) B * IN);
      assert_close ("pooled dense dweight", dw2, 1.0, dw1, (size_t) OUT * IN);
      assert_close ("pooled dense dbias", db2, 1.0, db1, (size_t) OUT);
      nn_pool_free (pool);
    }
}

static void
test_dense_gradients (void)
{
  const int B = 5, IN = 13, OUT = 7;
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  g_autofree float *inp = random_tensor (rng, (size_t) B * IN, 1.0f);
  g_autofree float *w = random_tensor (rng, (size_t) OUT * IN, 0.5f);
  g_autofree float *b = random_tensor (rng, OUT, 0.5f);
  g_autofree float *r = random_tensor (rng, (size_t) B * OUT, 1.0f);
  g_autofree float *out = g_new (float, (size_t) B *OUT);
  g_autofree float *dinp = g_new0 (float, (size_t) B *IN), *dw = g_new0 (float, (size_t) OUT *IN);
  g_autofree float *db = g_new0 (float, OUT);
  g_autofree float *ref_dinp = g_new0 (float, (size_t) B *IN);
  g_autofree float *ref_dw = g_new0 (float, (size_t) OUT *IN), *ref_db = g_new0 (float, OUT);
  float *params[] = { inp, w, b };
  float *grads[] = { dinp, dw, db };
  const size_t sizes[] = { (size_t) B * IN, (size_t) OUT * IN, (size_t) OUT };
  const char *names[] = { "dinp", "dweight", "dbias" };

  nn_dense_backward (dinp, dw, db, r, inp, w, B, IN, OUT);
  nn_dense_backward_ref (ref_dinp, ref_dw, ref_db, r, inp, w, B, IN, OUT);
  assert_close ("fast vs ref dweight", dw, 1.0, ref_dw, sizes[1]);
  assert_close ("fast vs ref dinp", dinp, 1.0, ref_dinp, sizes[0]);
  assert_close ("fast vs ref dbias", db, 1.0, ref_db, sizes[2]);
  for (int k = 0; k < 3; k++)
    for (size_t i = 0; i < sizes[k]; i++)
      {
        float saved = params[k][i];
        double up, down;
        params[k][i] = saved + 0.25f;
        up = dense_loss (out, inp, w, b, r, B, IN, OUT);
        params[k][i] = saved - 0.25f;
        down = dense_loss (out, inp, w, b, r, B, IN, OUT);
        params[k][i] = saved;
        assert_gradient (names[k], i, grads[k][i], (up - down) / 0.5, 1e-4);
      }
}

/* ---------------------------------------------------------------------------------------------- */
/* Elementwise: activations, upsampling, losses                                                    */
/* ---------------------------------------------------------------------------------------------- */

typedef double (*ScalarLoss) (const float *x, size_t n, const float *r, void *ctx);

/* dL/dx by the kernel given as @analytic against central differences of @loss */
static void
check_elementwise (const char *what, float *x, size_t n, const float *analytic, ScalarLoss loss,
                   const float *r, void *ctx, float h, double tolerance)
{
  for (size_t i = 0; i < n; i++)
    {
      float saved = x[i];
      double up, down;
      x[i] = saved + h;
      up = loss (x, n, r, ctx);
      x[i] = saved - h;
      down = loss (x, n, r, ctx);
      x[i] = saved;
      assert_gradient (what, i, analytic[i], (up - down) / (2.0 * h), tolerance);
    }
}

static double
leaky_loss (const float *x, size_t n, const float *r, void *ctx)
{
  g_autofree float *y = g_new (float, n);
  nn_leaky_relu_forward (y, x, n, *(float *) ctx);
  return dot (y, r, n);
}

static double
sigmoid_loss (const float *x, size_t n, const float *r, void *ctx)
{
  g_autofree float *y = g_new (float, n);
  nn_sigmoid_forward (y, x, n);
  return dot (y, r, n);
}

static double
mse_loss (const float *x, size_t n, const float *target, void *ctx)
{
  return nn_mse_forward (x, target, n);
}

static double
bce_loss (const float *x, size_t n, const float *target, void *ctx)
{
  return nn_bce_logits_forward (x, target, n);
}

/* ListNet: the forward against its naive double twin (a known value too: codes equal to the
 * inputs lose nothing), the backward against central differences in double of the twin, with
 * one code of zero length and a temperature small enough to make the softmaxes sharp */
typedef struct
{
  const float *x;
  int B, D, d;
  float tau;
} ListNetCase;

static double
listnet_loss (const float *z, size_t n, const float *r, void *ctx)
{
  const ListNetCase *c = ctx;
  return nn_listnet_forward_ref (c->x, z, c->B, c->D, c->d, c->tau);
}

static void
test_listnet_gradients (void)
{
  const int B = 9, D = 11, d = 4;
  const float taus[] = { 0.05f, 0.5f };
  g_autoptr (GRand) rng = g_rand_new_with_seed (17);
  g_autofree float *x = random_tensor (rng, (size_t) B * D, 1.0f);
  g_autofree float *z = random_tensor (rng, (size_t) B * d, 1.0f);
  g_autofree float *scratch = g_new (float, nn_listnet_scratch_floats (B, D));

  for (int i = 0; i < B; i++)
    {
      double norm = sqrt (dot (x + (size_t) i * D, x + (size_t) i * D, D));
      for (int k = 0; k < D; k++)
        x[(size_t) i * D + k] /= (float) norm;
    }
  /* the same rows as codes: the same softmaxes, no loss */
  g_assert_cmpfloat (fabsf (nn_listnet_forward (scratch, x, x, B, D, D, 0.1f)), <, 1e-5f);
  g_assert_cmpfloat (fabs (nn_listnet_forward_ref (x, x, B, D, D, 0.1f)), <, 1e-9);
  for (gsize t = 0; t < G_N_ELEMENTS (taus); t++)
    {
      ListNetCase c = { x, B, D, d, taus[t] };
      g_autofree float *dz = g_new0 (float, (size_t) B *d);
      float loss = nn_listnet_forward (scratch, x, z, B, D, d, taus[t]);
      double ref = nn_listnet_forward_ref (x, z, B, D, d, taus[t]);
      g_assert_cmpfloat (ref, >, 0.01);
      g_assert_cmpfloat (fabs (loss - ref), <, 1e-5 * ref);
      /* accumulates: twice the backward at scale 0.5 is one at scale 1 */
      nn_listnet_backward (dz, scratch, B, d, taus[t], 0.5f);
      nn_listnet_backward (dz, scratch, B, d, taus[t], 0.5f);
      check_elementwise ("listnet", z, (size_t) B * d, dz, listnet_loss, NULL, &c, 1e-3f, 2e-3);
    }
}

static void
test_elementwise_gradients (void)
{
  const size_t n = 37;
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);
  g_autofree float *x = random_tensor (rng, n, 3.0f), *r = random_tensor (rng, n, 1.0f);
  g_autofree float *target = g_new (float, n), *y = g_new (float, n);
  float slopes[] = { 0.0f, 0.2f };

  for (size_t i = 0; i < n; i++)
    {
      target[i] = (float) g_rand_double (rng); /* targets in [0, 1], like pixels */
      if (fabsf (x[i]) < 0.05f)
        x[i] = 0.3f; /* a kink of (leaky) ReLU is no place for a finite difference */
    }
  for (gsize s = 0; s < G_N_ELEMENTS (slopes); s++)
    {
      g_autofree float *dx = g_new0 (float, n);
      nn_leaky_relu_backward (dx, r, x, n, slopes[s]);
      check_elementwise ("leaky relu", x, n, dx, leaky_loss, r, &slopes[s], 1e-2f, 1e-3);
    }
  {
    g_autofree float *dx = g_new0 (float, n);
    nn_sigmoid_forward (y, x, n);
    nn_sigmoid_backward (dx, r, y, n);
    check_elementwise ("sigmoid", x, n, dx, sigmoid_loss, r, NULL, 1e-2f, 1e-3);
  }
  {
    g_autofree float *dx = g_new0 (float, n);
    nn_mse_backward (dx, x, target, n, 1.0f);
    check_elementwise ("mse", x, n, dx, mse_loss, target, NULL, 1e-2f, 1e-3);
  }
  {
    g_autofree float *dx = g_new0 (float, n);
    nn_bce_logits_backward (dx, x, target, n, 1.0f);
    check_elementwise ("bce", x, n, dx, bce_loss, target, NULL, 1e-2f, 1e-3);
    /* never overflows, far out on either side */
    float big[2] = { 200.0f, -200.0f }, t[2] = { 0.0f, 1.0f };
    g_assert_cmpfloat (fabsf (nn_bce_logits_forward (big, t, 2) - 200.0f), <, 1e-3f);
  }
}

static void
test_upsample_gradients (void)
{
  const int P = 3, H = 3, W = 5;
  g_autoptr (GRand) rng = g_rand_new_with_seed (9);
  g_autofree float *x = random_tensor (rng, (size_t) P * H * W, 1.0f);
  g_autofree float *r = random_tensor (rng, (size_t) P * 4 * H * W, 1.0f);
  g_autofree float *y = g_new (float, (size_t) P * 4 * H * W);
  g_autofree float *dx = g_new0 (float, (size_t) P *H *W);

  nn_upsample2x_forward (y, x, P, H, W);
  for (int p = 0; p < P; p++)
    g_assert_cmpfloat (y[((size_t) p * 2 * H + 5) * 2 * W + 7], ==,
                       x[((size_t) p * H + 2) * W + 3]);
  nn_upsample2x_backward (dx, r, P, H, W);
  /* the loss is linear: dL/dx is the sum of the four r it was copied to */
  for (int p = 0; p < P; p++)
    for (int i = 0; i < H; i++)
      for (int j = 0; j < W; j++)
        {
          double sum = 0.0;
          for (int dy = 0; dy < 2; dy++)
            for (int dxx = 0; dxx < 2; dxx++)
              sum += r[((size_t) p * 2 * H + 2 * i + dy) * 2 * W + 2 * j + dxx];
          assert_gradient ("upsample", (size_t) (p * H + i) * W + j, dx[(p * H + i) * W + j], sum,
                           1e-5);
        }
}

/* ---------------------------------------------------------------------------------------------- */
/* AdamW, initialisation                                                                           */
/* ---------------------------------------------------------------------------------------------- */

/* Three steps worked by hand in double with PyTorch's formulas (decoupled decay first). */
/* 2× upsampling then a 3×3 convolution as four 2×2 ones: against upsample + the reference
 * convolution, forward and backward, and against finite differences */
typedef struct
{
  int B, C, H, W, OC, threads;
  float *inp, *weight, *bias, *r, *out, *scratch;
  NnPool *pool;
  size_t n_out;
} UpProblem;

static double
upconv_loss (UpProblem *p)
{
  nn_upconv2d_train_forward (p->out, p->inp, p->weight, p->bias, p->B, p->C, p->H, p->W, p->OC,
                             p->pool, p->scratch);
  return dot (p->out, p->r, p->n_out);
}

static void
check_upconv (int B, int C, int H, int W, int OC, int threads)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (B * 7 + C * 31 + OC + H);
  size_t n_in = (size_t) C * B * H * W, n_up = (size_t) C * B * 4 * H * W;
  size_t n_w = (size_t) OC * C * 9;
  UpProblem p = { B, C, H, W, OC, threads, .n_out = (size_t) OC * B * 4 * H * W };
  g_autofree float *up = g_new (float, n_up), *dup = g_new0 (float, n_up);
  g_autofree float *expected = g_new (float, p.n_out);
  g_autofree float *dinp = g_new0 (float, n_in), *dw = g_new0 (float, n_w);
  g_autofree float *db = g_new0 (float, OC);
  g_autofree float *ref_dinp = g_new0 (float, n_in), *ref_dw = g_new0 (float, n_w);
  g_autofree float *ref_db = g_new0 (float, OC);

  p.inp = random_tensor (rng, n_in, 1.0f);
  p.weight = random_tensor (rng, n_w, 0.5f);
  p.bias = random_tensor (rng, OC, 0.5f);
  p.r = random_tensor (rng, p.n_out, 1.0f);
  p.out = g_new (float, p.n_out);
  p.pool = nn_pool_new (threads);
  p.scratch = g_new (float, nn_upconv2d_train_scratch_floats (B, C, H, W, OC, threads));

  nn_upsample2x_forward (up, p.inp, C * B, H, W);
  nn_conv2d_forward_ref (expected, up, p.weight, p.bias, B, C, 2 * H, 2 * W, OC, 3, 1, 1);
  upconv_loss (&p);
  assert_close ("upconv forward", p.out, 1.0, expected, p.n_out);

  for (int round = 0; round < 2; round++)
    nn_upconv2d_backward (dinp, dw, db, p.r, p.inp, p.weight, B, C, H, W, OC, p.pool, p.scratch);
  nn_conv2d_backward_ref (dup, ref_dw, ref_db, p.r, up, p.weight, B, C, 2 * H, 2 * W, OC, 3, 1, 1);
  nn_upsample2x_backward (ref_dinp, dup, C * B, H, W);
  assert_close ("upconv dinp", dinp, 0.5, ref_dinp, n_in);
  assert_close ("upconv dweight", dw, 0.5, ref_dw, n_w);
  assert_close ("upconv dbias", db, 0.5, ref_db, (size_t) OC);

  for (int t = 0; t < 16; t++)
    {
      size_t i = (size_t) g_rand_int_range (rng, 0, (int) n_in);
      float saved = p.inp[i];
      double plus, minus;
      p.inp[i] = saved + 0.25f;
      plus = upconv_loss (&p);
      p.inp[i] = saved - 0.25f;
      minus = upconv_loss (&p);
      p.inp[i] = saved;
      assert_gradient ("upconv dinp", i, dinp[i] / 2, (plus - minus) / 0.5, 2e-3);
      i = (size_t) g_rand_int_range (rng, 0, (int) n_w);
      saved = p.weight[i];
      p.weight[i] = saved + 0.25f;
      plus = upconv_loss (&p);
      p.weight[i] = saved - 0.25f;
      minus = upconv_loss (&p);
      p.weight[i] = saved;
      assert_gradient ("upconv dweight", i, dw[i] / 2, (plus - minus) / 0.5, 2e-3);
    }
  nn_pool_free (p.pool);
  g_free (p.inp);
  g_free (p.weight);
  g_free (p.bias);
  g_free (p.r);
  g_free (p.out);
  g_free (p.scratch);
}

static void
test_upconv_gradients (void)
{
  check_upconv (3, 5, 3, 5, 7, 1);    /* odd, not square, channels not a multiple of 8 */
  check_upconv (5, 3, 4, 2, 3, 2);    /* a batch split unevenly between threads */
  check_upconv (2, 9, 1, 1, 2, 3);    /* a single pixel: every tap but one in the padding */
  check_upconv (5, 64, 32, 32, 2, 2); /* two images per column block: several blocks per task */
}

static void
test_adamw_matches_its_formula (void)
{
  float p[2] = { 1.0f, -0.5f }, m[2] = { 0 }, v[2] = { 0 };
  double pe[2] = { 1.0, -0.5 }, me[2] = { 0 }, ve[2] = { 0 };
  const float g[3][2] = { { 0.1f, -0.2f }, { 0.3f, 0.05f }, { -0.4f, 0.1f } };
  const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;

  for (int t = 1; t <= 3; t++)
    {
      nn_adamw_update (p, g[t - 1], m, v, 2, (float) lr, (float) b1, (float) b2, (float) eps,
                       (float) wd, t);
      for (int i = 0; i < 2; i++)
        {
          pe[i] *= 1 - lr * wd;
          me[i] = b1 * me[i] + (1 - b1) * g[t - 1][i];
          ve[i] = b2 * ve[i] + (1 - b2) * g[t - 1][i] * g[t - 1][i];
          double denom = sqrt (ve[i]) / sqrt (1 - pow (b2, t)) + eps;
          pe[i] -= lr / (1 - pow (b1, t)) * me[i] / denom;
          g_assert_cmpfloat (fabs (p[i] - pe[i]), <, 1e-6);
        }
    }
}

static void
test_he_init (void)
{
  const size_t n = 200000;
  g_autofree float *w = g_new (float, n), *again = g_new (float, n);
  uint64_t seed = 42, same = 42, other = 43;
  double sum = 0.0, sq = 0.0;

  nn_init_he_normal (w, n, 50, &seed);
  nn_init_he_normal (again, n, 50, &same);
  g_assert_cmpmem (w, n * sizeof (float), again, n * sizeof (float)); /* the seed decides */
  nn_init_he_normal (again, n, 50, &other);
  g_assert_true (memcmp (w, again, n * sizeof (float)) != 0);
  for (size_t i = 0; i < n; i++)
    sum += w[i], sq += (double) w[i] * w[i];
  g_assert_cmpfloat (fabs (sum / n), <, 0.003);
  g_assert_cmpfloat (fabs (sqrt (sq / n) - sqrt (2.0 / 50)), <, 0.002); /* std √(2 / fan_in) */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  nn_blas_init ();
  g_test_add_func ("/nn/train/conv-gradients", test_conv_gradients);
  g_test_add_func ("/nn/train/conv-backward-deterministic", test_conv_backward_is_deterministic);
  g_test_add_func ("/nn/train/dense-gradients", test_dense_gradients);
  g_test_add_func ("/nn/train/dense-on-a-pool", test_dense_on_a_pool);
  g_test_add_func ("/nn/train/elementwise-gradients", test_elementwise_gradients);
  g_test_add_func ("/nn/train/listnet-gradients", test_listnet_gradients);
  g_test_add_func ("/nn/train/upsample-gradients", test_upsample_gradients);
  g_test_add_func ("/nn/train/upconv-gradients", test_upconv_gradients);
  g_test_add_func ("/nn/train/adamw", test_adamw_matches_its_formula);
  g_test_add_func ("/nn/train/he-init", test_he_init);
  return g_test_run ();
}
