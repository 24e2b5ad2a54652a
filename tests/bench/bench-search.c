/* bench-search.c: single-query top-k speed of our ranker (one side of bench-search.py).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-search N DIM QUERIES [THREADS] [K]
 * Fills an (N, DIM) matrix with seeded random unit vectors and times, query by query after a
 * warm-up, lk_ranker_top_k on THREADS threads (default 2) and lk_top_k on the calling thread, on
 * QUERIES random unit queries each. Also times a plain read of the matrix on THREADS threads, the
 * ceiling a search that streams the matrix can reach. Prints one JSON object:
 * {"n": ..., "dim": ..., "k": ..., "threads": ..., "queries": ..., "ranker_ms": <median>,
 *  "ranker_best_ms": ..., "top_k_ms": <median>, "read_ms": <median>, "blas": ...}
 *
 * bench-search N DIMu8 QUERIES [THREADS] [K] (DIM ≤ 512, "32u8"): 8-bit codes, as the compressed
 * backend's --int8 searches them (lk-search-index.c): random unit codes quantised per dimension
 * between their min and max, packed for the scan (lk_ranker_pack_u8); a query is a unit float code, turned into
 * int8 weights, the byte scan keeps max (64, 4 K) candidates, which are scored again by the
 * exact cosine of the decoded code and the best K kept. "ranker_ms" is all of that; "top_k_ms"
 * is the same with the plain C scan on one thread, whose candidates must be the same; "read_ms"
 * reads the packed bytes. Also "recall": the overlap of the K found with the float codes' own
 * exact top K.
 */
#include "lookalike.h"
#include "nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: GRand's doubles are too slow for half a gigabyte of floats */
static float
uniform (guint64 *state)
{
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (float) ((*state * 0x2545F4914F6CDD1DULL >> 40) * 0x1p-24 * 2.0 - 1.0);
}

static float *
random_unit_vectors (guint64 seed, gsize n, int dim)
{
  float *v = g_new (float, n *dim);
  guint64 state = seed;

  for (gsize i = 0; i < n * dim; i++)
    v[i] = uniform (&state);
  lk_vectors_normalize (v, n, dim);
  return v;
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values, int n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1e3;
}

/* The read ceiling: every thread sums its share of the matrix, 64 bytes a step. With AVX-512 the
 * loads are 64 bytes wide, as in OpenBLAS's kernels; narrower loads read slower here. */
typedef struct
{
  const float *matrix;
  gsize n_floats;
  int n_tasks;
  float sums[64];
} ReadJob;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__ ((target ("avx512f"))) static float
read_avx512 (const float *p, gsize n)
{
  __m512 a = _mm512_setzero_ps (), b = a, c = a, d = a;

  for (gsize i = 0; i + 64 <= n; i += 64)
    {
      a = _mm512_add_ps (a, _mm512_loadu_ps (p + i));
      b = _mm512_add_ps (b, _mm512_loadu_ps (p + i + 16));
      c = _mm512_add_ps (c, _mm512_loadu_ps (p + i + 32));
      d = _mm512_add_ps (d, _mm512_loadu_ps (p + i + 48));
    }
  return _mm512_reduce_add_ps (_mm512_add_ps (_mm512_add_ps (a, b), _mm512_add_ps (c, d)));
}
#endif

static float
read_plain (const float *p, gsize n)
{
  float a[16] = { 0 };

  for (gsize i = 0; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; j++)
      a[j] += p[i + j];
  for (int j = 1; j < 16; j++)
    a[0] += a[j];
  return a[0];
}

static void
read_worker (void *data, int task, int thread)
{
  ReadJob *job = data;
  gsize per = (job->n_floats / job->n_tasks + 63) / 64 * 64;
  gsize first = MIN (job->n_floats, task * per), end = MIN (job->n_floats, first + per);

#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("avx512f"))
    {
      job->sums[task] = read_avx512 (job->matrix + first, end - first);
      return;
    }
#endif
  job->sums[task] = read_plain (job->matrix + first, end - first);
}

