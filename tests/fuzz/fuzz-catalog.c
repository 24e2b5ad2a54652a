/* fuzz-catalog.c: libFuzzer target for reading catalogs.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A catalog is an SQLite file from anywhere: every value in it is untrusted. Two ways in, chosen
 * by the input's first byte:
 *
 *   odd    the rest of the input is the catalog file itself (SQLite's own checks first, then
 *          ours on whatever it accepts);
 *   even   the rest is a program of edits to a valid catalog made at start-up: each edit sets one
 *          column of one row (of items, backends, embeddings or meta) to an integer, a real, a
 *          text, a blob or NULL taken from the input, or inserts or deletes a row (and with the
 *          second bit set, the backends' identity digests are made to match their edited texts,
 *          so that the identities' own parser sees them). This reaches the checks on values far
 *          more often than flipping bytes of the file does.
 *
 * Then the catalog is opened read-only and every reader runs: the backends' identities, the items,
 * the vectors, a search index with queries, evaluation; and it is opened for writing and its
 * vectors checked as indexing does. Failing is fine; failing without an error naming the file, a
 * path leading out of the folder, a vector that is not finite, or any memory error is not.
 *
 *   CC=clang meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
 *   ninja -C build-fuzz tests/fuzz/fuzz-catalog
 *   build-fuzz/tests/fuzz/fuzz-catalog -max_total_time=600 /tmp/corpus-catalog
 */
#include "lookalike.h"
#include "store/lk-catalog-private.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define DIM 8

static char *dir;     /* the fuzzer's scratch folder */
static char *root;    /* the folder the template catalog indexes */
static char *path;    /* where each input's catalog is written */
static GBytes *valid; /* the template catalog's bytes */

static void
remove_catalog (void)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal", ".lock" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

/* A small valid catalog: five images in two folders, one failed, four with vectors. */
static void
make_template (void)
{
  static const char *const names[] = { "Bag/a.png", "Bag/b.png", "Shoe/c.png", "Shoe/d.png",
                                       "Shoe/broken.png" };
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open (path, root, &error);
  LkModelIdentity identity = {
    .model = "squeezenet1_1",
    .weights_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    .input_size = 64,
    .preprocess = LK_PREPROCESS_CENTER_CROP,
    .dim = DIM,
  };
  gboolean replaced;
  char *contents;
  gsize length;

  g_assert_no_error (error);
  g_assert_true (lk_catalog_set_identity (catalog, LK_BACKEND_CNN, &identity, &replaced, &error));
  g_assert_true (lk_catalog_begin (catalog, &error));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      LkCatalogItem item = { .path = (char *) names[i], .size = 100 + (gint64) i, .mtime_ns = 1 };
      float vector[DIM];
      gboolean broken = i == G_N_ELEMENTS (names) - 1;
      item.error = broken ? (char *) "truncated PNG" : NULL;
      item.width = item.height = broken ? 0 : 28;
      g_assert_true (lk_catalog_put_item (catalog, &item, &error));
      for (int j = 0; j < DIM; j++)
        vector[j] = (float) ((i * 7 + j * 3) % 5) - 1.5f;
      if (!broken)
        g_assert_true (
          lk_catalog_put_vector (catalog, LK_BACKEND_CNN, item.id, vector, DIM, &error));
    }
  g_assert_true (lk_catalog_commit (catalog, &error));
  g_clear_pointer (&catalog, lk_catalog_close); /* checkpoints: the whole catalog in one file */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  valid = g_bytes_new_take (contents, length);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  dir = g_dir_make_tmp ("lk-fuzz-catalog-XXXXXX", NULL);
  g_assert_nonnull (dir);
  root = g_build_filename (dir, "shop", NULL);
  path = g_build_filename (dir, "fuzz.db", NULL);
  g_assert_cmpint (g_mkdir (root, 0755), ==, 0);
  make_template ();
  return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Edits                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  const uint8_t *data;
  size_t size;
} Input;

static guint
take (Input *in, guint n)
{
  guint v = 0;

  for (guint i = 0; i < n && in->size > 0; i++, in->data++, in->size--)
    v = v << 8 | in->data[0];
  return v;
}

static const struct
{
  const char *table, *key; /* key: rowid, or the primary key of a WITHOUT ROWID table */
  const char *const columns[8];
} tables[] = {
  { "items", "rowid", { "id", "path", "size", "mtime_ns", "sha256", "width", "height", "error" } },
  { "backends",
    "name",
    { "name", "identity", "identity_sha256", "vector_type", "dim", "weights_path",
      "calibration" } },
  { "embeddings", "rowid", { "backend", "item_id", "vector" } },
  { "meta", "key", { "key", "value" } },
};

static int
n_columns (gsize t)
{
  int n = 0;

  while (n < 8 && tables[t].columns[n])
    n++;
  return n;
}

