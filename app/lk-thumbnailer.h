/* lk-thumbnailer.h: small pictures of catalog images, made in worker threads and cached.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "lookalike.h"

G_BEGIN_DECLS

#define LK_TYPE_THUMBNAILER (lk_thumbnailer_get_type ())
G_DECLARE_FINAL_TYPE (LkThumbnailer, lk_thumbnailer, LK, THUMBNAILER, GObject)

/* Thumbnails at most @size pixels on their longer side; the @cache_size most recently used stay
 * in memory. */
LkThumbnailer *lk_thumbnailer_new (int size, guint cache_size);

/* Returns: (transfer none) (nullable) the cached thumbnail of @path */
GdkTexture *lk_thumbnailer_lookup (LkThumbnailer *self, const char *path);

/* Decodes and scales @path on a worker thread (through the engine's decoder: every format, EXIF
 * orientation, limits), then caches it. */
void lk_thumbnailer_load_async (LkThumbnailer *self, const char *path, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/* The same for a picture's encoded bytes (a drop or a paste, see LkPictureBytes), which are not
 * cached; @name is what error messages call it ("Pasted picture: truncated PNG"). Finish with
 * lk_thumbnailer_load_finish (). */
void lk_thumbnailer_load_bytes_async (LkThumbnailer *self, GBytes *bytes, const char *name,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
/* Returns: (transfer full) (nullable) */
GdkTexture *lk_thumbnailer_load_finish (LkThumbnailer *self, GAsyncResult *result, GError **error);

/* Returns: (transfer full) an RGB texture of @image */
GdkTexture *lk_texture_new_from_image (const LkImage *image);
/* An image of @texture composited onto white (a picture dropped or pasted as a texture). A texture
 * over the decoder's pixel limit is refused, as the decoder refuses such an image, before its
 * pixels are downloaded; @name is what the message calls it.
 * Returns: (transfer full) (nullable) */
LkImage *lk_image_new_from_texture (GdkTexture *texture, const char *name, GError **error);

/* A picture dropped or pasted from another program, as the encoded bytes of a format the engine
 * decodes (PNG preferred, then JPEG, GIF, BMP, PNM, PSD, TGA, HDR), so that the decoder's limits
 * apply before anything is decoded. It is a GdkDrop and GdkClipboard value type: asking for it
 * (gtk_drop_target_set_gtypes, gdk_clipboard_read_value_async) reads the raw data in the first of
 * those MIME types the source offers, at most the decoder's max_file_size of it; reading stops as
 * soon as more arrives. A picture that could not be read carries the reason instead of bytes. */
typedef struct _LkPictureBytes LkPictureBytes;

#define LK_TYPE_PICTURE_BYTES (lk_picture_bytes_get_type ())
GType lk_picture_bytes_get_type (void);
LkPictureBytes *lk_picture_bytes_ref (LkPictureBytes *picture);
void lk_picture_bytes_unref (LkPictureBytes *picture);
/* Whether @formats (a clipboard's or a drop's) offer a picture in one of those MIME types. */
gboolean lk_picture_bytes_offered (GdkContentFormats *formats);
/* The encoded picture, or why it could not be read, with @name first in the message ("Pasted
 * picture: picture data is over the 512 MiB limit").
 * Returns: (transfer full) (nullable) */
GBytes *lk_picture_bytes_get_bytes (LkPictureBytes *picture, const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkPictureBytes, lk_picture_bytes_unref)

G_END_DECLS
