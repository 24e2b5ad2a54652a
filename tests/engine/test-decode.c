/* test-decode.c: image decoding, EXIF orientation, resampling and normalisation.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fixtures in tests/data/images/ come from tests/data/make-fixtures.py; the tables below
 * repeat the ones at its top.
 */
#include "lookalike.h"
#include "image/lk-image-private.h"

#include <math.h>
#include <string.h>
#include <turbojpeg.h>

/* The shared pattern: 48×32 pixels, six 16×16 blocks, block i = (y / 16) * 3 + x / 16. */
#define PATTERN_W     48
#define PATTERN_H     32
#define PATTERN_BLOCK 16

static const guint8 COLOURS[6][3] = {
  { 220, 40, 40 },  { 40, 180, 60 },  { 40, 60, 200 },
  { 230, 210, 40 }, { 200, 50, 180 }, { 40, 190, 200 },
};
static const guint8 GREYS[6] = { 0, 50, 100, 150, 200, 255 };
static const guint8 ALPHAS[6] = { 255, 0, 128, 64, 200, 1 };
static const guint8 BLACK_INK[6] = { 0, 40, 80, 120, 160, 200 };

/* 16-bit fixtures, 3×2 pixels. */
static const guint16 RGB16[6][3] = {
  { 0xFF00, 0x00FF, 0x8080 }, { 0x0000, 0xFFFF, 0x7F80 }, { 0x4000, 0xC0C0, 0x1234 },
  { 0x0101, 0xFEFF, 0x00C0 }, { 0x8000, 0x7FFF, 0xABCD }, { 0xFFFF, 0x0000, 0x5555 },
};
static const guint16 ALPHA16[6] = { 0xFFFF, 0x0000, 0x8000, 0x4000, 0xC000, 0x0101 };
static const guint16 GREY16[6] = { 0xFF00, 0x00FF, 0x8080, 0x7F80, 0x0101, 0xABCD };

/* Helpers -------------------------------------------------------------------------------------- */

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", "images", name, NULL);
}

