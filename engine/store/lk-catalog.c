/* lk-catalog.c: the catalog file (SQLite): creating, opening, locking, and the backends' identities.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Schema, version 2:
 *
 *   meta (key, value)            application = "lookalike-catalog", schema_version, root
 *   items (id, path UNIQUE, size, mtime_ns, sha256, width, height, error)
 *        path is relative to the root, as raw file-system bytes (a BLOB: names need not be UTF-8);
 *        error is NULL for an image that reads, else why it does not
 *   backends (name, identity, identity_sha256, vector_type, dim, weights_path, calibration)
 *        per backend what made its vectors: the canonical text of its identity
 *        (lk_model_identity_to_canonical) and that text's SHA-256, the vectors' type and
 *        dimension (also in the identity, kept as columns to check the two against each other),
 *        where the model's file was (a hint), and a calibration of its scores (NULL until made)
 *   embeddings (backend, item_id, vector)
 *        one vector (little-endian BLOB) per item and backend
 *
 * Version 1 (the first release) stored the identity's fields as columns of backends
 * (model, weights_sha256, weights_path, input_size, preprocess, dim). Opening one for writing
 * migrates it in place, in one transaction that keeps every vector; opened read-only, it is read
 * as it is.
 *
 * WAL journal with synchronous = NORMAL: every transaction is atomic, so a process killed at any
 * point leaves the last committed state and nothing half-written. Pages are 16 KiB so that a
 * ResNet-50 vector (8 KiB) stays on its row's page.
 *
 * A new catalog is made whole under a temporary name and linked into place, so that no process
 * ever sees (or deletes) a half-made one, and two processes creating the same catalog at once
 * end up sharing one. Writers exclude each other with a lock file (lk_catalog_lock_writer);
 * readers need none, and open read-only files and read-only media without writing a byte.
 * Every value read back is checked before it is used: a catalog is untrusted input.
 */
#define G_LOG_DOMAIN "lk-catalog"

#include "lk-catalog-db.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPLICATION    "lookalike-catalog"
#define SCHEMA_VERSION 2

#define BACKENDS_TABLE(name)         \
  "CREATE TABLE " name " ("          \
  "  name TEXT PRIMARY KEY,"         \
  "  identity TEXT NOT NULL,"        \
  "  identity_sha256 TEXT NOT NULL," \
  "  vector_type TEXT NOT NULL,"     \
  "  dim INTEGER NOT NULL,"          \
  "  weights_path BLOB,"             \
  "  calibration BLOB) WITHOUT ROWID;"

static const char schema[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE items ("
  "  id INTEGER PRIMARY KEY,"
  "  path BLOB NOT NULL UNIQUE,"
  "  size INTEGER NOT NULL,"
  "  mtime_ns INTEGER NOT NULL,"
  "  sha256 BLOB,"
  "  width INTEGER NOT NULL DEFAULT 0,"
  "  height INTEGER NOT NULL DEFAULT 0,"
  "  error TEXT);"
  "CREATE INDEX items_sha256 ON items (sha256);" BACKENDS_TABLE (
    "backends") "CREATE TABLE embeddings ("
                "  backend TEXT NOT NULL REFERENCES backends (name) ON DELETE CASCADE,"
                "  item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
                "  vector BLOB NOT NULL,"
                "  PRIMARY KEY (backend, item_id));"
                "CREATE INDEX embeddings_item ON embeddings (item_id);";

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Why @path cannot be written, as the system says it (or NULL when it seems it can). */
static const char *
unwritable_reason (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (access (path, W_OK) != 0 && errno != ENOENT)
    return g_strerror (errno);
  if (access (dir, W_OK) != 0)
    return errno == EROFS ? g_strerror (EROFS) : "its folder cannot be written";
  return NULL;
}

gboolean
lk_catalog_db_error (LkCatalog *catalog, int rc, GError **error, const char *doing)
{
  const char *message = catalog->db ? sqlite3_errmsg (catalog->db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: not a Lookalike index",
                   catalog->name);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: damaged index (%s); delete it and index the folder again", catalog->name,
                   message);
      break;
    case SQLITE_FULL:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "%s: disk full while %s (what was done before is kept: free some space and "
                   "try again)",
                   catalog->name, doing);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "%s: in use by another process (%s); try again when it is done", catalog->name,
                   message);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      {
        const char *why = unwritable_reason (catalog->path);
        if (catalog->read_only || why)
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY, "%s: cannot be written (%s)",
                       catalog->name, why ? why : "opened for reading only");
        else
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: cannot be opened (%s)",
                       catalog->name, message);
        break;
      }
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s while %s", catalog->name, message,
                   doing);
    }
  return FALSE;
}

