/* lk-compressor.c: the compressors of another backend's vectors: their parameters, encoding and
 * decoding, and fitting the linear one (principal components).
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

#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* rows of a block the MLP encodes or decodes at a time */
#define MLP_BLOCK 256

/* LAPACK (Fortran calling convention; Debian ships no lapacke.h with OpenBLAS) */
extern void ssyevr_ (const char *jobz, const char *range, const char *uplo, const int *n, float *a,
                     const int *lda, const float *vl, const float *vu, const int *il, const int *iu,
                     const float *abstol, int *m, float *w, float *z, const int *ldz, int *isuppz,
                     float *work, const int *lwork, int *iwork, const int *liwork, int *info);

static const char *const method_names[] = {
  [LK_COMPRESSOR_PCA] = "pca",
  [LK_COMPRESSOR_AE] = "ae",
  [LK_COMPRESSOR_NBR] = "nbr",
};

static const char *const layer_names[LK_COMPRESSOR_N_LAYERS] = {
  "enc1", "enc2", "enc3", "dec1", "dec2", "dec3",
};

gboolean
lk_compressor_method_is_mlp (LkCompressorMethod method)
{
  return method == LK_COMPRESSOR_AE || method == LK_COMPRESSOR_NBR;
}

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
  if (config->int8 && config->latent > 512)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "8-bit codes are at most 512 long, not %d", config->latent);
      return FALSE;
    }
  if (lk_compressor_method_is_mlp (config->method)
        ? config->hidden < 1 || config->hidden > LK_COMPRESSOR_MAX_HIDDEN
        : config->hidden != 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_INVALID_ARGUMENT,
                   "a hidden width of %d does not fit the %s compressor (%s)", config->hidden,
                   lk_compressor_method_to_string (config->method),
                   lk_compressor_method_is_mlp (config->method) ? "1–4096" : "it has none");
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
  if (lk_compressor_method_is_mlp (config->method))
    {
      int h = config->hidden;
      const int dims[LK_COMPRESSOR_N_LAYERS + 1] = { D, h, h, d, h, h, D };
      for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
        {
          char name[16];
          g_snprintf (name, sizeof name, "%s.weight", layer_names[i]);
          add_tensor (c, name, dims[i + 1], dims[i]);
          g_snprintf (name, sizeof name, "%s.bias", layer_names[i]);
          add_tensor (c, name, 0, dims[i + 1]);
          c->layers[i].in = dims[i];
          c->layers[i].out = dims[i + 1];
        }
    }
  else
    {
      add_tensor (c, "mean", 0, D);
      add_tensor (c, "components", d, D);
      add_tensor (c, "variance", 0, d);
    }
  if (config->int8)
    {
      add_tensor (c, "q_offset", 0, d);
      add_tensor (c, "q_scale", 0, d);
    }
  if (!(c->params = g_try_new0 (float, c->n_params)))
    {
      g_set_error (error, LK_ERROR, LK_ERROR_FAILED,
                   "not enough memory for a compressor of %d × %d", d, D);
      return NULL;
    }
  if (config->int8)
    {
      c->q_offset = c->params + c->tensors[c->n_tensors - 2].offset;
      c->q_scale = c->params + c->tensors[c->n_tensors - 1].offset;
    }
  c->in_mean = c->params + c->tensors[0].offset;
  if (lk_compressor_method_is_mlp (config->method))
    for (int i = 0; i < LK_COMPRESSOR_N_LAYERS; i++)
      {
        c->layers[i].weight = c->params + c->tensors[1 + 2 * i].offset;
        c->layers[i].bias = c->params + c->tensors[2 + 2 * i].offset;
      }
  else
    {
      c->mean = c->params + c->tensors[1].offset;
      c->components = c->params + c->tensors[2].offset;
      c->variance = c->params + c->tensors[3].offset;
    }
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

/* @n rows through @n_layers layers from @first, ReLU between them, a block of rows at a time */
static void
mlp_forward (const LkCompressor *c, int first, int n_layers, float *out, const float *inp, gsize n)
{
  int h = c->config.hidden, in = c->layers[first].in, outd = c->layers[first + n_layers - 1].out;
  g_autofree float *a = g_new (float, (gsize) MLP_BLOCK *h),
                   *b = g_new (float, (gsize) MLP_BLOCK *h);

  for (gsize r = 0; r < n; r += MLP_BLOCK)
    {
      int B = (int) MIN ((gsize) MLP_BLOCK, n - r);
      const float *x = inp + r * in;
      for (int i = 0; i < n_layers; i++)
        {
          const LkCompressorLayer *l = &c->layers[first + i];
          gboolean last = i == n_layers - 1;
          float *y = last ? out + r * outd : (i % 2 ? b : a);
          nn_dense_forward (y, x, l->weight, l->bias, B, l->in, l->out);
          if (!last)
            nn_leaky_relu_forward (y, y, (size_t) B * l->out, 0.0f);
          x = y;
        }
    }
}

