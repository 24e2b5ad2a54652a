/* lk-catalog-rows.c: a catalog's images and vectors (see lk-catalog.c for the schema).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What is read back is checked before it is used, as for any untrusted file: every path must lead
 * to a file inside the catalog's folder, every vector must have the length its backend says.
 */
#define G_LOG_DOMAIN "lk-catalog"

#include "lk-catalog-db.h"

#include <math.h>
#include <string.h>

/* A path as the scanner stores it: relative, no empty, "." or ".." component, no NUL. Anything
 * else would lead a search result (or a deletion) out of the folder. */
static gboolean
is_item_path (const void *blob, gsize len)
{
  const char *p = blob;

  if (!blob || len == 0 || len > 65536 || memchr (p, '\0', len) || p[0] == '/')
    return FALSE;
  for (gsize start = 0; start <= len;)
    {
      const char *slash = memchr (p + start, '/', len - start);
      gsize end = slash ? (gsize) (slash - p) : len;
      gsize n = end - start;
      if (n == 0 || (n == 1 && p[start] == '.')
          || (n == 2 && p[start] == '.' && p[start + 1] == '.'))
        return FALSE;
      start = end + 1;
    }
  return TRUE;
}

static gboolean
bad_path (LkCatalog *catalog, int type, const void *blob, gsize len, GError **error)
{
  if (type != SQLITE_BLOB)
    return lk_catalog_corrupt (catalog, error, "an image path that is not raw bytes");
  {
    g_autofree char *raw = g_strndup (blob ? blob : "", MIN (len, 200));
    g_autofree char *shown = lk_path_display_line (raw);
    return lk_catalog_corrupt (catalog, error, "an image path %s%s%s leads out of its folder",
                               shown[0] == '"' ? "" : "“", shown, shown[0] == '"' ? "" : "”");
  }
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
  g_autoptr (sqlite3_stmt) stmt = lk_catalog_prepare (
    catalog, "SELECT id, path, size, mtime_ns, sha256, width, height, error FROM items", error);
  g_autoptr (GHashTable) items =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) lk_catalog_item_free);
  int rc;

  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int path_type = sqlite3_column_type (stmt, 1); /* before reading it, which may convert */
      const void *path = sqlite3_column_blob (stmt, 1);
      gsize path_len = (gsize) sqlite3_column_bytes (stmt, 1);
      /* a BLOB, as stored: the same name as text would be a second row for one file */
      if (path_type != SQLITE_BLOB || !is_item_path (path, path_len))
        {
          bad_path (catalog, path_type, path, path_len, error);
          return NULL;
        }
      LkCatalogItem *item = g_new0 (LkCatalogItem, 1);
      item->id = sqlite3_column_int64 (stmt, 0);
      item->path = g_strndup (path, path_len);
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
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return g_steal_pointer (&items);
}

