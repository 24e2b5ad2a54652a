/* lk-compressor-train.c: training the MLP compressors ("ae", "nbr") on a catalog's vectors.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In the llm.c manner: the run holds the gradients and Adam's moments in the params' layout (one
 * memset zeroes them, one flat loop updates them) and the activations of one batch, rows × width,
 * kept from forward for backward:
 *   x (B, D) → enc1 → pre[0], act[0] (B, h) → enc2 → pre[1], act[1] (B, h) → enc3 → act[2] = z
 *   (B, d) → dec1 → pre[3], act[3] (B, h) → dec2 → pre[4], act[4] (B, h) → dec3 → act[5] = x̂ (B, D)
 * The choices behind the defaults (the ListNet loss on batches mined for neighbours, the
 * temperature, the schedule) were measured by tests/bench/eval-compress.py, which trains the same
 * networks in PyTorch; tests/tools/make-compressor-reference.py holds our steps to PyTorch's.
 *
 * Batches. "ae" sees the training rows shuffled. "nbr" sees anchors, each with `neighbours` of its
 * `pool` nearest training rows (by the prepared vectors' cosine, found once at the start), so that
 * every batch holds true neighbours whose order the softmax can learn, beside the other anchors as
 * the rest of the list; a row drawn twice is in the batch once.
 */
#define G_LOG_DOMAIN "lk-compressor"

#include "lk-compressor.h"
#include "lookalike.h"
#include "nn.h"

#include <math.h>
#include <string.h>

#define PLATEAU_STEPS 100 /* steps without progress that make a plateau (and 5 epochs) */
#define HALVINGS      5   /* the fifth plateau ends the training */
#define TOL_RECALL    1e-3
#define TOL_MSE       2e-3 /* of the error itself */
#define VAL_K         10
#define MAX_VAL       1024 /* held-out rows at most */
#define MAX_UNIVERSE  4096 /* "nbr": the held-out rows' neighbours are sought among this many */

struct _LkCompressorRun
{
  /* borrowed */
  LkCompressor *model;
  /* owned */
  NnPool *pool;
  float *grads, *m, *v;               /* (n_params) each */
  float *x;                           /* (max_batch, D) the batch */
  float *pre[LK_COMPRESSOR_N_LAYERS]; /* (max_batch, out) before the ReLU; NULL on enc3, dec3 */
  float *act[LK_COMPRESSOR_N_LAYERS]; /* (max_batch, out) each layer's output */
  float *da, *db;    /* (max_batch, max (h, D)): gradients of activations, back and forth */
  float *dz;         /* (max_batch, d) */
  float *decoder_dz; /* (max_batch, d) d(rec)/dz */
  float *listnet;    /* nn_listnet_scratch_floats (max_batch, d) */
  int max_batch, B, step;
  float tau, rec_weight;
  gboolean decoder_only; /* the second phase of "nbr": the codes fixed, the decoder learns */
};

static gboolean
has_relu (int layer)
{
  return layer != 2 && layer != 5;
}

/* The second phase's forward: @codes (B, d) of @x (B, D) as they are kept (the encoder fixed, so
 * computed once), through the decoder; returns the reconstruction error. */
static float
forward_decoder (LkCompressorRun *run, const float *codes, const float *x, int B)
{
  LkCompressor *c = run->model;
  int D = c->config.in_dim, d = c->config.latent;

  memcpy (run->x, x, (gsize) B * D * sizeof (float));
  memcpy (run->act[2], codes, (gsize) B * d * sizeof (float));
  for (int i = 3; i < LK_COMPRESSOR_N_LAYERS; i++)
    {
      const LkCompressorLayer *l = &c->layers[i];
      float *out = has_relu (i) ? run->pre[i] : run->act[i];
      nn_dense_train_forward (out, run->act[i - 1], l->weight, l->bias, B, l->in, l->out,
                              run->pool);
      if (has_relu (i))
        nn_leaky_relu_forward (run->act[i], out, (size_t) B * l->out, 0.0f);
    }
  run->B = B;
  run->rec_weight = 0.0f;
  return nn_mse_forward (run->act[5], run->x, (size_t) B * D) * D;
}

