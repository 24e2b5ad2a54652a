/* lk-thumbnailer.c: small pictures of catalog images, made in worker threads and cached.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decoding runs on a pool of one thread per core at most, so that scrolling a grid of thousands
 * of results never queues more than a core's worth of work per core; a request cancelled before
 * its turn (the tile scrolled away) costs nothing. The cache is used from the main thread only.
 */
#define G_LOG_DOMAIN "lk-thumbnailer"

#include "lk-thumbnailer.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

struct _LkThumbnailer
{
  GObject parent_instance;

  int size;
  guint cache_size;
  GHashTable *cache; /* path → GdkTexture */
  GQueue lru;        /* paths, most recent first (owned by cache keys) */
  GThreadPool *pool;
};

G_DEFINE_FINAL_TYPE (LkThumbnailer, lk_thumbnailer, G_TYPE_OBJECT)

typedef struct
{
  char *path;
  int size;
} Request;

static void
request_free (Request *request)
{
  g_free (request->path);
  g_free (request);
}

GdkTexture *
lk_texture_new_from_image (const LkImage *image)
{
  g_autoptr (GBytes) bytes = g_bytes_new (image->pixels, (gsize) image->width * image->height * 3);

  return gdk_memory_texture_new (image->width, image->height, GDK_MEMORY_R8G8B8, bytes,
                                 (gsize) image->width * 3);
}

LkImage *
lk_image_new_from_texture (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint8 *argb = NULL;
  LkImage *image;

  if (w <= 0 || h <= 0 || (guint64) w * h > 100000000u)
    return NULL;
  image = lk_image_new (w, h);
  argb = g_try_malloc ((gsize) w * h * 4);
  if (!image || !argb)
    {
      lk_image_free (image);
      return NULL;
    }
  /* cairo's ARGB32: premultiplied, native-endian 32-bit pixels; onto white is c + (255 - a) */
  gdk_texture_download (texture, argb, (gsize) w * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint32 px = ((guint32 *) argb)[i];
      guint a = px >> 24;
      image->pixels[3 * i + 0] = (guint8) MIN (255u, ((px >> 16) & 0xff) + 255 - a);
      image->pixels[3 * i + 1] = (guint8) MIN (255u, ((px >> 8) & 0xff) + 255 - a);
      image->pixels[3 * i + 2] = (guint8) MIN (255u, (px & 0xff) + 255 - a);
    }
  return image;
}

static void
thumbnail_worker (gpointer data, gpointer user_data)
{
  g_autoptr (GTask) task = data;
  const Request *request = g_task_get_task_data (task);
  LkDecodeParams decode = lk_decode_default_params ();
  g_autoptr (GError) error = NULL;
  g_autoptr (LkImage) image = NULL;
  g_autoptr (LkImage) small = NULL;

  /* The pool's threads run below the window's: a frame to draw comes before a thumbnail to make.
   * Set on each thread's first job; the pool is exclusive, so its threads serve nothing else. */
  static _Thread_local gboolean lowered;
  if (!lowered)
    {
      lowered = TRUE;
      pthread_setname_np (pthread_self (), "lk-thumbnails");
      if (setpriority (PRIO_PROCESS, (id_t) gettid (), 10) != 0)
        g_debug ("could not lower a thumbnail thread's priority: %s", g_strerror (errno));
    }

  if (g_task_return_error_if_cancelled (task))
    return;
  /* a big JPEG decodes scaled down in the DCT domain to no less than the thumbnail needs */
  decode.min_long_side = request->size;
  if (!(image = lk_image_decode_file (request->path, &decode, &error))
      || !(small = lk_image_scale_to_fit (image, request->size, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, lk_texture_new_from_image (small), g_object_unref);
}

static void
lk_thumbnailer_finalize (GObject *object)
{
  LkThumbnailer *self = LK_THUMBNAILER (object);

  /* every request's task holds a reference to us: by now the pool is idle */
  g_thread_pool_free (self->pool, FALSE, TRUE);
  g_queue_clear (&self->lru);
  g_hash_table_unref (self->cache);
  G_OBJECT_CLASS (lk_thumbnailer_parent_class)->finalize (object);
}

static void
lk_thumbnailer_class_init (LkThumbnailerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lk_thumbnailer_finalize;
}

static void
lk_thumbnailer_init (LkThumbnailer *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->pool =
    g_thread_pool_new (thumbnail_worker, NULL, MIN (2, lk_runtime_get_n_cores ()), TRUE, NULL);
}

LkThumbnailer *
lk_thumbnailer_new (int size, guint cache_size)
{
  LkThumbnailer *self = g_object_new (LK_TYPE_THUMBNAILER, NULL);

  self->size = size;
  self->cache_size = MAX (cache_size, 1);
  return self;
}

GdkTexture *
lk_thumbnailer_lookup (LkThumbnailer *self, const char *path)
{
  char *key;
  GdkTexture *texture;

  if (!g_hash_table_lookup_extended (self->cache, path, (gpointer *) &key, (gpointer *) &texture))
    return NULL;
  /* most recently used first */
  g_queue_remove (&self->lru, key);
  g_queue_push_head (&self->lru, key);
  return texture;
}

static void
remember (LkThumbnailer *self, const char *path, GdkTexture *texture)
{
  char *key;

  if (lk_thumbnailer_lookup (self, path))
    return;
  key = g_strdup (path);
  g_hash_table_insert (self->cache, key, g_object_ref (texture));
  g_queue_push_head (&self->lru, key);
  while (self->lru.length > self->cache_size)
    g_hash_table_remove (self->cache, g_queue_pop_tail (&self->lru));
}

void
lk_thumbnailer_load_async (LkThumbnailer *self, const char *path, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *request = g_new (Request, 1);
  GdkTexture *cached = lk_thumbnailer_lookup (self, path);

  g_task_set_source_tag (task, lk_thumbnailer_load_async);
  if (cached)
    {
      g_task_return_pointer (task, g_object_ref (cached), g_object_unref);
      g_object_unref (task);
      g_free (request);
      return;
    }
  request->path = g_strdup (path);
  request->size = self->size;
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_thread_pool_push (self->pool, task, NULL);
}

GdkTexture *
lk_thumbnailer_load_finish (LkThumbnailer *self, GAsyncResult *result, GError **error)
{
  GTask *task = G_TASK (result);
  GdkTexture *texture = g_task_propagate_pointer (task, error);
  const Request *request = g_task_get_task_data (task);

  if (texture && request)
    remember (self, request->path, texture);
  return texture;
}
