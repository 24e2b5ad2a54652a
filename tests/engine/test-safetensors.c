/* test-safetensors.c: reading, validating and writing .safetensors files.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every file is built here, byte by byte, in a temporary folder: no fixtures.
 */
#include "store/lk-safetensors.h"
#include "lookalike.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

static char *tmp_dir;

/* ---------------------------------------------------------------------------------------------- */
/* Helpers                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

/* 8-byte little-endian @header_length, then @header, then @data. */
static GBytes *
make_raw (guint64 header_length, const char *header, gsize header_size, const void *data,
          gsize data_size)
{
  GByteArray *a = g_byte_array_new ();
  guint8 le[8];

  for (int i = 0; i < 8; i++)
    le[i] = (guint8) (header_length >> (8 * i));
  g_byte_array_append (a, le, 8);
  if (header_size > 0)
    g_byte_array_append (a, (const guint8 *) header, (guint) header_size);
  if (data_size > 0)
    g_byte_array_append (a, data, (guint) data_size);
  return g_byte_array_free_to_bytes (a);
}

/* A well-formed file around @header (any text) and @data. */
static GBytes *
make_file (const char *header, const void *data, gsize data_size)
{
  return make_raw (strlen (header), header, strlen (header), data, data_size);
}

static char *
save (const char *file_name, GBytes *bytes)
{
  char *path = g_build_filename (tmp_dir, file_name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                       &error);
  g_assert_no_error (error);
  return path;
}

static GBytes *
load (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents;
  gsize length;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static guint
count_files (const char *dir_path)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Asserts @error is @domain/@code and its message contains each of the NULL-terminated strings. */
static void
assert_error_mentions (const GError *error, GQuark domain, int code, ...)
{
  va_list args;
  const char *needle;

  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, domain, code);
  va_start (args, code);
  while ((needle = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("message “%s” does not mention “%s”", error->message, needle);
  va_end (args);
}

/* Opens @bytes as @file_name both from disk and from memory and expects LK_ERROR_BAD_WEIGHTS
 * naming the file and each of the NULL-terminated strings in @needles. */
static void
expect_bad (const char *file_name, GBytes *bytes, const char *const *needles)
{
  g_autofree char *path = save (file_name, bytes);

  for (int from_memory = 0; from_memory < 2; from_memory++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (LkSafetensors) st = NULL;

      st = from_memory ? lk_safetensors_new_from_bytes (bytes, file_name, &error)
                       : lk_safetensors_open (path, &error);
      g_assert_null (st);
      assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, file_name, NULL);
      for (int i = 0; needles != NULL && needles[i] != NULL; i++)
        assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, needles[i], NULL);
    }
  g_unlink (path);
}

static void
expect_bad_header (const char *file_name, const char *header, gsize data_size,
                   const char *const *needles)
{
  g_autofree guint8 *data = g_malloc0 (MAX (data_size, 1));
  g_autoptr (GBytes) bytes = make_file (header, data, data_size);

  expect_bad (file_name, bytes, needles);
}

static LkSafetensors *
open_ok (const char *file_name, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  LkSafetensors *st = lk_safetensors_new_from_bytes (bytes, file_name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (st);
  return st;
}

static guint32
bits_of (float f)
{
  guint32 b;

  memcpy (&b, &f, 4);
  return b;
}

static float
float_of (guint32 b)
{
  float f;

  memcpy (&f, &b, 4);
  return f;
}

static void
put_le16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) v;
  p[1] = (guint8) (v >> 8);
}

static void
put_le32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

/* ---------------------------------------------------------------------------------------------- */
/* Round trip                                                                                     */
/* ---------------------------------------------------------------------------------------------- */

