/* lk-tsan.c: GLib's synchronisation, made visible to ThreadSanitizer. Built only under
 * -Db_sanitize=thread (engine/meson.build), into every program that links liblookalike.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Debian's GLib is not built with ThreadSanitizer, and on Linux its GMutex and GCond are futexes,
 * not pthread calls the sanitizer intercepts: without help it sees no ordering between a thread
 * that unlocks a GMutex and one that locks it next, or between g_async_queue_push () and the pop
 * that receives the item, and reports every hand-over as a data race. These wrappers take
 * precedence over GLib's functions (the program's own symbols come first), call them through
 * dlsym (RTLD_NEXT), and tell the sanitizer what they did with __tsan_acquire () and
 * __tsan_release (). They change nothing else: the same GLib functions run, in the same order.
 */
#include <dlfcn.h>
#include <glib.h>

void __tsan_acquire (void *addr);
void __tsan_release (void *addr);

/* real_NAME: GLib's own function, looked up on first use (atomically: two threads may race to) */
#define REAL(name, ret, ...)                                                           \
  static ret (*next_##name) (__VA_ARGS__);                                             \
  ret (*real_##name) (__VA_ARGS__) = __atomic_load_n (&next_##name, __ATOMIC_RELAXED); \
  if (G_UNLIKELY (!real_##name))                                                       \
    {                                                                                  \
      real_##name = (ret (*) (__VA_ARGS__)) dlsym (RTLD_NEXT, #name);                  \
      __atomic_store_n (&next_##name, real_##name, __ATOMIC_RELAXED);                  \
    }

/* GMutex, GRecMutex, GRWLock ------------------------------------------------------------------- */

void
g_mutex_lock (GMutex *mutex)
{
  REAL (g_mutex_lock, void, GMutex *);
  real_g_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  REAL (g_mutex_trylock, gboolean, GMutex *);
  gboolean locked = real_g_mutex_trylock (mutex);
  if (locked)
    __tsan_acquire (mutex);
  return locked;
}

void
g_mutex_unlock (GMutex *mutex)
{
  REAL (g_mutex_unlock, void, GMutex *);
  __tsan_release (mutex);
  real_g_mutex_unlock (mutex);
}

void
g_rec_mutex_lock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_lock, void, GRecMutex *);
  real_g_rec_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

void
g_rec_mutex_unlock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_unlock, void, GRecMutex *);
  __tsan_release (mutex);
  real_g_rec_mutex_unlock (mutex);
}

void
g_rw_lock_writer_lock (GRWLock *lock)
{
  REAL (g_rw_lock_writer_lock, void, GRWLock *);
  real_g_rw_lock_writer_lock (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_writer_unlock (GRWLock *lock)
{
  REAL (g_rw_lock_writer_unlock, void, GRWLock *);
  __tsan_release (lock);
  real_g_rw_lock_writer_unlock (lock);
}

void
g_rw_lock_reader_lock (GRWLock *lock)
{
  REAL (g_rw_lock_reader_lock, void, GRWLock *);
  real_g_rw_lock_reader_lock (lock);
  __tsan_acquire (lock);
}

void
g_rw_lock_reader_unlock (GRWLock *lock)
{
  REAL (g_rw_lock_reader_unlock, void, GRWLock *);
  __tsan_release (lock);
  real_g_rw_lock_reader_unlock (lock);
}

/* GCond: waiting releases the mutex and takes it back ------------------------------------------ */

void
g_cond_wait (GCond *cond, GMutex *mutex)
{
  REAL (g_cond_wait, void, GCond *, GMutex *);
  __tsan_release (mutex);
  real_g_cond_wait (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond *cond, GMutex *mutex, gint64 end_time)
{
  REAL (g_cond_wait_until, gboolean, GCond *, GMutex *, gint64);
  __tsan_release (mutex);
  gboolean signalled = real_g_cond_wait_until (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return signalled;
}

/* GAsyncQueue: what is pushed happens before it is popped ------------------------------------- */

void
g_async_queue_push (GAsyncQueue *queue, gpointer data)
{
  REAL (g_async_queue_push, void, GAsyncQueue *, gpointer);
  __tsan_release (queue);
  real_g_async_queue_push (queue, data);
}

gpointer
g_async_queue_pop (GAsyncQueue *queue)
{
  REAL (g_async_queue_pop, gpointer, GAsyncQueue *);
  gpointer data = real_g_async_queue_pop (queue);
  __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_try_pop (GAsyncQueue *queue)
{
  REAL (g_async_queue_try_pop, gpointer, GAsyncQueue *);
  gpointer data = real_g_async_queue_try_pop (queue);
  if (data)
    __tsan_acquire (queue);
  return data;
}

gpointer
g_async_queue_timeout_pop (GAsyncQueue *queue, guint64 timeout)
{
  REAL (g_async_queue_timeout_pop, gpointer, GAsyncQueue *, guint64);
  gpointer data = real_g_async_queue_timeout_pop (queue, timeout);
  if (data)
    __tsan_acquire (queue);
  return data;
}

/* GThreadPool: pushing an item happens before the worker runs on it ---------------------------- */

typedef struct
{
  GFunc func;
  gpointer user_data;
} PoolFunc;

static void
pool_trampoline (gpointer data, gpointer user_data)
{
  PoolFunc *pf = user_data;
  __tsan_acquire (data);
  pf->func (data, pf->user_data);
}

GThreadPool *
g_thread_pool_new (GFunc func, gpointer user_data, gint max_threads, gboolean exclusive,
                   GError **error)
{
  REAL (g_thread_pool_new, GThreadPool *, GFunc, gpointer, gint, gboolean, GError **);
  /* lives as long as the program: pools are few, and a pool does not say when it is freed */
  PoolFunc *pf = g_new (PoolFunc, 1);
  pf->func = func;
  pf->user_data = user_data;
  return real_g_thread_pool_new (pool_trampoline, pf, max_threads, exclusive, error);
}

gboolean
g_thread_pool_push (GThreadPool *pool, gpointer data, GError **error)
{
  REAL (g_thread_pool_push, gboolean, GThreadPool *, gpointer, GError **);
  __tsan_release (data);
  return real_g_thread_pool_push (pool, data, error);
}

/* g_once_init_enter () reads with an atomic load in the caller; the store is GLib's */

void (g_once_init_leave) (volatile void *location, gsize result)
{
  REAL (g_once_init_leave, void, volatile void *, gsize);
  __tsan_release ((void *) location);
  real_g_once_init_leave (location, result);
}

gboolean (g_once_init_enter) (volatile void *location)
{
  REAL (g_once_init_enter, gboolean, volatile void *);
  gboolean first = real_g_once_init_enter (location);
  if (!first)
    __tsan_acquire ((void *) location);
  return first;
}
