/* test-convae.c: the convolutional autoencoder, its model file and its trainer.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PyTorch cross-check (llm.c's test_gpt2.c): tests/tools/make-convae-reference.py builds the
 * same network in PyTorch, saves its initial weights and batches, and the gradients of the first
 * step, the losses of ten AdamW steps and every parameter after them; this file loads the same
 * weights into our network, takes the same ten steps and compares, tensor by tensor. Then the
 * trainer on generated photos: the loss falls, the same seed gives the same model, save → load →
 * embed gives the vectors training saw, a cancelled run keeps a usable model, and every kind of
 * broken model file is refused with its name and the reason.
 */
#include "lk-convae-file.h"
#include "lk-embedder.h"
#include "lookalike.h"
#include "models/lk-convae.h"
#include "store/lk-safetensors.h"
#include "test-tensors.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* PyTorch cross-check                                                                             */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  char *dir;
} Reference;

static LkConvAeConfig
config_from (LkSafetensors *st, double *lr, double *wd, int *steps, int *batch)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *text = lk_safetensors_get_metadata (st, "config");
  JsonObject *o;
  LkConvAeConfig config;

  g_assert_nonnull (text);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  config = lk_conv_ae_config_default ((int) json_object_get_int_member (o, "input_size"),
                                      (int) json_object_get_int_member (o, "latent"));
  g_assert_cmpint (config.stages, ==, (int) json_object_get_int_member (o, "stages"));
  *lr = json_object_get_double_member (o, "lr");
  *wd = json_object_get_double_member (o, "weight_decay");
  *steps = (int) json_object_get_int_member (o, "steps");
  *batch = (int) json_object_get_int_member (o, "batch");
  return config;
}

static void
load_batch (LkConvAeRun *run, LkSafetensors *st, int k, int B, int S, float *target)
{
  g_autofree char *name = g_strdup_printf ("batch.%d", k);
  g_autofree float *bchw = read_tensor (st, name, (gsize) B * 3 * S * S);

  nn_bchw_to_cbhw (lk_conv_ae_run_get_input (run), bchw, B, 3, S, S);
  memcpy (target, lk_conv_ae_run_get_input (run), sizeof (float) * B * 3 * S * S);
}

static LkConvAe *
model_from (LkSafetensors *init, const LkConvAeConfig *config)
{
  g_autoptr (GError) error = NULL;
  LkConvAe *model = lk_conv_ae_new (config, &error);

  g_assert_no_error (error);
  for (int i = 0; i < model->n_tensors; i++)
    {
      const LkConvAeTensor *t = &model->tensors[i];
      g_autofree float *w = read_tensor (init, t->name, t->size);
      memcpy (model->params + t->offset, w, t->size * sizeof (float));
    }
  g_assert_true (lk_conv_ae_enable_training (model));
  return model;
}

/* Two runs of the reference's steps. Teacher-forced: at every step our loss and gradients at the
 * parameters PyTorch had then, and our AdamW fed PyTorch's gradients, which must land on PyTorch's
 * parameters (so that the next step starts where PyTorch's did): that checks every step on its
 * own. Free-running: our own ten steps, whose losses must stay within 1e-4 of PyTorch's and whose
 * parameters must end within 1e-4 of PyTorch's (relative to each tensor's largest). The second
 * is the weaker check: Adam's first steps move every weight by about ±lr whatever the size of its
 * gradient, so a weight whose gradient is within rounding of zero moves on a coin flip. With the
 * squared error through a sigmoid, PyTorch itself in float64 with gradient noise of 1e-6 of each
 * tensor's largest ended ten steps 0.7–2.7 % away from its noiseless run; with the cross-entropy
 * on logits that we train with, the free runs here end within 5e-5. */