static uint64_t
rng_below (uint64_t *state, uint64_t n)
{
  return nn_rng_next (state) % n;
}

void
lk_compressor_init_mlp (LkCompressor *compressor, guint64 seed)
{
  uint64_t state = seed;

  g_return_if_fail (lk_compressor_method_is_mlp (compressor->config.method));
  for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
    {
      LkCompressorLayer *l = &compressor->layers[i];
      float bound = 1.0f / sqrtf ((float) l->in);
      nn_init_uniform (l->weight, (size_t) l->out * l->in, bound, &state);
      nn_init_uniform (l->bias, (size_t) l->out, bound, &state);
    }
}

void
lk_compressor_run_free (LkCompressorRun *run)
{
  if (!run)
    return;
  nn_pool_free (run->pool);
  g_free (run->grads);
  g_free (run->m);
  g_free (run->v);
  g_free (run->x);
  for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
    {
      g_free (run->pre[i]);
      g_free (run->act[i]);
    }
  g_free (run->da);
  g_free (run->db);
  g_free (run->dz);
  g_free (run->decoder_dz);
  g_free (run->listnet);
  g_free (run);
}

LkCompressorRun *
lk_compressor_run_new (LkCompressor *compressor, int max_batch, int n_threads)
{
  g_autoptr (LkCompressorRun) run = g_new0 (LkCompressorRun, 1);
  gsize B = (gsize) MAX (max_batch, 2), N = compressor->n_params;
  int D = compressor->config.in_dim, d = compressor->config.latent, h = compressor->config.hidden;
  gboolean ok;

  g_return_val_if_fail (lk_compressor_method_is_mlp (compressor->config.method), NULL);
  nn_blas_init ();
  run->model = compressor;
  run->max_batch = (int) B;
  run->pool = nn_pool_new (n_threads > 0 ? n_threads : (int) g_get_num_processors ());
  ok = run->pool && (run->grads = g_try_new0 (float, N)) && (run->m = g_try_new0 (float, N))
       && (run->v = g_try_new0 (float, N)) && (run->x = g_try_new (float, B *D))
       && (run->da = g_try_new (float, B *MAX (h, D)))
       && (run->db = g_try_new (float, B *MAX (h, D))) && (run->dz = g_try_new (float, B *d))
       && (run->decoder_dz = g_try_new (float, B *d))
       && (run->listnet = g_try_new (float, nn_listnet_scratch_floats ((int) B, d)));
  for (int i = 0; ok && i < LK_COMPRESSOR_N_LAYERS; i++)
    {
      gsize size = B * compressor->layers[i].out;
      ok = (run->act[i] = g_try_new (float, size)) != NULL
           && (!has_relu (i) || (run->pre[i] = g_try_new (float, size)) != NULL);
    }
  return ok ? g_steal_pointer (&run) : NULL;
}

float *
lk_compressor_run_get_grads (LkCompressorRun *run)
{
  return run->grads;
}

void
lk_compressor_zero_grad (LkCompressorRun *run)
{
  memset (run->grads, 0, run->model->n_params * sizeof (float));
}

float
lk_compressor_forward (LkCompressorRun *run, const float *x, int B, float tau, float rec_weight,
                       float *rec_out)
{
  LkCompressor *c = run->model;
  int D = c->config.in_dim, d = c->config.latent;
  double rec;
  float loss;

  g_return_val_if_fail (B >= 2 && B <= run->max_batch, NAN);
  memcpy (run->x, x, (gsize) B * D * sizeof (float));
  for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
    {
      const LkCompressorLayer *l = &c->layers[i];
      const float *inp = i == 0 ? run->x : run->act[i - 1];
      float *out = has_relu (i) ? run->pre[i] : run->act[i];
      nn_dense_train_forward (out, inp, l->weight, l->bias, B, l->in, l->out, run->pool);
      if (has_relu (i))
        nn_leaky_relu_forward (run->act[i], out, (size_t) B * l->out, 0.0f);
    }
  rec = (double) nn_mse_forward (run->act[5], run->x, (size_t) B * D) * D;
  if (rec_out)
    *rec_out = (float) rec;
  run->B = B;
  run->tau = tau;
  if (c->config.method == LK_COMPRESSOR_AE || run->decoder_only)
    {
      run->rec_weight = 1.0f;
      return (float) rec;
    }
  run->rec_weight = rec_weight;
  loss = nn_listnet_forward (run->listnet, run->x, run->act[2], B, D, d, tau);
  return loss + rec_weight * (float) rec;
}