gboolean
lk_catalog_corrupt (LkCatalog *catalog, GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: damaged index (%s)", catalog->name,
               what);
  return FALSE;
}

gboolean
lk_catalog_exec (LkCatalog *catalog, const char *sql, GError **error)
{
  int rc = sqlite3_exec (catalog->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK || lk_catalog_db_error (catalog, rc, error, "updating the index");
}

sqlite3_stmt *
lk_catalog_prepare (LkCatalog *catalog, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (catalog->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return stmt;
}

/* ---------------------------------------------------------------------------------------------- */
/* Opening                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

char *
lk_catalog_default_path (const char *root)
{
  g_autofree char *absolute = g_canonicalize_filename (root, NULL);
  g_autofree char *real = realpath (absolute, NULL);
  g_autofree char *base = g_path_get_basename (real ? real : absolute);
  g_autofree char *hash =
    g_compute_checksum_for_string (G_CHECKSUM_SHA256, real ? real : absolute, -1);
  g_autofree char *file = NULL;

  /* keep the folder's name readable in the file name, and nothing a file system could object to */
  for (char *p = base; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      *p = '_';
  hash[12] = '\0';
  file = g_strdup_printf ("%s-%s.db", base[0] == '.' ? base + 1 : base, hash);
  return g_build_filename (g_get_user_data_dir (), "lookalike", "catalogs", file, NULL);
}

/* What is at the catalog's path, found without opening it: a descriptor of ours closed on the
 * database file would drop every POSIX lock SQLite holds on it in this process (another
 * connection's included). A folder, a FIFO or a device is refused here, before SQLite would block
 * opening it. */
static gboolean
check_file (LkCatalog *catalog, gboolean *exists, GError **error)
{
  GStatBuf st;

  *exists = FALSE;
  if (g_stat (catalog->path, &st) != 0)
    {
      int saved = errno;
      if (saved == ENOENT)
        return TRUE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: cannot be read (%s)",
                   catalog->name, g_strerror (saved));
      return FALSE;
    }
  *exists = TRUE;
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   "%s: is a folder, not a catalog file", catalog->name);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file (%s)",
                   catalog->name,
                   S_ISFIFO (st.st_mode)   ? "a FIFO"
                   : S_ISSOCK (st.st_mode) ? "a socket"
                                           : "a device");
      return FALSE;
    }
  if (access (catalog->path, R_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: cannot be read (%s)",
                   catalog->name, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Whether the write-ahead log beside the catalog holds frames (its header alone is 32 bytes). */
static gboolean
has_log (LkCatalog *catalog)
{
  g_autofree char *wal = g_strconcat (catalog->path, "-wal", NULL);
  GStatBuf st;

  return g_stat (wal, &st) == 0 && st.st_size > 32;
}

/* A truncated file is the one kind of damage SQLite may not notice until it reads the missing
 * pages: compare the page count in the header with the file's length, both read through the
 * connection's own descriptor. Not when a write-ahead log is there: pages committed since the last
 * checkpoint live in it (after a disk full, the main file can be far shorter than its header
 * says, and SQLite recovers all of it from the log). */
static gboolean
check_length (LkCatalog *catalog, GError **error)
{
  sqlite3_file *file = NULL;
  sqlite3_int64 size = 0;
  guint8 header[100];

  if (has_log (catalog)
      || sqlite3_file_control (catalog->db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK
      || !file || !file->pMethods || file->pMethods->xFileSize (file, &size) != SQLITE_OK
      || size < (sqlite3_int64) sizeof header
      || file->pMethods->xRead (file, header, sizeof header, 0) != SQLITE_OK)
    return TRUE; /* an empty or unreadable file: SQLite's own checks follow */
  guint page_size = (guint) header[16] << 8 | header[17];
  guint32 pages = (guint32) header[28] << 24 | (guint32) header[29] << 16
                  | (guint32) header[30] << 8 | header[31];
  if (page_size == 1)
    page_size = 65536;
  if (memcmp (header, "SQLite format 3", 16) == 0 && pages > 0
      && (guint64) size < (guint64) pages * page_size)
    return lk_catalog_corrupt (catalog, error,
                               "truncated: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
                               (guint64) size, (guint64) pages * page_size);
  return TRUE;
}

static char *
read_meta (LkCatalog *catalog, const char *key, int *rc_out)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc =
    sqlite3_prepare_v2 (catalog->db, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, NULL);
  char *value = NULL;

  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          const void *blob = sqlite3_column_blob (stmt, 0);
          gsize len = (gsize) sqlite3_column_bytes (stmt, 0);
          /* a NUL inside would cut the value short: such a value was never written by us */
          if (!blob || !memchr (blob, '\0', len))
            value = g_strndup (blob ? blob : "", len);
          rc = SQLITE_OK;
        }
      else if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  *rc_out = rc;
  return value;
}

static gboolean
put_meta (LkCatalog *catalog, const char *key, const char *value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, value, (int) strlen (value), SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "creating the index");
}

