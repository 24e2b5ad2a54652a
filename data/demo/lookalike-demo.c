/* lookalike-demo.c: the demo catalog, and the engine's nearest neighbours on it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-demo export [--per-class N] DIR
 *     Writes N images of each Fashion-MNIST class (Debian's dataset-fashion-mnist, test split) as
 *     DIR/<Class>/<index>.png: a small labelled product catalog that exists on every machine.
 * lookalike-demo neighbours [--weights FILE] [-k K] DIR
 *     Embeds every image under DIR and prints, for each, its K most similar other images with the
 *     similarity percentage and colour band the application shows.
 */
#include "lookalike.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static const char *const class_names[10] = {
  "T-shirt", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* Reads a gzip-compressed IDX file whole. */
static GBytes *
read_gz (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) raw = g_file_read (file, NULL, error);
  g_autoptr (GZlibDecompressor) gunzip = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GOutputStream) out = NULL;

  if (!raw)
    return NULL;
  gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  stream = g_converter_input_stream_new (G_INPUT_STREAM (raw), G_CONVERTER (gunzip));
  out = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (out, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static int
export_catalog (const char *dir, int per_class)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) images = read_gz (FASHION_MNIST_DIR "/t10k-images-idx3-ubyte.gz", &error);
  g_autoptr (GBytes) labels =
    images ? read_gz (FASHION_MNIST_DIR "/t10k-labels-idx1-ubyte.gz", &error) : NULL;
  gsize n_img, n_lab;
  const guint8 *img, *lab;
  int written[10] = { 0 }, total = 0;

  if (!labels)
    {
      fprintf (stderr,
               "lookalike-demo: Fashion-MNIST is not installed (%s); "
               "apt-get install dataset-fashion-mnist\n",
               error->message);
      return 1;
    }
  img = g_bytes_get_data (images, &n_img);
  lab = g_bytes_get_data (labels, &n_lab);
  if (n_img < 16 || n_lab < 8 || be32 (img) != 0x803 || be32 (lab) != 0x801 || be32 (img + 8) != 28
      || be32 (img + 12) != 28 || be32 (img + 4) != be32 (lab + 4)
      || n_img < 16 + (gsize) be32 (img + 4) * 784 || n_lab < 8 + (gsize) be32 (lab + 4))
    {
      fprintf (stderr, "lookalike-demo: %s does not hold Fashion-MNIST IDX files\n",
               FASHION_MNIST_DIR);
      return 1;
    }

  guint32 count = be32 (img + 4);
  for (guint32 i = 0; i < count && total < 10 * per_class; i++)
    {
      int label = lab[8 + i];
      if (label > 9 || written[label] >= per_class)
        continue;
      g_autofree char *class_dir = g_build_filename (dir, class_names[label], NULL);
      g_autofree char *name = g_strdup_printf ("%05u.png", i);
      g_autofree char *path = g_build_filename (class_dir, name, NULL);
      guint8 pixels[784];
      /* Fashion-MNIST is white on black; catalog photos are products on white */
      for (int p = 0; p < 784; p++)
        pixels[p] = 255 - img[16 + (gsize) i * 784 + p];
      if (g_mkdir_with_parents (class_dir, 0755) != 0
          || !stbi_write_png (path, 28, 28, 1, pixels, 28))
        {
          fprintf (stderr, "lookalike-demo: cannot write %s: %s\n", path, g_strerror (errno));
          return 1;
        }
      written[label]++;
      total++;
    }
  printf ("Demo catalog: %d Fashion-MNIST images in %d classes under %s\n", total, 10, dir);
  return 0;
}

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
      else if (g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".jpg"))
        g_ptr_array_add (paths, g_steal_pointer (&path));
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
neighbours (const char *dir, const char *weights_arg, int k)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *weights =
    weights_arg ? g_strdup (weights_arg) : lk_model_find_default_weights ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  if (!weights)
    {
      printf ("No network weights installed: run models/download-weights.sh (needs a network "
              "connection), or pass --weights FILE.safetensors.\n");
      return 0;
    }
  g_autoptr (LkModel) model = lk_model_new_from_file (weights, &error);
  if (!model)
    {
      fprintf (stderr, "lookalike-demo: %s\n", error->message);
      return 1;
    }
  LkStateParams params = lk_state_default_params ();
  g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
  if (!state)
    {
      fprintf (stderr, "lookalike-demo: %s\n", error->message);
      return 1;
    }

  collect (dir, paths);
  g_ptr_array_sort (paths, compare_paths);
  guint n = paths->len;
  int dim = lk_model_get_dim (model), S = params.input_size;
  g_autofree float *vectors = g_new0 (float, (gsize) n *dim);
  g_autofree float *batch = g_new (float, (gsize) params.max_batch * 3 * S * S);
  gint64 start = g_get_monotonic_time ();

  printf ("Embedding %u images with %s (%d-d features, %s) …\n", n, lk_model_get_name (model), dim,
          weights);
  for (guint i = 0; i < n; i += (guint) params.max_batch)
    {
      int m = (int) MIN ((guint) params.max_batch, n - i);
      for (int j = 0; j < m; j++)
        {
          g_autoptr (LkImage) image = lk_image_decode_file (paths->pdata[i + j], NULL, &error);
          if (!image
              || !lk_model_state_prepare_input (state, image, LK_PREPROCESS_DEFAULT,
                                                batch + (gsize) j * 3 * S * S, &error))
            {
              fprintf (stderr, "lookalike-demo: %s\n", error->message);
              return 1;
            }
        }
      if (!lk_model_state_forward (state, batch, m, vectors + (gsize) i * dim, NULL, &error))
        {
          fprintf (stderr, "lookalike-demo: %s\n", error->message);
          return 1;
        }
    }
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  printf ("… in %.2f s (%.0f images/s, decoding included)\n\n", seconds, n / seconds);

  lk_vectors_normalize (vectors, n, dim);

  /* one example query per product class: the first image of each folder */
  g_autofree LkMatch *matches = g_new (LkMatch, k);
  g_autofree guint *labels = g_new (guint, n);
  g_autoptr (GPtrArray) label_names = g_ptr_array_new_with_free_func (g_free);
  LkBands bands = lk_bands_default ();
  gsize prefix = strlen (dir) + 1;
  printf ("The %d most similar products to one of each kind (similarity, colour band):\n", k);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *label = g_path_get_dirname (paths->pdata[i]);
      gboolean first =
        label_names->len == 0 || !g_str_equal (label, label_names->pdata[label_names->len - 1]);
      if (first)
        g_ptr_array_add (label_names, g_strdup (label));
      labels[i] = label_names->len - 1;
      if (!first)
        continue;

      gsize found = lk_top_k (vectors, n, dim, vectors + (gsize) i * dim, (gsize) k, i, matches);
      printf ("  %s\n", (char *) paths->pdata[i] + prefix);
      for (gsize r = 0; r < found; r++)
        {
          int percent = lk_score_percent (matches[r].cosine);
          printf ("      %3d%%  %-6s  %s\n", percent,
                  lk_band_to_string (lk_score_band (percent, &bands)),
                  (char *) paths->pdata[matches[r].index] + prefix);
        }
    }

  g_autoptr (LkEvalResult) eval =
    lk_eval_leave_one_out (vectors, n, dim, labels, label_names->len, (gsize) k);
  printf (
    "\nOver all %u products, %.0f%% of the %d nearest neighbours are the same kind of product "
    "(leave-one-out precision@%d; chance: %.0f%%).\n",
    n, 100 * eval->precision_at_k, k, k, 100.0 / label_names->len);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *weights = NULL;
  int per_class = 3, k = 3;
  const GOptionEntry entries[] = {
    { "per-class", 'n', 0, G_OPTION_ARG_INT, &per_class, "Images per class (export)", "N" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights, "Network weights (neighbours)", "FILE" },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, "Neighbours per image (neighbours)", "K" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("export|neighbours DIR");
  g_autoptr (GError) error = NULL;

  lk_runtime_ensure_blas_kernels (argv);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3 || per_class < 1
      || k < 1)
    {
      fprintf (stderr, "lookalike-demo: %s\n",
               error ? error->message : "usage: lookalike-demo export|neighbours DIR");
      return 2;
    }
  if (g_str_equal (argv[1], "export"))
    return export_catalog (argv[2], per_class);
  if (g_str_equal (argv[1], "neighbours"))
    return neighbours (argv[2], weights, k);
  fprintf (stderr, "lookalike-demo: unknown command %s\n", argv[1]);
  return 2;
}