static float *
grad_of (LkCompressorRun *run, const float *param)
{
  return run->grads + (param - run->model->params);
}

/* layer @i's backward: @dout (B, out) into its parameters' gradients and, when @dinp is not NULL,
 * the gradient (B, in) of its input, which is set (not added to) */
static void
layer_backward (LkCompressorRun *run, int i, float *dinp, const float *dout, const float *inp)
{
  const LkCompressorLayer *l = &run->model->layers[i];

  if (dinp)
    memset (dinp, 0, (gsize) run->B * l->in * sizeof (float));
  nn_dense_train_backward (dinp, grad_of (run, l->weight), grad_of (run, l->bias), dout, inp,
                           l->weight, run->B, l->in, l->out, run->pool);
}

/* through the ReLU of layer @i: da = db ⊙ (pre > 0) */
static void
relu_backward (LkCompressorRun *run, int i, float *da, const float *db)
{
  size_t N = (size_t) run->B * run->model->layers[i].out;

  memset (da, 0, N * sizeof (float));
  nn_leaky_relu_backward (da, db, run->pre[i], N, 0.0f);
}

void
lk_compressor_backward (LkCompressorRun *run)
{
  LkCompressor *c = run->model;
  int B = run->B, D = c->config.in_dim, d = c->config.latent;
  size_t Bd = (size_t) B * d;

  /* the decoder, from rec = |x̂ − x|² summed, the mean over rows: the MSE's scale times D */
  memset (run->da, 0, (size_t) B * D * sizeof (float));
  nn_mse_backward (run->da, run->act[5], run->x, (size_t) B * D, (float) D);
  layer_backward (run, 5, run->db, run->da, run->act[4]);
  relu_backward (run, 4, run->da, run->db);
  layer_backward (run, 4, run->db, run->da, run->act[3]);
  relu_backward (run, 3, run->da, run->db);
  layer_backward (run, 3, run->decoder_only ? NULL : run->decoder_dz, run->da, run->act[2]);
  if (run->decoder_only)
    return;

  /* the code: rec's share, and the neighbourhoods' */
  for (size_t k = 0; k < Bd; k++)
    run->dz[k] = run->rec_weight * run->decoder_dz[k];
  if (c->config.method == LK_COMPRESSOR_NBR)
    nn_listnet_backward (run->dz, run->listnet, B, d, run->tau, 1.0f);

  /* the encoder */
  layer_backward (run, 2, run->db, run->dz, run->act[1]);
  relu_backward (run, 1, run->da, run->db);
  layer_backward (run, 1, run->db, run->da, run->act[0]);
  relu_backward (run, 0, run->da, run->db);
  layer_backward (run, 0, NULL, run->da, run->x);
}

void
lk_compressor_update (LkCompressorRun *run, float lr)
{
  LkCompressor *c = run->model;
  /* every layer, or the decoder's alone (dec1.weight on) */
  gsize first = c->tensors[run->decoder_only ? 7 : 1].offset, N = c->n_params - first;

  run->step++;
  nn_adamw_update (c->params + first, run->grads + first, run->m + first, run->v + first, N, lr,
                   0.9f, 0.999f, 1e-8f, 0.0f, run->step);
}

/* ---------------------------------------------------------------------------------------------- */
/* The training loop                                                                               */
/* ---------------------------------------------------------------------------------------------- */

