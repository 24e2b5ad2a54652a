/* lk-ranker.c: exact cosine top-k on worker threads.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ranking is a stream through the matrix: 1,000,000 × 128 floats are 512 MB per query, so the
 * speed is the memory bandwidth, and one core cannot draw all of it. The rows are split into one
 * contiguous share per thread (NnPool; OpenBLAS itself runs single-threaded); each share is scored
 * a block at a time into a buffer that stays in cache, and each share keeps a k-sized min-heap per
 * query; the shares' heaps are merged at the end. One query is scored by score_rows_avx512 () where
 * the CPU has AVX-512 (it reads the matrix about 20 % faster than OpenBLAS's sgemv here, as fast as
 * a plain read), by sgemv elsewhere; a block of queries by sgemm, so that the matrix is read once
 * per block of queries.
 *
 * Exactness. Those kernels sum in orders that depend on where a row falls in the call (tails of
 * 4-row groups, edge tiles of sgemm), so two identical rows can get scores an ulp apart, and the
 * kernels differ from each other. Their score is therefore only a filter: a row becomes a
 * candidate when it comes within a margin (far above any float error of a dim-term dot product) of
 * the share's current k-th best, and a candidate is scored again by exact_score (), in double, in
 * a fixed order. That score depends only on the row and the query: ties are exact wherever rows
 * sit, one query and many give the same bits, and the order matches a double-precision brute force
 * except for scores that round to the same float. After the first blocks a row is almost never a
 * candidate, so the work per row after scoring is one compare.
 *
 * Order: higher cosine first, equal cosines by lower row index; a NaN score counts as -1. Within a
 * share rows arrive by increasing index, so a score equal to the k-th best never displaces it;
 * across shares the merge compares indexes.
 *
 * A ranker's scratch is reused between calls: one ranker serves one searching thread at a time.
 */
#define G_LOG_DOMAIN "lk-ranker"

#include "lookalike.h"
#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

enum
{
  ROW_ALIGN = 16,             /* shares and blocks start at multiples of this many rows */
  MIN_SHARE_FLOATS = 1 << 15, /* 128 KiB of matrix: below that a share is not worth a thread */
  SGEMM_FLOATS = 1 << 16,     /* scores per sgemm (queries × rows): 256 KiB stay in L2 */
  SCORE_ROWS = 4096,          /* rows per single-query block: 16 KiB of scores stay in L1 */
  QUERY_BLOCK = 64,           /* queries per sgemm */
  HEAP_BYTES = 8 << 20,       /* per share: fewer queries per block when k is huge */
};

typedef struct
{
  /* owned, grown on demand */
  float *scores;  /* (queries, block rows) */
  LkMatch *heaps; /* (queries, stride): one min-heap per query */
  gsize *kept;    /* (queries) */
  gsize n_scores, n_heap, n_kept;
} Share;

struct _LkRanker
{
  /* owned */
  NnPool *pool; /* NULL: everything runs on the calling thread */
  Share *shares;
  int n_threads;
  gboolean avx512; /* score one query with score_rows_avx512 (), not sgemv */
};

/* One block of queries against the whole matrix. */
typedef struct
{
  /* borrowed */
  LkRanker *ranker;
  const float *matrix;    /* (n, dim) */
  const float *queries;   /* (nq, dim) */
  const gssize *excludes; /* (nq) */
  const float *margins;   /* (nq) */
  gsize n, nq;
  int dim;
  gsize limit;      /* k, at most n */
  gsize share_rows; /* rows per share, the last one shorter */
  gsize block_rows; /* rows per BLAS call */
  gsize stride;     /* heap entries per query in a share */
} Job;

/* The score that ranks: products of floats are exact in double, summed in double in a fixed order
 * and rounded once, so it is within one float rounding of the true dot product and the same bits
 * for the same row and query on every path. FMA contraction cannot change it either (the product
 * is exact). */
