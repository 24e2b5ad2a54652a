/* lk-scan.c: finding the images under a catalog's folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names are handled as the raw bytes the file system gives (a photo called "caf\xe9.jpg" in
 * Latin-1 is still found). Files are recognised by content, not by name: the first
 * LK_SNIFF_BYTES bytes of every file not already known to the catalog are read.
 */
#define G_LOG_DOMAIN "lk-scan"

#include "lk-scan.h"

#include "lk-file.h"
#include "store/lk-catalog-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
entry_free (LkScanEntry *entry)
{
  g_free (entry->path);
  g_free (entry);
}

static void
problem_free (LkScanProblem *problem)
{
  g_free (problem->path);
  g_free (problem->reason);
  g_free (problem);
}

void
lk_scan_result_free (LkScanResult *result)
{
  if (!result)
    return;
  g_ptr_array_unref (result->entries);
  g_ptr_array_unref (result->problems);
  g_free (result);
}

static void
add_problem (LkScanResult *result, const char *path, int err)
{
  LkScanProblem *problem = g_new (LkScanProblem, 1);
  problem->path = g_strdup (path);
  problem->reason = g_utf8_strdown (g_strerror (err), -1);
  g_ptr_array_add (result->problems, problem);
}

static const char *
name_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  return dot && dot != name ? dot + 1 : NULL;
}

static gboolean
has_extension (const char *name, const char *extension)
{
  const char *ext = name_extension (name);
  return ext && g_ascii_strcasecmp (ext, extension) == 0;
}

