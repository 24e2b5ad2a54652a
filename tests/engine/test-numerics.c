/* test-numerics.c: our networks against PyTorch, tensor for tensor.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layer one of the numerics tests (STYLE.md). tests/tools/make-reference.py writes random-init
 * torchvision ResNet-18 (F16), ResNet-50 (F32) and SqueezeNet 1.1 (BF16) with randomised BatchNorm
 * statistics, synthetic PNG images (224×224, 173×173, 64×64, 512×512) and torchvision's features for
 * them. Here the same PNGs go through our decoder, normalisation and network, alone and batched,
 * on one and two threads, and every feature vector must match: cosine ≥ 0.99999 and
 * max |ours - torch| ≤ 1e-4 · max |torch|. When ../shared has the ImageNet SqueezeNet the same
 * check runs on it.
 *
 * Usage: test-numerics REFERENCE_DIR
 */
#include "lookalike.h"
#include "store/lk-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

static const char *refdir;

static const struct
{
  const char *name;
  int size;
} images[] = {
  { "img-0", 224 },   { "img-1", 224 },  { "img-2", 224 },   { "img-3", 224 },
  { "img-odd", 173 }, { "img-min", 64 }, { "img-max", 512 },
};

/* every input size the images come in: the extremes take other algorithms (a 2×2 last stage at 64
 * pixels runs direct, 16×16 at 512 runs F(4×4) Winograd) */
static const int sizes[] = { 64, 173, 224, 512 };

static float *
load_input (LkModelState *state, const char *image)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = g_strconcat (image, ".png", NULL);
  g_autofree char *path = g_build_filename (refdir, "images", file, NULL);
  g_autoptr (LkImage) img = lk_image_decode_file (path, NULL, &error);
  int S = lk_model_state_get_input_size (state);
  float *x = g_new (float, 3 * S * S);

  g_assert_no_error (error);
  g_assert_cmpint (img->width, ==, S);
  g_assert_true (lk_model_state_prepare_input (state, img, LK_PREPROCESS_FIT, x, &error));
  g_assert_no_error (error);
  return x;
}

static void
compare (const float *ours, const float *ref, int dim, const char *what)
{
  double dot = 0, na = 0, nb = 0, maxdiff = 0, maxref = 0;

  for (int i = 0; i < dim; i++)
    {
      dot += (double) ours[i] * ref[i];
      na += (double) ours[i] * ours[i];
      nb += (double) ref[i] * ref[i];
      maxdiff = fmax (maxdiff, fabs ((double) ours[i] - ref[i]));
      maxref = fmax (maxref, fabs ((double) ref[i]));
    }
  double cosine = dot / sqrt (na * nb);
  g_test_message ("%s: cosine %.8f, max abs diff %.3g (%.3g of max |ref| %.3g)", what, cosine,
                  maxdiff, maxdiff / maxref, maxref);
  if (!(cosine >= 0.99999) || !(maxdiff <= 1e-4 * maxref))
    g_error ("%s differs from PyTorch: cosine %.8f, max abs diff %.3g = %.3g × max |ref| %.3g",
             what, cosine, maxdiff, maxdiff / maxref, maxref);
}

