/* nn-private.h: helpers shared by the kernels of this folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "nn.h"

#include <stdint.h>

/* Hot loops are compiled for several instruction sets and picked at load time (GNU ifunc), so one
 * binary runs anywhere and still uses AVX-512 where the CPU has it. Not under the sanitizers: the
 * ifunc resolvers run before their run-time is set up (ThreadSanitizer crashes there). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NN_NO_CLONES 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NN_NO_CLONES 1
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(NN_NO_CLONES)
#define NN_SIMD_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#define NN_SIMD_CLONES
#endif

static inline int
nn_min (int a, int b)
{
  return a < b ? a : b;
}

static inline int
nn_max (int a, int b)
{
  return a > b ? a : b;
}

static inline int
nn_ceil_div (int a, int b)
{
  return (a + b - 1) / b;
}

static inline int
nn_round_up (int a, int multiple)
{
  return nn_ceil_div (a, multiple) * multiple;
}

/* Winograd F(m×m, 3×3) (nn-winograd.c) */
bool nn_winograd_supported (const NnConv *conv);
/* outputs per tile side (m) and number of points (α² = (m + 2)²) of a variant */
int nn_winograd_tile (NnWinoVariant v);
int nn_winograd_points (NnWinoVariant v);
void nn_winograd_transform_weights (float *u,            /* (P, OC, C) */
                                    const float *weight, /* (OC, C, 3, 3) */
                                    int OC, int C, NnWinoVariant v);
size_t nn_winograd_scratch_floats (const NnConv *conv, int B, int H, int W, int n_threads,
                                   NnWinoVariant v);
void nn_winograd_forward (float *out,            /* (OC, B, Ho, Wo) */
                          const float *inp,      /* (C, B, H, W) */
                          const float *residual, /* (OC, B, Ho, Wo) or NULL */
                          const NnConv *conv, int B, int H, int W, bool relu, NnWinoVariant v,
                          NnPool *pool, float *scratch);

/* Bias, residual and ReLU on @n outputs of one channel. */
NN_SIMD_CLONES void
nn_epilogue_row (float *out, const float *residual, float bias, bool relu, size_t n);
