/* lk-safetensors.c: reading and writing .safetensors weight files.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opening a file validates it completely before anything else may look at it:
 *
 *   1. the 8-byte header length against the file length and the format's 100 MB limit;
 *   2. the header text: valid UTF-8 and strict JSON (json-glib alone accepts comments, single
 *      quotes, octal and hex numbers, trailing data, and nests without limit), see check_json ();
 *   3. the JSON tree: duplicate names, dtypes, shapes and data_offsets, see parse_tensor ();
 *   4. the tensors sorted by offset: no two of them overlap.
 *
 * The data area may start at any byte, so tensor data is always assembled byte by byte (or
 * memcpy'd), never cast to float *.
 */
#define G_LOG_DOMAIN "lk-safetensors"

#include "lk-safetensors.h"

#include "lk-file.h"
#include "lookalike.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADER_SIZE 100000000u                     /* the reference implementation's limit */
#define MAX_FILE_SIZE   (G_GUINT64_CONSTANT (4) << 30) /* ResNet-152 in F32 is 230 MB */
#define MAX_JSON_DEPTH  64                             /* a valid header needs 3 */
#define MAX_JSON_INT    (G_GUINT64_CONSTANT (1) << 53)
#define METADATA_KEY    "__metadata__"

struct _LkSafetensors
{
  /* owned */
  char *name;
  GBytes *bytes;
  GStringChunk *names;
  LkTensorInfo *tensors; /* n_tensors, in data-offset order */
  GHashTable *by_name;   /* name → LkTensorInfo in tensors */
  GHashTable *metadata;  /* key → value */
  char *sha256;          /* of bytes, made when first asked for */

  /* borrowed from bytes */
  const guint8 *data; /* the data area */
  guint64 data_size;

  guint n_tensors;
};

static const struct
{
  const char *name;
  gsize size;
} dtypes[] = {
  [LK_DTYPE_F32] = { "F32", 4 },         [LK_DTYPE_F16] = { "F16", 2 },
  [LK_DTYPE_BF16] = { "BF16", 2 },       [LK_DTYPE_F64] = { "F64", 8 },
  [LK_DTYPE_I64] = { "I64", 8 },         [LK_DTYPE_I32] = { "I32", 4 },
  [LK_DTYPE_I16] = { "I16", 2 },         [LK_DTYPE_I8] = { "I8", 1 },
  [LK_DTYPE_U64] = { "U64", 8 },         [LK_DTYPE_U32] = { "U32", 4 },
  [LK_DTYPE_U16] = { "U16", 2 },         [LK_DTYPE_U8] = { "U8", 1 },
  [LK_DTYPE_BOOL] = { "BOOL", 1 },       [LK_DTYPE_F8_E4M3] = { "F8_E4M3", 1 },
  [LK_DTYPE_F8_E5M2] = { "F8_E5M2", 1 },
};

const char *
lk_dtype_to_string (LkDtype dtype)
{
  if ((guint) dtype >= G_N_ELEMENTS (dtypes))
    return "unknown";
  return dtypes[dtype].name;
}

gsize
lk_dtype_size (LkDtype dtype)
{
  if ((guint) dtype >= G_N_ELEMENTS (dtypes))
    return 0;
  return dtypes[dtype].size;
}

