/* lk-decode.c: image decoding within memory and size limits: JPEG with TurboJPEG (libjpeg-turbo),
 * everything else with stb_image.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This is the one file that defines STB_IMAGE_IMPLEMENTATION.
 *
 * Every image is untrusted. Before a decoder sees a byte we check the size, recognise formats we
 * cannot read, walk JPEG and PNG containers for truncation and unsupported variants (so that the
 * error says "truncated JPEG" rather than whatever a decoder makes of the missing data; stb_image
 * padded a cut JPEG with grey and called it a success) and read the dimensions, so an
 * over-limit image is refused without allocating anything. While stb_image runs, every allocation
 * it makes goes through a per-thread budget derived from the image's dimensions (see
 * budget_for ()), so a corrupt file that claims more data than its size allows fails instead of
 * allocating gigabytes. TurboJPEG allocates on its own, within what the dimensions checked
 * beforehand allow (see decode_jpeg ()).
 *
 * JPEG goes to TurboJPEG because it is faster than stb_image on full-size photos (SIMD; on twelve
 * 7-39 megapixel photos, 1.7 times as fast for the progressive originals and 2.5 times for
 * baseline copies) and because it can decode an image scaled down by 1/2, 1/4 or 1/8 in the DCT
 * domain, which the size hints of LkDecodeParams ask for: a 24-megapixel photo that will become a
 * 224-pixel network input need not be decoded whole. At the scale center-crop 224 needs, the
 * baseline copies decode 2.7 times as fast again (6.7 times counting the resampling to 224, which
 * then starts from far fewer pixels), the progressive originals 1.3 times (2.2 times), their
 * entropy decoding being most of the work.
 */
#include "lk-file.h"
#include "lk-image-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <turbojpeg.h>

/* Allocation budget ---------------------------------------------------------------------------- */

/* What stb_image may hold at once, per pixel of the image rounded up to whole 32 × 32 blocks (the
 * size of the largest JPEG MCU, from when stb_image decoded JPEG too; the rounding is harmless
 * slack for the other formats). The worst legitimate cases measured:
 *  - interlaced 16-bit RGBA PNG: the inflated data (8 B/px, plus one filter byte per row of each
 *    Adam7 pass) outgrows stb's exact first guess, so its buffer doubles to 16 B/px; the final
 *    image (8 B/px) and the largest pass (4 B/px) live beside it: 28 B/px.
 *  - Radiance HDR: 12 B/px of floats, then the 3 B/px result: 15 B/px.
 *  - first frame of a GIF: canvas, background and history: 9 B/px.
 * So 32 bytes per padded pixel. On top of that, a PNG's compressed data is gathered into one
 * buffer that grows by doubling (at most twice the input), and a fixed slack covers the decoders'
 * own tables and row buffers (a few tens of KiB) with room to spare. */
#define BUDGET_BYTES_PER_PIXEL 32
#define BUDGET_BLOCK           32
#define BUDGET_SLACK           ((gsize) 4 << 20)

typedef struct
{
  gsize limit;
  gsize live;
  gsize peak;
  gboolean exceeded;
} Budget;

/* stb_image's failure reason is thread-local too; decodes on different threads never mix. */
static _Thread_local Budget budget;
static _Thread_local gsize last_peak, last_limit;

/* Each block starts with its size, padded so the caller's memory stays maximally aligned. */
#define BLOCK_HEADER \
  (alignof (max_align_t) > sizeof (gsize) ? alignof (max_align_t) : sizeof (gsize))

static void
budget_begin (gsize limit)
{
  budget.limit = budget.live > G_MAXSIZE - limit ? G_MAXSIZE : budget.live + limit;
  budget.peak = budget.live;
  budget.exceeded = FALSE;
}

static gboolean
budget_allows (gsize growth)
{
  if (budget.live > budget.limit || growth > budget.limit - budget.live
      || growth > G_MAXSIZE - BLOCK_HEADER)
    {
      budget.exceeded = TRUE;
      return FALSE;
    }
  return TRUE;
}

static void
budget_account (gsize freed, gsize added)
{
  budget.live = budget.live - freed + added;
  budget.peak = MAX (budget.peak, budget.live);
}

/* Memory is handed out zeroed so that a decoder bug or a corrupt file never turns stale heap
 * contents into pixels (fresh large blocks come zeroed from the kernel anyway). */
static void *
budget_malloc (size_t size)
{
  guint8 *block;

  if (!budget_allows (size))
    return NULL;
  block = calloc (1, BLOCK_HEADER + size);
  if (block == NULL)
    return NULL;
  memcpy (block, &size, sizeof size);
  budget_account (0, size);
  return block + BLOCK_HEADER;
}

static void
budget_free (void *memory)
{
  guint8 *block;
  gsize size;

  if (memory == NULL)
    return;
  block = (guint8 *) memory - BLOCK_HEADER;
  memcpy (&size, block, sizeof size);
  budget_account (size, 0);
  free (block);
}

static gsize
budget_block_size (const void *memory)
{
  gsize size;

  memcpy (&size, (const guint8 *) memory - BLOCK_HEADER, sizeof size);
  return size;
}

static void *
budget_realloc (void *memory, size_t new_size)
{
  guint8 *block;
  gsize old_size;

  if (memory == NULL)
    return budget_malloc (new_size);

  block = (guint8 *) memory - BLOCK_HEADER;
  memcpy (&old_size, block, sizeof old_size);
  if (new_size > old_size && !budget_allows (new_size - old_size))
    return NULL;
  block = realloc (block, BLOCK_HEADER + new_size);
  if (block == NULL)
    return NULL;
  if (new_size > old_size)
    memset (block + BLOCK_HEADER + old_size, 0, new_size - old_size);
  memcpy (block, &new_size, sizeof new_size);
  budget_account (old_size, new_size);
  return block + BLOCK_HEADER;
}

