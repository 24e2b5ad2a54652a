/* lk-indexer.h: the indexer's reading of photos, shared with the trainer.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lk-file.h"
#include "lk-scan.h"

G_BEGIN_DECLS

/* Reads the file of @entry under @root as indexing does: what the scan found not to be an image
 * we read is refused, anything but a regular file is refused without blocking, a file over
 * @max_file_size is refused by its size, and one that changed while it was read ("changed while
 * indexing", info->changed set) too. Returns: (transfer full) (nullable) the bytes, or NULL with
 * *@reason, the summary's wording ("vanished while indexing"). */
GBytes *lk_index_read_entry (const char *root, const LkScanEntry *entry, guint64 max_file_size,
                             LkFileInfo *info, char **reason);

/* Decodes what lk_index_read_entry () read of @path. Returns: (transfer full) (nullable) the
 * image, or NULL with *@reason ("truncated JPEG"). */
LkImage *
lk_index_decode (GBytes *bytes, const char *path, const LkDecodeParams *decode, char **reason);

/* lk-compress.c: makes the codes @embedder (a backend of its upstream's vectors) gives the
 * catalog's upstream vectors that have none yet, under the writer lock the caller holds, as many
 * as *@made, reporting like indexing. The catalog's upstream vectors must be of the identity the
 * compressor was fitted on (else LK_ERROR_BAD_WEIGHTS). */
gboolean
lk_index_compress (LkCatalog *catalog, LkEmbedder *embedder, LkIndexProgressFunc progress,
                   gpointer user_data, guint *made, GCancellable *cancellable, GError **error);

G_END_DECLS
