/* nn-gemm.c: a GEMM for many small products against weights packed once, on AVX-512.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * C (M, N) = A (M, K) · B (K, N), row-major, with A packed at load time into panels of 8 rows,
 * (ceil (M / 8), K, 8), zero-padded. Winograd's 36 GEMMs per layer are small (N is the number of
 * tiles: 16 on a 14×14 map) and OpenBLAS packs both operands on every call, which there costs as
 * much as the arithmetic. Here A is packed once, B is read where it lies, and columns are 16-wide
 * vectors with masked tails, so N needs no padding.
 *
 * Micro-kernels keep 16 to 24 accumulators in registers: 16 rows × 1 vector for narrow N, 8 rows ×
 * 2 or 3 vectors otherwise. Each k step loads 1–3 vectors of B and broadcasts one A value per row.
 * The reference is nn_gemm_packed_ref, a plain triple loop over the same packed layout.
 */
#include "nn-private.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX512_KERNEL 1
#endif

static int forced_generic = -1; /* -1: not decided yet */

void
nn_set_generic_kernels (bool generic)
{
  /* false means "whatever the CPU has", decided again on the next query */
  forced_generic = generic ? 1 : -1;
}

bool
nn_gemm_packed_available (void)
{
#ifdef HAVE_AVX512_KERNEL
  if (forced_generic < 0)
    {
      __builtin_cpu_init ();
      forced_generic = !__builtin_cpu_supports ("avx512f");
    }
  return !forced_generic;
#else
  return false;
#endif
}

size_t
nn_pack_a_floats (int M, int K)
{
  return (size_t) nn_round_up (M, NN_PACK_ROWS) * K;
}

void
nn_pack_a (float *packed, const float *a, int M, int K)
{
  int panels = nn_ceil_div (M, NN_PACK_ROWS);

  for (int p = 0; p < panels; p++)
    for (int k = 0; k < K; k++)
      for (int r = 0; r < NN_PACK_ROWS; r++)
        {
          int row = p * NN_PACK_ROWS + r;
          packed[((size_t) p * K + k) * NN_PACK_ROWS + r] =
            row < M ? a[(size_t) row * K + k] : 0.0f;
        }
}

void
nn_gemm_packed_ref (float *c, size_t ldc, const float *packed, const float *b, size_t ldb, int M,
                    int N, int K)
{
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      {
        const float *a = packed + (size_t) (m / NN_PACK_ROWS) * K * NN_PACK_ROWS + m % NN_PACK_ROWS;
        float acc = 0.0f;
        for (int k = 0; k < K; k++)
          acc += a[(size_t) k * NN_PACK_ROWS] * b[(size_t) k * ldb + n];
        c[(size_t) m * ldc + n] = acc;
      }
}

#ifdef HAVE_AVX512_KERNEL

#define TARGET __attribute__ ((target ("avx512f")))

static inline TARGET __mmask16
tail_mask (int cols)
{
  if (cols <= 0)
    return 0;
  return cols >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << cols) - 1);
}

/* 16 rows (two panels) × one vector of columns. */
static TARGET void
kernel_16x1 (float *c, size_t ldc, const float *a, const float *b, size_t ldb, int K, int rows,
             int cols)
{
  const float *a0 = a, *a1 = a + (size_t) K * NN_PACK_ROWS;
  __mmask16 m = tail_mask (cols);
  __m512 acc[16];

#pragma GCC unroll 16
  for (int r = 0; r < 16; r++)
    acc[r] = _mm512_setzero_ps ();
  for (int k = 0; k < K; k++)
    {
      __m512 bv = _mm512_maskz_loadu_ps (m, b + (size_t) k * ldb);
#pragma GCC unroll 8
      for (int r = 0; r < 8; r++)
        {
          acc[r] = _mm512_fmadd_ps (_mm512_set1_ps (a0[k * NN_PACK_ROWS + r]), bv, acc[r]);
          acc[r + 8] = _mm512_fmadd_ps (_mm512_set1_ps (a1[k * NN_PACK_ROWS + r]), bv, acc[r + 8]);
        }
    }
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++)
    if (r < rows)
      _mm512_mask_storeu_ps (c + (size_t) r * ldc, m, acc[r]);
}