#define STBI_MALLOC(size)                     budget_malloc (size)
#define STBI_REALLOC_SIZED(p, old_size, size) budget_realloc (p, size)
#define STBI_FREE(p)                          budget_free (p)

/* The formats lookalike.h promises but JPEG (TurboJPEG's); no Softimage PIC. */
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_ONLY_PSD
#define STBI_ONLY_PNM
#define STBI_ONLY_HDR
#define STBI_NO_STDIO
#define STB_IMAGE_IMPLEMENTATION

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <stb_image.h>
#pragma GCC diagnostic pop

/* Formats -------------------------------------------------------------------------------------- */

typedef enum
{
  FORMAT_UNKNOWN,
  FORMAT_JPEG,
  FORMAT_PNG,
  FORMAT_GIF,
  FORMAT_BMP,
  FORMAT_PSD,
  FORMAT_PNM,
  FORMAT_HDR,
  FORMAT_TGA,
} Format;

static const char *const format_names[] = {
  [FORMAT_UNKNOWN] = "image", [FORMAT_JPEG] = "JPEG", [FORMAT_PNG] = "PNG",
  [FORMAT_GIF] = "GIF",       [FORMAT_BMP] = "BMP",   [FORMAT_PSD] = "PSD",
  [FORMAT_PNM] = "PNM",       [FORMAT_HDR] = "HDR",   [FORMAT_TGA] = "TGA",
};

static gboolean
has_prefix (const guint8 *data, gsize len, gsize offset, const char *magic, gsize magic_len)
{
  return len >= offset + magic_len && memcmp (data + offset, magic, magic_len) == 0;
}

#define HAS_MAGIC(data, len, offset, magic) \
  has_prefix (data, len, offset, magic, sizeof (magic) - 1)

/* The formats stb_image reads, by their signature. TGA has none: stb_image recognises it by
 * plausibility, so it is whatever is left when stbi_info () succeeds. */
static Format
sniff_format (const guint8 *data, gsize len)
{
  if (lk_jpeg_has_signature (data, len, NULL))
    return FORMAT_JPEG;
  if (HAS_MAGIC (data, len, 0, "\x89PNG\r\n\x1A\n"))
    return FORMAT_PNG;
  if (HAS_MAGIC (data, len, 0, "GIF87a") || HAS_MAGIC (data, len, 0, "GIF89a"))
    return FORMAT_GIF;
  if (HAS_MAGIC (data, len, 0, "BM"))
    return FORMAT_BMP;
  if (HAS_MAGIC (data, len, 0, "8BPS"))
    return FORMAT_PSD;
  if (HAS_MAGIC (data, len, 0, "P5") || HAS_MAGIC (data, len, 0, "P6"))
    return FORMAT_PNM;
  if (HAS_MAGIC (data, len, 0, "#?RADIANCE") || HAS_MAGIC (data, len, 0, "#?RGBE"))
    return FORMAT_HDR;
  return FORMAT_UNKNOWN;
}

/* Brand of an ISO base media file ("ftyp" box): HEIF and AVIF stills. */
static const char *
sniff_isobmff (const guint8 *data, gsize len)
{
  static const struct
  {
    char brand[5];
    const char *name;
  } brands[] = {
    { "avif", "AVIF" }, { "avis", "AVIF" }, { "heic", "HEIC" }, { "heix", "HEIC" },
    { "heim", "HEIC" }, { "heis", "HEIC" }, { "hevc", "HEIC" }, { "hevx", "HEIC" },
    { "mif1", "HEIF" }, { "msf1", "HEIF" },
  };
  gsize box_len;
  const char *found = NULL;

  if (!HAS_MAGIC (data, len, 4, "ftyp") || len < 12)
    return NULL;

  /* The major brand at 8, then compatible brands from 16 to the end of the box. A "mif1" file is
   * named by the more specific brand it lists, if any. */
  box_len = (gsize) data[0] << 24 | (gsize) data[1] << 16 | (gsize) data[2] << 8 | data[3];
  box_len = MIN (box_len, len);
  for (gsize offset = 8; offset + 4 <= box_len; offset += offset == 8 ? 8 : 4)
    for (gsize i = 0; i < G_N_ELEMENTS (brands); i++)
      if (memcmp (data + offset, brands[i].brand, 4) == 0
          && (found == NULL || g_str_equal (found, "HEIF")))
        found = brands[i].name;

  return found;
}

/* Common image formats stb_image cannot read, named so that the message can say which. */
static const char *
sniff_unsupported (const guint8 *data, gsize len)
{
  const char *name;

  if (HAS_MAGIC (data, len, 0, "RIFF") && HAS_MAGIC (data, len, 8, "WEBP"))
    return "WebP";
  if ((name = sniff_isobmff (data, len)) != NULL)
    return name;
  if (HAS_MAGIC (data, len, 0, "II*\0") || HAS_MAGIC (data, len, 0, "MM\0*"))
    return "TIFF";
  if (HAS_MAGIC (data, len, 0, "\xFF\x0A") || HAS_MAGIC (data, len, 0, "\0\0\0\x0CJXL \r\n\x87\n"))
    return "JPEG XL";
  if (HAS_MAGIC (data, len, 0, "\0\0\0\x0CjP  \r\n\x87\n")
      || HAS_MAGIC (data, len, 0, "\xFF\x4F\xFF\x51"))
    return "JPEG 2000";
  if (HAS_MAGIC (data, len, 0, "v/1\x01"))
    return "OpenEXR";
  if (HAS_MAGIC (data, len, 0, "%PDF-"))
    return "PDF";

  /* SVG is XML text: allow a byte-order mark and blank space before the first tag. */
  {
    gsize start = HAS_MAGIC (data, len, 0, "\xEF\xBB\xBF") ? 3 : 0;

    while (start < len && g_ascii_isspace (data[start]))
      start++;
    if (start < len && data[start] == '<'
        && memmem (data + start, MIN (len - start, 4096), "<svg", 4) != NULL)
      return "SVG";
  }

  return NULL;
}

