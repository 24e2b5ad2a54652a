/* lk-resnet.c: torchvision's ResNet-18, -34, -50, -101 and -152 as feature extractors.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exactly torchvision.models.resnet: a 7×7 stride-2 stem, 3×3 stride-2 max pooling, four stages of
 * BasicBlocks (18, 34) or Bottlenecks (50, 101, 152; "ResNet v1.5": the stride sits on the 3×3
 * convolution), each block's first one downsampling through a 1×1 convolution when the shape
 * changes. The feature is the global average pool of the last stage (512 or 2048 values); the
 * classifier (fc) is not loaded. BatchNorm is folded into the convolutions at load time.
 */
#define G_LOG_DOMAIN "lk-resnet"

#include "lk-model-private.h"

#include <string.h>

typedef struct
{
  NnConv conv1, conv2, conv3; /* conv3 only in Bottlenecks */
  NnConv down;
  gboolean has_down;
} Block;

typedef struct
{
  gboolean bottleneck;
  int n_blocks[4];
  NnConv stem;
  Block *blocks; /* n_blocks[0] + … + n_blocks[3] */
  GPtrArray *owned;
} Resnet;

typedef struct
{
  const char *name;
  gboolean bottleneck;
  int n_blocks[4];
} Variant;

static const Variant variants[] = {
  { "resnet18", FALSE, { 2, 2, 2, 2 } },  { "resnet34", FALSE, { 3, 4, 6, 3 } },
  { "resnet50", TRUE, { 3, 4, 6, 3 } },   { "resnet101", TRUE, { 3, 4, 23, 3 } },
  { "resnet152", TRUE, { 3, 8, 36, 3 } },
};

/* Activation buffers (LK_EXEC_INPUT is 0) */
enum
{
  BUF_X = 1, /* block input; the block's output lands in whichever buffer held the residual */
  BUF_T1,
  BUF_T2,
  BUF_D, /* downsampled residual */
};

static gboolean
resnet_forward (const void *data, LkExec *e, int B, int S, float *out, GError **error)
{
  const Resnet *net = data;
  int H = S, W = S, C = 64;
  int x = BUF_X, d = BUF_D;
  const Block *block = net->blocks;

  lk_exec_conv (e, &net->stem, BUF_T1, 0, LK_EXEC_INPUT, -1, B, &H, &W, TRUE);
  lk_exec_maxpool (e, x, BUF_T1, 64, B, &H, &W, 3, 2, 1, FALSE);

  for (int stage = 0; stage < 4; stage++)
    for (int i = 0; i < net->n_blocks[stage]; i++, block++)
      {
        int h = H, w = W, res = x;

        if (!lk_exec_check (e, error))
          return FALSE;
        if (block->has_down)
          {
            int hd = H, wd = W;
            lk_exec_conv (e, &block->down, d, 0, x, -1, B, &hd, &wd, FALSE);
            res = d;
          }
        lk_exec_conv (e, &block->conv1, BUF_T1, 0, x, -1, B, &h, &w, TRUE);
        if (net->bottleneck)
          {
            lk_exec_conv (e, &block->conv2, BUF_T2, 0, BUF_T1, -1, B, &h, &w, TRUE);
            lk_exec_conv (e, &block->conv3, res, 0, BUF_T2, res, B, &h, &w, TRUE);
            C = block->conv3.c_out;
          }
        else
          {
            lk_exec_conv (e, &block->conv2, res, 0, BUF_T1, res, B, &h, &w, TRUE);
            C = block->conv2.c_out;
          }
        /* the output overwrote the residual in place: that buffer is the next block's input */
        if (res == d)
          d = x, x = res;
        H = h, W = w;
      }

  lk_exec_global_avgpool (e, out, x, C, B, H, W);
  return lk_exec_check (e, error);
}

static void
resnet_free (void *data)
{
  Resnet *net = data;
  int n = 0;

  if (!net)
    return;
  for (int s = 0; s < 4; s++)
    n += net->n_blocks[s];
  nn_conv_clear (&net->stem);
  for (int i = 0; net->blocks && i < n; i++)
    {
      nn_conv_clear (&net->blocks[i].conv1);
      nn_conv_clear (&net->blocks[i].conv2);
      nn_conv_clear (&net->blocks[i].conv3);
      nn_conv_clear (&net->blocks[i].down);
    }
  g_free (net->blocks);
  if (net->owned)
    g_ptr_array_unref (net->owned);
  g_free (net);
}

static const LkNetClass resnet_classes[] = {
  { "resnet18", 512, resnet_forward, resnet_free },
  { "resnet34", 512, resnet_forward, resnet_free },
  { "resnet50", 2048, resnet_forward, resnet_free },
  { "resnet101", 2048, resnet_forward, resnet_free },
  { "resnet152", 2048, resnet_forward, resnet_free },
};

