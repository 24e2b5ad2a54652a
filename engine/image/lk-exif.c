/* lk-exif.c: JPEG and PNG container scans, the EXIF orientation tag and its transform.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * stb_image decodes pixels but says nothing about orientation and quietly pads a truncated JPEG
 * with zeros. The scans here walk the containers (bounds-checked, no allocation) to find the EXIF
 * orientation, the frame header and whether the file is whole.
 */
#include "lk-image-private.h"

#include <string.h>

#define EXIF_TAG_ORIENTATION 0x0112

enum
{
  TIFF_TYPE_BYTE = 1,
  TIFF_TYPE_SHORT = 3,
  TIFF_TYPE_LONG = 4,
};

static guint16
read_u16 (const guint8 *p, gboolean big_endian)
{
  return big_endian ? (guint16) (p[0] << 8 | p[1]) : (guint16) (p[1] << 8 | p[0]);
}

static guint32
read_u32 (const guint8 *p, gboolean big_endian)
{
  if (big_endian)
    return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

int
lk_exif_parse_orientation (const guint8 *tiff, gsize len)
{
  gboolean big_endian;
  guint32 ifd;
  guint n_entries;

  if (tiff == NULL || len < 8)
    return 0;

  if (tiff[0] == 'I' && tiff[1] == 'I')
    big_endian = FALSE;
  else if (tiff[0] == 'M' && tiff[1] == 'M')
    big_endian = TRUE;
  else
    return 0;

  if (read_u16 (tiff + 2, big_endian) != 42)
    return 0;

  /* IFD0: a 2-byte entry count, then 12-byte entries (tag, type, count, value or offset). */
  ifd = read_u32 (tiff + 4, big_endian);
  if (ifd < 8 || ifd > len || len - ifd < 2)
    return 0;
  n_entries = read_u16 (tiff + ifd, big_endian);

  for (guint i = 0; i < n_entries; i++)
    {
      gsize offset = (gsize) ifd + 2 + (gsize) i * 12;
      const guint8 *entry;
      guint16 type;
      guint32 count, value;

      if (offset > len || len - offset < 12)
        return 0;
      entry = tiff + offset;
      if (read_u16 (entry, big_endian) != EXIF_TAG_ORIENTATION)
        continue;

      type = read_u16 (entry + 2, big_endian);
      count = read_u32 (entry + 4, big_endian);
      if (count < 1)
        return 0;

      /* Values of up to 4 bytes are stored in the entry itself, left-aligned. */
      switch (type)
        {
        case TIFF_TYPE_SHORT:
          value = read_u16 (entry + 8, big_endian);
          break;
        case TIFF_TYPE_LONG:
          value = read_u32 (entry + 8, big_endian);
          break;
        case TIFF_TYPE_BYTE:
          value = entry[8];
          break;
        default:
          return 0;
        }

      return value >= 1 && value <= 8 ? (int) value : 0;
    }

  return 0;
}

/* JPEG ----------------------------------------------------------------------------------------- */

enum
{
  JPEG_TEM = 0x01,
  JPEG_SOF0 = 0xC0,
  JPEG_DHT = 0xC4,
  JPEG_JPG = 0xC8,
  JPEG_DAC = 0xCC,
  JPEG_SOF15 = 0xCF,
  JPEG_RST0 = 0xD0,
  JPEG_RST7 = 0xD7,
  JPEG_SOI = 0xD8,
  JPEG_EOI = 0xD9,
  JPEG_SOS = 0xDA,
  JPEG_APP1 = 0xE1,
};

static gboolean
is_sof_marker (guint8 marker)
{
  return marker >= JPEG_SOF0 && marker <= JPEG_SOF15 && marker != JPEG_DHT && marker != JPEG_JPG
         && marker != JPEG_DAC;
}

/* Returns the position of the 0xFF that starts the first marker after entropy-coded data at
 * @pos, or @len when the data ends first. FF 00 is a stuffed zero byte, FF D0..D7 a restart
 * marker: both belong to the scan. */
static gsize
skip_entropy_coded_data (const guint8 *data, gsize len, gsize pos)
{
  while (pos < len)
    {
      const guint8 *ff = memchr (data + pos, 0xFF, len - pos);
      guint8 next;

      if (ff == NULL)
        return len;
      pos = (gsize) (ff - data);
      if (len - pos < 2)
        return len;
      next = data[pos + 1];
      if (next == 0x00 || (next >= JPEG_RST0 && next <= JPEG_RST7))
        pos += 2;
      else if (next == 0xFF)
        pos += 1; /* fill byte before a marker */
      else
        return pos;
    }
  return len;
}

/* stb_image reads past the end of a buffer as zeros. */
static guint8
byte_at (const guint8 *data, gsize len, gsize pos)
{
  return pos < len ? data[pos] : 0;
}

/* stb_image 2.27 builds each Huffman table of a DHT segment before checking that its 16 code
 * counts add up to at most 256, and writes past its tables when they do not (CVE-2022-28042,
 * fixed in 2.28). Walk the tables exactly as stb_image does, from the segment's length field, and
 * refuse the file before it gets there. JPEGs are decoded by TurboJPEG now, which refuses such a
 * table too ("Bogus Huffman table definition"); the check stays as the first line of defence and
 * for its clearer message. */
static gboolean
dht_is_safe (const guint8 *data, gsize len, gsize pos)
{
  gssize remaining =
    (gssize) ((gsize) byte_at (data, len, pos) << 8 | byte_at (data, len, pos + 1)) - 2;

  pos += 2;
  while (remaining > 0)
    {
      guint8 table = byte_at (data, len, pos);
      gssize n = 0;

      if (table >> 4 > 1 || (table & 15) > 3)
        return FALSE;
      for (int i = 0; i < 16; i++)
        n += byte_at (data, len, pos + 1 + i);
      if (n > 256)
        return FALSE;
      pos += 17 + n;
      remaining -= 17 + n;
    }
  return TRUE;
}

gboolean
lk_jpeg_has_signature (const guint8 *data, gsize len, gsize *after)
{
  gsize pos = 0;

  /* Like stb_image, accept fill bytes (0xFF) before the SOI marker. */
  if (len < 2 || data[0] != 0xFF)
    return FALSE;
  while (pos < len && data[pos] == 0xFF)
    pos++;
  if (pos >= len || data[pos] != JPEG_SOI)
    return FALSE;
  if (after != NULL)
    *after = pos + 1;
  return TRUE;
}

void
lk_jpeg_scan (const guint8 *data, gsize len, LkJpegScan *scan)
{
  gsize pos = 0;
  gboolean seen_exif = FALSE;

  memset (scan, 0, sizeof *scan);
  scan->status = LK_SCAN_TRUNCATED;

  if (!lk_jpeg_has_signature (data, len, &pos))
    {
      scan->status = LK_SCAN_CORRUPT;
      return;
    }

  while (pos < len)
    {
      guint8 marker;
      gsize segment_len;
      const guint8 *segment;

      /* Some writers leave junk between segments; stb_image skips to the next 0xFF too. */
      if (data[pos] != 0xFF)
        {
          const guint8 *ff = memchr (data + pos, 0xFF, len - pos);
          if (ff == NULL)
            return;
          pos = (gsize) (ff - data);
        }
      while (pos < len && data[pos] == 0xFF)
        pos++;
      if (pos >= len)
        return;
      marker = data[pos++];

      if (marker == JPEG_EOI)
        {
          scan->status = LK_SCAN_OK;
          return;
        }
      if (marker == 0x00 || marker == JPEG_TEM || marker == JPEG_SOI
          || (marker >= JPEG_RST0 && marker <= JPEG_RST7))
        continue; /* no length field */

      if (len - pos < 2)
        return;
      segment_len = (gsize) data[pos] << 8 | data[pos + 1];
      if (segment_len < 2)
        {
          scan->status = LK_SCAN_CORRUPT;
          return;
        }
      if (len - pos < segment_len)
        return;
      if (marker == JPEG_DHT && !dht_is_safe (data, len, pos))
        {
          scan->status = LK_SCAN_BAD_HUFFMAN_TABLE;
          return;
        }
      segment = data + pos + 2;
      segment_len -= 2;
      pos += segment_len + 2;

      if (marker == JPEG_APP1 && !seen_exif && segment_len >= 6
          && memcmp (segment, "Exif\0\0", 6) == 0)
        {
          seen_exif = TRUE;
          scan->orientation = lk_exif_parse_orientation (segment + 6, segment_len - 6);
        }
      else if (is_sof_marker (marker) && scan->sof_marker == 0 && segment_len >= 5)
        {
          scan->sof_marker = marker;
          scan->precision = segment[0];
          scan->height = (guint32) segment[1] << 8 | segment[2];
          scan->width = (guint32) segment[3] << 8 | segment[4];
          scan->n_components = segment_len >= 6 ? segment[5] : 0;
        }
      else if (marker == JPEG_SOS)
        {
          pos = skip_entropy_coded_data (data, len, pos);
        }
    }
}

/* PNG ------------------------------------------------------------------------------------------ */

#define PNG_CHUNK(a, b, c, d) ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8 | (d))

void
lk_png_scan (const guint8 *data, gsize len, LkPngScan *scan)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
  gsize pos = 8;
  gboolean first = TRUE;
  gboolean seen_idat = FALSE;

  memset (scan, 0, sizeof *scan);
  scan->status = LK_SCAN_TRUNCATED;

  if (len < 8 || memcmp (data, signature, 8) != 0)
    {
      scan->status = len < 8 && (len == 0 || memcmp (data, signature, len) == 0) ? LK_SCAN_TRUNCATED
                                                                                 : LK_SCAN_CORRUPT;
      return;
    }

  /* Each chunk: length (4, big-endian, at most 2^31 - 1), type (4), data, CRC (4). */
  while (len - pos >= 8)
    {
      guint32 length = read_u32 (data + pos, TRUE);
      guint32 type = read_u32 (data + pos + 4, TRUE);
      const guint8 *chunk = data + pos + 8;

      if (length > G_MAXINT32)
        {
          scan->status = LK_SCAN_CORRUPT;
          return;
        }
      if (len - pos - 8 < (gsize) length + 4)
        return;
      pos += (gsize) length + 12;

      if (first && type == PNG_CHUNK ('I', 'H', 'D', 'R') && length >= 8)
        {
          scan->width = read_u32 (chunk, TRUE);
          scan->height = read_u32 (chunk + 4, TRUE);
        }
      first = FALSE;

      if (type == PNG_CHUNK ('I', 'D', 'A', 'T'))
        seen_idat = TRUE;
      else if (type == PNG_CHUNK ('e', 'X', 'I', 'f') && !seen_idat && scan->orientation == 0)
        scan->orientation = lk_exif_parse_orientation (chunk, length);
      else if (type == PNG_CHUNK ('I', 'E', 'N', 'D'))
        {
          scan->status = LK_SCAN_OK;
          return;
        }
    }
}

