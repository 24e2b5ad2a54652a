/* lk-backend.c: backend names and model identities.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

static const char *const backend_names[LK_N_BACKENDS] = {
  [LK_BACKEND_CNN] = "cnn",
  [LK_BACKEND_CONV_AE] = "conv-ae",
  [LK_BACKEND_MLP_AE] = "mlp-ae",
};

const char *
lk_backend_to_string (LkBackend backend)
{
  return (guint) backend < LK_N_BACKENDS ? backend_names[backend] : NULL;
}

gboolean
lk_backend_from_string (const char *name, LkBackend *backend)
{
  for (guint i = 0; name && i < LK_N_BACKENDS; i++)
    if (g_str_equal (name, backend_names[i]))
      {
        if (backend)
          *backend = (LkBackend) i;
        return TRUE;
      }
  return FALSE;
}

LkModelIdentity *
lk_model_identity_new (LkModel *model, int input_size, LkPreprocess preprocess)
{
  LkModelIdentity *identity = g_new0 (LkModelIdentity, 1);

  identity->model = g_strdup (lk_model_get_name (model));
  identity->weights_sha256 = g_strdup (lk_model_get_weights_sha256 (model));
  identity->weights_path = g_strdup (lk_model_get_path (model));
  identity->input_size = input_size;
  identity->preprocess = preprocess;
  identity->dim = lk_model_get_dim (model);
  return identity;
}

LkModelIdentity *
lk_model_identity_copy (const LkModelIdentity *identity)
{
  LkModelIdentity *copy = g_memdup2 (identity, sizeof *identity);

  copy->model = g_strdup (identity->model);
  copy->weights_sha256 = g_strdup (identity->weights_sha256);
  copy->weights_path = g_strdup (identity->weights_path);
  return copy;
}

/* The weights' location is a hint, not part of what made the vectors. */
gboolean
lk_model_identity_equal (const LkModelIdentity *a, const LkModelIdentity *b)
{
  return g_strcmp0 (a->model, b->model) == 0
         && g_strcmp0 (a->weights_sha256, b->weights_sha256) == 0 && a->input_size == b->input_size
         && a->preprocess == b->preprocess && a->dim == b->dim;
}

void
lk_model_identity_free (LkModelIdentity *identity)
{
  if (!identity)
    return;
  g_free (identity->model);
  g_free (identity->weights_sha256);
  g_free (identity->weights_path);
  g_free (identity);
}
