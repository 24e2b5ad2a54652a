/* lk-catalog.c: the catalog file (SQLite).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Schema, version 1:
 *
 *   meta (key, value)            application = "lookalike-catalog", schema_version, root
 *   items (id, path UNIQUE, size, mtime_ns, sha256, width, height, error)
 *        path is relative to the root, as raw file-system bytes (a BLOB: names need not be UTF-8);
 *        error is NULL for an image that reads, else why it does not
 *   backends (name, model, weights_sha256, weights_path, input_size, preprocess, dim)
 *        the identity of each backend's vectors
 *   embeddings (backend, item_id, vector)
 *        one float32 vector (little-endian BLOB) per item and backend
 *
 * WAL journal with synchronous = NORMAL: every transaction is atomic, so a process killed at any
 * point leaves the last committed state and nothing half-written. Pages are 16 KiB so that a
 * ResNet-50 vector (8 KiB) stays on its row's page.
 */
#define G_LOG_DOMAIN "lk-catalog"

#include "lk-catalog-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define APPLICATION    "lookalike-catalog"
#define SCHEMA_VERSION 1

struct _LkCatalog
{
  sqlite3 *db;
  char *path; /* the catalog file */
  char *name; /* its base name, for messages */
  char *root; /* the folder it indexes, absolute */
};

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
  "CREATE INDEX items_sha256 ON items (sha256);"
  "CREATE TABLE backends ("
  "  name TEXT PRIMARY KEY,"
  "  model TEXT NOT NULL,"
  "  weights_sha256 TEXT NOT NULL,"
  "  weights_path BLOB,"
  "  input_size INTEGER NOT NULL,"
  "  preprocess TEXT NOT NULL,"
  "  dim INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE embeddings ("
  "  backend TEXT NOT NULL REFERENCES backends (name) ON DELETE CASCADE,"
  "  item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
  "  vector BLOB NOT NULL,"
  "  PRIMARY KEY (backend, item_id));"
  "CREATE INDEX embeddings_item ON embeddings (item_id);";

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Turns the connection's last error into a GError that names the catalog file. */
static gboolean
db_error (LkCatalog *catalog, int rc, GError **error, const char *doing)
{
  const char *message = catalog->db ? sqlite3_errmsg (catalog->db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: not a Lookalike index",
                   catalog->name);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: damaged index (%s)", catalog->name,
                   message);
      break;
    case SQLITE_FULL:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s: disk full while %s", catalog->name,
                   doing);
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
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s: cannot write (%s)",
                   catalog->name, message);
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s while %s", catalog->name, message,
                   doing);
    }
  return FALSE;
}

