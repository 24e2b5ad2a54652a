/* lk-convae.c: the convolutional autoencoder's parameters, forward and backward passes.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See lk-convae.h for the network. Everything a pass touches is allocated by lk_conv_ae_run_new ()
 * for one batch size; a step allocates nothing.
 */
#define G_LOG_DOMAIN "lk-model"

#include "lk-convae.h"
#include "lookalike.h"

#include <math.h>
#include <string.h>

#define CONV_K 3

LkConvAeConfig
lk_conv_ae_config_default (int input_size, int latent)
{
  LkConvAeConfig config = {
    .input_size = input_size,
    .channels = 3,
    .latent = latent,
    .stages = input_size % 8 == 0 ? 3 : 2,
    .widths = { 32, 64, 128 },
    .slope = 0.2f,
  };
  return config;
}

gboolean
lk_conv_ae_config_check (const LkConvAeConfig *c, GError **error)
{
  const char *bad = NULL;

  if (c->stages < 1 || c->stages > LK_CONV_AE_MAX_STAGES)
    bad = "stages";
  else if (c->channels != 3)
    bad = "channels";
  else if (c->input_size < LK_CONV_AE_MIN_INPUT_SIZE || c->input_size > LK_CONV_AE_MAX_INPUT_SIZE
           || c->input_size % (1 << c->stages) != 0)
    bad = "input size";
  else if (c->latent < LK_CONV_AE_MIN_LATENT || c->latent > LK_CONV_AE_MAX_LATENT)
    bad = "latent size";
  else if (!(c->slope >= 0.0f && c->slope < 1.0f))
    bad = "slope";
  for (int i = 0; !bad && i < c->stages; i++)
    if (c->widths[i] < 1 || c->widths[i] > LK_CONV_AE_MAX_WIDTH)
      bad = "widths";
  if (!bad)
    return TRUE;
  g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
               "an autoencoder of input size %d, latent size %d and %d stages cannot be built "
               "(%s out of range: the input size must be %d–%d pixels and a multiple of %d, the "
               "latent size %d–%d)",
               c->input_size, c->latent, c->stages, bad, LK_CONV_AE_MIN_INPUT_SIZE,
               LK_CONV_AE_MAX_INPUT_SIZE, 1 << CLAMP (c->stages, 1, LK_CONV_AE_MAX_STAGES),
               LK_CONV_AE_MIN_LATENT, LK_CONV_AE_MAX_LATENT);
  return FALSE;
}

/* channels into encoder stage i, and into decoder stage i and out of it */
static int
enc_in (const LkConvAeConfig *c, int i)
{
  return i == 0 ? c->channels : c->widths[i - 1];
}

static int
dec_in (const LkConvAeConfig *c, int i)
{
  return c->widths[c->stages - 1 - i];
}

static int
dec_out (const LkConvAeConfig *c, int i)
{
  return i == c->stages - 1 ? c->channels : c->widths[c->stages - 2 - i];
}

static int
bottleneck_side (const LkConvAeConfig *c)
{
  return c->input_size >> c->stages;
}

static int
flat_size (const LkConvAeConfig *c)
{
  int s = bottleneck_side (c);
  return c->widths[c->stages - 1] * s * s;
}

static void
add_tensor (LkConvAe *model, const char *name, int n_dims, const gint64 *shape, int fan_in)
{
  LkConvAeTensor *t = &model->tensors[model->n_tensors++];

  g_strlcpy (t->name, name, sizeof t->name);
  t->n_dims = n_dims;
  t->size = 1;
  for (int d = 0; d < n_dims; d++)
    {
      t->shape[d] = shape[d];
      t->size *= (gsize) shape[d];
    }
  t->offset = model->n_params;
  t->fan_in = fan_in;
  model->n_params += t->size;
}

static void
add_layer (LkConvAe *model, const char *layer, int out, int in, int k)
{
  char name[24];
  gint64 wshape[4] = { out, in, k, k }, bshape[1] = { out };

  g_snprintf (name, sizeof name, "%s.weight", layer);
  add_tensor (model, name, k ? 4 : 2, wshape, in * (k ? k * k : 1));
  g_snprintf (name, sizeof name, "%s.bias", layer);
  add_tensor (model, name, 1, bshape, 0);
}

