/* lk-topk.c: exact cosine top-k.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Vectors are unit length, so cosine is a dot product. lk_top_k is the ranker of lk-ranker.c on
 * the calling thread alone, so that both rank exactly alike: higher cosine first, equal cosines by
 * lower row index.
 */
#include "lookalike.h"

#include <math.h>

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

gsize
lk_top_k (const float *matrix, gsize n, int dim, const float *query, gsize k, gssize exclude,
          LkMatch *out)
{
  g_autoptr (LkRanker) ranker = lk_ranker_new (1);

  return lk_ranker_top_k (ranker, matrix, n, dim, query, k, exclude, out);
}
