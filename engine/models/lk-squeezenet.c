/* lk-squeezenet.c: torchvision's SqueezeNet 1.1 as a feature extractor.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * torchvision.models.squeezenet1_1().features: a 3×3 stride-2 convolution, then Fire modules
 * between ceil-mode 3×3 stride-2 max poolings. A Fire module squeezes with a 1×1 convolution and
 * expands with a 1×1 and a 3×3 convolution whose outputs are concatenated along channels; in the
 * (C, B, H, W) layout each expansion simply writes its half of the output buffer. The feature is the
 * global average pool of features (512 values); the classifier is not loaded.
 */
#define G_LOG_DOMAIN "lk-squeezenet"

#include "lk-model-private.h"

typedef struct
{
  NnConv squeeze, expand1, expand3;
} Fire;

enum
{
  N_FIRES = 8,
};

typedef struct
{
  NnConv stem;
  Fire fires[N_FIRES];
  GPtrArray *owned;
} Squeezenet;

/* features.N index, input channels, squeeze and expand widths, and whether a max pool precedes */
static const struct
{
  int index, c_in, squeeze, expand;
  gboolean pool_before;
} fire_shapes[N_FIRES] = {
  { 3, 64, 16, 64, TRUE },     { 4, 128, 16, 64, FALSE },   { 6, 128, 32, 128, TRUE },
  { 7, 256, 32, 128, FALSE },  { 9, 256, 48, 192, TRUE },   { 10, 384, 48, 192, FALSE },
  { 11, 384, 64, 256, FALSE }, { 12, 512, 64, 256, FALSE },
};

enum
{
  BUF_X = 1, /* module input */
  BUF_S,     /* squeezed */
  BUF_Y,     /* module output */
};

static gboolean
squeezenet_forward (const void *data, LkExec *e, int B, int S, float *out, GError **error)
{
  const Squeezenet *net = data;
  int H = S, W = S, C = 64;
  int x = BUF_X, y = BUF_Y;

  lk_exec_conv (e, &net->stem, y, 0, LK_EXEC_INPUT, -1, B, &H, &W, TRUE);
  for (int i = 0; i < N_FIRES; i++)
    {
      const Fire *fire = &net->fires[i];
      int h, w;

      if (!lk_exec_check (e, error))
        return FALSE;
      if (fire_shapes[i].pool_before)
        lk_exec_maxpool (e, x, y, C, B, &H, &W, 3, 2, 0, TRUE);
      else
        {
          int t = x;
          x = y, y = t;
        }
      lk_exec_conv (e, &fire->squeeze, BUF_S, 0, x, -1, B, &H, &W, TRUE);
      h = H, w = W;
      lk_exec_conv (e, &fire->expand1, y, 0, BUF_S, -1, B, &h, &w, TRUE);
      h = H, w = W;
      lk_exec_conv (e, &fire->expand3, y, fire->expand1.c_out, BUF_S, -1, B, &h, &w, TRUE);
      C = fire->expand1.c_out + fire->expand3.c_out;
    }

  lk_exec_global_avgpool (e, out, y, C, B, H, W);
  return lk_exec_check (e, error);
}

static void
squeezenet_free (void *data)
{
  Squeezenet *net = data;

  if (!net)
    return;
  nn_conv_clear (&net->stem);
  for (int i = 0; i < N_FIRES; i++)
    {
      nn_conv_clear (&net->fires[i].squeeze);
      nn_conv_clear (&net->fires[i].expand1);
      nn_conv_clear (&net->fires[i].expand3);
    }
  if (net->owned)
    g_ptr_array_unref (net->owned);
  g_free (net);
}

static const LkNetClass squeezenet_class = {
  "squeezenet1_1",
  512,
  squeezenet_forward,
  squeezenet_free,
};

gboolean
lk_squeezenet_detect (const LkTensorSource *source)
{
  return lk_tensor_source_has (source, "features.0.weight")
         && lk_tensor_source_has (source, "features.3.squeeze.weight");
}

void *
lk_squeezenet_load (const LkTensorSource *source, const LkNetClass **klass, GError **error)
{
  gint64 stem[LK_TENSOR_SOURCE_MAX_DIMS];
  int stem_dims = 0;
  Squeezenet *net;

  /* SqueezeNet 1.0 starts with 96 7×7 filters; say so rather than reporting a shape mismatch */
  if (source->lookup (source->ctx, "features.0.weight", &stem_dims, stem) && stem_dims == 4
      && stem[0] == 96 && stem[2] == 7)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: SqueezeNet 1.0 is not supported, only SqueezeNet 1.1", source->name);
      return NULL;
    }

  net = g_new0 (Squeezenet, 1);
  net->owned = g_ptr_array_new_with_free_func (g_free);
  if (!lk_load_conv (source, net->owned, &net->stem, "features.0", NULL, 3, 64, 3, 2, 0, error))
    goto fail;
  for (int i = 0; i < N_FIRES; i++)
    {
      int n = fire_shapes[i].index, sq = fire_shapes[i].squeeze, ex = fire_shapes[i].expand;
      g_autofree char *ps = g_strdup_printf ("features.%d.squeeze", n);
      g_autofree char *p1 = g_strdup_printf ("features.%d.expand1x1", n);
      g_autofree char *p3 = g_strdup_printf ("features.%d.expand3x3", n);
      Fire *fire = &net->fires[i];

      if (!lk_load_conv (source, net->owned, &fire->squeeze, ps, NULL, fire_shapes[i].c_in, sq, 1,
                         1, 0, error)
          || !lk_load_conv (source, net->owned, &fire->expand1, p1, NULL, sq, ex, 1, 1, 0, error)
          || !lk_load_conv (source, net->owned, &fire->expand3, p3, NULL, sq, ex, 3, 1, 1, error))
        goto fail;
    }
  *klass = &squeezenet_class;
  return net;

fail:
  squeezenet_free (net);
  return NULL;
}