/* the pointers of one arena, in table order */
static void
point_tensors (const LkConvAe *model, float *arena, LkConvAeTensors *t)
{
  int n = model->config.stages, k = 0;
  const LkConvAeTensor *table = model->tensors;

  memset (t, 0, sizeof *t);
  for (int i = 0; i < n; i++)
    {
      t->enc_w[i] = arena + table[k++].offset;
      t->enc_b[i] = arena + table[k++].offset;
    }
  t->lat_w = arena + table[k++].offset;
  t->lat_b = arena + table[k++].offset;
  t->unlat_w = arena + table[k++].offset;
  t->unlat_b = arena + table[k++].offset;
  for (int i = 0; i < n; i++)
    {
      t->dec_w[i] = arena + table[k++].offset;
      t->dec_b[i] = arena + table[k++].offset;
    }
}

LkConvAe *
lk_conv_ae_new (const LkConvAeConfig *config, GError **error)
{
  g_autoptr (LkConvAe) model = NULL;
  const LkConvAeConfig *c = config;
  char name[24];

  if (!lk_conv_ae_config_check (config, error))
    return NULL;
  model = g_new0 (LkConvAe, 1);
  model->config = *config;
  for (int i = 0; i < c->stages; i++)
    {
      g_snprintf (name, sizeof name, "encoder.%d", i);
      add_layer (model, name, c->widths[i], enc_in (c, i), CONV_K);
    }
  add_layer (model, "to_latent", c->latent, flat_size (c), 0);
  add_layer (model, "from_latent", flat_size (c), c->latent, 0);
  for (int i = 0; i < c->stages; i++)
    {
      g_snprintf (name, sizeof name, "decoder.%d", i);
      add_layer (model, name, dec_out (c, i), dec_in (c, i), CONV_K);
    }
  if (!(model->params = g_try_new0 (float, model->n_params)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory for an autoencoder of %" G_GSIZE_FORMAT " parameters",
                   model->n_params);
      return NULL;
    }
  point_tensors (model, model->params, &model->p);
  return g_steal_pointer (&model);
}

void
lk_conv_ae_free (LkConvAe *model)
{
  if (!model)
    return;
  g_free (model->params);
  g_free (model->grads);
  g_free (model->m);
  g_free (model->v);
  g_free (model);
}

void
lk_conv_ae_init (LkConvAe *model, guint64 seed)
{
  uint64_t state = seed;

  for (int i = 0; i < model->n_tensors; i++)
    {
      const LkConvAeTensor *t = &model->tensors[i];
      float *p = model->params + t->offset;
      if (t->fan_in)
        nn_init_he_normal (p, t->size, t->fan_in, &state);
      else
        memset (p, 0, t->size * sizeof (float));
    }
}

const LkConvAeTensor *
lk_conv_ae_lookup (const LkConvAe *model, const char *name)
{
  for (int i = 0; i < model->n_tensors; i++)
    if (strcmp (model->tensors[i].name, name) == 0)
      return &model->tensors[i];
  return NULL;
}

gboolean
lk_conv_ae_enable_training (LkConvAe *model)
{
  if (model->grads)
    return TRUE;
  model->grads = g_try_new0 (float, model->n_params);
  model->m = g_try_new0 (float, model->n_params);
  model->v = g_try_new0 (float, model->n_params);
  if (!model->grads || !model->m || !model->v)
    {
      g_clear_pointer (&model->grads, g_free);
      g_clear_pointer (&model->m, g_free);
      g_clear_pointer (&model->v, g_free);
      return FALSE;
    }
  point_tensors (model, model->grads, &model->g);
  model->step = 0;
  return TRUE;
}

void
lk_conv_ae_zero_grad (LkConvAe *model)
{
  memset (model->grads, 0, model->n_params * sizeof (float));
}