static float
exact_score (const float *row, /* (dim) */
             const float *query, int dim)
{
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int j = 0;

  for (; j + 4 <= dim; j += 4)
    {
      s0 += (double) row[j] * query[j];
      s1 += (double) row[j + 1] * query[j + 1];
      s2 += (double) row[j + 2] * query[j + 2];
      s3 += (double) row[j + 3] * query[j + 3];
    }
  for (; j < dim; j++)
    s0 += (double) row[j] * query[j];

  float score = (float) ((s0 + s1) + (s2 + s3));
  return isnan (score) ? -1.0f : score;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_KERNEL 1

/* scores (rows) = block (rows, dim) · query (dim), in float, four rows at a time. Only a filter for
 * exact_score (), so its order of summation does not matter. */
__attribute__ ((target ("avx512f"))) static void
score_rows_avx512 (float *scores,      /* (rows) */
                   const float *block, /* (rows, dim) */
                   gsize rows, int dim, const float *query)
{
  __mmask16 tail = (__mmask16) ((1u << (dim % 16)) - 1);
  int whole = dim / 16 * 16;
  gsize r = 0;

  for (; r + 4 <= rows; r += 4)
    {
      const float *a = block + r * dim, *b = a + dim, *c = b + dim, *d = c + dim;
      __m512 sa = _mm512_setzero_ps (), sb = sa, sc = sa, sd = sa;
      int j = 0;

      for (; j < whole; j += 16)
        {
          __m512 q = _mm512_loadu_ps (query + j);
          sa = _mm512_fmadd_ps (_mm512_loadu_ps (a + j), q, sa);
          sb = _mm512_fmadd_ps (_mm512_loadu_ps (b + j), q, sb);
          sc = _mm512_fmadd_ps (_mm512_loadu_ps (c + j), q, sc);
          sd = _mm512_fmadd_ps (_mm512_loadu_ps (d + j), q, sd);
        }
      if (tail)
        {
          __m512 q = _mm512_maskz_loadu_ps (tail, query + j);
          sa = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (tail, a + j), q, sa);
          sb = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (tail, b + j), q, sb);
          sc = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (tail, c + j), q, sc);
          sd = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (tail, d + j), q, sd);
        }
      scores[r] = _mm512_reduce_add_ps (sa);
      scores[r + 1] = _mm512_reduce_add_ps (sb);
      scores[r + 2] = _mm512_reduce_add_ps (sc);
      scores[r + 3] = _mm512_reduce_add_ps (sd);
    }
  for (; r < rows; r++)
    {
      const float *a = block + r * dim;
      __m512 sa = _mm512_setzero_ps ();
      int j = 0;

      for (; j < whole; j += 16)
        sa = _mm512_fmadd_ps (_mm512_loadu_ps (a + j), _mm512_loadu_ps (query + j), sa);
      if (tail)
        sa = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (tail, a + j),
                              _mm512_maskz_loadu_ps (tail, query + j), sa);
      scores[r] = _mm512_reduce_add_ps (sa);
    }
}
#endif

/* scores (rows) = block (rows, dim) · query (dim) */
static void
score_rows (float *scores,      /* (rows) */
            const float *block, /* (rows, dim) */
            gsize rows, int dim, const float *query, gboolean avx512)
{
#ifdef HAVE_AVX512_KERNEL
  if (avx512)
    {
      score_rows_avx512 (scores, block, rows, dim, query);
      return;
    }
#endif
  cblas_sgemv (CblasRowMajor, CblasNoTrans, (int) rows, dim, 1.0f, block, dim, query, 1, 0.0f,
               scores, 1);
}

/* How far a float score can be from exact_score (): a float dot product of dim terms is off
 * by at most about dim · 2⁻²⁴ · |row| · |query|. Rows are unit length; the margin is 8 times that
 * bound, and costs nothing, since only rows inside it are scored again. */
static float
filter_margin (const float *query, int dim)
{
  double norm = 0;

  for (int j = 0; j < dim; j++)
    norm += (double) query[j] * query[j];
  return (float) (sqrt (norm) * (dim + 16) * 0x1p-21);
}