/* Binds a value taken from the input: integer (small or any), real, text, blob or NULL. */
static void
bind_value (sqlite3_stmt *stmt, int at, Input *in)
{
  guint kind = take (in, 1) % 7;
  guint len;

  switch (kind)
    {
    case 0:
      sqlite3_bind_int64 (stmt, at, (gint64) (gint8) take (in, 1));
      break;
    case 1:
      sqlite3_bind_int64 (stmt, at, (gint64) ((guint64) take (in, 4) << 32 | take (in, 4)));
      break;
    case 2:
      {
        guint64 bits = (guint64) take (in, 4) << 32 | take (in, 4);
        double d;
        memcpy (&d, &bits, sizeof d);
        sqlite3_bind_double (stmt, at, d);
        break;
      }
    case 3:
    case 4:
      len = take (in, 1); /* (not inside MIN (): it would take twice) */
      len = MIN (len, in->size);
      if (kind == 3)
        sqlite3_bind_text (stmt, at, (const char *) in->data, (int) len, SQLITE_TRANSIENT);
      else
        sqlite3_bind_blob (stmt, at, in->data, (int) len, SQLITE_TRANSIENT);
      in->data += len;
      in->size -= len;
      break;
    case 5:
      /* a vector's worth of bytes, of some length */
      len = take (in, 2) % (4 * DIM * 2 + 1);
      len = MIN (len, in->size);
      sqlite3_bind_blob (stmt, at, in->data, (int) len, SQLITE_TRANSIENT);
      in->data += len;
      in->size -= len;
      break;
    default:
      sqlite3_bind_null (stmt, at);
    }
}

/* Makes each backend's identity digest match its (edited) text again, so that the identity's own
 * parser and checks see what the edits did to it. */
static void
resign_identities (sqlite3 *db)
{
  sqlite3_stmt *rows = NULL, *put = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT name, identity FROM backends", -1, &rows, NULL) == SQLITE_OK
      && sqlite3_prepare_v2 (db, "UPDATE backends SET identity_sha256 = ?2 WHERE name = ?1", -1,
                             &put, NULL)
           == SQLITE_OK)
    while (sqlite3_step (rows) == SQLITE_ROW)
      {
        const char *text = (const char *) sqlite3_column_text (rows, 1);
        g_autofree char *digest =
          text ? g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1) : NULL;
        sqlite3_reset (put);
        sqlite3_bind_value (put, 1, sqlite3_column_value (rows, 0));
        sqlite3_bind_text (put, 2, digest, -1, SQLITE_TRANSIENT);
        sqlite3_step (put);
      }
  sqlite3_finalize (rows);
  sqlite3_finalize (put);
}

static void
edit (Input *in, gboolean resign)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return;
    }
  sqlite3_exec (db, "PRAGMA synchronous = OFF", NULL, NULL, NULL); /* scratch: no fsync */
  for (int n = 0; n < 16 && in->size >= 3; n++)
    {
      guint op = take (in, 1);
      gsize t = (op >> 2) % G_N_ELEMENTS (tables);
      int c = (int) (take (in, 1) % (guint) n_columns (t));
      int row = (int) take (in, 1) % 8;
      g_autofree char *sql = NULL;
      sqlite3_stmt *stmt = NULL;

      switch (op & 3)
        {
        case 0:
        case 1:
          sql = g_strdup_printf ("UPDATE %s SET %s = ?1 WHERE %s = (SELECT %s FROM %s LIMIT 1 "
                                 "OFFSET ?2)",
                                 tables[t].table, tables[t].columns[c], tables[t].key,
                                 tables[t].key, tables[t].table);
          break;
        case 2:
          /* a copy of a row with one column changed */
          {
            GString *cols = g_string_new (NULL);
            for (int i = 0; i < n_columns (t); i++)
              g_string_append_printf (cols, "%s%s", i ? ", " : "", tables[t].columns[i]);
            sql = g_strdup_printf ("INSERT OR IGNORE INTO %s (%s) SELECT %s FROM %s LIMIT 1 "
                                   "OFFSET ?2",
                                   tables[t].table, cols->str, cols->str, tables[t].table);
            g_string_free (cols, TRUE);
            break;
          }
        default:
          sql = g_strdup_printf ("DELETE FROM %s WHERE %s = (SELECT %s FROM %s LIMIT 1 OFFSET "
                                 "?2)",
                                 tables[t].table, tables[t].key, tables[t].key, tables[t].table);
        }
      if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK)
        {
          if (sqlite3_bind_parameter_count (stmt) >= 1 && strstr (sql, "?1"))
            bind_value (stmt, 1, in);
          sqlite3_bind_int (stmt, 2, row);
          sqlite3_step (stmt);
        }
      sqlite3_finalize (stmt);
    }
  if (resign)
    resign_identities (db);
  sqlite3_close (db);
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