static void
test_round_trip (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "round-trip.safetensors", NULL);
  g_autoptr (GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (LkSafetensors) st = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *conv = NULL, *scalar_out = NULL, *bias_out = NULL, *empty_out = NULL;
  g_autofree float *weird_out = NULL;
  const char *weird = "we\"ird\\name\n\x01 ünï";
  float weights[2 * 3 * 2 * 2];
  float scalar = 3.5f;
  float bias[5] = { -0.0f, INFINITY, -INFINITY, 1e-45f, 0 };
  float weird_data[1] = { 42.0f };
  const LkTensorInfo *info;
  guint64 header_length;
  guint n_before;

  for (guint i = 0; i < G_N_ELEMENTS (weights); i++)
    weights[i] = (float) i * 0.25f - 1.0f;
  bias[4] = float_of (0x7fc00123u); /* a NaN with a payload */

  LkTensorWrite tensors[] = {
    { "conv1.weight", 4, { 2, 3, 2, 2 }, weights },
    { "scalar", 0, { 0 }, &scalar },
    { "empty", 2, { 0, 4 }, NULL },
    { "bias", 1, { 5 }, bias },
    { weird, 1, { 1 }, weird_data },
  };

  g_hash_table_insert (metadata, "format", "pt");
  g_hash_table_insert (metadata, "note", "a \"quoted\"\tvalue, ünïcode");

  /* write twice: the second replaces the first */
  n_before = count_files (tmp_dir);
  g_assert_true (lk_safetensors_write (path, tensors, 2, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (lk_safetensors_write (path, tensors, G_N_ELEMENTS (tensors), metadata, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (tmp_dir), ==, n_before + 1); /* no temporary file left */

  /* the data area starts at a multiple of 8 */
  bytes = load (path);
  g_assert_cmpuint (g_bytes_get_size (bytes), >=, 8);
  memcpy (&header_length, g_bytes_get_data (bytes, NULL), 8);
  header_length = GUINT64_FROM_LE (header_length);
  g_assert_cmpuint (header_length % 8, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 8 + header_length + 4 * (24 + 1 + 5 + 1));

  st = lk_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (st);
  g_assert_cmpstr (lk_safetensors_get_name (st), ==, "round-trip.safetensors");
  g_assert_cmpstr (lk_safetensors_get_metadata (st, "format"), ==, "pt");
  g_assert_cmpstr (lk_safetensors_get_metadata (st, "note"), ==, "a \"quoted\"\tvalue, ünïcode");
  g_assert_null (lk_safetensors_get_metadata (st, "missing"));

  /* in data-offset order, which is the order written; the empty tensor sorts first at its offset */
  g_assert_cmpuint (lk_safetensors_get_n_tensors (st), ==, 5);
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 0)->name, ==, "conv1.weight");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 1)->name, ==, "scalar");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 2)->name, ==, "empty");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 3)->name, ==, "bias");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 4)->name, ==, weird);

  info = lk_safetensors_lookup (st, "conv1.weight");
  g_assert_nonnull (info);
  g_assert_cmpint (info->dtype, ==, LK_DTYPE_F32);
  g_assert_cmpint (info->n_dims, ==, 4);
  g_assert_cmpint (info->shape[0], ==, 2);
  g_assert_cmpint (info->shape[3], ==, 2);
  g_assert_cmpuint (info->n_elements, ==, 24);
  g_assert_cmpuint (info->offset, ==, 0);
  g_assert_cmpuint (info->size, ==, 96);
  conv = lk_safetensors_read_f32 (st, "conv1.weight", 4, (gint64[]){ 2, 3, 2, 2 }, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (conv, sizeof weights, weights, sizeof weights);

  info = lk_safetensors_lookup (st, "scalar");
  g_assert_cmpint (info->n_dims, ==, 0);
  g_assert_cmpuint (info->n_elements, ==, 1);
  g_assert_cmpuint (info->offset, ==, 96);
  scalar_out = lk_safetensors_read_f32 (st, "scalar", 0, (gint64[]){ 0 }, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (scalar_out[0], ==, 3.5f);

  info = lk_safetensors_lookup (st, "empty");
  g_assert_cmpint (info->n_dims, ==, 2);
  g_assert_cmpuint (info->n_elements, ==, 0);
  g_assert_cmpuint (info->size, ==, 0);
  empty_out = lk_safetensors_read_f32 (st, "empty", 2, (gint64[]){ 0, 4 }, &error);
  g_assert_no_error (error);
  g_assert_nonnull (empty_out);

  bias_out = lk_safetensors_read_f32 (st, "bias", 1, (gint64[]){ 5 }, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 5; i++)
    g_assert_cmphex (bits_of (bias_out[i]), ==, bits_of (bias[i]));

  weird_out = lk_safetensors_read_f32 (st, weird, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (weird_out[0], ==, 42.0f);

  g_assert_null (lk_safetensors_lookup (st, "fc.weight"));
  g_unlink (path);
}

/* ---------------------------------------------------------------------------------------------- */
/* Conversions                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

/* One @dtype tensor "t" holding @n 16-bit @values, with the data area at an odd offset. */
static LkSafetensors *
open_16bit (const char *dtype, const guint16 *values, gsize n)
{
  g_autofree char *header = g_strdup_printf ("{\"t\":{\"dtype\":\"%s\",\"shape\":[%" G_GSIZE_FORMAT
                                             "],\"data_offsets\":[0,%" G_GSIZE_FORMAT "]}}",
                                             dtype, n, 2 * n);
  g_autofree char *padded = NULL;
  g_autofree guint8 *data = g_malloc (2 * n);
  g_autoptr (GBytes) bytes = NULL;

  /* pad to an odd length so the data cannot be read through an aligned pointer */
  padded = strlen (header) % 2 ? g_strdup (header) : g_strconcat (header, " ", NULL);
  for (gsize i = 0; i < n; i++)
    put_le16 (data + 2 * i, values[i]);
  bytes = make_file (padded, data, 2 * n);
  return open_ok ("half.safetensors", bytes);
}

static void
test_f16 (void)
{
  static const struct
  {
    guint16 half;
    guint32 single;
  } cases[] = {
    { 0x0000, 0x00000000 }, /* +0 */
    { 0x8000, 0x80000000 }, /* -0 */
    { 0x3c00, 0x3f800000 }, /* 1 */
    { 0xc000, 0xc0000000 }, /* -2 */
    { 0x3555, 0x3eaaa000 }, /* 0.333251953125 */
    { 0x7bff, 0x477fe000 }, /* 65504, the largest half */
    { 0x0400, 0x38800000 }, /* 2^-14, the smallest normal */
    { 0x03ff, 0x387fc000 }, /* the largest subnormal */
    { 0x0001, 0x33800000 }, /* 2^-24, the smallest subnormal */
    { 0x8001, 0xb3800000 }, /* -2^-24 */
    { 0x0200, 0x38000000 }, /* 2^-15 */
    { 0x7c00, 0x7f800000 }, /* +inf */
    { 0xfc00, 0xff800000 }, /* -inf */
    { 0x7e00, 0x7fc00000 }, /* quiet NaN */
    { 0x7c01, 0x7f802000 }, /* signalling NaN, payload kept */
    { 0xfe01, 0xffc02000 }, /* negative NaN with payload */
  };
  guint16 halves[G_N_ELEMENTS (cases)];
  g_autoptr (LkSafetensors) st = NULL;
  g_autoptr (LkSafetensors) all = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *out = NULL, *every = NULL;
  g_autofree guint16 *patterns = g_new (guint16, 65536);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    halves[i] = cases[i].half;
  st = open_16bit ("F16", halves, G_N_ELEMENTS (cases));
  g_assert_cmpint (lk_safetensors_lookup (st, "t")->dtype, ==, LK_DTYPE_F16);
  out = lk_safetensors_read_f32 (st, "t", 1, (gint64[]){ G_N_ELEMENTS (cases) }, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("half 0x%04x", cases[i].half);
      g_assert_cmphex (bits_of (out[i]), ==, cases[i].single);
    }

  /* every half against the definition: (-1)^s × 2^(e - 15) × 1.m, or 2^-14 × 0.m */
  for (guint i = 0; i < 65536; i++)
    patterns[i] = (guint16) i;
  all = open_16bit ("F16", patterns, 65536);
  every = lk_safetensors_read_f32 (all, "t", 1, (gint64[]){ -1 }, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 65536; i++)
    {
      guint e = (i >> 10) & 0x1f, m = i & 0x3ff;
      float sign = (i & 0x8000) ? -1.0f : 1.0f;

      if (e == 0x1f && m != 0)
        {
          g_assert_true (isnan (every[i]));
          g_assert_cmphex (bits_of (every[i]), ==, ((i & 0x8000u) << 16) | 0x7f800000u | (m << 13));
          continue;
        }
      float expected = e == 0x1f ? sign * INFINITY
                       : e == 0  ? sign * ldexpf ((float) m, -24)
                                 : sign * ldexpf ((float) (m + 1024), (int) e - 25);
      if (bits_of (every[i]) != bits_of (expected))
        g_error ("half 0x%04x gave 0x%08x, expected 0x%08x", i, bits_of (every[i]),
                 bits_of (expected));
    }
}

static void
test_bf16 (void)
{
  static const guint16 values[] = {
    0x0000, 0x8000, 0x3f80, 0xc000, 0x7f7f, 0x0080, 0x0001, 0x807f, 0x7f80, 0xff80, 0x7fc0, 0x7f81,
  };
  g_autoptr (LkSafetensors) st = open_16bit ("BF16", values, G_N_ELEMENTS (values));
  g_autoptr (GError) error = NULL;
  g_autofree float *out = NULL;

  g_assert_cmpint (lk_safetensors_lookup (st, "t")->dtype, ==, LK_DTYPE_BF16);
  out = lk_safetensors_read_f32 (st, "t", 1, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_assert_cmphex (bits_of (out[i]), ==, (guint32) values[i] << 16);
  g_assert_cmpfloat (out[2], ==, 1.0f);
  g_assert_cmpfloat (out[3], ==, -2.0f);
  g_assert_true (isinf (out[8]) && out[8] > 0);
  g_assert_true (isnan (out[10]));
}

static void
test_f32_unaligned (void)
{
  const char *header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[1,13]}}";
  guint8 data[13] = { 0xee };
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LkSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *out = NULL;

  put_le32 (data + 1, 0x3f800000u);
  put_le32 (data + 5, 0xc0490fdbu); /* -pi */
  put_le32 (data + 9, 0x00000001u); /* the smallest subnormal */
  bytes = make_file (header, data, sizeof data);
  st = open_ok ("unaligned.safetensors", bytes);
  out = lk_safetensors_read_f32 (st, "t", 1, (gint64[]){ 3 }, &error);
  g_assert_no_error (error);
  g_assert_cmphex (bits_of (out[0]), ==, 0x3f800000u);
  g_assert_cmphex (bits_of (out[1]), ==, 0xc0490fdbu);
  g_assert_cmphex (bits_of (out[2]), ==, 0x00000001u);
}

/* ---------------------------------------------------------------------------------------------- */
/* Broken files                                                                                   */
/* ---------------------------------------------------------------------------------------------- */

static const char two_tensors[] =
  "{\"__metadata__\":{\"format\":\"pt\"},"
  "\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
  "\"bn1.weight\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]}}";

static void
test_valid_by_hand (void)
{
  guint8 data[24] = { 0 };
  g_autoptr (GBytes) bytes = make_file (two_tensors, data, sizeof data);
  g_autoptr (LkSafetensors) st = open_ok ("hand.safetensors", bytes);

  /* the control for the broken variants below */
  g_assert_cmpuint (lk_safetensors_get_n_tensors (st), ==, 2);
  g_assert_cmpstr (lk_safetensors_get_metadata (st, "format"), ==, "pt");
  g_assert_cmpuint (lk_safetensors_lookup (st, "bn1.weight")->offset, ==, 16);
}

static void
test_truncated_data (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "cut.safetensors", NULL);
  float values[64] = { 0 };
  LkTensorWrite tensor = { "layer4.1.bn2.running_var", 2, { 8, 8 }, values };
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) whole = NULL, cut = NULL;

  g_assert_true (lk_safetensors_write (path, &tensor, 1, NULL, &error));
  g_assert_no_error (error);
  whole = load (path);
  g_unlink (path);

  cut = g_bytes_new_from_bytes (whole, 0, g_bytes_get_size (whole) - 3);
  expect_bad ("cut.safetensors", cut,
              (const char *const[]){ "truncated", "layer4.1.bn2.running_var", NULL });
}