static gboolean
dtype_from_string (const char *s, LkDtype *dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (strcmp (s, dtypes[i].name) == 0)
      {
        *dtype = (LkDtype) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
dtype_is_float (LkDtype dtype)
{
  return dtype == LK_DTYPE_F32 || dtype == LK_DTYPE_F16 || dtype == LK_DTYPE_BF16;
}

/* "[64, 3, 7, 7]"; -1 extents (wildcards) print as "?" */
static char *
format_shape (int n_dims, const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < n_dims; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      if (shape[i] < 0)
        g_string_append (s, "?");
      else
        g_string_append_printf (s, "%" G_GINT64_FORMAT, shape[i]);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* "[12, 0, 2, 1]": where element @flat of a tensor of @shape is */
static char *
format_index (int n_dims, const gint64 *shape, guint64 flat)
{
  gint64 index[LK_TENSOR_MAX_DIMS] = { 0 };
  GString *s = g_string_new ("[");

  for (int d = MIN (n_dims, LK_TENSOR_MAX_DIMS) - 1; d >= 0; d--)
    {
      guint64 extent = shape[d] > 0 ? (guint64) shape[d] : 1;
      index[d] = (gint64) (flat % extent);
      flat /= extent;
    }
  for (int d = 0; d < MIN (n_dims, LK_TENSOR_MAX_DIMS); d++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? ", " : "", index[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Strings from the file, shortened for an error message. */
static char *
excerpt (const char *s)
{
  g_autofree char *head = NULL;

  if (strlen (s) <= 40)
    return g_strdup (s);
  head = g_utf8_substring (s, 0, 32);
  return g_strconcat (head, "…", NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Header text                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A number, literal or string must end at whitespace, punctuation or the end of the text. */
static gboolean
is_json_delimiter (const char *json, gsize len, gsize i)
{
  return i == len || is_json_space (json[i]) || strchr (",:]}", json[i]) != NULL;
}

/* Scans a JSON number at json[*i] (strict grammar: no leading zeros, no hex, no bare '.').
 * Integers must fit in an int64: json-glib wraps the others around silently (it reads
 * -18446744073709551612 as 4). */
static gboolean
scan_number (const char *json, gsize len, gsize *i, const char **why)
{
  gsize p = *i, digits;
  gboolean negative = FALSE, integer = TRUE;

  if (p < len && json[p] == '-')
    {
      negative = TRUE;
      p++;
    }
  digits = p;
  if (p < len && json[p] == '0')
    p++;
  else if (p < len && json[p] >= '1' && json[p] <= '9')
    while (p < len && g_ascii_isdigit (json[p]))
      p++;
  else
    {
      *why = "a malformed number";
      return FALSE;
    }
  digits = p - digits;
  if (p < len && json[p] == '.')
    {
      p++;
      integer = FALSE;
      if (p == len || !g_ascii_isdigit (json[p]))
        {
          *why = "a malformed number";
          return FALSE;
        }
      while (p < len && g_ascii_isdigit (json[p]))
        p++;
    }
  if (p < len && (json[p] == 'e' || json[p] == 'E'))
    {
      p++;
      integer = FALSE;
      if (p < len && (json[p] == '+' || json[p] == '-'))
        p++;
      if (p == len || !g_ascii_isdigit (json[p]))
        {
          *why = "a malformed number";
          return FALSE;
        }
      while (p < len && g_ascii_isdigit (json[p]))
        p++;
    }
  if (integer
      && (digits > 19
          || (digits == 19
              && memcmp (json + p - 19, negative ? "9223372036854775808" : "9223372036854775807",
                         19)
                   > 0)))
    {
      *why = "an integer out of range";
      return FALSE;
    }
  *i = p;
  return TRUE;
}

/* Scans a JSON string starting at the quote json[*i]. */
static gboolean
scan_string (const char *json, gsize len, gsize *i, const char **why)
{
  gsize p = *i + 1;

  while (p < len)
    {
      guchar c = json[p];

      if (c == '"')
        {
          *i = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        {
          *why = "a control character in a string";
          *i = p;
          return FALSE;
        }
      if (c != '\\')
        {
          p++;
          continue;
        }
      if (p + 1 == len)
        break;
      c = json[p + 1];
      if (c == 'u')
        {
          if (len - p < 6 || !g_ascii_isxdigit (json[p + 2]) || !g_ascii_isxdigit (json[p + 3])
              || !g_ascii_isxdigit (json[p + 4]) || !g_ascii_isxdigit (json[p + 5]))
            {
              *why = "a bad \\u escape";
              *i = p;
              return FALSE;
            }
          if (strncmp (json + p + 2, "0000", 4) == 0)
            {
              *why = "a \\u0000 escape";
              *i = p;
              return FALSE;
            }
          p += 6;
        }
      else if (strchr ("\"\\/bfnrt", c) != NULL && c != '\0')
        p += 2;
      else
        {
          *why = "a bad escape";
          *i = p;
          return FALSE;
        }
    }
  *why = "an unterminated string";
  return FALSE;
}

/* Checks that the header is one strict JSON value, nested at most MAX_JSON_DEPTH deep, before
 * json-glib (lenient, recursive) sees it. The structure itself is left to json-glib. */
static gboolean
check_json (const char *json, gsize len, const char *name, GError **error)
{
  static const char *const literals[] = { "true", "false", "null" };
  const char *why = NULL;
  gsize i = 0;
  int depth = 0;
  gboolean seen_value = FALSE;

  while (i < len)
    {
      char c = json[i];
      gsize start = i;

      if (is_json_space (c))
        {
          i++;
          continue;
        }
      if (depth == 0 && seen_value)
        {
          why = "data after the JSON value";
          break;
        }
      seen_value = TRUE;

      if (c == '{' || c == '[')
        {
          if (++depth > MAX_JSON_DEPTH)
            {
              why = "nesting deeper than " G_STRINGIFY (MAX_JSON_DEPTH) " levels";
              break;
            }
          i++;
        }
      else if (c == '}' || c == ']')
        {
          if (depth == 0)
            {
              why = "an unbalanced bracket";
              break;
            }
          depth--;
          i++;
        }
      else if (c == ':' || c == ',')
        i++;
      else if (c == '"')
        {
          if (!scan_string (json, len, &i, &why))
            break;
        }
      else if (c == '-' || g_ascii_isdigit (c))
        {
          if (!scan_number (json, len, &i, &why))
            break;
          if (!is_json_delimiter (json, len, i))
            {
              why = "a malformed number";
              break;
            }
        }
      else
        {
          guint l;

          for (l = 0; l < G_N_ELEMENTS (literals); l++)
            {
              gsize n = strlen (literals[l]);

              if (len - i >= n && memcmp (json + i, literals[l], n) == 0
                  && is_json_delimiter (json, len, i + n))
                {
                  i += n;
                  break;
                }
            }
          if (l == G_N_ELEMENTS (literals))
            {
              why = "an unexpected character";
              break;
            }
        }
      if (why == NULL && i == start)
        why = "an unexpected character"; /* not reached; guards against an endless loop */
    }
  if (why == NULL && depth != 0)
    why = "an unterminated object or array";
  if (why == NULL && !seen_value)
    why = "no JSON value";
  if (why == NULL)
    return TRUE;

  g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
               "%s: header is not valid JSON (%s at byte %" G_GSIZE_FORMAT ")", name, why,
               (gsize) (8 + MIN (i, len)));
  return FALSE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Header tree                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

/* json-glib keeps the last of two members with the same name and drops the first without a word.
 * Its "object-member" signal still fires for both, so note each (object, name) pair. */
typedef struct
{
  GHashTable *seen; /* "object-pointer/name" */
  char *duplicate;  /* the first name seen twice */
} DuplicateCheck;

static void
object_member_cb (JsonParser *parser, JsonObject *object, const char *member_name,
                  gpointer user_data)
{
  DuplicateCheck *check = user_data;
  char *key;

  if (check->duplicate != NULL)
    return;
  key = g_strdup_printf ("%p/%s", (void *) object, member_name);
  if (!g_hash_table_add (check->seen, key))
    check->duplicate = g_strdup (member_name);
}

/* A non-negative integer up to 2^53 (json-glib gives int64 or double, by spelling). */
static gboolean
node_get_count (JsonNode *node, guint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);

      if (v < 0 || (guint64) v > MAX_JSON_INT)
        return FALSE;
      *out = (guint64) v;
      return TRUE;
    }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double v = json_node_get_double (node);

      if (!(v >= 0.0 && v <= (double) MAX_JSON_INT) || v != floor (v))
        return FALSE;
      *out = (guint64) v;
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_metadata (LkSafetensors *st, JsonNode *node, GError **error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: " METADATA_KEY " is not an object",
                   st->name);
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      gboolean key_ok = g_utf8_validate (key, -1, NULL);
      const char *s =
        JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING
          ? json_node_get_string (value)
          : NULL;

      if (!key_ok || s == NULL || !g_utf8_validate (s, -1, NULL))
        {
          g_autofree char *short_key = excerpt (key_ok ? key : "?");

          g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                       "%s: " METADATA_KEY " entry %s is not a UTF-8 string", st->name, short_key);
          return FALSE;
        }
      g_hash_table_replace (st->metadata, g_strdup (key), g_strdup (s));
    }
  return TRUE;
}

/* Fills @info from the header entry @node called @name (except info->name). */
static gboolean
parse_tensor (LkSafetensors *st, const char *name, JsonNode *node, LkTensorInfo *info,
              GError **error)
{
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *array;
  const char *dtype;
  guint64 begin, end, n_elements, n_bytes;
  gboolean too_big = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: tensor %s is not an object",
                   st->name, name);
      return FALSE;
    }
  object = json_node_get_object (node);

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node)
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: tensor %s has no dtype string",
                   st->name, name);
      return FALSE;
    }
  dtype = json_node_get_string (dtype_node);
  if (!dtype_from_string (dtype, &info->dtype))
    {
      g_autofree char *short_dtype = excerpt (g_utf8_validate (dtype, -1, NULL) ? dtype : "?");

      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: tensor %s has unknown dtype “%s”",
                   st->name, name, short_dtype);
      return FALSE;
    }

  shape_node = json_object_get_member (object, "shape");
  array = shape_node != NULL && JSON_NODE_HOLDS_ARRAY (shape_node)
            ? json_node_get_array (shape_node)
            : NULL;
  if (array == NULL || json_array_get_length (array) > LK_TENSOR_MAX_DIMS)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s: shape is not an array of at most %d dimensions", st->name, name,
                   LK_TENSOR_MAX_DIMS);
      return FALSE;
    }
  info->n_dims = (int) json_array_get_length (array);
  n_elements = 1;
  for (int d = 0; d < info->n_dims; d++)
    {
      guint64 extent;

      if (!node_get_count (json_array_get_element (array, d), &extent))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                       "%s: tensor %s: shape extent %d is not an integer from 0 to 2^53", st->name,
                       name, d);
          return FALSE;
        }
      info->shape[d] = (gint64) extent;
      if (!g_uint64_checked_mul (&n_elements, n_elements, extent))
        too_big = TRUE; /* reported against data_offsets below */
    }
  info->n_elements = n_elements;

  offsets_node = json_object_get_member (object, "data_offsets");
  array = offsets_node != NULL && JSON_NODE_HOLDS_ARRAY (offsets_node)
            ? json_node_get_array (offsets_node)
            : NULL;
  if (array == NULL || json_array_get_length (array) != 2
      || !node_get_count (json_array_get_element (array, 0), &begin)
      || !node_get_count (json_array_get_element (array, 1), &end))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s: data_offsets is not a pair of integers from 0 to 2^53", st->name,
                   name);
      return FALSE;
    }
  if (begin > end)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "] end before they begin",
                   st->name, name, begin, end);
      return FALSE;
    }
  if (end > st->data_size)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: truncated file (tensor %s: data_offsets [%" G_GUINT64_FORMAT
                   ", %" G_GUINT64_FORMAT "] run past the end of the %" G_GUINT64_FORMAT
                   "-byte data area)",
                   st->name, name, begin, end, st->data_size);
      return FALSE;
    }
  if (!too_big && !g_uint64_checked_mul (&n_bytes, n_elements, dtypes[info->dtype].size))
    too_big = TRUE;
  if (too_big || n_bytes != end - begin)
    {
      g_autofree char *shape = format_shape (info->n_dims, info->shape);
      g_autofree char *needs = too_big ? g_strdup ("more bytes than a file can hold")
                                       : g_strdup_printf ("%" G_GUINT64_FORMAT, n_bytes);

      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "] hold %" G_GUINT64_FORMAT " bytes, but shape %s of %s needs %s",
                   st->name, name, begin, end, end - begin, shape, dtypes[info->dtype].name, needs);
      return FALSE;
    }
  info->offset = begin;
  info->size = n_bytes;
  return TRUE;
}

