/* lk-scan.h: finding the images under a catalog's folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lookalike.h"

G_BEGIN_DECLS

typedef struct
{
  char *path; /* relative to the root, raw file-system bytes */
  gint64 size;
  gint64 mtime_ns;
  LkSniff kind;       /* LK_SNIFF_IMAGE; LK_SNIFF_UNSUPPORTED for images we cannot read;
                       * LK_SNIFF_NOT_IMAGE for a file named like an image that is not one */
  const char *format; /* static: "JPEG", "WebP"; NULL when not sniffed (known unchanged) */
  const char *reason; /* static, for LK_SNIFF_NOT_IMAGE: "empty file" */
} LkScanEntry;

typedef struct
{
  char *path;   /* relative to the root */
  char *reason; /* "permission denied" */
} LkScanProblem;

typedef struct
{
  GPtrArray *entries;  /* (element-type LkScanEntry) sorted by path */
  GPtrArray *problems; /* (element-type LkScanProblem) folders and files that could not be read */
} LkScanResult;

void lk_scan_result_free (LkScanResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkScanResult, lk_scan_result_free)

/* Walks @root recursively: regular files whose first bytes are an image format (TGA, which has no
 * signature, by its name), and files named like images (.jpg, .png, …) that are not one, following
 * symbolic links but never into a folder twice, skipping hidden files and folders. @known (nullable) maps relative paths to the (size, mtime_ns) pairs of
 * LkCatalogItems: a file that still matches is taken as an image without being opened. */
LkScanResult *
lk_scan_folder (const char *root, GHashTable *known, GCancellable *cancellable, GError **error);

/* Whether @path is under one of the folders in @problems (so its absence proves nothing). */
gboolean lk_scan_result_covers_problem (const LkScanResult *result, const char *path);

G_END_DECLS
