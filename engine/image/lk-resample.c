/* lk-resample.c: from a decoded photo to the network's square, normalised input.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This is the one file that defines STB_IMAGE_RESIZE_IMPLEMENTATION.
 *
 * Each mode is one stb_image_resize call straight into the output: "fit" resizes into the middle
 * of a canvas filled with the border colour, "center-crop" resizes only the source region that
 * survives the crop (no intermediate 256-pixel image), "stretch" resizes the whole image. Only
 * extreme reductions get a cheap block average first (see resample_rect ()).
 */
#include "lk-image-private.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_image_resize.h>
#pragma GCC diagnostic pop

/* The largest square this module produces; far above any network input, small enough that no
 * size computation overflows. */
#define MAX_OUTPUT_SIZE 16384

/* The one place the resampling filters are chosen, per axis: Mitchell (a mild, ringing-free
 * cubic) where an axis shrinks, Catmull-Rom (interpolating, so an axis kept at its size comes out
 * unchanged) where it grows or stays. Values are filtered as they are, without sRGB
 * linearisation, like PIL and torchvision, and edges are clamped. */
static const stbir_filter downsample_filter = STBIR_FILTER_MITCHELL;
static const stbir_filter upsample_filter = STBIR_FILTER_CATMULLROM;

static stbir_filter
filter_for_scale (double scale)
{
  return scale < 1.0 ? downsample_filter : upsample_filter;
}

const char *
lk_preprocess_to_string (LkPreprocess mode)
{
  switch (mode)
    {
    case LK_PREPROCESS_FIT:
      return "fit";
    case LK_PREPROCESS_CENTER_CROP:
      return "center-crop";
    case LK_PREPROCESS_STRETCH:
      return "stretch";
    default:
      return NULL;
    }
}