static int
compare_by_offset (const void *a, const void *b)
{
  const LkTensorInfo *x = a, *y = b;

  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  if (x->size != y->size)
    return x->size < y->size ? -1 : 1;
  return strcmp (x->name, y->name);
}

static gboolean
parse_header (LkSafetensors *st, const char *json, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *duplicate = NULL;
  DuplicateCheck check = { seen, NULL };
  JsonNode *root;
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  const LkTensorInfo *last = NULL;
  guint n = 0;
  gulong handler;
  gboolean ok;

  handler = g_signal_connect (parser, "object-member", G_CALLBACK (object_member_cb), &check);
  ok = json_parser_load_from_data (parser, json, (gssize) len, &local_error);
  g_signal_handler_disconnect (parser, handler);
  duplicate = check.duplicate;
  g_hash_table_remove_all (seen);
  if (!ok)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: header is not valid JSON (%s)",
                   st->name, local_error->message);
      return FALSE;
    }
  if (duplicate != NULL)
    {
      g_autofree char *short_name =
        excerpt (g_utf8_validate (duplicate, -1, NULL) ? duplicate : "?");

      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: header names %s twice", st->name,
                   short_name);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: header is not a JSON object",
                   st->name);
      return FALSE;
    }
  object = json_node_get_object (root);

  st->tensors = g_new0 (LkTensorInfo, json_object_get_size (object));
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    {
      LkTensorInfo *info = &st->tensors[n];

      if (strcmp (name, METADATA_KEY) == 0)
        {
          if (!parse_metadata (st, node, error))
            return FALSE;
          continue;
        }
      if (!g_utf8_validate (name, -1, NULL))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                       "%s: a tensor name is not valid UTF-8", st->name);
          return FALSE;
        }
      if (!parse_tensor (st, name, node, info, error))
        return FALSE;
      info->name = g_string_chunk_insert (st->names, name);
      st->n_tensors = ++n;
    }

  if (st->n_tensors > 1)
    qsort (st->tensors, st->n_tensors, sizeof (LkTensorInfo), compare_by_offset);

  /* Sorted by offset, a tensor can only overlap the non-empty one before it that ends last. */
  for (guint i = 0; i < st->n_tensors; i++)
    {
      const LkTensorInfo *info = &st->tensors[i];

      if (info->size == 0)
        continue;
      if (last != NULL && info->offset < last->offset + last->size)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                       "%s: tensor %s: data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       "] overlap tensor %s [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                       st->name, last->name, last->offset, last->offset + last->size, info->name,
                       info->offset, info->offset + info->size);
          return FALSE;
        }
      last = info;
    }

  for (guint i = 0; i < st->n_tensors; i++)
    g_hash_table_insert (st->by_name, (gpointer) st->tensors[i].name, &st->tensors[i]);
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Opening                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

