/* lk-embedder.h: the backends' function table, behind the public LkEmbedder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table per backend (lk-embedder-cnn.c, …), in the shape of ggml's backend interface and
 * whisper.cpp's context/state split: an LkEmbedder is read-only and shared between threads; each
 * thread that embeds has an LkEmbedderState with its scratch memory, its worker threads and a
 * batch of input slots. Two parts of a table need no instance: what the backend takes, and the
 * post-transform a search index applies to its stored vectors, which is known from the backend
 * alone (a catalog is searched by its stored vectors without loading any model).
 */
#pragma once

#include "lookalike.h"
#include "nn.h"

G_BEGIN_DECLS

typedef struct _LkEmbedderClass LkEmbedderClass;

struct _LkEmbedderClass
{
  LkBackend backend;
  LkEmbedderInput input;

  /* instances (NULL for a backend this version cannot embed with) */
  void (*finalize) (LkEmbedder *embedder);
  /* the backend's per-thread part of a state, for batches of up to @max_batch */
  gpointer (*state_new) (LkEmbedder *embedder, int n_threads, int max_batch, GError **error);
  void (*state_free) (gpointer state);
  /* into slot @slot: safe to call for different slots from different threads at once */
  gboolean (*prepare) (LkEmbedder *embedder, gpointer state, int slot, const LkImage *image,
                       GError **error);
  void (*move_slot) (LkEmbedder *embedder, gpointer state, int to, int from);
  /* slots 0..n-1 to out: (n, dim) */
  gboolean (*embed) (LkEmbedder *embedder, gpointer state, int n, float *out,
                     GCancellable *cancellable, GError **error);
  /* runs func (ctx, task, thread) for task in [0, n_tasks) on the state's worker threads */
  void (*run_tasks) (gpointer state, int n_tasks, NnTaskFunc func, void *ctx);

  /* the search index's post-transform: fitted on all of a catalog's vectors (@n of them, @dim
   * each) into @post_floats (dim) floats of parameters, then applied to every row and every
   * query before they are normalised; NULL post_fit: none */
  gsize (*post_floats) (int dim);
  void (*post_fit) (float *post, const float *vectors, gsize n, int dim);
  void (*post_apply) (const float *post, float *vector, int dim);
};

struct _LkEmbedder
{
  const LkEmbedderClass *klass;
  gint ref_count;
  LkModelIdentity *identity; /* owned: what makes its vectors */
  LkDecodeParams decode;     /* limits and size hints for the images it takes */
  gpointer priv;             /* the backend's (its model), freed by its finalize */
};

struct _LkEmbedderState
{
  LkEmbedder *embedder; /* a reference */
  gpointer priv;        /* the backend's */
  int max_batch;
};

/* The table of @backend: every backend has one, for its post-transform at least. */
const LkEmbedderClass *lk_embedder_class_for (LkBackend backend);

/* For a backend's constructor: @identity is taken. */
LkEmbedder *lk_embedder_new (const LkEmbedderClass *klass, LkModelIdentity *identity);

/* The indexer's prepare stage on the state's threads. */
void lk_embedder_state_run_tasks (LkEmbedderState *state, int n_tasks, NnTaskFunc func, void *ctx);

/* Centring on the catalog's mean (shrunk for small catalogs): a post-transform backends share. */
gsize lk_embedder_mean_floats (int dim);
void lk_embedder_mean_fit (float *mean, const float *vectors, gsize n, int dim);
void lk_embedder_mean_apply (const float *mean, float *vector, int dim);

extern const LkEmbedderClass lk_embedder_cnn_class;
extern const LkEmbedderClass lk_embedder_conv_ae_class;
extern const LkEmbedderClass lk_embedder_compressed_class;

G_END_DECLS
