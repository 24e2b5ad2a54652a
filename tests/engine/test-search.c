/* test-search.c: cosine top-k, score presentation and retrieval metrics.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

#include <math.h>

static float *
random_unit_vectors (GRand *rng, gsize n, int dim)
{
  float *v = g_new (float, n *dim);
  for (gsize i = 0; i < n * dim; i++)
    v[i] = (float) g_rand_double_range (rng, -1, 1);
  lk_vectors_normalize (v, n, dim);
  return v;
}

/* Brute force in double precision, full sort. */
static int
oracle_compare (gconstpointer a, gconstpointer b, gpointer data)
{
  const double *s = data;
  guint i = *(const guint *) a, j = *(const guint *) b;
  if (s[i] != s[j])
    return s[i] > s[j] ? -1 : 1;
  return i < j ? -1 : 1;
}

static void
test_top_k_matches_brute_force (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (42);
  const int dim = 37;
  const gsize n = 3001;
  g_autofree float *m = random_unit_vectors (rng, n, dim);
  g_autofree float *q = random_unit_vectors (rng, 1, dim);
  g_autofree double *scores = g_new (double, n);
  g_autofree guint *order = g_new (guint, n);
  LkMatch top[50];

  for (gsize i = 0; i < n; i++)
    {
      double s = 0;
      for (int d = 0; d < dim; d++)
        s += (double) m[i * dim + d] * q[d];
      scores[i] = s;
      order[i] = (guint) i;
    }
  g_qsort_with_data (order, (gint) n, sizeof (guint), oracle_compare, scores);

  for (gssize exclude = -1; exclude <= 0; exclude++)
    {
      gssize skip = exclude == 0 ? (gssize) order[3] : -1; /* leave out the fourth best */
      gsize got = lk_top_k (m, n, dim, q, 50, skip, top);
      g_assert_cmpuint (got, ==, 50);
      for (gsize r = 0, o = 0; r < got; r++, o++)
        {
          if ((gssize) order[o] == skip)
            o++;
          g_assert_cmpuint (top[r].index, ==, order[o]);
          g_assert_cmpfloat_with_epsilon (top[r].cosine, scores[order[o]], 1e-5);
        }
    }
}

static void
test_top_k_ties_and_sizes (void)
{
  /* five identical rows tie exactly: lower index first */
  float m[6 * 2] = { 1, 0, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0, 1, 0.6f, 0.8f };
  const float q[2] = { 0.6f, 0.8f };
  LkMatch top[10];

  gsize got = lk_top_k (m, 6, 2, q, 3, -1, top);
  g_assert_cmpuint (got, ==, 3);
  g_assert_cmpuint (top[0].index, ==, 1);
  g_assert_cmpuint (top[1].index, ==, 2);
  g_assert_cmpuint (top[2].index, ==, 3);

  /* k larger than the catalog: everything, in order; with an exclusion, one fewer */
  got = lk_top_k (m, 6, 2, q, 10, -1, top);
  g_assert_cmpuint (got, ==, 6);
  g_assert_cmpuint (top[3].index, ==, 5);
  g_assert_cmpuint (top[4].index, ==, 4); /* 0.8 */
  g_assert_cmpuint (top[5].index, ==, 0); /* 0.6 */
  got = lk_top_k (m, 6, 2, q, 10, 2, top);
  g_assert_cmpuint (got, ==, 5);
  for (gsize r = 0; r < got; r++)
    g_assert_cmpuint (top[r].index, !=, 2);

  g_assert_cmpuint (lk_top_k (m, 0, 2, q, 10, -1, top), ==, 0);
  g_assert_cmpuint (lk_top_k (m, 6, 2, q, 0, -1, top), ==, 0);
  g_assert_cmpuint (lk_top_k (m, 1, 2, q, 5, 0, top), ==, 0);
}

static void
test_normalize (void)
{
  float v[3 * 2] = { 3, 4, 0, 0, -2, 0 };

  lk_vectors_normalize (v, 3, 2);
  g_assert_cmpfloat_with_epsilon (v[0], 0.6, 1e-7);
  g_assert_cmpfloat_with_epsilon (v[1], 0.8, 1e-7);
  g_assert_cmpfloat (v[2], ==, 0.0f); /* a zero row stays zero, no NaN */
  g_assert_cmpfloat (v[3], ==, 0.0f);
  g_assert_cmpfloat (v[4], ==, -1.0f);
}