LkSafetensors *
lk_safetensors_new_from_bytes (GBytes *bytes, const char *name, GError **error)
{
  g_autoptr (LkSafetensors) st = NULL;
  g_autofree char *json = NULL;
  const guint8 *contents;
  gsize size;
  guint64 header_size;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  st = g_new0 (LkSafetensors, 1);
  st->name = g_strdup (name != NULL ? name : "(memory)");
  st->bytes = g_bytes_ref (bytes);
  st->names = g_string_chunk_new (4096);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  contents = g_bytes_get_data (bytes, &size);
  if (size < 8)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: truncated file (%" G_GSIZE_FORMAT " bytes, too short for the 8-byte header "
                   "length)",
                   st->name, size);
      return NULL;
    }
  memcpy (&header_size, contents, 8);
  header_size = GUINT64_FROM_LE (header_size);
  if (header_size > size - 8)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: header length %" G_GUINT64_FORMAT
                   " runs past the end of the %" G_GSIZE_FORMAT "-byte file",
                   st->name, header_size, size);
      return NULL;
    }
  if (header_size > MAX_HEADER_SIZE)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: header length %" G_GUINT64_FORMAT " is over the format's limit of %u bytes",
                   st->name, header_size, MAX_HEADER_SIZE);
      return NULL;
    }
  st->data = contents + 8 + header_size;
  st->data_size = size - 8 - header_size;

  if (!g_utf8_validate_len ((const char *) contents + 8, header_size, NULL))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: header is not valid UTF-8 text",
                   st->name);
      return NULL;
    }
  if (!check_json ((const char *) contents + 8, header_size, st->name, error))
    return NULL;
  json = g_strndup ((const char *) contents + 8, header_size); /* NUL-terminated for json-glib */
  if (!parse_header (st, json, header_size, error))
    return NULL;

  return g_steal_pointer (&st);
}

