/* lk-compressor-file.c: the compressed backend's model file.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lk-compressor-file.h"
#include "store/lk-safetensors.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define FORMAT  "lookalike-compressor"
#define VERSION "1"

LkCompressorInfo *
lk_compressor_info_new (void)
{
  return g_new0 (LkCompressorInfo, 1);
}

void
lk_compressor_info_free (LkCompressorInfo *info)
{
  if (!info)
    return;
  lk_model_identity_free (info->upstream);
  g_free (info->catalog_root);
  g_free (info->date);
  g_free (info);
}

static char *
config_json (const LkCompressorConfig *c)
{
  GString *out = g_string_new ("{");

  /* keys in byte order, like every canonical text here; each only where it applies */
  if (lk_compressor_method_is_mlp (c->method))
    g_string_append_printf (out, "\"hidden\":%d,", c->hidden);
  g_string_append_printf (out, "\"in_dim\":%d,", c->in_dim);
  if (c->int8)
    g_string_append (out, "\"int8\":true,");
  g_string_append_printf (out, "\"latent\":%d,\"method\":\"%s\"}", c->latent,
                          lk_compressor_method_to_string (c->method));
  return g_string_free (out, FALSE);
}

static char *
fit_json (const LkCompressorInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "n_items");
  json_builder_add_int_value (b, (gint64) info->n_items);
  json_builder_set_member_name (b, "retained_variance");
  json_builder_add_double_value (b, info->retained_variance);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, info->seconds);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

gboolean
lk_compressor_file_save (const char *path, const LkCompressor *compressor,
                         const LkCompressorInfo *info, GError **error)
{
  g_autoptr (GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  LkTensorWrite tensors[LK_COMPRESSOR_MAX_TENSORS];

  g_return_val_if_fail (info->upstream, FALSE);
  for (int i = 0; i < compressor->n_tensors; i++)
    {
      const LkCompressorTensor *t = &compressor->tensors[i];
      tensors[i].name = t->name;
      tensors[i].n_dims = t->ndim;
      for (int d = 0; d < t->ndim; d++)
        tensors[i].shape[d] = t->shape[d];
      tensors[i].data = compressor->params + t->offset;
    }
  g_hash_table_insert (meta, "format", g_strdup (FORMAT));
  g_hash_table_insert (meta, "version", g_strdup (VERSION));
  g_hash_table_insert (meta, "config", config_json (&compressor->config));
  g_hash_table_insert (meta, "upstream", lk_model_identity_to_canonical (info->upstream));
  g_hash_table_insert (meta, "fit", fit_json (info));
  g_hash_table_insert (meta, "catalog_root",
                       g_strdup (info->catalog_root ? info->catalog_root : ""));
  g_hash_table_insert (meta, "date", g_strdup (info->date ? info->date : ""));
  return lk_safetensors_write (path, tensors, (gsize) compressor->n_tensors, meta, error);
}

/* ---------------------------------------------------------------------------------------------- */

static LkCompressor *
bad (GError **error, const char *name, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: not a Lookalike compressor (%s)", name,
               what);
  return NULL;
}

static gboolean
read_config (const char *text, LkCompressorConfig *c)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *again = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *method;

  if (!text || !json_parser_load_from_data (parser, text, -1, NULL)
      || !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  o = json_node_get_object (root);
  if (!json_object_has_member (o, "in_dim") || !json_object_has_member (o, "latent")
      || !(method = json_object_get_string_member_with_default (o, "method", NULL))
      || !lk_compressor_method_from_string (method, &c->method))
    return FALSE;
  c->in_dim = (int) CLAMP (json_object_get_int_member_with_default (o, "in_dim", 0), 0, G_MAXINT);
  c->latent = (int) CLAMP (json_object_get_int_member_with_default (o, "latent", 0), 0, G_MAXINT);
  c->hidden = (int) CLAMP (json_object_get_int_member_with_default (o, "hidden", 0), 0, G_MAXINT);
  c->int8 = json_object_get_boolean_member_with_default (o, "int8", FALSE);
  /* exactly what this version writes */
  again = config_json (c);
  return g_str_equal (again, text);
}

static void
read_fit (const char *text, LkCompressorInfo *info)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *o;

  /* a record for people: what cannot be read is left at zero */
  if (!text || !json_parser_load_from_data (parser, text, -1, NULL)
      || !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  o = json_node_get_object (root);
  info->n_items = (guint64) MAX (json_object_get_int_member_with_default (o, "n_items", 0), 0);
  info->retained_variance = json_object_get_double_member_with_default (o, "retained_variance", 0);
  info->seconds = json_object_get_double_member_with_default (o, "seconds", 0);
}

LkCompressor *
lk_compressor_file_load (const char *path, LkCompressorInfo **info_out, char **sha256,
                         GError **error)
{
  g_autoptr (LkSafetensors) st = lk_safetensors_open (path, error);
  g_autoptr (LkCompressorInfo) info = lk_compressor_info_new ();
  g_autoptr (LkCompressor) compressor = NULL;
  g_autoptr (GError) local = NULL;
  const char *name;

  if (!st)
    return NULL;
  name = lk_safetensors_get_name (st);
  if (g_strcmp0 (lk_safetensors_get_metadata (st, "format"), FORMAT) != 0)
    return bad (error, name, "no \"format\": \"" FORMAT "\" in its metadata");
  if (g_strcmp0 (lk_safetensors_get_metadata (st, "version"), VERSION) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: a compressor of version %s, which this version of Lookalike cannot read",
                   name, lk_safetensors_get_metadata (st, "version") ?: "(none)");
      return NULL;
    }
  if (!read_config (lk_safetensors_get_metadata (st, "config"), &info->config))
    return bad (error, name, "its metadata has no valid \"config\"");
  if (!(compressor = lk_compressor_new (&info->config, &local)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: %s", name, local->message);
      return NULL;
    }
  if (!(info->upstream =
          lk_model_identity_from_canonical (lk_safetensors_get_metadata (st, "upstream"), NULL))
      || info->upstream->dim != info->config.in_dim)
    return bad (error, name, "its \"upstream\" is not an identity of vectors its config takes");
  read_fit (lk_safetensors_get_metadata (st, "fit"), info);
  info->catalog_root = g_strdup (lk_safetensors_get_metadata (st, "catalog_root"));
  info->date = g_strdup (lk_safetensors_get_metadata (st, "date"));

  /* exactly the config's tensors, with their shapes, finite */
  if (lk_safetensors_get_n_tensors (st) != (guint) compressor->n_tensors)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: holds %u tensors where the compressor its metadata describes has %d", name,
                   lk_safetensors_get_n_tensors (st), compressor->n_tensors);
      return NULL;
    }
  for (int i = 0; i < compressor->n_tensors; i++)
    {
      const LkCompressorTensor *t = &compressor->tensors[i];
      gint64 shape[2] = { t->shape[0], t->shape[1] };
      g_autofree float *data = lk_safetensors_read_weights (st, t->name, t->ndim, shape, error);
      if (!data)
        return NULL;
      memcpy (compressor->params + t->offset, data, t->size * sizeof (float));
    }
  if (sha256)
    *sha256 = g_strdup (lk_safetensors_get_sha256 (st));
  if (info_out)
    *info_out = g_steal_pointer (&info);
  return g_steal_pointer (&compressor);
}