static void
test_truncated_header (void)
{
  g_autoptr (GBytes) whole = make_file (two_tensors, "", 0);
  g_autoptr (GBytes) cut = g_bytes_new_from_bytes (whole, 0, 40);
  g_autoptr (GBytes) tiny = g_bytes_new_from_bytes (whole, 0, 5);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);

  expect_bad ("header-cut.safetensors", cut, (const char *const[]){ "runs past the end", NULL });
  expect_bad ("tiny.safetensors", tiny, (const char *const[]){ "truncated", NULL });
  expect_bad ("empty.safetensors", empty, (const char *const[]){ "truncated", NULL });
}

static void
test_header_past_eof (void)
{
  const char *header = "{}      ";
  g_autoptr (GBytes) bytes = make_raw (123456789, header, strlen (header), NULL, 0);

  expect_bad ("resnet50.safetensors", bytes,
              (const char *const[]){
                "resnet50.safetensors: header length 123456789 runs past the end of the 16-byte "
                "file",
                NULL });
}

static void
test_absurd_header_length (void)
{
  const char *header = "{}      ";
  g_autoptr (GBytes) huge = make_raw (G_GUINT64_CONSTANT (1) << 63, header, 8, NULL, 0);
  g_autoptr (GBytes) all_ones = make_raw (G_MAXUINT64, header, 8, NULL, 0);
  g_autoptr (GBytes) over_limit = NULL;
  g_autofree char *big = g_malloc (100000001);

  expect_bad ("absurd.safetensors", huge, (const char *const[]){ "9223372036854775808", NULL });
  expect_bad ("ones.safetensors", all_ones, (const char *const[]){ "18446744073709551615", NULL });

  /* inside the file but over the format's limit */
  memset (big, ' ', 100000001);
  big[0] = '{';
  big[1] = '}';
  over_limit = make_raw (100000001, big, 100000001, NULL, 0);
  expect_bad ("limit.safetensors", over_limit, (const char *const[]){ "limit", NULL });
}