gboolean
lk_preprocess_from_string (const char *name, LkPreprocess *mode)
{
  static const LkPreprocess modes[] = {
    LK_PREPROCESS_FIT,
    LK_PREPROCESS_CENTER_CROP,
    LK_PREPROCESS_STRETCH,
  };

  if (name == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (g_str_equal (name, lk_preprocess_to_string (modes[i])))
      {
        if (mode != NULL)
          *mode = modes[i];
        return TRUE;
      }
  return FALSE;
}

/* Python's round () of d / 2 for d >= 0: halves go to the even neighbour. */
static gint64
round_half_to_even_of_half (gint64 d)
{
  gint64 q = d / 2;

  if (d % 2 == 0)
    return q;
  return q % 2 == 0 ? q : q + 1;
}

void
lk_center_crop_geometry (int width, int height, int size, gint64 *resized_width,
                         gint64 *resized_height, gint64 *left, gint64 *top)
{
  /* Resize (round (size × 256 / 224)): 224 -> 256. size × 8 / 7 is never exactly a half. */
  gint64 resize = ((gint64) size * 256 + 112) / 224;
  gint64 rw, rh;

  /* torchvision: the short side becomes @resize, the long one int (resize × long / short). */
  if (width <= height)
    {
      rw = resize;
      rh = resize * height / width;
    }
  else
    {
      rh = resize;
      rw = resize * width / height;
    }

  /* CenterCrop: int (round ((side - size) / 2.0)). */
  *resized_width = rw;
  *resized_height = rh;
  *left = round_half_to_even_of_half (rw - size);
  *top = round_half_to_even_of_half (rh - size);
}

/* stb_image_resize decodes whole input rows into float buffers and keeps filter tables per input
 * pixel, so its time and memory grow with the input times the output: stretching a 1 × 10⁷ strip
 * to 224 × 224 took 35 s and 720 MB, and a 1 × 10⁸ PNG is a 200 KB file. Two steps keep the work
 * in proportion to the output:
 *  - only the window of source pixels the filter can reach is handed to stb (the crop of
 *    center-crop, plus the filter's reach), in place;
 *  - an axis that shrinks more than PRESHRINK_RATIO times is first averaged over whole blocks of
 *    pixels, down to 16-32 times the output, and the filter finishes from there. The blocks are
 *    under a sixteenth of an output pixel, too small to change what the filter makes of them;
 *    it only happens for images over 7168 pixels on a side going to 224. */
#define PRESHRINK_RATIO 32
#define FILTER_REACH    3 /* Mitchell and Catmull-Rom reach 2 filter widths; one more to be safe */

/* Averages blocks of @fx × @fy pixels (fewer at the right and bottom edges) of the window
 * [@x0, @x1) × [@y0, @y1) of @image. */
static LkImage *
box_shrink (const LkImage *image, int x0, int y0, int x1, int y1, int fx, int fy)
{
  int out_w = (x1 - x0 + fx - 1) / fx, out_h = (y1 - y0 + fy - 1) / fy;
  g_autoptr (LkImage) out = lk_image_new (out_w, out_h);
  g_autofree guint64 *sums = NULL;

  if (out == NULL)
    return NULL;
  sums = g_try_new (guint64, 3 * (gsize) out_w);
  if (sums == NULL)
    return NULL;

  for (int oy = 0; oy < out_h; oy++)
    {
      int ya = y0 + oy * fy, yb = MIN (y1, ya + fy);

      memset (sums, 0, 3 * (gsize) out_w * sizeof *sums);
      for (int y = ya; y < yb; y++)
        {
          const guint8 *p = image->pixels + 3 * ((gsize) y * image->width + x0);

          for (int x = 0; x < x1 - x0; x++, p += 3)
            {
              guint64 *sum = sums + 3 * (x / fx);

              sum[0] += p[0], sum[1] += p[1], sum[2] += p[2];
            }
        }
      for (int ox = 0; ox < out_w; ox++)
        {
          guint64 n = (guint64) (MIN (x1 - x0, (ox + 1) * fx) - ox * fx) * (yb - ya);
          guint8 *q = out->pixels + 3 * ((gsize) oy * out_w + ox);

          for (int c = 0; c < 3; c++)
            q[c] = (guint8) ((sums[3 * ox + c] + n / 2) / n);
        }
    }
  return g_steal_pointer (&out);
}

/* Resamples the rectangle [@u0, @u1) × [@v0, @v1) of @image, in source pixels, to @out_w × @out_h
 * pixels at @out with rows @out_stride bytes apart. */
static gboolean
resample_rect (const LkImage *image, double u0, double v0, double u1, double v1, guint8 *out,
               int out_w, int out_h, int out_stride, GError **error)
{
  g_autoptr (LkImage) shrunk = NULL;
  double ratio_x = (u1 - u0) / out_w, ratio_y = (v1 - v0) / out_h;
  double reach_x = FILTER_REACH * MAX (ratio_x, 1.0), reach_y = FILTER_REACH * MAX (ratio_y, 1.0);
  int fx = ratio_x > PRESHRINK_RATIO ? (int) (ratio_x / (PRESHRINK_RATIO / 2)) : 1;
  int fy = ratio_y > PRESHRINK_RATIO ? (int) (ratio_y / (PRESHRINK_RATIO / 2)) : 1;
  int x0 = (int) MAX (0.0, floor (u0 - reach_x)),
      x1 = (int) MIN (image->width, ceil (u1 + reach_x));
  int y0 = (int) MAX (0.0, floor (v0 - reach_y)),
      y1 = (int) MIN (image->height, ceil (v1 + reach_y));
  /* The window, as stb sees it: pixels, size and row stride. */
  const guint8 *pixels = image->pixels + 3 * ((gsize) y0 * image->width + x0);
  int width = x1 - x0, height = y1 - y0, stride = 3 * image->width;

  u0 -= x0, u1 -= x0, v0 -= y0, v1 -= y0;
  if (fx > 1 || fy > 1)
    {
      shrunk = box_shrink (image, x0, y0, x1, y1, fx, fy);
      if (shrunk == NULL)
        goto oom;
      pixels = shrunk->pixels;
      width = shrunk->width, height = shrunk->height, stride = 3 * shrunk->width;
      u0 /= fx, u1 /= fx, v0 /= fy, v1 /= fy;
    }

  if (!stbir_resize_region (pixels, width, height, stride, out, out_w, out_h, out_stride,
                            STBIR_TYPE_UINT8, 3, STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                            STBIR_EDGE_CLAMP, filter_for_scale (1.0 / ratio_x),
                            filter_for_scale (1.0 / ratio_y), STBIR_COLORSPACE_LINEAR, NULL,
                            (float) (u0 / width), (float) (v0 / height), (float) (u1 / width),
                            (float) (v1 / height)))
    goto oom;
  return TRUE;

oom:
  g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "Out of memory resampling a %d×%d image to %d×%d",
               image->width, image->height, out_w, out_h);
  return FALSE;
}

static LkImage *
new_square (int size, GError **error)
{
  LkImage *image = lk_image_new (size, size);

  if (image == NULL)
    g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "Out of memory for a %d×%d image", size, size);
  return image;
}

/* The mean colour of the outermost one-pixel ring, each pixel counted once. */
static void
border_colour (const LkImage *image, guint8 rgb[3])
{
  const int w = image->width, h = image->height;
  guint64 sum[3] = { 0, 0, 0 };
  guint64 n = 0;

  for (int y = 0; y < h; y++)
    {
      gboolean whole_row = y == 0 || y == h - 1;
      int step = whole_row || w == 1 ? 1 : w - 1;

      for (int x = 0; x < w; x += step)
        {
          const guint8 *p = image->pixels + 3 * ((gsize) y * w + x);

          sum[0] += p[0];
          sum[1] += p[1];
          sum[2] += p[2];
          n++;
        }
    }

  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8) ((sum[c] + n / 2) / n);
}

