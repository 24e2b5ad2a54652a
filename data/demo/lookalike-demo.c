/* lookalike-demo.c: the demo catalog, from Debian's Fashion-MNIST.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-demo export [--per-class N] DIR
 *     Writes N images of each Fashion-MNIST class (Debian's dataset-fashion-mnist, test split) as
 *     DIR/<Class>/<index>.png: a small labelled product catalog that exists on every machine.
 */

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

int
main (int argc, char **argv)
{
  int per_class = 3;
  const GOptionEntry entries[] = {
    { "per-class", 'n', 0, G_OPTION_ARG_INT, &per_class, "Images per class", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("export DIR");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3
      || !g_str_equal (argv[1], "export") || per_class < 1)
    {
      fprintf (stderr, "lookalike-demo: %s\n",
               error ? error->message : "usage: lookalike-demo export [--per-class N] DIR");
      return 2;
    }
  return export_catalog (argv[2], per_class);
}