static void
test_not_json (void)
{
  static const char *const headers[] = {
    "this is not json",
    "{\"a\":",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}",          /* unterminated */
    "{/* comment */}",                                                         /* not JSON */
    "{'a':{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",           /* single quotes */
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0x4]}}",       /* hex */
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,04]}}",        /* octal */
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}} {}",      /* trailing value */
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}} x",       /* trailing junk */
    "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", /* NUL in a name */
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}\xff",     /* not UTF-8 */
    "{\"\tab\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",      /* raw control */
    "",
    "   ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      {
        /* the headers are deliberately broken, some not even UTF-8: escape them for the log */
        g_autofree char *shown = g_strescape (headers[i], NULL);
        g_test_message ("header %u: %s", i, shown);
      }
      expect_bad_header ("text.safetensors", headers[i], 4, NULL);
    }

  /* a NUL byte in the header */
  {
    const char header[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}\0   ";
    g_autoptr (GBytes) bytes = make_raw (sizeof header - 1, header, sizeof header - 1, "abcd", 4);

    expect_bad ("nul.safetensors", bytes, (const char *const[]){ "UTF-8", NULL });
  }
}

static void
test_big_integers (void)
{
  /* json-glib wraps integers beyond int64 around (it reads the last one as 4) */
  static const char *const headers[] = {
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[18446744073709551617],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775808]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,18446744073709551620]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-9223372036854775809]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-18446744073709551612]}}",
  };
  /* in range, so json-glib reads them exactly; then the field checks refuse them */
  static const char *const in_range[] = {
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775807]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-9223372036854775808]}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    expect_bad_header ("big.safetensors", headers[i], 8,
                       (const char *const[]){ "integer out of range", NULL });
  for (guint i = 0; i < G_N_ELEMENTS (in_range); i++)
    expect_bad_header ("big.safetensors", in_range[i], 8,
                       (const char *const[]){ "t.w", "data_offsets", NULL });
}

