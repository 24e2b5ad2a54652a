/* lk-convae-file.c: reading and writing conv-ae model files (see lk-convae-file.h).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "lk-model"

#include "lk-convae-file.h"
#include "store/lk-safetensors.h"

#include <json-glib/json-glib.h>
#include <math.h>

#define FORMAT  "lookalike-conv-ae"
#define VERSION "1"

LkConvAeInfo *
lk_conv_ae_info_new (void)
{
  LkConvAeInfo *info = g_new0 (LkConvAeInfo, 1);

  info->preprocess = LK_PREPROCESS_DEFAULT;
  info->train_loss = g_array_new (FALSE, FALSE, sizeof (double));
  info->val_loss = g_array_new (FALSE, FALSE, sizeof (double));
  return info;
}

void
lk_conv_ae_info_free (LkConvAeInfo *info)
{
  if (!info)
    return;
  g_free (info->catalog_root);
  g_free (info->date);
  g_array_unref (info->train_loss);
  g_array_unref (info->val_loss);
  g_free (info);
}

static char *
node_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static void
add_losses (JsonBuilder *b, const char *key, GArray *losses)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (guint i = 0; i < losses->len; i++)
    json_builder_add_double_value (b, g_array_index (losses, double, i));
  json_builder_end_array (b);
}

static char *
config_json (const LkConvAeConfig *c)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "channels");
  json_builder_add_int_value (b, c->channels);
  json_builder_set_member_name (b, "input_size");
  json_builder_add_int_value (b, c->input_size);
  json_builder_set_member_name (b, "latent");
  json_builder_add_int_value (b, c->latent);
  json_builder_set_member_name (b, "slope");
  json_builder_add_double_value (b, c->slope);
  json_builder_set_member_name (b, "stages");
  json_builder_add_int_value (b, c->stages);
  json_builder_set_member_name (b, "widths");
  json_builder_begin_array (b);
  for (int i = 0; i < c->stages; i++)
    json_builder_add_int_value (b, c->widths[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return node_to_string (root);
}

static char *
training_json (const LkConvAeInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) info->seed);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, info->epochs);
  json_builder_set_member_name (b, "batch");
  json_builder_add_int_value (b, info->batch);
  json_builder_set_member_name (b, "learning_rate");
  json_builder_add_double_value (b, info->learning_rate);
  json_builder_set_member_name (b, "weight_decay");
  json_builder_add_double_value (b, info->weight_decay);
  json_builder_set_member_name (b, "denoise");
  json_builder_add_double_value (b, info->denoise);
  json_builder_set_member_name (b, "invariance");
  json_builder_add_double_value (b, info->invariance);
  json_builder_set_member_name (b, "augment");
  json_builder_add_boolean_value (b, info->augment);
  add_losses (b, "train_loss", info->train_loss);
  add_losses (b, "val_loss", info->val_loss);
  json_builder_set_member_name (b, "best_epoch");
  json_builder_add_int_value (b, info->best_epoch);
  json_builder_set_member_name (b, "n_train");
  json_builder_add_int_value (b, info->n_train);
  json_builder_set_member_name (b, "n_val");
  json_builder_add_int_value (b, info->n_val);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, info->seconds);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return node_to_string (root);
}

gboolean
lk_conv_ae_file_save (const char *path, const LkConvAe *model, const LkConvAeInfo *info,
                      GError **error)
{
  g_autoptr (GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  LkTensorWrite tensors[LK_CONV_AE_MAX_TENSORS];

  for (int i = 0; i < model->n_tensors; i++)
    {
      const LkConvAeTensor *t = &model->tensors[i];
      tensors[i].name = t->name;
      tensors[i].n_dims = t->n_dims;
      for (int d = 0; d < t->n_dims; d++)
        tensors[i].shape[d] = t->shape[d];
      tensors[i].data = model->params + t->offset;
    }
  g_hash_table_insert (meta, "format", g_strdup (FORMAT));
  g_hash_table_insert (meta, "version", g_strdup (VERSION));
  g_hash_table_insert (meta, "config", config_json (&model->config));
  g_hash_table_insert (meta, "architecture", lk_conv_ae_architecture_json (&model->config));
  g_hash_table_insert (meta, "preprocess", g_strdup (lk_preprocess_to_string (info->preprocess)));
  g_hash_table_insert (meta, "training", training_json (info));
  g_hash_table_insert (meta, "catalog_root",
                       g_strdup (info->catalog_root ? info->catalog_root : ""));
  g_hash_table_insert (meta, "date", g_strdup (info->date ? info->date : ""));
  return lk_safetensors_write (path, tensors, (gsize) model->n_tensors, meta, error);
}

/* ---------------------------------------------------------------------------------------------- */

