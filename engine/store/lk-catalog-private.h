/* lk-catalog-private.h: the catalog file, as the indexer and the search index use it.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection, used by one thread at a time: the indexer reads before its pipeline starts,
 * then only its writer thread touches the database until the pipeline is done.
 */
#pragma once

#include "lookalike.h"

G_BEGIN_DECLS

/* An image the catalog knows. Paths are relative to the root, raw file-system bytes. */
typedef struct
{
  gint64 id;
  char *path;
  gint64 size;
  gint64 mtime_ns;
  guint8 sha256[32];
  gboolean has_sha256;
  int width, height; /* of the decoded, upright image; 0 when it failed */
  char *error;       /* why it cannot be read, NULL when it can */
} LkCatalogItem;

void lk_catalog_item_free (LkCatalogItem *item);

/* Every item, by path. Returns: (transfer full) path → LkCatalogItem */
GHashTable *lk_catalog_load_items (LkCatalog *catalog, GError **error);

/* Ids of the items that have a vector for @backend. Returns: (transfer full) a set of gint64 */
GHashTable *lk_catalog_load_embedded (LkCatalog *catalog, LkBackend backend, GError **error);

/* Reads every vector of @backend, checking that it has @dim components: a page of the file that
 * is damaged shows here (LK_ERROR_CORRUPT_INDEX), as it would when searching. */
gboolean lk_catalog_check_vectors (LkCatalog *catalog, LkBackend backend, int dim, GError **error);

/* The catalog file's base name, for messages. */
const char *lk_catalog_get_name (LkCatalog *catalog);

/* Called once when lk_catalog_lock_writer () has to wait for another process. */
typedef void (*LkCatalogWaitFunc) (gpointer user_data);

/* Takes the catalog's writer lock, waiting (cancellably) while another process holds it: one
 * process at a time brings a catalog up to date. Released by lk_catalog_unlock_writer () or
 * lk_catalog_close (), or when the process ends however it ends. */
gboolean lk_catalog_lock_writer (LkCatalog *catalog, LkCatalogWaitFunc waiting, gpointer user_data,
                                 GCancellable *cancellable, GError **error);
void lk_catalog_unlock_writer (LkCatalog *catalog);
gboolean lk_catalog_holds_writer_lock (LkCatalog *catalog);

/* g_autoptr (LkCatalogLockGuard) guard = catalog: unlocks @catalog at the end of the scope */
typedef LkCatalog LkCatalogLockGuard;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCatalogLockGuard, lk_catalog_unlock_writer)

/* Makes @identity @backend's identity. If another one was stored, all of @backend's vectors are
 * deleted in the same transaction (*replaced set to TRUE): vectors of two models never mix. */
gboolean
lk_catalog_set_identity (LkCatalog *catalog, LkBackend backend, const LkModelIdentity *identity,
                         gboolean *replaced, GError **error);

gboolean lk_catalog_begin (LkCatalog *catalog, GError **error);
gboolean lk_catalog_commit (LkCatalog *catalog, GError **error);
void lk_catalog_rollback (LkCatalog *catalog);

/* Inserts the item, or updates the one with the same path; sets item->id. */
gboolean lk_catalog_put_item (LkCatalog *catalog, LkCatalogItem *item, GError **error);
/* Stores @backend's vector of @item_id (replacing any). NULL @vector deletes it. */
gboolean lk_catalog_put_vector (LkCatalog *catalog, LkBackend backend, gint64 item_id,
                                const float *vector, int dim, GError **error);
/* Stores @backend's 8-bit code (@dim bytes) of @item_id, for a backend of LK_VECTOR_UINT8. */
gboolean lk_catalog_put_code (LkCatalog *catalog, LkBackend backend, gint64 item_id,
                              const guint8 *code, int dim, GError **error);
/* Deletes every backend's vector of @item_id (its image changed). */
gboolean lk_catalog_clear_vectors (LkCatalog *catalog, gint64 item_id, GError **error);
/* Moves item @id to @path, keeping its vectors. */
gboolean lk_catalog_move_item (LkCatalog *catalog, gint64 id, const char *path, gint64 size,
                               gint64 mtime_ns, GError **error);
/* Deletes item @id and its vectors. */
gboolean lk_catalog_delete_item (LkCatalog *catalog, gint64 id, GError **error);

typedef struct
{
  gsize n;
  int dim;
  float *vectors;    /* (n, dim) raw, as the model made them, rows ordered by path; NULL for
                      * a backend of 8-bit codes */
  guint8 *codes;     /* (n, dim) a backend of 8-bit codes' (LK_VECTOR_UINT8), else NULL */
  char **paths;      /* (n) relative, NULL-terminated array */
  gint64 *sizes;     /* (n) */
  gint64 *mtimes_ns; /* (n) */
} LkCatalogVectors;

void lk_catalog_vectors_free (LkCatalogVectors *vectors);

/* All of @backend's vectors with their items, ordered by path.
 * Returns: (transfer full) (nullable) */
LkCatalogVectors *lk_catalog_load_vectors (LkCatalog *catalog, LkBackend backend, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCatalogVectors, lk_catalog_vectors_free)

G_END_DECLS
