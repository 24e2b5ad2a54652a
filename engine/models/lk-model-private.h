/* lk-model-private.h: what the network definitions share with lk-model.c.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A network is a forward function written once and run in two modes. Planning walks the layers
 * recording how large each activation buffer and the convolution scratch must be; running walks
 * the same layers computing. Buffers are named by small integers (roles), so the plan and the run
 * cannot disagree about which tensor lives where.
 */
#pragma once

#include "lookalike.h"
#include "nn.h"
#include "store/lk-safetensors.h"

G_BEGIN_DECLS

enum
{
  LK_EXEC_MAX_BUFFERS = 6,
  LK_EXEC_INPUT = 0, /* buffer 0 always holds the (3, B, S, S) input */
};

/* Per-layer timings, accumulated over forward passes (bench-forward --profile). */
typedef struct
{
  guint n_steps;
  struct
  {
    char what[96]; /* "conv 3x3/1 64->64 56x56 winograd" */
    double seconds;
    double macs; /* multiply-adds of the direct method */
    guint calls;
  } step[256];
} LkProfile;

typedef struct
{
  gboolean planning;
  int n_threads;
  LkProfile *profile; /* NULL unless profiling */
  guint step;         /* index of the current layer while profiling */

  /* planning: floats each buffer and the scratch must hold */
  gsize need[LK_EXEC_MAX_BUFFERS];
  gsize scratch_need;

  /* running (borrowed) */
  float *buf[LK_EXEC_MAX_BUFFERS];
  float *scratch;
  NnPool *pool;
  GCancellable *cancellable;
} LkExec;

/* out_buf[out_offset channels on] = act (conv (in_buf) + res_buf); res_buf -1 for none.
 * Updates *H, *W to the output size. */
void lk_exec_conv (LkExec *e, const NnConv *conv, int out_buf, int out_offset, int in_buf,
                   int res_buf, int B, int *H, int *W, gboolean relu);
void lk_exec_maxpool (LkExec *e, int out_buf, int in_buf, int C, int B, int *H, int *W, int k,
                      int stride, int pad, gboolean ceil_mode);
/* (B, C) features from the (C, B, H, W) buffer. */
void lk_exec_global_avgpool (LkExec *e, float *out, int in_buf, int C, int B, int H, int W);
/* FALSE with G_IO_ERROR_CANCELLED once the cancellable fired (never while planning). */
gboolean lk_exec_check (LkExec *e, GError **error);

typedef struct
{
  const char *name;
  int dim;
  /* plans (e->planning) or runs the network on e->buf[LK_EXEC_INPUT], writing (B, dim) to out */
  gboolean (*forward) (const void *net, LkExec *e, int B, int S, float *out, GError **error);
  void (*free) (void *net);
} LkNetClass;

/* Loaders: return NULL and set LK_ERROR_BAD_WEIGHTS when the tensors do not match. They only run
 * once lk_model_new_from_file has recognised the family from the tensor names. */
gboolean lk_resnet_detect (LkSafetensors *st);
void *lk_resnet_load (LkSafetensors *st, const LkNetClass **klass, GError **error);
gboolean lk_squeezenet_detect (LkSafetensors *st);
void *lk_squeezenet_load (LkSafetensors *st, const LkNetClass **klass, GError **error);

/* Reads "<prefix>.weight" (OC, C, k, k) and folds "<bn>.{weight,bias,running_mean,running_var}"
 * into it when bn is non-NULL, else reads "<prefix>.bias". Initialises @conv with the result;
 * the arrays are added to @owned. */
gboolean
lk_load_conv (LkSafetensors *st, GPtrArray *owned, NnConv *conv, const char *prefix, const char *bn,
              int c_in, int c_out, int k, int stride, int pad, GError **error);

/* Runs func (ctx, task, thread) for task in [0, n_tasks) on @state's worker threads. */
void lk_model_state_run_tasks (LkModelState *state, int n_tasks, NnTaskFunc func, void *ctx);

/* Starts accumulating per-layer timings into @profile (NULL stops). */
void lk_model_state_set_profile (LkModelState *state, LkProfile *profile);

G_END_DECLS
