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
  float *vectors;    /* (n, dim) raw, as the model made them, rows ordered by path */
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
