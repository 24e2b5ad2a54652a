/* lk-metrics.c: retrieval quality, leave one out.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each item q with label L among n items, rank the other n - 1 by cosine and look at the top k:
 *   hits = how many of them have label L, R = how many other items have label L;
 *   precision@k = hits / k                              (averaged over every item)
 *   recall@k    = hits / R                              (over items with R > 0)
 *   AP@k        = (1 / min (k, R)) Σ_{i ≤ k, rank i hit} hits_up_to_i / i   (over items with R > 0)
 */
#include "lookalike.h"

enum
{
  QUERY_CHUNK = 1024, /* queries ranked per call: bounds the memory of their top k */
};

LkEvalResult *
lk_eval_leave_one_out (const float *vectors, gsize n, int dim, const guint *labels, guint n_labels,
                       gsize k)
{
  gsize chunk = MIN (n, (gsize) QUERY_CHUNK);
  g_autofree LkMatch *tops = g_new (LkMatch, MAX (chunk * k, 1));
  g_autofree gsize *founds = g_new (gsize, MAX (chunk, 1));
  g_autofree gssize *excludes = g_new (gssize, MAX (chunk, 1));
  g_autoptr (LkRanker) ranker = lk_ranker_new (0);
  g_autofree gsize *label_hits = g_new0 (gsize, n_labels);
  LkEvalResult *result = g_new0 (LkEvalResult, 1);
  double precision = 0, ap = 0, recall = 0;
  gsize with_others = 0;

  result->items = n;
  result->labels = n_labels;
  result->k = k;
  result->label_precision = g_new0 (double, n_labels);
  result->label_items = g_new0 (gsize, n_labels);
  for (gsize i = 0; i < n; i++)
    result->label_items[labels[i]]++;

  for (gsize q = 0; q < n && k > 0; q++)
    {
      if (q % chunk == 0)
        {
          gsize nq = MIN (chunk, n - q);
          for (gsize i = 0; i < nq; i++)
            excludes[i] = (gssize) (q + i);
          lk_ranker_top_k_many (ranker, vectors, n, dim, vectors + q * dim, nq, k, excludes, tops,
                                founds);
        }
      const LkMatch *top = tops + (q % chunk) * k;
      gsize found = founds[q % chunk];
      gsize relevant = result->label_items[labels[q]] - 1;
      gsize hits = 0;
      double sum_precision = 0;

      for (gsize r = 0; r < found; r++)
        if (labels[top[r].index] == labels[q])
          {
            hits++;
            sum_precision += (double) hits / (double) (r + 1);
          }
      precision += (double) hits / (double) k;
      label_hits[labels[q]] += hits;
      if (relevant > 0)
        {
          with_others++;
          recall += (double) hits / (double) relevant;
          ap += sum_precision / (double) MIN (k, relevant);
        }
    }

  result->precision_at_k = n ? precision / n : 0;
  result->recall_at_k = with_others ? recall / with_others : 0;
  result->map_at_k = with_others ? ap / with_others : 0;
  for (guint l = 0; l < n_labels; l++)
    if (result->label_items[l] && k)
      result->label_precision[l] = (double) label_hits[l] / (double) (result->label_items[l] * k);
  return result;
}

void
lk_eval_result_free (LkEvalResult *result)
{
  if (!result)
    return;
  g_free (result->label_precision);
  g_free (result->label_items);
  g_free (result);
}
