/* bench-catalog.c: how long opening a large catalog for searching takes.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-catalog N DIM FILE
 * Fills FILE, when it does not exist, with N items under an empty folder and a random DIM-float
 * vector each, written as the indexer writes them; then times opening the catalog and loading the
 * backend's vectors into one contiguous matrix (what a search or the window does first), once
 * cold (the file's pages dropped from the page cache) and once warm, and one query. Prints one
 * JSON object.
 */
#include "lookalike.h"
#include "store/lk-catalog-private.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

static gboolean
fill (const char *path, const char *root, gsize n, int dim, GError **error)
{
  g_autoptr (LkCatalog) catalog = lk_catalog_open (path, root, error);
  LkModelIdentity identity = {
    .model = (char *) "squeezenet1_1",
    .weights_sha256 = (char *) "0000000000000000000000000000000000000000000000000000000000000000",
    .input_size = 224,
    .preprocess = LK_PREPROCESS_DEFAULT,
    .dim = dim,
  };
  g_autofree float *v = g_new (float, dim);
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);
  gboolean replaced;

  if (!catalog || !lk_catalog_set_identity (catalog, LK_BACKEND_CNN, &identity, &replaced, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03zu/img-%07zu.jpg", i % 100, i);
      LkCatalogItem item = { .path = name, .size = 1000 + (gint64) i, .mtime_ns = (gint64) i };
      if (i % 1000 == 0 && !lk_catalog_begin (catalog, error))
        return FALSE;
      for (int j = 0; j < dim; j++)
        v[j] = (float) g_rand_double (rng);
      if (!lk_catalog_put_item (catalog, &item, error)
          || !lk_catalog_put_vector (catalog, LK_BACKEND_CNN, item.id, v, dim, error))
        return FALSE;
      if ((i % 1000 == 999 || i == n - 1) && !lk_catalog_commit (catalog, error))
        return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  lk_runtime_ensure_blas_kernels (argv);
  if (argc < 4)
    {
      fprintf (stderr, "usage: %s N DIM FILE\n", argv[0]);
      return 2;
    }
  gsize n = (gsize) g_ascii_strtoull (argv[1], NULL, 10);
  int dim = atoi (argv[2]);
  const char *path = argv[3];
  g_autofree char *root = g_strconcat (path, ".root", NULL);

  g_mkdir_with_parents (root, 0755);
  gint64 start = g_get_monotonic_time ();
  double fill_seconds = 0;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!fill (path, root, n, dim, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      fill_seconds = seconds_since (start);
    }

  /* cold: the catalog's pages dropped from the page cache first; then warm */
  double cold = 0, warm = 0, query = 0;
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 0)
        for (int i = 0; i < 2; i++)
          {
            g_autofree char *file = g_strconcat (path, i ? "-wal" : "", NULL);
            int fd = g_open (file, O_RDONLY, 0);
            if (fd >= 0)
              {
                fdatasync (fd);
                posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
                close (fd);
              }
          }
      start = g_get_monotonic_time ();
      g_autoptr (LkCatalog) catalog = lk_catalog_open (path, NULL, &error);
      g_autoptr (LkSearchIndex) index =
        catalog ? lk_catalog_load (catalog, LK_BACKEND_CNN, &error) : NULL;
      if (!index)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      if (lk_search_index_get_n_items (index) != n || lk_search_index_get_dim (index) != dim)
        {
          fprintf (stderr, "%s holds another catalog: delete it first\n", path);
          return 1;
        }
      *(pass ? &warm : &cold) = seconds_since (start);
      LkMatch top[10];
      start = g_get_monotonic_time ();
      lk_search_index_query_row (index, n / 2, 10, TRUE, top);
      query = seconds_since (start);
    }

  GStatBuf st;
  g_stat (path, &st);
  printf ("{\"items\": %zu, \"dim\": %d, \"file_mib\": %.0f, \"fill_s\": %.2f, "
          "\"open_cold_s\": %.3f, \"open_warm_s\": %.3f, \"query_ms\": %.2f}\n",
          n, dim, st.st_size / 1048576.0, fill_seconds, cold, warm, 1e3 * query);
  return 0;
}