GHashTable *
lk_catalog_load_embedded (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "SELECT item_id FROM embeddings WHERE backend = ?1", error);
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
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gint64
lk_catalog_count_vectors (LkCatalog *catalog, LkBackend backend, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "SELECT count(*) FROM embeddings WHERE backend = ?1", error);
  int rc;

  if (!stmt)
    return -1;
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gint64
lk_catalog_count_items (LkCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "SELECT count(*) FROM items WHERE error IS NULL", error);
  int rc;

  if (!stmt)
    return -1;
  if ((rc = sqlite3_step (stmt)) != SQLITE_ROW)
    {
      lk_catalog_db_error (catalog, rc, error, "reading the index");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
lk_catalog_put_item (LkCatalog *catalog, LkCatalogItem *item, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = lk_catalog_prepare (
    catalog,
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
    return lk_catalog_db_error (catalog, rc, error, "storing an image");
  item->id = sqlite3_column_int64 (stmt, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "storing an image");
}

gboolean
lk_catalog_put_vector (LkCatalog *catalog, LkBackend backend, gint64 item_id, const float *vector,
                       int dim, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (!vector)
    {
      stmt = lk_catalog_prepare (
        catalog, "DELETE FROM embeddings WHERE backend = ?1 AND item_id = ?2", error);
      if (!stmt)
        return FALSE;
    }
  else
    {
      stmt = lk_catalog_prepare (catalog, "INSERT OR REPLACE INTO embeddings VALUES (?1, ?2, ?3)",
                                 error);
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
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "storing a vector");
}

gboolean
lk_catalog_put_code (LkCatalog *catalog, LkBackend backend, gint64 item_id, const guint8 *code,
                     int dim, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "INSERT OR REPLACE INTO embeddings VALUES (?1, ?2, ?3)", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_blob (stmt, 3, code, dim, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, item_id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "storing a code");
}

gboolean
lk_catalog_clear_vectors (LkCatalog *catalog, gint64 item_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "DELETE FROM embeddings WHERE item_id = ?1", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, item_id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "replacing a vector");
}

gboolean
lk_catalog_move_item (LkCatalog *catalog, gint64 id, const char *path, gint64 size, gint64 mtime_ns,
                      GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = lk_catalog_prepare (
    catalog, "UPDATE items SET path = ?1, size = ?2, mtime_ns = ?3 WHERE id = ?4", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, path, (int) strlen (path), SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_int64 (stmt, 3, mtime_ns);
  sqlite3_bind_int64 (stmt, 4, id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "moving an image");
}

gboolean
lk_catalog_delete_item (LkCatalog *catalog, gint64 id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "DELETE FROM items WHERE id = ?1", error);
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "removing an image");
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
  g_free (vectors->codes);
  g_free (vectors);
}

/* a stored vector, little-endian float32 at any alignment */
static gboolean
vector_is_finite (const guint8 *bytes, int dim)
{
  for (int i = 0; i < dim; i++)
    {
      guint32 bits;
      memcpy (&bits, bytes + 4 * (gsize) i, 4);
      bits = GUINT32_FROM_LE (bits);
      if ((bits & 0x7f800000u) == 0x7f800000u) /* all exponent bits: an infinity or a NaN */
        return FALSE;
    }
  return TRUE;
}

static gboolean
not_finite (LkCatalog *catalog, LkBackend backend, GError **error)
{
  return lk_catalog_corrupt (catalog, error, "a %s vector holds NaN or an infinite value",
                             lk_backend_to_string (backend));
}

/* bytes per stored component */
static gsize
value_bytes (LkVectorType type)
{
  return type == LK_VECTOR_UINT8 ? 1 : sizeof (float);
}

static gboolean
wrong_length (LkCatalog *catalog, LkBackend backend, gsize bytes, gsize expected, GError **error)
{
  return lk_catalog_corrupt (catalog, error, "a %s vector of %zu bytes, expected %zu",
                             lk_backend_to_string (backend), bytes, expected);
}