static LkImage *
decode_fixture (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  LkDecodeParams params = lk_decode_default_params ();
  LkImage *image = lk_image_decode_file (path, &params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static GBytes *
fixture_bytes (const char *name)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static const guint8 *
pixel (const LkImage *image, int x, int y)
{
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (x, <, image->width);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (y, <, image->height);
  return image->pixels + 3 * ((gsize) y * image->width + x);
}

/* round ((c·a + max·(max - a)) / max), scaled to 8 bits: the reference computed in doubles. */
static guint8
composite (double c, double a, double max)
{
  return (guint8) (255.0 * (c * a + max * (max - a)) / (max * max) + 0.5);
}

typedef void (*ExpectFunc) (int block, guint8 rgb[3]);

static void
expect_colour (int block, guint8 rgb[3])
{
  memcpy (rgb, COLOURS[block], 3);
}

static void
expect_grey (int block, guint8 rgb[3])
{
  memset (rgb, GREYS[block], 3);
}

static void
expect_colour_alpha (int block, guint8 rgb[3])
{
  for (int c = 0; c < 3; c++)
    rgb[c] = composite (COLOURS[block][c], ALPHAS[block], 255);
}

static void
expect_grey_alpha (int block, guint8 rgb[3])
{
  memset (rgb, composite (GREYS[block], ALPHAS[block], 255), 3);
}

/* CMYK stored inverted (255 - ink) with inks 255 - COLOURS and BLACK_INK. */
static void
expect_cmyk (int block, guint8 rgb[3])
{
  for (int c = 0; c < 3; c++)
    rgb[c] = (guint8) (COLOURS[block][c] * (255 - BLACK_INK[block]) / 255.0 + 0.5);
}

static void
expect_palette_transparent (int block, guint8 rgb[3])
{
  if (block == 1)
    memset (rgb, 255, 3);
  else
    memcpy (rgb, COLOURS[block], 3);
}

/* Every pixel of @image is within @tolerance of the pattern that @expect describes. */
static void
assert_pattern (const LkImage *image, ExpectFunc expect, int tolerance)
{
  int worst = 0, worst_x = 0, worst_y = 0;

  g_assert_cmpint (image->width, ==, PATTERN_W);
  g_assert_cmpint (image->height, ==, PATTERN_H);

  for (int y = 0; y < PATTERN_H; y++)
    for (int x = 0; x < PATTERN_W; x++)
      {
        guint8 want[3];
        const guint8 *got = pixel (image, x, y);

        expect ((y / PATTERN_BLOCK) * 3 + x / PATTERN_BLOCK, want);
        for (int c = 0; c < 3; c++)
          if (ABS (got[c] - want[c]) > worst)
            worst = ABS (got[c] - want[c]), worst_x = x, worst_y = y;
      }

  if (worst > tolerance)
    g_test_message ("worst pixel at (%d, %d), off by %d", worst_x, worst_y, worst);
  g_assert_cmpint (worst, <=, tolerance);
}

static void
assert_decode_fixture (const char *name, ExpectFunc expect, int tolerance)
{
  g_autoptr (LkImage) image = decode_fixture (name);

  assert_pattern (image, expect, tolerance);
}

/* Formats -------------------------------------------------------------------------------------- */

static void
test_jpeg_baseline (void)
{
  assert_decode_fixture ("baseline.jpg", expect_colour, 4);
}

static void
test_jpeg_progressive (void)
{
  assert_decode_fixture ("progressive.jpg", expect_colour, 4);
}

static void
test_png_rgb (void)
{
  assert_decode_fixture ("rgb.png", expect_colour, 0);
}

static void
test_png_grey (void)
{
  assert_decode_fixture ("grey.png", expect_grey, 0);
}

static void
test_png_palette (void)
{
  assert_decode_fixture ("palette.png", expect_colour, 0);
}

static void
test_png_palette_transparent (void)
{
  assert_decode_fixture ("palette-trns.png", expect_palette_transparent, 0);
}

static void
test_png_alpha (void)
{
  assert_decode_fixture ("rgba.png", expect_colour_alpha, 0);
}

static void
test_png_grey_alpha (void)
{
  assert_decode_fixture ("grey-alpha.png", expect_grey_alpha, 0);
}

static void
test_png_16_bit (void)
{
  g_autoptr (LkImage) rgb = decode_fixture ("rgb16.png");
  g_autoptr (LkImage) grey = decode_fixture ("grey16.png");

  g_assert_cmpint (rgb->width, ==, 3);
  g_assert_cmpint (rgb->height, ==, 2);
  g_assert_cmpint (grey->width, ==, 3);
  g_assert_cmpint (grey->height, ==, 2);

  /* Rounded (v / 257), not truncated (v >> 8): 0xFF00 is 254, not 255; 0x00FF is 1, not 0. */
  for (int i = 0; i < 6; i++)
    for (int c = 0; c < 3; c++)
      {
        g_assert_cmpint (pixel (rgb, i % 3, i / 3)[c], ==, (RGB16[i][c] + 128) / 257);
        g_assert_cmpint (pixel (grey, i % 3, i / 3)[c], ==, (GREY16[i] + 128) / 257);
      }
  g_assert_cmpint (pixel (rgb, 0, 0)[0], ==, 254);
  g_assert_cmpint (pixel (rgb, 0, 0)[1], ==, 1);
}

static void
test_png_16_bit_alpha (void)
{
  /* Interlaced (Adam7), composited at 16-bit precision before rounding to 8 bits. */
  g_autoptr (LkImage) image = decode_fixture ("rgba16.png");

  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 2);
  for (int i = 0; i < 6; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (pixel (image, i % 3, i / 3)[c], ==,
                       composite (RGB16[i][c], ALPHA16[i], 65535));
  /* Opaque 0xFF00 is 254; compositing the truncated 8-bit values would give 255. */
  g_assert_cmpint (pixel (image, 0, 0)[0], ==, 254);
}

static void
test_bmp (void)
{
  assert_decode_fixture ("pattern.bmp", expect_colour, 0);
}

static void
test_tga (void)
{
  assert_decode_fixture ("pattern.tga", expect_colour, 0);
}

static void
test_psd (void)
{
  assert_decode_fixture ("pattern.psd", expect_colour, 0);
}

static void
test_psd_16_bit (void)
{
  g_autoptr (LkImage) image = decode_fixture ("rgb16.psd");

  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 2);
  for (int i = 0; i < 6; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (pixel (image, i % 3, i / 3)[c], ==, (RGB16[i][c] + 128) / 257);
}

/* PSDs of four channels and more -------------------------------------------------------------- */

static void
append_be (GByteArray *out, guint32 value, int n_bytes)
{
  for (int i = n_bytes - 1; i >= 0; i--)
    {
      guint8 byte = (guint8) (value >> (8 * i));

      g_byte_array_append (out, &byte, 1);
    }
}

/* An RGB PSD of @n_channels planes of @depth-bit samples, @samples[(channel × height + y) × width
 * + x], behind empty colour mode data, image resources and layer information. With @rle (8-bit
 * only), each row of each channel is one literal run, its length in the table before the data. */
static GBytes *
make_psd (int n_channels, int width, int height, int depth, gboolean rle, const guint16 *samples)
{
  GByteArray *psd = g_byte_array_new ();

  g_assert_true (!rle || (depth == 8 && width <= 128));
  g_byte_array_append (psd, (const guint8 *) "8BPS", 4);
  append_be (psd, 1, 2); /* version */
  append_be (psd, 0, 4); /* reserved */
  append_be (psd, 0, 2);
  append_be (psd, n_channels, 2);
  append_be (psd, height, 4);
  append_be (psd, width, 4);
  append_be (psd, depth, 2);
  append_be (psd, 3, 2); /* RGB */
  for (int section = 0; section < 3; section++)
    append_be (psd, 0, 4);
  append_be (psd, rle ? 1 : 0, 2);
  if (rle)
    for (int row = 0; row < n_channels * height; row++)
      append_be (psd, 1 + width, 2);
  for (int row = 0; row < n_channels * height; row++)
    {
      if (rle)
        append_be (psd, width - 1, 1);
      for (int x = 0; x < width; x++)
        append_be (psd, samples[row * width + x], depth / 8);
    }
  return g_byte_array_free_to_bytes (psd);
}

static LkImage *
decode_psd (GBytes *psd)
{
  g_autoptr (GError) error = NULL;
  LkImage *image = lk_image_decode_bytes (psd, "test.psd", NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

/* Photoshop stores the colours of a transparent pixel composited onto white: the image is that. */
static void
test_psd_matted_16_bit (void)
{
  guint16 samples[4 * 6];
  g_autoptr (GBytes) psd = NULL;
  g_autoptr (LkImage) image = NULL;

  for (int i = 0; i < 6; i++)
    {
      for (int c = 0; c < 3; c++)
        samples[c * 6 + i] = (guint16) (((guint64) RGB16[i][c] * ALPHA16[i]
                                         + (guint64) 65535 * (65535 - ALPHA16[i]) + 32767)
                                        / 65535);
      samples[3 * 6 + i] = ALPHA16[i];
    }
  psd = make_psd (4, 3, 2, 16, FALSE, samples);
  image = decode_psd (psd);

  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 2);
  for (int i = 0; i < 6; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (
        ABS (pixel (image, i % 3, i / 3)[c] - composite (RGB16[i][c], ALPHA16[i], 65535)), <=, 1);
}

/* Nearly transparent pixels whose colours are far below the white matte: stb_image 2.27 would
 * "un-matte" them to values far outside the sample type (undefined behaviour). The colours are
 * taken as stored. */
static void
test_psd_unmatte_overflow_16_bit (void)
{
  static const guint16 samples[4 * 3] = {
    0, 10, 0x2000, /* red */
    0, 10, 0,      /* green */
    0, 10, 0x1000, /* blue */
    1, 2,  0x0100, /* alpha */
  };
  g_autoptr (GBytes) psd = make_psd (4, 3, 1, 16, FALSE, samples);
  g_autoptr (LkImage) image = decode_psd (psd);

  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 1);
  for (int x = 0; x < 3; x++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (pixel (image, x, 0)[c], ==, (samples[c * 3 + x] + 128) / 257);
}

static void
test_psd_unmatte_overflow_8_bit (void)
{
  static const guint16 samples[4 * 3] = {
    0, 10, 200, /* red */
    0, 10, 0,   /* green */
    0, 10, 100, /* blue */
    1, 2,  3,   /* alpha */
  };
  g_autoptr (GBytes) psd = make_psd (4, 3, 1, 8, FALSE, samples);
  g_autoptr (LkImage) image = decode_psd (psd);

  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 1);
  for (int x = 0; x < 3; x++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpint (pixel (image, x, 0)[c], ==, samples[c * 3 + x]);
}

/* RLE: only the first three channels' rows are left in the table of row lengths. A fifth channel
 * (a saved selection) changes nothing. */
static void
test_psd_rle_extra_channels (void)
{
  static const guint16 samples[5 * 6] = {
    0,   10, 200, 30,  40,  50,  /* red */
    0,   10, 0,   60,  70,  80,  /* green */
    0,   10, 100, 90,  100, 110, /* blue */
    1,   2,  3,   128, 254, 0,   /* alpha */
    255, 0,  17,  99,  1,   200, /* selection */
  };

  for (int n_channels = 4; n_channels <= 5; n_channels++)
    {
      g_autoptr (GBytes) psd = make_psd (n_channels, 3, 2, 8, TRUE, samples);
      g_autoptr (LkImage) image = decode_psd (psd);

      g_test_message ("%d channels", n_channels);
      g_assert_cmpint (image->width, ==, 3);
      g_assert_cmpint (image->height, ==, 2);
      for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++)
          g_assert_cmpint (pixel (image, i % 3, i / 3)[c], ==, samples[c * 6 + i]);
    }
}

/* Three channels go to stb_image as they are; an opaque fourth channel changes nothing either. */
static void
test_psd_three_channels (void)
{
  static const guint16 samples8[4 * 6] = {
    0,   10,  200, 30,  40,  50,  /* red */
    0,   10,  0,   60,  70,  80,  /* green */
    0,   10,  100, 90,  100, 110, /* blue */
    255, 255, 255, 255, 255, 255, /* alpha */
  };
  guint16 samples16[4 * 6];

  for (int i = 0; i < 6; i++)
    {
      for (int c = 0; c < 3; c++)
        samples16[c * 6 + i] = RGB16[i][c];
      samples16[3 * 6 + i] = 65535;
    }

  for (int n_channels = 3; n_channels <= 4; n_channels++)
    for (int variant = 0; variant < 3; variant++)
      {
        gboolean is_16_bit = variant == 2;
        g_autoptr (GBytes) psd = make_psd (n_channels, 3, 2, is_16_bit ? 16 : 8, variant == 1,
                                           is_16_bit ? samples16 : samples8);
        g_autoptr (LkImage) image = decode_psd (psd);

        g_test_message ("%d channels, %s", n_channels,
                        variant == 0   ? "8-bit raw"
                        : variant == 1 ? "8-bit RLE"
                                       : "16-bit raw");
        g_assert_cmpint (image->width, ==, 3);
        g_assert_cmpint (image->height, ==, 2);
        for (int i = 0; i < 6; i++)
          for (int c = 0; c < 3; c++)
            g_assert_cmpint (pixel (image, i % 3, i / 3)[c], ==,
                             is_16_bit ? (RGB16[i][c] + 128) / 257 : samples8[c * 6 + i]);
      }
}

static void
test_gif_first_frame (void)
{
  g_autoptr (GBytes) bytes = fixture_bytes ("animated.gif");
  g_autoptr (LkImage) image = decode_fixture ("animated.gif");

  /* The fixture really has a second frame, with the colours reversed. */
  g_assert_nonnull (
    memmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "NETSCAPE2.0", 11));
  assert_pattern (image, expect_colour, 0);
}

/* EXIF orientation ----------------------------------------------------------------------------- */

static void
test_exif_orientations (void)
{
  for (int orientation = 1; orientation <= 8; orientation++)
    {
      g_autofree char *name = g_strdup_printf ("orient-%d.jpg", orientation);
      g_autoptr (LkImage) image = decode_fixture (name);

      g_test_message ("%s", name);
      assert_pattern (image, expect_colour, 4);
    }
}

static void
test_exif_orientation_off (void)
{
  g_autofree char *path = fixture_path ("orient-6.jpg");
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;
  LkDecodeParams params = lk_decode_default_params ();

  params.apply_orientation = FALSE;
  image = lk_image_decode_file (path, &params, &error);
  g_assert_no_error (error);

  /* As stored: the upright pattern turned 90° counter-clockwise, so block 2 (blue) is at the
   * top left. */
  g_assert_cmpint (image->width, ==, PATTERN_H);
  g_assert_cmpint (image->height, ==, PATTERN_W);
  for (int c = 0; c < 3; c++)
    g_assert_cmpint (ABS (pixel (image, 8, 8)[c] - COLOURS[2][c]), <=, 4);
}

static void
test_exif_bad_offset (void)
{
  g_autoptr (LkImage) image = decode_fixture ("exif-bad-offset.jpg");

  /* The orientation cannot be read, so the image stays as stored. */
  g_assert_cmpint (image->width, ==, PATTERN_H);
  g_assert_cmpint (image->height, ==, PATTERN_W);
}

static void
test_exif_parse (void)
{
  /* Big-endian IFD0 with one entry, Orientation (SHORT) = 6. */
  guint8 tiff[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0 };

  g_assert_cmpint (lk_exif_parse_orientation (tiff, sizeof tiff), ==, 6);
  /* Every shorter buffer cuts the entry: nothing is read past the end. */
  for (gsize len = 0; len < sizeof tiff - 2; len++)
    {
      g_autofree guint8 *copy = g_memdup2 (tiff, len);
      g_assert_cmpint (lk_exif_parse_orientation (copy, len), ==, 0);
    }
  tiff[19] = 9; /* out of range */
  g_assert_cmpint (lk_exif_parse_orientation (tiff, sizeof tiff), ==, 0);
  tiff[19] = 3;
  tiff[0] = tiff[1] = 'I'; /* wrong byte order for the rest */
  g_assert_cmpint (lk_exif_parse_orientation (tiff, sizeof tiff), ==, 0);
}

static void
test_png_exif (void)
{
  assert_decode_fixture ("orient-6.png", expect_colour, 0);
}

static void
test_bytes_equal_file (void)
{
  static const char *const names[] = {
    "baseline.jpg", "progressive.jpg", "orient-6.jpg", "rgba.png",     "rgba16.png",
    "pattern.bmp",  "pattern.tga",     "pattern.psd",  "animated.gif",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (LkImage) from_file = decode_fixture (names[i]);
      g_autoptr (GBytes) bytes = fixture_bytes (names[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (LkImage) from_bytes = lk_image_decode_bytes (bytes, names[i], NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (from_bytes->width, ==, from_file->width);
      g_assert_cmpint (from_bytes->height, ==, from_file->height);
      g_assert_cmpmem (from_bytes->pixels, 3 * from_bytes->width * from_bytes->height,
                       from_file->pixels, 3 * from_file->width * from_file->height);
    }
}

/* Bad input ------------------------------------------------------------------------------------ */

static void
assert_error_message (const GError *error, const char *message)
{
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, message);
}

static void
assert_file_fails (const char *name, const LkDecodeParams *params, const char *message)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = lk_image_decode_file (path, params, &error);

  g_assert_null (image);
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, message);
}

static void
test_error_empty (void)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static ("", 0);
  g_autoptr (GError) error = NULL;

  assert_file_fails ("empty.jpg", NULL, "empty.jpg: empty file");
  g_assert_null (lk_image_decode_bytes (bytes, "paste", NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, "paste: empty file");
}

static void
test_error_truncated_jpeg (void)
{
  assert_file_fails ("truncated.jpg", NULL, "truncated.jpg: truncated JPEG");
}

static void
test_error_garbage (void)
{
  assert_file_fails ("garbage.jpg", NULL, "garbage.jpg: not a supported image format");
}

static void
test_error_huge_png (void)
{
  assert_file_fails ("huge.png", NULL,
                     "huge.png: image is 100000×100000 pixels, over the 100-megapixel limit");
}

static void
test_error_folder (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "images", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_null (lk_image_decode_file (path, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, "images: is a folder, not an image");
}

static void
test_error_missing (void)
{
  g_autofree char *path = fixture_path ("no-such-shoe.jpg");
  g_autoptr (GError) error = NULL;

  g_assert_null (lk_image_decode_file (path, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  assert_error_message (error, "no-such-shoe.jpg: no such file");
}

static void
test_error_truncated_png (void)
{
  assert_file_fails ("truncated.png", NULL, "truncated.png: truncated PNG");
}

static void
test_error_file_size (void)
{
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (GBytes) bytes = fixture_bytes ("pattern.bmp");
  g_autoptr (GError) error = NULL;
  g_autofree char *size = g_format_size_full (4662, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *limit = g_format_size_full (4096, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *reason = g_strdup_printf ("file is %s, over the %s limit", size, limit);
  g_autofree char *from_file = g_strconcat ("pattern.bmp: ", reason, NULL);
  g_autofree char *from_bytes = g_strconcat ("drop.bmp: ", reason, NULL);

  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 4662);
  params.max_file_size = 4096;
  assert_file_fails ("pattern.bmp", &params, from_file);
  g_assert_null (lk_image_decode_bytes (bytes, "drop.bmp", &params, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, from_bytes);

  /* At the limit it decodes. */
  params.max_file_size = g_bytes_get_size (bytes);
  g_clear_pointer (&error, g_error_free);
  lk_image_free (lk_image_decode_bytes (bytes, "drop.bmp", &params, &error));
  g_assert_no_error (error);
}

static void
test_error_pixel_limit (void)
{
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (LkImage) image = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = fixture_path ("rgb.png");

  params.max_pixels = PATTERN_W * PATTERN_H - 1;
  assert_file_fails ("rgb.png", &params,
                     "rgb.png: image is 48×32 pixels, over the 1535-pixel limit");
  assert_file_fails ("pattern.tga", &params,
                     "pattern.tga: image is 48×32 pixels, over the 1535-pixel limit");
  assert_file_fails ("animated.gif", &params,
                     "animated.gif: image is 48×32 pixels, over the 1535-pixel limit");
  params.max_pixels = 1500000;
  assert_file_fails ("huge.png", &params,
                     "huge.png: image is 100000×100000 pixels, over the 1.5-megapixel limit");

  params.max_pixels = PATTERN_W * PATTERN_H;
  image = lk_image_decode_file (path, &params, &error);
  g_assert_no_error (error);
}

static void
test_error_webp (void)
{
  assert_file_fails ("sandal.webp", NULL, "sandal.webp: unsupported image format (WebP)");
}

static void
assert_bytes_fail (const void *data, gsize len, const char *name, const char *message)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  g_autoptr (GError) error = NULL;

  g_assert_null (lk_image_decode_bytes (bytes, name, NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, message);
}

#define ASSERT_BYTES_FAIL(literal, name, message) \
  assert_bytes_fail (literal, sizeof (literal) - 1, name, message)

static void
test_error_unsupported_formats (void)
{
  ASSERT_BYTES_FAIL ("\0\0\0\x18"
                     "ftypheic\0\0\0\0mif1heic",
                     "a.heic", "a.heic: unsupported image format (HEIC)");
  ASSERT_BYTES_FAIL ("\0\0\0\x1C"
                     "ftypavif\0\0\0\0avifmif1miaf",
                     "a.avif", "a.avif: unsupported image format (AVIF)");
  ASSERT_BYTES_FAIL ("\0\0\0\x18"
                     "ftypmif1\0\0\0\0mif1heic",
                     "b.heif", "b.heif: unsupported image format (HEIC)");
  ASSERT_BYTES_FAIL ("II*\0\x08\0\0\0\0\0", "scan.tif",
                     "scan.tif: unsupported image format (TIFF)");
  ASSERT_BYTES_FAIL ("MM\0*\0\0\0\x08\0\0", "scan.tif",
                     "scan.tif: unsupported image format (TIFF)");
  ASSERT_BYTES_FAIL ("\xFF\x0A\xFA\x7F", "a.jxl", "a.jxl: unsupported image format (JPEG XL)");
  ASSERT_BYTES_FAIL ("\0\0\0\x0CJXL \r\n\x87\n\0\0", "b.jxl",
                     "b.jxl: unsupported image format (JPEG XL)");
  ASSERT_BYTES_FAIL (
    "\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    "logo.svg", "logo.svg: unsupported image format (SVG)");
  ASSERT_BYTES_FAIL ("<html><body>not an image</body></html>", "page.jpg",
                     "page.jpg: not a supported image format");
  ASSERT_BYTES_FAIL ("\xFF\xD8\xFF\xD9", "tiny.jpg", "tiny.jpg: corrupt JPEG (no frame header)");
  /* An arithmetic-coded frame header (SOF9), then EOI. */
  ASSERT_BYTES_FAIL ("\xFF\xD8\xFF\xC9\0\x0B\x08\0\x10\0\x10\x01\x01\x11\0\xFF\xD9", "arith.jpg",
                     "arith.jpg: unsupported JPEG variant (arithmetic coding)");
}

static void
test_error_bad_huffman_table (void)
{
  /* Code counts adding up to 16 × 255 symbols: stb_image 2.27 writes past its Huffman tables
   * (CVE-2022-28042); the file must be refused before it gets there. */
  g_autoptr (GBytes) bytes = fixture_bytes ("baseline.jpg");
  gsize len = g_bytes_get_size (bytes);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  guint8 *dht = memmem (copy, len, "\xFF\xC4", 2);

  g_assert_nonnull (dht);
  memset (dht + 5, 0xFF, 16);
  assert_bytes_fail (copy, len, "huff.jpg", "huff.jpg: corrupt JPEG (bad Huffman table)");
}

static void
test_error_truncated_psd (void)
{
  static const guint16 samples[4 * 6] = { 0 };
  g_autoptr (GBytes) psd = make_psd (4, 3, 2, 8, TRUE, samples);
  const guint8 *data = g_bytes_get_data (psd, NULL);
  /* header (26), three section lengths, compression, row lengths (4 channels × 2 rows × 2 B) */
  const gsize data_start = 26 + 12 + 2 + 16;
  g_autofree guint8 *copy = g_memdup2 (data, g_bytes_get_size (psd));

  g_assert_cmpuint (g_bytes_get_size (psd), ==, data_start + 4 * 2 * 4);

  /* Cut anywhere from after the signature to the end of the table of row lengths. */
  for (gsize cut = 4; cut < data_start; cut++)
    assert_bytes_fail (data, cut, "cut.psd",
                       cut < 26 ? "cut.psd: corrupt PSD header" : "cut.psd: truncated PSD");

  /* Image resources said to run past the end of the file. */
  copy[26 + 4 + 2] = 0x10;
  assert_bytes_fail (copy, g_bytes_get_size (psd), "long.psd", "long.psd: truncated PSD");
  memset (copy + 26 + 4, 0xFF, 4);
  assert_bytes_fail (copy, g_bytes_get_size (psd), "long.psd", "long.psd: truncated PSD");

  /* A height whose table of row lengths would be far larger than the file. */
  memcpy (copy, data, g_bytes_get_size (psd));
  copy[14] = 0x01;
  assert_bytes_fail (copy, g_bytes_get_size (psd), "tall.psd", "tall.psd: truncated PSD");

  /* More channels than stb_image reads. */
  memcpy (copy, data, g_bytes_get_size (psd));
  copy[13] = 17;
  assert_bytes_fail (copy, g_bytes_get_size (psd), "many.psd", "many.psd: corrupt PSD header");
}

static void
test_pnm (void)
{
  static const char ppm[] = "P6\n# a comment\n3 1\n255\n\xFF\0\0\0\xFF\0\0\0\xFF";
  g_autoptr (GBytes) bytes = g_bytes_new_static (ppm, sizeof ppm - 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = lk_image_decode_bytes (bytes, "a.ppm", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpmem (image->pixels, 9, "\xFF\0\0\0\xFF\0\0\0\xFF", 9);

  /* stb_image 2.27 would overflow an int reading this width. */
  ASSERT_BYTES_FAIL ("P6\v99999999999 1\n255\n\0\0\0", "b.ppm",
                     "b.ppm: corrupt PNM header (number too large)");
}

static void
test_error_zlib_bomb (void)
{
  gsize peak = 0, budget = 0;

  /* A 1×1 PNG whose data inflates to 8 MiB: refused once stb_image's memory passes what a 1×1
   * image needs, well before the 8 MiB. */
  assert_file_fails ("bomb.png", NULL,
                     "bomb.png: corrupt PNG (decoding it needs more memory than a 1×1 image can)");
  lk_decode_get_last_memory (&peak, &budget);
  g_assert_cmpuint (peak, <=, budget);
  g_assert_cmpuint (budget, <, 5 << 20);
}

/* Every strict prefix of a JPEG or a PNG is an error (no end marker), never a crash; every
 * corrupted copy either decodes or fails cleanly. */
static void
test_error_prefixes_and_corruption (void)
{
  static const char *const names[] = {
    "baseline.jpg", "progressive.jpg", "orient-3.jpg", "rgb.png",     "rgba16.png",
    "palette.png",  "pattern.bmp",     "pattern.tga",  "pattern.psd", "animated.gif",
  };
  GRand *rand = g_rand_new_with_seed (42);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GBytes) bytes = fixture_bytes (names[i]);
      gsize len = g_bytes_get_size (bytes);
      gboolean has_end_marker =
        g_str_has_suffix (names[i], ".jpg") || g_str_has_suffix (names[i], ".png");

      for (gsize cut = 0; cut < len; cut++)
        {
          g_autoptr (GBytes) prefix = g_bytes_new_from_bytes (bytes, 0, cut);
          g_autoptr (GError) error = NULL;
          g_autoptr (LkImage) image = lk_image_decode_bytes (prefix, names[i], NULL, &error);

          if (has_end_marker || cut == 0)
            {
              g_assert_null (image);
              g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
              g_assert_true (g_str_has_prefix (error->message, names[i]));
            }
          else
            g_assert_true ((image == NULL) != (error == NULL));
        }

      for (int round = 0; round < 200; round++)
        {
          g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
          g_autoptr (GBytes) corrupt = NULL;
          g_autoptr (GError) error = NULL;
          g_autoptr (LkImage) image = NULL;

          for (int k = 0; k < 1 + round % 4; k++)
            copy[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int (rand);
          corrupt = g_bytes_new (copy, len);
          image = lk_image_decode_bytes (corrupt, names[i], NULL, &error);
          g_assert_true ((image == NULL) != (error == NULL));
          if (error != NULL)
            g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
        }
    }

  g_rand_free (rand);
}

/* The memory budget is enough for the hungriest legitimate image we know ----------------------- */

static guint32
crc32_png (const guint8 *data, gsize len)
{
  guint32 crc = 0xFFFFFFFF;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = crc & 1 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
    }
  return crc ^ 0xFFFFFFFF;
}

static void
append_chunk (GByteArray *png, const char *type, const guint8 *data, guint32 len)
{
  guint8 be[4] = { len >> 24, len >> 16, len >> 8, len };
  gsize start;
  guint32 crc;

  g_byte_array_append (png, be, 4);
  start = png->len;
  g_byte_array_append (png, (const guint8 *) type, 4);
  if (len > 0)
    g_byte_array_append (png, data, len);
  crc = crc32_png (png->data + start, png->len - start);
  be[0] = crc >> 24, be[1] = crc >> 16, be[2] = crc >> 8, be[3] = crc;
  g_byte_array_append (png, be, 4);
}

static void
test_budget_interlaced_rgba16 (void)
{
  /* Adam7 passes: start x, start y, step x, step y. */
  static const int adam7[7][4] = {
    { 0, 0, 8, 8 }, { 4, 0, 8, 8 }, { 0, 4, 4, 8 }, { 2, 0, 4, 4 },
    { 0, 2, 2, 4 }, { 1, 0, 2, 2 }, { 0, 1, 1, 2 },
  };
  const int size = 1024;
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_autoptr (GByteArray) png = g_byte_array_new ();
  g_autoptr (GConverter) zlib =
    G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 1));
  g_autofree guint8 *compressed = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;
  guint8 ihdr[13] = { 0, 0, size >> 8, 0, 0, 0, size >> 8, 0, 16, 6, 0, 0, 1 };
  gsize read = 0, written = 0, peak = 0, budget = 0;

  /* Opaque 16-bit RGBA, a gradient so that the data is not all zeros. */
  for (int p = 0; p < 7; p++)
    for (int y = adam7[p][1]; y < size; y += adam7[p][3])
      {
        g_byte_array_append (raw, (const guint8 *) "\0", 1);
        for (int x = adam7[p][0]; x < size; x += adam7[p][2])
          {
            guint8 px[8] = { x >> 2, x >> 2, y >> 2, y >> 2, 0x80, 0, 0xFF, 0xFF };
            g_byte_array_append (raw, px, 8);
          }
      }
  compressed = g_malloc (raw->len + 1024);
  g_converter_convert (zlib, raw->data, raw->len, compressed, raw->len + 1024,
                       G_CONVERTER_INPUT_AT_END, &read, &written, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read, ==, raw->len);

  g_byte_array_append (png, (const guint8 *) "\x89PNG\r\n\x1A\n", 8);
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  append_chunk (png, "IDAT", compressed, written);
  append_chunk (png, "IEND", NULL, 0);
  bytes = g_bytes_new (png->data, png->len);

  image = lk_image_decode_bytes (bytes, "big.png", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, size);
  g_assert_cmpint (pixel (image, 1023, 1023)[0], ==, 255);
  g_assert_cmpint (pixel (image, 1023, 1023)[1], ==, 255);
  g_assert_cmpint (pixel (image, 1023, 1023)[2], ==, 128);

  lk_decode_get_last_memory (&peak, &budget);
  g_test_message ("peak %zu bytes = %.1f per pixel, budget %zu", peak, (double) peak / size / size,
                  budget);
  g_assert_cmpuint (peak, <=, budget);
  g_assert_cmpuint (peak, >, (gsize) 24 * size * size); /* it really is the hungry case */
}

/* Sniffing ------------------------------------------------------------------------------------- */

/* lk_image_sniff () on a copy of exactly @len bytes, so that ASan or valgrind sees any read past
 * them. */
static LkSniff
sniff (const void *data, gsize len, const char **format)
{
  g_autofree guint8 *copy = g_memdup2 (data, len);

  return lk_image_sniff (copy, len, format);
}

static void
assert_sniff (const void *data, gsize len, LkSniff kind, const char *format)
{
  const char *got = "unset";

  g_assert_cmpint (sniff (data, len, &got), ==, kind);
  g_assert_cmpstr (got, ==, format);
  /* @format is optional. */
  g_assert_cmpint (sniff (data, len, NULL), ==, kind);
}

#define ASSERT_SNIFF(literal, kind, format) \
  assert_sniff (literal, sizeof (literal) - 1, kind, format)

static void
assert_sniff_fixture (const char *name, LkSniff kind, const char *format)
{
  g_autoptr (GBytes) bytes = fixture_bytes (name);

  g_test_message ("%s", name);
  assert_sniff (g_bytes_get_data (bytes, NULL), MIN (g_bytes_get_size (bytes), LK_SNIFF_BYTES),
                kind, format);
}

static void
test_sniff_formats (void)
{
  /* Every format the decoder reads, from the heads of the fixtures. */
  assert_sniff_fixture ("baseline.jpg", LK_SNIFF_IMAGE, "JPEG");
  assert_sniff_fixture ("progressive.jpg", LK_SNIFF_IMAGE, "JPEG");
  assert_sniff_fixture ("orient-6.jpg", LK_SNIFF_IMAGE, "JPEG");
  assert_sniff_fixture ("cmyk.jpg", LK_SNIFF_IMAGE, "JPEG");
  assert_sniff_fixture ("rgb.png", LK_SNIFF_IMAGE, "PNG");
  assert_sniff_fixture ("rgba16.png", LK_SNIFF_IMAGE, "PNG");
  assert_sniff_fixture ("animated.gif", LK_SNIFF_IMAGE, "GIF");
  assert_sniff_fixture ("pattern.bmp", LK_SNIFF_IMAGE, "BMP");
  assert_sniff_fixture ("pattern.psd", LK_SNIFF_IMAGE, "PSD");
  ASSERT_SNIFF ("P6\n# a comment\n3 1\n255\n\xFF\0\0", LK_SNIFF_IMAGE, "PNM");
  ASSERT_SNIFF ("P5 3 1 255\n\0\0\0", LK_SNIFF_IMAGE, "PNM");
  ASSERT_SNIFF ("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n", LK_SNIFF_IMAGE, "HDR");
  ASSERT_SNIFF ("#?RGBE\n", LK_SNIFF_IMAGE, "HDR");
  /* JPEG with fill bytes before SOI, as the decoder accepts it. */
  ASSERT_SNIFF ("\xFF\xFF\xFF\xD8\xFF\xE0", LK_SNIFF_IMAGE, "JPEG");

  /* TGA has no signature: the caller goes by the file name. */
  assert_sniff_fixture ("pattern.tga", LK_SNIFF_NOT_IMAGE, NULL);

  /* Image formats the decoder recognises and refuses. */
  assert_sniff_fixture ("sandal.webp", LK_SNIFF_UNSUPPORTED, "WebP");
  ASSERT_SNIFF ("\0\0\0\x18"
                "ftypheic\0\0\0\0mif1heic",
                LK_SNIFF_UNSUPPORTED, "HEIC");
  ASSERT_SNIFF ("\0\0\0\x1C"
                "ftypavif\0\0\0\0avifmif1miaf",
                LK_SNIFF_UNSUPPORTED, "AVIF");
  ASSERT_SNIFF ("\0\0\0\x14"
                "ftypmif1\0\0\0\0mif1",
                LK_SNIFF_UNSUPPORTED, "HEIF");
  ASSERT_SNIFF ("II*\0\x08\0\0\0", LK_SNIFF_UNSUPPORTED, "TIFF");
  ASSERT_SNIFF ("MM\0*\0\0\0\x08", LK_SNIFF_UNSUPPORTED, "TIFF");
  ASSERT_SNIFF ("\xFF\x0A\xFA\x7F", LK_SNIFF_UNSUPPORTED, "JPEG XL");
  ASSERT_SNIFF ("\0\0\0\x0CJXL \r\n\x87\n\0\0", LK_SNIFF_UNSUPPORTED, "JPEG XL");
  ASSERT_SNIFF ("\0\0\0\x0CjP  \r\n\x87\n\0\0", LK_SNIFF_UNSUPPORTED, "JPEG 2000");
  ASSERT_SNIFF ("\xFF\x4F\xFF\x51\0\x2F", LK_SNIFF_UNSUPPORTED, "JPEG 2000");
  ASSERT_SNIFF ("v/1\x01\x02\0\0\0", LK_SNIFF_UNSUPPORTED, "OpenEXR");
  ASSERT_SNIFF ("\xEF\xBB\xBF\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\">",
                LK_SNIFF_UNSUPPORTED, "SVG");
  ASSERT_SNIFF ("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">",
                LK_SNIFF_UNSUPPORTED, "SVG");

  /* Not images: documents, text, data, video, random bytes. */
  ASSERT_SNIFF ("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("Shoe size chart\nEU 42 = UK 8\n", LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("path,label,price\nboots_1.jpg,boots,89.90\n", LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("<?xml version=\"1.0\"?>\n<catalog><shoe id=\"1\"/></catalog>", LK_SNIFF_NOT_IMAGE,
                NULL);
  ASSERT_SNIFF ("<!DOCTYPE html><html><body>", LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("\0\0\0\x18"
                "ftypisom\0\0\x02\0isomiso2",
                LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("PK\x03\x04\x14\0\0\0", LK_SNIFF_NOT_IMAGE, NULL);
  assert_sniff_fixture ("garbage.jpg", LK_SNIFF_NOT_IMAGE, NULL);
  assert_sniff_fixture ("empty.jpg", LK_SNIFF_NOT_IMAGE, NULL);
  /* Text that starts with a two-letter signature. */
  ASSERT_SNIFF ("BMW 3 series, brochure scans\n\n", LK_SNIFF_NOT_IMAGE, NULL);
  ASSERT_SNIFF ("P5x: notes on the P5 prototype\n", LK_SNIFF_NOT_IMAGE, NULL);
}

/* Heads of 0 to 3 bytes (and every length up to LK_SNIFF_BYTES) are read only as far as they go;
 * a signature longer than the head is not recognised. */
static void
test_sniff_short_heads (void)
{
  static const struct
  {
    const char *name;
    LkSniff at_length[4];
  } cases[] = {
    { "baseline.jpg", { LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_IMAGE, LK_SNIFF_IMAGE } },
    { "rgb.png",
      { LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE } },
    { "pattern.bmp", { LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_IMAGE, LK_SNIFF_IMAGE } },
    { "animated.gif",
      { LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE } },
    { "sandal.webp",
      { LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE, LK_SNIFF_NOT_IMAGE } },
  };

  g_assert_cmpint (lk_image_sniff (NULL, 0, NULL), ==, LK_SNIFF_NOT_IMAGE);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) bytes = fixture_bytes (cases[i].name);
      const guint8 *data = g_bytes_get_data (bytes, NULL);
      gsize size = g_bytes_get_size (bytes);
      const char *format = "unset";
      LkSniff whole = sniff (data, MIN (size, LK_SNIFF_BYTES), NULL);

      g_test_message ("%s", cases[i].name);
      for (gsize len = 0; len < 4; len++)
        {
          g_assert_cmpint (sniff (data, len, &format), ==, cases[i].at_length[len]);
          if (cases[i].at_length[len] == LK_SNIFF_NOT_IMAGE)
            g_assert_null (format);
          else
            g_assert_nonnull (format);
        }
      /* Longer heads: never a crash, and once the signature is whole the answer is final. */
      for (gsize len = 4; len <= MIN (size, LK_SNIFF_BYTES); len++)
        if (len >= 12)
          g_assert_cmpint (sniff (data, len, NULL), ==, whole);
        else
          sniff (data, len, NULL);
    }
}

/* What sniffing says agrees with what decoding does: an image decodes or fails as corrupt (never
 * "not a supported image format"), an unsupported format fails naming the same format. */
static void
test_sniff_agrees_with_decoder (void)
{
  g_autofree char *folder = g_test_build_filename (G_TEST_DIST, "..", "data", "images", NULL);
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint n_images = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr (GBytes) bytes = fixture_bytes (name);
      g_autoptr (GError) error = NULL;
      g_autoptr (LkImage) image = NULL;
      const char *format = NULL;
      LkSniff kind;

      kind = sniff (g_bytes_get_data (bytes, NULL), MIN (g_bytes_get_size (bytes), LK_SNIFF_BYTES),
                    &format);
      image = lk_image_decode_bytes (bytes, name, NULL, &error);
      g_test_message ("%s: sniffed %d (%s), %s", name, kind, format,
                      error != NULL ? error->message : "decoded");
      if (kind == LK_SNIFF_IMAGE)
        {
          n_images++;
          g_assert_true (image != NULL || strstr (error->message, "not a supported") == NULL);
        }
      else if (kind == LK_SNIFF_UNSUPPORTED)
        {
          g_autofree char *reason = g_strdup_printf ("unsupported image format (%s)", format);

          g_assert_null (image);
          g_assert_nonnull (strstr (error->message, reason));
        }
      else
        /* Only TGA decodes without a signature. */
        g_assert_true (image == NULL || g_str_has_suffix (name, ".tga"));
    }
  g_assert_cmpuint (n_images, >=, 20);
}

/* Size hints and scaled JPEG decoding ---------------------------------------------------------- */

static void
test_set_target (void)
{
  static const struct
  {
    LkPreprocess mode;
    int size, min_short, min_long;
  } cases[] = {
    /* center-crop: the short side is resized to round (size × 256 / 224) before the crop */
    { LK_PREPROCESS_CENTER_CROP, 224, 256, 0 },
    { LK_PREPROCESS_CENTER_CROP, 64, 73, 0 },
    { LK_PREPROCESS_CENTER_CROP, 112, 128, 0 },
    { LK_PREPROCESS_CENTER_CROP, 512, 585, 0 },
    /* fit: the long side becomes the size */
    { LK_PREPROCESS_FIT, 224, 0, 224 },
    { LK_PREPROCESS_FIT, 64, 0, 64 },
    /* stretch: both sides become the size, so the short one must reach it */
    { LK_PREPROCESS_STRETCH, 224, 224, 0 },
    { LK_PREPROCESS_STRETCH, 512, 512, 0 },
    /* nonsense: full size */
    { LK_PREPROCESS_CENTER_CROP, 0, 0, 0 },
    { LK_PREPROCESS_FIT, -5, 0, 0 },
    { (LkPreprocess) 42, 224, 0, 0 },
  };
  LkDecodeParams params = lk_decode_default_params ();

  g_assert_cmpint (params.min_short_side, ==, 0);
  g_assert_cmpint (params.min_long_side, ==, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      params.min_short_side = params.min_long_side = 999;
      lk_decode_params_set_target (&params, cases[i].mode, cases[i].size);
      g_test_message ("%d at %d", cases[i].mode, cases[i].size);
      g_assert_cmpint (params.min_short_side, ==, cases[i].min_short);
      g_assert_cmpint (params.min_long_side, ==, cases[i].min_long);
      /* The limits are left alone. */
      g_assert_cmpuint (params.max_pixels, ==, lk_decode_default_params ().max_pixels);
    }
}

static LkImage *
decode_fixture_with (const char *name, const LkDecodeParams *params)
{
  g_autofree char *path = fixture_path (name);
  g_autoptr (GError) error = NULL;
  LkImage *image = lk_image_decode_file (path, params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static LkImage *
decode_fixture_for (const char *name, LkPreprocess mode, int size)
{
  LkDecodeParams params = lk_decode_default_params ();

  lk_decode_params_set_target (&params, mode, size);
  return decode_fixture_with (name, &params);
}

static void
assert_size (const LkImage *image, int width, int height)
{
  g_assert_cmpint (image->width, ==, width);
  g_assert_cmpint (image->height, ==, height);
}

/* The mean of each @factor × @factor block (fewer pixels at the right and bottom edges). */
static LkImage *
box_downscale (const LkImage *image, int factor)
{
  int out_w = (image->width + factor - 1) / factor, out_h = (image->height + factor - 1) / factor;
  LkImage *out = lk_image_new (out_w, out_h);

  for (int oy = 0; oy < out_h; oy++)
    for (int ox = 0; ox < out_w; ox++)
      {
        guint sum[3] = { 0, 0, 0 }, n = 0;

        for (int y = oy * factor; y < MIN ((oy + 1) * factor, image->height); y++)
          for (int x = ox * factor; x < MIN ((ox + 1) * factor, image->width); x++, n++)
            for (int c = 0; c < 3; c++)
              sum[c] += pixel (image, x, y)[c];
        for (int c = 0; c < 3; c++)
          out->pixels[3 * ((gsize) oy * out_w + ox) + c] = (guint8) ((sum[c] + n / 2) / n);
      }
  return out;
}

/* Mean absolute difference per sample, and PSNR in dB, of two images of the same size. */
static void
compare_images (const LkImage *a, const LkImage *b, double *mean_abs, double *psnr)
{
  gsize n = (gsize) 3 * a->width * a->height;
  double sum_abs = 0, sum_sq = 0;

  assert_size (b, a->width, a->height);
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) a->pixels[i] - b->pixels[i];

      sum_abs += fabs (d);
      sum_sq += d * d;
    }
  *mean_abs = sum_abs / n;
  *psnr = sum_sq == 0 ? INFINITY : 10 * log10 (255.0 * 255.0 / (sum_sq / n));
}

/* @scaled is what a full decode of @name, averaged over blocks of @factor × @factor pixels, gives,
 * within what scaling in the DCT domain (a different filter than the box) changes at edges. */
static void
assert_matches_box_downscale (const char *name, const LkImage *scaled, int factor)
{
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (LkImage) full = decode_fixture_with (name, &params);
  g_autoptr (LkImage) boxed = box_downscale (full, factor);
  double mean_abs, psnr;

  compare_images (scaled, boxed, &mean_abs, &psnr);
  g_test_message ("%s at 1/%d: mean abs diff %.3f, PSNR %.1f dB", name, factor, mean_abs, psnr);
  g_assert_cmpfloat (mean_abs, <, 0.5);
  g_assert_cmpfloat (psnr, >, 40.0);
}

static void
test_scaled_size (void)
{
  static const struct
  {
    int min_short, min_long, width, height;
  } cases[] = {
    { 0, 0, 1600, 1200 },       /* no hints: full size */
    { 256, 0, 400, 300 },       /* center-crop 224: 1/4 as 300 >= 256, not 1/8 (150) */
    { 300, 0, 400, 300 },       /* exactly 1/4 of the short side */
    { 301, 0, 800, 600 },       /* one more: 1/2 */
    { 600, 0, 800, 600 },       /* exactly 1/2 */
    { 601, 0, 1600, 1200 },     /* 1/2 is not enough and nothing lies between 1/2 and 1 */
    { 1, 0, 200, 150 },         /* 1/8 at most */
    { 0, 224, 400, 300 },       /* fit 224: the long side at 1/8 (200) is too short */
    { 0, 200, 200, 150 },       /* exactly 1/8 of the long side */
    { 0, 801, 1600, 1200 },     /* the long side */
    { 150, 201, 400, 300 },     /* both: the long side decides */
    { 151, 200, 400, 300 },     /* both: the short side decides */
    { 5000, 5000, 1600, 1200 }, /* more than there is: full size, never enlarged */
    { -1, 0, 1600, 1200 },      /* nonsense: full size */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LkDecodeParams params = lk_decode_default_params ();
      g_autoptr (LkImage) image = NULL;

      params.min_short_side = cases[i].min_short;
      params.min_long_side = cases[i].min_long;
      g_test_message ("short >= %d, long >= %d", cases[i].min_short, cases[i].min_long);
      image = decode_fixture_with ("photo.jpg", &params);
      assert_size (image, cases[i].width, cases[i].height);
    }
}

static void
test_scaled_targets (void)
{
  g_autoptr (LkImage) crop = decode_fixture_for ("photo.jpg", LK_PREPROCESS_CENTER_CROP, 224);
  g_autoptr (LkImage) fit = decode_fixture_for ("photo.jpg", LK_PREPROCESS_FIT, 224);
  g_autoptr (LkImage) fit_64 = decode_fixture_for ("photo.jpg", LK_PREPROCESS_FIT, 64);
  g_autoptr (LkImage) stretch = decode_fixture_for ("photo.jpg", LK_PREPROCESS_STRETCH, 224);
  g_autoptr (LkImage) crop_512 = decode_fixture_for ("photo.jpg", LK_PREPROCESS_CENTER_CROP, 512);

  /* 1600×1200: center-crop 224 needs a 256 short side (1/4: 300), fit 224 a 224 long side (1/4:
   * 400; 1/8 gives 200), fit 64 a 64 long side (1/8), stretch 224 a 224 short side (1/4),
   * center-crop 512 a 585 short side (1/2: 600). */
  assert_size (crop, 400, 300);
  assert_size (fit, 400, 300);
  assert_size (fit_64, 200, 150);
  assert_size (stretch, 400, 300);
  assert_size (crop_512, 800, 600);

  /* Each is the photo, not just an image of the right size. */
  assert_matches_box_downscale ("photo.jpg", crop, 4);
  assert_matches_box_downscale ("photo.jpg", fit_64, 8);
  assert_matches_box_downscale ("photo.jpg", crop_512, 2);
}

static void
test_scaled_progressive (void)
{
  g_autoptr (LkImage) image =
    decode_fixture_for ("photo-progressive.jpg", LK_PREPROCESS_CENTER_CROP, 224);
  g_autoptr (LkImage) baseline = decode_fixture_for ("photo.jpg", LK_PREPROCESS_CENTER_CROP, 224);
  double mean_abs, psnr;

  assert_size (image, 400, 300);
  assert_matches_box_downscale ("photo-progressive.jpg", image, 4);
  /* The same photo as the baseline file, coded another way. */
  compare_images (image, baseline, &mean_abs, &psnr);
  g_test_message ("against photo.jpg: mean abs diff %.3f, PSNR %.1f dB", mean_abs, psnr);
  g_assert_cmpfloat (mean_abs, <, 0.5);
  g_assert_cmpfloat (psnr, >, 40.0);
}

static void
test_scaled_orientation (void)
{
  /* 800×600 upright, stored 600×800 with orientation 6. Center-crop 224 needs a 256 short side:
   * 1/2, giving 400×300 upright. */
  g_autoptr (LkImage) image =
    decode_fixture_for ("photo-orient-6.jpg", LK_PREPROCESS_CENTER_CROP, 224);
  g_autoptr (LkImage) reference = decode_fixture_for ("photo.jpg", LK_PREPROCESS_FIT, 224);
  LkDecodeParams params = lk_decode_default_params ();
  g_autoptr (LkImage) stored = NULL;
  double mean_abs, psnr;

  assert_size (image, 400, 300);
  assert_matches_box_downscale ("photo-orient-6.jpg", image, 2);
  /* Upright: the same picture as the 1600×1200 photo at 1/4. */
  compare_images (image, reference, &mean_abs, &psnr);
  g_test_message ("against photo.jpg at 1/4: mean abs diff %.3f, PSNR %.1f dB", mean_abs, psnr);
  g_assert_cmpfloat (mean_abs, <, 1.0);
  g_assert_cmpfloat (psnr, >, 35.0);

  /* Without orientation, as stored: on its side. */
  lk_decode_params_set_target (&params, LK_PREPROCESS_CENTER_CROP, 224);
  params.apply_orientation = FALSE;
  stored = decode_fixture_with ("photo-orient-6.jpg", &params);
  assert_size (stored, 300, 400);
}

/* A grey @width × @height JPEG made by TurboJPEG, a gradient. */
static GBytes *
make_grey_jpeg (int width, int height)
{
  g_autofree guint8 *grey = g_malloc ((gsize) width * height);
  unsigned char *jpeg = NULL;
  unsigned long jpeg_len = 0;
  tjhandle tj = tjInitCompress ();
  GBytes *bytes;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      grey[(gsize) y * width + x] = (guint8) ((x + y) * 255 / (width + height));
  g_assert_cmpint (
    tjCompress2 (tj, grey, width, 0, height, TJPF_GRAY, &jpeg, &jpeg_len, TJSAMP_GRAY, 75, 0), ==,
    0);
  bytes = g_bytes_new (jpeg, jpeg_len);
  tjFree (jpeg);
  tjDestroy (tj);
  return bytes;
}

static void
test_scaled_odd_size (void)
{
  /* 1001×751: scaling by 1/n gives ceil (side / n) pixels, 126×94 at 1/8 and 251×188 at 1/4. */
  g_autoptr (GBytes) bytes = make_grey_jpeg (1001, 751);
  static const int cases[][4] = {
    { 94, 0, 126, 94 },   { 95, 0, 251, 188 },  { 0, 126, 126, 94 },
    { 0, 127, 251, 188 }, { 376, 0, 501, 376 }, { 377, 0, 1001, 751 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      LkDecodeParams params = lk_decode_default_params ();
      g_autoptr (GError) error = NULL;
      g_autoptr (LkImage) image = NULL;

      params.min_short_side = cases[i][0];
      params.min_long_side = cases[i][1];
      image = lk_image_decode_bytes (bytes, "odd.jpg", &params, &error);
      g_assert_no_error (error);
      assert_size (image, cases[i][2], cases[i][3]);
    }
}

/* Decodes @data with and without hints: both fail with the same message, or both succeed. */
static void
assert_same_outcome_with_hints (const guint8 *data, gsize len, const char *name,
                                const char *expected)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);
  LkDecodeParams plain = lk_decode_default_params ();
  LkDecodeParams hinted = lk_decode_default_params ();
  g_autoptr (GError) plain_error = NULL;
  g_autoptr (GError) hinted_error = NULL;
  g_autoptr (LkImage) a = NULL;
  g_autoptr (LkImage) b = NULL;

  lk_decode_params_set_target (&hinted, LK_PREPROCESS_CENTER_CROP, 64);
  a = lk_image_decode_bytes (bytes, name, &plain, &plain_error);
  b = lk_image_decode_bytes (bytes, name, &hinted, &hinted_error);
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    {
      g_assert_error (plain_error, LK_ERROR, LK_ERROR_DECODE);
      g_assert_error (hinted_error, LK_ERROR, LK_ERROR_DECODE);
      g_assert_cmpstr (plain_error->message, ==, hinted_error->message);
    }
  if (expected != NULL)
    {
      g_assert_nonnull (plain_error);
      g_assert_true (g_str_has_prefix (plain_error->message, expected));
    }
}

/* Where the entropy-coded data of the first scan starts and ends. */
static void
find_first_scan (const guint8 *data, gsize len, gsize *start, gsize *end)
{
  const guint8 *sos = memmem (data, len, "\xFF\xDA", 2);
  gsize pos;

  g_assert_nonnull (sos);
  pos = (gsize) (sos - data);
  pos += 2 + ((gsize) data[pos + 2] << 8 | data[pos + 3]);
  *start = pos;
  while (pos + 1 < len
         && !(data[pos] == 0xFF && data[pos + 1] != 0 && (data[pos + 1] & 0xF8) != 0xD0))
    pos++;
  *end = pos;
}

static void
test_scaled_errors (void)
{
  static const char *const names[] = { "photo.jpg", "photo-progressive.jpg" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GBytes) bytes = fixture_bytes (names[i]);
      const guint8 *data = g_bytes_get_data (bytes, NULL);
      gsize len = g_bytes_get_size (bytes), start, end;
      g_autofree guint8 *copy = g_memdup2 (data, len);
      g_autofree char *truncated = g_strdup_printf ("%s: truncated JPEG", names[i]);
      g_autofree char *corrupt = g_strdup_printf ("%s: corrupt JPEG (", names[i]);
      GRand *rand = g_rand_new_with_seed (7);

      g_test_message ("%s", names[i]);
      find_first_scan (data, len, &start, &end);
      g_assert_cmpuint (end - start, >, 100);

      /* Cut in the middle of the data, and at the very end. */
      assert_same_outcome_with_hints (data, (start + end) / 2, names[i], truncated);
      assert_same_outcome_with_hints (data, len - 1, names[i], truncated);

      /* A marker in the middle of the entropy-coded data: libjpeg only warns ("premature end of
       * data segment") and would fill the rest with grey; it must be an error. */
      copy[(start + end) / 2] = 0xFF;
      copy[(start + end) / 2 + 1] = 0xD5;
      assert_same_outcome_with_hints (copy, len, names[i], corrupt);
      memcpy (copy, data, len);

      /* Random damage: same outcome either way. */
      for (int round = 0; round < 40; round++)
        {
          memcpy (copy, data, len);
          for (int k = 0; k < 1 + round % 3; k++)
            copy[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int (rand);
          assert_same_outcome_with_hints (copy, len, names[i], NULL);
        }
      g_rand_free (rand);
    }
}

static void
test_jpeg_stop_on_warning (void)
{
  g_autoptr (GBytes) bytes = fixture_bytes ("photo-progressive.jpg");
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes), start, end;
  g_autofree guint8 *copy = g_memdup2 (data, len);
  guint8 *second_sos;

  /* Two problems: a marker in the middle of the first scan's data, which libjpeg only warns
   * about, and a second scan for a component that does not exist, which is fatal. Decoding stops
   * at the first; the error names it. (Going on would decode the rest of the image for nothing
   * and then report the second.) */
  find_first_scan (data, len, &start, &end);
  second_sos = memmem (copy + end, len - end, "\xFF\xDA", 2);
  g_assert_nonnull (second_sos);
  g_assert_cmpint (second_sos[4], ==, 1); /* one component, the selector next */
  second_sos[5] = 9;
  assert_same_outcome_with_hints (copy, len, "bad.jpg",
                                  "bad.jpg: corrupt JPEG (invalid component ID 9 in SOS)");

  copy[(start + end) / 2] = 0xFF;
  copy[(start + end) / 2 + 1] = 0xD5;
  assert_same_outcome_with_hints (copy, len, "bad.jpg",
                                  "bad.jpg: corrupt JPEG (premature end of data segment)");
}

static void
test_jpeg_extraneous_bytes (void)
{
  g_autoptr (GBytes) bytes = fixture_bytes ("photo.jpg");
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);
  g_autoptr (GByteArray) junk = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  static const guint8 stray[] = { 0x00, 0x13, 0x37, 0x00 };

  /* stray bytes before EOI, as some cameras and editors leave them: libjpeg warns, every viewer
   * shows the image, and so do we, with exactly the clean file's pixels */
  g_assert_true (len > 2 && data[len - 2] == 0xFF && data[len - 1] == 0xD9);
  g_byte_array_append (junk, data, (guint) len - 2);
  g_byte_array_append (junk, stray, sizeof stray);
  g_byte_array_append (junk, data + len - 2, 2);

  g_autoptr (GBytes) damaged = g_byte_array_free_to_bytes (g_steal_pointer (&junk));
  g_autoptr (LkImage) clean = lk_image_decode_bytes (bytes, "clean.jpg", NULL, &error);
  g_assert_no_error (error);
  g_autoptr (LkImage) got = lk_image_decode_bytes (damaged, "stray.jpg", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->width, ==, clean->width);
  g_assert_cmpint (got->height, ==, clean->height);
  g_assert_cmpmem (got->pixels, (gsize) got->width * got->height * 3, clean->pixels,
                   (gsize) clean->width * clean->height * 3);
}

/* A progressive 8×8 grey JPEG of @n_scans scans (at most 883): one DC scan, then for each AC
 * coefficient a first scan at the coarsest precision and 13 refinements. Every block is empty,
 * so each scan is one end-of-block code. */
static GBytes *
make_many_scans_jpeg (int n_scans)
{
  static const guint8 header[] = {
    0xFF, 0xD8,                                         /* SOI */
    0xFF, 0xC2, 0, 11, 8,    0, 8, 0, 8, 1, 1, 0x11, 0, /* SOF2: 8×8, one component */
    0xFF, 0xC4, 0, 20, 0x00, 1, 0, 0, 0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, /* DC: "0" */
    0xFF, 0xC4, 0, 20, 0x10, 1, 0, 0, 0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, /* AC: EOB */
  };
  GByteArray *jpeg = g_byte_array_new ();
  guint8 dqt[69] = { 0xFF, 0xDB, 0, 67, 0 };
  int scans = 0;

  memset (dqt + 5, 1, 64);
  g_byte_array_append (jpeg, header, 2);
  g_byte_array_append (jpeg, dqt, sizeof dqt);
  g_byte_array_append (jpeg, header + 2, sizeof header - 2);

  /* DC: Ss = Se = 0, Ah = Al = 0. Each AC coefficient: a first scan (Ah 0, Al 13), then
   * refinements Ah 13 down to 1 with Al = Ah - 1. The data: code "0" padded with ones. */
  for (int k = 0; k <= 63; k++)
    for (int step = 0; step < (k == 0 ? 1 : 14) && scans < n_scans; step++, scans++)
      {
        int ah = step == 0 ? 0 : 14 - step, al = k == 0 ? 0 : 13 - step;
        guint8 sos[] = { 0xFF, 0xDA, 0, 8, 1, 1, 0x00, k, k, ah << 4 | al, 0x7F };

        g_byte_array_append (jpeg, sos, sizeof sos);
      }
  g_byte_array_append (jpeg, (const guint8 *) "\xFF\xD9", 2);
  g_assert_cmpint (scans, ==, n_scans);
  return g_byte_array_free_to_bytes (jpeg);
}

static void
test_jpeg_too_many_scans (void)
{
  g_autoptr (GBytes) few = make_many_scans_jpeg (500);
  g_autoptr (GBytes) many = make_many_scans_jpeg (883);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = lk_image_decode_bytes (few, "few.jpg", NULL, &error);

  /* 500 scans are valid and decode: mid-grey, every coefficient being zero. */
  g_assert_no_error (error);
  assert_size (image, 8, 8);
  g_assert_cmpint (pixel (image, 3, 3)[0], ==, 128);

  /* More are refused rather than decoded, however long that takes. */
  g_assert_null (lk_image_decode_bytes (many, "many.jpg", NULL, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_DECODE);
  assert_error_message (error, "many.jpg: corrupt JPEG (progressive JPEG image has more than "
                               "500 scans)");
}

static void
test_jpeg_cmyk (void)
{
  /* Adobe CMYK (PIL), stored inverted. */
  assert_decode_fixture ("cmyk.jpg", expect_cmyk, 4);

  /* YCCK (TurboJPEG makes it from CMYK), scaled too. */
  {
    g_autofree guint8 *cmyk = g_malloc (PATTERN_W * PATTERN_H * 4);
    unsigned char *jpeg = NULL;
    unsigned long jpeg_len = 0;
    tjhandle tj = tjInitCompress ();
    g_autoptr (GBytes) bytes = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (LkImage) image = NULL;
    LkDecodeParams params = lk_decode_default_params ();

    /* Inverted: 255 - ink is stored, as in cmyk.jpg. */
    for (int y = 0; y < PATTERN_H; y++)
      for (int x = 0; x < PATTERN_W; x++)
        {
          guint8 *p = cmyk + 4 * (y * PATTERN_W + x);
          int block = (y / PATTERN_BLOCK) * 3 + x / PATTERN_BLOCK;

          memcpy (p, COLOURS[block], 3);
          p[3] = 255 - BLACK_INK[block];
        }
    g_assert_cmpint (tjCompress2 (tj, cmyk, PATTERN_W, 0, PATTERN_H, TJPF_CMYK, &jpeg, &jpeg_len,
                                  TJSAMP_444, 95, 0),
                     ==, 0);
    bytes = g_bytes_new (jpeg, jpeg_len);
    tjFree (jpeg);
    tjDestroy (tj);

    image = lk_image_decode_bytes (bytes, "ycck.jpg", NULL, &error);
    g_assert_no_error (error);
    assert_pattern (image, expect_cmyk, 4);
    lk_image_free (g_steal_pointer (&image));

    params.min_short_side = 16; /* 1/2 */
    image = lk_image_decode_bytes (bytes, "ycck.jpg", &params, &error);
    g_assert_no_error (error);
    assert_size (image, PATTERN_W / 2, PATTERN_H / 2);
    for (int block = 0; block < 6; block++)
      {
        guint8 want[3];

        expect_cmyk (block, want);
        for (int c = 0; c < 3; c++)
          g_assert_cmpint (ABS (pixel (image, block % 3 * 8 + 4, block / 3 * 8 + 4)[c] - want[c]),
                           <=, 4);
      }
  }
}

static void
test_jpeg_variants (void)
{
  g_autoptr (GBytes) bytes = fixture_bytes ("baseline.jpg");
  gsize len = g_bytes_get_size (bytes);
  g_autofree guint8 *copy = g_malloc (len + 3);
  g_autoptr (GBytes) padded = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;
  guint8 *sof;

  /* Fill bytes before SOI, which stb_image accepted, still decode. */
  memcpy (copy, "\xFF\xFF\xFF", 3);
  memcpy (copy + 3, g_bytes_get_data (bytes, NULL), len);
  padded = g_bytes_new (copy, len + 3);
  image = lk_image_decode_bytes (padded, "padded.jpg", NULL, &error);
  g_assert_no_error (error);
  assert_pattern (image, expect_colour, 4);

  /* Two colour components. */
  ASSERT_BYTES_FAIL ("\xFF\xD8\xFF\xC0\0\x0E\x08\0\x10\0\x10\x02\x01\x11\0\x02\x11\0\xFF\xD9",
                     "two.jpg", "two.jpg: unsupported JPEG variant (2 colour components)");

  /* Height 0: "given later by a DNL marker", which libjpeg does not support. */
  memcpy (copy, g_bytes_get_data (bytes, NULL), len);
  sof = memmem (copy, len, "\xFF\xC0", 2);
  g_assert_nonnull (sof);
  sof[5] = sof[6] = 0;
  assert_bytes_fail (copy, len, "dnl.jpg",
                     "dnl.jpg: unsupported JPEG variant (height given by a DNL marker)");
}

/* Resampling ----------------------------------------------------------------------------------- */

static LkImage *
noise_image (int width, int height, guint32 seed)
{
  LkImage *image = lk_image_new (width, height);

  for (gsize i = 0; i < (gsize) 3 * width * height; i++)
    {
      seed = seed * 1664525 + 1013904223;
      image->pixels[i] = seed >> 24;
    }
  return image;
}

static void
fill (LkImage *image, int x0, int y0, int x1, int y1, guint8 r, guint8 g, guint8 b)
{
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        guint8 *p = image->pixels + 3 * ((gsize) y * image->width + x);
        p[0] = r, p[1] = g, p[2] = b;
      }
}

static LkImage *
resample (const LkImage *image, LkPreprocess mode, int size)
{
  g_autoptr (GError) error = NULL;
  LkImage *out = lk_image_resample (image, mode, size, &error);

  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpint (out->width, ==, size);
  g_assert_cmpint (out->height, ==, size);
  return out;
}

static void
test_resample_identity (void)
{
  g_autoptr (LkImage) image = noise_image (224, 224, 1);
  g_autoptr (LkImage) fit = resample (image, LK_PREPROCESS_FIT, 224);
  g_autoptr (LkImage) stretch = resample (image, LK_PREPROCESS_STRETCH, 224);
  g_autoptr (LkImage) crop = resample (image, LK_PREPROCESS_CENTER_CROP, 224);

  g_assert_cmpmem (fit->pixels, 3 * 224 * 224, image->pixels, 3 * 224 * 224);
  g_assert_cmpmem (stretch->pixels, 3 * 224 * 224, image->pixels, 3 * 224 * 224);
  /* center-crop resizes to 256 first, so it is not an identity. */
  g_assert_true (memcmp (crop->pixels, image->pixels, 3 * 224 * 224) != 0);
}

static void
test_resample_fit_border (void)
{
  g_autoptr (LkImage) wide = lk_image_new (200, 100);
  g_autoptr (LkImage) tall = NULL;
  g_autoptr (LkImage) out = NULL;
  guint64 sum[3] = { 0, 0, 0 }, n = 0;
  guint8 mean[3];
  guint32 seed = 7;

  /* A red product on a ring of random pixels. */
  fill (wide, 0, 0, 200, 100, 200, 30, 30);
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 200; x++)
      if (x == 0 || y == 0 || x == 199 || y == 99)
        {
          guint8 *p = wide->pixels + 3 * (y * 200 + x);
          for (int c = 0; c < 3; c++)
            {
              seed = seed * 1664525 + 1013904223;
              p[c] = seed >> 24;
              sum[c] += p[c];
            }
          n++;
        }
  for (int c = 0; c < 3; c++)
    mean[c] = (guint8) ((double) sum[c] / n + 0.5);

  /* 200×100 -> 100×50, centred: rows 0-24 and 75-99 are padding of exactly the mean colour. */
  out = resample (wide, LK_PREPROCESS_FIT, 100);
  for (int y = 0; y < 100; y++)
    {
      gboolean padding = y < 25 || y >= 75;

      for (int x = 0; x < 100; x += 9)
        if (padding)
          g_assert_cmpmem (pixel (out, x, y), 3, mean, 3);
      if (!padding && y > 30 && y < 70)
        for (int c = 0; c < 3; c++)
          g_assert_cmpint (ABS (pixel (out, 50, y)[c] - pixel (wide, 100, 50)[c]), <=, 2);
    }
  g_assert_true (memcmp (pixel (out, 50, 25), mean, 3) != 0);
  g_assert_true (memcmp (pixel (out, 50, 74), mean, 3) != 0);

  /* The same turned on its side pads left and right. */
  tall = lk_image_apply_orientation (wide, 6);
  g_clear_pointer (&out, lk_image_free);
  out = resample (tall, LK_PREPROCESS_FIT, 100);
  for (int x = 0; x < 100; x++)
    if (x < 25 || x >= 75)
      g_assert_cmpmem (pixel (out, x, 40), 3, mean, 3);
  g_assert_true (memcmp (pixel (out, 25, 50), mean, 3) != 0);
}

static void
test_resample_fit_same_long_side (void)
{
  /* 224×100 into 224: neither axis changes size, so the content is copied exactly into the
   * middle (Catmull-Rom interpolates; Mitchell would blur). */
  g_autoptr (LkImage) image = noise_image (224, 100, 3);
  g_autoptr (LkImage) out = resample (image, LK_PREPROCESS_FIT, 224);

  for (int y = 0; y < 100; y++)
    g_assert_cmpmem (pixel (out, 0, 62 + y), 3 * 224, pixel (image, 0, y), 3 * 224);
}

static void
test_center_crop_geometry (void)
{
  /* From torchvision 0.14: Resize (round (size × 256 / 224)) then CenterCrop (size). */
  static const int cases[][7] = {
    /* width, height, size, resized width, resized height, left, top */
    { 640, 480, 224, 341, 256, 58, 16 },     { 480, 640, 224, 256, 341, 16, 58 },
    { 343, 256, 224, 343, 256, 60, 16 },     { 341, 256, 224, 341, 256, 58, 16 },
    { 1, 500, 224, 256, 128000, 16, 63888 }, { 500, 1, 224, 128000, 256, 63888, 16 },
    { 28, 28, 224, 256, 256, 16, 16 },       { 224, 224, 224, 256, 256, 16, 16 },
    { 1000, 999, 224, 256, 256, 16, 16 },    { 300, 200, 64, 109, 73, 22, 4 },
    { 257, 1000, 112, 128, 498, 8, 193 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 rw, rh, left, top;

      lk_center_crop_geometry (cases[i][0], cases[i][1], cases[i][2], &rw, &rh, &left, &top);
      g_assert_cmpint (rw, ==, cases[i][3]);
      g_assert_cmpint (rh, ==, cases[i][4]);
      g_assert_cmpint (left, ==, cases[i][5]);
      g_assert_cmpint (top, ==, cases[i][6]);
    }
}

static void
test_resample_center_crop (void)
{
  /* 560×448: resized to 320×256, cropped at (48, 16). A red edge at source x = 140 lands at
   * resized x = 80, output x = 32; a green edge at source y = 336 at resized y = 192, output
   * 176. */
  g_autoptr (LkImage) image = lk_image_new (560, 448);
  g_autoptr (LkImage) out = NULL;

  for (int y = 0; y < 448; y++)
    for (int x = 0; x < 560; x++)
      {
        guint8 *p = image->pixels + 3 * (y * 560 + x);
        p[0] = x < 140 ? 0 : 255;
        p[1] = y < 336 ? 0 : 255;
        p[2] = 128;
      }
  out = resample (image, LK_PREPROCESS_CENTER_CROP, 224);

  /* The filter is symmetric, so the two pixels either side of an edge sum to 255. */
  for (int i = 0; i < 224; i += 37)
    {
      g_assert_cmpint (pixel (out, 28, i)[0], <=, 2);
      g_assert_cmpint (pixel (out, 36, i)[0], >=, 253);
      g_assert_cmpint (ABS (pixel (out, 31, i)[0] + pixel (out, 32, i)[0] - 255), <=, 2);
      g_assert_cmpint (pixel (out, i, 172)[1], <=, 2);
      g_assert_cmpint (pixel (out, i, 180)[1], >=, 253);
      g_assert_cmpint (ABS (pixel (out, i, 175)[1] + pixel (out, i, 176)[1] - 255), <=, 2);
      g_assert_cmpint (pixel (out, i, i)[2], ==, 128);
    }
}

static void
test_resample_stretch (void)
{
  /* 100×50: red edge at x = 50 and green edge at y = 25 both land at 112 of 224. */
  g_autoptr (LkImage) image = lk_image_new (100, 50);
  g_autoptr (LkImage) out = NULL;

  fill (image, 0, 0, 50, 25, 0, 0, 60);
  fill (image, 50, 0, 100, 25, 255, 0, 60);
  fill (image, 0, 25, 50, 50, 0, 255, 60);
  fill (image, 50, 25, 100, 50, 255, 255, 60);
  out = resample (image, LK_PREPROCESS_STRETCH, 224);

  for (int i = 0; i < 224; i += 31)
    {
      g_assert_cmpint (pixel (out, 107, i)[0], ==, 0);
      g_assert_cmpint (pixel (out, 116, i)[0], ==, 255);
      g_assert_cmpint (ABS (pixel (out, 111, i)[0] + pixel (out, 112, i)[0] - 255), <=, 2);
      g_assert_cmpint (pixel (out, i, 107)[1], ==, 0);
      g_assert_cmpint (pixel (out, i, 116)[1], ==, 255);
      g_assert_cmpint (ABS (pixel (out, i, 111)[1] + pixel (out, i, 112)[1] - 255), <=, 2);
    }
}

static void
test_resample_extreme_aspect (void)
{
  g_autoptr (LkImage) column = lk_image_new (1, 500);
  g_autoptr (LkImage) row = NULL;
  static const guint8 mean[3] = { 100, 0, 50 };

  /* Red top half, blue bottom half; the border ring is the whole image. */
  fill (column, 0, 0, 1, 250, 200, 0, 0);
  fill (column, 0, 250, 1, 500, 0, 0, 100);
  row = lk_image_apply_orientation (column, 8);

  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      g_autoptr (LkImage) a = resample (column, mode, 224);
      g_autoptr (LkImage) b = resample (row, mode, 224);

      g_test_message ("%s", lk_preprocess_to_string (mode));
      if (mode == LK_PREPROCESS_FIT)
        {
          /* A one-pixel column at x = 111 on a canvas of the mean colour. */
          g_assert_cmpmem (pixel (a, 0, 100), 3, mean, 3);
          g_assert_cmpmem (pixel (a, 223, 100), 3, mean, 3);
          g_assert_cmpmem (pixel (a, 112, 100), 3, mean, 3);
          g_assert_cmpint (pixel (a, 111, 10)[0], ==, 200);
          g_assert_cmpint (pixel (a, 111, 213)[2], ==, 100);
          g_assert_cmpmem (pixel (b, 100, 0), 3, mean, 3);
          g_assert_cmpint (pixel (b, 10, 111)[0], ==, 200);
        }
      else if (mode == LK_PREPROCESS_STRETCH)
        {
          g_assert_cmpint (pixel (a, 0, 10)[0], ==, 200);
          g_assert_cmpint (pixel (a, 223, 213)[2], ==, 100);
        }
      else
        {
          /* Only source rows 249.6 to 250.4 survive, magnified 256×: mostly red at the top,
           * mostly blue at the bottom, the edge in the middle. */
          g_assert_cmpint (pixel (a, 5, 0)[0], >, 150);
          g_assert_cmpint (pixel (a, 5, 0)[2], <, 25);
          g_assert_cmpint (pixel (a, 5, 223)[0], <, 50);
          g_assert_cmpint (pixel (a, 5, 223)[2], >, 75);
          g_assert_cmpint (ABS (pixel (a, 5, 111)[0] - 100), <=, 2);
          g_assert_cmpint (pixel (b, 0, 5)[0], >, 150);
          g_assert_cmpint (ABS (pixel (b, 111, 5)[0] - 100), <=, 2);
        }
      /* Every column of the column image (every row of the row image) is the same. */
      for (int y = 0; y < 224; y++)
        if (mode != LK_PREPROCESS_FIT)
          for (int x = 1; x < 224; x++)
            {
              g_assert_cmpmem (pixel (a, x, y), 3, pixel (a, 0, y), 3);
              g_assert_cmpmem (pixel (b, y, x), 3, pixel (b, y, 0), 3);
            }
    }
}

static void
test_resample_long_strip (void)
{
  /* 2 × 200000: red, then green, then blue thirds. Shrinking 900× along the strip goes through
   * the block average first; the thirds must still come out in place. */
  g_autoptr (LkImage) strip = lk_image_new (2, 200001);
  g_autoptr (LkImage) across = NULL;

  fill (strip, 0, 0, 2, 66667, 240, 0, 0);
  fill (strip, 0, 66667, 2, 133334, 0, 240, 0);
  fill (strip, 0, 133334, 2, 200001, 0, 0, 240);
  across = lk_image_apply_orientation (strip, 6);

  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      g_autoptr (LkImage) a = resample (strip, mode, 224);
      g_autoptr (LkImage) b = resample (across, mode, 224);

      g_test_message ("%s", lk_preprocess_to_string (mode));
      if (mode == LK_PREPROCESS_CENTER_CROP)
        {
          /* The middle of the strip only: green. */
          g_assert_cmpmem (pixel (a, 100, 100), 3, "\0\xF0\0", 3);
          g_assert_cmpmem (pixel (b, 100, 100), 3, "\0\xF0\0", 3);
          continue;
        }
      /* Stretch fills the width; fit keeps a 1 (or 2) pixel wide column in the middle. */
      g_assert_cmpmem (pixel (a, 111, 20), 3, "\xF0\0\0", 3);
      g_assert_cmpmem (pixel (a, 111, 112), 3, "\0\xF0\0", 3);
      g_assert_cmpmem (pixel (a, 111, 203), 3, "\0\0\xF0", 3);
      /* Turned clockwise, the strip reads blue, green, red from left to right. */
      g_assert_cmpmem (pixel (b, 20, 111), 3, "\0\0\xF0", 3);
      g_assert_cmpmem (pixel (b, 203, 111), 3, "\xF0\0\0", 3);
      for (int i = 60; i < 65; i++)
        g_assert_cmpint (ABS (pixel (a, 111, 75 + i - 60)[0] - pixel (b, 148 - i + 60, 111)[0]), <=,
                         1);
    }
}