LkSafetensors *
lk_safetensors_open (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *name = NULL;
  g_autoptr (GError) local = NULL;
  LkFileInfo info;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* read, not mapped: weights replaced while they load must not kill the process */
  name = g_path_get_basename (path);
  bytes = lk_file_read (AT_FDCWD, path, name, "a weights file", MAX_FILE_SIZE, &info, &local);
  if (bytes == NULL && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    {
      /* an empty file: the same message as for empty bytes */
      bytes = g_bytes_new_static ("", 0);
      return lk_safetensors_new_from_bytes (bytes, name, error);
    }
  if (bytes == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
          || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error_literal (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, local->message);
      return NULL;
    }
  if (info.changed)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: changed while it was read; try again when it is written", name);
      return NULL;
    }
  return lk_safetensors_new_from_bytes (bytes, name, error);
}

const char *
lk_safetensors_get_sha256 (LkSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);

  if (st->sha256 == NULL)
    st->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, st->bytes);
  return st->sha256;
}

void
lk_safetensors_free (LkSafetensors *st)
{
  if (st == NULL)
    return;
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->tensors, g_free);
  g_clear_pointer (&st->names, g_string_chunk_free);
  g_clear_pointer (&st->bytes, g_bytes_unref);
  g_clear_pointer (&st->name, g_free);
  g_clear_pointer (&st->sha256, g_free);
  g_free (st);
}

