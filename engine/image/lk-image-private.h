/* lk-image-private.h: helpers shared inside engine/image (container scans, EXIF orientation).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every function here reads untrusted bytes: offsets and lengths are checked against the buffer
 * before any access, and nothing is allocated from sizes read from the data.
 */
#pragma once

#include "lookalike.h"

G_BEGIN_DECLS

typedef enum
{
  LK_SCAN_OK,                /* the container is whole as far as the scan looked */
  LK_SCAN_TRUNCATED,         /* the data ends before the container does */
  LK_SCAN_CORRUPT,           /* a segment or chunk header is impossible */
  LK_SCAN_BAD_HUFFMAN_TABLE, /* JPEG: a DHT segment with more than 256 codes in a table */
} LkScanStatus;

typedef struct
{
  LkScanStatus status; /* OK means an EOI marker was found after the last scan */
  int orientation;     /* EXIF orientation 1..8 from the first APP1 "Exif" segment, 0 = none */
  guint8 sof_marker;   /* 0xC0..0xCF of the first frame header, 0 = none seen */
  int precision;       /* sample precision of that frame (8 or 12 bits) */
  guint32 width;       /* from the frame header */
  guint32 height;      /* from the frame header; 0 means "set later by a DNL marker" */
  int n_components;    /* colour components of that frame: 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK */
} LkJpegScan;

/* Whether @data starts like a JPEG for stb_image: optional 0xFF fill bytes, then FF D8 (SOI).
 * @after: (out) (optional): the position after SOI. */
gboolean lk_jpeg_has_signature (const guint8 *data, gsize len, gsize *after);

/* Walks the marker segments of a JPEG without decoding it. */
void lk_jpeg_scan (const guint8 *data, gsize len, LkJpegScan *scan);

typedef struct
{
  LkScanStatus status; /* OK means every chunk is whole up to and including IEND */
  int orientation;     /* EXIF orientation 1..8 from an eXIf chunk before IDAT, 0 = none */
  guint32 width;       /* from IHDR, 0 when the first chunk is not a valid IHDR */
  guint32 height;
} LkPngScan;

/* Walks the chunks of a PNG (starting with its 8-byte signature) without decoding it. */
void lk_png_scan (const guint8 *data, gsize len, LkPngScan *scan);

/* Reads tag 0x0112 (Orientation) of IFD0 from a TIFF structure ("II*\0" or "MM\0*" header), as
 * found after "Exif\0\0" in a JPEG APP1 segment or in a PNG eXIf chunk. Returns 1..8, or 0 when
 * the tag is absent, out of range or anything on the way is out of bounds. */
int lk_exif_parse_orientation (const guint8 *tiff, gsize len);

/* Returns: (transfer full) (nullable) @image turned upright for an EXIF @orientation (1..8), as
 * PIL's ImageOps.exif_transpose () does: 2 mirrors left-right, 3 rotates 180°, 4 mirrors
 * top-bottom, 5 transposes, 6 rotates 90° clockwise, 7 transverses, 8 rotates 90°
 * counter-clockwise. Any other value gives a plain copy. NULL only when out of memory. */
LkImage *lk_image_apply_orientation (const LkImage *image, int orientation);

/* torchvision's Resize (round (size × 256 / 224)) followed by CenterCrop (size) for a @width ×
 * @height image: the size of the resized image and the top-left corner of the crop in it. */
void lk_center_crop_geometry (int width, int height, int size, gint64 *resized_width,
                              gint64 *resized_height, gint64 *left, gint64 *top);

/* Bytes the stb_image allocator had live at most during the last decode on this thread, and the
 * budget it was allowed; for tests. Both are 0 after a JPEG, which TurboJPEG decodes. */
void lk_decode_get_last_memory (gsize *peak, gsize *budget);

G_END_DECLS