static void
test_resample_upsample (void)
{
  /* 28×28 in four 14×14 quadrants, 8× up: the middle of each quadrant keeps its colour. */
  g_autoptr (LkImage) image = lk_image_new (28, 28);

  fill (image, 0, 0, 14, 14, 250, 0, 0);
  fill (image, 14, 0, 28, 14, 0, 250, 0);
  fill (image, 0, 14, 14, 28, 0, 0, 250);
  fill (image, 14, 14, 28, 28, 250, 250, 250);

  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      g_autoptr (LkImage) out = resample (image, mode, 224);

      g_assert_cmpmem (pixel (out, 56, 56), 3, pixel (image, 7, 7), 3);
      g_assert_cmpmem (pixel (out, 168, 56), 3, pixel (image, 21, 7), 3);
      g_assert_cmpmem (pixel (out, 56, 168), 3, pixel (image, 7, 21), 3);
      g_assert_cmpmem (pixel (out, 168, 168), 3, pixel (image, 21, 21), 3);
    }
}

static void
test_resample_antialias (void)
{
  /* A one-pixel checkerboard shrunk by 500/224 must come out as an even grey (an antialiasing
   * filter averages it), not as a moiré of black and white (point sampling). */
  g_autoptr (LkImage) image = lk_image_new (500, 500);
  int lo = 255, hi = 0;

  for (int y = 0; y < 500; y++)
    for (int x = 0; x < 500; x++)
      memset (image->pixels + 3 * (y * 500 + x), (x + y) % 2 ? 255 : 0, 3);

  for (LkPreprocess mode = LK_PREPROCESS_FIT; mode <= LK_PREPROCESS_STRETCH; mode++)
    {
      g_autoptr (LkImage) out = resample (image, mode, 224);

      for (int i = 0; i < 3 * 224 * 224; i++)
        lo = MIN (lo, out->pixels[i]), hi = MAX (hi, out->pixels[i]);
    }
  g_test_message ("grey from %d to %d", lo, hi);
  g_assert_cmpint (lo, >=, 127 - 20);
  g_assert_cmpint (hi, <=, 128 + 20);
}