LkCompressorTrainParams
lk_compressor_train_default_params (LkCompressorMethod method)
{
  LkCompressorTrainParams p = {
    .seed = 0,
    .epochs = 400,
    .batch = 256,
    .lr = 1e-3f,
    .tau = 0.05f,
    .rec = 0.0f,
    .neighbours = method == LK_COMPRESSOR_NBR ? 3 : 0,
    .pool = 20,
    .max_rows = 8192,
    .n_threads = 0,
  };
  return p;
}

gboolean
lk_compressor_train_params_check (const LkCompressorTrainParams *p, GError **error)
{
  const char *what = NULL;
  double value = 0;

  if (p->epochs < 1 || p->epochs > 10000)
    what = "epochs (1–10000)", value = p->epochs;
  else if (p->batch < 8 || p->batch > 4096)
    what = "batch size (8–4096)", value = p->batch;
  else if (!(p->lr > 0 && p->lr <= 1))
    what = "learning rate (0–1)", value = p->lr;
  else if (!(p->tau >= 0.005f && p->tau <= 1))
    what = "temperature (0.005–1)", value = p->tau;
  else if (!(p->rec >= 0 && p->rec <= 10))
    what = "reconstruction weight (0–10)", value = p->rec;
  else if (p->neighbours < 0 || p->neighbours > 15)
    what = "neighbours per anchor (0–15)", value = p->neighbours;
  else if (p->pool < MAX (p->neighbours, 1) || p->pool > 100)
    what = "neighbour pool (the neighbours per anchor–100)", value = p->pool;
  else if (p->max_rows < 16)
    what = "rows trained on (16 or more)", value = p->max_rows;
  else if (p->n_threads < 0)
    what = "threads", value = p->n_threads;
  if (what)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%g is outside the %s", value, what);
      return FALSE;
    }
  return TRUE;
}

/* @n indexes 0..n-1 shuffled (Fisher–Yates) */
static void
shuffle (gsize *a, gsize n, uint64_t *state)
{
  for (gsize i = 0; i < n; i++)
    a[i] = i;
  for (gsize i = n; i > 1; i--)
    {
      gsize j = rng_below (state, i), t = a[i - 1];
      a[i - 1] = a[j];
      a[j] = t;
    }
}

static int
compare_size (gconstpointer a, gconstpointer b)
{
  gsize x = *(const gsize *) a, y = *(const gsize *) b;
  return x < y ? -1 : x > y;
}

typedef struct
{
  /* borrowed */
  const LkCompressorTrainParams *p;
  LkCompressor *c;
  /* owned */
  LkCompressorRun *run;
  LkRanker *ranker;
  float *x; /* (n, D) prepared: every row fitted on */
  gsize n;
  gsize *train; /* (n_train) rows of x */
  gsize *val;   /* (n_val) */
  gsize n_train, n_val;
  LkMatch *pool; /* (n_train, pool) each training row's nearest, as rows of train */
  int pool_k;
  float *xu; /* (n_universe, D) "nbr": the rows the held-out ones seek neighbours among:
                   * they and training rows, MAX_UNIVERSE at most */
  gsize n_universe;
  gsize *val_pos; /* (n_val) the held-out rows' positions in xu */
  guint *val_top; /* (n_val, VAL_K) each held-out row's nearest in xu, by x */
  gsize *order;   /* (anchors needed) */
  gsize *batch_rows;
  float *batch;       /* (batch, D) */
  float *codes;       /* (n_universe, d) for validation */
  float *fixed_codes; /* (n, d) the second phase's: every row's code, the encoder fixed */
  float *batch_codes; /* (batch, d) */
  uint64_t rng;
} Trainer;

