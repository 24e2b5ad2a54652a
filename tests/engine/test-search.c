/* test-search.c: cosine top-k, score presentation and retrieval metrics.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"
#include "nn/nn.h"
#include "store/lk-catalog-private.h"

#include <glib/gstdio.h>

#include <math.h>
#include <string.h>

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

/* The reference ranking: dot products in double, rounded to float as the engine reports them (a NaN
 * counts as -1), sorted by that score and then by index. Rows whose double scores differ but round
 * to the same float are genuine float ties, ranked by index. */
typedef struct
{
  float *key;   /* (n) */
  guint *order; /* (n) */
  gsize n;
} Oracle;

static int
oracle_key_compare (gconstpointer a, gconstpointer b, gpointer data)
{
  const float *key = data;
  guint i = *(const guint *) a, j = *(const guint *) b;
  if (key[i] != key[j])
    return key[i] > key[j] ? -1 : 1;
  return i < j ? -1 : 1;
}

static void
oracle_init (Oracle *oracle, const float *m, gsize n, int dim, const float *q)
{
  oracle->n = n;
  oracle->key = g_new (float, n);
  oracle->order = g_new (guint, n);
  for (gsize i = 0; i < n; i++)
    {
      double s = 0;
      for (int d = 0; d < dim; d++)
        s += (double) m[i * dim + d] * q[d];
      oracle->key[i] = isnan (s) ? -1.0f : (float) s;
      oracle->order[i] = (guint) i;
    }
  g_qsort_with_data (oracle->order, (gint) n, sizeof (guint), oracle_key_compare, oracle->key);
}

static void
oracle_clear (Oracle *oracle)
{
  g_clear_pointer (&oracle->key, g_free);
  g_clear_pointer (&oracle->order, g_free);
}

static void
assert_oracle_ranking (const Oracle *oracle, const LkMatch *got, gsize found, gsize k,
                       gssize exclude)
{
  gboolean excluded = exclude >= 0 && (gsize) exclude < oracle->n;
  gsize expected = MIN (k, excluded ? oracle->n - 1 : oracle->n);

  g_assert_cmpuint (found, ==, expected);
  for (gsize r = 0, o = 0; r < found; r++, o++)
    {
      if ((gssize) oracle->order[o] == exclude)
        o++;
      if (got[r].index != oracle->order[o])
        g_error ("rank %zu of %zu (exclude %zd): row %u (%.9g), expected row %u (%.9g)", r, found,
                 exclude, got[r].index, got[r].cosine, oracle->order[o],
                 oracle->key[oracle->order[o]]);
      g_assert_cmpfloat_with_epsilon (got[r].cosine, oracle->key[got[r].index], 1e-6);
    }
}

static void
assert_same_matches (const LkMatch *a, gsize found_a, const LkMatch *b, gsize found_b)
{
  g_assert_cmpuint (found_a, ==, found_b);
  for (gsize r = 0; r < found_a; r++)
    {
      g_assert_cmpuint (a[r].index, ==, b[r].index);
      g_assert_cmpfloat (a[r].cosine, ==, b[r].cosine); /* the same bits, not nearly */
    }
}

/* The ranker tests run twice: with the AVX-512 kernel where the CPU has it, and with the portable
 * one (sgemv) that every CPU can run. */
typedef struct
{
  GTestFunc func;
  gboolean generic;
} KernelCase;

static void
run_with_kernels (gconstpointer data)
{
  const KernelCase *kc = data;
  gboolean avx512 = FALSE;

#if defined(__x86_64__) && defined(__GNUC__)
  avx512 = __builtin_cpu_supports ("avx512f");
#endif
  if (!kc->generic && !avx512)
    {
      g_test_skip ("no AVX-512 on this CPU: the -generic variant tests the kernel it runs");
      return;
    }
  nn_set_generic_kernels (kc->generic);
  kc->func ();
  /* back to the default; false would force AVX-512 on even where the CPU has none */
  if (avx512)
    nn_set_generic_kernels (false);
}