static int
compare_matches_desc (gconstpointer a, gconstpointer b)
{
  const LkMatch *x = a, *y = b;
  if (x->cosine != y->cosine)
    return x->cosine > y->cosine ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct
{
  guint8 *codes;  /* (n, dim) */
  guint8 *packed; /* lk_ranker_pack_u8 */
  float *offset, *scale;
  gsize n;
  int dim;
} Codes;

/* the index's query: int8 weights, the scan's candidates, rescored, the best k */
static gsize
search_codes (LkRanker *ranker, const Codes *c, const float *q, gsize k, LkMatch *out,
              LkMatch *candidates)
{
  gint8 weights[LK_RANKER_U8_MAX_DIM] = { 0 };
  float largest = 0;
  gsize want = MIN (MAX (64, 4 * k), c->n), found;

  for (int j = 0; j < c->dim; j++)
    largest = MAX (largest, fabsf (q[j] * c->scale[j]));
  for (int j = 0; j < c->dim; j++)
    weights[j] = (gint8) lrintf (q[j] * c->scale[j] * 127.0f / largest);
  found = lk_ranker_top_k_u8 (ranker, c->packed, c->n, c->dim, weights, want, -1, candidates);
  for (gsize i = 0; i < found; i++)
    {
      guint8 row[LK_RANKER_U8_MAX_DIM];
      lk_ranker_unpack_u8_row (row, c->packed, candidates[i].index, c->dim);
      double dot = 0, norm = 0;
      for (int j = 0; j < c->dim; j++)
        {
          double v = c->offset[j] + (double) c->scale[j] * row[j];
          dot += v * q[j];
          norm += v * v;
        }
      candidates[i].cosine = (float) (dot / sqrt (norm));
    }
  qsort (candidates, found, sizeof *candidates, compare_matches_desc);
  found = MIN (found, k);
  memcpy (out, candidates, found * sizeof *out);
  return found;
}

static int
bench_codes (const char *argv0, gsize n, int dim, int n_queries, int threads, gsize k)
{
  g_autofree float *unit = random_unit_vectors (1, n, dim);
  g_autofree float *queries = random_unit_vectors (2, n_queries, dim);
  Codes c = { .n = n, .dim = dim };
  g_autofree LkMatch *top = g_new (LkMatch, k), *plain = g_new (LkMatch, k);
  g_autofree LkMatch *exact = g_new (LkMatch, k);
  g_autofree LkMatch *candidates = g_new (LkMatch, MAX (64, 4 * k));
  g_autofree double *ranker_ms = g_new (double, n_queries), *plain_ms = g_new (double, n_queries);
  g_autofree double *read_ms = g_new (double, n_queries);
  g_autoptr (LkRanker) ranker = lk_ranker_new (threads), single = lk_ranker_new (1);
  NnPool *pool = nn_pool_new (threads);
  const char *kernel;
  float checksum = 0;
  gsize hits = 0;

  c.codes = g_new0 (guint8, n * dim);
  c.offset = g_new (float, dim);
  c.scale = g_new (float, dim);
  for (int j = 0; j < dim; j++)
    {
      float lo = unit[j], hi = unit[j];
      for (gsize i = 1; i < n; i++)
        lo = MIN (lo, unit[i * dim + j]), hi = MAX (hi, unit[i * dim + j]);
      c.offset[j] = lo;
      c.scale[j] = (hi - lo) / 255.0f;
    }
  for (gsize i = 0; i < n; i++)
    for (int j = 0; j < dim; j++)
      c.codes[i * dim + j] =
        (guint8) lrintf (CLAMP ((unit[i * dim + j] - c.offset[j]) / c.scale[j], 0, 255));
  gsize packed_bytes = lk_ranker_u8_packed_bytes (n, dim);
  c.packed = g_malloc (packed_bytes);
  lk_ranker_pack_u8 (c.packed, c.codes, n, dim);

  ReadJob read = { (const float *) c.packed, packed_bytes / 4, threads, { 0 } };
  kernel = lk_ranker_get_u8_kernel ();
  for (int i = 0; i < 3; i++)
    {
      search_codes (ranker, &c, queries, k, top, candidates);
      nn_pool_run (pool, threads, read_worker, &read);
    }
  for (int i = 0; i < n_queries; i++)
    {
      const float *query = queries + (gsize) i * dim;
      double start = now_ms ();
      gsize found = search_codes (ranker, &c, query, k, top, candidates);
      ranker_ms[i] = now_ms () - start;

      lk_ranker_set_u8_kernel ("c");
      start = now_ms ();
      gsize found_plain = search_codes (single, &c, query, k, plain, candidates);
      plain_ms[i] = now_ms () - start;
      lk_ranker_set_u8_kernel (NULL);

      start = now_ms ();
      nn_pool_run (pool, threads, read_worker, &read);
      read_ms[i] = now_ms () - start;
      for (int t = 0; t < threads; t++)
        checksum += read.sums[t];

      if (found != found_plain || memcmp (top, plain, found * sizeof *top) != 0)
        {
          fprintf (stderr, "%s: the %s scan and the plain one disagree on query %d\n", argv0,
                   kernel, i);
          return 1;
        }
      /* against the float codes' exact top k */
      gsize found_exact = lk_top_k (unit, n, dim, query, k, -1, exact);
      for (gsize a = 0; a < found; a++)
        for (gsize b = 0; b < found_exact; b++)
          hits += top[a].index == exact[b].index;
    }
  nn_pool_free (pool);

  double best = ranker_ms[0];
  for (int i = 1; i < n_queries; i++)
    best = MIN (best, ranker_ms[i]);
  printf ("{\"n\": %zu, \"dim\": %d, \"codes\": \"u8\", \"bytes\": %zu, \"k\": %zu, "
          "\"threads\": %d, \"queries\": %d, \"ranker_ms\": %.4f, \"ranker_best_ms\": %.4f, "
          "\"top_k_ms\": %.4f, \"read_ms\": %.4f, \"recall\": %.4f, \"kernel\": \"%s\", "
          "\"blas\": \"%s\", \"checksum\": %g}\n",
          n, dim, packed_bytes, k, threads, n_queries, median (ranker_ms, n_queries), best,
          median (plain_ms, n_queries), median (read_ms, n_queries),
          (double) hits / ((double) n_queries * k), kernel, lk_runtime_get_blas_core (),
          isfinite (checksum) ? (double) checksum : 0.0); /* bytes read as floats: any bits */
  g_free (c.codes);
  g_free (c.packed);
  g_free (c.offset);
  g_free (c.scale);
  return 0;
}

int
main (int argc, char **argv)
{
  lk_runtime_ensure_blas_kernels (argv);
  if (argc < 4)
    {
      fprintf (stderr, "usage: %s N DIM QUERIES [THREADS] [K]\n", argv[0]);
      return 2;
    }
  gsize n = g_ascii_strtoull (argv[1], NULL, 10);
  char *unit_end = NULL;
  int dim = (int) strtol (argv[2], &unit_end, 10), n_queries = atoi (argv[3]);
  gboolean u8 = g_strcmp0 (unit_end, "u8") == 0;
  int threads = argc > 4 ? atoi (argv[4]) : 2;
  gsize k = argc > 5 ? g_ascii_strtoull (argv[5], NULL, 10) : 10;
  if (n == 0 || dim <= 0 || n_queries <= 0 || threads <= 0 || threads > 64 || k == 0)
    {
      fprintf (stderr, "%s: N, DIM, QUERIES, THREADS (at most 64) and K must be positive\n",
               argv[0]);
      return 2;
    }
  if (u8)
    {
      if (dim > LK_RANKER_U8_MAX_DIM)
        {
          fprintf (stderr, "%s: 8-bit codes are at most %d long\n", argv[0], LK_RANKER_U8_MAX_DIM);
          return 2;
        }
      return bench_codes (argv[0], n, dim, n_queries, threads, k);
    }

  g_autofree float *matrix = random_unit_vectors (1, n, dim);
  g_autofree float *queries = random_unit_vectors (2, n_queries, dim);
  g_autofree LkMatch *top = g_new (LkMatch, k);
  g_autofree LkMatch *plain = g_new (LkMatch, k);
  g_autofree double *ranker_ms = g_new (double, n_queries);
  g_autofree double *top_k_ms = g_new (double, n_queries);
  g_autofree double *read_ms = g_new (double, n_queries);
  g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
  NnPool *pool = nn_pool_new (threads);
  ReadJob read = { matrix, n * dim, threads, { 0 } };
  float checksum = 0;

  for (int i = 0; i < 3; i++) /* warm-up: page in, wake the threads */
    {
      lk_ranker_top_k (ranker, matrix, n, dim, queries, k, -1, top);
      lk_top_k (matrix, n, dim, queries, k, -1, plain);
      nn_pool_run (pool, threads, read_worker, &read);
    }
  for (int i = 0; i < n_queries; i++)
    {
      const float *query = queries + (gsize) i * dim;
      double start = now_ms ();
      gsize found = lk_ranker_top_k (ranker, matrix, n, dim, query, k, -1, top);
      ranker_ms[i] = now_ms () - start;

      start = now_ms ();
      gsize found_plain = lk_top_k (matrix, n, dim, query, k, -1, plain);
      top_k_ms[i] = now_ms () - start;

      start = now_ms ();
      nn_pool_run (pool, threads, read_worker, &read);
      read_ms[i] = now_ms () - start;
      for (int t = 0; t < threads; t++)
        checksum += read.sums[t];

      /* the two must agree to the bit: a benchmark of a wrong answer is no benchmark */
      if (found != found_plain || memcmp (top, plain, found * sizeof *top) != 0)
        {
          fprintf (stderr, "%s: ranker and lk_top_k disagree on query %d\n", argv[0], i);
          return 1;
        }
    }
  nn_pool_free (pool);

  double best = ranker_ms[0];
  for (int i = 1; i < n_queries; i++)
    best = MIN (best, ranker_ms[i]);
  printf ("{\"n\": %zu, \"dim\": %d, \"k\": %zu, \"threads\": %d, \"queries\": %d, "
          "\"ranker_ms\": %.4f, \"ranker_best_ms\": %.4f, \"top_k_ms\": %.4f, \"read_ms\": %.4f, "
          "\"blas\": \"%s\", \"checksum\": %g}\n",
          n, dim, k, threads, n_queries, median (ranker_ms, n_queries), best,
          median (top_k_ms, n_queries), median (read_ms, n_queries), lk_runtime_get_blas_core (),
          (double) checksum);
  return 0;
}
