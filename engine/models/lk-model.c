/* lk-model.c: building feature networks from their tensors and running them.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tensors come from an LkTensorSource; weights files are the pipeline's (engine/lk-weights.c).
 */
#define G_LOG_DOMAIN "lk-model"

#include "lk-model-private.h"

#include <math.h>
#include <string.h>

struct _LkModel
{
  gint ref_count;
  char *path;
  const LkNetClass *klass;
  void *net;
  LkNormalization norm;

  char *sha256; /* of the bytes the weights were loaded from */
};

struct _LkModelState
{
  LkModel *model;
  LkStateParams params;
  NnPool *pool;
  float *arena; /* every buffer and the scratch, one allocation */
  float *buf[LK_EXEC_MAX_BUFFERS];
  float *scratch;
  LkProfile *profile; /* borrowed, NULL unless profiling */
};

/* ---------------------------------------------------------------------------------------------- */
/* The plan-or-run walker                                                                          */
/* ---------------------------------------------------------------------------------------------- */

static void
profile_step (LkExec *e, const char *what, gint64 usec, double macs)
{
  LkProfile *p = e->profile;
  guint i = e->step++;

  if (i >= G_N_ELEMENTS (p->step))
    return;
  if (i >= p->n_steps)
    {
      g_strlcpy (p->step[i].what, what, sizeof p->step[i].what);
      p->n_steps = i + 1;
    }
  p->step[i].seconds += usec / 1e6;
  p->step[i].macs += macs;
  p->step[i].calls++;
}

static void
need (LkExec *e, int buf, gsize floats)
{
  e->need[buf] = MAX (e->need[buf], floats);
}

void
lk_exec_conv (LkExec *e, const NnConv *conv, int out_buf, int out_offset, int in_buf, int res_buf,
              int B, int *H, int *W, gboolean relu)
{
  int Ho = nn_conv_out_size (*H, conv->k, conv->stride, conv->pad);
  int Wo = nn_conv_out_size (*W, conv->k, conv->stride, conv->pad);
  gsize out_plane = (gsize) B * Ho * Wo;

  g_assert (out_buf != in_buf);
  if (e->planning)
    {
      need (e, in_buf, (gsize) conv->c_in * B * *H * *W);
      need (e, out_buf, (gsize) (out_offset + conv->c_out) * out_plane);
      e->scratch_need =
        MAX (e->scratch_need, nn_conv_scratch_floats (conv, B, *H, *W, e->n_threads));
    }
  else
    {
      float *out = e->buf[out_buf] + (gsize) out_offset * out_plane;
      const float *res = res_buf >= 0 ? e->buf[res_buf] : NULL;
      gint64 start = e->profile ? g_get_monotonic_time () : 0;
      nn_conv2d_forward (out, e->buf[in_buf], res, conv, B, *H, *W, relu, -1, e->pool, e->scratch);
      if (e->profile)
        {
          NnConvAlgo algo = nn_conv_pick_algo (conv, B, *H, *W);
          g_autofree char *what =
            g_strdup_printf ("conv %dx%d/%d %4d->%-4d %3dx%-3d %s", conv->k, conv->k, conv->stride,
                             conv->c_in, conv->c_out, *H, *W,
                             algo == NN_CONV_ALGO_WINOGRAD      ? "winograd 4x4"
                             : algo == NN_CONV_ALGO_WINOGRAD_F2 ? "winograd 2x2"
                                                                : "gemm");
          profile_step (e, what, g_get_monotonic_time () - start,
                        (double) conv->c_out * conv->c_in * conv->k * conv->k * out_plane);
        }
    }
  *H = Ho;
  *W = Wo;
}

void
lk_exec_maxpool (LkExec *e, int out_buf, int in_buf, int C, int B, int *H, int *W, int k,
                 int stride, int pad, gboolean ceil_mode)
{
  int Ho = nn_pool_out_size (*H, k, stride, pad, ceil_mode);
  int Wo = nn_pool_out_size (*W, k, stride, pad, ceil_mode);

  if (e->planning)
    {
      need (e, in_buf, (gsize) C * B * *H * *W);
      need (e, out_buf, (gsize) C * B * Ho * Wo);
    }
  else
    {
      gint64 start = e->profile ? g_get_monotonic_time () : 0;
      nn_maxpool2d_forward (e->buf[out_buf], e->buf[in_buf], C * B, *H, *W, k, stride, pad,
                            ceil_mode, e->pool);
      if (e->profile)
        profile_step (e, "maxpool", g_get_monotonic_time () - start, 0);
    }
  *H = Ho;
  *W = Wo;
}

void
lk_exec_global_avgpool (LkExec *e, float *out, int in_buf, int C, int B, int H, int W)
{
  if (e->planning)
    need (e, in_buf, (gsize) C * B * H * W);
  else
    nn_global_avgpool_forward (out, e->buf[in_buf], B, C, H, W);
}

