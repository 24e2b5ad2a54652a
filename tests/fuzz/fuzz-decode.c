/* fuzz-decode.c: libFuzzer target for lk_image_decode_bytes () and lk_image_sniff ().
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every input must either decode or fail with an LK_ERROR_DECODE error naming the buffer; memory
 * errors, leaks and crashes are bugs. The pixel limit is lowered to 4 megapixels so that the
 * fuzzer spends its time in the decoders rather than in allocating huge legitimate images; the
 * decoder's own memory budget follows from it. See README.md for how to run it.
 *
 * The last byte of the input picks the size hints, so that the fuzzer explores JPEG decoding
 * scaled by 1/2, 1/4 and 1/8 as well as at full size: none, center-crop 224 (short side >= 256),
 * fit 64 (long side >= 64) or a short side of at least 1 (1/8 for any JPEG). With hints, a
 * JPEG-looking input is decoded a second time without them: both must succeed, or both fail with
 * the same message, and the scaled image must be no larger than the full one and as large as the
 * hints ask (or full size).
 */
#include "lookalike.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_result (const LkImage *image, const GError *error, const LkDecodeParams *params)
{
  /* Exactly one of an image and an error, and the error is the documented one. */
  if ((image == NULL) == (error == NULL))
    __builtin_trap ();
  if (error != NULL
      && (!g_error_matches (error, LK_ERROR, LK_ERROR_DECODE)
          || !g_str_has_prefix (error->message, "fuzz.img: ")))
    __builtin_trap ();
  if (image != NULL
      && (image->width <= 0 || image->height <= 0
          || (guint64) image->width * (guint64) image->height > params->max_pixels))
    __builtin_trap ();

  /* Touch every pixel, so that ASan sees a short buffer and MSan-like tools see the data. */
  if (image != NULL)
    {
      volatile guint8 sum = 0;

      for (gsize i = 0; i < (gsize) image->width * image->height * 3; i++)
        sum += image->pixels[i];
      (void) sum;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;
  const char *format = NULL;
  LkSniff kind;

  params.max_pixels = 4 * 1000 * 1000;
  switch (size > 0 ? data[size - 1] & 3 : 0)
    {
    case 1:
      lk_decode_params_set_target (&params, LK_PREPROCESS_CENTER_CROP, 224);
      break;
    case 2:
      lk_decode_params_set_target (&params, LK_PREPROCESS_FIT, 64);
      break;
    case 3:
      params.min_short_side = 1;
      break;
    default:
      break;
    }

  kind = lk_image_sniff (data, MIN (size, LK_SNIFF_BYTES), &format);
  if ((kind == LK_SNIFF_NOT_IMAGE) != (format == NULL))
    __builtin_trap ();

  image = lk_image_decode_bytes (bytes, "fuzz.img", &params, &error);
  check_result (image, error, &params);

  /* An unsupported format is refused, naming the format. */
  if (kind == LK_SNIFF_UNSUPPORTED
      && (image != NULL || strstr (error->message, "unsupported image format (") == NULL
          || strstr (error->message, format) == NULL))
    __builtin_trap ();

  if ((params.min_short_side > 0 || params.min_long_side > 0) && size >= 2 && data[0] == 0xFF)
    {
      LkDecodeParams full_params = params;
      g_autoptr (GError) full_error = NULL;
      g_autoptr (LkImage) full = NULL;

      full_params.min_short_side = full_params.min_long_side = 0;
      full = lk_image_decode_bytes (bytes, "fuzz.img", &full_params, &full_error);
      check_result (full, full_error, &full_params);
      if ((full == NULL) != (image == NULL))
        __builtin_trap ();
      if (full_error != NULL && strcmp (full_error->message, error->message) != 0)
        __builtin_trap ();
      if (full != NULL)
        {
          int short_side = MIN (image->width, image->height);
          int long_side = MAX (image->width, image->height);
          gboolean same_shape = (image->width >= image->height) == (full->width >= full->height)
                                || image->width == image->height || full->width == full->height;

          if (image->width > full->width || image->height > full->height || !same_shape)
            __builtin_trap ();
          if ((image->width != full->width || image->height != full->height)
              && (short_side < params.min_short_side || long_side < params.min_long_side))
            __builtin_trap ();
        }
    }

  return 0;
}