/* stb_image 2.27 reads the numbers of a PNM header into an int without an overflow check (undefined
 * behaviour; fixed in 2.28). Walk the header as it does (blank space and # comments between the
 * width, the height and the maximum value) and refuse numbers of more than nine digits. */
static gboolean
pnm_header_is_safe (const guint8 *data, gsize len)
{
  gsize pos = 2;

  for (int field = 0; field < 3; field++)
    {
      gsize digits = 0;

      for (;;)
        {
          while (pos < len && strchr (" \t\n\v\f\r", data[pos]) != NULL && data[pos] != '\0')
            pos++;
          if (pos >= len || data[pos] != '#')
            break;
          while (pos < len && data[pos] != '\n' && data[pos] != '\r')
            pos++;
        }
      while (pos < len && g_ascii_isdigit (data[pos]))
        pos++, digits++;
      if (digits > 9)
        return FALSE;
    }
  return TRUE;
}

/* What the decoder would do with a file that starts with @head, without decoding: the same
 * signatures in the same order as decode_memory (), with two checks more where a signature is
 * only two letters that text could start with too. A BMP's header must be one of the sizes
 * stb_image reads, and "P5" or "P6" must be followed by blank space or a comment, as in every
 * PNM header; either check is made only when @head is long enough for it. */
LkSniff
lk_image_sniff (const guint8 *head, gsize len, const char **format)
{
  const char *name = NULL;
  LkSniff result = LK_SNIFF_NOT_IMAGE;

  g_return_val_if_fail (head != NULL || len == 0, LK_SNIFF_NOT_IMAGE);

  if (head != NULL)
    name = sniff_unsupported (head, len);
  if (name != NULL)
    {
      /* A PDF may hold pictures, but it is a document: not something to search among photos. */
      result = g_str_equal (name, "PDF") ? LK_SNIFF_NOT_IMAGE : LK_SNIFF_UNSUPPORTED;
    }
  else if (head != NULL)
    {
      Format known = sniff_format (head, len);
      gboolean plausible = known != FORMAT_UNKNOWN;

      if (known == FORMAT_BMP && len >= 18)
        {
          guint32 header_size = (guint32) head[14] | (guint32) head[15] << 8
                                | (guint32) head[16] << 16 | (guint32) head[17] << 24;

          plausible = header_size == 12 || header_size == 40 || header_size == 56
                      || header_size == 108 || header_size == 124;
        }
      else if (known == FORMAT_PNM && len >= 3)
        {
          plausible = g_ascii_isspace (head[2]) || head[2] == '\v' || head[2] == '#';
        }
      if (plausible)
        {
          result = LK_SNIFF_IMAGE;
          name = format_names[known];
        }
    }

  if (format != NULL)
    *format = result == LK_SNIFF_NOT_IMAGE ? NULL : name;
  return result;
}

/* Errors --------------------------------------------------------------------------------------- */

static gpointer
decode_error (GError **error, const char *name, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gpointer
decode_error (GError **error, const char *name, const char *format, ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, LK_ERROR, LK_ERROR_DECODE, "%s: %s", name, reason);
  return NULL;
}

static gpointer
over_pixel_limit (GError **error, const char *name, guint64 width, guint64 height,
                  guint64 max_pixels)
{
  g_autofree char *limit = NULL;

  if (max_pixels >= 1000000 && max_pixels % 1000000 == 0)
    limit = g_strdup_printf ("%" G_GUINT64_FORMAT "-megapixel", max_pixels / 1000000);
  else if (max_pixels >= 1000000)
    limit = g_strdup_printf ("%.1f-megapixel", max_pixels / 1e6);
  else
    limit = g_strdup_printf ("%" G_GUINT64_FORMAT "-pixel", max_pixels);

  return decode_error (
    error, name, "image is %" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT " pixels, over the %s limit",
    width, height, limit);
}

static gpointer
over_size_limit (GError **error, const char *name, guint64 size, guint64 max_size)
{
  g_autofree char *size_str = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *max_str = g_format_size_full (max_size, G_FORMAT_SIZE_IEC_UNITS);

  return decode_error (error, name, "file is %s, over the %s limit", size_str, max_str);
}

/* Turns stb_image's terse failure reason into something a person can act on. */
static gpointer
stbi_error (GError **error, const char *name, Format format, int width, int height,
            gboolean over_budget)
{
  static const char *const unsupported[] = {
    "only 8-bit",
    "unsupported",
    "unsupported bit depth",
    "1/2/4/8/16-bit only",
    "BMP RLE",
    "BMP JPEG/PNG",
    "wrong version",
    "unsupported format",
    "unsupported data layout",
    "wrong color format",
    "wrong channel count",
    "bad compression",
  };
  const char *what = format_names[format];
  const char *reason = stbi_failure_reason ();

  if (over_budget)
    return decode_error (error, name,
                         "corrupt %s (decoding it needs more memory than a %d×%d image can)", what,
                         width, height);
  if (reason == NULL)
    return decode_error (error, name, "corrupt %s", what);
  if (g_str_equal (reason, "outofmem"))
    return decode_error (error, name, "out of memory");
  if (g_str_equal (reason, "outofdata"))
    return decode_error (error, name, "truncated %s", what);
  if (g_str_equal (reason, "too large"))
    return decode_error (error, name, "image is too large to decode");
  if (g_str_equal (reason, "unknown image type"))
    return decode_error (error, name, "not a supported image format");
  if (g_str_equal (reason, "not enough pixels"))
    return decode_error (error, name, "corrupt %s (image data ends early)", what);
  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    if (g_str_equal (reason, unsupported[i]))
      return decode_error (error, name, "unsupported %s variant (%s)", what, reason);
  return decode_error (error, name, "corrupt %s (%s)", what, reason);
}