/* 8 rows × NV vectors of columns, NV = 2 or 3. */
#define DEFINE_KERNEL_8(NV)                                                                   \
  static TARGET void kernel_8x##NV (float *c, size_t ldc, const float *a, const float *b,     \
                                    size_t ldb, int K, int rows, int cols)                    \
  {                                                                                           \
    __mmask16 m[NV];                                                                          \
    __m512 acc[8][NV];                                                                        \
    _Pragma ("GCC unroll 3") for (int v = 0; v < NV; v++) m[v] = tail_mask (cols - 16 * v);   \
    _Pragma ("GCC unroll 8") for (int r = 0; r < 8; r++)                                      \
      _Pragma ("GCC unroll 3") for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps (); \
    for (int k = 0; k < K; k++)                                                               \
      {                                                                                       \
        __m512 bv[NV];                                                                        \
        _Pragma ("GCC unroll 3") for (int v = 0; v < NV; v++) bv[v] =                         \
          _mm512_maskz_loadu_ps (m[v], b + (size_t) k * ldb + 16 * v);                        \
        _Pragma ("GCC unroll 8") for (int r = 0; r < 8; r++)                                  \
        {                                                                                     \
          __m512 av = _mm512_set1_ps (a[k * NN_PACK_ROWS + r]);                               \
          _Pragma ("GCC unroll 3") for (int v = 0; v < NV; v++) acc[r][v] =                   \
            _mm512_fmadd_ps (av, bv[v], acc[r][v]);                                           \
        }                                                                                     \
      }                                                                                       \
    _Pragma ("GCC unroll 8") for (int r = 0; r < 8; r++) if (r < rows)                        \
      _Pragma ("GCC unroll 3") for (int v = 0; v < NV; v++)                                   \
        _mm512_mask_storeu_ps (c + (size_t) r * ldc + 16 * v, m[v], acc[r][v]);               \
  }

DEFINE_KERNEL_8 (2)
DEFINE_KERNEL_8 (3)

static TARGET void
gemm_packed_avx512 (float *c, size_t ldc, const float *packed, const float *b, size_t ldb, int M,
                    int N, int K)
{
  size_t panel = (size_t) K * NN_PACK_ROWS;

  for (int n0 = 0; n0 < N;)
    {
      int cols = N - n0;
      if (cols <= 16)
        {
          /* one vector of columns: 16 rows at a time keeps enough FMAs in flight */
          int m0 = 0;
          for (; m0 + 8 < M; m0 += 16)
            kernel_16x1 (c + (size_t) m0 * ldc + n0, ldc, packed + (size_t) (m0 / 8) * panel,
                         b + n0, ldb, K, nn_min (16, M - m0), cols);
          if (m0 < M)
            kernel_8x2 (c + (size_t) m0 * ldc + n0, ldc, packed + (size_t) (m0 / 8) * panel, b + n0,
                        ldb, K, M - m0, cols);
          n0 += cols;
        }
      else
        {
          int width = cols <= 32 ? 32 : 48;
          for (int m0 = 0; m0 < M; m0 += 8)
            {
              float *cm = c + (size_t) m0 * ldc + n0;
              const float *am = packed + (size_t) (m0 / 8) * panel;
              if (width == 32)
                kernel_8x2 (cm, ldc, am, b + n0, ldb, K, nn_min (8, M - m0), cols);
              else
                kernel_8x3 (cm, ldc, am, b + n0, ldb, K, nn_min (8, M - m0), nn_min (48, cols));
            }
          n0 += nn_min (width, cols);
        }
    }
}

#endif /* HAVE_AVX512_KERNEL */

void
nn_gemm_packed (float *c, size_t ldc, const float *packed, const float *b, size_t ldb, int M, int N,
                int K)
{
#ifdef HAVE_AVX512_KERNEL
  if (nn_gemm_packed_available ())
    {
      gemm_packed_avx512 (c, ldc, packed, b, ldb, M, N, K);
      return;
    }
#endif
  nn_gemm_packed_ref (c, ldc, packed, b, ldb, M, N, K);
}