static gboolean
exec (LkCatalog *catalog, const char *sql, GError **error)
{
  int rc = sqlite3_exec (catalog->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK || db_error (catalog, rc, error, "updating the index");
}

static sqlite3_stmt *
prepare (LkCatalog *catalog, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (catalog->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

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

/* A truncated file is the one kind of damage SQLite may not notice until it reads the missing
 * pages: compare the page count in the header with the file's length. */
static gboolean
check_length (LkCatalog *catalog, GError **error)
{
  guint8 header[100];
  GStatBuf st;
  FILE *f = fopen (catalog->path, "rb");
  gsize got = f ? fread (header, 1, sizeof header, f) : 0;

  if (f)
    fclose (f);
  if (got < sizeof header || g_stat (catalog->path, &st) != 0)
    return TRUE; /* an empty or unreadable file: SQLite's own checks follow */
  guint page_size = (guint) header[16] << 8 | header[17];
  guint32 pages = (guint32) header[28] << 24 | (guint32) header[29] << 16
                  | (guint32) header[30] << 8 | header[31];
  if (page_size == 1)
    page_size = 65536;
  if (memcmp (header, "SQLite format 3", 16) == 0 && pages > 0
      && (guint64) st.st_size < (guint64) pages * page_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: damaged index (truncated: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                   " bytes)",
                   catalog->name, (guint64) st.st_size, (guint64) pages * page_size);
      return FALSE;
    }
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
          value = g_strndup (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
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
    prepare (catalog, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 2, value, (int) strlen (value), SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "creating the index");
}

static gboolean
create_schema (LkCatalog *catalog, GError **error)
{
  g_autofree char *version = g_strdup_printf ("%d", SCHEMA_VERSION);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *created = g_date_time_format_iso8601 (now);

  if (!exec (catalog, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; BEGIN", error))
    return FALSE;
  if (!exec (catalog, schema, error) || !put_meta (catalog, "application", APPLICATION, error)
      || !put_meta (catalog, "schema_version", version, error)
      || !put_meta (catalog, "root", catalog->root, error)
      || !put_meta (catalog, "created", created, error))
    {
      lk_catalog_rollback (catalog);
      return FALSE;
    }
  return lk_catalog_commit (catalog, error);
}

static gboolean
check_existing (LkCatalog *catalog, const char *root, GError **error)
{
  int rc;
  g_autofree char *application = read_meta (catalog, "application", &rc);
  g_autofree char *version = NULL;
  g_autofree char *stored_root = NULL;

  if ((rc & 0xff) == SQLITE_CORRUPT)
    return db_error (catalog, rc, error, "opening the index");
  if (rc != SQLITE_OK || g_strcmp0 (application, APPLICATION) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: not a Lookalike index",
                   catalog->name);
      return FALSE;
    }
  version = read_meta (catalog, "schema_version", &rc);
  if (!version || g_ascii_strtoll (version, NULL, 10) != SCHEMA_VERSION)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                   "%s: index format %s, this version of Lookalike reads format %d", catalog->name,
                   version ? version : "unknown", SCHEMA_VERSION);
      return FALSE;
    }
  stored_root = read_meta (catalog, "root", &rc);
  if (!stored_root)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: damaged index (no folder)",
                   catalog->name);
      return FALSE;
    }
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
  char *real = realpath (absolute, NULL);

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
      free (real);
      return NULL;
    }
  absolute = g_strdup (real);
  free (real);
  return g_steal_pointer (&absolute);
}