static const char *
describe_jpeg_frame (const LkJpegScan *scan)
{
  switch (scan->sof_marker)
    {
    case 0xC0: /* baseline */
    case 0xC1: /* extended sequential */
    case 0xC2: /* progressive */
      return scan->precision == 8 ? NULL : "12-bit";
    case 0xC3:
      return "lossless";
    case 0xC9:
    case 0xCA:
    case 0xCB:
      return "arithmetic coding";
    default:
      return "hierarchical";
    }
}

/* Pixels --------------------------------------------------------------------------------------- */

/* stb_image is asked for the channels the file has (grey, grey + alpha, RGB or RGBA; 8 or 16
 * bits): its own channel conversion of 16-bit PNM data writes a buffer half the size it reports
 * (fixed in stb_image 2.28), so that conversion, like compositing, is done here. Alpha goes onto
 * white with exact rounding, out = round ((c·a + max·(max - a)) / max), and 16-bit samples are
 * scaled to 8 bits in the same step. */

static inline guint8
blend8 (guint c, guint a)
{
  return (guint8) ((c * a + 255 * (255 - a) + 127) / 255);
}

static inline guint8
scale16 (guint c)
{
  return (guint8) ((c * 255 + 32767) / 65535);
}

static inline guint8
blend16 (guint64 c, guint64 a)
{
  /* 65535² is odd, so there are no ties and adding half of it (rounded down) rounds exactly. */
  const guint64 one = (guint64) 65535 * 65535;

  return (guint8) (((c * a + 65535 * (65535 - a)) * 255 + one / 2) / one);
}

static void
rgb_from_8_bit (guint8 *out, const guint8 *in, gsize n_pixels, int comp)
{
  for (gsize i = 0; i < n_pixels; i++, in += comp, out += 3)
    switch (comp)
      {
      case 1:
        out[0] = out[1] = out[2] = in[0];
        break;
      case 2:
        out[0] = out[1] = out[2] = blend8 (in[0], in[1]);
        break;
      case 3:
        out[0] = in[0], out[1] = in[1], out[2] = in[2];
        break;
      default:
        out[0] = blend8 (in[0], in[3]), out[1] = blend8 (in[1], in[3]);
        out[2] = blend8 (in[2], in[3]);
        break;
      }
}

static void
rgb_from_16_bit (guint8 *out, const guint16 *in, gsize n_pixels, int comp)
{
  for (gsize i = 0; i < n_pixels; i++, in += comp, out += 3)
    switch (comp)
      {
      case 1:
        out[0] = out[1] = out[2] = scale16 (in[0]);
        break;
      case 2:
        out[0] = out[1] = out[2] = blend16 (in[0], in[1]);
        break;
      case 3:
        out[0] = scale16 (in[0]), out[1] = scale16 (in[1]), out[2] = scale16 (in[2]);
        break;
      default:
        out[0] = blend16 (in[0], in[3]), out[1] = blend16 (in[1], in[3]);
        out[2] = blend16 (in[2], in[3]);
        break;
      }
}

/* Decoding ------------------------------------------------------------------------------------- */

static gsize
budget_for (int width, int height, gsize input_len)
{
  guint64 padded_w = ((guint64) width + BUDGET_BLOCK - 1) / BUDGET_BLOCK * BUDGET_BLOCK;
  guint64 padded_h = ((guint64) height + BUDGET_BLOCK - 1) / BUDGET_BLOCK * BUDGET_BLOCK;
  guint64 bytes;

  if (padded_h != 0 && padded_w > G_MAXSIZE / BUDGET_BYTES_PER_PIXEL / padded_h)
    return G_MAXSIZE;
  bytes = padded_w * padded_h * BUDGET_BYTES_PER_PIXEL;
  if (input_len > (G_MAXSIZE - BUDGET_SLACK - bytes) / 2)
    return G_MAXSIZE;
  return bytes + 2 * input_len + BUDGET_SLACK;
}

LkDecodeParams
lk_decode_default_params (void)
{
  return (LkDecodeParams){
    .max_pixels = 100 * 1000 * 1000,
    .max_file_size = (guint64) 512 << 20,
    .apply_orientation = TRUE,
    .min_short_side = 0,
    .min_long_side = 0,
  };
}

void
lk_decode_params_set_target (LkDecodeParams *params, LkPreprocess mode, int size)
{
  gint64 resized_w = 0, resized_h = 0, left, top;

  g_return_if_fail (params != NULL);

  params->min_short_side = 0;
  params->min_long_side = 0;
  if (size <= 0)
    return;

  switch (mode)
    {
    case LK_PREPROCESS_CENTER_CROP:
      /* The short side is resized to round (size × 256 / 224) before the crop: a square image
       * shows that length. */
      lk_center_crop_geometry (1, 1, size, &resized_w, &resized_h, &left, &top);
      params->min_short_side = (int) MIN (resized_w, INT_MAX);
      break;
    case LK_PREPROCESS_FIT:
      params->min_long_side = size;
      break;
    case LK_PREPROCESS_STRETCH:
      /* Both sides become @size; the long one is at least as long as the short one. */
      params->min_short_side = size;
      break;
    default:
      break;
    }
}

/* JPEG ----------------------------------------------------------------------------------------- */

/* The denominator of the smallest of the scales 1/8, 1/4 and 1/2 that leaves the image's short and
 * long sides at least as long as @params asks (1: full size). Scaling by 1/n in the DCT domain
 * gives ceil (side / n) pixels, as TJSCALED () computes; an EXIF rotation swaps width and height
 * but not which side is the short one, so it does not matter here. Only these three: libjpeg-turbo
 * also offers 3/8, 5/8, 3/4 and 7/8 (and enlargements), but their IDCTs have no SIMD versions
 * (those of 1/2 and 1/4 do): three 20-39 megapixel baseline photos took 9-19 % longer to decode
 * at 3/8 than at 1/2, the entropy decoding, the same at any scale, being most of the work. */