static gboolean
create_schema (LkCatalog *catalog, GError **error)
{
  g_autofree char *version = g_strdup_printf ("%d", SCHEMA_VERSION);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format_iso8601 (now);

  /* a rollback journal while the file is made: once the commit returns, everything is in the
   * file itself (lk_catalog_open switches it to WAL where it lives) */
  if (!lk_catalog_exec (catalog, "PRAGMA page_size = 16384; PRAGMA journal_mode = DELETE; BEGIN",
                        error))
    return FALSE;
  if (!lk_catalog_exec (catalog, schema, error)
      || !put_meta (catalog, "application", APPLICATION, error)
      || !put_meta (catalog, "schema_version", version, error)
      || !put_meta (catalog, "root", catalog->root, error)
      || !put_meta (catalog, "created", created, error))
    {
      lk_catalog_rollback (catalog);
      return FALSE;
    }
  return lk_catalog_commit (catalog, error);
}

/* As realpath () gives it: absolute, no empty, "." or ".." component, no trailing slash. */
static gboolean
is_canonical_folder (const char *path)
{
  if (path[0] != '/')
    return FALSE;
  if (path[1] == '\0')
    return TRUE;
  for (const char *p = path; *p;)
    {
      const char *start = p + 1, *end = strchr (start, '/');
      gsize n = end ? (gsize) (end - start) : strlen (start);
      if (n == 0 || (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.'))
        return FALSE;
      p = start + n;
    }
  return TRUE;
}

static gboolean
check_existing (LkCatalog *catalog, const char *root, GError **error)
{
  int rc;
  g_autofree char *application = read_meta (catalog, "application", &rc);
  g_autofree char *version = NULL;
  g_autofree char *stored_root = NULL;

  if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_BUSY
      || (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY
      || (rc & 0xff) == SQLITE_IOERR)
    return lk_catalog_db_error (catalog, rc, error, "opening the index");
  if (rc != SQLITE_OK || g_strcmp0 (application, APPLICATION) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: not a Lookalike index",
                   catalog->name);
      return FALSE;
    }
  version = read_meta (catalog, "schema_version", &rc);
  if (version && g_str_equal (version, "1"))
    catalog->schema = 1; /* the first release's: migrated once opened for writing */
  else if (version && g_str_equal (version, G_STRINGIFY (SCHEMA_VERSION)))
    catalog->schema = SCHEMA_VERSION;
  else
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: index format %s, this version of Lookalike reads formats 1 and %d",
                   catalog->name, version ? version : "unknown", SCHEMA_VERSION);
      return FALSE;
    }
  stored_root = read_meta (catalog, "root", &rc);
  if (!stored_root || !is_canonical_folder (stored_root))
    return lk_catalog_corrupt (catalog, error, "no folder");
  if (root && g_strcmp0 (root, stored_root) != 0)
    {
      g_autofree char *a = g_filename_display_name (stored_root);
      g_autofree char *b = g_filename_display_name (root);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s indexes %s, not %s",
                   catalog->name, a, b);
      return FALSE;
    }
  g_free (catalog->root);
  catalog->root = g_steal_pointer (&stored_root);
  return TRUE;
}

/* The folder's absolute path with symbolic links resolved: the same folder reached two ways is one
 * catalog. */
static char *
canonical_root (const char *root, GError **error)
{
  g_autofree char *absolute = g_canonicalize_filename (root, NULL);
  g_autofree char *real = realpath (absolute, NULL);

  if (!real)
    {
      int saved = errno;
      g_autofree char *shown = g_filename_display_name (root);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", shown,
                   g_strerror (saved));
      return NULL;
    }
  if (!g_file_test (real, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *shown = g_filename_display_name (root);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s: not a folder", shown);
      return NULL;
    }
  return g_strdup (real);
}

static LkCatalog *
catalog_new (const char *path)
{
  LkCatalog *catalog = g_new0 (LkCatalog, 1);

  catalog->path = g_strdup (path);
  catalog->name = g_filename_display_basename (path);
  catalog->lock_fd = -1;
  return catalog;
}

static void
close_db (LkCatalog *catalog)
{
  if (catalog->db)
    sqlite3_close_v2 (catalog->db);
  catalog->db = NULL;
}

/* "file:" URI of @path with everything but unreserved characters and '/' escaped. */
static char *
file_uri (const char *path, const char *query)
{
  GString *uri = g_string_new ("file:");

  for (const guchar *p = (const guchar *) path; *p; p++)
    if (g_ascii_isalnum (*p) || strchr ("/-._~", *p))
      g_string_append_c (uri, (char) *p);
    else
      g_string_append_printf (uri, "%%%02X", *p);
  g_string_append_printf (uri, "?%s", query);
  return g_string_free (uri, FALSE);
}