static void
trainer_clear (Trainer *t)
{
  lk_compressor_run_free (t->run);
  lk_ranker_free (t->ranker);
  g_free (t->x);
  g_free (t->train);
  g_free (t->val);
  g_free (t->pool);
  g_free (t->val_top);
  g_free (t->xu);
  g_free (t->val_pos);
  g_free (t->order);
  g_free (t->batch_rows);
  g_free (t->batch);
  g_free (t->codes);
  g_free (t->fixed_codes);
  g_free (t->batch_codes);
}

/* each of @nq rows @queries (rows of x) against the @nm rows @rows of @m (dim), itself left out:
 * the rows of @rows (positions) of its @k nearest into @out (nq, k) */
static void
nearest (Trainer *t, const float *m, int dim, const gsize *rows, gsize nm, const gsize *queries,
         const gssize *excludes, gsize nq, gsize k, LkMatch *out)
{
  g_autofree float *matrix = g_new (float, nm *dim), *q = g_new (float, nq *dim);
  g_autofree gsize *found = g_new (gsize, nq);

  for (gsize i = 0; i < nm; i++)
    memcpy (matrix + i * dim, m + rows[i] * dim, dim * sizeof (float));
  for (gsize i = 0; i < nq; i++)
    memcpy (q + i * dim, m + queries[i] * dim, dim * sizeof (float));
  lk_ranker_top_k_many (t->ranker, matrix, nm, dim, q, nq, k, excludes, out, found);
}

/* one epoch's batches: fills t->batch_rows for step @s, returns its row count */
static gsize
make_batch (Trainer *t, gsize s)
{
  const LkCompressorTrainParams *p = t->p;
  gsize n = 0;

  if (t->c->config.method == LK_COMPRESSOR_AE || p->neighbours == 0 || t->run->decoder_only)
    {
      gsize first = s * p->batch;
      for (gsize i = first; i < MIN (first + p->batch, t->n_train); i++)
        t->batch_rows[n++] = t->train[t->order[i]];
    }
  else
    {
      gsize anchors = MAX (1, p->batch / (1 + p->neighbours));
      for (gsize a = s * anchors; a < (s + 1) * anchors; a++)
        {
          gsize anchor = t->order[a];
          int picked[16];
          t->batch_rows[n++] = t->train[anchor];
          /* m distinct of its pool_k nearest */
          for (int j = 0; j < MIN (p->neighbours, t->pool_k); j++)
            {
              int pick;
              gboolean again;
              do
                {
                  pick = (int) rng_below (&t->rng, (uint64_t) t->pool_k);
                  again = FALSE;
                  for (int q = 0; q < j; q++)
                    again |= picked[q] == pick;
                }
              while (again);
              picked[j] = pick;
              t->batch_rows[n++] = t->train[t->pool[anchor * t->pool_k + pick].index];
            }
        }
      /* each row once */
      qsort (t->batch_rows, n, sizeof (gsize), compare_size);
      gsize u = 0;
      for (gsize i = 0; i < n; i++)
        if (u == 0 || t->batch_rows[u - 1] != t->batch_rows[i])
          t->batch_rows[u++] = t->batch_rows[i];
      n = u;
    }
  return n;
}

/* the epoch's order of rows (ae) or anchors (nbr), as positions in train */
static void
make_order (Trainer *t, gsize steps)
{
  const LkCompressorTrainParams *p = t->p;
  gsize need = t->n_train;

  if (t->c->config.method == LK_COMPRESSOR_NBR && p->neighbours > 0 && !t->run->decoder_only)
    need = steps * MAX (1, p->batch / (1 + p->neighbours));
  for (gsize done = 0; done < need; done += t->n_train)
    {
      g_autofree gsize *perm = g_new (gsize, t->n_train);
      shuffle (perm, t->n_train, &t->rng);
      memcpy (t->order + done, perm, MIN (t->n_train, need - done) * sizeof (gsize));
    }
}

/* the held-out rows' score: −MSE of their reconstructions (ae), or the recall of their true 10
 * nearest among all rows by their codes' (nbr) */
