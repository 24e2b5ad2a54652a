/* eval-int8.c: what 8-bit codes cost a catalog's searches, as the product searches.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * eval-int8 FLOAT.db INT8.db
 * Two copies of one catalog whose compressed backends were trained alike, the second with
 * --int8 (lookalike-cli train --backend compressed [--method M --latent D] [--int8]: the same
 * seed, vectors and BLAS kernels give the same compressor, then the 8-bit one quantises its
 * codes). Every item searches the others in each (lk_search_index_query_row: the 8-bit side
 * through its byte scan and the exact rescoring), and the overlap of the two top-10s is the 8-bit
 * codes' recall@10 against the float codes of the same size. Prints one line with it, each side's
 * precision@10 by folder and bytes per item. Figures for the README; not a test.
 */
#include "lookalike.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) a = NULL, b = NULL;
  g_autoptr (LkSearchIndex) fa = NULL, fb = NULL;
  g_autoptr (LkEvalResult) ea = NULL, eb = NULL;
  LkMatch x[10], y[10];
  gsize n, hits = 0, asked = 0;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s FLOAT.db INT8.db\n", argv[0]);
      return 2;
    }
  if (!(a = lk_catalog_open (argv[1], NULL, &error))
      || !(b = lk_catalog_open (argv[2], NULL, &error))
      || !(fa = lk_catalog_load (a, LK_BACKEND_COMPRESSED, &error))
      || !(fb = lk_catalog_load (b, LK_BACKEND_COMPRESSED, &error)))
    {
      fprintf (stderr, "%s: %s\n", argv[0], error->message);
      return 1;
    }
  n = lk_search_index_get_n_items (fa);
  if (n != lk_search_index_get_n_items (fb))
    {
      fprintf (stderr, "%s: the two catalogs hold other items\n", argv[0]);
      return 1;
    }
  for (gsize i = 0; i < n; i++)
    {
      gsize ka = lk_search_index_query_row (fa, i, 10, TRUE, x);
      gsize kb = lk_search_index_query_row (fb, i, 10, TRUE, y);
      for (gsize p = 0; p < ka; p++)
        for (gsize q = 0; q < kb; q++)
          hits += g_str_equal (lk_search_index_get_path (fa, x[p].index),
                               lk_search_index_get_path (fb, y[q].index));
      asked += ka;
    }
  ea = lk_search_index_evaluate (fa, 10);
  eb = lk_search_index_evaluate (fb, 10);
  printf ("%zu items: recall@10 of the 8-bit search against the float codes' %.4f; precision@10 "
          "%.4f (float, %zu bytes per item), %.4f (8-bit, %zu)\n",
          n, asked ? (double) hits / asked : 0.0, ea->precision_at_k,
          lk_search_index_get_bytes_per_item (fa), eb->precision_at_k,
          lk_search_index_get_bytes_per_item (fb));
  return 0;
}