static gboolean
connect_db (LkCatalog *catalog, const char *path, int flags, GError **error)
{
  int rc = sqlite3_open_v2 (path, &catalog->db, flags | SQLITE_OPEN_FULLMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      lk_catalog_db_error (catalog, rc, error, "opening the index");
      close_db (catalog);
      return FALSE;
    }
  sqlite3_extended_result_codes (catalog->db, 1);
  sqlite3_busy_timeout (catalog->db, 10000);
  return lk_catalog_exec (catalog, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", error);
}

/* A process killed while it made a catalog leaves its temporary file: those of @base older than
 * ten minutes (making one takes milliseconds) are removed. */
static void
remove_stale_temporaries (const char *dir, const char *base)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *prefix = g_strdup_printf (".%s.new-", base);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = NULL;
      GStatBuf st;
      if (!g_str_has_prefix (name, prefix))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) && now - st.st_mtime > 600)
        g_unlink (path);
    }
}

/* Makes a whole new catalog under a temporary name beside its path and renames it into place,
 * holding the writer's lock so that two processes never make it at once (the second finds the
 * file there once it has the lock). Until the rename, nobody sees the file; the rename is atomic. */
static gboolean
create_file (LkCatalog *catalog, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (catalog->path);
  g_autofree char *base = g_path_get_basename (catalog->path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.new-XXXXXX", dir, base);
  g_autoptr (LkCatalogLockGuard) guard = NULL;
  g_autoptr (GError) local = NULL;
  gboolean ok, exists;
  int fd, saved;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", catalog->name,
                   g_strerror (saved));
      return FALSE;
    }
  if (!lk_catalog_lock_writer (catalog, NULL, NULL, NULL, error))
    return FALSE;
  guard = catalog;
  if (!check_file (catalog, &exists, error))
    return FALSE;
  if (exists)
    return TRUE; /* made by the process that had the lock before us */

  remove_stale_temporaries (dir, base);
  if ((fd = g_mkstemp_full (tmp, O_RDWR, 0644)) < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", catalog->name,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd); /* before SQLite opens the file: closing it later would drop SQLite's locks */

  ok = connect_db (catalog, tmp, SQLITE_OPEN_READWRITE, &local) && create_schema (catalog, &local);
  close_db (catalog);
  if (ok && g_rename (tmp, catalog->path) != 0)
    {
      saved = errno;
      ok = FALSE;
      g_set_error (&local, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", catalog->name,
                   g_strerror (saved));
    }
  if (!ok)
    {
      g_autofree char *journal = g_strconcat (tmp, "-journal", NULL);
      g_unlink (journal);
      g_unlink (tmp);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

static gboolean migrate_from_v1 (LkCatalog *catalog, GError **error);

LkCatalog *
lk_catalog_open (const char *path, const char *root, GError **error)
{
  g_autoptr (LkCatalog) catalog = catalog_new (path);
  gboolean exists;

  if (root && !(catalog->root = canonical_root (root, error)))
    return NULL;
  if (!check_file (catalog, &exists, error))
    return NULL;
  if (!exists)
    {
      if (!root)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such catalog",
                       catalog->name);
          return NULL;
        }
      if (!create_file (catalog, error))
        return NULL;
    }

  if (!connect_db (catalog, path, SQLITE_OPEN_READWRITE, error) || !check_length (catalog, error))
    return NULL;
  if (sqlite3_db_readonly (catalog->db, "main") == 1)
    {
      const char *why = unwritable_reason (path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY, "%s: cannot be written (%s)",
                   catalog->name, why ? why : "read-only");
      return NULL;
    }
  if (!check_existing (catalog, catalog->root, error))
    return NULL;
  /* a new catalog, or one in another journal mode (copied, restored), comes to WAL */
  if (!lk_catalog_exec (catalog, "PRAGMA journal_mode = WAL", error))
    return NULL;
  if (catalog->schema == 1 && !migrate_from_v1 (catalog, error))
    return NULL;
  return g_steal_pointer (&catalog);
}

/* On read-only media, with changes still in the write-ahead log and no shared-memory file, SQLite
 * can read the file only as "immutable", which ignores the log: read a copy of both instead, made
 * in a private temporary folder (removed with the catalog). */