gboolean
lk_exec_check (LkExec *e, GError **error)
{
  if (e->planning)
    return TRUE;
  return !g_cancellable_set_error_if_cancelled (e->cancellable, error);
}

/* ---------------------------------------------------------------------------------------------- */
/* Weights                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

gboolean
lk_load_conv (const LkTensorSource *source, GPtrArray *owned, NnConv *conv, const char *prefix,
              const char *bn, int c_in, int c_out, int k, int stride, int pad, GError **error)
{
  const gint64 wshape[4] = { c_out, c_in, k, k };
  const gint64 vshape[1] = { c_out };
  g_autofree char *wname = g_strconcat (prefix, ".weight", NULL);
  g_autofree float *weight = source->read (source->ctx, wname, 4, wshape, error);
  g_autofree float *bias = NULL;

  if (!weight)
    return FALSE;
  if (bn)
    {
      static const char *const parts[] = { "weight", "bias", "running_mean", "running_var" };
      float *p[4] = { NULL };
      gboolean ok = TRUE;
      for (int i = 0; i < 4 && ok; i++)
        {
          g_autofree char *name = g_strconcat (bn, ".", parts[i], NULL);
          ok = (p[i] = source->read (source->ctx, name, 1, vshape, error)) != NULL;
        }
      /* a variance must be positive: folding a negative one makes NaN weights */
      for (int i = 0; ok && i < c_out; i++)
        if (!(p[3][i] + 1e-5f > 0.0f))
          {
            g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                         "%s: tensor %s.running_var holds a negative variance at [%d]: the weights "
                         "are damaged",
                         source->name, bn, i);
            ok = FALSE;
          }
      if (ok)
        {
          bias = g_new0 (float, c_out);
          /* torchvision's BatchNorm2d default eps */
          nn_fold_batchnorm (weight, bias, p[0], p[1], p[2], p[3], c_out, c_in * k * k, 1e-5f);
          /* finite parts can still fold into an infinity (a tiny variance) */
          for (gsize i = 0; ok && i < (gsize) c_out * c_in * k * k; i++)
            ok = isfinite (weight[i]) && (i >= (gsize) c_out || isfinite (bias[i]));
          if (!ok)
            g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                         "%s: %s folded into %s gives weights that are not finite: the weights "
                         "are damaged",
                         source->name, bn, wname);
        }
      for (int i = 0; i < 4; i++)
        g_free (p[i]);
      if (!ok)
        return FALSE;
    }
  else
    {
      g_autofree char *bname = g_strconcat (prefix, ".bias", NULL);
      if (!(bias = source->read (source->ctx, bname, 1, vshape, error)))
        return FALSE;
    }

  if (!nn_conv_init (conv, c_in, c_out, k, stride, pad, weight, bias))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "%s: out of memory for %s", source->name,
                   wname);
      return FALSE;
    }
  g_ptr_array_add (owned, g_steal_pointer (&weight));
  g_ptr_array_add (owned, g_steal_pointer (&bias));
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------- */
/* LkModel                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

LkModel *
lk_model_new_from_tensors (const LkTensorSource *source, GError **error)
{
  const LkNetClass *klass = NULL;
  void *net;

  if (lk_resnet_detect (source))
    net = lk_resnet_load (source, &klass, error);
  else if (lk_squeezenet_detect (source))
    net = lk_squeezenet_load (source, &klass, error);
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: not a network Lookalike runs: expected the torchvision tensor names of "
                   "ResNet-18/34/50/101/152 (conv1.weight, layer1.0.conv1.weight, …) or "
                   "SqueezeNet 1.1 (features.0.weight, features.3.squeeze.weight, …)",
                   source->name);
      return NULL;
    }
  if (!net)
    return NULL;

  LkModel *model = g_new0 (LkModel, 1);
  model->ref_count = 1;
  model->path = g_strdup (source->path);
  model->klass = klass;
  model->net = net;
  model->norm = lk_normalization_imagenet ();
  model->sha256 = g_strdup (source->get_sha256 (source->ctx));
  return model;
}

LkModel *
lk_model_ref (LkModel *model)
{
  g_atomic_int_inc (&model->ref_count);
  return model;
}

void
lk_model_unref (LkModel *model)
{
  if (!model || !g_atomic_int_dec_and_test (&model->ref_count))
    return;
  model->klass->free (model->net);
  g_free (model->sha256);
  g_free (model->path);
  g_free (model);
}

const char *
lk_model_get_name (LkModel *model)
{
  return model->klass->name;
}

int
lk_model_get_dim (LkModel *model)
{
  return model->klass->dim;
}

const char *
lk_model_get_path (LkModel *model)
{
  return model->path;
}

LkNormalization
lk_model_get_normalization (LkModel *model)
{
  return model->norm;
}

const char *
lk_model_get_weights_sha256 (LkModel *model)
{
  return model->sha256;
}

/* ---------------------------------------------------------------------------------------------- */
/* LkModelState                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

LkStateParams
lk_state_default_params (void)
{
  return (LkStateParams){
    .n_threads = 0,
    .max_batch = 16,
    .input_size = 224,
  };
}

LkModelState *
lk_model_state_new (LkModel *model, const LkStateParams *params, GError **error)
{
  LkStateParams p = params ? *params : lk_state_default_params ();
  LkExec plan = { .planning = TRUE };
  gsize total;

  if (p.n_threads <= 0)
    p.n_threads = lk_runtime_get_n_cores ();
  if (p.input_size < LK_MODEL_MIN_INPUT_SIZE || p.input_size > LK_MODEL_MAX_INPUT_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "input size %d is outside the supported %d–%d pixels", p.input_size,
                   LK_MODEL_MIN_INPUT_SIZE, LK_MODEL_MAX_INPUT_SIZE);
      return NULL;
    }
  if (p.max_batch < 1 || p.max_batch > 1024)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "batch size %d is outside the supported 1–1024", p.max_batch);
      return NULL;
    }

  /* Activation sizes grow with the batch; scratch can peak at a smaller batch, where the
   * convolutions split channels instead of columns. Plan every batch size up to the largest. */
  plan.n_threads = p.n_threads;
  for (int B = 1; B <= p.max_batch; B++)
    {
      plan.need[LK_EXEC_INPUT] =
        MAX (plan.need[LK_EXEC_INPUT], (gsize) 3 * B * p.input_size * p.input_size);
      model->klass->forward (model->net, &plan, B, p.input_size, NULL, NULL);
    }
  total = plan.scratch_need;
  for (int i = 0; i < LK_EXEC_MAX_BUFFERS; i++)
    total += plan.need[i];

  g_autoptr (LkModelState) state = g_new0 (LkModelState, 1);
  state->model = lk_model_ref (model);
  state->params = p;
  state->arena = g_try_malloc (total * sizeof (float) + 64);
  if (!state->arena)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory for %s at batch %d, %d pixels (%.0f MiB)",
                   lk_model_get_name (model), p.max_batch, p.input_size,
                   total * sizeof (float) / 1048576.0);
      return NULL;
    }
  float *cursor = state->arena;
  for (int i = 0; i < LK_EXEC_MAX_BUFFERS; i++)
    {
      state->buf[i] = plan.need[i] ? cursor : NULL;
      cursor += plan.need[i];
    }
  state->scratch = cursor;

  nn_blas_init ();
  state->pool = nn_pool_new (p.n_threads);
  if (!state->pool)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "could not start %d worker threads",
                   p.n_threads);
      return NULL;
    }
  return g_steal_pointer (&state);
}