static void
test_deep_nesting (void)
{
  /* a million open brackets would overflow json-glib's recursive parser */
  gsize n = 1000000;
  g_autofree char *header = g_malloc (n + 1);

  memset (header, '[', n);
  header[n] = '\0';
  expect_bad_header ("deep.safetensors", header, 0, (const char *const[]){ "nesting", NULL });

  /* 64 levels is fine as JSON (then it is not a safetensors header) */
  memset (header, '[', 64);
  memset (header + 64, ']', 64);
  header[128] = '\0';
  expect_bad_header ("deep.safetensors", header, 0,
                     (const char *const[]){ "not a JSON object", NULL });
}

static void
test_root_not_object (void)
{
  static const char *const headers[] = { "[1,2]", "\"x\"", "null", "42" };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    expect_bad_header ("root.safetensors", headers[i], 0,
                       (const char *const[]){ "not a JSON object", NULL });
}

static void
test_overlap (void)
{
  const char *header =
    "{\"bn1.weight\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[64,128]},"
    "\"conv1.weight\":{\"dtype\":\"U8\",\"shape\":[100],\"data_offsets\":[0,100]}}";
  const char *inside = "{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
  const char *empty_inside = "{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]},"
                             "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
                             "\"c\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[32,32]}}";
  guint8 data[128] = { 0 };
  g_autoptr (GBytes) ok_bytes = make_file (empty_inside, data, sizeof data);
  g_autoptr (LkSafetensors) st = NULL;

  expect_bad_header ("x.safetensors", header, 128,
                     (const char *const[]){
                       "x.safetensors: tensor conv1.weight: data_offsets [0, 100] overlap tensor "
                       "bn1.weight [64, 128]",
                       NULL });
  expect_bad_header (
    "inside.safetensors", inside, 32,
    (const char *const[]){ "tensor a: data_offsets [0, 32] overlap tensor b [8, 16]", NULL });

  /* an empty tensor overlaps nothing */
  st = open_ok ("empty-inside.safetensors", ok_bytes);
  g_assert_cmpuint (lk_safetensors_get_n_tensors (st), ==, 3);
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 0)->name, ==, "a");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 1)->name, ==, "b");
  g_assert_cmpstr (lk_safetensors_get_tensor (st, 2)->name, ==, "c");
}

static void
test_offsets_past_data (void)
{
  const char *header = "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}";
  const char *empty = "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[17,17]}}";

  expect_bad_header ("past.safetensors", header, 16,
                     (const char *const[]){ "fc.bias", "[0, 32]", "16-byte data area", NULL });
  expect_bad_header ("past.safetensors", empty, 16, (const char *const[]){ "fc.bias", NULL });
}

static void
test_size_mismatch (void)
{
  const char *header =
    "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
  const char *f16 = "{\"fc.weight\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
  const char *overflow = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                         "\"data_offsets\":[0,0]}}";
  const char *overflow_size = "{\"fc.weight\":{\"dtype\":\"F64\",\"shape\":[9007199254740992,"
                              "2048],\"data_offsets\":[0,0]}}";

  expect_bad_header ("size.safetensors", header, 16,
                     (const char *const[]){ "fc.weight", "[2, 2]", "12 bytes", "16", NULL });
  expect_bad_header ("size.safetensors", f16, 16,
                     (const char *const[]){ "fc.weight", "needs 8", NULL });
  expect_bad_header ("size.safetensors", overflow, 16, (const char *const[]){ "fc.weight", NULL });
  expect_bad_header ("size.safetensors", overflow_size, 16,
                     (const char *const[]){ "fc.weight", NULL });
}