static void
add_ranker_test (const char *path, GTestFunc func)
{
  for (int generic = 0; generic <= 1; generic++)
    {
      KernelCase *kc = g_new (KernelCase, 1);
      g_autofree char *name = g_strconcat (path, generic ? "-generic" : "", NULL);

      kc->func = func;
      kc->generic = generic;
      g_test_add_data_func_full (name, kc, run_with_kernels, g_free);
    }
}

/* n not a multiple of the thread count, the row alignment or the block sizes; every k from 1 to
 * more than n; the excluded row first, last, in the middle and out of range. */
static void
test_ranker_brute_force (void)
{
  const struct
  {
    gsize n;
    int dim;
  } shapes[] = { { 3001, 37 }, { 70001, 19 } };

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      gsize n = shapes[s].n;
      int dim = shapes[s].dim;
      g_autoptr (GRand) rng = g_rand_new_with_seed (7 + s);
      g_autofree float *m = random_unit_vectors (rng, n, dim);
      g_autofree float *q = random_unit_vectors (rng, 1, dim);
      g_autofree LkMatch *top = g_new (LkMatch, n + 5);
      g_autofree LkMatch *plain = g_new (LkMatch, n + 5);
      const gsize ks[] = { 1, 10, n - 1, n, n + 5 };
      const gssize excludes[] = { -1, 0, (gssize) n - 1, (gssize) n / 2 + 3, (gssize) n };
      Oracle oracle;

      oracle_init (&oracle, m, n, dim, q);
      for (int threads = 1; threads <= 3; threads++)
        {
          g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
          for (gsize ki = 0; ki < G_N_ELEMENTS (ks); ki++)
            for (gsize e = 0; e < G_N_ELEMENTS (excludes); e++)
              {
                gsize found = lk_ranker_top_k (ranker, m, n, dim, q, ks[ki], excludes[e], top);
                assert_oracle_ranking (&oracle, top, found, ks[ki], excludes[e]);
                if (threads == 2 && ks[ki] <= n)
                  {
                    gsize found_plain = lk_top_k (m, n, dim, q, ks[ki], excludes[e], plain);
                    assert_same_matches (top, found, plain, found_plain);
                  }
              }
        }
      oracle_clear (&oracle);

      /* rows at the ends of the matrix, of shares and of blocks find themselves first */
      const gsize edges[] = { 0, 1, n / 3, n / 2, n - 3, n - 2, n - 1 };
      for (gsize e = 0; e < G_N_ELEMENTS (edges); e++)
        {
          const float *row = m + edges[e] * dim;
          oracle_init (&oracle, m, n, dim, row);
          for (int threads = 1; threads <= 3; threads += 2)
            {
              g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
              gsize found = lk_ranker_top_k (ranker, m, n, dim, row, 10, -1, top);
              assert_oracle_ranking (&oracle, top, found, 10, -1);
              g_assert_cmpuint (top[0].index, ==, edges[e]);
            }
          oracle_clear (&oracle);
        }
    }
}

/* Runs of identical rows around every place where 2 or 3 threads split 70001 rows (n / 3, n / 2,
 * 2n / 3, give or take the alignment of the shares), so that a share ends inside a tie. The rows
 * are copies of the query, the best match, and are not exactly representable: their scores tie
 * only if every copy is scored the same way wherever it falls in a share or a BLAS block. */
