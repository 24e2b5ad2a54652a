/* lk-file.c: reading a whole file that may change, vanish or not be a file at all.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "lk-file"

#include "lk-file.h"
#include "lookalike.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <sys/stat.h>
#include <unistd.h>

static gpointer
errno_error (GError **error, const char *name, int saved_errno)
{
  const char *reason;

  switch (saved_errno)
    {
    case ENOENT:
      reason = "no such file";
      break;
    case EACCES:
    case EPERM:
      reason = "permission denied";
      break;
    default:
      reason = g_strerror (saved_errno);
      break;
    }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", name, reason);
  return NULL;
}

static const char *
file_type_name (mode_t mode)
{
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISSOCK (mode))
    return "a socket";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  return "not a file";
}

static gboolean
same_file_state (const struct stat *a, const struct stat *b)
{
  return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec
         && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec
         && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

GBytes *
lk_file_read (int dir_fd, const char *path, const char *name, const char *kind, guint64 max_size,
              LkFileInfo *info, GError **error)
{
  struct stat before, after;
  g_autofree guint8 *data = NULL;
  gsize size, got = 0;
  gboolean changed = FALSE;
  int fd;

  g_return_val_if_fail (path != NULL && name != NULL, NULL);

  /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below); for a regular
   * file the flag changes nothing */
  do
    fd = openat (dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return errno_error (error, name, errno);

  if (fstat (fd, &before) != 0)
    {
      int saved = errno;
      close (fd);
      return errno_error (error, name, saved);
    }
  if (S_ISDIR (before.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, "%s: is a folder, not %s", name,
                   kind);
      return NULL;
    }
  if (!S_ISREG (before.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file (%s)",
                   name, file_type_name (before.st_mode));
      return NULL;
    }
  if (before.st_size == 0)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: empty file", name);
      return NULL;
    }
  if ((guint64) before.st_size > max_size || (guint64) before.st_size > G_MAXSSIZE)
    {
      g_autofree char *size_str =
        g_format_size_full ((guint64) before.st_size, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *max_str = g_format_size_full (max_size, G_FORMAT_SIZE_IEC_UNITS);
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "%s: file is %s, over the %s limit", name, size_str, max_str);
      return NULL;
    }

  size = (gsize) before.st_size;
  data = g_try_malloc (size);
  if (!data)
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s: not enough memory to read it",
                   name);
      return NULL;
    }
  while (got < size)
    {
      ssize_t n = read (fd, data + got, size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          return errno_error (error, name, saved);
        }
      if (n == 0)
        break; /* shorter than it was a moment ago */
      got += (gsize) n;
    }
  if (got < size)
    changed = TRUE;
  else
    {
      guint8 extra;
      ssize_t n;
      do
        n = read (fd, &extra, 1);
      while (n < 0 && errno == EINTR);
      if (n != 0)
        changed = TRUE; /* longer than it was, or unreadable at its end */
    }
  if (fstat (fd, &after) != 0 || !same_file_state (&before, &after))
    changed = TRUE;
  close (fd);

  if (info)
    {
      info->size = (gint64) before.st_size;
      info->mtime_ns = LK_STAT_MTIME_NS (&before);
      info->changed = changed;
    }
  return g_bytes_new_take (g_steal_pointer (&data), got);
}

char *
lk_path_display_line (const char *path)
{
  g_autofree char *shown = g_filename_display_name (path);
  gboolean plain = TRUE;

  for (const guchar *p = (const guchar *) shown; *p && plain; p++)
    plain = *p >= 0x20 && *p != 0x7f && *p != '"' && *p != '\\';
  if (plain)
    return g_steal_pointer (&shown);
  /* one result, one line: a name with a newline in it is quoted, its controls escaped */
  GString *out = g_string_new ("\"");
  for (const guchar *p = (const guchar *) shown; *p; p++)
    switch (*p)
      {
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '"':
      case '\\':
        g_string_append_c (out, '\\');
        g_string_append_c (out, (char) *p);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf (out, "\\x%02x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}
