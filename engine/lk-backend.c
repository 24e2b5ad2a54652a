/* lk-backend.c: the table of backends, and model identities.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

#include "models/lk-convae.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* marks a string for translation without translating it (xgettext reads N_) */
#define N_(text) (text)

static const LkBackendInfo backends[LK_N_BACKENDS] = {
  [LK_BACKEND_CNN] = { LK_BACKEND_CNN, "cnn", N_ ("CNN Features"),
                       N_ ("Features of an ImageNet-pretrained network: what a photo shows") },
  [LK_BACKEND_CONV_AE] = { LK_BACKEND_CONV_AE, "conv-ae", N_ ("Conv Autoencoder"),
                           N_ ("A convolutional autoencoder trained on the catalog’s own photos"),
                           N_ ("Building it trains a network on the catalog’s own photos, which "
                               "takes a few minutes for a thousand photos; you can stop it at any "
                               "time.") },
  [LK_BACKEND_COMPRESSED] = { LK_BACKEND_COMPRESSED, "compressed", N_ ("Compressed Embeddings"),
                              N_ ("CNN features compressed many times over, finding the same "
                                  "products"),
                              N_ ("Building it fits a compressor to the catalog’s CNN features, "
                                  "which takes seconds: no photo is read again.") },
};

const LkBackendInfo *
lk_backend_get_info (LkBackend backend)
{
  return (guint) backend < LK_N_BACKENDS ? &backends[backend] : NULL;
}

const char *
lk_backend_list_names (void)
{
  static gsize once;
  static char *names;

  if (g_once_init_enter (&once))
    {
      GString *s = g_string_new (NULL);
      for (guint i = 0; i < LK_N_BACKENDS; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "", backends[i].name);
      names = g_string_free (s, FALSE);
      g_once_init_leave (&once, 1);
    }
  return names;
}

const char *
lk_backend_to_string (LkBackend backend)
{
  return (guint) backend < LK_N_BACKENDS ? backends[backend].name : NULL;
}

gboolean
lk_backend_from_string (const char *name, LkBackend *backend)
{
  /* the name the compressed backend had before it was built, in the command line's contract */
  if (g_strcmp0 (name, "mlp-ae") == 0)
    name = "compressed";
  for (guint i = 0; name && i < LK_N_BACKENDS; i++)
    if (g_str_equal (name, backends[i].name))
      {
        if (backend)
          *backend = backends[i].backend;
        return TRUE;
      }
  return FALSE;
}

static const char *const vector_types[] = {
  [LK_VECTOR_FLOAT32] = "float32",
  [LK_VECTOR_UINT8] = "uint8",
};

const char *
lk_vector_type_to_string (LkVectorType type)
{
  return (guint) type < G_N_ELEMENTS (vector_types) ? vector_types[type] : NULL;
}

gboolean
lk_vector_type_from_string (const char *name, LkVectorType *type)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (vector_types); i++)
    if (g_str_equal (name, vector_types[i]))
      {
        if (type)
          *type = (LkVectorType) i;
        return TRUE;
      }
  return FALSE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Identities                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

LkModelIdentity *
lk_model_identity_new (LkModel *model, int input_size, LkPreprocess preprocess)
{
  LkModelIdentity *identity = g_new0 (LkModelIdentity, 1);

  identity->backend = LK_BACKEND_CNN;
  identity->model = g_strdup (lk_model_get_name (model));
  identity->weights_sha256 = g_strdup (lk_model_get_weights_sha256 (model));
  identity->weights_path = g_strdup (lk_model_get_path (model));
  identity->input_size = input_size;
  identity->preprocess = preprocess;
  identity->dim = lk_model_get_dim (model);
  identity->vector_type = LK_VECTOR_FLOAT32;
  return identity;
}

LkModelIdentity *
lk_model_identity_copy (const LkModelIdentity *identity)
{
  LkModelIdentity *copy = g_memdup2 (identity, sizeof *identity);

  copy->model = g_strdup (identity->model);
  copy->weights_sha256 = g_strdup (identity->weights_sha256);
  copy->weights_path = g_strdup (identity->weights_path);
  copy->upstream = identity->upstream ? lk_model_identity_copy (identity->upstream) : NULL;
  return copy;
}

/* The weights' location is a hint, not part of what made the vectors. */
gboolean
lk_model_identity_equal (const LkModelIdentity *a, const LkModelIdentity *b)
{
  g_autofree char *x = lk_model_identity_to_canonical (a);
  g_autofree char *y = lk_model_identity_to_canonical (b);

  return g_strcmp0 (x, y) == 0;
}

void
lk_model_identity_free (LkModelIdentity *identity)
{
  if (!identity)
    return;
  g_free (identity->model);
  g_free (identity->weights_sha256);
  g_free (identity->weights_path);
  lk_model_identity_free (identity->upstream);
  g_free (identity);
}

/* a JSON string: what identities hold needs no more than quotes and backslashes escaped, and
 * control characters as \u escapes */
static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) (s ? s : ""); *p; p++)
    if (*p == '"' || *p == '\\')
      g_string_append_printf (out, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (out, "\\u%04x", *p);
    else
      g_string_append_c (out, (char) *p);
  g_string_append_c (out, '"');
}

static void
append_canonical (GString *out, const LkModelIdentity *identity)
{
  g_string_append (out, "{\"backend\":");

  /* keys in byte order */
  append_json_string (out, lk_backend_to_string (identity->backend));
  g_string_append_printf (out, ",\"dim\":%d,\"input_size\":%d,\"model\":", identity->dim,
                          identity->input_size);
  append_json_string (out, identity->model);
  g_string_append (out, ",\"preprocess\":");
  append_json_string (out, lk_preprocess_to_string (identity->preprocess));
  if (identity->upstream)
    {
      g_string_append (out, ",\"upstream\":");
      append_canonical (out, identity->upstream);
    }
  g_string_append (out, ",\"vector_type\":");
  append_json_string (out, lk_vector_type_to_string (identity->vector_type));
  g_string_append (out, ",\"weights_sha256\":");
  append_json_string (out, identity->weights_sha256);
  g_string_append_c (out, '}');
}

