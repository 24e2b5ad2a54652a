/* lk-model-private.h: what the network definitions share with lk-model.c.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A network is a forward function written once and run in two modes. Planning walks the layers
 * recording how large each activation buffer and the convolution scratch must be; running walks
 * the same layers computing. Buffers are named by small integers (roles), so the plan and the run
 * cannot disagree about which tensor lives where.
 *
 * Networks take tensors, never files: a network is built from an LkTensorSource, which the
 * pipeline implements over a weights file (engine/lk-weights.c reads .safetensors). Nothing here
 * opens, reads or writes a file.
 */
#pragma once

#include "lookalike.h"
#include "nn.h"

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

#define LK_TENSOR_SOURCE_MAX_DIMS 8

/* Where a network's tensors come from, by torchvision name. The tensors are untrusted input: the
 * networks check every name and shape they rely on. */
typedef struct
{
  const char *name; /* what messages call the tensors' origin: "resnet50.safetensors" */
  const char *path; /* (nullable) kept as lk_model_get_path () */
  void *ctx;        /* handed to the callbacks */

  /* Whether tensor @name exists; when it does and @n_dims is non-NULL, its rank in *@n_dims and
   * its extents in @shape (room for LK_TENSOR_SOURCE_MAX_DIMS). */
  gboolean (*lookup) (void *ctx, const char *name, int *n_dims, gint64 *shape);
  /* Tensor @name as float32 of the expected shape (@n_dims extents in @shape, -1 matching any),
   * every value finite. A missing tensor, another shape or dtype, or a NaN or infinite value is
   * LK_ERROR_BAD_WEIGHTS naming the source and the tensor.
   * Returns: (transfer full) (nullable) g_malloc'd floats */
  float *(*read) (void *ctx, const char *name, int n_dims, const gint64 *shape, GError **error);
  /* Lower-case hex SHA-256 of the bytes the tensors were read from; asked once, after the
   * network was built, and copied. */
  const char *(*get_sha256) (void *ctx);
} LkTensorSource;

static inline gboolean
lk_tensor_source_has (const LkTensorSource *source, const char *name)
{
  return source->lookup (source->ctx, name, NULL, NULL);
}

/* Builds the network the tensors of @source hold (ResNet-18/34/50/101/152 or SqueezeNet 1.1,
 * recognised from the tensor names and shapes). Anything else is LK_ERROR_BAD_WEIGHTS naming
 * source->name and the first offending tensor. lk_model_new_from_file () is this over a file.
 * Returns: (transfer full) (nullable) */
LkModel *lk_model_new_from_tensors (const LkTensorSource *source, GError **error);

/* Loaders: return NULL and set LK_ERROR_BAD_WEIGHTS when the tensors do not match. They only run
 * once lk_model_new_from_tensors has recognised the family from the tensor names. */
gboolean lk_resnet_detect (const LkTensorSource *source);
void *lk_resnet_load (const LkTensorSource *source, const LkNetClass **klass, GError **error);
gboolean lk_squeezenet_detect (const LkTensorSource *source);
void *lk_squeezenet_load (const LkTensorSource *source, const LkNetClass **klass, GError **error);

/* Reads "<prefix>.weight" (OC, C, k, k) and folds "<bn>.{weight,bias,running_mean,running_var}"
 * into it when bn is non-NULL, else reads "<prefix>.bias". Initialises @conv with the result;
 * the arrays are added to @owned. */
gboolean
lk_load_conv (const LkTensorSource *source, GPtrArray *owned, NnConv *conv, const char *prefix,
              const char *bn, int c_in, int c_out, int k, int stride, int pad, GError **error);

/* Runs func (ctx, task, thread) for task in [0, n_tasks) on @state's worker threads. */
void lk_model_state_run_tasks (LkModelState *state, int n_tasks, NnTaskFunc func, void *ctx);

/* Starts accumulating per-layer timings into @profile (NULL stops). */
void lk_model_state_set_profile (LkModelState *state, LkProfile *profile);

G_END_DECLS