const char *
lk_safetensors_get_name (LkSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);
  return st->name;
}

guint
lk_safetensors_get_n_tensors (LkSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);
  return st->n_tensors;
}

const LkTensorInfo *
lk_safetensors_get_tensor (LkSafetensors *st, guint index)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (index < st->n_tensors, NULL);
  return &st->tensors[index];
}

const LkTensorInfo *
lk_safetensors_lookup (LkSafetensors *st, const char *name)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (st->by_name, name);
}

const char *
lk_safetensors_get_metadata (LkSafetensors *st, const char *key)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return g_hash_table_lookup (st->metadata, key);
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

/* IEEE 754 binary16 → binary32 bits, exact for every input (NaN payloads kept). */
static guint32
f16_to_f32_bits (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exponent = (h >> 10) & 0x1fu;
  guint32 mantissa = h & 0x3ffu;

  if (exponent == 0x1f) /* inf, NaN */
    return sign | 0x7f800000u | (mantissa << 13);
  if (exponent != 0) /* normal: rebias 15 → 127 */
    return sign | ((exponent + 112) << 23) | (mantissa << 13);
  if (mantissa == 0) /* ±0 */
    return sign;

  /* subnormal: mantissa × 2^-24; shift the leading one up to the implicit bit */
  exponent = 113;
  while ((mantissa & 0x400u) == 0)
    {
      mantissa <<= 1;
      exponent--;
    }
  return sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
}