static gboolean
copy_with_log (LkCatalog *catalog, char **copy, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("lookalike-catalog-XXXXXX", error);
  static const char *const suffixes[] = { "", "-wal" };

  if (!dir)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (catalog->path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (dir, "/catalog.db", suffixes[i], NULL);
      g_autoptr (GFile) src = g_file_new_for_path (from);
      g_autoptr (GFile) dst = g_file_new_for_path (to);
      g_autoptr (GError) local = NULL;
      if (!g_file_copy (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, &local))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "%s: cannot be read where it is (read-only, with changes in its "
                       "log), and cannot be copied to read it (%s)",
                       catalog->name, local->message);
          g_autofree char *done = g_strconcat (dir, "/catalog.db", NULL);
          g_unlink (done);
          g_rmdir (dir);
          return FALSE;
        }
    }
  catalog->copy_dir = g_steal_pointer (&dir);
  *copy = g_build_filename (catalog->copy_dir, "catalog.db", NULL);
  return TRUE;
}

LkCatalog *
lk_catalog_open_read_only (const char *path, GError **error)
{
  g_autoptr (LkCatalog) catalog = catalog_new (path);
  g_autoptr (GError) local = NULL;
  g_autofree char *uri = NULL, *copy = NULL;
  gboolean exists;

  catalog->read_only = TRUE;
  if (!check_file (catalog, &exists, error))
    return NULL;
  if (!exists)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such catalog", catalog->name);
      return NULL;
    }

  uri = file_uri (path, "mode=ro");
  if (connect_db (catalog, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, &local)
      && check_length (catalog, &local) && check_existing (catalog, NULL, &local))
    return g_steal_pointer (&catalog);
  close_db (catalog);
  if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_READ_ONLY)
      && !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }

  /* On read-only media, or in a folder we may not write, SQLite cannot make the shared-memory
   * file that reading a WAL database takes: read the file as it stands, with no locks, when all
   * of it is in the file; a copy of it and its log when not. */
  g_clear_error (&local);
  g_free (uri);
  if (has_log (catalog))
    {
      if (!copy_with_log (catalog, &copy, error))
        return NULL;
      uri = file_uri (copy, "mode=ro");
    }
  else
    uri = file_uri (path, "immutable=1");
  if (!connect_db (catalog, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, error)
      || !check_length (catalog, error) || !check_existing (catalog, NULL, error))
    return NULL;
  return g_steal_pointer (&catalog);
}

gboolean
lk_catalog_is_read_only (LkCatalog *catalog)
{
  return catalog->read_only;
}

void
lk_catalog_close (LkCatalog *catalog)
{
  if (!catalog)
    return;
  close_db (catalog);
  lk_catalog_unlock_writer (catalog);
  if (catalog->copy_dir)
    {
      static const char *const files[] = { "catalog.db", "catalog.db-wal", "catalog.db-shm" };
      for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
        {
          g_autofree char *file = g_build_filename (catalog->copy_dir, files[i], NULL);
          g_unlink (file);
        }
      g_rmdir (catalog->copy_dir);
      g_free (catalog->copy_dir);
    }
  g_free (catalog->path);
  g_free (catalog->name);
  g_free (catalog->root);
  g_free (catalog);
}

const char *
lk_catalog_get_root (LkCatalog *catalog)
{
  return catalog->root;
}

const char *
lk_catalog_get_path (LkCatalog *catalog)
{
  return catalog->path;
}

const char *
lk_catalog_get_name (LkCatalog *catalog)
{
  return catalog->name;
}

/* ---------------------------------------------------------------------------------------------- */
/* The writer's lock                                                                               */
/* ---------------------------------------------------------------------------------------------- */

/* One process at a time brings a catalog up to date: a second one would embed the same images
 * again and race it commit by commit. The lock is an flock () on "<catalog>.lock", which the
 * kernel releases however the process ends (kill -9 included). The holder deletes the file when
 * it is done; since a waiter may then hold a lock on the deleted file, whoever gets the lock checks
 * that the path still names the file it locked, and tries again if not. */
gboolean
lk_catalog_lock_writer (LkCatalog *catalog, LkCatalogWaitFunc waiting, gpointer user_data,
                        GCancellable *cancellable, GError **error)
{
  g_autofree char *lock_path = g_strconcat (catalog->path, ".lock", NULL);
  gboolean told = FALSE;

  if (catalog->lock_fd >= 0)
    return TRUE;
  if (catalog->read_only)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                   "%s: cannot be written (opened for reading only)", catalog->name);
      return FALSE;
    }
  for (;;)
    {
      struct stat locked, named;
      int fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

      if (fd < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR,
                       saved == EROFS || saved == EACCES || saved == EPERM
                         ? G_IO_ERROR_READ_ONLY
                         : g_io_error_from_errno (saved),
                       "%s: cannot be written (%s)", catalog->name, g_strerror (saved));
          return FALSE;
        }
      while (flock (fd, LOCK_EX | LOCK_NB) != 0)
        {
          if (errno != EWOULDBLOCK && errno != EINTR)
            {
              int saved = errno;
              close (fd);
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                           "%s: cannot be locked (%s)", catalog->name, g_strerror (saved));
              return FALSE;
            }
          if (!told && waiting)
            waiting (user_data);
          told = TRUE;
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            {
              close (fd);
              return FALSE;
            }
          g_usleep (100 * G_TIME_SPAN_MILLISECOND);
        }
      if (fstat (fd, &locked) == 0 && stat (lock_path, &named) == 0 && locked.st_dev == named.st_dev
          && locked.st_ino == named.st_ino)
        {
          catalog->lock_fd = fd;
          catalog->lock_path = g_steal_pointer (&lock_path);
          return TRUE;
        }
      close (fd); /* the holder deleted it as we waited: lock the file there now */
    }
}