static double
validate (Trainer *t)
{
  LkCompressor *c = t->c;
  int D = c->config.in_dim, d = c->config.latent;

  if (c->config.method == LK_COMPRESSOR_AE || t->run->decoder_only)
    {
      g_autofree float *x = g_new (float, t->n_val *D), *codes = g_new (float, t->n_val *d),
                       *recon = g_new (float, t->n_val *D);
      for (gsize i = 0; i < t->n_val; i++)
        memcpy (x + i * D, t->x + t->val[i] * D, D * sizeof (float));
      lk_compressor_encode (c, codes, x, t->n_val);
      lk_compressor_decode (c, recon, codes, t->n_val);
      return -(double) nn_mse_forward (recon, x, t->n_val * D);
    }
  else
    {
      g_autofree gsize *all = g_new (gsize, t->n_universe);
      g_autofree gssize *excludes = g_new (gssize, t->n_val);
      g_autofree LkMatch *top = g_new (LkMatch, t->n_val * VAL_K);
      gsize k = MIN (VAL_K, t->n_universe - 1), hits = 0;

      lk_compressor_encode (c, t->codes, t->xu, t->n_universe);
      lk_vectors_normalize (t->codes, t->n_universe, d);
      for (gsize i = 0; i < t->n_universe; i++)
        all[i] = i;
      for (gsize i = 0; i < t->n_val; i++)
        excludes[i] = (gssize) t->val_pos[i];
      nearest (t, t->codes, d, all, t->n_universe, t->val_pos, excludes, t->n_val, k, top);
      for (gsize i = 0; i < t->n_val; i++)
        for (gsize a = 0; a < k; a++)
          for (gsize b = 0; b < k; b++)
            hits += top[i * k + a].index == t->val_top[i * k + b];
      return (double) hits / (double) (t->n_val * k);
    }
}

/* One phase's epochs, early stopping on the held-out rows, the best epoch's weights kept in the
 * model: the whole network ("ae", the encoder of "nbr"), or the decoder alone */
static gboolean
run_phase (Trainer *t, gsize steps, LkCompressorTrainProgress *report,
           LkCompressorTrainFunc progress, gpointer user_data, GCancellable *cancellable,
           GError **error)
{
  const LkCompressorTrainParams *params = t->p;
  LkCompressor *compressor = t->c;
  int D = compressor->config.in_dim, halvings = 0;
  gsize plateau, since = 0;
  double mark = -INFINITY;
  gboolean by_error = compressor->config.method == LK_COMPRESSOR_AE || t->run->decoder_only;
  g_autofree float *best = NULL;

  plateau = MAX (5, (PLATEAU_STEPS + steps / 2) / steps);
  best = g_memdup2 (compressor->params, compressor->n_params * sizeof (float));
  if (!report->phase)
    report->phase = 1;
  report->epochs = params->epochs;
  report->best_score = -INFINITY;
  report->lr = params->lr;
  report->n_train = t->n_train;
  report->n_val = t->n_val;
  for (int epoch = 1; epoch <= params->epochs; epoch++)
    {
      double sum = 0, tol;
      gsize counted = 0;

      make_order (t, steps);
      for (gsize s = 0; s < steps; s++)
        {
          gsize B = make_batch (t, s);
          float loss;
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          if (B < 2)
            continue;
          for (gsize i = 0; i < B; i++)
            memcpy (t->batch + i * D, t->x + t->batch_rows[i] * D, D * sizeof (float));
          lk_compressor_zero_grad (t->run);
          if (t->run->decoder_only)
            {
              int d = compressor->config.latent;
              for (gsize i = 0; i < B; i++)
                memcpy (t->batch_codes + i * d, t->fixed_codes + t->batch_rows[i] * d,
                        d * sizeof (float));
              loss = forward_decoder (t->run, t->batch_codes, t->batch, (int) B);
            }
          else
            loss =
              lk_compressor_forward (t->run, t->batch, (int) B, params->tau, params->rec, NULL);
          lk_compressor_backward (t->run);
          lk_compressor_update (t->run, report->lr);
          sum += loss;
          counted++;
        }
      report->epoch = epoch;
      report->loss = counted ? sum / counted : NAN;
      report->score = validate (t);
      if (!isfinite (report->loss))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                       "training the %s compressor diverged at epoch %d (the loss is %g): try a "
                       "lower learning rate",
                       lk_compressor_method_to_string (compressor->config.method), epoch,
                       report->loss);
          return FALSE;
        }
      if (report->score > report->best_score)
        {
          report->best_score = report->score;
          report->best_epoch = epoch;
          memcpy (best, compressor->params, compressor->n_params * sizeof (float));
        }
      tol = by_error ? fabs (report->score) * TOL_MSE : TOL_RECALL;
      if (report->score > mark + tol)
        mark = report->score, since = 0;
      else
        since++;
      if (progress)
        progress (report, user_data);
      if (since >= plateau)
        {
          if (++halvings == HALVINGS)
            break;
          since = 0;
          report->lr *= 0.5f;
        }
    }
  memcpy (compressor->params, best, compressor->n_params * sizeof (float));
  return TRUE;
}