static void
test_torch_cross_check (gconstpointer data)
{
  const char *dir = data;
  g_autofree char *skip = g_build_filename (dir, "SKIP", NULL);
  g_autofree char *init_path = g_build_filename (dir, "init.safetensors", NULL);
  g_autofree char *grads_path = g_build_filename (dir, "grads.safetensors", NULL);
  g_autofree char *expected_path = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkSafetensors) init = NULL, grads = NULL, expected = NULL;
  g_autoptr (LkConvAe) forced = NULL, free_run = NULL;
  g_autoptr (LkConvAeRun) run = NULL, run2 = NULL;
  g_autofree float *target = NULL, *losses = NULL;
  LkConvAeConfig config;
  double lr, wd, worst_loss = 0, worst_free_loss = 0, worst_param = 0, worst_grad = 0,
                 free_param = 0;
  int steps, B, S;
  NnPool *pool;

  if (g_file_test (skip, G_FILE_TEST_EXISTS))
    {
      g_autofree char *why = NULL;
      g_file_get_contents (skip, &why, NULL, NULL);
      g_test_skip (g_strstrip (why));
      return;
    }
  init = lk_safetensors_open (init_path, &error);
  g_assert_no_error (error);
  grads = lk_safetensors_open (grads_path, &error);
  g_assert_no_error (error);
  expected = lk_safetensors_open (expected_path, &error);
  g_assert_no_error (error);
  config = config_from (init, &lr, &wd, &steps, &B);
  S = config.input_size;
  forced = model_from (init, &config);
  free_run = model_from (init, &config);
  g_assert_cmpuint (lk_safetensors_get_n_tensors (init), ==, (guint) (forced->n_tensors + steps));
  pool = nn_pool_new (2);
  run = lk_conv_ae_run_new (forced, B, TRUE, 2);
  run2 = lk_conv_ae_run_new (free_run, B, TRUE, 2);
  target = g_new (float, (gsize) B * 3 * S * S);
  losses = read_tensor (expected, "loss", (gsize) steps);

  /* the initial weights' code and reconstruction of batch 0 */
  {
    g_autofree float *latent = read_tensor (expected, "latent.0", (gsize) B * config.latent);
    g_autofree float *recon = read_tensor (expected, "recon.0", (gsize) B * 3 * S * S);
    g_autofree float *ours = g_new (float, (gsize) B * 3 * S * S);
    load_batch (run, init, 0, B, S, target);
    lk_conv_ae_forward (run, B, target, pool);
    nn_cbhw_to_bchw (ours, lk_conv_ae_get_reconstruction (run), B, 3, S, S);
    g_assert_cmpfloat (
      max_relative (lk_conv_ae_get_latent (run), latent, (gsize) B * config.latent), <, 1e-5);
    g_assert_cmpfloat (max_relative (ours, recon, (gsize) B * 3 * S * S), <, 1e-5);
  }

  for (int k = 0; k < steps; k++)
    {
      float loss;

      /* teacher-forced */
      load_batch (run, init, k, B, S, target);
      lk_conv_ae_zero_grad (forced);
      loss = lk_conv_ae_forward (run, B, target, pool);
      lk_conv_ae_backward (run, target, 1.0f, NULL, pool);
      worst_loss = fmax (worst_loss, fabs (loss - losses[k]) / losses[k]);
      if (fabs (loss - losses[k]) > 1e-5 * losses[k])
        g_error ("step %d: loss %.9g where PyTorch has %.9g", k, loss, losses[k]);
      for (int i = 0; i < forced->n_tensors; i++)
        {
          const LkConvAeTensor *t = &forced->tensors[i];
          g_autofree char *name = g_strdup_printf ("step%d.%s", k, t->name);
          g_autofree float *g = read_tensor (grads, name, t->size);
          double rel = max_relative (forced->grads + t->offset, g, t->size);
          if (rel > 5e-5)
            g_error ("step %d: gradient of %s %.3g away from PyTorch's, relative to its largest", k,
                     t->name, rel);
          worst_grad = fmax (worst_grad, rel);
          memcpy (forced->grads + t->offset, g, t->size * sizeof (float));
        }
      lk_conv_ae_update (forced, (float) lr, (float) wd, pool);

      /* free-running */
      load_batch (run2, init, k, B, S, target);
      lk_conv_ae_zero_grad (free_run);
      loss = lk_conv_ae_forward (run2, B, target, pool);
      lk_conv_ae_backward (run2, target, 1.0f, NULL, pool);
      lk_conv_ae_update (free_run, (float) lr, (float) wd, pool);
      worst_free_loss = fmax (worst_free_loss, fabs (loss - losses[k]) / losses[k]);
      if (fabs (loss - losses[k]) > 1e-4 * losses[k])
        g_error ("free run, step %d: loss %.9g where PyTorch has %.9g", k, loss, losses[k]);
    }
  for (int i = 0; i < forced->n_tensors; i++)
    {
      const LkConvAeTensor *t = &forced->tensors[i];
      g_autofree float *w = read_tensor (expected, t->name, t->size);
      double rel = max_relative (forced->params + t->offset, w, t->size);
      if (rel > 1e-4)
        g_error ("%s after %d steps: %.3g away from PyTorch's, relative to its largest", t->name,
                 steps, rel);
      worst_param = fmax (worst_param, rel);
      rel = max_relative (free_run->params + t->offset, w, t->size);
      if (rel > 1e-4)
        g_error ("free run: %s after %d steps: %.3g away from PyTorch's, relative to its largest",
                 t->name, steps, rel);
      free_param = fmax (free_param, rel);
    }
  g_test_message ("%d steps at %d pixels: teacher-forced losses within %.2g, gradients within "
                  "%.2g, parameters within %.2g of PyTorch's; free-running losses within %.2g, "
                  "parameters within %.2g",
                  steps, S, worst_loss, worst_grad, worst_param, worst_free_loss, free_param);
  nn_pool_free (pool);
}