static LkImage *
resample_fit (const LkImage *image, int size, GError **error)
{
  const gint64 w = image->width, h = image->height;
  g_autoptr (LkImage) out = new_square (size, error);
  gint64 new_w, new_h;
  guint8 fill[3];
  gsize offset;

  if (out == NULL)
    return NULL;

  /* The long side becomes @size, the short one keeps the aspect ratio (at least one pixel). */
  if (w >= h)
    {
      new_w = size;
      new_h = MAX (1, (h * size * 2 + w) / (2 * w));
    }
  else
    {
      new_h = size;
      new_w = MAX (1, (w * size * 2 + h) / (2 * h));
    }

  border_colour (image, fill);
  for (gsize i = 0; i < (gsize) size * size; i++)
    memcpy (out->pixels + 3 * i, fill, 3);

  offset = 3 * ((gsize) ((size - new_h) / 2) * size + (gsize) ((size - new_w) / 2));
  if (!resample_rect (image, 0, 0, image->width, image->height, out->pixels + offset, (int) new_w,
                      (int) new_h, 3 * size, error))
    return NULL;
  return g_steal_pointer (&out);
}

static LkImage *
resample_center_crop (const LkImage *image, int size, GError **error)
{
  g_autoptr (LkImage) out = new_square (size, error);
  gint64 rw, rh, left, top;

  if (out == NULL)
    return NULL;

  /* Only the part of the image that survives the crop is resampled, straight to the output; the
   * filter still reads the pixels around that part, as resizing the whole image would. */
  lk_center_crop_geometry (image->width, image->height, size, &rw, &rh, &left, &top);
  if (!resample_rect (image, (double) left * image->width / rw, (double) top * image->height / rh,
                      (double) (left + size) * image->width / rw,
                      (double) (top + size) * image->height / rh, out->pixels, size, size, 3 * size,
                      error))
    return NULL;
  return g_steal_pointer (&out);
}

static LkImage *
resample_stretch (const LkImage *image, int size, GError **error)
{
  g_autoptr (LkImage) out = new_square (size, error);

  if (out == NULL)
    return NULL;
  if (!resample_rect (image, 0, 0, image->width, image->height, out->pixels, size, size, 3 * size,
                      error))
    return NULL;
  return g_steal_pointer (&out);
}

LkImage *
lk_image_resample (const LkImage *image, LkPreprocess mode, int size, GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (image == NULL || image->pixels == NULL || image->width <= 0 || image->height <= 0
      || image->width > INT_MAX / 3)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "Cannot resample an empty image");
      return NULL;
    }
  if (size < 1 || size > MAX_OUTPUT_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "Input size %d is out of range (1 to %d)", size, MAX_OUTPUT_SIZE);
      return NULL;
    }

  /* Already the right size: an exact copy, no filtering. */
  if (image->width == size && image->height == size
      && (mode == LK_PREPROCESS_FIT || mode == LK_PREPROCESS_STRETCH))
    {
      LkImage *copy = new_square (size, error);

      if (copy == NULL)
        return NULL;
      memcpy (copy->pixels, image->pixels, (gsize) 3 * size * size);
      return copy;
    }

  switch (mode)
    {
    case LK_PREPROCESS_FIT:
      return resample_fit (image, size, error);
    case LK_PREPROCESS_CENTER_CROP:
      return resample_center_crop (image, size, error);
    case LK_PREPROCESS_STRETCH:
      return resample_stretch (image, size, error);
    default:
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "Unknown preprocessing mode %d",
                   (int) mode);
      return NULL;
    }
}

LkImage *
lk_image_scale_to_fit (const LkImage *image, int max_side, GError **error)
{
  int longer = MAX (image->width, image->height);
  int w, h;
  LkImage *out;

  if (max_side < 1 || max_side > MAX_OUTPUT_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "size %d is out of range", max_side);
      return NULL;
    }
  if (longer <= max_side)
    {
      out = lk_image_new (image->width, image->height);
      if (out)
        memcpy (out->pixels, image->pixels, (gsize) image->width * image->height * 3);
      return out;
    }
  /* the longer side becomes max_side, the shorter one in proportion (at least a pixel) */
  w = MAX (1, (int) lround ((double) image->width * max_side / longer));
  h = MAX (1, (int) lround ((double) image->height * max_side / longer));
  out = lk_image_new (w, h);
  if (!out)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "out of memory");
      return NULL;
    }
  if (!resample_rect (image, 0, 0, image->width, image->height, out->pixels, w, h, w * 3, error))
    {
      lk_image_free (out);
      return NULL;
    }
  return out;
}

LkNormalization
lk_normalization_imagenet (void)
{
  return (LkNormalization){
    .mean = { 0.485f, 0.456f, 0.406f },
    .std = { 0.229f, 0.224f, 0.225f },
  };
}

void
lk_image_to_tensor (const LkImage *image, const LkNormalization *norm, float *out)
{
  float table[3][256];
  gsize plane;
  const guint8 *p;

  g_return_if_fail (image != NULL && norm != NULL && out != NULL);

  /* Computed as torchvision does in float32: ToTensor (v / 255), then Normalize. */
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++)
      table[c][v] = ((float) v / 255.0f - norm->mean[c]) / norm->std[c];

  plane = (gsize) image->width * (gsize) image->height;
  p = image->pixels;
  for (gsize i = 0; i < plane; i++, p += 3)
    {
      out[i] = table[0][p[0]];
      out[plane + i] = table[1][p[1]];
      out[2 * plane + i] = table[2][p[2]];
    }
}
