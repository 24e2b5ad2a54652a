/* test-tensors.h: reading a reference's tensors, and comparing them, for the engine's tests.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "store/lk-safetensors.h"

#include <glib.h>
#include <math.h>

/* Tensor @name of @st as floats, asserting it has @expect of them. Returns: (transfer full) */
static inline float *
read_tensor (LkSafetensors *st, const char *name, gsize expect)
{
  g_autoptr (GError) error = NULL;
  float *data = lk_safetensors_read_f32 (st, name, -1, NULL, &error);
  const LkTensorInfo *info = lk_safetensors_lookup (st, name);

  g_assert_no_error (error);
  g_assert_cmpuint (info->n_elements, ==, expect);
  return data;
}

/* the largest difference relative to the tensor's largest magnitude */
static inline double
max_relative (const float *got, const float *want, gsize n)
{
  double scale = 0.0, diff = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      scale = fmax (scale, fabs (want[i]));
      diff = fmax (diff, fabs ((double) got[i] - want[i]));
    }
  return diff / fmax (scale, 1e-12);
}