static void
test_unknown_dtype (void)
{
  const char *header =
    "{\"conv1.weight\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  const char *lower = "{\"conv1.weight\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  const char *number = "{\"conv1.weight\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}";
  const char *missing = "{\"conv1.weight\":{\"shape\":[1],\"data_offsets\":[0,4]}}";

  expect_bad_header ("dtype.safetensors", header, 4,
                     (const char *const[]){ "conv1.weight", "F31", NULL });
  expect_bad_header ("dtype.safetensors", lower, 4,
                     (const char *const[]){ "conv1.weight", "f32", NULL });
  expect_bad_header ("dtype.safetensors", number, 4, (const char *const[]){ "conv1.weight", NULL });
  expect_bad_header ("dtype.safetensors", missing, 4,
                     (const char *const[]){ "conv1.weight", NULL });
}

static void
test_bad_fields (void)
{
  static const char *const headers[] = {
    "{\"t.w\":[1,2]}",
    "{\"t.w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,6]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[[1]],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[9007199254740993],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,4]}}",
    "{\"t.w\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}",
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      {
        /* the headers are deliberately broken, some not even UTF-8: escape them for the log */
        g_autofree char *shown = g_strescape (headers[i], NULL);
        g_test_message ("header %u: %s", i, shown);
      }
      expect_bad_header ("fields.safetensors", headers[i], 8, (const char *const[]){ "t.w", NULL });
    }

  /* empty tensors, so that only the rule under test can refuse them */
  static const struct
  {
    const char *header;
    const char *needle;
  } alone[] = {
    { "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[-1,0],\"data_offsets\":[0,0]}}", "shape extent 0" },
    { "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0,9007199254740993],\"data_offsets\":[0,0]}}",
      "shape extent 1" },
    { "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0,1.5],\"data_offsets\":[0,0]}}", "shape extent 1" },
    { "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}",
      "end before they begin" },
    { "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0.5,0.5]}}", "data_offsets" },
  };
  static const char *const accepted =
    "{\"t.w\":{\"dtype\":\"F32\",\"shape\":[0,9007199254740992,9.007199254740992e15],"
    "\"data_offsets\":[4,4]}}";
  g_autoptr (GBytes) bytes = make_file (accepted, "12345678", 8);
  g_autoptr (LkSafetensors) st = open_ok ("fields.safetensors", bytes);

  g_assert_cmpint (lk_safetensors_lookup (st, "t.w")->shape[1], ==, G_GINT64_CONSTANT (1) << 53);
  g_assert_cmpint (lk_safetensors_lookup (st, "t.w")->shape[2], ==, G_GINT64_CONSTANT (1) << 53);
  for (guint i = 0; i < G_N_ELEMENTS (alone); i++)
    expect_bad_header ("fields.safetensors", alone[i].header, 8,
                       (const char *const[]){ "tensor t.w", alone[i].needle, NULL });
}

static void
test_bad_metadata (void)
{
  static const char *const headers[] = {
    "{\"__metadata__\":[\"a\"]}",
    "{\"__metadata__\":{\"epochs\":3}}",
    "{\"__metadata__\":{\"nested\":{\"a\":\"b\"}}}",
    "{\"__metadata__\":{\"a\":null}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    expect_bad_header ("meta.safetensors", headers[i], 0,
                       (const char *const[]){ "__metadata__", NULL });
}

static void
test_no_tensors (void)
{
  static const char *const headers[] = { "{}", "{\"__metadata__\":{\"a\":\"b\"}}", " { } " };

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autoptr (GBytes) bytes = make_file (headers[i], "xyz", 3);
      g_autoptr (LkSafetensors) st = open_ok ("none.safetensors", bytes);
      g_autoptr (GError) error = NULL;

      g_assert_cmpuint (lk_safetensors_get_n_tensors (st), ==, 0);
      g_assert_null (lk_safetensors_read_f32 (st, "w", 0, NULL, &error));
      assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS, "none.safetensors", "w", NULL);
    }
}

