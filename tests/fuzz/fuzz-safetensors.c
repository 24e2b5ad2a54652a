/* fuzz-safetensors.c: libFuzzer target for the .safetensors parser.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Opens the input with lk_safetensors_new_from_bytes () and, when it opens, walks every tensor,
 * looks it up by name and reads each float tensor with lk_safetensors_read_f32 () (with and
 * without its shape). GLib warnings and criticals abort, so a g_return_if_fail () hit counts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I engine -I engine/store \
 *     $(pkg-config --cflags glib-2.0 gio-2.0 json-glib-1.0) engine/lk-error.c \
 *     engine/store/lk-safetensors.c tests/fuzz/fuzz-safetensors.c \
 *     $(pkg-config --libs glib-2.0 gio-2.0 json-glib-1.0) -lm -o fuzz-safetensors
 *   ./fuzz-safetensors -max_total_time=600 /tmp/corpus tests/fuzz/corpus/safetensors
 */
#include "store/lk-safetensors.h"
#include "lookalike.h"

#include <stdint.h>
#include <string.h>

/* reading more floats than this from one input is skipped (F16 doubles the data area) */
#define MAX_FLOATS (64u * 1024 * 1024 / sizeof (float))

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* a copy, so reads past the end land outside the heap block */
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (LkSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  guint64 total = 0;

  st = lk_safetensors_new_from_bytes (bytes, "fuzz.safetensors", &error);
  if (st == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (g_error_matches (error, LK_ERROR, LK_ERROR_BAD_WEIGHTS));
      g_assert_nonnull (strstr (error->message, "fuzz.safetensors"));
      return 0;
    }
  g_assert_null (error);

  (void) lk_safetensors_get_metadata (st, "format");
  for (guint i = 0; i < lk_safetensors_get_n_tensors (st); i++)
    {
      const LkTensorInfo *info = lk_safetensors_get_tensor (st, i);
      g_autoptr (GError) read_error = NULL;
      g_autofree float *any = NULL, *exact = NULL;
      volatile float sink = 0;

      g_assert_true (lk_safetensors_lookup (st, info->name) == info);
      g_assert_cmpuint (info->offset + info->size, <=, size);
      g_assert_cmpuint (info->size, ==, info->n_elements * lk_dtype_size (info->dtype));
      if (i > 0)
        g_assert_cmpuint (lk_safetensors_get_tensor (st, i - 1)->offset, <=, info->offset);

      if (info->dtype != LK_DTYPE_F32 && info->dtype != LK_DTYPE_F16
          && info->dtype != LK_DTYPE_BF16)
        {
          g_assert_null (lk_safetensors_read_f32 (st, info->name, 0, NULL, &read_error));
          g_assert_true (g_error_matches (read_error, LK_ERROR, LK_ERROR_BAD_WEIGHTS));
          continue;
        }
      if (info->n_elements > MAX_FLOATS || total + info->n_elements > MAX_FLOATS)
        continue;
      total += info->n_elements;

      any = lk_safetensors_read_f32 (st, info->name, 0, NULL, &read_error);
      g_assert_no_error (read_error);
      g_assert_nonnull (any);
      exact = lk_safetensors_read_f32 (st, info->name, info->n_dims, info->shape, &read_error);
      g_assert_no_error (read_error);
      g_assert_nonnull (exact);
      if (info->n_elements > 0)
        {
          sink = any[0] + any[info->n_elements - 1];
          g_assert_cmpmem (any, info->n_elements * sizeof (float), exact,
                           info->n_elements * sizeof (float));
        }
      (void) sink;
    }
  return 0;
}