/* ---------------------------------------------------------------------------------------------- */
/* Elementwise work on the worker threads                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Elementwise kernels have no reductions, so splitting them into chunks changes no bit. */
typedef enum
{
  ELEM_LEAKY_FORWARD,
  ELEM_LEAKY_BACKWARD,
  ELEM_SIGMOID_FORWARD,
  ELEM_ADAMW,
  ELEM_BCE_FORWARD,
  ELEM_BCE_BACKWARD,
} ElemKind;

typedef struct
{
  ElemKind kind;
  float *out;
  const float *a, *b;
  float *m, *v;
  gsize N;
  float slope, lr, weight_decay, scale;
  int step, n_chunks;
  double sums[64]; /* per chunk, for a reduction: added in chunk order */
} ElemJob;

static void
elem_task (void *ctx, int task, int thread)
{
  ElemJob *job = ctx;
  gsize first = job->N * (gsize) task / (gsize) job->n_chunks;
  gsize last = job->N * (gsize) (task + 1) / (gsize) job->n_chunks;
  gsize n = last - first;

  (void) thread;
  switch (job->kind)
    {
    case ELEM_LEAKY_FORWARD:
      nn_leaky_relu_forward (job->out + first, job->a + first, n, job->slope);
      break;
    case ELEM_LEAKY_BACKWARD:
      nn_leaky_relu_backward (job->out + first, job->a + first, job->b + first, n, job->slope);
      break;
    case ELEM_SIGMOID_FORWARD:
      nn_sigmoid_forward (job->out + first, job->a + first, n);
      break;
    case ELEM_BCE_FORWARD:
      job->sums[task] = (double) nn_bce_logits_forward (job->a + first, job->b + first, n) * n;
      break;
    case ELEM_BCE_BACKWARD:
      /* the mean is over all N: the chunk's share of the scale */
      nn_bce_logits_backward (job->out + first, job->a + first, job->b + first, n,
                              job->scale * (float) n / (float) job->N);
      break;
    case ELEM_ADAMW:
      nn_adamw_update (job->out + first, job->a + first, job->m + first, job->v + first, n, job->lr,
                       0.9f, 0.999f, 1e-8f, job->weight_decay, job->step);
      break;
    }
}

static void
run_elem (NnPool *pool, ElemJob *job)
{
  int threads = pool ? nn_pool_get_n_threads (pool) : 1;

  /* small tensors are not worth waking a thread for */
  job->n_chunks = job->N < 16384 ? 1 : MIN (threads, (int) G_N_ELEMENTS (job->sums));
  nn_pool_run (pool, job->n_chunks, elem_task, job);
}

static void
leaky_forward (NnPool *pool, float *out, const float *inp, gsize N, float slope)
{
  ElemJob job = { .kind = ELEM_LEAKY_FORWARD, .out = out, .a = inp, .N = N, .slope = slope };
  run_elem (pool, &job);
}

static void
leaky_backward (NnPool *pool, float *dinp, const float *dout, const float *inp, gsize N,
                float slope)
{
  ElemJob job = {
    .kind = ELEM_LEAKY_BACKWARD, .out = dinp, .a = dout, .b = inp, .N = N, .slope = slope
  };
  run_elem (pool, &job);
}

static void
sigmoid_forward (NnPool *pool, float *out, const float *inp, gsize N)
{
  ElemJob job = { .kind = ELEM_SIGMOID_FORWARD, .out = out, .a = inp, .N = N };
  run_elem (pool, &job);
}

void
lk_conv_ae_update (LkConvAe *model, float lr, float weight_decay, NnPool *pool)
{
  ElemJob job = {
    .kind = ELEM_ADAMW,
    .out = model->params,
    .a = model->grads,
    .m = model->m,
    .v = model->v,
    .N = model->n_params,
    .lr = lr,
    .weight_decay = weight_decay,
    .step = ++model->step,
  };
  run_elem (pool, &job);
}