gboolean
lk_resnet_detect (const LkTensorSource *source)
{
  return lk_tensor_source_has (source, "conv1.weight")
         && lk_tensor_source_has (source, "layer1.0.conv1.weight");
}

static int
count_blocks (const LkTensorSource *source, int stage)
{
  int n = 0;

  for (;; n++)
    {
      g_autofree char *name = g_strdup_printf ("layer%d.%d.conv1.weight", stage + 1, n);
      if (!lk_tensor_source_has (source, name))
        return n;
    }
}

static gboolean
load_block (const LkTensorSource *source, Resnet *net, Block *block, int stage, int index, int c_in,
            int width, int stride, GError **error)
{
  g_autofree char *p = g_strdup_printf ("layer%d.%d", stage + 1, index);
  g_autofree char *c1 = g_strconcat (p, ".conv1", NULL), *b1 = g_strconcat (p, ".bn1", NULL);
  g_autofree char *c2 = g_strconcat (p, ".conv2", NULL), *b2 = g_strconcat (p, ".bn2", NULL);
  g_autofree char *c3 = g_strconcat (p, ".conv3", NULL), *b3 = g_strconcat (p, ".bn3", NULL);
  g_autofree char *dc = g_strconcat (p, ".downsample.0", NULL);
  g_autofree char *db = g_strconcat (p, ".downsample.1", NULL);
  int c_out = net->bottleneck ? width * 4 : width;

  if (net->bottleneck)
    {
      if (!lk_load_conv (source, net->owned, &block->conv1, c1, b1, c_in, width, 1, 1, 0, error)
          || !lk_load_conv (source, net->owned, &block->conv2, c2, b2, width, width, 3, stride, 1,
                            error)
          || !lk_load_conv (source, net->owned, &block->conv3, c3, b3, width, c_out, 1, 1, 0,
                            error))
        return FALSE;
    }
  else if (!lk_load_conv (source, net->owned, &block->conv1, c1, b1, c_in, width, 3, stride, 1,
                          error)
           || !lk_load_conv (source, net->owned, &block->conv2, c2, b2, width, width, 3, 1, 1,
                             error))
    return FALSE;

  block->has_down = stride != 1 || c_in != c_out;
  if (block->has_down)
    return lk_load_conv (source, net->owned, &block->down, dc, db, c_in, c_out, 1, stride, 0,
                         error);

  g_autofree char *stray = g_strconcat (dc, ".weight", NULL);
  if (lk_tensor_source_has (source, stray))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s is not part of a torchvision ResNet", source->name, stray);
      return FALSE;
    }
  return TRUE;
}

void *
lk_resnet_load (const LkTensorSource *source, const LkNetClass **klass, GError **error)
{
  int counts[4];
  const Variant *variant = NULL;
  gboolean bottleneck = lk_tensor_source_has (source, "layer1.0.conv3.weight");

  for (int s = 0; s < 4; s++)
    counts[s] = count_blocks (source, s);
  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    if (variants[i].bottleneck == bottleneck
        && memcmp (variants[i].n_blocks, counts, sizeof counts) == 0)
      {
        variant = &variants[i];
        *klass = &resnet_classes[i];
      }
  if (!variant)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: a ResNet with %s blocks %d-%d-%d-%d is none of ResNet-18/34/50/101/152",
                   source->name, bottleneck ? "bottleneck" : "basic", counts[0], counts[1],
                   counts[2], counts[3]);
      return NULL;
    }

  Resnet *net = g_new0 (Resnet, 1);
  int total = 0, c_in = 64;
  net->bottleneck = bottleneck;
  memcpy (net->n_blocks, variant->n_blocks, sizeof net->n_blocks);
  for (int s = 0; s < 4; s++)
    total += net->n_blocks[s];
  net->blocks = g_new0 (Block, total);
  net->owned = g_ptr_array_new_with_free_func (g_free);

  if (!lk_load_conv (source, net->owned, &net->stem, "conv1", "bn1", 3, 64, 7, 2, 3, error))
    goto fail;
  Block *block = net->blocks;
  for (int s = 0; s < 4; s++)
    {
      int width = 64 << s;
      for (int i = 0; i < net->n_blocks[s]; i++, block++)
        {
          int stride = s > 0 && i == 0 ? 2 : 1;
          if (!load_block (source, net, block, s, i, c_in, width, stride, error))
            goto fail;
          c_in = bottleneck ? width * 4 : width;
        }
    }
  return net;

fail:
  resnet_free (net);
  return NULL;
}
