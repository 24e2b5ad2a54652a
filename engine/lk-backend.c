/* lk-backend.c: the table of backends, and model identities.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

/* marks a string for translation without translating it (xgettext reads N_) */
#define N_(text) (text)

static const LkBackendInfo backends[LK_N_BACKENDS] = {
  [LK_BACKEND_CNN] = { LK_BACKEND_CNN, "cnn", N_ ("CNN Features"),
                       N_ ("Features of an ImageNet-pretrained network: what a photo shows") },
  [LK_BACKEND_CONV_AE] = { LK_BACKEND_CONV_AE, "conv-ae", N_ ("Conv Autoencoder"),
                           N_ ("A convolutional autoencoder trained on the catalog’s own photos") },
  [LK_BACKEND_MLP_AE] = { LK_BACKEND_MLP_AE, "mlp-ae", N_ ("Compressed Embeddings"),
                          N_ ("CNN features compressed many times over, finding the same "
                              "products") },
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
  for (guint i = 0; name && i < LK_N_BACKENDS; i++)
    if (g_str_equal (name, backends[i].name))
      {
        if (backend)
          *backend = backends[i].backend;
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
