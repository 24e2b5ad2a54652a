/* lk-query.c: what a search is made with.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lk-query.h"

struct _LkQuery
{
  gint ref_count;
  char *path; /* one of these three */
  GBytes *bytes;
  GdkTexture *texture;
  char *name;
};

G_DEFINE_BOXED_TYPE (LkQuery, lk_query, lk_query_ref, lk_query_unref)

LkQuery *
lk_query_new_for_path (const char *path)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->path = g_strdup (path);
  query->name = g_filename_display_basename (path);
  return query;
}

LkQuery *
lk_query_new_for_bytes (GBytes *bytes, const char *name)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->bytes = g_bytes_ref (bytes);
  query->name = g_strdup (name);
  return query;
}

LkQuery *
lk_query_new_for_texture (GdkTexture *texture, const char *name)
{
  LkQuery *query = g_new0 (LkQuery, 1);

  query->ref_count = 1;
  query->texture = g_object_ref (texture);
  query->name = g_strdup (name);
  return query;
}

LkQuery *
lk_query_ref (LkQuery *query)
{
  g_atomic_int_inc (&query->ref_count);
  return query;
}

void
lk_query_unref (LkQuery *query)
{
  if (!query || !g_atomic_int_dec_and_test (&query->ref_count))
    return;
  g_free (query->path);
  g_free (query->name);
  g_clear_pointer (&query->bytes, g_bytes_unref);
  g_clear_object (&query->texture);
  g_free (query);
}

const char *
lk_query_get_name (LkQuery *query)
{
  return query->name;
}

const char *
lk_query_get_path (LkQuery *query)
{
  return query->path;
}

GBytes *
lk_query_get_bytes (LkQuery *query)
{
  return query->bytes;
}

GdkTexture *
lk_query_get_texture (LkQuery *query)
{
  return query->texture;
}