gboolean
lk_compressor_train (LkCompressor *compressor, const float *in_mean, const float *vectors, gsize n,
                     const LkCompressorTrainParams *params, LkCompressorTrainFunc progress,
                     gpointer user_data, LkCompressorTrainProgress *result,
                     GCancellable *cancellable, GError **error)
{
  Trainer t = { .p = params, .c = compressor, .rng = params->seed ^ 0x5eed };
  LkCompressorTrainProgress report = { 0 };
  int D = compressor->config.in_dim, d = compressor->config.latent;
  gsize steps;
  gboolean ok = FALSE;

  g_return_val_if_fail (lk_compressor_method_is_mlp (compressor->config.method), FALSE);
  if (!lk_compressor_train_params_check (params, error))
    return FALSE;
  if (n < 16)
    {
      g_set_error (
        error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
        "the %s compressor is trained on at least 16 vectors, and there are %" G_GSIZE_FORMAT,
        lk_compressor_method_to_string (compressor->config.method), n);
      return FALSE;
    }

  /* the rows fitted on: all of them, or a random max_rows; prepared */
  {
    g_autofree gsize *perm = g_new (gsize, n);
    shuffle (perm, n, &t.rng);
    t.n = MIN (n, (gsize) params->max_rows);
    qsort (perm, t.n, sizeof (gsize), compare_size);
    if (!(t.x = g_try_new (float, t.n *D)))
      {
        g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                     "not enough memory to train on %" G_GSIZE_FORMAT " vectors", t.n);
        return FALSE;
      }
    memcpy (compressor->in_mean, in_mean, D * sizeof (float));
    for (gsize i = 0; i < t.n; i++)
      memcpy (t.x + i * D, vectors + perm[i] * D, D * sizeof (float));
    lk_compressor_prepare (compressor, t.x, t.n);
  }

  /* held out: 10 %, at least one, at most MAX_VAL */
  t.n_val = CLAMP (t.n / 10, 1, MAX_VAL);
  t.n_train = t.n - t.n_val;
  t.val = g_new (gsize, t.n_val);
  t.train = g_new (gsize, t.n_train);
  {
    g_autofree gsize *perm = g_new (gsize, t.n);
    shuffle (perm, t.n, &t.rng);
    memcpy (t.val, perm, t.n_val * sizeof (gsize));
    memcpy (t.train, perm + t.n_val, t.n_train * sizeof (gsize));
    qsort (t.val, t.n_val, sizeof (gsize), compare_size);
    qsort (t.train, t.n_train, sizeof (gsize), compare_size);
  }

  lk_compressor_init_mlp (compressor, params->seed);
  t.ranker = lk_ranker_new (params->n_threads);
  t.run = lk_compressor_run_new (compressor, params->batch, params->n_threads);
  t.batch_rows = g_new (gsize, params->batch);
  t.batch = g_new (float, (gsize) params->batch *D);
  t.codes = g_new (float, MIN (t.n, (gsize) MAX_UNIVERSE) * d);
  steps = MAX (1, (t.n_train + params->batch - 1) / params->batch);
  t.order = g_new (gsize, MAX (t.n_train, steps * params->batch));
  if (!t.run)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory to train a compressor of %d × %d", d, D);
      goto out;
    }

  if (compressor->config.method == LK_COMPRESSOR_NBR)
    {
      g_autofree gssize *excludes = g_new (gssize, MAX (t.n_train, t.n_val));
      g_autofree gsize *positions = g_new (gsize, t.n_train), *rows = NULL;
      g_autofree LkMatch *top = NULL;
      gsize k;

      t.pool_k = (int) MIN ((gsize) params->pool, t.n_train - 1);
      t.pool = g_new (LkMatch, t.n_train * MAX (t.pool_k, 1));
      for (gsize i = 0; i < t.n_train; i++)
        positions[i] = i, excludes[i] = (gssize) i;
      if (t.pool_k > 0)
        {
          /* the matrix is the training rows; queries and results are positions in it */
          g_autofree float *m = g_new (float, t.n_train *D);
          for (gsize i = 0; i < t.n_train; i++)
            memcpy (m + i * D, t.x + t.train[i] * D, D * sizeof (float));
          nearest (&t, m, D, positions, t.n_train, positions, excludes, t.n_train, (gsize) t.pool_k,
                   t.pool);
        }

      /* the universe: the held-out rows first, then training rows (every n_train / room-th) */
      t.n_universe = MIN (t.n, (gsize) MAX_UNIVERSE);
      rows = g_new (gsize, t.n_universe);
      t.val_pos = g_new (gsize, t.n_val);
      for (gsize i = 0; i < t.n_val; i++)
        rows[i] = t.val[i], t.val_pos[i] = i;
      for (gsize i = t.n_val; i < t.n_universe; i++)
        rows[i] = t.train[(i - t.n_val) * t.n_train / (t.n_universe - t.n_val)];
      t.xu = g_new (float, t.n_universe *D);
      for (gsize i = 0; i < t.n_universe; i++)
        memcpy (t.xu + i * D, t.x + rows[i] * D, D * sizeof (float));
      positions = g_renew (gsize, positions, MAX (t.n_universe, t.n_train));
      for (gsize i = 0; i < t.n_universe; i++)
        positions[i] = i;
      for (gsize i = 0; i < t.n_val; i++)
        excludes[i] = (gssize) i;
      k = MIN (VAL_K, t.n_universe - 1);
      top = g_new (LkMatch, t.n_val * k);
      nearest (&t, t.xu, D, positions, t.n_universe, t.val_pos, excludes, t.n_val, k, top);
      t.val_top = g_new (guint, t.n_val * k);
      for (gsize i = 0; i < t.n_val * k; i++)
        t.val_top[i] = top[i].index;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;

  if (!run_phase (&t, steps, &report, progress, user_data, cancellable, error))
    goto out;
  if (result)
    *result = report;
  if (compressor->config.method == LK_COMPRESSOR_NBR)
    {
      /* then the decoder alone, on the codes as they are kept, until its error stops falling:
       * the encoder stopped for its neighbourhoods, most likely before the decoder had caught
       * up with it */
      LkCompressorTrainProgress second = { 0 };
      gsize first = compressor->tensors[7].offset, N = compressor->n_params - first;
      memset (t.run->m + first, 0, N * sizeof (float));
      memset (t.run->v + first, 0, N * sizeof (float));
      t.run->step = 0;
      t.run->decoder_only = TRUE;
      t.fixed_codes = g_new (float, t.n * compressor->config.latent);
      t.batch_codes = g_new (float, (gsize) params->batch * compressor->config.latent);
      lk_compressor_encode (compressor, t.fixed_codes, t.x, t.n);
      second.phase = 2;
      if (!run_phase (&t, steps, &second, progress, user_data, cancellable, error))
        goto out;
    }
  ok = TRUE;

out:
  trainer_clear (&t);
  return ok;
}