gboolean
lk_catalog_holds_writer_lock (LkCatalog *catalog)
{
  return catalog->lock_fd >= 0;
}

void
lk_catalog_unlock_writer (LkCatalog *catalog)
{
  if (catalog->lock_fd < 0)
    return;
  g_unlink (catalog->lock_path); /* while it is held: see lk_catalog_lock_writer */
  close (catalog->lock_fd);
  catalog->lock_fd = -1;
  g_clear_pointer (&catalog->lock_path, g_free);
}

/* ---------------------------------------------------------------------------------------------- */
/* Transactions                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

gboolean
lk_catalog_begin (LkCatalog *catalog, GError **error)
{
  return lk_catalog_exec (catalog, "BEGIN IMMEDIATE", error);
}

gboolean
lk_catalog_commit (LkCatalog *catalog, GError **error)
{
  if (lk_catalog_exec (catalog, "COMMIT", error))
    return TRUE;
  lk_catalog_rollback (catalog);
  return FALSE;
}

void
lk_catalog_rollback (LkCatalog *catalog)
{
  if (!sqlite3_get_autocommit (catalog->db))
    sqlite3_exec (catalog->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Identity                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

/* A schema 1 row: the identity's fields as columns. */
static LkModelIdentity *
identity_from_v1 (LkCatalog *catalog, sqlite3_stmt *stmt, LkBackend backend, GError **error)
{
  g_autoptr (LkModelIdentity) identity = g_new0 (LkModelIdentity, 1);
  g_autoptr (GError) local = NULL;
  g_autofree char *text = NULL;
  const char *preprocess = (const char *) sqlite3_column_text (stmt, 4);
  sqlite3_int64 input_size = sqlite3_column_int64 (stmt, 3), dim = sqlite3_column_int64 (stmt, 5);

  identity->backend = backend;
  identity->vector_type = LK_VECTOR_FLOAT32;
  identity->model = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  identity->weights_sha256 = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  identity->input_size = (int) CLAMP (input_size, G_MININT, G_MAXINT);
  identity->dim = (int) CLAMP (dim, G_MININT, G_MAXINT);
  if (!preprocess || !lk_preprocess_from_string (preprocess, &identity->preprocess))
    {
      lk_catalog_corrupt (catalog, error, "the %s backend's preprocessing is unknown",
                          lk_backend_to_string (backend));
      return NULL;
    }
  if (dim < 1 || dim > LK_MAX_DIM)
    {
      lk_catalog_corrupt (catalog, error,
                          "the %s backend's vectors have %" G_GINT64_FORMAT " components",
                          lk_backend_to_string (backend), (gint64) dim);
      return NULL;
    }
  /* the same checks as every identity: through its canonical text */
  text = lk_model_identity_to_canonical (identity);
  g_clear_pointer (&identity, lk_model_identity_free);
  if (!(identity = lk_model_identity_from_canonical (text, &local)))
    {
      lk_catalog_corrupt (catalog, error, "backend %s: %s", lk_backend_to_string (backend),
                          local->message);
      return NULL;
    }
  return g_steal_pointer (&identity);
}

/* A schema 2 row: the canonical text, checked against its digest and the columns beside it. */
static LkModelIdentity *
identity_from_v2 (LkCatalog *catalog, sqlite3_stmt *stmt, LkBackend backend, GError **error)
{
  const char *name = lk_backend_to_string (backend);
  const char *text = (const char *) sqlite3_column_text (stmt, 0);
  const char *digest = (const char *) sqlite3_column_text (stmt, 1);
  const char *vector_type = (const char *) sqlite3_column_text (stmt, 2);
  sqlite3_int64 dim = sqlite3_column_int64 (stmt, 3);
  g_autofree char *actual =
    text ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1) : NULL;
  g_autoptr (LkModelIdentity) identity = NULL;
  g_autoptr (GError) local = NULL;

  if (!text || g_strcmp0 (actual, digest) != 0)
    {
      lk_catalog_corrupt (catalog, error, "the %s backend's identity does not match its digest",
                          name);
      return NULL;
    }
  if (!(identity = lk_model_identity_from_canonical (text, &local)))
    {
      lk_catalog_corrupt (catalog, error, "backend %s: %s", name, local->message);
      return NULL;
    }
  if (identity->backend != backend || identity->dim != dim
      || g_strcmp0 (vector_type, lk_vector_type_to_string (identity->vector_type)) != 0)
    {
      lk_catalog_corrupt (catalog, error, "the %s backend's identity disagrees with its row", name);
      return NULL;
    }
  return g_steal_pointer (&identity);
}