static int
jpeg_scale_denom (guint32 width, guint32 height, const LkDecodeParams *params)
{
  static const int denoms[] = { 8, 4, 2 };
  guint32 short_side = MIN (width, height), long_side = MAX (width, height);
  guint32 min_short = (guint32) MAX (params->min_short_side, 0);
  guint32 min_long = (guint32) MAX (params->min_long_side, 0);
  int n_factors = 0;
  const tjscalingfactor *factors = tjGetScalingFactors (&n_factors);

  if (min_short == 0 && min_long == 0)
    return 1;

  for (gsize i = 0; i < G_N_ELEMENTS (denoms); i++)
    {
      tjscalingfactor factor = { 1, denoms[i] };
      gboolean offered = FALSE;

      for (int k = 0; factors != NULL && k < n_factors; k++)
        offered |= factors[k].num * denoms[i] == factors[k].denom;
      if (offered && (guint32) TJSCALED ((int) short_side, factor) >= min_short
          && (guint32) TJSCALED ((int) long_side, factor) >= min_long)
        return denoms[i];
    }
  return 1;
}

/* libjpeg's messages, in the "name: reason" form: "Corrupt JPEG data: bad Huffman code" becomes
 * "corrupt JPEG (bad Huffman code)". */
static gpointer
turbojpeg_error (GError **error, const char *name, tjhandle tj)
{
  const char *message = tjGetErrorStr2 (tj);
  const char *call_end;
  g_autofree char *reason = NULL;

  if (message == NULL || *message == '\0')
    return decode_error (error, name, "corrupt JPEG");
  /* TurboJPEG's own errors start with the function: "tjDecompress2(): Memory allocation ...". */
  call_end = strstr (message, "(): ");
  if (call_end != NULL)
    message = call_end + 4;
  if (g_str_has_prefix (message, "Corrupt JPEG data: "))
    message += strlen ("Corrupt JPEG data: ");

  if (g_str_equal (message, "Premature end of JPEG file"))
    return decode_error (error, name, "truncated JPEG");
  if (g_str_has_prefix (message, "Insufficient memory")
      || g_str_has_prefix (message, "Memory allocation failure"))
    return decode_error (error, name, "out of memory");
  if (g_str_has_prefix (message, "Unsupported JPEG process")
      || g_str_has_prefix (message, "Unsupported color conversion"))
    return decode_error (error, name, "unsupported JPEG variant (%s)", message);

  /* "Bogus marker length" -> "bogus marker length", but "JPEG ..." keeps its capitals. */
  reason = g_strdup (message);
  if (g_ascii_isupper (reason[0]) && g_ascii_islower (reason[1]))
    reason[0] = g_ascii_tolower (reason[0]);
  return decode_error (error, name, "corrupt JPEG (%s)", reason);
}

/* stb_image's CMYK to RGB (which Lookalike used before TurboJPEG): Adobe applications store CMYK
 * inverted, so a stored value is 255 - ink and a channel is (255 - ink) × (255 - black) / 255.
 * stbi__blinn_8x8 rounds that product this way. */
static inline guint8
multiply8 (guint x, guint y)
{
  guint t = x * y + 128;

  return (guint8) ((t + (t >> 8)) >> 8);
}

/* Converts @n_pixels CMYK pixels to RGB in place (the output is the shorter, so writing behind the
 * reading position is safe). */
static void
rgb_from_cmyk (guint8 *pixels, gsize n_pixels)
{
  guint8 *out = pixels;
  const guint8 *in = pixels;

  for (gsize i = 0; i < n_pixels; i++, in += 4, out += 3)
    {
      guint8 c = in[0], m = in[1], y = in[2], k = in[3];

      out[0] = multiply8 (c, k);
      out[1] = multiply8 (m, k);
      out[2] = multiply8 (y, k);
    }
}

/* libjpeg's "Corrupt JPEG data: N extraneous bytes before marker 0xXX": bytes between two segments
 * that it skipped; the image itself is whole. */
static gboolean
is_benign_warning (tjhandle tj)
{
  return tjGetErrorCode (tj) == TJERR_WARNING
         && strstr (tjGetErrorStr2 (tj), "extraneous bytes before marker") != NULL;
}

/* Decodes a JPEG whose container lk_jpeg_scan () found whole, of @scan->width × @scan->height
 * pixels (checked against the pixel limit), scaled by 1/@denom.
 *
 * Memory: TurboJPEG allocates with malloc (), outside the stb_image budget, and has no limit of
 * its own, so what it may allocate has to follow from the frame header, whose size has passed the
 * pixel limit. It needs, besides our output (3 B, or 4 B for CMYK, per pixel of the scaled image):
 *  - for a progressive JPEG (or a sequential one whose components come in separate scans), every
 *    DCT coefficient of the whole image, 2 bytes each: one per sample of each component, the
 *    components being at most full size and padded to whole MCUs (at most 32 × 32 pixels), and
 *    at most 4 of them (we refuse others before decoding): at most 8 bytes per padded pixel. With
 *    sides below 65536, padding adds at most 31 × 131070 + 961 pixels, about 4 megapixels;
 *  - buffers of a few MCU rows (at most 32 pixel rows) for the IDCT, the upsampling and the
 *    colour conversion, one row pointer per output row, and tables of fixed size; nothing is
 *    sized from marker contents (TurboJPEG 2.x saves no APPn markers).
 * So a JPEG of N pixels takes at most about 8 (N + 4 million) bytes plus the output, like
 * stb_image's 15 B/px for a progressive CMYK JPEG, well within the 32 B/px budget that max_pixels
 * implies elsewhere (and the coefficient buffer is only touched as far as the scans fill it).
 *
 * Time: TJFLAG_LIMITSCANS refuses a progressive JPEG of more than 500 scans, each of which could
 * otherwise sweep the whole coefficient buffer. TurboJPEG 2.x fails on any warning (corrupt data,
 * which libjpeg would fill with grey), but by default only after decoding everything;
 * TJFLAG_STOPONWARNING stops at the first one, which is also the one the error names. */
