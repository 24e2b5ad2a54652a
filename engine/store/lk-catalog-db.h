/* lk-catalog-db.h: the catalog's SQLite connection, shared by the files of engine/store that
 * implement it (lk-catalog.c opens, locks and describes a catalog; lk-catalog-rows.c reads and
 * writes its items and vectors). Nothing outside engine/store includes this.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "lk-catalog-private.h"

#include <sqlite3.h>

G_BEGIN_DECLS

struct _LkCatalog
{
  /* owned */
  sqlite3 *db;
  char *path; /* the catalog file */
  char *name; /* its base name, for messages */
  char *root; /* the folder it indexes, absolute */
  gboolean read_only;
  int lock_fd;     /* the writer's lock (lk_catalog_lock_writer), -1 when not held */
  char *lock_path; /* path + ".lock" while held */
  char *copy_dir;  /* a read-only catalog read from a copy (see copy_with_log), or NULL */
  int schema;      /* the file's schema version: 1 only when read-only, else 2 */
};

/* Turns @rc (the connection's last error) into a GError that names the catalog file; @doing says
 * what failed ("updating the index"). Always returns FALSE. */
gboolean lk_catalog_db_error (LkCatalog *catalog, int rc, GError **error, const char *doing);
gboolean lk_catalog_exec (LkCatalog *catalog, const char *sql, GError **error);
sqlite3_stmt *lk_catalog_prepare (LkCatalog *catalog, const char *sql, GError **error);

/* "damaged index (…)": a value read from the file that cannot be right */
gboolean lk_catalog_corrupt (LkCatalog *catalog, GError **error, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