static float
float_from_bits (guint32 bits)
{
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

float *
lk_safetensors_read_f32 (LkSafetensors *st, const char *name, int n_dims, const gint64 *shape,
                         GError **error)
{
  const LkTensorInfo *info;
  const guint8 *src;
  float *out;

  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (shape == NULL || n_dims >= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  info = lk_safetensors_lookup (st, name);
  if (info == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "%s: no tensor named %s", st->name, name);
      return NULL;
    }
  if (!dtype_is_float (info->dtype))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                   "%s: tensor %s has dtype %s, expected F32, F16 or BF16", st->name, name,
                   lk_dtype_to_string (info->dtype));
      return NULL;
    }
  if (shape != NULL)
    {
      gboolean match = n_dims == info->n_dims;

      for (int d = 0; match && d < n_dims; d++)
        match = shape[d] < 0 || shape[d] == info->shape[d];
      if (!match)
        {
          g_autofree char *actual = format_shape (info->n_dims, info->shape);
          g_autofree char *expected = format_shape (n_dims, shape);

          g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                       "%s: tensor %s has shape %s, expected %s", st->name, name, actual, expected);
          return NULL;
        }
    }

  /* n_elements × 4 is at most twice the data area, which is in memory already */
  if (info->n_elements > G_MAXSIZE / sizeof (float)
      || (out = g_try_malloc (MAX (info->n_elements, 1) * sizeof (float))) == NULL)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "%s: not enough memory to read tensor %s (%" G_GUINT64_FORMAT " floats)",
                   st->name, name, info->n_elements);
      return NULL;
    }

  src = st->data + info->offset;
  switch (info->dtype)
    {
    case LK_DTYPE_F32:
      memcpy (out, src, info->n_elements * sizeof (float));
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
      for (guint64 i = 0; i < info->n_elements; i++)
        {
          guint32 bits;

          memcpy (&bits, &out[i], 4);
          bits = GUINT32_FROM_LE (bits);
          memcpy (&out[i], &bits, 4);
        }
#endif
      break;
    case LK_DTYPE_F16:
      for (guint64 i = 0; i < info->n_elements; i++)
        out[i] = float_from_bits (f16_to_f32_bits ((guint16) (src[2 * i] | src[2 * i + 1] << 8)));
      break;
    case LK_DTYPE_BF16:
      for (guint64 i = 0; i < info->n_elements; i++)
        out[i] = float_from_bits ((guint32) (src[2 * i] | src[2 * i + 1] << 8) << 16);
      break;
    default:
      g_assert_not_reached ();
    }
  return out;
}