/* ---------------------------------------------------------------------------------------------- */
/* Generated photos                                                                                */
/* ---------------------------------------------------------------------------------------------- */

/* A folder of @n small PPM photos in 3 kinds (a red disc, a green bar, a blue ring) at random
 * places and sizes, with one that is not an image. Returns: (transfer full) its path. */
static char *
make_photos (int n, int side, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  char *dir = g_dir_make_tmp ("lk-convae-XXXXXX", &error);
  g_autofree guint8 *pixels = g_new (guint8, (gsize) side * side * 3);

  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      int kind = i % 3;
      double cx = g_rand_double_range (rng, 0.3, 0.7) * side;
      double cy = g_rand_double_range (rng, 0.3, 0.7) * side;
      double r = g_rand_double_range (rng, 0.15, 0.3) * side;
      g_autofree char *folder = g_build_filename (dir,
                                                  kind == 0   ? "disc"
                                                  : kind == 1 ? "bar"
                                                              : "ring",
                                                  NULL);
      g_autofree char *name = g_strdup_printf ("%03d.ppm", i);
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autofree char *header = g_strdup_printf ("P6\n%d %d\n255\n", side, side);
      GString *file = g_string_new (header);

      g_mkdir_with_parents (folder, 0755);
      for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
          {
            double d = hypot (x - cx, y - cy);
            gboolean in = kind == 0   ? d < r
                          : kind == 1 ? fabs (x - cx) < r && fabs (y - cy) < r / 3
                                      : fabs (d - r) < r / 4;
            guint8 *p = pixels + ((gsize) y * side + x) * 3;
            p[0] = p[1] = p[2] = 235;
            if (in)
              {
                p[0] = kind == 0 ? 200 : 30;
                p[1] = kind == 1 ? 180 : 40;
                p[2] = kind == 2 ? 210 : 50;
              }
          }
      g_string_append_len (file, (const char *) pixels, (gssize) side * side * 3);
      g_assert_true (g_file_set_contents (path, file->str, (gssize) file->len, NULL));
      g_string_free (file, TRUE);
    }
  {
    g_autofree char *broken = g_build_filename (dir, "disc", "broken.jpg", NULL);
    g_assert_true (g_file_set_contents (broken, "\xff\xd8\xff\xe0 not really", -1, NULL));
  }
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