/* codes = (prepared − mean) · componentsᵀ, as codes = prepared · componentsᵀ − components · mean */
void
lk_compressor_encode (const LkCompressor *compressor, float *codes, const float *prepared, gsize n)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;
  g_autofree float *offset = NULL;

  if (n == 0)
    return;
  if (lk_compressor_method_is_mlp (compressor->config.method))
    {
      mlp_forward (compressor, 0, 3, codes, prepared, n);
      return;
    }
  offset = g_new (float, d);
  cblas_sgemv (CblasRowMajor, CblasNoTrans, d, D, 1.0f, compressor->components, D, compressor->mean,
               1, 0.0f, offset, 1);
  for (gsize i = 0; i < n; i++)
    memcpy (codes + i * d, offset, d * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, d, D, 1.0f, prepared, D,
               compressor->components, D, -1.0f, codes, d);
}

/* one layer in double, ReLU after it unless @linear */
static void
layer_ref (const LkCompressorLayer *l, double *out, const double *inp, gboolean linear)
{
  for (int o = 0; o < l->out; o++)
    {
      double sum = l->bias[o];
      for (int k = 0; k < l->in; k++)
        sum += (double) l->weight[(gsize) o * l->in + k] * inp[k];
      out[o] = linear || sum > 0 ? sum : 0.0;
    }
}

void
lk_compressor_encode_ref (const LkCompressor *compressor, float *codes, const float *prepared,
                          gsize n)
{
  int D = compressor->config.in_dim, d = compressor->config.latent;

  if (lk_compressor_method_is_mlp (compressor->config.method))
    {
      int h = compressor->config.hidden;
      g_autofree double *x = g_new (double, D), *a = g_new (double, h), *b = g_new (double, h),
                        *z = g_new (double, d);
      for (gsize i = 0; i < n; i++)
        {
          for (int k = 0; k < D; k++)
            x[k] = prepared[i * D + k];
          layer_ref (&compressor->layers[0], a, x, FALSE);
          layer_ref (&compressor->layers[1], b, a, FALSE);
          layer_ref (&compressor->layers[2], z, b, TRUE);
          for (int j = 0; j < d; j++)
            codes[i * d + j] = (float) z[j];
        }
      return;
    }
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
  if (lk_compressor_method_is_mlp (compressor->config.method))
    {
      mlp_forward (compressor, 3, 3, out, codes, n);
      return;
    }
  for (gsize i = 0; i < n; i++)
    memcpy (out + i * D, compressor->mean, D * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) n, D, d, 1.0f, codes, d,
               compressor->components, D, 1.0f, out, D);
}

void
lk_compressor_fit_quantizer (LkCompressor *compressor, const float *unit_codes, gsize n)
{
  int d = compressor->config.latent;

  g_return_if_fail (compressor->config.int8);
  for (int j = 0; j < d; j++)
    {
      float lo = n ? unit_codes[j] : -1.0f, hi = n ? unit_codes[j] : 1.0f;
      for (gsize i = 1; i < n; i++)
        {
          lo = MIN (lo, unit_codes[i * d + j]);
          hi = MAX (hi, unit_codes[i * d + j]);
        }
      compressor->q_offset[j] = lo;
      /* a constant dimension still decodes to its one value */
      compressor->q_scale[j] = hi > lo ? (hi - lo) / 255.0f : 0.0f;
    }
}

void
lk_compressor_quantize (const LkCompressor *compressor, guint8 *out, const float *unit_codes,
                        gsize n)
{
  int d = compressor->config.latent;

  for (gsize i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      {
        float s = compressor->q_scale[j];
        float step = s > 0 ? (unit_codes[i * d + j] - compressor->q_offset[j]) / s : 0.0f;
        out[i * d + j] = (guint8) (isnan (step) ? 0 : lrintf (CLAMP (step, 0.0f, 255.0f)));
      }
}

void
lk_compressor_dequantize (const LkCompressor *compressor, float *out, const guint8 *bytes, gsize n)
{
  int d = compressor->config.latent;

  for (gsize i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      out[i * d + j] = compressor->q_offset[j] + compressor->q_scale[j] * bytes[i * d + j];
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

  g_return_val_if_fail (compressor->config.method == LK_COMPRESSOR_PCA, FALSE);

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