static void
test_bad_unicode (void)
{
  /* json-glib turns a lone low surrogate into bytes that are not UTF-8 */
  expect_bad_header ("unicode.safetensors",
                     "{\"a\\udc00b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                     (const char *const[]){ "not valid UTF-8", NULL });
  expect_bad_header ("unicode.safetensors", "{\"__metadata__\":{\"k\":\"\\udc00xy\"}}", 0,
                     (const char *const[]){ "__metadata__", "k", NULL });
  expect_bad_header ("unicode.safetensors",
                     "{\"w\":{\"dtype\":\"F\\udc00xy\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                     (const char *const[]){ "tensor w", "dtype", NULL });
}

static void
test_numbers_as_doubles (void)
{
  /* json-glib returns these as doubles; they are still integers */
  const char *header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2.0,1e0],\"data_offsets\":[0.0,8E0]},"
                       "\"__metadata__\":{}}";
  guint8 data[8] = { 0 };
  g_autoptr (GBytes) bytes = make_file (header, data, sizeof data);
  g_autoptr (LkSafetensors) st = open_ok ("doubles.safetensors", bytes);
  const LkTensorInfo *info = lk_safetensors_lookup (st, "t");

  g_assert_cmpint (info->n_dims, ==, 2);
  g_assert_cmpint (info->shape[0], ==, 2);
  g_assert_cmpint (info->shape[1], ==, 1);
  g_assert_cmpuint (info->size, ==, 8);
}

static void
test_duplicates (void)
{
  const char *names = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
  const char *fields =
    "{\"fc.bias\":{\"dtype\":\"F32\",\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  const char *meta = "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}";

  expect_bad_header ("dup.safetensors", names, 8,
                     (const char *const[]){ "fc.weight", "twice", NULL });
  expect_bad_header ("dup.safetensors", fields, 8, (const char *const[]){ "dtype", "twice", NULL });
  expect_bad_header ("dup.safetensors", meta, 0, (const char *const[]){ "twice", NULL });
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "nowhere.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkSafetensors) st = lk_safetensors_open (path, &error);

  g_assert_null (st);
  assert_error_mentions (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nowhere.safetensors", NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading with expectations                                                                      */
/* ---------------------------------------------------------------------------------------------- */

static const char model_header[] =
  "{\"layer1.0.conv1.weight\":{\"dtype\":\"F32\",\"shape\":[4,2,3,3],\"data_offsets\":[0,288]},"
  "\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[288,296]},"
  "\"bn1.weight\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[296,304]}}";

static LkSafetensors *
open_model (void)
{
  g_autofree guint8 *data = g_malloc0 (304);
  g_autoptr (GBytes) bytes = make_file (model_header, data, 304);

  return open_ok ("model.safetensors", bytes);
}

static void
test_read_wrong_dtype (void)
{
  g_autoptr (LkSafetensors) st = open_model ();
  g_autoptr (GError) error = NULL;
  float *out;

  out = lk_safetensors_read_f32 (st, "bn1.num_batches_tracked", 0, NULL, &error);
  g_assert_null (out);
  assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                         "model.safetensors: tensor bn1.num_batches_tracked has dtype I64, "
                         "expected F32, F16 or BF16",
                         NULL);
  g_assert_cmpint (lk_safetensors_lookup (st, "bn1.num_batches_tracked")->dtype, ==, LK_DTYPE_I64);
}

static void
test_read_wrong_shape (void)
{
  g_autoptr (LkSafetensors) st = open_model ();
  struct
  {
    int n_dims;
    gint64 shape[LK_TENSOR_MAX_DIMS];
    gboolean ok;
  } cases[] = {
    { 4, { 4, 2, 3, 3 }, TRUE },
    { 4, { -1, 2, 3, 3 }, TRUE },
    { 4, { -1, -1, -1, -1 }, TRUE },
    { 4, { 4, 3, 3, 3 }, FALSE },
    { 4, { -1, 3, -1, -1 }, FALSE },
    { 3, { 4, 2, 3 }, FALSE },
    { 5, { 4, 2, 3, 3, 1 }, FALSE },
    { 1, { 72 }, FALSE },
    { 0, { 0 }, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree float *out = lk_safetensors_read_f32 (st, "layer1.0.conv1.weight", cases[i].n_dims,
                                                       cases[i].shape, &error);

      g_test_message ("case %u", i);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (out);
        }
      else
        {
          g_assert_null (out);
          assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                                 "model.safetensors: tensor layer1.0.conv1.weight has shape "
                                 "[4, 2, 3, 3], expected [",
                                 NULL);
        }
    }

  {
    g_autoptr (GError) error = NULL;
    float *out =
      lk_safetensors_read_f32 (st, "layer1.0.conv1.weight", 4, (gint64[]){ 4, 3, 3, 3 }, &error);

    g_assert_null (out);
    assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                           "model.safetensors: tensor layer1.0.conv1.weight has shape "
                           "[4, 2, 3, 3], expected [4, 3, 3, 3]",
                           NULL);
  }
}