static LkImage *
decode_jpeg (const guint8 *data, gsize len, const char *name, const LkJpegScan *scan, int denom,
             GError **error)
{
  const tjscalingfactor factor = { 1, denom };
  const gboolean cmyk = scan->n_components == 4;
  const int pixel_format = cmyk ? TJPF_CMYK : TJPF_RGB;
  const int pixel_size = cmyk ? 4 : 3;
  g_autoptr (LkImage) image = NULL;
  int width, height, header_w = 0, header_h = 0, subsamp = 0, colorspace = 0;
  gsize start = 0;
  tjhandle tj;
  int status;

  /* The frame header's sides are 16-bit numbers, so none of this overflows. */
  width = TJSCALED ((int) scan->width, factor);
  height = TJSCALED ((int) scan->height, factor);

  /* libjpeg wants SOI first; stb_image (and so the scan) allowed fill bytes before it. */
  if (!lk_jpeg_has_signature (data, len, &start))
    return decode_error (error, name, "corrupt JPEG (no start of image)");
  data += start - 2;
  len -= start - 2;

  tj = tjInitDecompress ();
  if (tj == NULL)
    return decode_error (error, name, "out of memory");

  /* TurboJPEG picks the output size itself from the frame header it reads; make sure that is the
   * one the scan read and the limits were checked on. (tjDecompressHeader3 () also fails on
   * chroma subsampling it has no name for, which decodes fine, so only the size is looked at.) */
  tjDecompressHeader3 (tj, data, (unsigned long) len, &header_w, &header_h, &subsamp, &colorspace);
  if (header_w > 0 && header_h > 0
      && ((guint32) header_w != scan->width || (guint32) header_h != scan->height))
    {
      tjDestroy (tj);
      return decode_error (error, name, "corrupt JPEG (inconsistent size)");
    }

  image = g_new0 (LkImage, 1);
  image->width = width;
  image->height = height;
  image->pixels = g_try_malloc ((gsize) width * (gsize) height * pixel_size);
  if (image->pixels == NULL)
    {
      tjDestroy (tj);
      return decode_error (error, name, "out of memory");
    }

  status = tjDecompress2 (tj, data, (unsigned long) len, image->pixels, width, width * pixel_size,
                          height, pixel_format, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS);
  /* Stray bytes between segments are common in files from cameras and editors, which every viewer
   * shows: finish decoding past that one warning (any other one still fails). */
  if (status != 0 && is_benign_warning (tj))
    {
      status = tjDecompress2 (tj, data, (unsigned long) len, image->pixels, width,
                              width * pixel_size, height, pixel_format, TJFLAG_LIMITSCANS);
      if (status != 0 && is_benign_warning (tj))
        status = 0;
    }
  if (status != 0)
    {
      turbojpeg_error (error, name, tj);
      tjDestroy (tj);
      return NULL;
    }
  tjDestroy (tj);

  if (cmyk)
    {
      guint8 *shrunk;

      rgb_from_cmyk (image->pixels, (gsize) width * height);
      shrunk = g_try_realloc (image->pixels, (gsize) width * height * 3);
      if (shrunk != NULL)
        image->pixels = shrunk;
    }
  return g_steal_pointer (&image);
}

/* stb_image ------------------------------------------------------------------------------------ */

/* stb_image 2.27 "removes the white matte" of a PSD with four channels or more: taking the fourth
 * for alpha, it recovers each colour from its composite onto white as c / a + max · (1 - 1 / a),
 * in floats converted to the sample type without a range check, which a small alpha over a colour
 * below the matte takes far out of range (undefined behaviour, found by fuzzing). A PSD's merged
 * image is stored matted against white, which is what alpha is composited onto here anyway
 * (rgb_from_8_bit (), rgb_from_16_bit ()), so its colour channels alone are the picture, and an
 * extra channel that is not alpha (a saved selection) no longer changes the colours. So stb_image
 * is given a copy that says three channels: the header with the count changed, the three sections
 * (colour mode data, image resources, layers and masks) as they are, for RLE the table of row
 * lengths of the first three channels only, then the rest, of which stb_image reads three
 * channels' worth. The sections must lie within the file (stb_image would skip past the end and
 * read zeros).
 *
 * Returns what to decode: @data itself, or a rewritten copy (*@copy, to be freed with g_free ();
 * it is made outside the budget, and is at most the file's size), *@len updated; or NULL with
 * @error set if the file is refused. */