/* TRUE when a ranks strictly before b */
static inline gboolean
ranks_before (const LkMatch *a, const LkMatch *b)
{
  return a->cosine > b->cosine || (a->cosine == b->cosine && a->index < b->index);
}

/* heap[0] is the worst of the kept matches */
static void
sift_down (LkMatch *heap, gsize n, gsize i)
{
  for (;;)
    {
      gsize l = 2 * i + 1, r = l + 1, worst = i;
      if (l < n && ranks_before (&heap[worst], &heap[l]))
        worst = l;
      if (r < n && ranks_before (&heap[worst], &heap[r]))
        worst = r;
      if (worst == i)
        return;
      LkMatch t = heap[i];
      heap[i] = heap[worst];
      heap[worst] = t;
      i = worst;
    }
}

static void
sift_up (LkMatch *heap, gsize i)
{
  while (i > 0)
    {
      gsize parent = (i - 1) / 2;
      if (!ranks_before (&heap[parent], &heap[i]))
        return;
      LkMatch t = heap[i];
      heap[i] = heap[parent];
      heap[parent] = t;
      i = parent;
    }
}

/* Keeps m if it is among the best @limit seen so far. */
static inline void
heap_offer (LkMatch *heap, gsize *kept, gsize limit, LkMatch m)
{
  if (*kept < limit)
    {
      heap[*kept] = m;
      sift_up (heap, (*kept)++);
    }
  else if (ranks_before (&m, &heap[0]))
    {
      heap[0] = m;
      sift_down (heap, *kept, 0);
    }
}

static int
compare_matches (gconstpointer a, gconstpointer b)
{
  return ranks_before (a, b) ? -1 : ranks_before (b, a) ? 1 : 0;
}

/* Offers rows [first, first + rows) to one query's heap, given their BLAS scores. */
static void
scan_block (LkMatch *heap, gsize *kept, gsize limit, const float *scores, /* (rows) */
            const float *block,                                           /* (rows, dim) */
            gsize first, gsize rows, int dim, const float *query, gssize exclude, float margin)
{
  gsize r = 0;

  if (limit == 0)
    return;
  /* until the heap is full every row is kept, whatever its score */
  for (; r < rows && *kept < limit; r++)
    if ((gssize) (first + r) != exclude)
      heap_offer (heap, kept, limit,
                  (LkMatch){ (guint) (first + r), exact_score (block + r * dim, query, dim) });
  if (r == rows)
    return;

  float bar = heap[0].cosine - margin;
  for (; r < rows; r++)
    {
      if (G_LIKELY (scores[r] <= bar)) /* a NaN score falls through: it counts as -1 */
        continue;
      if ((gssize) (first + r) == exclude)
        continue;
      LkMatch m = { (guint) (first + r), exact_score (block + r * dim, query, dim) };
      if (ranks_before (&m, &heap[0]))
        {
          heap[0] = m;
          sift_down (heap, *kept, 0);
          bar = heap[0].cosine - margin;
        }
    }
}

static void
rank_share_worker (void *data, int task, int thread)
{
  const Job *job = data;
  Share *share = &job->ranker->shares[task];
  gsize first = (gsize) task * job->share_rows;
  gsize end = MIN (job->n, first + job->share_rows);
  int dim = job->dim;

  for (gsize q = 0; q < job->nq; q++)
    share->kept[q] = 0;
  for (gsize start = first; start < end; start += job->block_rows)
    {
      gsize rows = MIN (job->block_rows, end - start);
      const float *block = job->matrix + start * dim;

      if (job->nq == 1)
        score_rows (share->scores, block, rows, dim, job->queries, job->ranker->avx512);
      else /* scores (nq, rows) = queries (nq, dim) · block (rows, dim)ᵀ */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) job->nq, (int) rows, dim, 1.0f,
                     job->queries, dim, block, dim, 0.0f, share->scores, (int) rows);
      for (gsize q = 0; q < job->nq; q++)
        scan_block (share->heaps + q * job->stride, &share->kept[q], job->limit,
                    share->scores + q * rows, block, start, rows, dim, job->queries + q * dim,
                    job->excludes[q], job->margins[q]);
    }
}

