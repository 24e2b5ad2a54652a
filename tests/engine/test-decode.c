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

#include <string.h>

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
  g_test_add_func ("/engine/decode/pnm", test_pnm);
  g_test_add_func ("/engine/decode/error/prefixes-and-corruption",
                   test_error_prefixes_and_corruption);
  g_test_add_func ("/engine/decode/budget-interlaced-rgba16", test_budget_interlaced_rgba16);
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
