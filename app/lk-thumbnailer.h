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
/* Returns: (transfer full) (nullable) */
GdkTexture *lk_thumbnailer_load_finish (LkThumbnailer *self, GAsyncResult *result, GError **error);

/* Returns: (transfer full) an RGB texture of @image */
GdkTexture *lk_texture_new_from_image (const LkImage *image);
/* An image of @texture composited onto white (a dropped or pasted picture).
 * Returns: (transfer full) (nullable) */
LkImage *lk_image_new_from_texture (GdkTexture *texture);

G_END_DECLS
