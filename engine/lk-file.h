/* lk-file.h: reading a whole file that may change, vanish or not be a file at all.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Images and weights are read with read(2) into memory, never mapped: a mapped file that another
 * program shortens (`cp new.jpg old.jpg`) kills the reader with SIGBUS. The descriptor is opened
 * without blocking, so that a FIFO or a device put where a photo was is refused instead of waited
 * on, and its size is checked on the descriptor before a byte is read.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 size;      /* bytes, from fstat before reading */
  gint64 mtime_ns;  /* modification time, ns since the epoch */
  gboolean changed; /* the file changed while it was read: its size or times moved, or it did not
                     * hold the bytes its size said; the contents are then not to be trusted */
} LkFileInfo;

/* Nanoseconds since the epoch of a struct stat's st_mtim. */
#define LK_STAT_MTIME_NS(st) \
  ((gint64) (st)->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + (st)->st_mtim.tv_nsec)

/* Reads the regular file at @path (relative to @dir_fd, or AT_FDCWD) into memory. @name is what
 * messages call it ("shoe.jpg"), @kind what it should be ("an image", "a weights file"). Errors
 * are G_IO_ERROR with the message "name: reason": "no such file", "permission denied" (and other
 * errno texts), "is a folder, not KIND" (G_IO_ERROR_IS_DIRECTORY), "not a regular file (a FIFO)"
 * (G_IO_ERROR_NOT_REGULAR_FILE: FIFOs, sockets and devices are never opened for blocking reads),
 * "empty file" (G_IO_ERROR_INVALID_DATA), "file is 8.0 GiB, over the 512.0 MiB limit"
 * (G_IO_ERROR_MESSAGE_TOO_LARGE, found on the descriptor before a byte is read). A file that
 * changes while it is read is returned with @info->changed set.
 * @info: (out) (optional)
 * Returns: (transfer full) (nullable) */
GBytes *lk_file_read (int dir_fd, const char *path, const char *name, const char *kind,
                      guint64 max_size, LkFileInfo *info, GError **error);

G_END_DECLS