/* Orientation ---------------------------------------------------------------------------------- */

LkImage *
lk_image_apply_orientation (const LkImage *image, int orientation)
{
  const gssize w = image->width, h = image->height;
  gboolean swap = orientation >= 5 && orientation <= 8;
  g_autoptr (LkImage) out =
    lk_image_new (swap ? image->height : image->width, swap ? image->width : image->height);
  /* The source pixel of output (x, y) is (sx, sy) = (ax·x + bx·y + cx, ay·x + by·y + cy). */
  gssize ax = 1, bx = 0, cx = 0, ay = 0, by = 1, cy = 0;
  gssize step_x, step_y, base;

  if (out == NULL)
    return NULL;

  switch (orientation)
    {
    case 2: /* mirrored left-right */
      ax = -1, cx = w - 1;
      break;
    case 3: /* rotated 180° */
      ax = -1, cx = w - 1, by = -1, cy = h - 1;
      break;
    case 4: /* mirrored top-bottom */
      by = -1, cy = h - 1;
      break;
    case 5: /* transposed: (x, y) <- (y, x) */
      ax = 0, bx = 1, ay = 1, by = 0;
      break;
    case 6: /* stored rotated 90° counter-clockwise: turn it clockwise */
      ax = 0, bx = 1, ay = -1, by = 0, cy = h - 1;
      break;
    case 7: /* transversed */
      ax = 0, bx = -1, cx = w - 1, ay = -1, by = 0, cy = h - 1;
      break;
    case 8: /* stored rotated 90° clockwise: turn it counter-clockwise */
      ax = 0, bx = -1, cx = w - 1, ay = 1, by = 0;
      break;
    default:
      break;
    }

  /* In pixels of the source: moving one output column / row, and the source of output (0, 0). */
  step_x = ay * w + ax;
  step_y = by * w + bx;
  base = cy * w + cx;

  for (gssize y = 0; y < out->height; y++)
    {
      gssize from = base + y * step_y;
      guint8 *dst = out->pixels + 3 * y * (gssize) out->width;

      for (gssize x = 0; x < out->width; x++, from += step_x, dst += 3)
        {
          const guint8 *src = image->pixels + 3 * from;

          dst[0] = src[0];
          dst[1] = src[1];
          dst[2] = src[2];
        }
    }

  return g_steal_pointer (&out);
}