float *
lk_safetensors_read_weights (LkSafetensors *st, const char *name, int n_dims, const gint64 *shape,
                             GError **error)
{
  g_autofree float *out = lk_safetensors_read_f32 (st, name, n_dims, shape, error);
  const LkTensorInfo *info;

  if (out == NULL)
    return NULL;
  info = lk_safetensors_lookup (st, name);
  /* a NaN or an infinity would spread through every vector the network makes */
  for (guint64 i = 0; i < info->n_elements; i++)
    if (!isfinite (out[i]))
      {
        g_autofree char *where = format_index (info->n_dims, info->shape, i);
        g_set_error (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                     "%s: tensor %s holds %s at %s: the weights are damaged", st->name, name,
                     isnan (out[i]) ? "NaN" : "an infinite value", where);
        return NULL;
      }
  return g_steal_pointer (&out);
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

static void
append_json_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const char *p = str; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (s, '\\');
          g_string_append_c (s, c);
        }
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (s, "\\u%04x", c);
      else
        g_string_append_c (s, c);
    }
  g_string_append_c (s, '"');
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The header JSON, padded with spaces to a multiple of 8 bytes. */
static char *
build_header (const char *path, const LkTensorWrite *tensors, gsize n, GHashTable *metadata,
              gsize *length, GError **error)
{
  g_autoptr (GString) s = g_string_new ("{");
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *display = g_filename_display_name (path);
  guint64 offset = 0;
  gboolean first = TRUE;

  if (metadata != NULL && g_hash_table_size (metadata) > 0)
    {
      guint n_keys;
      g_autofree const char **keys =
        (const char **) g_hash_table_get_keys_as_array (metadata, &n_keys);

      qsort (keys, n_keys, sizeof (char *), compare_strings);
      g_string_append (s, "\"" METADATA_KEY "\":{");
      for (guint i = 0; i < n_keys; i++)
        {
          const char *value = g_hash_table_lookup (metadata, keys[i]);

          if (value == NULL || !g_utf8_validate (keys[i], -1, NULL)
              || !g_utf8_validate (value, -1, NULL))
            {
              g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                           "%s: metadata must be UTF-8 strings", display);
              return NULL;
            }
          if (i > 0)
            g_string_append_c (s, ',');
          append_json_string (s, keys[i]);
          g_string_append_c (s, ':');
          append_json_string (s, value);
        }
      g_string_append_c (s, '}');
      first = FALSE;
    }

  for (gsize t = 0; t < n; t++)
    {
      const LkTensorWrite *tensor = &tensors[t];
      guint64 n_elements = 1, size;
      gboolean ok;

      if (tensor->name == NULL || !g_utf8_validate (tensor->name, -1, NULL)
          || strcmp (tensor->name, METADATA_KEY) == 0)
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "%s: tensor %" G_GSIZE_FORMAT " has no valid name", display, t);
          return NULL;
        }
      if (!g_hash_table_add (names, (gpointer) tensor->name))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "%s: tensor %s is listed twice",
                       display, tensor->name);
          return NULL;
        }
      ok = tensor->n_dims >= 0 && tensor->n_dims <= LK_TENSOR_MAX_DIMS;
      for (int d = 0; ok && d < tensor->n_dims; d++)
        ok = tensor->shape[d] >= 0
             && g_uint64_checked_mul (&n_elements, n_elements, (guint64) tensor->shape[d]);
      if (!ok || !g_uint64_checked_mul (&size, n_elements, sizeof (float))
          || !g_uint64_checked_add (&offset, offset, size) || offset > MAX_JSON_INT
          || (size > 0 && tensor->data == NULL))
        {
          g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                       "%s: tensor %s has an invalid shape or no data", display, tensor->name);
          return NULL;
        }

      if (!first)
        g_string_append_c (s, ',');
      first = FALSE;
      append_json_string (s, tensor->name);
      g_string_append (s, ":{\"dtype\":\"F32\",\"shape\":[");
      for (int d = 0; d < tensor->n_dims; d++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d > 0 ? "," : "", tensor->shape[d]);
      g_string_append_printf (s,
                              "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                              offset - size, offset);
    }
  g_string_append_c (s, '}');
  while (s->len % 8 != 0)
    g_string_append_c (s, ' ');

  *length = s->len;
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
write_all (int fd, const void *buffer, gsize length)
{
  const guint8 *p = buffer;

  while (length > 0)
    {
      gssize n = write (fd, p, MIN (length, (gsize) 1 << 30));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = ENOSPC;
          return FALSE;
        }
      p += n;
      length -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_floats (int fd, const float *data, guint64 n)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return write_all (fd, data, n * sizeof (float));
#else
  guint32 buffer[4096];

  while (n > 0)
    {
      gsize chunk = MIN (n, G_N_ELEMENTS (buffer));

      memcpy (buffer, data, chunk * sizeof (float));
      for (gsize i = 0; i < chunk; i++)
        buffer[i] = GUINT32_TO_LE (buffer[i]);
      if (!write_all (fd, buffer, chunk * sizeof (float)))
        return FALSE;
      data += chunk;
      n -= chunk;
    }
  return TRUE;
#endif
}

gboolean
lk_safetensors_write (const char *path, const LkTensorWrite *tensors, gsize n, GHashTable *metadata,
                      GError **error)
{
  g_autofree char *display = NULL;
  g_autofree char *header = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  const char *what;
  gsize header_length;
  guint64 length_le;
  int fd, saved_errno;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (tensors != NULL || n == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  header = build_header (path, tensors, n, metadata, &header_length, error);
  if (header == NULL)
    return FALSE;

  display = g_filename_display_name (path);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_path = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: cannot create a temporary file beside it: %s", display,
                   g_strerror (saved_errno));
      return FALSE;
    }

  what = "cannot write";
  length_le = GUINT64_TO_LE ((guint64) header_length);
  if (!write_all (fd, &length_le, 8) || !write_all (fd, header, header_length))
    goto fail;
  for (gsize t = 0; t < n; t++)
    {
      guint64 n_elements = 1;

      for (int d = 0; d < tensors[t].n_dims; d++)
        n_elements *= (guint64) tensors[t].shape[d]; /* checked in build_header () */
      if (n_elements > 0 && !write_floats (fd, tensors[t].data, n_elements))
        goto fail;
    }
  if (g_fsync (fd) != 0)
    goto fail;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  what = "cannot replace";
  if (g_rename (tmp_path, path) != 0)
    goto fail;
  return TRUE;

fail:
  saved_errno = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (tmp_path);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "%s: %s: %s", display,
               what, g_strerror (saved_errno));
  return FALSE;
}
