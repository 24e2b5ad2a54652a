/* lk-compressor.c: the linear compressor of another backend's vectors (principal components).
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fitting: the prepared vectors' covariance (D, D) is one SYRK, in float with the sums of each
 * entry over n rows (n up to millions: the mean is taken out first, so the entries stay small);
 * its d leading eigenvectors come from LAPACK's ssyevr (the MRRR algorithm: only the eigenpairs
 * asked for, in O(D²·d)), which Debian's OpenBLAS carries.
 */
#include "lk-compressor.h"
#include "lookalike.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* LAPACK (Fortran calling convention; Debian ships no lapacke.h with OpenBLAS) */
extern void ssyevr_ (const char *jobz, const char *range, const char *uplo, const int *n, float *a,
                     const int *lda, const float *vl, const float *vu, const int *il, const int *iu,
                     const float *abstol, int *m, float *w, float *z, const int *ldz, int *isuppz,
                     float *work, const int *lwork, int *iwork, const int *liwork, int *info);

static const char *const method_names[] = {
  [LK_COMPRESSOR_PCA] = "pca",
};

const char *
lk_compressor_method_to_string (LkCompressorMethod method)
{
  return (guint) method < G_N_ELEMENTS (method_names) ? method_names[method] : NULL;
}

gboolean
lk_compressor_method_from_string (const char *name, LkCompressorMethod *method)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (method_names); i++)
    if (g_str_equal (name, method_names[i]))
      {
        *method = (LkCompressorMethod) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
lk_compressor_config_check (const LkCompressorConfig *config, GError **error)
{
  if (!lk_compressor_method_to_string (config->method))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "unknown compression method %d",
                   (int) config->method);
      return FALSE;
    }
  if (config->in_dim < 1 || config->in_dim > LK_COMPRESSOR_MAX_DIM)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "vectors of %d dimensions are outside 1–%d", config->in_dim,
                   LK_COMPRESSOR_MAX_DIM);
      return FALSE;
    }
  if (config->latent < 1 || config->latent > LK_COMPRESSOR_MAX_LATENT)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT, "latent size %d is outside 1–%d",
                   config->latent, LK_COMPRESSOR_MAX_LATENT);
      return FALSE;
    }
  if (config->latent > config->in_dim)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "latent size %d is over the vectors' %d dimensions", config->latent,
                   config->in_dim);
      return FALSE;
    }
  return TRUE;
}

static void
add_tensor (LkCompressor *c, const char *name, int rows, int cols)
{
  LkCompressorTensor *t = &c->tensors[c->n_tensors++];

  g_strlcpy (t->name, name, sizeof t->name);
  t->ndim = rows ? 2 : 1;
  t->shape[0] = rows ? rows : cols;
  t->shape[1] = rows ? cols : 0;
  t->offset = c->n_params;
  t->size = (gsize) (rows ? rows : 1) * cols;
  c->n_params += t->size;
}

LkCompressor *
lk_compressor_new (const LkCompressorConfig *config, GError **error)
{
  g_autoptr (LkCompressor) c = NULL;
  int D = config->in_dim, d = config->latent;

  if (!lk_compressor_config_check (config, error))
    return NULL;
  c = g_new0 (LkCompressor, 1);
  c->config = *config;
  add_tensor (c, "in_mean", 0, D);
  add_tensor (c, "mean", 0, D);
  add_tensor (c, "components", d, D);
  add_tensor (c, "variance", 0, d);
  if (!(c->params = g_try_new0 (float, c->n_params)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory for a compressor of %d × %d", d, D);
      return NULL;
    }
  c->in_mean = c->params + c->tensors[0].offset;
  c->mean = c->params + c->tensors[1].offset;
  c->components = c->params + c->tensors[2].offset;
  c->variance = c->params + c->tensors[3].offset;
  return g_steal_pointer (&c);
}

void
lk_compressor_free (LkCompressor *compressor)
{
  if (!compressor)
    return;
  g_free (compressor->params);
  g_free (compressor);
}

const LkCompressorTensor *
lk_compressor_lookup (const LkCompressor *compressor, const char *name)
{
  for (int i = 0; i < compressor->n_tensors; i++)
    if (g_str_equal (compressor->tensors[i].name, name))
      return &compressor->tensors[i];
  return NULL;
}

void
lk_compressor_prepare (const LkCompressor *compressor, float *x, gsize n)
{
  int D = compressor->config.in_dim;

  for (gsize i = 0; i < n; i++)
    {
      float *row = x + i * D;
      double sum = 0;
      for (int k = 0; k < D; k++)
        {
          row[k] -= compressor->in_mean[k];
          sum += (double) row[k] * row[k];
        }
      if (sum > 0)
        {
          float scale = (float) (1.0 / sqrt (sum));
          for (int k = 0; k < D; k++)
            row[k] *= scale;
        }
    }
}

/* codes = (prepared − mean) · componentsᵀ, as codes = prepared · componentsᵀ − components · mean */
void
lk_compressor_encode (const LkCompressor *compressor, float *codes, const float *prepared, gsize n)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;
  g_autofree float *offset = g_new (float, d);

  if (n == 0)
    return;
  cblas_sgemv (CblasRowMajor, CblasNoTrans, d, D, 1.0f, compressor->components, D, compressor->mean,
               1, 0.0f, offset, 1);
  for (gsize i = 0; i < n; i++)
    memcpy (codes + i * d, offset, d * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, d, D, 1.0f, prepared, D,
               compressor->components, D, -1.0f, codes, d);
}