static void
check_model (const char *weights, const char *key, const char *expect_name, int expect_dim)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *refpath = g_build_filename (refdir, "reference.safetensors", NULL);
  g_autoptr (LkSafetensors) ref = lk_safetensors_open (refpath, &error);
  g_autoptr (LkModel) model = lk_model_new_from_file (weights, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (lk_model_get_name (model), ==, expect_name);
  g_assert_cmpint (lk_model_get_dim (model), ==, expect_dim);

  for (int threads = 1; threads <= 2; threads++)
    for (gsize si = 0; si < G_N_ELEMENTS (sizes); si++)
      {
        int size = sizes[si];
        LkStateParams params = { .n_threads = threads, .max_batch = 4, .input_size = size };
        g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
        g_autofree float *batch = g_new (float, 4 * 3 * size * size);
        g_autofree float *out = g_new (float, 4 * expect_dim);
        const char *names[4];
        int n = 0;

        g_assert_no_error (error);
        for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
          {
            if (images[i].size != size)
              continue;
            g_autofree float *x = load_input (state, images[i].name);
            memcpy (batch + (gsize) n * 3 * size * size, x, sizeof (float) * 3 * size * size);
            names[n++] = images[i].name;
          }

        /* each image alone, then all together: batching must not change a single feature */
        for (int pass = 0; pass < 2; pass++)
          {
            int step = pass == 0 ? 1 : n;
            for (int start = 0; start < n; start += step)
              g_assert_true (lk_model_state_forward (state, batch + (gsize) start * 3 * size * size,
                                                     step, out + (gsize) start * expect_dim, NULL,
                                                     &error));
            g_assert_no_error (error);
            for (int i = 0; i < n; i++)
              {
                g_autofree char *name = g_strdup_printf ("%s/%s", key, names[i]);
                g_autofree char *what =
                  g_strdup_printf ("%s %s, %d thread(s), batch %d", key, names[i], threads, step);
                g_autofree float *expected = lk_safetensors_read_f32 (ref, name, 1, NULL, &error);
                g_assert_no_error (error);
                compare (out + (gsize) i * expect_dim, expected, expect_dim, what);
              }
          }
      }
}

static void
test_resnet18 (void)
{
  g_autofree char *path = g_build_filename (refdir, "resnet18.safetensors", NULL);
  check_model (path, "resnet18", "resnet18", 512);
}

static void
test_resnet50 (void)
{
  g_autofree char *path = g_build_filename (refdir, "resnet50.safetensors", NULL);
  check_model (path, "resnet50", "resnet50", 2048);
}

static void
test_squeezenet (void)
{
  g_autofree char *path = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  check_model (path, "squeezenet1_1", "squeezenet1_1", 512);
}

static void
test_squeezenet_imagenet (gconstpointer data)
{
  const char *path = data;
  g_autofree char *refpath = g_build_filename (refdir, "reference.safetensors", NULL);
  g_autoptr (LkSafetensors) ref = lk_safetensors_open (refpath, NULL);

  if (!path || !g_file_test (path, G_FILE_TEST_EXISTS) || !ref
      || !lk_safetensors_lookup (ref, "squeezenet1_1-imagenet/img-0"))
    {
      g_test_skip ("../shared/models/squeezenet1_1-imagenet.safetensors is absent");
      return;
    }
  check_model (path, "squeezenet1_1-imagenet", "squeezenet1_1", 512);
}

/* Rewrites @src without @drop, with @reshape given a wrong leading dimension, and with element
 * @at of @poison set to @value. */
static char *
rewrite_weights_full (const char *src, const char *drop, const char *reshape, const char *poison,
                      gsize at, float value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkSafetensors) st = lk_safetensors_open (src, &error);
  g_autoptr (GPtrArray) data = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) tensors = g_array_new (FALSE, TRUE, sizeof (LkTensorWrite));
  g_autofree char *dir = g_dir_make_tmp ("lk-numerics-XXXXXX", &error);
  char *out = g_build_filename (dir, "edited.safetensors", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < lk_safetensors_get_n_tensors (st); i++)
    {
      const LkTensorInfo *info = lk_safetensors_get_tensor (st, i);
      LkTensorWrite w = { .name = info->name, .n_dims = info->n_dims };
      if (g_strcmp0 (info->name, drop) == 0 || info->dtype == LK_DTYPE_I64)
        continue;
      float *x = lk_safetensors_read_f32 (st, info->name, 0, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (data, x);
      memcpy (w.shape, info->shape, sizeof w.shape);
      w.data = x;
      if (g_strcmp0 (info->name, poison) == 0)
        {
          g_assert_cmpuint (at, <, info->n_elements);
          x[at] = value;
        }
      if (g_strcmp0 (info->name, reshape) == 0)
        {
          /* same element count, different shape: split the first dimension in half */
          g_assert_cmpint (info->shape[0] % 2, ==, 0);
          w.shape[0] /= 2;
          w.shape[1] *= 2;
        }
      g_array_append_val (tensors, w);
    }
  g_assert_true (
    lk_safetensors_write (out, (LkTensorWrite *) tensors->data, tensors->len, NULL, &error));
  g_assert_no_error (error);
  return out;
}