typedef struct
{
  char *photos;
  char *work;
  char *db;
  LkCatalog *catalog;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  f->photos = make_photos (36, 40, 7);
  f->work = g_dir_make_tmp ("lk-convae-db-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->work, "c.db", NULL);
  f->catalog = lk_catalog_open (f->db, f->photos, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  (void) data;
  lk_catalog_close (f->catalog);
  remove_tree (f->photos);
  remove_tree (f->work);
  g_free (f->photos);
  g_free (f->work);
  g_free (f->db);
}

static LkTrainParams
small_params (void)
{
  LkTrainParams p = lk_train_default_params ();
  p.input_size = 16;
  p.latent = 8;
  p.epochs = 20;
  p.batch = 8;
  p.n_threads = 2;
  return p;
}

static gboolean
files_equal_tensors (const char *a, const char *b)
{
  g_autoptr (LkConvAe) ma = lk_conv_ae_file_load (a, NULL, NULL, NULL);
  g_autoptr (LkConvAe) mb = lk_conv_ae_file_load (b, NULL, NULL, NULL);

  g_assert_nonnull (ma);
  g_assert_nonnull (mb);
  return ma->n_params == mb->n_params
         && memcmp (ma->params, mb->params, ma->n_params * sizeof (float)) == 0;
}

static void
test_training_lowers_the_loss (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkTrainSummary) summary = NULL;
  g_autoptr (LkTrainSummary) again = NULL;
  g_autofree char *second = g_build_filename (f->work, "second.safetensors", NULL);
  LkTrainParams p = small_params ();
  double first, last;

  (void) data;
  g_assert_true (lk_catalog_train (f->catalog, &p, NULL, NULL, &summary, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (summary->epochs, ==, p.epochs);
  g_assert_cmpuint (summary->n_train + summary->n_val, ==, 36);
  g_assert_cmpuint (summary->n_val, >=, 1);
  g_assert_cmpuint (summary->failures->len, ==, 1);
  g_assert_cmpstr (((LkIndexFailure *) summary->failures->pdata[0])->path, ==, "disc/broken.jpg");
  first = g_array_index (summary->train_loss, double, 0);
  last = g_array_index (summary->train_loss, double, p.epochs - 1);
  g_test_message ("training loss %.5f → %.5f, validation %.5f → %.5f", first, last,
                  g_array_index (summary->val_loss, double, 0),
                  g_array_index (summary->val_loss, double, p.epochs - 1));
  g_assert_cmpfloat (last, <, 0.8 * first);
  g_assert_cmpfloat (g_array_index (summary->val_loss, double, p.epochs - 1), <,
                     g_array_index (summary->val_loss, double, 0));
  g_assert_true (g_file_test (summary->model_path, G_FILE_TEST_IS_REGULAR));

  /* the same seed, photos and threads: the same network, bit for bit */
  p.output = second;
  g_assert_true (lk_catalog_train (f->catalog, &p, NULL, NULL, &again, NULL, &error));
  g_assert_true (files_equal_tensors (summary->model_path, second));
  for (guint i = 0; i < summary->train_loss->len; i++)
    g_assert_cmpfloat (g_array_index (summary->train_loss, double, i), ==,
                       g_array_index (again->train_loss, double, i));
  /* and another seed, another one */
  p.seed = 2;
  g_clear_pointer (&again, lk_train_summary_free);
  g_assert_true (lk_catalog_train (f->catalog, &p, NULL, NULL, &again, NULL, &error));
  g_assert_false (files_equal_tensors (summary->model_path, second));
}

typedef struct
{
  guint64 steps_seen; /* step losses received */
  guint64 last_done;
  gboolean gap; /* a report's step losses did not continue the previous one's */
  guint sample_reports, epoch_reports;
  guint8 *first_samples;
  double first_error, last_error; /* mean |reconstruction − sample| of the first and last */
  gboolean samples_changed;
  double last_step_loss;
} SampleWatch;

static void
watch_samples (const LkTrainProgress *p, gpointer data)
{
  SampleWatch *w = data;

  if (p->phase != LK_TRAIN_TRAINING)
    return;
  if (p->n_step_losses)
    {
      if (p->done - p->n_step_losses != w->last_done)
        w->gap = TRUE;
      w->steps_seen += p->n_step_losses;
      w->last_done = p->done;
      w->last_step_loss = p->step_losses[p->n_step_losses - 1];
    }
  if (p->epoch_finished)
    w->epoch_reports++;
  if (p->samples)
    {
      gsize n = (gsize) p->n_samples * p->sample_size * p->sample_size * 3;
      double sum = 0;

      g_assert_true (p->epoch_finished || p->done == 0);
      g_assert_cmpint (p->sample_size, ==, 16);
      for (gsize i = 0; i < n; i++)
        sum += abs ((int) p->samples[i] - (int) p->reconstructions[i]);
      if (!w->sample_reports++)
        {
          g_assert_cmpuint (p->done, ==, 0);
          w->first_samples = g_memdup2 (p->samples, n);
          w->first_error = sum / n;
        }
      else if (memcmp (w->first_samples, p->samples, n) != 0)
        w->samples_changed = TRUE;
      w->last_error = sum / n;
    }
}

/* the progress shows every step's loss once, and fixed validation photos reconstructed better and
 * better; watching changes nothing in what is learnt */
static void
test_progress_shows_steps_and_samples (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkTrainSummary) summary = NULL, plain = NULL;
  g_autofree char *second = g_build_filename (f->work, "plain.safetensors", NULL);
  LkTrainParams p = small_params ();
  SampleWatch w = { 0 };

  (void) data;
  p.n_samples = 4;
  p.epochs = 12;
  g_assert_true (lk_catalog_train (f->catalog, &p, watch_samples, &w, &summary, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (w.gap);
  /* 36 photos less the broken one, a tenth held out, in batches of 8 */
  g_assert_cmpuint (w.steps_seen, ==, (guint64) p.epochs * ((summary->n_train + 7) / 8));
  g_assert_cmpuint (w.epoch_reports, ==, p.epochs);
  g_assert_cmpuint (w.sample_reports, ==, p.epochs + 1);
  g_assert_false (w.samples_changed);
  g_test_message ("reconstruction error %.1f → %.1f of 255", w.first_error, w.last_error);
  g_assert_cmpfloat (w.last_error, <, 0.7 * w.first_error);
  g_free (w.first_samples);

  p.n_samples = 0;
  p.output = second;
  g_assert_true (lk_catalog_train (f->catalog, &p, NULL, NULL, &plain, NULL, &error));
  g_assert_true (files_equal_tensors (summary->model_path, second));
}

/* save → load → embed gives the codes the trained network makes of the cached pixels */
static void
test_saved_model_embeds_as_trained (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkTrainSummary) summary = NULL;
  g_autoptr (LkEmbedder) embedder = NULL, again = NULL;
  g_autoptr (LkEmbedderState) state = NULL, state2 = NULL;
  g_autoptr (LkImage) image = NULL;
  g_autoptr (LkConvAe) model = NULL;
  g_autoptr (LkConvAeRun) run = NULL;
  g_autoptr (LkConvAeInfo) info = NULL;
  g_autofree char *photo = g_build_filename (f->photos, "ring", "005.ppm", NULL);
  g_autofree char *model_path = lk_catalog_get_model_path (f->catalog, LK_BACKEND_CONV_AE);
  float a[8], b[8];
  LkTrainParams p = small_params ();

  (void) data;
  p.epochs = 2;
  g_assert_true (lk_catalog_train (f->catalog, &p, NULL, NULL, &summary, NULL, &error));
  g_assert_cmpstr (summary->model_path, ==, model_path);
  g_assert_true (g_str_has_suffix (model_path, "c.db.conv-ae.safetensors"));

  embedder = lk_embedder_new_conv_ae (model_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lk_embedder_get_dim (embedder), ==, 8);
  g_assert_cmpint (lk_embedder_get_backend (embedder), ==, LK_BACKEND_CONV_AE);
  g_assert_cmpint (lk_embedder_get_identity (embedder)->input_size, ==, 16);
  state = lk_embedder_state_new (embedder, 1, 4, &error);
  g_assert_no_error (error);
  image = lk_image_decode_file (photo, lk_embedder_get_decode_params (embedder), &error);
  g_assert_no_error (error);
  g_assert_true (lk_embedder_embed_image (state, image, a, &error));

  /* a second load, another thread count and batch: the same vector */
  again = lk_embedder_new_conv_ae (model_path, &error);
  state2 = lk_embedder_state_new (again, 2, 3, &error);
  g_assert_true (lk_embedder_state_prepare (state2, 0, image, &error));
  g_assert_true (lk_embedder_state_prepare (state2, 1, image, &error));
  g_assert_true (lk_embedder_state_embed (state2, 2, (float[16]){ 0 }, NULL, &error));
  g_assert_true (lk_embedder_embed_image (state2, image, b, &error));
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  /* the model's own forward pass on the same pixels */
  model = lk_conv_ae_file_load (model_path, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->epochs, ==, 2);
  g_assert_cmpuint (info->train_loss->len, ==, 2);
  g_assert_cmpstr (info->catalog_root, ==, lk_catalog_get_root (f->catalog));
  run = lk_conv_ae_run_new (model, 1, FALSE, 1);
  {
    g_autoptr (LkImage) small = lk_image_resample (image, info->preprocess, 16, &error);
    const float *z;
    lk_conv_ae_set_input (run, 1, 0, small->pixels);
    z = lk_conv_ae_encode (run, 1, NULL);
    for (int i = 0; i < 8; i++)
      g_assert_cmpfloat (fabsf (z[i] - a[i]), <=, 1e-5f * fmaxf (1.0f, fabsf (a[i])));
  }
}

typedef struct
{
  GCancellable *cancellable;
  int cancel_after_epoch;
  int epochs_seen;
  guint64 steps_seen;
  guint64 step_losses, saving_done; /* losses reported in all, and the steps taken by the end */
  gboolean loading_seen, saving_seen;
} Watch;

static void
watch_progress (const LkTrainProgress *p, gpointer data)
{
  Watch *w = data;

  if (p->phase == LK_TRAIN_LOADING)
    w->loading_seen = TRUE;
  w->step_losses += p->n_step_losses;
  if (p->phase == LK_TRAIN_SAVING)
    {
      w->saving_seen = TRUE;
      w->saving_done = p->done;
    }
  if (p->phase != LK_TRAIN_TRAINING)
    return;
  g_assert_cmpuint (p->done, <=, p->total);
  g_assert_cmpfloat (p->epoch_position, >, p->epoch - 1);
  g_assert_cmpfloat (p->epoch_position, <=, p->epoch);
  w->steps_seen = MAX (w->steps_seen, p->done);
  if (p->epoch_finished)
    {
      w->epochs_seen++;
      g_assert_true (isfinite (p->val_loss));
      if (w->epochs_seen == w->cancel_after_epoch)
        g_cancellable_cancel (w->cancellable);
    }
}

static void
test_cancel_keeps_the_best_model (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkTrainSummary) summary = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (LkEmbedder) embedder = NULL;
  g_autofree char *model_path = lk_catalog_get_model_path (f->catalog, LK_BACKEND_CONV_AE);
  Watch w = { .cancellable = cancellable, .cancel_after_epoch = 2 };
  LkTrainParams p = small_params ();

  (void) data;
  p.epochs = 50;
  g_assert_true (
    lk_catalog_train (f->catalog, &p, watch_progress, &w, &summary, cancellable, &error));
  g_assert_no_error (error);
  g_assert_true (summary->cancelled);
  g_assert_cmpint (summary->epochs, ==, 2);
  g_assert_cmpint (summary->best_epoch, >=, 1);
  g_assert_true (w.loading_seen && w.saving_seen);
  g_assert_cmpuint (w.steps_seen, >=, 2 * 4);
  /* every step taken, its loss reported once, the last ones with the saving */
  g_assert_cmpuint (w.step_losses, ==, w.saving_done);
  g_assert_cmpuint (w.saving_done, >=, w.steps_seen);
  embedder = lk_embedder_new_conv_ae (model_path, &error);
  g_assert_no_error (error);

  /* cancelled before an epoch ends: an error, and the model already there is left alone */
  {
    g_autoptr (GCancellable) now = g_cancellable_new ();
    g_autofree char *before = NULL, *after = NULL;
    gsize len_before, len_after;
    g_assert_true (g_file_get_contents (model_path, &before, &len_before, NULL));
    g_cancellable_cancel (now);
    g_assert_false (lk_catalog_train (f->catalog, &p, NULL, NULL, NULL, now, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_true (g_file_get_contents (model_path, &after, &len_after, NULL));
    g_assert_cmpmem (before, len_before, after, len_after);
  }
}

static void
test_too_few_photos (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *photos = make_photos (1, 20, 3);
  g_autofree char *work = g_dir_make_tmp ("lk-convae-db-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (work, "tiny.db", NULL);
  g_autofree char *model_path = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open (db, photos, &error);
  LkTrainParams p = small_params ();

  g_assert_no_error (error);
  g_assert_false (lk_catalog_train (catalog, &p, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "tiny.db: 1 readable photo under"));
  g_assert_nonnull (strstr (error->message, "at least 2"));
  model_path = lk_catalog_get_model_path (catalog, LK_BACKEND_CONV_AE);
  g_assert_false (g_file_test (model_path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&catalog, lk_catalog_close);
  remove_tree (photos);
  remove_tree (work);
}

static void
test_params_out_of_range (void)
{
  static const struct
  {
    int field;
    double value;
    const char *message;
  } cases[] = {
    { 0, 12, "input size 12 is outside 16–256" },
    { 0, 30, "input size 30 is not a multiple of 4" },
    { 1, 0, "latent size 0 is outside 2–1024" },
    { 2, 0, "epochs 0 is outside 1–10000" },
    { 3, 0, "batch size 0 is outside 1–1024" },
    { 4, 0, "learning rate 0 is outside 0–1" },
    { 5, 1.5, "denoising strength 1.5 is outside 0–1" },
    { 6, 65, "samples 65 is outside 0–64" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      LkTrainParams p = lk_train_default_params ();
      switch (cases[i].field)
        {
        case 0:
          p.input_size = (int) cases[i].value;
          break;
        case 1:
          p.latent = (int) cases[i].value;
          break;
        case 2:
          p.epochs = (int) cases[i].value;
          break;
        case 3:
          p.batch = (int) cases[i].value;
          break;
        case 4:
          p.learning_rate = cases[i].value;
          break;
        case 5:
          p.denoise = cases[i].value;
          break;
        case 6:
          p.n_samples = (int) cases[i].value;
          break;
        }
      g_assert_false (lk_train_params_check (&p, &error));
      g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
  {
    LkTrainParams p = lk_train_default_params ();
    g_assert_true (lk_train_params_check (&p, NULL));
    p.input_size = 28; /* two stages */
    g_assert_true (lk_train_params_check (&p, NULL));
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Broken model files                                                                              */
/* ---------------------------------------------------------------------------------------------- */

/* a saved model with one metadata value replaced (NULL: removed) or one tensor's shape changed */
static char *
model_with_latent (const char *dir, const char *name, int latent, const char *key,
                   const char *value, gboolean drop_tensor, const char *metadata_from)
{
  LkConvAeConfig config = lk_conv_ae_config_default (16, latent);
  g_autoptr (LkConvAe) model = lk_conv_ae_new (&config, NULL);
  g_autoptr (LkConvAeInfo) info = lk_conv_ae_info_new ();
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  lk_conv_ae_init (model, 3);
  info->config = config;
  info->batch = 8;
  g_assert_true (lk_conv_ae_file_save (path, model, info, &error));
  if (key || drop_tensor || metadata_from)
    {
      /* rewrite it through the generic writer with the change */
      g_autoptr (LkSafetensors) st =
        lk_safetensors_open (metadata_from ? metadata_from : path, &error);
      g_autoptr (GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
      static const char *const keys[] = { "format",     "version",  "config",       "architecture",
                                          "preprocess", "training", "catalog_root", "date" };
      LkTensorWrite tensors[LK_CONV_AE_MAX_TENSORS];
      int n = 0;
      for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          const char *v = lk_safetensors_get_metadata (st, keys[i]);
          if (key && strcmp (keys[i], key) == 0)
            v = value;
          if (v)
            g_hash_table_insert (meta, (gpointer) keys[i], (gpointer) v);
        }
      for (int i = 0; i < model->n_tensors; i++)
        {
          if (drop_tensor && i == model->n_tensors - 1)
            continue;
          tensors[n].name = model->tensors[i].name;
          tensors[n].n_dims = model->tensors[i].n_dims;
          memcpy (tensors[n].shape, model->tensors[i].shape, sizeof model->tensors[i].shape);
          tensors[n].data = model->params + model->tensors[i].offset;
          n++;
        }
      g_assert_true (lk_safetensors_write (path, tensors, n, meta, &error));
    }
  return g_steal_pointer (&path);
}

static char *
model_with (const char *dir, const char *name, const char *key, const char *value,
            gboolean drop_tensor)
{
  return model_with_latent (dir, name, 8, key, value, drop_tensor, NULL);
}

static void
assert_refused (const char *path, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkEmbedder) embedder = lk_embedder_new_conv_ae (path, &error);
  g_autofree char *base = g_path_get_basename (path);

  g_assert_null (embedder);
  g_assert_nonnull (error);
  if (!g_str_has_prefix (error->message, base) || !strstr (error->message, expected))
    g_error ("%s: expected “%s” in “%s”", base, expected, error->message);
}

static void
test_broken_model_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("lk-convae-bad-XXXXXX", NULL);
  g_autofree char *good = model_with (dir, "good.safetensors", NULL, NULL, FALSE);
  g_autofree char *bytes = NULL;
  gsize length;

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (LkEmbedder) embedder = lk_embedder_new_conv_ae (good, &error);
    g_assert_no_error (error);
  }
  g_assert_true (g_file_get_contents (good, &bytes, &length, NULL));
  {
    g_autofree char *cut = g_build_filename (dir, "cut.safetensors", NULL);
    g_assert_true (g_file_set_contents (cut, bytes, (gssize) (length - 100), NULL));
    assert_refused (cut, "");
    g_autofree char *garbage = g_build_filename (dir, "garbage.safetensors", NULL);
    g_assert_true (
      g_file_set_contents (garbage, "\x10\0\0\0\0\0\0\0{\"a\":1}xxxxxxxxxx", 26, NULL));
    assert_refused (garbage, "");
    g_autofree char *empty = g_build_filename (dir, "empty.safetensors", NULL);
    g_assert_true (g_file_set_contents (empty, "", 0, NULL));
    assert_refused (empty, "");
  }
  {
    g_autofree char *p1 = model_with (dir, "no-format.safetensors", "format", NULL, FALSE);
    g_autofree char *p2 = model_with (dir, "future.safetensors", "version", "9", FALSE);
    g_autofree char *nine = model_with_latent (dir, "nine.safetensors", 9, NULL, NULL, FALSE, NULL);
    g_autofree char *p3 = model_with_latent (dir, "config.safetensors", 8, NULL, NULL, FALSE, nine);
    g_autofree char *p3b = model_with (dir, "config-only.safetensors", "config",
                                       "{\"channels\":3,\"input_size\":16,\"latent\":9,"
                                       "\"slope\":0.2,\"stages\":3,\"widths\":[32,64,128]}",
                                       FALSE);
    g_autofree char *p4 = model_with (dir, "bad-config.safetensors", "config", "[1,2]", FALSE);
    g_autofree char *p5 =
      model_with (dir, "huge.safetensors", "config",
                  "{\"channels\":3,\"input_size\":4096,\"latent\":8,\"slope\":0.2,"
                  "\"stages\":3,\"widths\":[32,64,128]}",
                  FALSE);
    g_autofree char *p6 = model_with (dir, "arch.safetensors", "architecture", "[]", FALSE);
    g_autofree char *p7 = model_with (dir, "missing.safetensors", NULL, NULL, TRUE);
    g_autofree char *p8 = model_with (dir, "training.safetensors", "training", "{}", FALSE);
    assert_refused (p1, "not a Lookalike autoencoder (no \"format\"");
    assert_refused (p2, "an autoencoder of version 9");
    assert_refused (p3, "tensor to_latent.weight has shape [8, 512], expected [9, 512]");
    assert_refused (p3b, "its \"architecture\" is not the network its \"config\" describes");
    assert_refused (p4, "no valid \"config\"");
    assert_refused (p5, "cannot be built");
    assert_refused (p6, "its \"architecture\" is not the network its \"config\" describes");
    assert_refused (p7, "holds 15 tensors where the autoencoder its metadata describes has 16");
    assert_refused (p8, "no valid \"training\" record");
  }
  remove_tree (dir);
}

/* the invariance term's gradient against finite differences */
static void
test_invariance_gradient (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  enum
  {
    B = 3,
    L = 7
  };
  float z[2 * B * L], dz[2 * B * L], scratch[2 * B * L];

  for (int i = 0; i < 2 * B * L; i++)
    z[i] = (float) g_rand_double_range (rng, -1, 1);
  double loss = lk_conv_ae_invariance_loss (dz, z, B, L, 0.7f);
  g_assert_cmpfloat (loss, >, 0);
  for (int i = 0; i < 2 * B * L; i++)
    {
      float saved = z[i];
      double plus, minus;
      z[i] = saved + 1e-3f;
      plus = lk_conv_ae_invariance_loss (scratch, z, B, L, 0.7f);
      z[i] = saved - 1e-3f;
      minus = lk_conv_ae_invariance_loss (scratch, z, B, L, 0.7f);
      z[i] = saved;
      double numeric = (plus - minus) / 2e-3;
      if (fabs (numeric - dz[i]) > 1e-3 * fmax (fabs (numeric), 1e-2))
        g_error ("dz[%d]: %.6g, finite difference %.6g", i, dz[i], numeric);
    }
  /* identical views: no loss */
  memcpy (z + B * L, z, sizeof (float) * B * L);
  g_assert_cmpfloat (fabs (lk_conv_ae_invariance_loss (dz, z, B, L, 0.7f)), <, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  nn_blas_init ();
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *base = g_path_get_basename (argv[i]);
      g_autofree char *name = g_strdup_printf ("/engine/convae/torch-cross-check/%s", base);
      g_test_add_data_func_full (name, g_strdup (argv[i]), test_torch_cross_check, g_free);
    }
  g_test_add_func ("/engine/convae/params-out-of-range", test_params_out_of_range);
  g_test_add_func ("/engine/convae/invariance-gradient", test_invariance_gradient);
  g_test_add_func ("/engine/convae/broken-model-files", test_broken_model_files);
  g_test_add_func ("/engine/convae/too-few-photos", test_too_few_photos);
  g_test_add ("/engine/convae/training-lowers-the-loss", Fixture, NULL, fixture_set_up,
              test_training_lowers_the_loss, fixture_tear_down);
  g_test_add ("/engine/convae/saved-model-embeds-as-trained", Fixture, NULL, fixture_set_up,
              test_saved_model_embeds_as_trained, fixture_tear_down);
  g_test_add ("/engine/convae/cancel-keeps-the-best-model", Fixture, NULL, fixture_set_up,
              test_cancel_keeps_the_best_model, fixture_tear_down);
  g_test_add ("/engine/convae/progress-shows-steps-and-samples", Fixture, NULL, fixture_set_up,
              test_progress_shows_steps_and_samples, fixture_tear_down);
  return g_test_run ();
}