LkModelIdentity *
lk_catalog_get_identity (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = lk_catalog_prepare (
    catalog,
    catalog->schema == 1
      ? "SELECT model, weights_sha256, NULL, input_size, preprocess, dim, weights_path "
        "FROM backends WHERE name = ?1"
      : "SELECT identity, identity_sha256, vector_type, dim, 0, 0, weights_path FROM backends "
        "WHERE name = ?1",
    error);
  LkModelIdentity *identity;
  const void *path;
  gsize path_len;
  int rc;

  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  identity = catalog->schema == 1 ? identity_from_v1 (catalog, stmt, backend, error)
                                  : identity_from_v2 (catalog, stmt, backend, error);
  if (!identity)
    return NULL;
  path = sqlite3_column_blob (stmt, 6);
  path_len = (gsize) sqlite3_column_bytes (stmt, 6);
  if (path && path_len > 0 && !memchr (path, '\0', path_len))
    identity->weights_path = g_strndup (path, path_len);
  /* an upstream's weights are where that backend's row says, when it is the same */
  if (identity->upstream && !identity->upstream->weights_path
      && identity->upstream->backend != backend)
    {
      g_autoptr (LkModelIdentity) up =
        lk_catalog_get_identity (catalog, identity->upstream->backend, NULL);
      if (up && lk_model_identity_equal (up, identity->upstream))
        identity->upstream->weights_path = g_strdup (up->weights_path);
    }
  return identity;
}

