/* lk-safetensors.h: reading and writing .safetensors weight files.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON, then the data area.
 * The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the data area) and may hold a "__metadata__" object of string to string.
 *
 * Files are untrusted. Opening one validates the whole header against the file length before any
 * tensor is touched: the header length, every offset pair inside the data area, end - begin equal
 * to the element count times the dtype size, and no two tensors overlapping.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  LK_DTYPE_F32,
  LK_DTYPE_F16,
  LK_DTYPE_BF16,
  LK_DTYPE_F64,
  LK_DTYPE_I64,
  LK_DTYPE_I32,
  LK_DTYPE_I16,
  LK_DTYPE_I8,
  LK_DTYPE_U64,
  LK_DTYPE_U32,
  LK_DTYPE_U16,
  LK_DTYPE_U8,
  LK_DTYPE_BOOL,
  LK_DTYPE_F8_E4M3,
  LK_DTYPE_F8_E5M2,
} LkDtype;

#define LK_TENSOR_MAX_DIMS 8

typedef struct
{
  const char *name;
  LkDtype dtype;
  int n_dims;
  gint64 shape[LK_TENSOR_MAX_DIMS];
  guint64 n_elements;
  guint64 offset; /* from the start of the data area */
  guint64 size;   /* bytes */
} LkTensorInfo;

typedef struct _LkSafetensors LkSafetensors;

/* Reads (into memory, never mapped) and validates @path. Errors: G_IO_ERROR when it is missing
 * or cannot be read, LK_ERROR_BAD_WEIGHTS when it is not a valid safetensors file ("resnet50.safetensors:
 * header length 123456789 runs past the end of the 4096-byte file"), a folder or not a regular
 * file, over 4 GiB, or changed while it was read.
 * Returns: (transfer full) (nullable) */
LkSafetensors *lk_safetensors_open (const char *path, GError **error);

/* Same, for bytes in memory (@name is used in messages). Keeps a reference to @bytes.
 * Returns: (transfer full) (nullable) */
LkSafetensors *lk_safetensors_new_from_bytes (GBytes *bytes, const char *name, GError **error);

/* Lower-case hex SHA-256 of the whole file, from the bytes that were read (made on first call). */
const char *lk_safetensors_get_sha256 (LkSafetensors *st);

void lk_safetensors_free (LkSafetensors *st);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkSafetensors, lk_safetensors_free)

/* The file's base name, as used in error messages. */
const char *lk_safetensors_get_name (LkSafetensors *st);

guint lk_safetensors_get_n_tensors (LkSafetensors *st);
/* Tensors in data-offset order. */
const LkTensorInfo *lk_safetensors_get_tensor (LkSafetensors *st, guint index);
/* Returns: (nullable) the tensor called @name */
const LkTensorInfo *lk_safetensors_lookup (LkSafetensors *st, const char *name);
/* Returns: (nullable) a "__metadata__" value */
const char *lk_safetensors_get_metadata (LkSafetensors *st, const char *key);

const char *lk_dtype_to_string (LkDtype dtype);
/* Bytes per element. */
gsize lk_dtype_size (LkDtype dtype);

/* Reads tensor @name as float32, converting F16 and BF16. @shape gives the expected shape
 * (@n_dims entries; -1 matches any extent), or is NULL to accept any. A missing tensor, another
 * shape or a non-float dtype is LK_ERROR_BAD_WEIGHTS naming the file and the tensor:
 * "model.safetensors: tensor layer1.0.conv1.weight has shape [64, 64, 3, 3], expected [64, 32, 3, 3]".
 * Returns: (transfer full) (nullable) g_malloc'd floats, n_elements of them */
float *lk_safetensors_read_f32 (LkSafetensors *st, const char *name, int n_dims,
                                const gint64 *shape, GError **error);

/* lk_safetensors_read_f32 () for network weights: a NaN or infinite value anywhere is
 * LK_ERROR_BAD_WEIGHTS naming the tensor and the element ("tensor conv1.weight holds NaN at
 * [3, 0, 1, 2]"). Returns: (transfer full) (nullable) */
float *lk_safetensors_read_weights (LkSafetensors *st, const char *name, int n_dims,
                                    const gint64 *shape, GError **error);

typedef struct
{
  const char *name;
  int n_dims;
  gint64 shape[LK_TENSOR_MAX_DIMS];
  const float *data; /* n_elements floats, written as F32 */
} LkTensorWrite;

/* Writes a safetensors file atomically (temporary file + rename): @n tensors, in order, and an
 * optional string-to-string @metadata (nullable). A full disk or an unwritable folder is a
 * G_IO_ERROR / G_FILE_ERROR naming the path, and leaves no partial file. */
gboolean lk_safetensors_write (const char *path, const LkTensorWrite *tensors, gsize n,
                               GHashTable *metadata, GError **error);

G_END_DECLS
