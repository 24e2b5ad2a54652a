/* eval-preprocess.c: which preprocessing retrieves best? Precision@k per mode on a labelled folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * eval-preprocess WEIGHTS DIR [K] [SIZE]
 * DIR holds <label>/<image> files (../shared/data/products). Every image is embedded once per
 * preprocessing mode (fit, center-crop, stretch) and each mode's leave-one-out precision@K, mAP@K
 * and recall@K are printed: the figures behind LK_PREPROCESS_DEFAULT (README, "Preprocessing").
 */
#include "lookalike.h"

#include <stdio.h>
#include <stdlib.h>

static void
collect (const char *dir, GPtrArray *paths)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (name[0] == '.')
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect (path, paths);
      else if (!g_str_has_suffix (name, ".csv"))
        g_ptr_array_add (paths, g_steal_pointer (&path));
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
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
  if (!model)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  LkStateParams params = { .n_threads = 0, .max_batch = 16, .input_size = size };
  g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
  if (!state)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  collect (argv[2], paths);
  g_ptr_array_sort (paths, compare_paths);
  guint n = paths->len;
  g_autofree guint *labels = g_new (guint, n);
  g_autoptr (GHashTable) label_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n; i++)
    {
      char *label = g_path_get_dirname (paths->pdata[i]);
      gpointer id;
      if (!g_hash_table_lookup_extended (label_ids, label, NULL, &id))
        {
          id = GUINT_TO_POINTER (g_hash_table_size (label_ids));
          g_hash_table_insert (label_ids, label, id);
        }
      else
        g_free (label);
      labels[i] = GPOINTER_TO_UINT (id);
    }

  int dim = lk_model_get_dim (model);
  gsize plane = (gsize) 3 * size * size;
  g_autofree float *vectors = g_new (float, (gsize) n *dim);
  g_autofree float *batch = g_new (float, 16 * plane);
  printf ("%s, %d px, %u images, %u labels, leave-one-out at k = %zu\n", lk_model_get_name (model),
          size, n, g_hash_table_size (label_ids), k);
  printf ("%-12s %8s %8s %8s\n", "mode", "P@k", "mAP@k", "R@k");

  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      for (guint i = 0; i < n; i += 16)
        {
          int m = (int) MIN (16u, n - i);
          for (int j = 0; j < m; j++)
            {
              g_autoptr (LkImage) image = lk_image_decode_file (paths->pdata[i + j], NULL, &error);
              if (!image
                  || !lk_model_state_prepare_input (state, image, mode, batch + (gsize) j * plane,
                                                    &error))
                {
                  fprintf (stderr, "%s\n", error->message);
                  return 1;
                }
            }
          if (!lk_model_state_forward (state, batch, m, vectors + (gsize) i * dim, NULL, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
        }
      lk_vectors_normalize (vectors, n, dim);
      g_autoptr (LkEvalResult) r =
        lk_eval_leave_one_out (vectors, n, dim, labels, g_hash_table_size (label_ids), k);
      printf ("%-12s %8.4f %8.4f %8.4f\n", lk_preprocess_to_string (mode), r->precision_at_k,
              r->map_at_k, r->recall_at_k);
    }
  return 0;
}
