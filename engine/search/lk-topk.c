/* lk-topk.c: exact cosine top-k.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vectors are unit length, so cosine is a dot product: one sgemv scores a block of rows, and a
 * k-sized min-heap keeps the best. Order: higher cosine first, equal cosines by lower row index.
 */
#include "lookalike.h"

#include <cblas.h>
#include <math.h>

enum
{
  SCORE_BLOCK = 1 << 16, /* rows scored per sgemv: 256 KiB of scores stays in cache */
};

void
lk_vectors_normalize (float *vectors, gsize n, int dim)
{
  for (gsize i = 0; i < n; i++)
    {
      float *v = vectors + i * dim;
      double sum = 0.0;
      for (int j = 0; j < dim; j++)
        sum += (double) v[j] * v[j];
      if (sum > 0.0)
        {
          float scale = (float) (1.0 / sqrt (sum));
          for (int j = 0; j < dim; j++)
            v[j] *= scale;
        }
    }
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

static int
compare_matches (gconstpointer a, gconstpointer b)
{
  return ranks_before (a, b) ? -1 : ranks_before (b, a) ? 1 : 0;
}

gsize
lk_top_k (const float *matrix, gsize n, int dim, const float *query, gsize k, gssize exclude,
          LkMatch *out)
{
  gsize kept = 0;
  gsize block = MIN ((gsize) SCORE_BLOCK, MAX (n, 1));
  g_autofree float *scores = NULL;

  if (k == 0 || n == 0)
    return 0;
  if (exclude >= 0 && (gsize) exclude < n && k > n - 1)
    k = n - 1;
  k = MIN (k, n);
  scores = g_new (float, block);

  for (gsize start = 0; start < n; start += block)
    {
      int rows = (int) MIN (block, n - start);
      cblas_sgemv (CblasRowMajor, CblasNoTrans, rows, dim, 1.0f, matrix + start * dim, dim, query,
                   1, 0.0f, scores, 1);
      for (int r = 0; r < rows; r++)
        {
          LkMatch m = { (guint) (start + r), scores[r] };
          if ((gssize) m.index == exclude)
            continue;
          if (isnan (m.cosine))
            m.cosine = -1.0f;
          if (kept < k)
            {
              out[kept] = m;
              sift_up (out, kept++);
            }
          else if (ranks_before (&m, &out[0]))
            {
              out[0] = m;
              sift_down (out, kept, 0);
            }
        }
    }
  qsort (out, kept, sizeof *out, compare_matches);
  return kept;
}
