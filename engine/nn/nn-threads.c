/* nn-threads.c: the worker threads (NnPool) that run one parallel loop at a time.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A forward pass is a few dozen parallel loops of 50 µs to a few ms each, run back to back. Waking
 * sleeping threads through a condition variable for every loop costs tens of microseconds, so idle
 * workers first spin on the job counter for about a tenth of a millisecond and only then sleep.
 */
#include "nn.h"

#include <cblas.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause ()
#else
#define cpu_relax() ((void) 0)
#endif

enum
{
  SPIN_ITERATIONS = 20000, /* ~100 µs of pause instructions before a worker sleeps */
};

struct NnPool
{
  int n_threads;
  pthread_t *threads; /* n_threads - 1 workers; the caller is thread 0 */

  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool quit;

  /* the current job, published by incrementing generation */
  NnTaskFunc func;
  void *ctx;
  int n_tasks;
  atomic_int generation;
  atomic_int next_task;
  atomic_int pending; /* workers that have not finished the current job */
};

typedef struct
{
  NnPool *pool;
  int thread;
} WorkerArg;

static void
run_tasks (NnPool *pool, int thread)
{
  for (;;)
    {
      int task = atomic_fetch_add_explicit (&pool->next_task, 1, memory_order_relaxed);
      if (task >= pool->n_tasks)
        break;
      pool->func (pool->ctx, task, thread);
    }
}

static void *
pool_worker (void *data)
{
  WorkerArg *arg = data;
  NnPool *pool = arg->pool;
  int thread = arg->thread;
  int seen = 0;

  free (arg);
  for (;;)
    {
      int gen = atomic_load_explicit (&pool->generation, memory_order_acquire);
      for (int i = 0; gen == seen && i < SPIN_ITERATIONS; i++)
        {
          cpu_relax ();
          gen = atomic_load_explicit (&pool->generation, memory_order_acquire);
        }
      if (gen == seen)
        {
          pthread_mutex_lock (&pool->lock);
          while ((gen = atomic_load_explicit (&pool->generation, memory_order_acquire)) == seen
                 && !pool->quit)
            pthread_cond_wait (&pool->wake, &pool->lock);
          pthread_mutex_unlock (&pool->lock);
        }
      if (gen == seen) /* quit */
        break;
      seen = gen;
      run_tasks (pool, thread);
      atomic_fetch_sub_explicit (&pool->pending, 1, memory_order_release);
    }
  return NULL;
}

NnPool *
nn_pool_new (int n_threads)
{
  NnPool *pool = calloc (1, sizeof *pool);

  if (!pool)
    return NULL;
  if (n_threads < 1)
    n_threads = 1;
  pool->n_threads = n_threads;
  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->wake, NULL);
  pool->threads = calloc ((size_t) n_threads, sizeof (pthread_t));
  if (!pool->threads)
    {
      nn_pool_free (pool);
      return NULL;
    }
  for (int t = 1; t < n_threads; t++)
    {
      WorkerArg *arg = malloc (sizeof *arg);
      if (!arg)
        {
          pool->n_threads = t;
          nn_pool_free (pool);
          return NULL;
        }
      arg->pool = pool;
      arg->thread = t;
      if (pthread_create (&pool->threads[t], NULL, pool_worker, arg) != 0)
        {
          free (arg);
          pool->n_threads = t;
          nn_pool_free (pool);
          return NULL;
        }
    }
  return pool;
}

void
nn_pool_free (NnPool *pool)
{
  if (!pool)
    return;
  if (pool->threads)
    {
      pthread_mutex_lock (&pool->lock);
      pool->quit = true;
      pthread_cond_broadcast (&pool->wake);
      pthread_mutex_unlock (&pool->lock);
      for (int t = 1; t < pool->n_threads; t++)
        pthread_join (pool->threads[t], NULL);
      free (pool->threads);
    }
  pthread_cond_destroy (&pool->wake);
  pthread_mutex_destroy (&pool->lock);
  free (pool);
}

int
nn_pool_get_n_threads (const NnPool *pool)
{
  return pool ? pool->n_threads : 1;
}

void
nn_pool_run (NnPool *pool, int n_tasks, NnTaskFunc func, void *ctx)
{
  if (n_tasks <= 0)
    return;
  if (!pool || pool->n_threads == 1 || n_tasks == 1)
    {
      for (int task = 0; task < n_tasks; task++)
        func (ctx, task, 0);
      return;
    }

  pthread_mutex_lock (&pool->lock);
  pool->func = func;
  pool->ctx = ctx;
  pool->n_tasks = n_tasks;
  atomic_store_explicit (&pool->next_task, 0, memory_order_relaxed);
  atomic_store_explicit (&pool->pending, pool->n_threads - 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&pool->generation, 1, memory_order_release);
  pthread_cond_broadcast (&pool->wake);
  pthread_mutex_unlock (&pool->lock);

  run_tasks (pool, 0);

  for (unsigned spins = 0; atomic_load_explicit (&pool->pending, memory_order_acquire) > 0; spins++)
    {
      if (spins < SPIN_ITERATIONS)
        cpu_relax ();
      else
        sched_yield ();
    }
}

static void
blas_single_threaded (void)
{
  openblas_set_num_threads (1);
}

void
nn_blas_init (void)
{
  /* Once: after a fork () OpenBLAS has stopped its (idle) server thread, and setting the count
   * again would start one more from whichever thread called, at that thread's priority. */
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once (&once, blas_single_threaded);
}