static void
test_ranker_ties_across_shares (void)
{
  const gsize n = 70001;
  const int dim = 24, half_run = 64;
  const gsize centres[] = { n / 3, n / 2, 2 * n / 3 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  g_autofree float *m = random_unit_vectors (rng, n, dim);
  g_autofree float *q = random_unit_vectors (rng, 1, dim);
  g_autofree LkMatch *top = g_new (LkMatch, n);
  g_autofree LkMatch *many = g_new (LkMatch, 3 * n);
  g_autofree float *queries = g_new (float, 3 * dim);
  gsize tied = 0, found_many[3];
  Oracle oracle;

  for (gsize c = 0; c < G_N_ELEMENTS (centres); c++)
    for (gsize i = centres[c] - half_run; i < centres[c] + half_run; i++, tied++)
      memcpy (m + i * dim, q, dim * sizeof (float));
  /* queries for top_k_many: the tied query twice, then another */
  memcpy (queries, q, dim * sizeof (float));
  memcpy (queries + dim, q, dim * sizeof (float));
  memcpy (queries + 2 * dim, m + 5 * dim, dim * sizeof (float));

  oracle_init (&oracle, m, n, dim, q);
  for (int threads = 1; threads <= 3; threads++)
    {
      g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
      const gsize ks[] = { 5, 100, 200, tied, tied + 10 };
      for (gsize ki = 0; ki < G_N_ELEMENTS (ks); ki++)
        {
          gsize found = lk_ranker_top_k (ranker, m, n, dim, q, ks[ki], -1, top);
          assert_oracle_ranking (&oracle, top, found, ks[ki], -1);
          for (gsize r = 1; r < MIN (found, tied); r++)
            {
              g_assert_cmpuint (top[r].index, >, top[r - 1].index);
              g_assert_cmpfloat (top[r].cosine, ==, top[0].cosine);
            }

          /* the same through sgemm, whose edge tiles sum in yet another order */
          const gssize excludes[3] = { -1, (gssize) centres[1], -1 };
          lk_ranker_top_k_many (ranker, m, n, dim, queries, 3, ks[ki], NULL, many, found_many);
          assert_same_matches (many, found_many[0], top, found);
          assert_same_matches (many + ks[ki], found_many[1], top, found);
          lk_ranker_top_k_many (ranker, m, n, dim, queries, 3, ks[ki], excludes, many, found_many);
          found = lk_ranker_top_k (ranker, m, n, dim, q, ks[ki], excludes[1], top);
          assert_same_matches (many + ks[ki], found_many[1], top, found);
        }
    }
  oracle_clear (&oracle);
}

/* Rows that are the query give or take an ulp in each coordinate: their scores differ by a few
 * ulps, as much as BLAS rounding moves them, so a row that BLAS scores at or just under the current
 * k-th best can still belong in the top k. */
static void
test_ranker_near_ties (void)
{
  const gsize n = 20001;
  const int dim = 24;
  g_autoptr (GRand) rng = g_rand_new_with_seed (23);
  g_autofree float *q = random_unit_vectors (rng, 1, dim);
  g_autofree float *m = g_new (float, n *dim);
  g_autofree LkMatch *top = g_new (LkMatch, 1000);
  g_autofree LkMatch *many = g_new (LkMatch, 2 * 1000);
  g_autofree float *queries = g_new (float, 2 * dim);
  gsize found_many[2];
  Oracle oracle;

  for (gsize i = 0; i < n * dim; i++)
    {
      float x = q[i % dim];
      for (int steps = g_rand_int_range (rng, -2, 3); steps != 0; steps += steps < 0 ? 1 : -1)
        x = nextafterf (x, steps < 0 ? -2.0f : 2.0f);
      m[i] = x;
    }
  memcpy (queries, m + 7 * dim, dim * sizeof (float));
  memcpy (queries + dim, q, dim * sizeof (float));
  oracle_init (&oracle, m, n, dim, q);

  for (int threads = 1; threads <= 3; threads++)
    {
      g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
      const gsize ks[] = { 1, 10, 100, 1000 };
      for (gsize ki = 0; ki < G_N_ELEMENTS (ks); ki++)
        {
          gsize found = lk_ranker_top_k (ranker, m, n, dim, q, ks[ki], -1, top);
          assert_oracle_ranking (&oracle, top, found, ks[ki], -1);
          lk_ranker_top_k_many (ranker, m, n, dim, queries, 2, ks[ki], NULL, many, found_many);
          assert_same_matches (many + ks[ki], found_many[1], top, found);
        }
    }
  oracle_clear (&oracle);
}

/* A NaN score counts as -1: NaN rows come after every real score, by index, and never displace
 * one; a NaN query ranks every row alike, so by index. */
static void
test_ranker_nan_rows (void)
{
  const gsize n = 3001;
  const int dim = 37;
  g_autoptr (GRand) rng = g_rand_new_with_seed (13);
  g_autofree float *m = random_unit_vectors (rng, n, dim);
  g_autofree float *q = random_unit_vectors (rng, 1, dim);
  g_autofree float *nan_query = g_new (float, dim);
  g_autofree LkMatch *top = g_new (LkMatch, n);
  const gsize nan_rows[] = { 0, 1, 1000, 1007, 1500, 2000, n - 1 };
  Oracle oracle;

  for (gsize i = 0; i < G_N_ELEMENTS (nan_rows); i++)
    m[nan_rows[i] * dim + 3] = NAN;
  for (int d = 0; d < dim; d++)
    nan_query[d] = NAN;
  oracle_init (&oracle, m, n, dim, q);

  for (int threads = 1; threads <= 3; threads++)
    {
      g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
      gsize found = lk_ranker_top_k (ranker, m, n, dim, q, n, -1, top);

      assert_oracle_ranking (&oracle, top, found, n, -1);
      for (gsize i = 0; i < G_N_ELEMENTS (nan_rows); i++)
        {
          const LkMatch *match = &top[n - G_N_ELEMENTS (nan_rows) + i];
          g_assert_cmpuint (match->index, ==, nan_rows[i]);
          g_assert_cmpfloat (match->cosine, ==, -1.0f);
        }
      found = lk_ranker_top_k (ranker, m, n, dim, q, 10, -1, top);
      assert_oracle_ranking (&oracle, top, found, 10, -1);

      found = lk_ranker_top_k (ranker, m, n, dim, nan_query, 20, 2, top);
      g_assert_cmpuint (found, ==, 20);
      for (gsize r = 0; r < found; r++)
        {
          g_assert_cmpuint (top[r].index, ==, r < 2 ? r : r + 1);
          g_assert_cmpfloat (top[r].cosine, ==, -1.0f);
        }
    }
  oracle_clear (&oracle);
}

/* Many queries (several sgemm blocks of queries; with a huge k, blocks shrink to bound the heaps)
 * give the same bits as one query at a time. */
static void
test_ranker_many_matches_single (void)
{
  const struct
  {
    gsize n, nq, k;
    int dim;
  } cases[] = {
    { 3001, 150, 10, 37 },
    { 3001, 70, 3006, 37 },
    { 20001, 61, 20001, 8 },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      gsize n = cases[c].n, nq = cases[c].nq, k = cases[c].k;
      int dim = cases[c].dim;
      g_autoptr (GRand) rng = g_rand_new_with_seed (17 + c);
      g_autofree float *m = random_unit_vectors (rng, n, dim);
      g_autofree float *queries = random_unit_vectors (rng, nq, dim);
      g_autofree gssize *excludes = g_new (gssize, nq);
      g_autofree LkMatch *many = g_new (LkMatch, nq * k);
      g_autofree LkMatch *one = g_new (LkMatch, k);
      g_autofree gsize *found = g_new (gsize, nq);

      /* some queries are rows of the matrix, to find themselves or to leave themselves out */
      for (gsize i = 0; i < nq; i += 3)
        memcpy (queries + i * dim, m + (i * 41 % n) * dim, dim * sizeof (float));
      for (gsize i = 0; i < nq; i++)
        excludes[i] = i % 3 == 0 ? (gssize) (i * 41 % n) : i % 5 == 1 ? -1 : (gssize) (i * 7 % n);
      excludes[1] = 0;
      excludes[2] = (gssize) n - 1;
      excludes[4] = (gssize) n + 3;

      for (int threads = 1; threads <= 3; threads += 2)
        {
          g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
          for (int with_excludes = 0; with_excludes <= 1; with_excludes++)
            {
              lk_ranker_top_k_many (ranker, m, n, dim, queries, nq, k,
                                    with_excludes ? excludes : NULL, many, found);
              /* with k = n one query takes milliseconds: check a sample from every block */
              for (gsize i = 0; i<nq; i += k> 1000 ? 5 : 1)
                {
                  gssize exclude = with_excludes ? excludes[i] : -1;
                  gsize got =
                    lk_ranker_top_k (ranker, m, n, dim, queries + i * dim, k, exclude, one);
                  assert_same_matches (many + i * k, found[i], one, got);
                  if (i % 3 == 0 && !with_excludes)
                    g_assert_cmpuint (many[i * k].index, ==, i * 41 % n);
                }
            }
        }
    }

  /* nothing to rank */
  g_autoptr (LkRanker) ranker = lk_ranker_new (2);
  const float row[2] = { 1, 0 }, two[2 * 2] = { 1, 0, 0, 1 };
  LkMatch top[2 * 4];
  gsize found[2] = { 9, 9 };
  const gssize self[2] = { 0, -1 };
  lk_ranker_top_k_many (ranker, row, 1, 2, two, 2, 4, self, top, found);
  g_assert_cmpuint (found[0], ==, 0);
  g_assert_cmpuint (found[1], ==, 1);
  g_assert_cmpuint (top[4].index, ==, 0);
  g_assert_cmpfloat (top[4].cosine, ==, 0.0f);
  lk_ranker_top_k_many (ranker, row, 0, 2, two, 2, 4, NULL, top, found);
  g_assert_cmpuint (found[0] + found[1], ==, 0);
  found[0] = 9;
  lk_ranker_top_k_many (ranker, row, 1, 2, two, 1, 0, NULL, top, found);
  g_assert_cmpuint (found[0], ==, 0);
}

/* The 8-bit scan against a brute force in plain integers, for every kernel this CPU has: the
 * same rows in the same order with the same scores, exactly. Rows of random bytes with many
 * duplicates (ties that must go to the lower row, across shares and 16-row blocks); n not a
 * multiple of 16, of 4 blocks or of the threads' shares; lengths not a multiple of 4 and the
 * largest; weights to ±127; every k from 1 to more than n; exclusions. Packing round-trips. */
typedef struct
{
  const gint32 *score;
} U8Oracle;

static int
u8_oracle_compare (gconstpointer a, gconstpointer b, gpointer data)
{
  const gint32 *score = data;
  guint i = *(const guint *) a, j = *(const guint *) b;
  if (score[i] != score[j])
    return score[i] > score[j] ? -1 : 1;
  return i < j ? -1 : 1;
}

static void
test_ranker_u8_brute_force (void)
{
  const char *kernels[] = { "c", "avx2", "avx512-vnni" };
  const int dims[] = { 1, 16, 43, LK_RANKER_U8_MAX_DIM };
  const gsize sizes[] = { 1, 7, 16, 17, 65, 1003, 20011 };
  g_autoptr (GRand) rng = g_rand_new_with_seed (41);
  int tested = 0;

  for (gsize si = 0; si < G_N_ELEMENTS (dims); si++)
    for (gsize ni = 0; ni < G_N_ELEMENTS (sizes); ni++)
      {
        int dim = dims[si], stride = dim;
        gsize n = sizes[ni];
        /* the long rows split into the threads' shares from a thousand rows already: the
         * largest sizes only for the short ones (under ThreadSanitizer every scan is slow) */
        if (dim > 16 && n > 2000)
          continue;
        g_autofree guint8 *codes = g_new0 (guint8, n * stride);
        g_autofree guint8 *packed = g_new (guint8, lk_ranker_u8_packed_bytes (n, dim));
        g_autofree gint8 *query = g_new0 (gint8, (dim + 3) / 4 * 4);
        guint8 row[LK_RANKER_U8_MAX_DIM];
        g_autofree gint32 *score = g_new (gint32, n);
        g_autofree guint *order = g_new (guint, n);
        g_autofree LkMatch *got = g_new (LkMatch, n + 1);

        for (gsize r = 0; r < n; r++)
          {
            if (r > 0 && g_rand_int_range (rng, 0, 4) == 0) /* a copy of an earlier row */
              memcpy (codes + r * stride, codes + g_rand_int_range (rng, 0, (gint32) r) * stride,
                      dim);
            else
              for (int j = 0; j < dim; j++)
                codes[r * stride + j] = (guint8) g_rand_int_range (rng, 0, 256);
          }
        for (int j = 0; j < dim; j++)
          query[j] = (gint8) g_rand_int_range (rng, -127, 128);
        query[0] = 127, query[dim - 1] = dim > 1 ? -127 : 127;
        lk_ranker_pack_u8 (packed, codes, n, dim);
        for (gsize r = 0; r < n; r += 7)
          {
            lk_ranker_unpack_u8_row (row, packed, r, dim);
            g_assert_cmpmem (row, dim, codes + r * stride, dim);
          }
        for (gsize r = 0; r < n; r++)
          {
            gint64 sum = 0;
            for (int j = 0; j < dim; j++)
              sum += (gint64) codes[r * stride + j] * query[j];
            score[r] = (gint32) sum;
            order[r] = (guint) r;
          }
        g_qsort_with_data (order, (gint) n, sizeof (guint), u8_oracle_compare, score);

        for (gsize ki = 0; ki < G_N_ELEMENTS (kernels); ki++)
          for (int threads = 1; threads <= 3; threads += 2)
            {
              g_autoptr (LkRanker) ranker = lk_ranker_new (threads);
              const gsize ks[] = { 1, 10, n, n + 1 };
              if (!lk_ranker_set_u8_kernel (kernels[ki]))
                continue;
              for (gsize kk = 0; kk < G_N_ELEMENTS (ks); kk++)
                {
                  gssize excludes[] = { -1, 0, (gssize) n / 2 };
                  for (gsize e = 0; e < G_N_ELEMENTS (excludes); e++)
                    {
                      gsize k = ks[kk], found = lk_ranker_top_k_u8 (ranker, packed, n, dim, query,
                                                                    k, excludes[e], got);
                      gsize expected = MIN (k, excludes[e] >= 0 ? n - 1 : n);
                      g_assert_cmpuint (found, ==, expected);
                      for (gsize r = 0, o = 0; r < found; r++, o++)
                        {
                          if ((gssize) order[o] == excludes[e])
                            o++;
                          if (got[r].index != order[o] || got[r].cosine != (float) score[order[o]])
                            g_error ("%s, %d threads, dim %d, n %zu, k %zu: rank %zu is row %u "
                                     "(%.0f), expected row %u (%d)",
                                     kernels[ki], threads, dim, n, k, r, got[r].index,
                                     got[r].cosine, order[o], score[order[o]]);
                        }
                    }
                }
              tested++;
            }
      }
  lk_ranker_set_u8_kernel (NULL);
  g_test_message ("%d kernel × thread × shape cases; this CPU's kernel: %s", tested,
                  lk_ranker_get_u8_kernel ());
  g_assert_cmpint (tested, >=, (int) ((G_N_ELEMENTS (dims) * G_N_ELEMENTS (sizes) - 2) * 2));
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

/* Leave-one-out over more items than one call ranks (it ranks them in chunks of queries), against
 * the metrics computed here from lk_top_k one query at a time. */
static void
test_eval_matches_single_queries (void)
{
  const gsize n = 2500, k = 7;
  const int dim = 12;
  const guint n_labels = 9;
  g_autoptr (GRand) rng = g_rand_new_with_seed (19);
  g_autofree float *v = random_unit_vectors (rng, n, dim);
  g_autofree guint *labels = g_new (guint, n);
  g_autofree gsize *label_items = g_new0 (gsize, n_labels);
  g_autofree gsize *label_hits = g_new0 (gsize, n_labels);
  LkMatch top[7];
  double precision = 0, ap = 0, recall = 0;
  gsize with_others = 0;

  /* labels follow the first coordinate, so that neighbours tend to share one */
  for (gsize i = 0; i < n; i++)
    {
      labels[i] = MIN ((guint) ((v[i * dim] + 1) / 2 * n_labels), n_labels - 1);
      label_items[labels[i]]++;
    }
  for (gsize q = 0; q < n; q++)
    {
      gsize found = lk_top_k (v, n, dim, v + q * dim, k, (gssize) q, top);
      gsize relevant = label_items[labels[q]] - 1, hits = 0;
      double sum_precision = 0;
      for (gsize r = 0; r < found; r++)
        if (labels[top[r].index] == labels[q])
          sum_precision += (double) ++hits / (double) (r + 1);
      precision += (double) hits / k;
      label_hits[labels[q]] += hits;
      if (relevant > 0)
        {
          with_others++;
          recall += (double) hits / relevant;
          ap += sum_precision / MIN (k, relevant);
        }
    }

  g_autoptr (LkEvalResult) r = lk_eval_leave_one_out (v, n, dim, labels, n_labels, k);
  g_assert_cmpfloat (r->precision_at_k, >, 0.3); /* the labels mean something */
  g_assert_cmpfloat_with_epsilon (r->precision_at_k, precision / n, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->map_at_k, ap / with_others, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->recall_at_k, recall / with_others, 1e-12);
  for (guint l = 0; l < n_labels; l++)
    {
      g_assert_cmpuint (r->label_items[l], ==, label_items[l]);
      if (label_items[l])
        g_assert_cmpfloat_with_epsilon (r->label_precision[l],
                                        (double) label_hits[l] / (label_items[l] * k), 1e-12);
    }
}

/* A catalog of the folder "/" itself (found by fuzzing): its items' absolute paths are "/" and
 * the relative path, with no separator of their own to skip. */
static void
test_find_in_a_catalog_of_the_root_folder (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-search-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "root.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open (path, "/", &error);
  LkModelIdentity identity = {
    .model = "squeezenet1_1",
    .weights_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    .input_size = 64,
    .preprocess = LK_PREPROCESS_FIT,
    .dim = 2,
  };
  const float vector[2] = { 1.0f, 0.5f };
  LkCatalogItem item = { .path = (char *) "srv/shop/bag.png", .size = 1, .mtime_ns = 1 };
  g_autoptr (LkSearchIndex) index = NULL;
  gboolean replaced;

  g_assert_no_error (error);
  g_assert_cmpstr (lk_catalog_get_root (catalog), ==, "/");
  g_assert_true (lk_catalog_set_identity (catalog, LK_BACKEND_CNN, &identity, &replaced, &error));
  g_assert_true (lk_catalog_begin (catalog, &error));
  g_assert_true (lk_catalog_put_item (catalog, &item, &error));
  g_assert_true (lk_catalog_put_vector (catalog, LK_BACKEND_CNN, item.id, vector, 2, &error));
  g_assert_true (lk_catalog_commit (catalog, &error));
  index = lk_catalog_load (catalog, LK_BACKEND_CNN, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lk_search_index_get_path (index, 0), ==, "/srv/shop/bag.png");
  g_assert_cmpint (lk_search_index_find (index, "/srv/shop/bag.png"), ==, 0);
  g_assert_cmpint (lk_search_index_find (index, "srv/shop/bag.png"), ==, 0);
  g_assert_cmpint (lk_search_index_find (index, "/srv/shop/other.png"), ==, -1);
  g_clear_pointer (&catalog, lk_catalog_close);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/search/top-k-brute-force", test_top_k_matches_brute_force);
  g_test_add_func ("/engine/search/top-k-ties", test_top_k_ties_and_sizes);
  add_ranker_test ("/engine/search/ranker-brute-force", test_ranker_brute_force);
  add_ranker_test ("/engine/search/ranker-ties-across-shares", test_ranker_ties_across_shares);
  add_ranker_test ("/engine/search/ranker-near-ties", test_ranker_near_ties);
  add_ranker_test ("/engine/search/ranker-nan-rows", test_ranker_nan_rows);
  add_ranker_test ("/engine/search/ranker-many", test_ranker_many_matches_single);
  g_test_add_func ("/engine/search/ranker-u8-brute-force", test_ranker_u8_brute_force);
  g_test_add_func ("/engine/search/normalize", test_normalize);
  g_test_add_func ("/engine/search/percent-and-bands", test_percent_and_bands);
  g_test_add_func ("/engine/search/eval-known-answer", test_eval_known_answer);
  g_test_add_func ("/engine/search/eval-average-precision", test_eval_average_precision_order);
  g_test_add_func ("/engine/search/eval-many-queries", test_eval_matches_single_queries);
  g_test_add_func ("/engine/search/find-in-a-catalog-of-the-root-folder",
                   test_find_in_a_catalog_of_the_root_folder);

  return g_test_run ();
}