static char *
rewrite_weights (const char *src, const char *drop, const char *reshape)
{
  return rewrite_weights_full (src, drop, reshape, NULL, 0, 0.0f);
}

static void
test_refuses_damaged_networks (void)
{
  g_autofree char *r18 = g_build_filename (refdir, "resnet18.safetensors", NULL);
  g_autofree char *sq = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  struct
  {
    const char *src, *drop, *reshape, *expect;
  } cases[] = {
    { r18, "layer3.1.bn2.running_var", NULL, "layer3.1.bn2.running_var" },
    { r18, NULL, "layer2.0.conv1.weight", "layer2.0.conv1.weight" },
    { r18, "layer4.1.conv1.weight", NULL, "blocks 2-2-2-1" },
    { sq, "features.9.expand3x3.bias", NULL, "features.9.expand3x3.bias" },
    { sq, "features.3.squeeze.weight", NULL, "not a network Lookalike runs" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *path = rewrite_weights (cases[i].src, cases[i].drop, cases[i].reshape);
      g_autoptr (LkModel) model = lk_model_new_from_file (path, &error);

      g_assert_null (model);
      g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "edited.safetensors"));
      g_assert_nonnull (strstr (error->message, cases[i].expect));
      g_unlink (path);
    }
}

/* A NaN or an infinity in the weights made every vector NaN, and replaced the catalog's. */
static void
test_refuses_non_finite_weights (void)
{
  g_autofree char *r18 = g_build_filename (refdir, "resnet18.safetensors", NULL);
  g_autofree char *sq = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  struct
  {
    const char *src, *tensor;
    gsize at;
    float value;
    const char *expect;
  } cases[] = {
    { sq, "features.0.weight", 100, NAN, "tensor features.0.weight holds NaN at [3, 2, 0, 1]" },
    { sq, "features.12.expand1x1.bias", 7, INFINITY, "an infinite value at [7]" },
    { r18, "layer2.1.bn1.running_var", 0, -INFINITY, "layer2.1.bn1.running_var" },
    /* finite, but folding it makes NaN weights */
    { r18, "layer2.1.bn1.running_var", 3, -1.0f,
      "tensor layer2.1.bn1.running_var holds a negative variance at [3]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *path = rewrite_weights_full (cases[i].src, NULL, NULL, cases[i].tensor,
                                                    cases[i].at, cases[i].value);
      g_autoptr (LkModel) model = lk_model_new_from_file (path, &error);

      g_assert_null (model);
      g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "edited.safetensors: "));
      g_assert_nonnull (strstr (error->message, cases[i].expect));
      g_unlink (path);
    }
}

/* A folder gave "Failed to map dir.safetensors' dir.safetensors': mmap() failed: No such
 * device"; a FIFO waited for a writer forever. */