static void
assert_names_the_file (const GError *error)
{
  g_assert_nonnull (error);
  if (g_error_matches (error, LK_ERROR, LK_ERROR_FAILED)
      && strstr (error->message, "not enough memory"))
    return;
  g_assert_nonnull (strstr (error->message, "fuzz.db"));
}

static void
read_index (LkSearchIndex *index, const char *folder)
{
  gsize n = lk_search_index_get_n_items (index);
  int dim = lk_search_index_get_dim (index);
  const LkModelIdentity *identity = lk_search_index_get_identity (index);
  g_autofree float *query = g_new0 (float, dim);
  LkMatch matches[4];
  gsize root_len = strlen (folder);

  /* the folder the catalog names, which is whatever it says, in canonical form */
  g_assert_true (g_path_is_absolute (folder));
  g_assert_null (strstr (folder, "//"));
  g_assert_null (strstr (folder, "/../"));
  g_assert_cmpint (dim, ==, identity->dim);
  g_assert_cmpint (dim, >=, 1);
  for (gsize i = 0; i < n; i++)
    {
      const char *p = lk_search_index_get_path (index, i);
      /* inside the folder, and by no detour */
      g_assert_true (strncmp (p, folder, root_len) == 0 && (p[root_len] == '/' || root_len == 1));
      g_assert_null (strstr (p + root_len, "/../"));
      g_assert_null (strstr (p + root_len, "//"));
      g_assert_nonnull (lk_search_index_get_label (index, i));
      g_assert_cmpint (lk_search_index_find (index, p), ==, (gssize) i);
    }
  for (int j = 0; j < dim; j++)
    query[j] = (float) (j % 3) - 1.0f;
  gsize found = lk_search_index_query (index, query, G_N_ELEMENTS (matches), -1, matches);
  g_assert_cmpuint (found, ==, MIN (n, G_N_ELEMENTS (matches)));
  for (gsize r = 0; r < found; r++)
    {
      g_assert_cmpuint (matches[r].index, <, n);
      g_assert_true (isfinite (matches[r].cosine));
    }
  if (n > 0)
    found = lk_search_index_query_row (index, n - 1, G_N_ELEMENTS (matches), TRUE, matches);
  lk_eval_result_free (lk_search_index_evaluate (index, 3));
}

static void
read_catalog (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open_read_only (path, &error);

  if (!catalog)
    {
      assert_names_the_file (error);
      return;
    }
  for (int b = 0; b < LK_N_BACKENDS; b++)
    {
      g_autoptr (GError) identity_error = NULL, load_error = NULL;
      g_autoptr (LkModelIdentity) identity =
        lk_catalog_get_identity (catalog, (LkBackend) b, &identity_error);
      g_autoptr (LkSearchIndex) index = NULL;

      if (identity_error)
        assert_names_the_file (identity_error);
      if (identity)
        {
          g_assert_cmpint (identity->dim, >=, 1);
          g_assert_cmpint (identity->input_size, >=, LK_MODEL_MIN_INPUT_SIZE);
          g_assert_cmpint (identity->input_size, <=, LK_MODEL_MAX_INPUT_SIZE);
        }
      index = lk_catalog_load (catalog, (LkBackend) b, &load_error);
      if (index)
        read_index (index, lk_catalog_get_root (catalog));
      else
        assert_names_the_file (load_error);
    }
  {
    g_autoptr (GError) items_error = NULL;
    g_autoptr (GHashTable) items = lk_catalog_load_items (catalog, &items_error);
    if (!items)
      assert_names_the_file (items_error);
  }
  g_clear_pointer (&catalog, lk_catalog_close);

  /* as indexing reads it before it plans */
  catalog = lk_catalog_open (path, NULL, &error);
  if (!catalog)
    {
      assert_names_the_file (error);
      return;
    }
  {
    g_autoptr (GError) check_error = NULL;
    g_autoptr (LkModelIdentity) identity = lk_catalog_get_identity (catalog, LK_BACKEND_CNN, NULL);
    g_autoptr (GHashTable) embedded = NULL;
    if (identity
        && !lk_catalog_check_vectors (catalog, LK_BACKEND_CNN, identity->dim, &check_error))
      assert_names_the_file (check_error);
    embedded = lk_catalog_load_embedded (catalog, LK_BACKEND_CNN, NULL);
  }
}

/* (no g_file_set_contents (): its fsync () would make the disk, not the code, the bottleneck) */
static void
write_file (const void *data, gsize size)
{
  FILE *f = fopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, size, f), ==, size);
  g_assert_cmpint (fclose (f), ==, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Input in = { data + 1, size ? size - 1 : 0 };

  if (size == 0)
    return 0;
  remove_catalog ();
  if (data[0] & 1)
    write_file (in.data, in.size);
  else
    {
      write_file (g_bytes_get_data (valid, NULL), g_bytes_get_size (valid));
      edit (&in, (data[0] & 2) != 0);
    }
  read_catalog ();
  return 0;
}