/* Writes @identity as @backend's row (schema 2), in the caller's transaction. */
static gboolean
put_identity (LkCatalog *catalog, LkBackend backend, const LkModelIdentity *identity,
              gboolean keep_calibration, GError **error)
{
  g_autofree char *text = lk_model_identity_to_canonical (identity);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  g_autoptr (sqlite3_stmt) put = lk_catalog_prepare (
    catalog,
    keep_calibration
      ? "INSERT INTO backends VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL) ON CONFLICT (name) DO UPDATE "
        "SET identity = ?2, identity_sha256 = ?3, vector_type = ?4, dim = ?5, weights_path = ?6"
      : "INSERT INTO backends VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL) ON CONFLICT (name) DO UPDATE "
        "SET identity = ?2, identity_sha256 = ?3, vector_type = ?4, dim = ?5, weights_path = ?6, "
        "calibration = NULL",
    error);
  int rc;

  if (!put)
    return FALSE;
  sqlite3_bind_text (put, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  sqlite3_bind_text (put, 2, text, -1, SQLITE_STATIC);
  sqlite3_bind_text (put, 3, digest, -1, SQLITE_STATIC);
  sqlite3_bind_text (put, 4, lk_vector_type_to_string (identity->vector_type), -1, SQLITE_STATIC);
  sqlite3_bind_int (put, 5, identity->dim);
  if (identity->weights_path)
    sqlite3_bind_blob (put, 6, identity->weights_path, (int) strlen (identity->weights_path),
                       SQLITE_STATIC);
  if ((rc = sqlite3_step (put)) != SQLITE_DONE)
    return lk_catalog_db_error (catalog, rc, error, "storing the model identity");
  return TRUE;
}

/* Schema 1 to 2, in place and in one transaction: the backends' rows rewritten with their
 * canonical identities, every item and vector kept as it is. Foreign keys are off meanwhile
 * (the table is replaced, which would otherwise delete the vectors that refer to it). */
static gboolean
migrate_from_v1 (LkCatalog *catalog, GError **error)
{
  g_autoptr (GPtrArray) identities =
    g_ptr_array_new_with_free_func ((GDestroyNotify) lk_model_identity_free);
  g_autoptr (GArray) which = g_array_new (FALSE, FALSE, sizeof (LkBackend));
  gboolean ok = FALSE;
  int rc;

  if (!lk_catalog_exec (catalog, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  if (!lk_catalog_begin (catalog, error))
    goto out;
  {
    /* another process may have migrated it since it was opened */
    g_autofree char *version = read_meta (catalog, "schema_version", &rc);
    if (version && g_str_equal (version, G_STRINGIFY (SCHEMA_VERSION)))
      {
        catalog->schema = SCHEMA_VERSION;
        ok = lk_catalog_commit (catalog, error);
        goto out;
      }
  }
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_autoptr (GError) local = NULL;
      LkModelIdentity *identity = lk_catalog_get_identity (catalog, (LkBackend) b, &local);
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          goto fail;
        }
      if (identity)
        {
          LkBackend backend = (LkBackend) b;
          g_ptr_array_add (identities, identity);
          g_array_append_val (which, backend);
        }
    }
  catalog->schema = SCHEMA_VERSION;
  if (!lk_catalog_exec (catalog, BACKENDS_TABLE ("backends_v2"), error))
    goto fail;
  {
    /* the rows go into the new table under the name the queries use */
    g_autoptr (sqlite3_stmt) rows = NULL;
    if (!lk_catalog_exec (catalog,
                          "DROP TABLE backends; ALTER TABLE backends_v2 RENAME TO backends", error))
      goto fail;
    for (guint i = 0; i < identities->len; i++)
      if (!put_identity (catalog, g_array_index (which, LkBackend, i), identities->pdata[i], FALSE,
                         error))
        goto fail;
    if (!(rows = lk_catalog_prepare (catalog, "PRAGMA foreign_key_check", error)))
      goto fail;
    if ((rc = sqlite3_step (rows)) != SQLITE_DONE)
      {
        if (rc == SQLITE_ROW)
          lk_catalog_corrupt (catalog, error, "vectors of a backend it does not have");
        else
          lk_catalog_db_error (catalog, rc, error, "upgrading the index");
        goto fail;
      }
  }
  if (!put_meta (catalog, "schema_version", G_STRINGIFY (SCHEMA_VERSION), error))
    goto fail;
  ok = lk_catalog_commit (catalog, error);
  goto out;

fail:
  lk_catalog_rollback (catalog);
  catalog->schema = 1;
out:
  {
    g_autoptr (GError) ignored = NULL;
    lk_catalog_exec (catalog, "PRAGMA foreign_keys = ON", ok ? error : &ignored);
  }
  return ok;
}

gboolean
lk_catalog_set_identity (LkCatalog *catalog, LkBackend backend, const LkModelIdentity *identity,
                         gboolean *replaced, GError **error)
{
  g_autoptr (LkModelIdentity) stored = NULL;
  g_autoptr (GError) local = NULL;
  const char *name = lk_backend_to_string (backend);
  gboolean same;

  *replaced = FALSE;
  stored = lk_catalog_get_identity (catalog, backend, &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  same = stored && lk_model_identity_equal (stored, identity);
  if (same && g_strcmp0 (stored->weights_path, identity->weights_path) == 0)
    return TRUE;

  if (!lk_catalog_begin (catalog, error))
    return FALSE;
  if (stored && !same)
    {
      g_autoptr (sqlite3_stmt) del =
        lk_catalog_prepare (catalog, "DELETE FROM embeddings WHERE backend = ?1", error);
      int rc;
      if (!del)
        goto fail;
      sqlite3_bind_text (del, 1, name, -1, SQLITE_STATIC);
      if ((rc = sqlite3_step (del)) != SQLITE_DONE)
        {
          lk_catalog_db_error (catalog, rc, error, "replacing the backend's vectors");
          goto fail;
        }
      *replaced = TRUE;
    }
  /* a calibration belongs to the vectors it was made from */
  if (!put_identity (catalog, backend, identity, same, error))
    goto fail;
  /* vectors made of this backend's (compressed ones of CNN features) go with the vectors they
   * were made of: the backend is forgotten, to be trained again */
  if (!same)
    for (int b = 0; b < LK_N_BACKENDS; b++)
      {
        g_autoptr (LkModelIdentity) other = NULL;
        g_autoptr (sqlite3_stmt) del = NULL;
        int rc;
        if ((LkBackend) b == backend
            || !(other = lk_catalog_get_identity (catalog, (LkBackend) b, NULL)) || !other->upstream
            || other->upstream->backend != backend
            || lk_model_identity_equal (other->upstream, identity))
          continue;
        if (!(del = lk_catalog_prepare (catalog, "DELETE FROM backends WHERE name = ?1", error)))
          goto fail;
        sqlite3_bind_text (del, 1, lk_backend_to_string ((LkBackend) b), -1, SQLITE_STATIC);
        if ((rc = sqlite3_step (del)) != SQLITE_DONE)
          {
            lk_catalog_db_error (catalog, rc, error, "forgetting the vectors made of the old ones");
            goto fail;
          }
      }
  return lk_catalog_commit (catalog, error);

fail:
  lk_catalog_rollback (catalog);
  return FALSE;
}