LkCatalog *
lk_catalog_open (const char *path, const char *root, GError **error)
{
  g_autoptr (LkCatalog) catalog = g_new0 (LkCatalog, 1);
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);
  int rc;

  catalog->path = g_strdup (path);
  catalog->name = g_filename_display_basename (path);
  if (root && !(catalog->root = canonical_root (root, error)))
    return NULL;
  if (!exists && !root)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such catalog", catalog->name);
      return NULL;
    }
  if (exists && g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   "%s: is a folder, not a catalog file", catalog->name);
      return NULL;
    }
  if (exists && !check_length (catalog, error))
    return NULL;
  if (!exists)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", catalog->name,
                       g_strerror (saved));
          return NULL;
        }
    }

  rc = sqlite3_open_v2 (
    path, &catalog->db,
    SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      db_error (catalog, rc, error, "opening the index");
      return NULL;
    }
  sqlite3_extended_result_codes (catalog->db, 1);
  sqlite3_busy_timeout (catalog->db, 10000);
  if (!exec (catalog, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", error))
    return NULL;

  if (exists ? !check_existing (catalog, catalog->root, error) : !create_schema (catalog, error))
    {
      if (!exists)
        {
          sqlite3_close (catalog->db);
          catalog->db = NULL;
          g_unlink (path); /* no half-made catalog left behind */
        }
      return NULL;
    }
  /* an existing catalog in another journal mode (copied, restored) comes back to WAL */
  if (!exec (catalog, "PRAGMA journal_mode = WAL", error))
    return NULL;
  return g_steal_pointer (&catalog);
}

void
lk_catalog_close (LkCatalog *catalog)
{
  if (!catalog)
    return;
  if (catalog->db)
    sqlite3_close_v2 (catalog->db);
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

/* ---------------------------------------------------------------------------------------------- */
/* Identity                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

LkModelIdentity *
lk_catalog_get_identity (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (
    catalog,
    "SELECT model, weights_sha256, weights_path, input_size, preprocess, dim FROM backends "
    "WHERE name = ?1",
    error);
  LkModelIdentity *identity;
  int rc;

  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    {
      db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  identity = g_new0 (LkModelIdentity, 1);
  identity->model = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  identity->weights_sha256 = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
    identity->weights_path =
      g_strndup (sqlite3_column_blob (stmt, 2), (gsize) sqlite3_column_bytes (stmt, 2));
  identity->input_size = sqlite3_column_int (stmt, 3);
  if (!lk_preprocess_from_string ((const char *) sqlite3_column_text (stmt, 4),
                                  &identity->preprocess))
    identity->preprocess = LK_PREPROCESS_DEFAULT;
  identity->dim = sqlite3_column_int (stmt, 5);
  if (!identity->model || !identity->weights_sha256 || identity->dim <= 0)
    {
      lk_model_identity_free (identity);
      g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: damaged index (backend %s)",
                   catalog->name, lk_backend_to_string (backend));
      return NULL;
    }
  return identity;
}

gboolean
lk_catalog_set_identity (LkCatalog *catalog, LkBackend backend, const LkModelIdentity *identity,
                         gboolean *replaced, GError **error)
{
  g_autoptr (LkModelIdentity) stored = NULL;
  g_autoptr (GError) local = NULL;
  const char *name = lk_backend_to_string (backend);

  *replaced = FALSE;
  stored = lk_catalog_get_identity (catalog, backend, &local);
  if (local)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (stored && lk_model_identity_equal (stored, identity)
      && g_strcmp0 (stored->weights_path, identity->weights_path) == 0)
    return TRUE;

  if (!lk_catalog_begin (catalog, error))
    return FALSE;
  if (stored && !lk_model_identity_equal (stored, identity))
    {
      g_autoptr (sqlite3_stmt) del =
        prepare (catalog, "DELETE FROM embeddings WHERE backend = ?1", error);
      int rc;
      if (!del)
        goto fail;
      sqlite3_bind_text (del, 1, name, -1, SQLITE_STATIC);
      if ((rc = sqlite3_step (del)) != SQLITE_DONE)
        {
          db_error (catalog, rc, error, "replacing the backend's vectors");
          goto fail;
        }
      *replaced = TRUE;
    }

  {
    g_autoptr (sqlite3_stmt) put = prepare (
      catalog,
      "INSERT INTO backends VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO UPDATE SET "
      "model = ?2, weights_sha256 = ?3, weights_path = ?4, input_size = ?5, preprocess = ?6, "
      "dim = ?7",
      error);
    int rc;
    if (!put)
      goto fail;
    sqlite3_bind_text (put, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (put, 2, identity->model, -1, SQLITE_STATIC);
    sqlite3_bind_text (put, 3, identity->weights_sha256, -1, SQLITE_STATIC);
    if (identity->weights_path)
      sqlite3_bind_blob (put, 4, identity->weights_path, (int) strlen (identity->weights_path),
                         SQLITE_STATIC);
    sqlite3_bind_int (put, 5, identity->input_size);
    sqlite3_bind_text (put, 6, lk_preprocess_to_string (identity->preprocess), -1, SQLITE_STATIC);
    sqlite3_bind_int (put, 7, identity->dim);
    if ((rc = sqlite3_step (put)) != SQLITE_DONE)
      {
        db_error (catalog, rc, error, "storing the model identity");
        goto fail;
      }
  }
  return lk_catalog_commit (catalog, error);

fail:
  lk_catalog_rollback (catalog);
  return FALSE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Items                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

void
lk_catalog_item_free (LkCatalogItem *item)
{
  if (!item)
    return;
  g_free (item->path);
  g_free (item->error);
  g_free (item);
}

GHashTable *
lk_catalog_load_items (LkCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (
    catalog, "SELECT id, path, size, mtime_ns, sha256, width, height, error FROM items", error);
  g_autoptr (GHashTable) items =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) lk_catalog_item_free);
  int rc;

  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LkCatalogItem *item = g_new0 (LkCatalogItem, 1);
      item->id = sqlite3_column_int64 (stmt, 0);
      item->path =
        g_strndup (sqlite3_column_blob (stmt, 1), (gsize) sqlite3_column_bytes (stmt, 1));
      item->size = sqlite3_column_int64 (stmt, 2);
      item->mtime_ns = sqlite3_column_int64 (stmt, 3);
      if (sqlite3_column_bytes (stmt, 4) == 32)
        {
          memcpy (item->sha256, sqlite3_column_blob (stmt, 4), 32);
          item->has_sha256 = TRUE;
        }
      item->width = sqlite3_column_int (stmt, 5);
      item->height = sqlite3_column_int (stmt, 6);
      if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
        item->error = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
      g_hash_table_replace (items, item->path, item);
    }
  if (rc != SQLITE_DONE)
    {
      db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return g_steal_pointer (&items);
}

GHashTable *
lk_catalog_load_embedded (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    prepare (catalog, "SELECT item_id FROM embeddings WHERE backend = ?1", error);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  int rc;

  if (!stmt)
    return NULL;
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 *id = g_new (gint64, 1);
      *id = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gboolean
lk_catalog_begin (LkCatalog *catalog, GError **error)
{
  return exec (catalog, "BEGIN IMMEDIATE", error);
}

gboolean
lk_catalog_commit (LkCatalog *catalog, GError **error)
{
  if (exec (catalog, "COMMIT", error))
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

gboolean
lk_catalog_put_item (LkCatalog *catalog, LkCatalogItem *item, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    prepare (catalog,
             "INSERT INTO items (path, size, mtime_ns, sha256, width, height, error) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (path) DO UPDATE SET size = ?2, "
             "mtime_ns = ?3, sha256 = ?4, width = ?5, height = ?6, error = ?7 RETURNING id",
             error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, item->path, (int) strlen (item->path), SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, item->size);
  sqlite3_bind_int64 (stmt, 3, item->mtime_ns);
  if (item->has_sha256)
    sqlite3_bind_blob (stmt, 4, item->sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 5, item->width);
  sqlite3_bind_int (stmt, 6, item->height);
  if (item->error)
    sqlite3_bind_text (stmt, 7, item->error, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return db_error (catalog, rc, error, "storing an image");
  item->id = sqlite3_column_int64 (stmt, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "storing an image");
}

gboolean
lk_catalog_put_vector (LkCatalog *catalog, LkBackend backend, gint64 item_id, const float *vector,
                       int dim, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (!vector)
    {
      stmt = prepare (catalog, "DELETE FROM embeddings WHERE backend = ?1 AND item_id = ?2", error);
      if (!stmt)
        return FALSE;
    }
  else
    {
      stmt = prepare (catalog, "INSERT OR REPLACE INTO embeddings VALUES (?1, ?2, ?3)", error);
      if (!stmt)
        return FALSE;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      sqlite3_bind_blob (stmt, 3, vector, dim * (int) sizeof (float), SQLITE_STATIC);
#else
      g_autofree guint32 *le = g_new (guint32, dim);
      memcpy (le, vector, sizeof (float) * dim);
      for (int i = 0; i < dim; i++)
        le[i] = GUINT32_TO_LE (le[i]);
      sqlite3_bind_blob (stmt, 3, le, dim * (int) sizeof (float), SQLITE_TRANSIENT);
#endif
    }
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, item_id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "storing a vector");
}

gboolean
lk_catalog_clear_vectors (LkCatalog *catalog, gint64 item_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    prepare (catalog, "DELETE FROM embeddings WHERE item_id = ?1", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, item_id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "replacing a vector");
}

gboolean
lk_catalog_move_item (LkCatalog *catalog, gint64 id, const char *path, gint64 size, gint64 mtime_ns,
                      GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    prepare (catalog, "UPDATE items SET path = ?1, size = ?2, mtime_ns = ?3 WHERE id = ?4", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, path, (int) strlen (path), SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_int64 (stmt, 3, mtime_ns);
  sqlite3_bind_int64 (stmt, 4, id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "moving an image");
}

gboolean
lk_catalog_delete_item (LkCatalog *catalog, gint64 id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (catalog, "DELETE FROM items WHERE id = ?1", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || db_error (catalog, rc, error, "removing an image");
}

/* ---------------------------------------------------------------------------------------------- */
/* Vectors                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

void
lk_catalog_vectors_free (LkCatalogVectors *vectors)
{
  if (!vectors)
    return;
  g_free (vectors->vectors);
  g_strfreev (vectors->paths);
  g_free (vectors->sizes);
  g_free (vectors->mtimes_ns);
  g_free (vectors);
}

/* Two passes: the items in path order (the UNIQUE index on path gives that order without a sort),
 * remembering each one's row; then the vectors in storage order, each copied straight to its row.
 * Joining in SQL would sort the vectors themselves. */
LkCatalogVectors *
lk_catalog_load_vectors (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (LkModelIdentity) identity = lk_catalog_get_identity (catalog, backend, error);
  g_autoptr (sqlite3_stmt) items = NULL;
  g_autoptr (sqlite3_stmt) vecs = NULL;
  g_autoptr (GHashTable) rows = NULL;
  g_autoptr (LkCatalogVectors) out = NULL;
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GArray) sizes = NULL, mtimes = NULL;
  g_autofree guint8 *filled = NULL;
  int rc;

  if (!identity)
    {
      if (error && !*error)
        g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                     "%s: no images indexed with the %s backend yet", catalog->name,
                     lk_backend_to_string (backend));
      return NULL;
    }

  items = prepare (catalog,
                   "SELECT i.id, i.path, i.size, i.mtime_ns FROM items AS i "
                   "WHERE i.error IS NULL AND EXISTS (SELECT 1 FROM "
                   "embeddings AS e WHERE e.backend = ?1 AND e.item_id = i.id) ORDER BY i.path",
                   error);
  if (!items)
    return NULL;
  sqlite3_bind_text (items, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  paths = g_ptr_array_new ();
  sizes = g_array_new (FALSE, FALSE, sizeof (gint64));
  mtimes = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((rc = sqlite3_step (items)) == SQLITE_ROW)
    {
      gint64 *id = g_new (gint64, 1), size = sqlite3_column_int64 (items, 2),
             mtime = sqlite3_column_int64 (items, 3);
      *id = sqlite3_column_int64 (items, 0);
      g_hash_table_insert (rows, id, GUINT_TO_POINTER (paths->len));
      g_ptr_array_add (
        paths, g_strndup (sqlite3_column_blob (items, 1), (gsize) sqlite3_column_bytes (items, 1)));
      g_array_append_val (sizes, size);
      g_array_append_val (mtimes, mtime);
    }
  if (rc != SQLITE_DONE)
    {
      g_ptr_array_set_free_func (paths, g_free);
      db_error (catalog, rc, error, "loading the vectors");
      return NULL;
    }

  out = g_new0 (LkCatalogVectors, 1);
  out->n = paths->len;
  out->dim = identity->dim;
  g_ptr_array_add (paths, NULL);
  out->paths = (char **) g_ptr_array_steal (paths, NULL);
  out->sizes = (gint64 *) g_array_free (g_steal_pointer (&sizes), FALSE);
  out->mtimes_ns = (gint64 *) g_array_free (g_steal_pointer (&mtimes), FALSE);
  out->vectors = g_try_malloc ((out->n ? out->n : 1) * (gsize) out->dim * sizeof (float));
  filled = g_new0 (guint8, out->n + 1);
  if (!out->vectors)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "%s: not enough memory for %zu vectors",
                   catalog->name, out->n);
      return NULL;
    }

  vecs = prepare (catalog, "SELECT item_id, vector FROM embeddings WHERE backend = ?1", error);
  if (!vecs)
    return NULL;
  sqlite3_bind_text (vecs, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (vecs)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (vecs, 0);
      gpointer row;
      if (!g_hash_table_lookup_extended (rows, &id, NULL, &row))
        continue; /* an item that failed since: not searchable */
      if (sqlite3_column_bytes (vecs, 1) != out->dim * (int) sizeof (float))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX,
                       "%s: damaged index (a %s vector of %d bytes, expected %d)", catalog->name,
                       lk_backend_to_string (backend), sqlite3_column_bytes (vecs, 1),
                       out->dim * (int) sizeof (float));
          return NULL;
        }
      float *dst = out->vectors + GPOINTER_TO_SIZE (row) * out->dim;
      memcpy (dst, sqlite3_column_blob (vecs, 1), sizeof (float) * out->dim);
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
      for (int i = 0; i < out->dim; i++)
        ((guint32 *) dst)[i] = GUINT32_FROM_LE (((guint32 *) dst)[i]);
#endif
      filled[GPOINTER_TO_SIZE (row)] = 1;
    }
  if (rc != SQLITE_DONE)
    {
      db_error (catalog, rc, error, "loading the vectors");
      return NULL;
    }
  for (gsize i = 0; i < out->n; i++)
    if (!filled[i])
      {
        g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s: damaged index (missing vector)",
                     catalog->name);
        return NULL;
      }
  return g_steal_pointer (&out);
}