/* Names a person gives image files: one of these that holds no image is reported, not skipped. */
static gboolean
has_image_name (const char *name)
{
  static const char *const extensions[] = {
    "jpg",  "jpeg", "jpe",  "jfif", "png", "apng", "gif", "bmp",  "dib", "tga",
    "psd",  "pnm",  "ppm",  "pgm",  "pbm", "pam",  "hdr", "webp", "tif", "tiff",
    "heic", "heif", "avif", "jxl",  "jp2", "j2k",  "jpf", "exr",  "svg", "ico",
  };
  const char *ext = name_extension (name);

  for (gsize i = 0; ext && i < G_N_ELEMENTS (extensions); i++)
    if (g_ascii_strcasecmp (ext, extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

typedef struct
{
  dev_t dev;
  ino_t ino;
} DirId;

static guint
dir_id_hash (gconstpointer p)
{
  const DirId *id = p;
  return (guint) id->ino ^ (guint) (id->ino >> 32) ^ (guint) id->dev;
}

static gboolean
dir_id_equal (gconstpointer a, gconstpointer b)
{
  const DirId *x = a, *y = b;
  return x->dev == y->dev && x->ino == y->ino;
}

/* Joins a relative folder and a name; the root's own entries have no prefix. */
static char *
join (const char *dir, const char *name)
{
  return dir[0] ? g_strconcat (dir, G_DIR_SEPARATOR_S, name, NULL) : g_strdup (name);
}

static void
scan_file (LkScanResult *result, int dir_fd, const char *name, const char *rel,
           const struct stat *st, GHashTable *known)
{
  gint64 mtime_ns = LK_STAT_MTIME_NS (st);
  LkCatalogItem *item = known ? g_hash_table_lookup (known, rel) : NULL;
  LkSniff kind;
  const char *format = NULL, *reason = NULL;

  if (item && item->size == (gint64) st->st_size && item->mtime_ns == mtime_ns)
    kind = LK_SNIFF_IMAGE; /* unchanged since the catalog last read it */
  else
    {
      guint8 head[LK_SNIFF_BYTES];
      ssize_t got;
      struct stat opened;
      /* not blocking: a FIFO put there since fstatat () must not stop the scan */
      int fd = openat (dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      if (fd < 0)
        {
          add_problem (result, rel, errno);
          return;
        }
      if (fstat (fd, &opened) != 0 || !S_ISREG (opened.st_mode))
        {
          close (fd);
          return; /* no longer a file */
        }
      do
        got = read (fd, head, sizeof head);
      while (got < 0 && errno == EINTR);
      int saved = errno;
      close (fd);
      if (got < 0)
        {
          add_problem (result, rel, saved);
          return;
        }
      kind = lk_image_sniff (head, (gsize) got, &format);
      if (kind == LK_SNIFF_NOT_IMAGE && has_extension (name, "tga"))
        kind = LK_SNIFF_IMAGE, format = "TGA";
      /* an icon's signature is too short to sniff alone (00 00 01 00): by its name too */
      if (kind == LK_SNIFF_NOT_IMAGE && has_extension (name, "ico") && got >= 4
          && memcmp (head, "\0\0\1\0", 4) == 0)
        kind = LK_SNIFF_UNSUPPORTED, format = "ICO";
      if (kind == LK_SNIFF_NOT_IMAGE)
        {
          /* notes.txt is not an item; photo.jpg holding no image is a failure to report */
          if (!has_image_name (name))
            return;
          reason = got == 0 ? "empty file" : "not an image (unrecognised content)";
        }
    }

  LkScanEntry *entry = g_new (LkScanEntry, 1);
  entry->path = g_strdup (rel);
  entry->size = (gint64) st->st_size;
  entry->mtime_ns = mtime_ns;
  entry->kind = kind;
  entry->format = format;
  entry->reason = reason;
  g_ptr_array_add (result->entries, entry);
}

/* Something that is not a file, under an image's name: reported, never opened. */
static void
add_special (LkScanResult *result, const char *rel, const struct stat *st)
{
  LkScanEntry *entry = g_new0 (LkScanEntry, 1);

  entry->path = g_strdup (rel);
  entry->size = -1; /* no file's size: once it is a file again, the plan sees it changed */
  entry->mtime_ns = LK_STAT_MTIME_NS (st);
  entry->kind = LK_SNIFF_NOT_IMAGE;
  entry->reason = S_ISFIFO (st->st_mode)   ? "not a regular file (a FIFO)"
                  : S_ISSOCK (st->st_mode) ? "not a regular file (a socket)"
                                           : "not a regular file (a device)";
  g_ptr_array_add (result->entries, entry);
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const LkScanEntry *x = *(LkScanEntry *const *) a, *y = *(LkScanEntry *const *) b;
  return strcmp (x->path, y->path);
}

LkScanResult *
lk_scan_folder (const char *root, GHashTable *known, GCancellable *cancellable, GError **error)
{
  g_autoptr (LkScanResult) result = g_new0 (LkScanResult, 1);
  g_autoptr (GHashTable) visited = g_hash_table_new_full (dir_id_hash, dir_id_equal, g_free, NULL);
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (g_free);
  struct stat st;
  guint count = 0;

  result->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  result->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);

  if (stat (root, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      int saved = stat (root, &st) != 0 ? errno : ENOTDIR;
      g_autofree char *shown = g_filename_display_name (root);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", shown,
                   g_strerror (saved));
      return NULL;
    }
  DirId *id = g_new (DirId, 1);
  *id = (DirId){ st.st_dev, st.st_ino };
  g_hash_table_add (visited, id);
  g_ptr_array_add (pending, g_strdup (""));

  while (pending->len > 0)
    {
      g_autofree char *rel = g_ptr_array_steal_index (pending, pending->len - 1);
      g_autofree char *abs = rel[0] ? g_build_filename (root, rel, NULL) : g_strdup (root);
      DIR *dir = opendir (abs);
      struct dirent *d;

      if (!dir)
        {
          add_problem (result, rel, errno);
          continue;
        }
      while ((d = readdir (dir)))
        {
          if (d->d_name[0] == '.') /* ".", "..", and hidden files and folders */
            continue;
          if (++count % 256 == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              closedir (dir);
              return NULL;
            }
          g_autofree char *child = join (rel, d->d_name);
          if (fstatat (dirfd (dir), d->d_name, &st, 0) != 0)
            {
              /* a dangling symbolic link is not an image; anything else is worth saying */
              if (errno != ENOENT)
                add_problem (result, child, errno);
              continue;
            }
          if (S_ISDIR (st.st_mode))
            {
              DirId key = { st.st_dev, st.st_ino };
              if (g_hash_table_contains (visited, &key))
                continue; /* a symbolic-link loop, or the same folder reached twice */
              g_hash_table_add (visited, g_memdup2 (&key, sizeof key));
              g_ptr_array_add (pending, g_steal_pointer (&child));
            }
          else if (S_ISREG (st.st_mode))
            scan_file (result, dirfd (dir), d->d_name, child, &st, known);
          else if (has_image_name (d->d_name))
            add_special (result, child, &st); /* a FIFO or a device named like a photo */
        }
      closedir (dir);
    }

  g_ptr_array_sort (result->entries, compare_entries);
  return g_steal_pointer (&result);
}

gboolean
lk_scan_result_covers_problem (const LkScanResult *result, const char *path)
{
  for (guint i = 0; i < result->problems->len; i++)
    {
      const LkScanProblem *problem = result->problems->pdata[i];
      gsize len = strlen (problem->path);
      if (len == 0
          || (strncmp (path, problem->path, len) == 0
              && (path[len] == '\0' || path[len] == G_DIR_SEPARATOR)))
        return TRUE;
    }
  return FALSE;
}
