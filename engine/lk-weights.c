/* lk-weights.c: networks from weights files, and finding the installed ones.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The networks (models/) take tensors, never files: this is the pipeline's side, an LkTensorSource
 * over a .safetensors file (store/lk-safetensors.c), which validates the whole file before a tensor
 * is read and names the file and the tensor in every message.
 */
#define G_LOG_DOMAIN "lk-weights"

#include "models/lk-model-private.h"
#include "store/lk-safetensors.h"

#include <string.h>

G_STATIC_ASSERT (LK_TENSOR_SOURCE_MAX_DIMS == LK_TENSOR_MAX_DIMS);

static gboolean
safetensors_lookup (void *ctx, const char *name, int *n_dims, gint64 *shape)
{
  const LkTensorInfo *info = lk_safetensors_lookup (ctx, name);

  if (!info)
    return FALSE;
  if (n_dims)
    {
      *n_dims = info->n_dims;
      memcpy (shape, info->shape, info->n_dims * sizeof *shape);
    }
  return TRUE;
}

static float *
safetensors_read (void *ctx, const char *name, int n_dims, const gint64 *shape, GError **error)
{
  return lk_safetensors_read_weights (ctx, name, n_dims, shape, error);
}

static const char *
safetensors_get_sha256 (void *ctx)
{
  return lk_safetensors_get_sha256 (ctx);
}

LkModel *
lk_model_new_from_file (const char *path, GError **error)
{
  g_autoptr (LkSafetensors) st = lk_safetensors_open (path, error);
  g_autofree char *canonical = NULL;

  if (!st)
    return NULL;
  canonical = g_canonicalize_filename (path, NULL);
  const LkTensorSource source = {
    .name = lk_safetensors_get_name (st),
    .path = canonical,
    .ctx = st,
    .lookup = safetensors_lookup,
    .read = safetensors_read,
    .get_sha256 = safetensors_get_sha256,
  };
  return lk_model_new_from_tensors (&source, error);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static char *
find_weights_in (const char *dir)
{
  static const char *const preferred[] = { "resnet50", "resnet18", "squeezenet1_1", "" };
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (!d)
    return NULL;
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".safetensors"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (gsize p = 0; p < G_N_ELEMENTS (preferred); p++)
    for (guint i = 0; i < names->len; i++)
      if (g_str_has_prefix (names->pdata[i], preferred[p]))
        return g_build_filename (dir, names->pdata[i], NULL);
  return NULL;
}

char *
lk_model_find_default_weights (void)
{
  const char *env = g_getenv ("LOOKALIKE_WEIGHTS");
  const char *const *system = g_get_system_data_dirs ();
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "lookalike", "models", NULL);
  char *found;

  if (env && *env)
    return g_strdup (env);
  if ((found = find_weights_in (user)))
    return found;
  for (gsize i = 0; system[i]; i++)
    {
      g_autofree char *dir = g_build_filename (system[i], "lookalike", "models", NULL);
      if ((found = find_weights_in (dir)))
        return found;
    }
  return NULL;
}
