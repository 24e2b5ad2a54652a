/* lk-runtime.c: cores, OpenBLAS kernels and threads.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "lk-runtime"

#include "lookalike.h"
#include "nn.h"

#include <cblas.h>
#include <stdlib.h>
#include <unistd.h>

int
lk_runtime_get_n_cores (void)
{
  /* honours CPU affinity (taskset, cgroups), unlike sysconf (_SC_NPROCESSORS_ONLN) */
  return (int) MAX (1u, g_get_num_processors ());
}

const char *
lk_runtime_get_blas_core (void)
{
  return openblas_get_corename ();
}

/* How wide the SIMD of an OpenBLAS kernel set is: 0 SSE, 1 AVX, 2 AVX2 + FMA, 3 AVX-512. */
static int
blas_core_level (const char *core)
{
  static const struct
  {
    const char *name;
    int level;
  } cores[] = {
    { "sandybridge", 1 }, { "bulldozer", 1 },      { "piledriver", 1 }, { "steamroller", 1 },
    { "excavator", 1 },   { "haswell", 2 },        { "zen", 2 },        { "skylakex", 3 },
    { "cooperlake", 3 },  { "sapphirerapids", 3 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cores); i++)
    if (g_ascii_strcasecmp (core, cores[i].name) == 0)
      return cores[i].level;
  return 0;
}

static void
reexec_for_better_kernels (char **argv)
{
#if defined(__x86_64__) && defined(__GNUC__)
  const char *want = NULL;
  int want_level = 0;

  if (g_getenv ("OPENBLAS_CORETYPE") || g_getenv ("LOOKALIKE_NO_REEXEC"))
    return;
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    want = "SkylakeX", want_level = 3;
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    want = "Haswell", want_level = 2;
  if (!want || blas_core_level (openblas_get_corename ()) >= want_level)
    return;

  g_debug ("OpenBLAS chose %s kernels on a CPU that runs %s; restarting with OPENBLAS_CORETYPE=%s",
           openblas_get_corename (), want, want);
  /* the variable also stops a second attempt if the new process still got the old kernels */
  g_setenv ("OPENBLAS_CORETYPE", want, TRUE);
  execv ("/proc/self/exe", argv);
  g_debug ("could not restart: %s", g_strerror (errno));
#else
  (void) argv;
#endif
}

void
lk_runtime_ensure_blas_kernels (char **argv)
{
  reexec_for_better_kernels (argv);
  /* OpenBLAS starts an idle server thread of its own the first time its thread count is set: let
   * that be here, on the main thread, not on whichever worker (an indexing thread at a lowered
   * priority, say) first makes a model state or a ranker */
  nn_blas_init ();
}