static void
test_percent_and_bands (void)
{
  LkBands bands = lk_bands_default ();
  LkBands strict = { .green_min = 90, .yellow_min = 60 };

  g_assert_cmpint (lk_score_percent (0.8731f), ==, 87);
  g_assert_cmpint (lk_score_percent (0.695f), ==, 70);
  g_assert_cmpint (lk_score_percent (0.6949f), ==, 69);
  g_assert_cmpint (lk_score_percent (-0.3f), ==, 0);
  g_assert_cmpint (lk_score_percent (NAN), ==, 0);
  g_assert_cmpint (lk_score_percent (1.0000002f), ==, 100);

  g_assert_cmpint (lk_score_band (70, &bands), ==, LK_BAND_GREEN);
  g_assert_cmpint (lk_score_band (69, &bands), ==, LK_BAND_YELLOW);
  g_assert_cmpint (lk_score_band (40, &bands), ==, LK_BAND_YELLOW);
  g_assert_cmpint (lk_score_band (39, &bands), ==, LK_BAND_RED);
  g_assert_cmpint (lk_score_band (0, NULL), ==, LK_BAND_RED);
  g_assert_cmpint (lk_score_band (89, &strict), ==, LK_BAND_YELLOW);
  g_assert_cmpint (lk_score_band (59, &strict), ==, LK_BAND_RED);
  g_assert_cmpstr (lk_band_to_string (LK_BAND_GREEN), ==, "green");
  g_assert_cmpstr (lk_band_to_string (LK_BAND_YELLOW), ==, "yellow");
  g_assert_cmpstr (lk_band_to_string (LK_BAND_RED), ==, "red");
}

static void
test_eval_known_answer (void)
{
  /* Five items on a circle, labels A A B B C. Angles (degrees): 0, 10, 25, 90, 200.
   * Item 0 (A): ranking 1 (10°), 2 (25°), 3 (90°), 4 → top-2 = {1 A, 2 B}: hits 1, P@2 = 1/2,
   *   R = 1, AP = 1/1 · (1/1) = 1, recall 1.
   * Item 1 (A): 0 (10°) and 2 (15°) → P = 1/2, AP = 1, recall 1.
   * Item 2 (B): 1 (15°), 0 (25°) → hits 0, AP 0, recall 0.
   * Item 3 (B): 2 (65°), 1 (80°) → hits 1 at rank 1: P 1/2, AP 1, recall 1.
   * Item 4 (C): no other C → P 0, excluded from AP and recall.
   * P@2 = (1/2 + 1/2 + 0 + 1/2 + 0) / 5 = 0.3; mAP = (1 + 1 + 0 + 1) / 4 = 0.75;
   * recall = 3 / 4 = 0.75. Per label: A 2 hits / (2·2) = 0.5, B 1/4, C 0. */
  const double deg[5] = { 0, 10, 25, 90, 200 };
  const guint labels[5] = { 0, 0, 1, 1, 2 };
  float v[5 * 2];

  for (int i = 0; i < 5; i++)
    {
      v[2 * i] = (float) cos (deg[i] * G_PI / 180);
      v[2 * i + 1] = (float) sin (deg[i] * G_PI / 180);
    }
  g_autoptr (LkEvalResult) r = lk_eval_leave_one_out (v, 5, 2, labels, 3, 2);
  g_assert_cmpuint (r->items, ==, 5);
  g_assert_cmpuint (r->labels, ==, 3);
  g_assert_cmpfloat_with_epsilon (r->precision_at_k, 0.3, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->map_at_k, 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->recall_at_k, 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->label_precision[0], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->label_precision[1], 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->label_precision[2], 0.0, 1e-12);
}

static void
test_eval_average_precision_order (void)
{
  /* One query, k = 3, two relevant items found at ranks 2 and 3: AP = (1/2 + 2/3) / 2. */
  const double deg[4] = { 0, 5, 20, 30 };
  const guint labels[4] = { 0, 1, 0, 0 };
  float v[4 * 2];

  for (int i = 0; i < 4; i++)
    {
      v[2 * i] = (float) cos (deg[i] * G_PI / 180);
      v[2 * i + 1] = (float) sin (deg[i] * G_PI / 180);
    }
  g_autoptr (LkEvalResult) r = lk_eval_leave_one_out (v, 4, 2, labels, 2, 3);
  /* item 0: ranks 1 (B), 2 (A), 3 (A) → AP (1/2 + 2/3) / 2 = 7/12, P 2/3, recall 2/2.
   * item 2: 3 (10°) A, 1 (15°) B, 0 (20°) A → AP (1 + 2/3) / 2 = 5/6, P 2/3.
   * item 3: 2 (10°) A, 1 (25°) B, 0 (30°) A → AP 5/6, P 2/3.
   * item 1 (B): alone, P 0.
   * mAP = (7/12 + 5/6 + 5/6) / 3 = 3/4; P@3 = (2/3 · 3) / 4 = 1/2. */
  g_assert_cmpfloat_with_epsilon (r->map_at_k, 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->precision_at_k, 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->recall_at_k, 1.0, 1e-12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/search/top-k-brute-force", test_top_k_matches_brute_force);
  g_test_add_func ("/engine/search/top-k-ties", test_top_k_ties_and_sizes);
  g_test_add_func ("/engine/search/normalize", test_normalize);
  g_test_add_func ("/engine/search/percent-and-bands", test_percent_and_bands);
  g_test_add_func ("/engine/search/eval-known-answer", test_eval_known_answer);
  g_test_add_func ("/engine/search/eval-average-precision", test_eval_average_precision_order);

  return g_test_run ();
}
