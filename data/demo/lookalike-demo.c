/* lookalike-demo.c: the demo catalog, and the engine's nearest neighbours on it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-demo export [--per-class N] DIR
 *     Writes N images of each Fashion-MNIST class (Debian's dataset-fashion-mnist, test split) as
 *     DIR/<Class>/<index>.png: a small labelled product catalog that exists on every machine.
 * lookalike-demo neighbours [--index FILE] [--weights FILE] [-k K] DIR
 *     Indexes DIR into a catalog (as `lookalike-cli index` does), then prints the K most similar
 *     other images to one image of each class, with the similarity percentage and colour band
 *     the application shows, and the leave-one-out precision over all of them.
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

static int
neighbours (const char *dir, const char *index_path, const char *weights_arg, int k)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *weights =
    weights_arg ? g_strdup (weights_arg) : lk_model_find_default_weights ();
  g_autofree char *db = index_path ? g_strdup (index_path) : lk_catalog_default_path (dir);
  g_autoptr (LkModel) model = NULL;
  g_autoptr (LkCatalog) catalog = NULL;
  g_autoptr (LkIndexSummary) summary = NULL;
  g_autoptr (LkSearchIndex) index = NULL;

  if (!weights)
    {
      printf ("No network weights installed: run models/download-weights.sh (needs a network "
              "connection), or pass --weights FILE.safetensors.\n");
      return 0;
    }
  if (!(model = lk_model_new_from_file (weights, &error))
      || !(catalog = lk_catalog_open (db, dir, &error)))
    {
      fprintf (stderr, "lookalike-demo: %s\n", error->message);
      return 1;
    }

  /* the product's own pipeline: index the folder (incrementally), load it, search it */
  printf ("Indexing %s with %s (%d-d features, %s)\n", dir, lk_model_get_name (model),
          lk_model_get_dim (model), weights);
  if (!lk_catalog_index (catalog, LK_BACKEND_CNN, model, NULL, NULL, NULL, &summary, NULL, &error)
      || !(index = lk_catalog_load (catalog, LK_BACKEND_CNN, &error)))
    {
      fprintf (stderr, "lookalike-demo: %s\n", error->message);
      return 1;
    }
  g_autofree char *line = lk_index_summary_to_string (summary, 5);
  printf ("%s, in %.2f s\n\n", line, summary->seconds);

  /* one example query per product class: the first image of each folder */
  gsize n = lk_search_index_get_n_items (index);
  g_autofree LkMatch *matches = g_new (LkMatch, k);
  LkBands bands = lk_bands_default ();
  const char *previous = NULL;
  gsize prefix = strlen (lk_catalog_get_root (catalog)) + 1;
  printf ("The %d most similar products to one of each kind (similarity, colour band):\n", k);
  for (gsize row = 0; row < n; row++)
    {
      const char *label = lk_search_index_get_label (index, row);
      if (previous && g_str_equal (label, previous))
        continue;
      previous = label;
      gsize found = lk_search_index_query_row (index, row, (gsize) k, TRUE, matches);
      printf ("  %s\n", lk_search_index_get_path (index, row) + prefix);
      for (gsize r = 0; r < found; r++)
        {
          int percent = lk_score_percent (matches[r].cosine);
          printf ("      %3d%%  %-6s  %s\n", percent,
                  lk_band_to_string (lk_score_band (percent, &bands)),
                  lk_search_index_get_path (index, matches[r].index) + prefix);
        }
    }

  g_autoptr (LkEvalResult) eval = lk_search_index_evaluate (index, (gsize) k);
  printf ("\nOver all %zu products, %.0f%% of the %d nearest neighbours are the same kind of "
          "product (leave-one-out precision@%d; chance: %.0f%%).\n",
          n, 100 * eval->precision_at_k, k, k, eval->labels ? 100.0 / eval->labels : 0.0);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *weights = NULL, *index = NULL;
  int per_class = 3, k = 3;
  const GOptionEntry entries[] = {
    { "per-class", 'n', 0, G_OPTION_ARG_INT, &per_class, "Images per class (export)", "N" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights, "Network weights (neighbours)", "FILE" },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, "Neighbours per image (neighbours)", "K" },
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index, "Catalog file (neighbours)", "FILE" },
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
    return neighbours (argv[2], index, weights, k);
  fprintf (stderr, "lookalike-demo: unknown command %s\n", argv[1]);
  return 2;
}