static void
share_reserve (Share *share, gsize n_scores, gsize n_heap, gsize n_kept)
{
  if (share->n_scores < n_scores)
    {
      g_free (share->scores);
      share->scores = g_new (float, n_scores);
      share->n_scores = n_scores;
    }
  if (share->n_heap < n_heap)
    {
      g_free (share->heaps);
      share->heaps = g_new (LkMatch, n_heap);
      share->n_heap = n_heap;
    }
  if (share->n_kept < n_kept)
    {
      g_free (share->kept);
      share->kept = g_new (gsize, n_kept);
      share->n_kept = n_kept;
    }
}

LkRanker *
lk_ranker_new (int n_threads)
{
  LkRanker *ranker = g_new0 (LkRanker, 1);

  if (n_threads <= 0)
    n_threads = lk_runtime_get_n_cores ();
  nn_blas_init (); /* the parallelism is ours: OpenBLAS must not start threads of its own */
  if (n_threads > 1)
    {
      ranker->pool = nn_pool_new (n_threads);
      if (!ranker->pool)
        {
          g_warning ("could not start %d search threads; searching on one", n_threads);
          n_threads = 1;
        }
    }
  ranker->n_threads = n_threads;
  ranker->shares = g_new0 (Share, n_threads);
#ifdef HAVE_AVX512_KERNEL
  /* the engine's one switch for its AVX-512 kernels: on where the CPU has them, unless the tests
   * asked for the portable ones (nn_set_generic_kernels) */
  __builtin_cpu_init ();
  ranker->avx512 = __builtin_cpu_supports ("avx512f") && nn_gemm_packed_available ();
#endif
  return ranker;
}

void
lk_ranker_free (LkRanker *ranker)
{
  if (!ranker)
    return;
  nn_pool_free (ranker->pool);
  for (int t = 0; t < ranker->n_threads; t++)
    {
      g_free (ranker->shares[t].scores);
      g_free (ranker->shares[t].heaps);
      g_free (ranker->shares[t].kept);
    }
  g_free (ranker->shares);
  g_free (ranker);
}