static const guint8 *
psd_without_extra_channels (const guint8 *data, gsize *len, const char *name, guint8 **copy,
                            GError **error)
{
  const gsize in_len = *len;
  guint32 n_channels, height, compression;
  guint64 table_len = 0, kept_table_len = 0;
  gsize pos = 26, tail, out_len;

  *copy = NULL;

  /* signature (4), version (2), reserved (6), channels (2), height and width (4 each), depth and
   * colour mode (2 each) */
  if (in_len < pos)
    return decode_error (error, name, "corrupt PSD header");
  n_channels = (guint32) data[12] << 8 | data[13];
  if (n_channels < 4)
    return data;
  if (n_channels > 16) /* as stb_image refuses */
    return decode_error (error, name, "corrupt PSD header");
  height = (guint32) data[14] << 24 | (guint32) data[15] << 16 | (guint32) data[16] << 8 | data[17];

  for (int section = 0; section < 3; section++)
    {
      guint32 section_len;

      if (in_len - pos < 4)
        return decode_error (error, name, "truncated PSD");
      section_len = (guint32) data[pos] << 24 | (guint32) data[pos + 1] << 16
                    | (guint32) data[pos + 2] << 8 | data[pos + 3];
      pos += 4;
      if (in_len - pos < section_len)
        return decode_error (error, name, "truncated PSD");
      pos += section_len;
    }
  if (in_len - pos < 2)
    return decode_error (error, name, "truncated PSD");
  compression = (guint32) data[pos] << 8 | data[pos + 1];
  pos += 2;

  /* RLE: a 2-byte length for each row of each channel, channel after channel (under 2^37 bytes
   * with 16 channels). Anything else is left to stb_image, which reads or refuses it. */
  if (compression == 1)
    {
      table_len = (guint64) height * n_channels * 2;
      kept_table_len = (guint64) height * 3 * 2;
      if ((guint64) (in_len - pos) < table_len)
        return decode_error (error, name, "truncated PSD");
    }
  tail = in_len - pos - (gsize) table_len;
  out_len = pos + (gsize) kept_table_len + tail;

  *copy = g_try_malloc (out_len);
  if (*copy == NULL)
    return decode_error (error, name, "out of memory");
  memcpy (*copy, data, pos);
  (*copy)[12] = 0;
  (*copy)[13] = 3;
  memcpy (*copy + pos, data + pos, (gsize) kept_table_len);
  memcpy (*copy + pos + kept_table_len, data + pos + table_len, tail);
  *len = out_len;
  return *copy;
}

/* Decodes anything but JPEG, whose container (if any) has been checked. */
static LkImage *
decode_stb (const guint8 *data, gsize len, const char *name, Format format,
            const LkDecodeParams *params, GError **error)
{
  g_autoptr (LkImage) image = NULL;
  g_autofree guint8 *psd_copy = NULL;
  int width, height, comp, is_16_bit;
  int loaded_w = 0, loaded_h = 0, loaded_comp = 0;
  void *pixels;
  gboolean over_budget;

  budget_begin (BUDGET_SLACK);
  if (!stbi_info_from_memory (data, (int) len, &width, &height, &comp))
    {
      if (format == FORMAT_UNKNOWN)
        return decode_error (error, name, "not a supported image format");
      return decode_error (error, name, "corrupt %s header", format_names[format]);
    }
  if (format == FORMAT_UNKNOWN)
    format = FORMAT_TGA;
  if (width <= 0 || height <= 0)
    return decode_error (error, name, "corrupt %s (no pixels)", format_names[format]);
  if ((guint64) width * (guint64) height > params->max_pixels)
    return over_pixel_limit (error, name, width, height, params->max_pixels);
  /* A PSD of four channels or more goes to stb_image as one of three (see
   * psd_without_extra_channels ()). Then, as stb_image's own test misses 16-bit PSDs (its PNG test
   * does not rewind), read the depth. */
  if (format == FORMAT_PSD)
    {
      data = psd_without_extra_channels (data, &len, name, &psd_copy, error);
      if (data == NULL)
        return NULL;
      is_16_bit = len >= 24 && data[22] == 0 && data[23] == 16;
    }
  else
    is_16_bit = stbi_is_16_bit_from_memory (data, (int) len);

  last_limit = budget_for (width, height, len);
  budget_begin (last_limit);
  if (is_16_bit)
    pixels = stbi_load_16_from_memory (data, (int) len, &loaded_w, &loaded_h, &loaded_comp, 0);
  else
    pixels = stbi_load_from_memory (data, (int) len, &loaded_w, &loaded_h, &loaded_comp, 0);
  over_budget = budget.exceeded;
  last_peak = budget.peak;
  g_clear_pointer (&psd_copy, g_free); /* stb_image is done with the file */

  if (pixels == NULL)
    return stbi_error (error, name, format, width, height, over_budget);

  /* stb_image reports the size stbi_info () did, and a buffer of that many pixels of
   * @loaded_comp samples; do not take it on trust, the allocator knows the real size. */
  if (loaded_w <= 0 || loaded_h <= 0 || loaded_comp < 1 || loaded_comp > 4
      || (guint64) loaded_w * (guint64) loaded_h > params->max_pixels
      || budget_block_size (pixels) / (is_16_bit ? 2 : 1) / (gsize) loaded_comp / (gsize) loaded_w
           < (gsize) loaded_h)
    {
      stbi_image_free (pixels);
      return decode_error (error, name, "corrupt %s (inconsistent size)", format_names[format]);
    }

  image = lk_image_new (loaded_w, loaded_h);
  if (image == NULL)
    {
      stbi_image_free (pixels);
      return decode_error (error, name, "out of memory");
    }
  if (is_16_bit)
    rgb_from_16_bit (image->pixels, pixels, (gsize) loaded_w * loaded_h, loaded_comp);
  else
    rgb_from_8_bit (image->pixels, pixels, (gsize) loaded_w * loaded_h, loaded_comp);
  stbi_image_free (pixels);

  return g_steal_pointer (&image);
}

/* Decoding ------------------------------------------------------------------------------------- */