char *
lk_model_identity_to_canonical (const LkModelIdentity *identity)
{
  GString *out = g_string_new (NULL);

  append_canonical (out, identity);
  return g_string_free (out, FALSE);
}

static gboolean
is_hex_digest (const char *s)
{
  if (!s || strlen (s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static gboolean
bad_identity (GError **error, const char *what)
{
  g_set_error (error, LK_ERROR, LK_ERROR_CORRUPT_INDEX, "%s", what);
  return FALSE;
}

/* the member @key of @object as a string, or NULL when it is missing or not a string */
static const char *
get_string (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *object, const char *key, gint64 *value)
{
  JsonNode *node = json_object_get_member (object, key);

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

/* An identity as the JSON object @object holds it, an upstream (@nested FALSE) nested in it. */
static LkModelIdentity *
identity_from_object (JsonObject *object, gboolean nested, GError **error)
{
  static const char *const keys[] = { "backend",    "dim",         "input_size",    "model",
                                      "preprocess", "vector_type", "weights_sha256" };
  g_autoptr (LkModelIdentity) identity = g_new0 (LkModelIdentity, 1);
  const char *backend, *model, *preprocess, *vector_type, *sha;
  gboolean has_upstream = json_object_has_member (object, "upstream");
  gint64 dim, input_size;

  if (json_object_get_size (object) != G_N_ELEMENTS (keys) + (has_upstream ? 1 : 0))
    return bad_identity (error, "the model identity has other keys"), NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (!json_object_has_member (object, keys[i]))
      return bad_identity (error, "the model identity has other keys"), NULL;

  backend = get_string (object, "backend");
  model = get_string (object, "model");
  preprocess = get_string (object, "preprocess");
  vector_type = get_string (object, "vector_type");
  sha = get_string (object, "weights_sha256");
  if (!backend || !lk_backend_from_string (backend, &identity->backend))
    return bad_identity (error, "the model identity names no backend"), NULL;
  if (!model || !model[0] || strlen (model) > 64)
    return bad_identity (error, "the model identity names no model"), NULL;
  if (!is_hex_digest (sha))
    return bad_identity (error, "the model identity's weights digest is not a SHA-256"), NULL;
  if (!get_int (object, "dim", &dim) || dim < 1 || dim > LK_MAX_DIM)
    return bad_identity (error, "the model identity's dimension is out of range"), NULL;
  /* a backend of another's vectors has one, and only it; one level deep */
  if (has_upstream != (identity->backend == LK_BACKEND_COMPRESSED) || (has_upstream && nested))
    return bad_identity (error, "the model identity's upstream does not fit its backend"), NULL;
  if (!get_int (object, "input_size", &input_size)
      || input_size < (identity->backend == LK_BACKEND_CONV_AE ? LK_CONV_AE_MIN_INPUT_SIZE
                                                               : LK_MODEL_MIN_INPUT_SIZE)
      || input_size > (identity->backend == LK_BACKEND_CONV_AE ? LK_CONV_AE_MAX_INPUT_SIZE
                                                               : LK_MODEL_MAX_INPUT_SIZE))
    return bad_identity (error, "the model identity's input size is out of range"), NULL;
  if (!preprocess || !lk_preprocess_from_string (preprocess, &identity->preprocess))
    return bad_identity (error, "the model identity's preprocessing is unknown"), NULL;
  if (!vector_type || !lk_vector_type_from_string (vector_type, &identity->vector_type))
    return bad_identity (error, "the model identity's vector type is unknown"), NULL;
  /* 8-bit codes are decoded by a compressor: only the compressed backend has them, and no more
   * of them than a scan takes */
  if (identity->vector_type == LK_VECTOR_UINT8
      && (identity->backend != LK_BACKEND_COMPRESSED || dim > LK_RANKER_U8_MAX_DIM))
    return bad_identity (error, "the model identity's vector type does not fit its backend"), NULL;
  identity->model = g_strdup (model);
  identity->weights_sha256 = g_strdup (sha);
  identity->dim = (int) dim;
  identity->input_size = (int) input_size;
  if (has_upstream)
    {
      JsonNode *node = json_object_get_member (object, "upstream");
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad_identity (error, "the model identity's upstream is not an object"), NULL;
      if (!(identity->upstream = identity_from_object (json_node_get_object (node), TRUE, error)))
        return NULL;
      if (identity->upstream->input_size != identity->input_size
          || identity->upstream->preprocess != identity->preprocess)
        return bad_identity (error, "the model identity's upstream takes other photos"), NULL;
    }
  return g_steal_pointer (&identity);
}

LkModelIdentity *
lk_model_identity_from_canonical (const char *text, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (LkModelIdentity) identity = NULL;
  g_autofree char *again = NULL;
  JsonNode *root;

  if (!text || !json_parser_load_from_data (parser, text, -1, NULL)
      || !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    return bad_identity (error, "the model identity is not a JSON object"), NULL;
  if (!(identity = identity_from_object (json_node_get_object (root), FALSE, error)))
    return NULL;

  /* canonical means canonical: the same text back, or it was not written by us */
  again = lk_model_identity_to_canonical (identity);
  if (!g_str_equal (again, text))
    return bad_identity (error, "the model identity is not in canonical form"), NULL;
  return g_steal_pointer (&identity);
}