void
lk_ranker_top_k_many (LkRanker *ranker, const float *matrix, gsize n, int dim, const float *queries,
                      gsize nq, gsize k, const gssize *excludes, LkMatch *out, gsize *found)
{
  g_return_if_fail (ranker != NULL);
  g_return_if_fail (dim > 0);
  g_return_if_fail (n <= G_MAXUINT);

  if (k == 0 || n == 0)
    {
      for (gsize q = 0; q < nq; q++)
        found[q] = 0;
      return;
    }

  /* contiguous shares of whole blocks of ROW_ALIGN rows, one per thread when there is enough */
  gsize n_shares = MIN ((gsize) ranker->n_threads, MAX (n * dim / MIN_SHARE_FLOATS, 1));
  gsize share_rows = (n + n_shares - 1) / n_shares;
  share_rows = (share_rows + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
  n_shares = (n + share_rows - 1) / share_rows;

  /* a share never keeps more than its rows; huge k means fewer queries per block */
  gsize k_max = MIN (k, n);
  gsize stride = MIN (k_max, share_rows);
  gsize block_nq =
    MIN (MIN (nq, (gsize) QUERY_BLOCK), MAX (HEAP_BYTES / (stride * sizeof (LkMatch)), 1));
  gsize block_rows = block_nq == 1 ? SCORE_ROWS : SGEMM_FLOATS / block_nq / ROW_ALIGN * ROW_ALIGN;
  block_rows = MIN (block_rows, share_rows);

  for (gsize s = 0; s < n_shares; s++)
    share_reserve (&ranker->shares[s], block_nq * block_rows, block_nq * stride, block_nq);

  for (gsize q0 = 0; q0 < nq; q0 += block_nq)
    {
      float margins[QUERY_BLOCK];
      gssize block_excludes[QUERY_BLOCK];
      Job job = {
        .ranker = ranker,
        .matrix = matrix,
        .queries = queries + q0 * dim,
        .excludes = block_excludes,
        .margins = margins,
        .n = n,
        .nq = MIN (block_nq, nq - q0),
        .dim = dim,
        .limit = MIN (k, n),
        .share_rows = share_rows,
        .block_rows = block_rows,
        .stride = stride,
      };

      for (gsize q = 0; q < job.nq; q++)
        {
          block_excludes[q] = excludes ? excludes[q0 + q] : -1;
          margins[q] = filter_margin (job.queries + q * dim, dim);
        }

      nn_pool_run (ranker->pool, (int) n_shares, rank_share_worker, &job);

      for (gsize q = 0; q < job.nq; q++)
        {
          LkMatch *top = out + (q0 + q) * k;
          gsize kept = 0;

          for (gsize s = 0; s < n_shares; s++)
            {
              const Share *share = &ranker->shares[s];
              const LkMatch *heap = share->heaps + q * stride;
              for (gsize i = 0; i < share->kept[q]; i++)
                heap_offer (top, &kept, job.limit, heap[i]);
            }
          qsort (top, kept, sizeof *top, compare_matches);
          found[q0 + q] = kept;
        }
    }
}

gsize
lk_ranker_top_k (LkRanker *ranker, const float *matrix, gsize n, int dim, const float *query,
                 gsize k, gssize exclude, LkMatch *out)
{
  gsize found = 0;

  lk_ranker_top_k_many (ranker, matrix, n, dim, query, 1, k, &exclude, out, &found);
  return found;
}

/* ---------------------------------------------------------------------------------------------- */
/* 8-bit codes                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

/* Scores are integers, Σ code · weight of bytes (0–255) and weights (−127–127): every kernel sums
 * the same products exactly, so they agree bit for bit and ties are exact without a second look.
 *
 * Layout (lk_ranker_pack_u8): blocks of 16 rows; in a block, for each group of 4 dimensions, the 16
 * rows' 4 bytes side by side (64 bytes). One vpdpbusd of a group's 64 bytes with the query's 4
 * weights broadcast adds that group's share to all 16 rows' scores at once, one row per 32-bit
 * lane, so no row's sum is ever reduced across lanes; four blocks go at a time, so that four
 * chains of additions overlap. Without VNNI, AVX2 widens the bytes to 16 bits and pairs their
 * products (vpmaddwd, exact in 32 bits). Padding rows and dimensions are zero, and the zero
 * weights past dim leave them out. */

gsize
lk_ranker_u8_packed_bytes (gsize n, int dim)
{
  return (n + 15) / 16 * (gsize) ((dim + 3) / 4) * 64;
}

void
lk_ranker_pack_u8 (guint8 *packed, const guint8 *codes, gsize n, int dim)
{
  gsize groups = (gsize) (dim + 3) / 4;

  memset (packed, 0, lk_ranker_u8_packed_bytes (n, dim));
  for (gsize r = 0; r < n; r++)
    for (int j = 0; j < dim; j++)
      packed[((r / 16 * groups + (gsize) j / 4) * 16 + r % 16) * 4 + j % 4] = codes[r * dim + j];
}

void
lk_ranker_unpack_u8_row (guint8 *code, const guint8 *packed, gsize row, int dim)
{
  gsize groups = (gsize) (dim + 3) / 4;

  for (int j = 0; j < dim; j++)
    code[j] = packed[((row / 16 * groups + (gsize) j / 4) * 16 + row % 16) * 4 + j % 4];
}

/* scores (16 · blocks) of @blocks blocks of @groups groups from @packed, and each block's best in
 * tops (blocks) */
static void
score_u8_blocks_c (gint32 *scores, gint32 *tops, const guint8 *packed, gsize blocks, int groups,
                   const gint8 *query)
{
  for (gsize b = 0; b < blocks; b++)
    {
      tops[b] = G_MININT32;
      for (int r = 0; r < 16; r++)
        {
          gint32 sum = 0;
          for (int g = 0; g < groups; g++)
            {
              const guint8 *c = packed + ((b * groups + g) * 16 + r) * 4;
              const gint8 *w = query + 4 * g;
              sum += c[0] * w[0] + c[1] * w[1] + c[2] * w[2] + c[3] * w[3];
            }
          scores[b * 16 + r] = sum;
          tops[b] = MAX (tops[b], sum);
        }
    }
}

#ifdef HAVE_AVX512_KERNEL
__attribute__ ((target ("avx512vnni,avx512f"))) static void
score_u8_blocks_vnni (gint32 *scores, gint32 *tops, const guint8 *packed, gsize blocks, int groups,
                      const gint8 *query)
{
  const gsize block_bytes = (gsize) groups * 64;
  gsize b = 0;

  for (; b + 4 <= blocks; b += 4)
    {
      const guint8 *p = packed + b * block_bytes;
      __m512i a0 = _mm512_setzero_si512 (), a1 = a0, a2 = a0, a3 = a0;
      for (int g = 0; g < groups; g++)
        {
          gint32 w4;
          memcpy (&w4, query + 4 * g, 4);
          __m512i w = _mm512_set1_epi32 (w4);
          a0 = _mm512_dpbusd_epi32 (a0, _mm512_loadu_si512 (p + g * 64), w);
          a1 = _mm512_dpbusd_epi32 (a1, _mm512_loadu_si512 (p + block_bytes + g * 64), w);
          a2 = _mm512_dpbusd_epi32 (a2, _mm512_loadu_si512 (p + 2 * block_bytes + g * 64), w);
          a3 = _mm512_dpbusd_epi32 (a3, _mm512_loadu_si512 (p + 3 * block_bytes + g * 64), w);
        }
      _mm512_storeu_si512 (scores + b * 16, a0);
      _mm512_storeu_si512 (scores + b * 16 + 16, a1);
      _mm512_storeu_si512 (scores + b * 16 + 32, a2);
      _mm512_storeu_si512 (scores + b * 16 + 48, a3);
      tops[b] = _mm512_reduce_max_epi32 (a0);
      tops[b + 1] = _mm512_reduce_max_epi32 (a1);
      tops[b + 2] = _mm512_reduce_max_epi32 (a2);
      tops[b + 3] = _mm512_reduce_max_epi32 (a3);
    }
  for (; b < blocks; b++)
    {
      const guint8 *p = packed + b * block_bytes;
      __m512i a = _mm512_setzero_si512 ();
      for (int g = 0; g < groups; g++)
        {
          gint32 w4;
          memcpy (&w4, query + 4 * g, 4);
          a = _mm512_dpbusd_epi32 (a, _mm512_loadu_si512 (p + g * 64), _mm512_set1_epi32 (w4));
        }
      _mm512_storeu_si512 (scores + b * 16, a);
      tops[b] = _mm512_reduce_max_epi32 (a);
    }
}

/* AVX2: a group's 64 bytes are four 16-byte quarters of 4 rows each; widened to 16 bits, vpmaddwd
 * with the 4 weights repeated gives each row two partial sums side by side, which one vphaddd
 * per 8 rows adds once the groups are done (its lanes come out as rows 0 1 4 5 | 2 3 6 7) */
__attribute__ ((target ("avx2"))) static void
score_u8_blocks_avx2 (gint32 *scores, gint32 *tops, const guint8 *packed, gsize blocks, int groups,
                      const gint8 *query)
{
  const __m256i order = _mm256_setr_epi32 (0, 1, 4, 5, 2, 3, 6, 7);

  for (gsize b = 0; b < blocks; b++)
    {
      const guint8 *p = packed + b * (gsize) groups * 64;
      __m256i q0 = _mm256_setzero_si256 (), q1 = q0, q2 = q0, q3 = q0;
      for (int g = 0; g < groups; g++)
        {
          const gint8 *w = query + 4 * g;
          __m256i w16 = _mm256_setr_epi16 (w[0], w[1], w[2], w[3], w[0], w[1], w[2], w[3], w[0],
                                           w[1], w[2], w[3], w[0], w[1], w[2], w[3]);
          const guint8 *c = p + g * 64;
          q0 = _mm256_add_epi32 (
            q0,
            _mm256_madd_epi16 (_mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) c)), w16));
          q1 = _mm256_add_epi32 (
            q1, _mm256_madd_epi16 (
                  _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (c + 16))), w16));
          q2 = _mm256_add_epi32 (
            q2, _mm256_madd_epi16 (
                  _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (c + 32))), w16));
          q3 = _mm256_add_epi32 (
            q3, _mm256_madd_epi16 (
                  _mm256_cvtepu8_epi16 (_mm_loadu_si128 ((const __m128i *) (c + 48))), w16));
        }
      __m256i lo = _mm256_permutevar8x32_epi32 (_mm256_hadd_epi32 (q0, q1), order);
      __m256i hi = _mm256_permutevar8x32_epi32 (_mm256_hadd_epi32 (q2, q3), order);
      _mm256_storeu_si256 ((__m256i *) (scores + b * 16), lo);
      _mm256_storeu_si256 ((__m256i *) (scores + b * 16 + 8), hi);
      __m256i m = _mm256_max_epi32 (lo, hi);
      __m128i m4 = _mm_max_epi32 (_mm256_castsi256_si128 (m), _mm256_extracti128_si256 (m, 1));
      m4 = _mm_max_epi32 (m4, _mm_shuffle_epi32 (m4, _MM_SHUFFLE (1, 0, 3, 2)));
      m4 = _mm_max_epi32 (m4, _mm_shuffle_epi32 (m4, _MM_SHUFFLE (2, 3, 0, 1)));
      tops[b] = _mm_cvtsi128_si32 (m4);
    }
}
#endif