void
lk_compressor_encode_ref (const LkCompressor *compressor, float *codes, const float *prepared,
                          gsize n)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;

  for (gsize i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      {
        double sum = 0;
        for (int k = 0; k < D; k++)
          sum += ((double) prepared[i * D + k] - compressor->mean[k])
                 * compressor->components[(gsize) j * D + k];
        codes[i * d + j] = (float) sum;
      }
}

void
lk_compressor_decode (const LkCompressor *compressor, float *out, const float *codes, gsize n)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;

  if (n == 0)
    return;
  for (gsize i = 0; i < n; i++)
    memcpy (out + i * D, compressor->mean, D * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) n, D, d, 1.0f, codes, d,
               compressor->components, D, 1.0f, out, D);
}

gboolean
lk_compressor_fit_pca (LkCompressor *compressor, const float *in_mean, const float *vectors,
                       gsize n, GError **error)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;
  g_autofree float *x = NULL, *cov = NULL, *w = NULL, *z = NULL, *work = NULL;
  g_autofree int *isuppz = NULL, *iwork = NULL;
  g_autofree double *sum = NULL;
  int il = D - d + 1, iu = D, m = 0, info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  float vl = 0, vu = 0, abstol = 0, work_query = 0;

  if (n < (gsize) d + 1)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "%" G_GSIZE_FORMAT " vectors cannot give %d principal components: it takes "
                   "at least %d",
                   n, d, d + 1);
      return FALSE;
    }
  if (!(x = g_try_new (float, n *D)) || !(cov = g_try_new0 (float, (gsize) D *D)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory to fit %" G_GSIZE_FORMAT " vectors of %d dimensions", n, D);
      return FALSE;
    }

  /* prepared, then centred on their mean (kept in double: n may be large) */
  memcpy (compressor->in_mean, in_mean, D * sizeof (float));
  memcpy (x, vectors, n * D * sizeof (float));
  lk_compressor_prepare (compressor, x, n);
  sum = g_new0 (double, D);
  for (gsize i = 0; i < n; i++)
    for (int k = 0; k < D; k++)
      sum[k] += x[i * D + k];
  for (int k = 0; k < D; k++)
    compressor->mean[k] = (float) (sum[k] / n);
  for (gsize i = 0; i < n; i++)
    for (int k = 0; k < D; k++)
      x[i * D + k] -= compressor->mean[k];

  /* the covariance's upper triangle (column-major for LAPACK: the same, being symmetric) */
  cblas_ssyrk (CblasColMajor, CblasUpper, CblasNoTrans, D, (int) n, 1.0f / (float) (n - 1), x, D,
               0.0f, cov, D);

  w = g_new (float, D);
  z = g_new (float, (gsize) D *d);
  isuppz = g_new (int, 2 * (gsize) d);
  ssyevr_ ("V", "I", "U", &D, cov, &D, &vl, &vu, &il, &iu, &abstol, &m, w, z, &D, isuppz,
           &work_query, &lwork, &iwork_query, &liwork, &info);
  if (info == 0)
    {
      lwork = (int) work_query;
      liwork = iwork_query;
      work = g_new (float, MAX (lwork, 1));
      iwork = g_new (int, MAX (liwork, 1));
      ssyevr_ ("V", "I", "U", &D, cov, &D, &vl, &vu, &il, &iu, &abstol, &m, w, z, &D, isuppz, work,
               &lwork, iwork, &liwork, &info);
    }
  if (info != 0 || m != d)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "the principal components could not be computed (LAPACK ssyevr: %d, %d of %d)",
                   info, m, d);
      return FALSE;
    }

  /* ascending from LAPACK: the largest first, each with its largest entry positive */
  for (int j = 0; j < d; j++)
    {
      const float *v = z + (gsize) (d - 1 - j) * D; /* column-major: eigenvector d−1−j */
      float *row = compressor->components + (gsize) j * D;
      int largest = 0;
      for (int k = 1; k < D; k++)
        if (fabsf (v[k]) > fabsf (v[largest]))
          largest = k;
      for (int k = 0; k < D; k++)
        row[k] = v[largest] < 0 ? -v[k] : v[k];
      compressor->variance[j] = MAX (w[d - 1 - j], 0.0f);
    }
  return TRUE;
}
