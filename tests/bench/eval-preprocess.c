/* eval-preprocess.c: which preprocessing retrieves best? Precision@k per mode on a labelled folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * eval-preprocess WEIGHTS DIR [K] [SIZE]
 * DIR holds <label>/<image> files (../shared/data/products). The folder is indexed once per
 * preprocessing mode (fit, center-crop, stretch) into a scratch catalog, exactly as
 * `lookalike-cli index` does, and each mode's leave-one-out precision@K, mAP@K and recall@K is
 * printed as `lookalike-cli eval` computes it: the figures behind LK_PREPROCESS_DEFAULT (README,
 * "Preprocessing").
 */
#include "lookalike.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

/* Indexes @dir into a scratch catalog at @db with @mode, then evaluates it. */
static LkEvalResult *
evaluate_mode (LkModel *model, const char *dir, const char *db, LkPreprocess mode, int size,
               gsize k, GError **error)
{
  g_autoptr (LkCatalog) catalog = lk_catalog_open (db, dir, error);
  g_autoptr (LkEmbedder) embedder = NULL;
  g_autoptr (LkSearchIndex) index = NULL;

  if (!catalog || !(embedder = lk_embedder_new_cnn (model, size, mode, error))
      || !lk_catalog_index (catalog, embedder, NULL, NULL, NULL, NULL, NULL, error)
      || !(index = lk_catalog_load (catalog, LK_BACKEND_CNN, error)))
    return NULL;
  return lk_search_index_evaluate (index, k);
}

int
main (int argc, char **argv)
{
  static const char *const suffixes[] = { "", "-wal", "-shm" };
  g_autoptr (GError) error = NULL;

  lk_runtime_ensure_blas_kernels (argv);
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s WEIGHTS DIR [K] [SIZE]\n", argv[0]);
      return 2;
    }
  gsize k = argc > 3 ? (gsize) atoi (argv[3]) : 10;
  int size = argc > 4 ? atoi (argv[4]) : 224;
  g_autoptr (LkModel) model = lk_model_new_from_file (argv[1], &error);
  g_autofree char *scratch = g_dir_make_tmp ("lk-eval-preprocess-XXXXXX", &error);
  if (!model || !scratch)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  printf ("%s, %d px, leave-one-out at k = %zu, centred cosine as search ranks\n",
          lk_model_get_name (model), size, k);
  printf ("%-12s %8s %8s %8s %7s %7s\n", "mode", "P@k", "mAP@k", "R@k", "items", "labels");
  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      g_autofree char *db = g_strdup_printf ("%s/%s.db", scratch, lk_preprocess_to_string (mode));
      g_autoptr (LkEvalResult) r = evaluate_mode (model, argv[2], db, mode, size, k, &error);
      for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *file = g_strconcat (db, suffixes[i], NULL);
          g_unlink (file);
        }
      if (!r)
        {
          fprintf (stderr, "%s\n", error->message);
          g_rmdir (scratch);
          return 1;
        }
      printf ("%-12s %8.4f %8.4f %8.4f %7zu %7u\n", lk_preprocess_to_string (mode),
              r->precision_at_k, r->map_at_k, r->recall_at_k, r->items, r->labels);
    }
  g_rmdir (scratch);
  return 0;
}