char *
lk_conv_ae_architecture_json (const LkConvAeConfig *c)
{
  GString *out = g_string_new ("[");
  char slope[G_ASCII_DTOSTR_BUF_SIZE];
  int side = c->input_size;

  g_ascii_formatd (slope, sizeof slope, "%g", c->slope);
  for (int i = 0; i < c->stages; i++)
    {
      g_string_append_printf (out,
                              "%s{\"name\":\"encoder.%d\",\"type\":\"conv2d\",\"in\":%d,\"out\":%d,"
                              "\"kernel\":3,\"stride\":2,\"padding\":1,\"input_side\":%d,"
                              "\"activation\":\"leaky_relu\",\"slope\":%s}",
                              i ? "," : "", i, enc_in (c, i), c->widths[i], side, slope);
      side /= 2;
    }
  g_string_append_printf (out,
                          ",{\"name\":\"to_latent\",\"type\":\"dense\",\"in\":%d,\"out\":%d,"
                          "\"flatten\":[%d,%d,%d],\"activation\":\"none\"}",
                          flat_size (c), c->latent, c->widths[c->stages - 1], side, side);
  g_string_append_printf (out,
                          ",{\"name\":\"from_latent\",\"type\":\"dense\",\"in\":%d,\"out\":%d,"
                          "\"unflatten\":[%d,%d,%d],\"activation\":\"leaky_relu\",\"slope\":%s}",
                          c->latent, flat_size (c), c->widths[c->stages - 1], side, side, slope);
  for (int i = 0; i < c->stages; i++)
    {
      gboolean last = i == c->stages - 1;
      g_string_append_printf (
        out,
        ",{\"name\":\"decoder.%d\",\"type\":\"upsample_conv2d\",\"upsample\":2,"
        "\"in\":%d,\"out\":%d,\"kernel\":3,\"stride\":1,\"padding\":1,"
        "\"input_side\":%d,\"activation\":\"%s\"",
        i, dec_in (c, i), dec_out (c, i), side, last ? "sigmoid" : "leaky_relu");
      if (!last)
        g_string_append_printf (out, ",\"slope\":%s", slope);
      g_string_append_c (out, '}');
      side *= 2;
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------------------------------------- */
/* Passes                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Pointers into one activation arena (and its gradient twin), for B = max_batch. */
typedef struct
{
  float *input;                          /* (3, B, S, S) */
  float *enc_pre[LK_CONV_AE_MAX_STAGES]; /* (w[i], B, h, h): before LeakyReLU */
  float *enc_out[LK_CONV_AE_MAX_STAGES]; /* (w[i], B, h, h) */
  float *flat;                           /* (B, F) */
  float *latent;                         /* (B, L) */
  float *unlat_pre;                      /* (B, F) */
  float *unlat_out;                      /* (B, F) */
  float *dec_in0;                        /* (w[n-1], B, s, s) */
  float *dec_pre[LK_CONV_AE_MAX_STAGES]; /* (c_out, B, 2h, 2h) */
  float *dec_out[LK_CONV_AE_MAX_STAGES]; /* (c_out, B, 2h, 2h); the last is the reconstruction */
} Acts;

struct _LkConvAeRun
{
  LkConvAe *model; /* borrowed */
  int max_batch;
  gboolean training;
  int n_threads;
  int B; /* of the last forward */
  float *arena, *darena;
  gsize arena_floats, encoder_floats;
  Acts a, d;
  float *scratch;
  gsize scratch_floats;
};

/* carves one arena; returns its floats (the encoder's part in *encoder when asked) */
static gsize
point_acts (const LkConvAeConfig *c, int B, float *base, Acts *a, gsize *encoder)
{
  gsize off = 0;
  int S = c->input_size, side = S, s = bottleneck_side (c), F = flat_size (c);
#define CARVE(ptr, floats)              \
  do                                    \
    {                                   \
      (ptr) = base ? base + off : NULL; \
      off += (gsize) (floats);          \
    }                                   \
  while (0)

  memset (a, 0, sizeof *a);
  CARVE (a->input, (gsize) c->channels * B * S * S);
  for (int i = 0; i < c->stages; i++)
    {
      side /= 2;
      CARVE (a->enc_pre[i], (gsize) c->widths[i] * B * side * side);
      CARVE (a->enc_out[i], (gsize) c->widths[i] * B * side * side);
    }
  CARVE (a->flat, (gsize) B * F);
  CARVE (a->latent, (gsize) B * c->latent);
  if (encoder)
    *encoder = off;
  CARVE (a->unlat_pre, (gsize) B * F);
  CARVE (a->unlat_out, (gsize) B * F);
  CARVE (a->dec_in0, (gsize) B * F);
  side = s;
  for (int i = 0; i < c->stages; i++)
    {
      side *= 2;
      CARVE (a->dec_pre[i], (gsize) dec_out (c, i) * B * side * side);
      CARVE (a->dec_out[i], (gsize) dec_out (c, i) * B * side * side);
    }
#undef CARVE
  return off;
}

LkConvAeRun *
lk_conv_ae_run_new (LkConvAe *model, int max_batch, gboolean training, int n_threads)
{
  g_autoptr (LkConvAeRun) run = g_new0 (LkConvAeRun, 1);
  const LkConvAeConfig *c = &model->config;
  gsize total, encoder, need = 0;
  int side = c->input_size;

  run->model = model;
  run->max_batch = MAX (max_batch, 1);
  run->training = training;
  run->n_threads = MAX (n_threads, 1);
  total = point_acts (c, run->max_batch, NULL, &run->a, &encoder);
  run->arena_floats = training ? total : encoder;
  run->encoder_floats = encoder;
  if (!(run->arena = g_try_new (float, run->arena_floats)))
    return NULL;
  point_acts (c, run->max_batch, run->arena, &run->a, NULL);
  if (training)
    {
      if (!(run->darena = g_try_new (float, run->arena_floats)))
        return NULL;
      point_acts (c, run->max_batch, run->darena, &run->d, NULL);
    }
  for (int i = 0; i < c->stages; i++)
    {
      need =
        MAX (need, nn_conv2d_train_scratch_floats (run->max_batch, enc_in (c, i), side, side,
                                                   c->widths[i], CONV_K, 2, 1, run->n_threads));
      side /= 2;
    }
  for (int i = 0; training && i < c->stages; i++)
    {
      need = MAX (need, nn_upconv2d_train_scratch_floats (run->max_batch, dec_in (c, i), side, side,
                                                          dec_out (c, i), run->n_threads));
      side *= 2;
    }
  run->scratch_floats = need;
  if (!(run->scratch = g_try_new (float, MAX (need, 1))))
    return NULL;
  return g_steal_pointer (&run);
}

void
lk_conv_ae_run_free (LkConvAeRun *run)
{
  if (!run)
    return;
  g_free (run->arena);
  g_free (run->darena);
  g_free (run->scratch);
  g_free (run);
}

float *
lk_conv_ae_run_get_input (LkConvAeRun *run)
{
  return run->a.input;
}

void
lk_conv_ae_set_input (LkConvAeRun *run, int B, int b, const guint8 *rgb)
{
  int S = run->model->config.input_size;
  gsize plane = (gsize) S * S;

  for (int c = 0; c < 3; c++)
    {
      float *out = run->a.input + ((gsize) c * B + b) * plane;
      for (gsize i = 0; i < plane; i++)
        out[i] = rgb[i * 3 + c] * (1.0f / 255.0f);
    }
}

/* A batch of B < max_batch uses the first part of each tensor, packed for B: every tensor keeps
 * the place it has for max_batch. */
static void
carve_for (LkConvAeRun *run, int B)
{
  run->B = B;
}

static void
encode (LkConvAeRun *run, int B, NnPool *pool)
{
  const LkConvAe *model = run->model;
  const LkConvAeConfig *c = &model->config;
  Acts *a = &run->a;
  int side = c->input_size, n = c->stages, F = flat_size (c);
  const float *x = a->input;

  for (int i = 0; i < n; i++)
    {
      int ho = side / 2;
      gsize N = (gsize) c->widths[i] * B * ho * ho;
      nn_conv2d_train_forward (a->enc_pre[i], x, model->p.enc_w[i], model->p.enc_b[i], B,
                               enc_in (c, i), side, side, c->widths[i], CONV_K, 2, 1, pool,
                               run->scratch);
      leaky_forward (pool, a->enc_out[i], a->enc_pre[i], N, c->slope);
      x = a->enc_out[i];
      side = ho;
    }
  nn_cbhw_to_bchw (a->flat, a->enc_out[n - 1], B, c->widths[n - 1], side, side);
  nn_dense_train_forward (a->latent, a->flat, model->p.lat_w, model->p.lat_b, B, F, c->latent,
                          pool);
}

const float *
lk_conv_ae_encode (LkConvAeRun *run, int B, NnPool *pool)
{
  g_return_val_if_fail (B >= 1 && B <= run->max_batch, NULL);
  carve_for (run, B);
  encode (run, B, pool);
  return run->a.latent;
}

float
lk_conv_ae_forward (LkConvAeRun *run, int B, const float *target, NnPool *pool)
{
  const LkConvAe *model = run->model;
  const LkConvAeConfig *c = &model->config;
  Acts *a = &run->a;
  int n = c->stages, F = flat_size (c), side = bottleneck_side (c);
  const float *x;

  g_return_val_if_fail (run->training && B >= 1 && B <= run->max_batch, NAN);
  carve_for (run, B);
  encode (run, B, pool);
  nn_dense_train_forward (a->unlat_pre, a->latent, model->p.unlat_w, model->p.unlat_b, B, c->latent,
                          F, pool);
  leaky_forward (pool, a->unlat_out, a->unlat_pre, (gsize) B * F, c->slope);
  nn_bchw_to_cbhw (a->dec_in0, a->unlat_out, B, c->widths[n - 1], side, side);
  x = a->dec_in0;
  for (int i = 0; i < n; i++)
    {
      int ci = dec_in (c, i), co = dec_out (c, i), up = side * 2;
      gsize N = (gsize) co * B * up * up;
      nn_upconv2d_train_forward (a->dec_pre[i], x, model->p.dec_w[i], model->p.dec_b[i], B, ci,
                                 side, side, co, pool, run->scratch);
      if (i == n - 1)
        sigmoid_forward (pool, a->dec_out[i], a->dec_pre[i], N);
      else
        leaky_forward (pool, a->dec_out[i], a->dec_pre[i], N, c->slope);
      x = a->dec_out[i];
      side = up;
    }
  if (!target)
    return NAN;
  {
    ElemJob job = { .kind = ELEM_BCE_FORWARD,
                    .a = a->dec_pre[n - 1],
                    .b = target,
                    .N = (gsize) c->channels * B * c->input_size * c->input_size };
    double sum = 0.0;
    run_elem (pool, &job);
    for (int k = 0; k < job.n_chunks; k++)
      sum += job.sums[k];
    return (float) (sum / job.N);
  }
}

const float *
lk_conv_ae_get_latent (LkConvAeRun *run)
{
  return run->a.latent;
}

const float *
lk_conv_ae_get_reconstruction (LkConvAeRun *run)
{
  return run->a.dec_out[run->model->config.stages - 1];
}

void
lk_conv_ae_backward (LkConvAeRun *run, const float *target, float loss_scale, const float *dlatent,
                     NnPool *pool)
{
  LkConvAe *model = run->model;
  const LkConvAeConfig *c = &model->config;
  const Acts *a = &run->a;
  Acts *d = &run->d;
  int B = run->B, n = c->stages, F = flat_size (c), S = c->input_size;
  int side = S;

  g_return_if_fail (run->training && model->grads);
  /* the activation gradients accumulate too: one memset of their arena */
  memset (run->darena, 0, run->arena_floats * sizeof (float));

  /* the loss is on the logits: the sigmoid's own gradient, which vanishes where it saturates,
   * never enters (a saturated wrong pixel gets the largest gradient, not none) */
  {
    ElemJob job = { .kind = ELEM_BCE_BACKWARD,
                    .out = d->dec_pre[n - 1],
                    .a = a->dec_pre[n - 1],
                    .b = target,
                    .N = (gsize) c->channels * B * S * S,
                    .scale = loss_scale };
    run_elem (pool, &job);
  }
  for (int i = n - 1; i >= 0; i--)
    {
      int ci = dec_in (c, i), co = dec_out (c, i), in_side = side / 2;
      gsize N = (gsize) co * B * side * side;
      float *dprev = i > 0 ? d->dec_out[i - 1] : d->dec_in0;
      if (i < n - 1)
        leaky_backward (pool, d->dec_pre[i], d->dec_out[i], a->dec_pre[i], N, c->slope);
      nn_upconv2d_backward (dprev, model->g.dec_w[i], model->g.dec_b[i], d->dec_pre[i],
                            i > 0 ? a->dec_out[i - 1] : a->dec_in0, model->p.dec_w[i], B, ci,
                            in_side, in_side, co, pool, run->scratch);
      side = in_side;
    }
  nn_cbhw_to_bchw (d->unlat_out, d->dec_in0, B, c->widths[n - 1], side, side);
  leaky_backward (pool, d->unlat_pre, d->unlat_out, a->unlat_pre, (gsize) B * F, c->slope);
  nn_dense_train_backward (d->latent, model->g.unlat_w, model->g.unlat_b, d->unlat_pre, a->latent,
                           model->p.unlat_w, B, c->latent, F, pool);
  if (dlatent)
    for (gsize i = 0; i < (gsize) B * c->latent; i++)
      d->latent[i] += dlatent[i];
  nn_dense_train_backward (d->flat, model->g.lat_w, model->g.lat_b, d->latent, a->flat,
                           model->p.lat_w, B, F, c->latent, pool);
  nn_bchw_to_cbhw (d->enc_out[n - 1], d->flat, B, c->widths[n - 1], side, side);
  for (int i = n - 1; i >= 0; i--)
    {
      int out_side = side, in_side = side * 2;
      gsize N = (gsize) c->widths[i] * B * out_side * out_side;
      leaky_backward (pool, d->enc_pre[i], d->enc_out[i], a->enc_pre[i], N, c->slope);
      nn_conv2d_backward (i > 0 ? d->enc_out[i - 1] : NULL, model->g.enc_w[i], model->g.enc_b[i],
                          d->enc_pre[i], i > 0 ? a->enc_out[i - 1] : a->input, model->p.enc_w[i], B,
                          enc_in (c, i), in_side, in_side, c->widths[i], CONV_K, 2, 1, pool,
                          run->scratch);
      side = in_side;
    }
}

double
lk_conv_ae_invariance_loss (float *dz, const float *z, int B, int L, float lambda)
{
  double total = 0.0;

  for (int i = 0; i < B; i++)
    {
      const float *u = z + (gsize) i * L, *v = z + (gsize) (B + i) * L;
      float *du = dz + (gsize) i * L, *dv = dz + (gsize) (B + i) * L;
      double uu = 0, vv = 0, uv = 0;
      for (int k = 0; k < L; k++)
        {
          uu += (double) u[k] * u[k];
          vv += (double) v[k] * v[k];
          uv += (double) u[k] * v[k];
        }
      double nu = sqrt (uu) + 1e-12, nv = sqrt (vv) + 1e-12, cosine = uv / (nu * nv);
      /* d cos / du = v / (|u| |v|) − cos · u / |u|², and the same with u and v swapped */
      double k_ = -lambda / B;
      for (int k = 0; k < L; k++)
        {
          du[k] = (float) (k_ * (v[k] / (nu * nv) - cosine * u[k] / (nu * nu)));
          dv[k] = (float) (k_ * (u[k] / (nu * nv) - cosine * v[k] / (nv * nv)));
        }
      total += 1.0 - cosine;
    }
  return lambda * total / B;
}