static gboolean
bad (GError **error, const char *name, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: not a Lookalike autoencoder (%s)", name,
               what);
  return FALSE;
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  JsonNode *root;

  if (!text || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* an integer member in [lo, hi] */
static gboolean
get_int (JsonObject *object, const char *key, gint64 lo, gint64 hi, gint64 *out)
{
  JsonNode *node = json_object_get_member (object, key);

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return *out >= lo && *out <= hi;
}

static gboolean
get_double (JsonObject *object, const char *key, double *out)
{
  JsonNode *node = json_object_get_member (object, key);

  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE
      && json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (node);
  return isfinite (*out);
}

static gboolean
read_config (JsonObject *o, LkConvAeConfig *c)
{
  gint64 v;
  double slope;
  JsonNode *node = json_object_get_member (o, "widths");
  JsonArray *widths;

  memset (c, 0, sizeof *c);
  if (json_object_get_size (o) != 6 || !get_int (o, "channels", 1, 4, &v))
    return FALSE;
  c->channels = (int) v;
  if (!get_int (o, "input_size", 1, 4096, &v))
    return FALSE;
  c->input_size = (int) v;
  if (!get_int (o, "latent", 1, 65536, &v))
    return FALSE;
  c->latent = (int) v;
  if (!get_int (o, "stages", 1, LK_CONV_AE_MAX_STAGES, &v))
    return FALSE;
  c->stages = (int) v;
  if (!get_double (o, "slope", &slope))
    return FALSE;
  c->slope = (float) slope;
  if (!node || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (widths = json_node_get_array (node)) != (guint) c->stages)
    return FALSE;
  for (int i = 0; i < c->stages; i++)
    {
      JsonNode *w = json_array_get_element (widths, i);
      if (!JSON_NODE_HOLDS_VALUE (w) || json_node_get_value_type (w) != G_TYPE_INT64
          || json_node_get_int (w) < 1 || json_node_get_int (w) > LK_CONV_AE_MAX_WIDTH)
        return FALSE;
      c->widths[i] = (int) json_node_get_int (w);
    }
  return TRUE;
}

static gboolean
read_losses (JsonObject *o, const char *key, GArray *out)
{
  JsonNode *node = json_object_get_member (o, key);
  JsonArray *array;

  if (!node || !JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      double x;
      if (!JSON_NODE_HOLDS_VALUE (e)
          || (json_node_get_value_type (e) != G_TYPE_DOUBLE
              && json_node_get_value_type (e) != G_TYPE_INT64))
        return FALSE;
      x = json_node_get_double (e);
      g_array_append_val (out, x);
    }
  return TRUE;
}

/* what the training record says; a record that does not parse is only history, but a file that
 * claims to be ours must have one */
static gboolean
read_training (JsonObject *o, LkConvAeInfo *info)
{
  gint64 v;
  JsonNode *augment = json_object_get_member (o, "augment");

  if (!get_int (o, "seed", G_MININT64, G_MAXINT64, &v))
    return FALSE;
  info->seed = (guint64) v;
  if (!get_int (o, "epochs", 0, G_MAXINT, &v))
    return FALSE;
  info->epochs = (int) v;
  if (!get_int (o, "batch", 1, G_MAXINT, &v))
    return FALSE;
  info->batch = (int) v;
  if (!get_int (o, "best_epoch", 0, G_MAXINT, &v))
    return FALSE;
  info->best_epoch = (int) v;
  if (!get_int (o, "n_train", 0, G_MAXUINT, &v))
    return FALSE;
  info->n_train = (guint) v;
  if (!get_int (o, "n_val", 0, G_MAXUINT, &v))
    return FALSE;
  info->n_val = (guint) v;
  if (!get_double (o, "learning_rate", &info->learning_rate)
      || !get_double (o, "weight_decay", &info->weight_decay)
      || !get_double (o, "denoise", &info->denoise) || !get_double (o, "seconds", &info->seconds))
    return FALSE;
  if (!augment || !JSON_NODE_HOLDS_VALUE (augment)
      || json_node_get_value_type (augment) != G_TYPE_BOOLEAN)
    return FALSE;
  info->augment = json_node_get_boolean (augment);
  if (json_object_has_member (o, "invariance") && !get_double (o, "invariance", &info->invariance))
    return FALSE;
  return read_losses (o, "train_loss", info->train_loss)
         && read_losses (o, "val_loss", info->val_loss);
}

LkConvAe *
lk_conv_ae_file_load (const char *path, LkConvAeInfo **info_out, char **sha256, GError **error)
{
  g_autoptr (LkSafetensors) st = lk_safetensors_open (path, error);
  g_autoptr (LkConvAeInfo) info = lk_conv_ae_info_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonParser) training_parser = json_parser_new ();
  g_autoptr (LkConvAe) model = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *architecture = NULL;
  const char *name, *text;
  JsonObject *object;

  if (!st)
    return NULL;
  name = lk_safetensors_get_name (st);
  if (g_strcmp0 (lk_safetensors_get_metadata (st, "format"), FORMAT) != 0)
    {
      bad (error, name, "no \"format\": \"" FORMAT "\" in its metadata");
      return NULL;
    }
  if (g_strcmp0 (lk_safetensors_get_metadata (st, "version"), VERSION) != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: an autoencoder of version %s, which this version of Lookalike cannot read",
                   name, lk_safetensors_get_metadata (st, "version") ?: "(none)");
      return NULL;
    }
  if (!(object = parse_object (parser, lk_safetensors_get_metadata (st, "config")))
      || !read_config (object, &info->config))
    {
      bad (error, name, "its metadata has no valid \"config\"");
      return NULL;
    }
  if (!(model = lk_conv_ae_new (&info->config, &local)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: %s", name, local->message);
      return NULL;
    }
  architecture = lk_conv_ae_architecture_json (&info->config);
  if (g_strcmp0 (lk_safetensors_get_metadata (st, "architecture"), architecture) != 0)
    {
      bad (error, name, "its \"architecture\" is not the network its \"config\" describes");
      return NULL;
    }
  if (!(text = lk_safetensors_get_metadata (st, "preprocess"))
      || !lk_preprocess_from_string (text, &info->preprocess))
    {
      bad (error, name, "its metadata has no valid \"preprocess\"");
      return NULL;
    }
  if (!(object = parse_object (training_parser, lk_safetensors_get_metadata (st, "training")))
      || !read_training (object, info))
    {
      bad (error, name, "its metadata has no valid \"training\" record");
      return NULL;
    }
  info->catalog_root = g_strdup (lk_safetensors_get_metadata (st, "catalog_root"));
  info->date = g_strdup (lk_safetensors_get_metadata (st, "date"));

  /* exactly the config's tensors, with their shapes, finite */
  if (lk_safetensors_get_n_tensors (st) != (guint) model->n_tensors)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: holds %u tensors where the autoencoder its metadata describes has %d", name,
                   lk_safetensors_get_n_tensors (st), model->n_tensors);
      return NULL;
    }
  for (int i = 0; i < model->n_tensors; i++)
    {
      const LkConvAeTensor *t = &model->tensors[i];
      g_autofree float *data =
        lk_safetensors_read_weights (st, t->name, t->n_dims, t->shape, error);
      if (!data)
        return NULL;
      memcpy (model->params + t->offset, data, t->size * sizeof (float));
    }
  if (sha256)
    *sha256 = g_strdup (lk_safetensors_get_sha256 (st));
  if (info_out)
    *info_out = g_steal_pointer (&info);
  return g_steal_pointer (&model);
}