typedef enum
{
  U8_KERNEL_C,
  U8_KERNEL_AVX2,
  U8_KERNEL_VNNI,
} U8Kernel;

typedef struct
{
  /* borrowed */
  LkRanker *ranker;
  const guint8 *packed;
  const gint8 *query; /* (4 · groups) */
  gsize n;
  int groups;
  gssize exclude;
  gsize limit, share_rows;
  U8Kernel kernel;
} JobU8;

static void
rank_share_u8_worker (void *data, int task, int thread)
{
  const JobU8 *job = data;
  Share *share = &job->ranker->shares[task];
  gsize first = (gsize) task * job->share_rows, end = MIN (job->n, first + job->share_rows);
  gint32 *scores = (gint32 *) share->scores, *tops = scores + SCORE_ROWS;
  LkMatch *heap = share->heaps;
  gsize kept = 0;
  gint32 bar = G_MININT32;

  for (gsize start = first; start < end; start += SCORE_ROWS)
    {
      gsize rows = MIN ((gsize) SCORE_ROWS, end - start), blocks = (rows + 15) / 16;
      const guint8 *packed = job->packed + start / 16 * (gsize) job->groups * 64;

      switch (job->kernel)
        {
#ifdef HAVE_AVX512_KERNEL
        case U8_KERNEL_VNNI:
          score_u8_blocks_vnni (scores, tops, packed, blocks, job->groups, job->query);
          break;
        case U8_KERNEL_AVX2:
          score_u8_blocks_avx2 (scores, tops, packed, blocks, job->groups, job->query);
          break;
#endif
        default:
          score_u8_blocks_c (scores, tops, packed, blocks, job->groups, job->query);
        }
      for (gsize r0 = 0; r0 < rows; r0 += 16)
        {
          gsize r1 = MIN (rows, r0 + 16);
          /* rows arrive in increasing order: an equal score never displaces a kept one, so a
           * block whose best (padding rows, scored 0, included) is not above the bar has nothing
           * to offer */
          if (kept == job->limit && tops[r0 / 16] <= bar)
            continue;
          for (gsize r = r0; r < r1; r++)
            {
              LkMatch m = { (guint) (start + r), (float) scores[r] };
              if ((gssize) (start + r) == job->exclude)
                continue;
              if (kept < job->limit)
                heap_offer (heap, &kept, job->limit, m);
              else if (scores[r] > bar)
                {
                  heap[0] = m;
                  sift_down (heap, kept, 0);
                }
              if (kept == job->limit)
                bar = (gint32) heap[0].cosine;
            }
        }
    }
  share->kept[0] = kept;
}