void
lk_model_state_free (LkModelState *state)
{
  if (!state)
    return;
  nn_pool_free (state->pool);
  g_free (state->arena);
  if (state->model)
    lk_model_unref (state->model);
  g_free (state);
}

void
lk_model_state_run_tasks (LkModelState *state, int n_tasks, NnTaskFunc func, void *ctx)
{
  nn_pool_run (state->pool, n_tasks, func, ctx);
}

void
lk_model_state_set_profile (LkModelState *state, LkProfile *profile)
{
  state->profile = profile;
}

LkModel *
lk_model_state_get_model (LkModelState *state)
{
  return state->model;
}

int
lk_model_state_get_input_size (LkModelState *state)
{
  return state->params.input_size;
}

int
lk_model_state_get_max_batch (LkModelState *state)
{
  return state->params.max_batch;
}

gboolean
lk_model_state_forward (LkModelState *state, const float *input, int batch, float *out,
                        GCancellable *cancellable, GError **error)
{
  int S = state->params.input_size;
  LkExec run = {
    .n_threads = state->params.n_threads,
    .profile = state->profile,
    .scratch = state->scratch,
    .pool = state->pool,
    .cancellable = cancellable,
  };

  if (batch < 1 || batch > state->params.max_batch)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "batch of %d images, this state takes 1–%d", batch, state->params.max_batch);
      return FALSE;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  memcpy (run.buf, state->buf, sizeof run.buf);
  nn_bchw_to_cbhw (run.buf[LK_EXEC_INPUT], input, batch, 3, S, S);
  return state->model->klass->forward (state->model->net, &run, batch, S, out, error);
}

gboolean
lk_model_state_prepare_input (LkModelState *state, const LkImage *image, LkPreprocess mode,
                              float *out, GError **error)
{
  g_autoptr (LkImage) resampled = NULL;
  LkNormalization norm = lk_model_get_normalization (state->model);

  resampled = lk_image_resample (image, mode, state->params.input_size, error);
  if (!resampled)
    return FALSE;
  lk_image_to_tensor (resampled, &norm, out);
  return TRUE;
}
