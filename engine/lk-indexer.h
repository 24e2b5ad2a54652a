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

G_END_DECLS