static int forced_u8_kernel = -1; /* lk_ranker_set_u8_kernel () */

static U8Kernel
u8_kernel (void)
{
  if (forced_u8_kernel >= 0)
    return (U8Kernel) forced_u8_kernel;
#ifdef HAVE_AVX512_KERNEL
  __builtin_cpu_init ();
  /* the tests asked for the portable kernels (nn_set_generic_kernels) */
  if (__builtin_cpu_supports ("avx512f") && !nn_gemm_packed_available ())
    return U8_KERNEL_C;
  if (__builtin_cpu_supports ("avx512vnni") && __builtin_cpu_supports ("avx512vl"))
    return U8_KERNEL_VNNI;
  if (__builtin_cpu_supports ("avx2"))
    return U8_KERNEL_AVX2;
#endif
  return U8_KERNEL_C;
}

static const char *const u8_kernel_names[] = { "c", "avx2", "avx512-vnni" };

const char *
lk_ranker_get_u8_kernel (void)
{
  return u8_kernel_names[u8_kernel ()];
}

gboolean
lk_ranker_set_u8_kernel (const char *name)
{
  if (!name)
    {
      forced_u8_kernel = -1;
      return TRUE;
    }
  for (int i = 0; i < (int) G_N_ELEMENTS (u8_kernel_names); i++)
    if (g_str_equal (name, u8_kernel_names[i]))
      {
#ifdef HAVE_AVX512_KERNEL
        __builtin_cpu_init ();
        if ((i == U8_KERNEL_AVX2 && !__builtin_cpu_supports ("avx2"))
            || (i == U8_KERNEL_VNNI
                && !(__builtin_cpu_supports ("avx512vnni") && __builtin_cpu_supports ("avx512vl"))))
          return FALSE;
#else
        if (i != U8_KERNEL_C)
          return FALSE;
#endif
        forced_u8_kernel = i;
        return TRUE;
      }
  return FALSE;
}

