/* fuzz-decode.c: libFuzzer target for lk_image_decode_bytes ().
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every input must either decode or fail with an LK_ERROR_DECODE error naming the buffer; memory
 * errors, leaks and crashes are bugs. The pixel limit is lowered to 4 megapixels so that the
 * fuzzer spends its time in the decoders rather than in allocating huge legitimate images; the
 * decoder's own memory budget follows from it. See README.md for how to run it.
 */
#include "lookalike.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;

  params.max_pixels = 4 * 1000 * 1000;
  image = lk_image_decode_bytes (bytes, "fuzz.img", &params, &error);

  /* Exactly one of an image and an error, and the error is the documented one. */
  if ((image == NULL) == (error == NULL))
    __builtin_trap ();
  if (error != NULL
      && (!g_error_matches (error, LK_ERROR, LK_ERROR_DECODE)
          || !g_str_has_prefix (error->message, "fuzz.img: ")))
    __builtin_trap ();
  if (image != NULL
      && (image->width <= 0 || image->height <= 0
          || (guint64) image->width * (guint64) image->height > params.max_pixels))
    __builtin_trap ();

  /* Touch every pixel, so that ASan sees a short buffer and MSan-like tools see the data. */
  if (image != NULL)
    {
      volatile guint8 sum = 0;

      for (gsize i = 0; i < (gsize) image->width * image->height * 3; i++)
        sum += image->pixels[i];
      (void) sum;
    }

  return 0;
}