static LkImage *
decode_memory (const guint8 *data, gsize len, const char *name, const LkDecodeParams *params,
               GError **error)
{
  g_autoptr (LkImage) image = NULL;
  const char *other;
  Format format;
  LkJpegScan jpeg_scan;
  guint64 header_w = 0, header_h = 0;
  int orientation = 0;

  last_peak = 0;
  last_limit = 0;

  if (len == 0)
    return decode_error (error, name, "empty file");
  if (len > params->max_file_size)
    return over_size_limit (error, name, len, params->max_file_size);
  if (len > INT_MAX)
    return over_size_limit (error, name, len, INT_MAX);

  other = sniff_unsupported (data, len);
  if (other != NULL)
    return decode_error (error, name, "unsupported image format (%s)", other);

  /* Containers first: truncation, frame type and dimensions, without decoding. */
  format = sniff_format (data, len);
  switch (format)
    {
    case FORMAT_JPEG:
      {
        const char *variant;

        lk_jpeg_scan (data, len, &jpeg_scan);
        if (jpeg_scan.status == LK_SCAN_TRUNCATED)
          return decode_error (error, name, "truncated JPEG");
        if (jpeg_scan.status == LK_SCAN_CORRUPT)
          return decode_error (error, name, "corrupt JPEG (bad segment length)");
        if (jpeg_scan.status == LK_SCAN_BAD_HUFFMAN_TABLE)
          return decode_error (error, name, "corrupt JPEG (bad Huffman table)");
        if (jpeg_scan.sof_marker == 0)
          return decode_error (error, name, "corrupt JPEG (no frame header)");
        variant = describe_jpeg_frame (&jpeg_scan);
        if (variant != NULL)
          return decode_error (error, name, "unsupported JPEG variant (%s)", variant);
        if (jpeg_scan.width == 0 || jpeg_scan.n_components == 0)
          return decode_error (error, name, "corrupt JPEG header");
        if (jpeg_scan.height == 0)
          return decode_error (error, name,
                               "unsupported JPEG variant (height given by a DNL marker)");
        if (jpeg_scan.n_components != 1 && jpeg_scan.n_components != 3
            && jpeg_scan.n_components != 4)
          return decode_error (error, name, "unsupported JPEG variant (%d colour components)",
                               jpeg_scan.n_components);
        orientation = jpeg_scan.orientation;
        header_w = jpeg_scan.width;
        header_h = jpeg_scan.height;
        break;
      }
    case FORMAT_PNG:
      {
        LkPngScan scan;

        lk_png_scan (data, len, &scan);
        if (scan.status == LK_SCAN_TRUNCATED)
          return decode_error (error, name, "truncated PNG");
        if (scan.status == LK_SCAN_CORRUPT)
          return decode_error (error, name, "corrupt PNG (bad chunk length)");
        orientation = scan.orientation;
        header_w = scan.width;
        header_h = scan.height;
        break;
      }
    case FORMAT_GIF:
      if (len >= 10)
        {
          header_w = (guint64) data[7] << 8 | data[6];
          header_h = (guint64) data[9] << 8 | data[8];
        }
      break;
    case FORMAT_PNM:
      if (!pnm_header_is_safe (data, len))
        return decode_error (error, name, "corrupt PNM header (number too large)");
      break;
    case FORMAT_PSD:
      if (len >= 22)
        {
          header_h = (guint64) data[14] << 24 | data[15] << 16 | data[16] << 8 | data[17];
          header_w = (guint64) data[18] << 24 | data[19] << 16 | data[20] << 8 | data[21];
        }
      break;
    default:
      break;
    }

  /* stb_image refuses some huge images outright ("too large"); say what the limit is instead. For
   * a JPEG this is the check that bounds TurboJPEG's memory. */
  if (header_w * header_h > params->max_pixels)
    return over_pixel_limit (error, name, header_w, header_h, params->max_pixels);

  if (format == FORMAT_JPEG)
    image = decode_jpeg (data, len, name, &jpeg_scan,
                         jpeg_scale_denom (jpeg_scan.width, jpeg_scan.height, params), error);
  else
    image = decode_stb (data, len, name, format, params, error);
  if (image == NULL)
    return NULL;

  if (params->apply_orientation && orientation >= 2 && orientation <= 8)
    {
      LkImage *upright = lk_image_apply_orientation (image, orientation);

      if (upright == NULL)
        return decode_error (error, name, "out of memory");
      lk_image_free (image);
      image = upright;
    }

  return g_steal_pointer (&image);
}

void
lk_decode_get_last_memory (gsize *peak, gsize *budget_out)
{
  if (peak != NULL)
    *peak = last_peak;
  if (budget_out != NULL)
    *budget_out = last_limit;
}

LkImage *
lk_image_decode_bytes (GBytes *bytes, const char *name, const LkDecodeParams *params,
                       GError **error)
{
  LkDecodeParams defaults = lk_decode_default_params ();
  const guint8 *data;
  gsize len = 0;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  return decode_memory (data, len, name != NULL ? name : "image", params ? params : &defaults,
                        error);
}

LkImage *
lk_image_decode_file (const char *path, const LkDecodeParams *params, GError **error)
{
  LkDecodeParams defaults = lk_decode_default_params ();
  g_autofree char *name = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local_error = NULL;
  LkFileInfo info;
  const guint8 *data;
  gsize len;
  LkImage *image;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (params == NULL)
    params = &defaults;
  name = g_filename_display_basename (path);

  /* read, not mapped: a file shortened under a mapping would kill the process */
  bytes =
    lk_file_read (AT_FDCWD, path, name, "an image", params->max_file_size, &info, &local_error);
  if (bytes == NULL)
    {
      /* what the file is, rather than whether it can be opened, is a decoding matter */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY)
          || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE)
          || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)
          || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        g_set_error_literal (error, LK_ERROR, LK_ERROR_DECODE, local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (info.changed)
    return decode_error (error, name, "changed while it was read");

  data = g_bytes_get_data (bytes, &len);
  image = decode_memory (data, len, name, params, error);
  return image;
}

LkImage *
lk_image_new (int width, int height)
{
  g_autofree LkImage *image = NULL;

  if (width <= 0 || height <= 0 || (gsize) width > G_MAXSIZE / 3 / (gsize) height)
    return NULL;

  image = g_new0 (LkImage, 1);
  image->width = width;
  image->height = height;
  image->pixels = g_try_malloc ((gsize) width * (gsize) height * 3);
  if (image->pixels == NULL)
    return NULL;
  return g_steal_pointer (&image);
}

void
lk_image_free (LkImage *image)
{
  if (image == NULL)
    return;
  g_free (image->pixels);
  g_free (image);
}