gsize
lk_ranker_top_k_u8 (LkRanker *ranker, const guint8 *packed, gsize n, int dim, const gint8 *query,
                    gsize k, gssize exclude, LkMatch *out)
{
  gsize n_shares, share_rows, kept = 0, groups = (gsize) (dim + 3) / 4;
  JobU8 job;

  g_return_val_if_fail (ranker != NULL, 0);
  g_return_val_if_fail (dim > 0 && dim <= LK_RANKER_U8_MAX_DIM, 0);
  g_return_val_if_fail (n <= G_MAXUINT, 0);
  if (k == 0 || n == 0)
    return 0;

  n_shares = MIN ((gsize) ranker->n_threads, MAX (n * groups / MIN_SHARE_FLOATS, 1));
  share_rows = (n + n_shares - 1) / n_shares;
  share_rows = (share_rows + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
  n_shares = (n + share_rows - 1) / share_rows;
  job = (JobU8){
    .ranker = ranker,
    .packed = packed,
    .query = query,
    .n = n,
    .groups = (int) groups,
    .exclude = exclude,
    .limit = MIN (k, n),
    .share_rows = share_rows,
    .kernel = u8_kernel (),
  };
  for (gsize s = 0; s < n_shares; s++)
    share_reserve (&ranker->shares[s], SCORE_ROWS + SCORE_ROWS / 16, MIN (job.limit, share_rows),
                   1);
  nn_pool_run (n_shares > 1 ? ranker->pool : NULL, (int) n_shares, rank_share_u8_worker, &job);
  for (gsize s = 0; s < n_shares; s++)
    for (gsize i = 0; i < ranker->shares[s].kept[0]; i++)
      heap_offer (out, &kept, job.limit, ranker->shares[s].heaps[i]);
  qsort (out, kept, sizeof *out, compare_matches);
  return kept;
}