static void
test_weights_that_are_not_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-numerics-XXXXXX", NULL);
  g_autofree char *folder = g_build_filename (dir, "dir.safetensors", NULL);
  g_autofree char *fifo = g_build_filename (dir, "pipe.safetensors", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_assert_null (lk_model_new_from_file (folder, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
  g_assert_cmpstr (error->message, ==, "dir.safetensors: is a folder, not a weights file");
  g_clear_error (&error);
  g_assert_null (lk_model_new_from_file (fifo, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS);
  g_assert_cmpstr (error->message, ==, "pipe.safetensors: not a regular file (a FIFO)");
  g_rmdir (folder);
  g_unlink (fifo);
  g_rmdir (dir);
}

/* The identity a catalog stores is the digest of the weights that made its vectors: it was
 * computed by reading the path again later, by when the file could hold other weights. */
static void
test_digest_is_of_the_loaded_bytes (void)
{
  g_autofree char *sq = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  g_autofree char *r18 = g_build_filename (refdir, "resnet18.safetensors", NULL);
  g_autofree char *dir = g_dir_make_tmp ("lk-numerics-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "weights.safetensors", NULL);
  g_autofree char *original = NULL, *other = NULL, *expected = NULL;
  gsize original_len, other_len;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkModel) model = NULL;

  g_assert_true (g_file_get_contents (sq, &original, &original_len, NULL));
  g_assert_true (g_file_get_contents (r18, &other, &other_len, NULL));
  expected =
    g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) original, original_len);
  g_assert_true (g_file_set_contents (path, original, (gssize) original_len, NULL));
  model = lk_model_new_from_file (path, &error);
  g_assert_no_error (error);
  /* replaced after loading, before anyone asks what was loaded */
  g_assert_true (g_file_set_contents (path, other, (gssize) other_len, NULL));
  g_assert_cmpstr (lk_model_get_weights_sha256 (model), ==, expected);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_state_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sq = g_build_filename (refdir, "squeezenet1_1.safetensors", NULL);
  g_autoptr (LkModel) model = lk_model_new_from_file (sq, &error);
  LkStateParams params = lk_state_default_params ();
  g_autoptr (GCancellable) cancel = g_cancellable_new ();

  g_assert_no_error (error);
  params.input_size = 63;
  g_assert_null (lk_model_state_new (model, &params, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  params.input_size = 513;
  g_assert_null (lk_model_state_new (model, &params, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* the extremes of the supported range run */
  for (int size = 64; size <= 512; size += 448)
    {
      params = (LkStateParams){ .n_threads = 2, .max_batch = 2, .input_size = size };
      g_autoptr (LkModelState) state = lk_model_state_new (model, &params, &error);
      g_autofree float *x = g_new0 (float, 2 * 3 * size * size);
      float out[2 * 512];
      g_assert_no_error (error);
      g_assert_true (lk_model_state_forward (state, x, 2, out, NULL, &error));
      g_assert_no_error (error);
      for (int i = 0; i < 512; i++)
        g_assert_cmpfloat (out[i], ==, out[512 + i]);

      g_assert_false (lk_model_state_forward (state, x, 3, out, NULL, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      g_cancellable_cancel (cancel);
      g_assert_false (lk_model_state_forward (state, x, 1, out, cancel, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      g_cancellable_reset (cancel);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *skip = NULL;
  g_autofree char *shared = NULL;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: %s REFERENCE_DIR [SHARED_WEIGHTS]\n", argv[0]);
      return 1;
    }
  refdir = argv[1];
  shared = argc > 2 ? g_strdup (argv[2]) : NULL;

  g_autofree char *skip_path = g_build_filename (refdir, "SKIP", NULL);
  if (g_file_get_contents (skip_path, &skip, NULL, NULL))
    {
      g_print ("1..0 # SKIP %s", skip);
      return 77;
    }

  g_test_add_func ("/engine/numerics/resnet18", test_resnet18);
  g_test_add_func ("/engine/numerics/resnet50", test_resnet50);
  g_test_add_func ("/engine/numerics/squeezenet1_1", test_squeezenet);
  g_test_add_data_func ("/engine/numerics/squeezenet1_1-imagenet", shared,
                        test_squeezenet_imagenet);
  g_test_add_func ("/engine/numerics/refuses-damaged-networks", test_refuses_damaged_networks);
  g_test_add_func ("/engine/numerics/state-limits", test_state_limits);
  g_test_add_func ("/engine/numerics/refuses-non-finite-weights", test_refuses_non_finite_weights);
  g_test_add_func ("/engine/numerics/weights-that-are-not-files", test_weights_that_are_not_files);
  g_test_add_func ("/engine/numerics/digest-is-of-the-loaded-bytes",
                   test_digest_is_of_the_loaded_bytes);

  return g_test_run ();
}