static void
test_read_missing (void)
{
  g_autoptr (LkSafetensors) st = open_model ();
  g_autoptr (GError) error = NULL;
  float *out;

  g_assert_null (lk_safetensors_lookup (st, "fc.weight"));
  out = lk_safetensors_read_f32 (st, "fc.weight", 0, NULL, &error);
  g_assert_null (out);
  assert_error_mentions (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS,
                         "model.safetensors: no tensor named fc.weight", NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing failures                                                                               */
/* ---------------------------------------------------------------------------------------------- */

static void
test_write_unwritable (void)
{
  g_autofree char *file = g_build_filename (tmp_dir, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "out.safetensors", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such-dir", "out.safetensors", NULL);
  g_autofree char *contents = NULL;
  float value = 1.0f;
  LkTensorWrite tensor = { "w", 1, { 1 }, &value };
  guint n_before;

  g_assert_true (g_file_set_contents (file, "keep", -1, NULL));
  n_before = count_files (tmp_dir);

  {
    g_autoptr (GError) error = NULL;

    g_assert_false (lk_safetensors_write (under_file, &tensor, 1, NULL, &error));
    assert_error_mentions (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, under_file, NULL);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (lk_safetensors_write (missing, &tensor, 1, NULL, &error));
    assert_error_mentions (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, missing, NULL);
  }
  {
    /* the path is a folder: writing works, the rename fails, the temporary file goes */
    g_autoptr (GError) error = NULL;

    g_assert_false (lk_safetensors_write (tmp_dir, &tensor, 1, NULL, &error));
    g_assert_nonnull (error);
    g_assert_true (error->domain == G_FILE_ERROR);
    assert_error_mentions (error, error->domain, error->code, tmp_dir, NULL);
    g_assert_cmpuint (count_files (tmp_dir), ==, n_before);
  }

  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep");
  g_assert_cmpuint (count_files (tmp_dir), ==, n_before);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_unlink (file);
}

static void
test_write_disk_full (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "full.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LkSafetensors) st = NULL;
  g_autofree float *big = g_new0 (float, 256 * 1024);
  float small = 7.0f;
  LkTensorWrite first = { "small", 0, { 0 }, &small };
  LkTensorWrite second = { "big", 1, { 256 * 1024 }, big };
  struct rlimit saved, limit;
  void (*saved_handler) (int);
  guint n_before;
  gboolean ok;

  /* an existing file that a failed write must leave alone */
  g_assert_true (lk_safetensors_write (path, &first, 1, NULL, &error));
  g_assert_no_error (error);
  n_before = count_files (tmp_dir);

  /* a file size limit makes write () fail with EFBIG, like a full disk does with ENOSPC */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = 64 * 1024;
  saved_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  ok = lk_safetensors_write (path, &second, 1, NULL, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, saved_handler);

  g_assert_false (ok);
  g_assert_nonnull (error);
  assert_error_mentions (error, G_FILE_ERROR, error->code, path, g_strerror (EFBIG), NULL);
  g_assert_cmpuint (count_files (tmp_dir), ==, n_before);

  g_clear_error (&error);
  st = lk_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lk_safetensors_lookup (st, "small"));
  g_assert_null (lk_safetensors_lookup (st, "big"));
  g_unlink (path);
}

static void
test_write_bad_arguments (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "args.safetensors", NULL);
  float value[2] = { 1.0f, 2.0f };
  LkTensorWrite twice[] = { { "w", 1, { 1 }, value }, { "w", 1, { 1 }, value + 1 } };
  LkTensorWrite negative[] = { { "w", 1, { -2 }, value } };
  LkTensorWrite reserved[] = { { "__metadata__", 1, { 1 }, value } };
  LkTensorWrite no_data[] = { { "w", 1, { 1 }, NULL } };
  LkTensorWrite too_many_dims[] = { { "w", 9, { 1 }, value } };
  const LkTensorWrite *cases[] = { twice, negative, reserved, no_data, too_many_dims };
  gsize n_cases[] = { 2, 1, 1, 1, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (lk_safetensors_write (path, cases[i], n_cases[i], NULL, &error));
      assert_error_mentions (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "args.safetensors", NULL);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

/* ---------------------------------------------------------------------------------------------- */

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("lk-safetensors-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/engine/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/engine/safetensors/f16", test_f16);
  g_test_add_func ("/engine/safetensors/bf16", test_bf16);
  g_test_add_func ("/engine/safetensors/f32-unaligned", test_f32_unaligned);
  g_test_add_func ("/engine/safetensors/valid-by-hand", test_valid_by_hand);
  g_test_add_func ("/engine/safetensors/truncated-data", test_truncated_data);
  g_test_add_func ("/engine/safetensors/truncated-header", test_truncated_header);
  g_test_add_func ("/engine/safetensors/header-past-eof", test_header_past_eof);
  g_test_add_func ("/engine/safetensors/absurd-header-length", test_absurd_header_length);
  g_test_add_func ("/engine/safetensors/not-json", test_not_json);
  g_test_add_func ("/engine/safetensors/big-integers", test_big_integers);
  g_test_add_func ("/engine/safetensors/deep-nesting", test_deep_nesting);
  g_test_add_func ("/engine/safetensors/root-not-object", test_root_not_object);
  g_test_add_func ("/engine/safetensors/overlap", test_overlap);
  g_test_add_func ("/engine/safetensors/offsets-past-data", test_offsets_past_data);
  g_test_add_func ("/engine/safetensors/size-mismatch", test_size_mismatch);
  g_test_add_func ("/engine/safetensors/unknown-dtype", test_unknown_dtype);
  g_test_add_func ("/engine/safetensors/bad-fields", test_bad_fields);
  g_test_add_func ("/engine/safetensors/bad-metadata", test_bad_metadata);
  g_test_add_func ("/engine/safetensors/no-tensors", test_no_tensors);
  g_test_add_func ("/engine/safetensors/bad-unicode", test_bad_unicode);
  g_test_add_func ("/engine/safetensors/numbers-as-doubles", test_numbers_as_doubles);
  g_test_add_func ("/engine/safetensors/duplicates", test_duplicates);
  g_test_add_func ("/engine/safetensors/missing-file", test_missing_file);
  g_test_add_func ("/engine/safetensors/read-wrong-dtype", test_read_wrong_dtype);
  g_test_add_func ("/engine/safetensors/read-wrong-shape", test_read_wrong_shape);
  g_test_add_func ("/engine/safetensors/read-missing", test_read_missing);
  g_test_add_func ("/engine/safetensors/write-unwritable", test_write_unwritable);
  g_test_add_func ("/engine/safetensors/write-disk-full", test_write_disk_full);
  g_test_add_func ("/engine/safetensors/write-bad-arguments", test_write_bad_arguments);

  status = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
