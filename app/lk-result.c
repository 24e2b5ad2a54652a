/* lk-result.c: one match of a search.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "lk-result.h"

#include <glib/gi18n.h>

struct _LkResult
{
  GObject parent_instance;

  guint rank;
  char *path;
  char *name;
  float cosine;
  int percent;
  char *band;
  gboolean missing;
};

G_DEFINE_FINAL_TYPE (LkResult, lk_result, G_TYPE_OBJECT)

static void
lk_result_finalize (GObject *object)
{
  LkResult *self = LK_RESULT (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->band);
  G_OBJECT_CLASS (lk_result_parent_class)->finalize (object);
}

static void
lk_result_class_init (LkResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_result_finalize;
}

static void
lk_result_init (LkResult *self)
{
}

LkResult *
lk_result_new (guint rank, const char *path, float cosine, int percent, const char *band,
               gboolean missing)
{
  LkResult *self = g_object_new (LK_TYPE_RESULT, NULL);

  self->rank = rank;
  self->path = g_strdup (path);
  self->name = g_filename_display_basename (path);
  self->cosine = cosine;
  self->percent = percent;
  self->band = g_strdup (band);
  self->missing = missing;
  return self;
}

guint
lk_result_get_rank (LkResult *self)
{
  return self->rank;
}

const char *
lk_result_get_path (LkResult *self)
{
  return self->path;
}

const char *
lk_result_get_name (LkResult *self)
{
  return self->name;
}

float
lk_result_get_cosine (LkResult *self)
{
  return self->cosine;
}

int
lk_result_get_percent (LkResult *self)
{
  return self->percent;
}

const char *
lk_result_get_band (LkResult *self)
{
  return self->band;
}

gboolean
lk_result_get_missing (LkResult *self)
{
  return self->missing;
}

char *
lk_result_dup_badge_text (LkResult *self)
{
  /* Translators: a similarity percentage on a result's badge, "87%"; languages that put a space
   * before the percent sign should use a no-break space (U+00A0) */
  return g_strdup_printf (_ ("%d%%"), self->percent);
}