static void
test_resample_invalid (void)
{
  g_autoptr (LkImage) image = noise_image (10, 10, 5);
  LkImage empty = { 0, 0, NULL };
  g_autoptr (GError) error = NULL;

  g_assert_null (lk_image_resample (image, LK_PREPROCESS_FIT, 0, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (lk_image_resample (&empty, LK_PREPROCESS_FIT, 224, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (lk_image_resample (image, (LkPreprocess) 42, 224, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
}

static void
test_preprocess_strings (void)
{
  LkPreprocess mode = LK_PREPROCESS_STRETCH;

  g_assert_cmpstr (lk_preprocess_to_string (LK_PREPROCESS_FIT), ==, "fit");
  g_assert_cmpstr (lk_preprocess_to_string (LK_PREPROCESS_CENTER_CROP), ==, "center-crop");
  g_assert_cmpstr (lk_preprocess_to_string (LK_PREPROCESS_STRETCH), ==, "stretch");
  g_assert_null (lk_preprocess_to_string ((LkPreprocess) 42));

  g_assert_true (lk_preprocess_from_string ("center-crop", &mode));
  g_assert_cmpint (mode, ==, LK_PREPROCESS_CENTER_CROP);
  g_assert_true (lk_preprocess_from_string ("fit", &mode));
  g_assert_cmpint (mode, ==, LK_PREPROCESS_FIT);
  g_assert_true (lk_preprocess_from_string ("stretch", &mode));
  g_assert_cmpint (mode, ==, LK_PREPROCESS_STRETCH);
  g_assert_false (lk_preprocess_from_string ("crop", &mode));
  g_assert_false (lk_preprocess_from_string ("", &mode));
  g_assert_false (lk_preprocess_from_string (NULL, &mode));
  g_assert_cmpint (mode, ==, LK_PREPROCESS_STRETCH);
}

static void
test_to_tensor (void)
{
  static const guint8 values[4][3] = {
    { 0, 128, 255 }, { 10, 20, 30 }, { 255, 255, 255 }, { 1, 2, 3 }
  };
  LkNormalization norm = lk_normalization_imagenet ();
  g_autoptr (LkImage) image = lk_image_new (2, 2);
  float out[12];

  g_assert_cmpfloat (norm.mean[0], ==, 0.485f);
  g_assert_cmpfloat (norm.mean[1], ==, 0.456f);
  g_assert_cmpfloat (norm.mean[2], ==, 0.406f);
  g_assert_cmpfloat (norm.std[0], ==, 0.229f);
  g_assert_cmpfloat (norm.std[1], ==, 0.224f);
  g_assert_cmpfloat (norm.std[2], ==, 0.225f);

  memcpy (image->pixels, values, sizeof values);
  lk_image_to_tensor (image, &norm, out);

  /* Planar (3, H, W): out[c][y][x] = (v / 255 - mean[c]) / std[c]. */
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 4; i++)
      g_assert_cmpfloat_with_epsilon (out[c * 4 + i],
                                      (values[i][c] / 255.0 - norm.mean[c]) / norm.std[c], 1e-6);
  g_assert_cmpfloat_with_epsilon (out[0], -0.485 / 0.229, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[8 + 2], (1.0 - 0.406) / 0.225, 1e-6);
}

static void
test_scale_to_fit (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) wide = lk_image_new (300, 120);
  g_autoptr (LkImage) strip = lk_image_new (1, 500);
  g_autoptr (LkImage) small = lk_image_new (40, 30);

  for (gsize i = 0; i < 300 * 120 * 3; i++)
    wide->pixels[i] = (guint8) (i % 3 == 0 ? 200 : 50); /* flat colour: scaling keeps it */
  memset (strip->pixels, 9, 500 * 3);
  for (gsize i = 0; i < 40 * 30 * 3; i++)
    small->pixels[i] = (guint8) i;

  g_autoptr (LkImage) a = lk_image_scale_to_fit (wide, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->width, ==, 100);
  g_assert_cmpint (a->height, ==, 40);
  for (gsize i = 0; i < 100 * 40 * 3; i++)
    g_assert_cmpint (abs ((int) a->pixels[i] - (i % 3 == 0 ? 200 : 50)), <=, 1);

  g_autoptr (LkImage) b = lk_image_scale_to_fit (strip, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->width, ==, 1); /* never zero pixels wide */
  g_assert_cmpint (b->height, ==, 100);

  g_autoptr (LkImage) c = lk_image_scale_to_fit (small, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpint (c->width, ==, 40);
  g_assert_cmpint (c->height, ==, 30);
  g_assert_cmpmem (c->pixels, 40 * 30 * 3, small->pixels, 40 * 30 * 3);

  g_assert_null (lk_image_scale_to_fit (small, 0, &error));
  g_assert_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/decode/jpeg-baseline", test_jpeg_baseline);
  g_test_add_func ("/engine/decode/jpeg-progressive", test_jpeg_progressive);
  g_test_add_func ("/engine/decode/png-rgb", test_png_rgb);
  g_test_add_func ("/engine/decode/png-grey", test_png_grey);
  g_test_add_func ("/engine/decode/png-palette", test_png_palette);
  g_test_add_func ("/engine/decode/png-palette-transparent", test_png_palette_transparent);
  g_test_add_func ("/engine/decode/png-alpha", test_png_alpha);
  g_test_add_func ("/engine/decode/png-grey-alpha", test_png_grey_alpha);
  g_test_add_func ("/engine/decode/png-16-bit", test_png_16_bit);
  g_test_add_func ("/engine/decode/png-16-bit-alpha", test_png_16_bit_alpha);
  g_test_add_func ("/engine/decode/bmp", test_bmp);
  g_test_add_func ("/engine/decode/tga", test_tga);
  g_test_add_func ("/engine/decode/psd", test_psd);
  g_test_add_func ("/engine/decode/psd-16-bit", test_psd_16_bit);
  g_test_add_func ("/engine/decode/psd-matted-16-bit", test_psd_matted_16_bit);
  g_test_add_func ("/engine/decode/psd-unmatte-overflow-16-bit", test_psd_unmatte_overflow_16_bit);
  g_test_add_func ("/engine/decode/psd-unmatte-overflow-8-bit", test_psd_unmatte_overflow_8_bit);
  g_test_add_func ("/engine/decode/psd-rle-extra-channels", test_psd_rle_extra_channels);
  g_test_add_func ("/engine/decode/psd-three-channels", test_psd_three_channels);
  g_test_add_func ("/engine/decode/gif-first-frame", test_gif_first_frame);
  g_test_add_func ("/engine/decode/exif-orientations", test_exif_orientations);
  g_test_add_func ("/engine/decode/exif-orientation-off", test_exif_orientation_off);
  g_test_add_func ("/engine/decode/exif-bad-offset", test_exif_bad_offset);
  g_test_add_func ("/engine/decode/exif-parse", test_exif_parse);
  g_test_add_func ("/engine/decode/png-exif", test_png_exif);
  g_test_add_func ("/engine/decode/bytes-equal-file", test_bytes_equal_file);
  g_test_add_func ("/engine/decode/error/empty", test_error_empty);
  g_test_add_func ("/engine/decode/error/truncated-jpeg", test_error_truncated_jpeg);
  g_test_add_func ("/engine/decode/error/garbage", test_error_garbage);
  g_test_add_func ("/engine/decode/error/huge-png", test_error_huge_png);
  g_test_add_func ("/engine/decode/error/folder", test_error_folder);
  g_test_add_func ("/engine/decode/error/missing", test_error_missing);
  g_test_add_func ("/engine/decode/error/truncated-png", test_error_truncated_png);
  g_test_add_func ("/engine/decode/error/file-size", test_error_file_size);
  g_test_add_func ("/engine/decode/error/pixel-limit", test_error_pixel_limit);
  g_test_add_func ("/engine/decode/error/webp", test_error_webp);
  g_test_add_func ("/engine/decode/error/unsupported-formats", test_error_unsupported_formats);
  g_test_add_func ("/engine/decode/error/zlib-bomb", test_error_zlib_bomb);
  g_test_add_func ("/engine/decode/error/bad-huffman-table", test_error_bad_huffman_table);
  g_test_add_func ("/engine/decode/error/truncated-psd", test_error_truncated_psd);
  g_test_add_func ("/engine/decode/pnm", test_pnm);
  g_test_add_func ("/engine/decode/error/prefixes-and-corruption",
                   test_error_prefixes_and_corruption);
  g_test_add_func ("/engine/decode/budget-interlaced-rgba16", test_budget_interlaced_rgba16);
  g_test_add_func ("/engine/decode/sniff/formats", test_sniff_formats);
  g_test_add_func ("/engine/decode/sniff/short-heads", test_sniff_short_heads);
  g_test_add_func ("/engine/decode/sniff/agrees-with-decoder", test_sniff_agrees_with_decoder);
  g_test_add_func ("/engine/decode/set-target", test_set_target);
  g_test_add_func ("/engine/decode/scaled/size", test_scaled_size);
  g_test_add_func ("/engine/decode/scaled/targets", test_scaled_targets);
  g_test_add_func ("/engine/decode/scaled/progressive", test_scaled_progressive);
  g_test_add_func ("/engine/decode/scaled/orientation", test_scaled_orientation);
  g_test_add_func ("/engine/decode/scaled/odd-size", test_scaled_odd_size);
  g_test_add_func ("/engine/decode/scaled/errors", test_scaled_errors);
  g_test_add_func ("/engine/decode/jpeg/stop-on-warning", test_jpeg_stop_on_warning);
  g_test_add_func ("/engine/decode/jpeg/extraneous-bytes", test_jpeg_extraneous_bytes);
  g_test_add_func ("/engine/resample/scale-to-fit", test_scale_to_fit);
  g_test_add_func ("/engine/decode/jpeg/too-many-scans", test_jpeg_too_many_scans);
  g_test_add_func ("/engine/decode/jpeg/cmyk", test_jpeg_cmyk);
  g_test_add_func ("/engine/decode/jpeg/variants", test_jpeg_variants);
  g_test_add_func ("/engine/resample/identity", test_resample_identity);
  g_test_add_func ("/engine/resample/fit-border", test_resample_fit_border);
  g_test_add_func ("/engine/resample/fit-same-long-side", test_resample_fit_same_long_side);
  g_test_add_func ("/engine/resample/center-crop-geometry", test_center_crop_geometry);
  g_test_add_func ("/engine/resample/center-crop", test_resample_center_crop);
  g_test_add_func ("/engine/resample/stretch", test_resample_stretch);
  g_test_add_func ("/engine/resample/extreme-aspect", test_resample_extreme_aspect);
  g_test_add_func ("/engine/resample/long-strip", test_resample_long_strip);
  g_test_add_func ("/engine/resample/upsample", test_resample_upsample);
  g_test_add_func ("/engine/resample/antialias", test_resample_antialias);
  g_test_add_func ("/engine/resample/invalid", test_resample_invalid);
  g_test_add_func ("/engine/preprocess/strings", test_preprocess_strings);
  g_test_add_func ("/engine/tensor/normalize", test_to_tensor);

  return g_test_run ();
}