gboolean
lk_catalog_check_vectors (LkCatalog *catalog, LkBackend backend, int dim, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    lk_catalog_prepare (catalog, "SELECT vector FROM embeddings WHERE backend = ?1", error);
  g_autoptr (LkModelIdentity) identity = lk_catalog_get_identity (catalog, backend, NULL);
  LkVectorType type = identity ? identity->vector_type : LK_VECTOR_FLOAT32;
  int rc;

  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      /* the bytes themselves, so that every page they are on is read */
      const void *blob = sqlite3_column_blob (stmt, 0);
      gsize bytes = (gsize) sqlite3_column_bytes (stmt, 0);
      if (!blob || bytes != (gsize) dim * value_bytes (type))
        return wrong_length (catalog, backend, bytes, (gsize) dim * value_bytes (type), error);
      if (type == LK_VECTOR_FLOAT32 && !vector_is_finite (blob, dim))
        return not_finite (catalog, backend, error);
    }
  return rc == SQLITE_DONE || lk_catalog_db_error (catalog, rc, error, "reading the vectors");
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

  items = lk_catalog_prepare (
    catalog,
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
      int path_type = sqlite3_column_type (items, 1); /* before reading it, which may convert */
      const void *path = sqlite3_column_blob (items, 1);
      gsize path_len = (gsize) sqlite3_column_bytes (items, 1);
      if (path_type != SQLITE_BLOB || !is_item_path (path, path_len))
        {
          g_free (id);
          g_ptr_array_set_free_func (paths, g_free);
          bad_path (catalog, path_type, path, path_len, error);
          return NULL;
        }
      g_hash_table_insert (rows, id, GUINT_TO_POINTER (paths->len));
      g_ptr_array_add (paths, g_strndup (path, path_len));
      g_array_append_val (sizes, size);
      g_array_append_val (mtimes, mtime);
    }
  if (rc != SQLITE_DONE)
    {
      g_ptr_array_set_free_func (paths, g_free);
      lk_catalog_db_error (catalog, rc, error, "loading the vectors");
      return NULL;
    }

  out = g_new0 (LkCatalogVectors, 1);
  out->n = paths->len;
  out->dim = identity->dim;
  g_ptr_array_add (paths, NULL);
  out->paths = (char **) g_ptr_array_steal (paths, NULL);
  out->sizes = (gint64 *) g_array_free (g_steal_pointer (&sizes), FALSE);
  out->mtimes_ns = (gint64 *) g_array_free (g_steal_pointer (&mtimes), FALSE);
  if (identity->vector_type == LK_VECTOR_UINT8)
    out->codes = g_try_malloc_n (MAX (out->n, 1), (gsize) out->dim);
  else
    out->vectors = g_try_malloc_n (MAX (out->n, 1), (gsize) out->dim * sizeof (float));
  filled = g_new0 (guint8, out->n + 1);
  if (!out->vectors && !out->codes)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED, "%s: not enough memory for %zu vectors",
                   catalog->name, out->n);
      return NULL;
    }

  vecs = lk_catalog_prepare (catalog, "SELECT item_id, vector FROM embeddings WHERE backend = ?1",
                             error);
  if (!vecs)
    return NULL;
  sqlite3_bind_text (vecs, 1, lk_backend_to_string (backend), -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (vecs)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (vecs, 0);
      gpointer row;
      if (!g_hash_table_lookup_extended (rows, &id, NULL, &row))
        continue; /* an item that failed since: not searchable */
      const void *blob = sqlite3_column_blob (vecs, 1);
      gsize bytes = (gsize) sqlite3_column_bytes (vecs, 1);
      gsize expected = (gsize) out->dim * value_bytes (identity->vector_type);
      if (!blob || bytes != expected)
        {
          wrong_length (catalog, backend, bytes, expected, error);
          return NULL;
        }
      if (filled[GPOINTER_TO_SIZE (row)])
        {
          lk_catalog_corrupt (catalog, error, "two %s vectors for one image",
                              lk_backend_to_string (backend));
          return NULL;
        }
      if (out->codes)
        {
          memcpy (out->codes + GPOINTER_TO_SIZE (row) * out->dim, blob, out->dim);
          filled[GPOINTER_TO_SIZE (row)] = 1;
          continue;
        }
      float *dst = out->vectors + GPOINTER_TO_SIZE (row) * out->dim;
      memcpy (dst, blob, sizeof (float) * out->dim);
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
      for (int i = 0; i < out->dim; i++)
        ((guint32 *) dst)[i] = GUINT32_FROM_LE (((guint32 *) dst)[i]);
#endif
      for (int i = 0; i < out->dim; i++)
        if (!isfinite (dst[i]))
          {
            not_finite (catalog, backend, error);
            return NULL;
          }
      filled[GPOINTER_TO_SIZE (row)] = 1;
    }
  if (rc != SQLITE_DONE)
    {
      lk_catalog_db_error (catalog, rc, error, "loading the vectors");
      return NULL;
    }
  for (gsize i = 0; i < out->n; i++)
    if (!filled[i])
      {
        lk_catalog_corrupt (catalog, error, "missing vector");
        return NULL;
      }
  return g_steal_pointer (&out);
}
