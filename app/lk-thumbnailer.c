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

#include "config.h"

#include "lk-thumbnailer.h"

#include <errno.h>
#include <glib/gi18n.h>
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
  char *path;    /* a catalog image, or NULL */
  GBytes *bytes; /* or a dropped or pasted picture */
  char *name;    /* what errors call the picture */
  int size;
} Request;

static void
request_free (Request *request)
{
  g_free (request->path);
  g_clear_pointer (&request->bytes, g_bytes_unref);
  g_free (request->name);
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
lk_image_new_from_texture (GdkTexture *texture, const char *name, GError **error)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  guint64 max_pixels = lk_decode_default_params ().max_pixels;
  g_autofree guint8 *argb = NULL;
  LkImage *image;

  /* the size is known without the pixels: check it before downloading them */
  if (w <= 0 || h <= 0)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_DECODE, _ ("%s: the picture is empty"), name);
      return NULL;
    }
  if ((guint64) w * h > max_pixels)
    {
      g_set_error (error, LK_ERROR, LK_ERROR_DECODE,
                   /* Translators: as the decoder says it of a file: "Pasted picture: image is
                    * 30000×30000 pixels, over the 100-megapixel limit" */
                   _ ("%s: image is %d×%d pixels, over the %u-megapixel limit"), name, w, h,
                   (guint) (max_pixels / 1000000));
      return NULL;
    }
  image = lk_image_new (w, h);
  argb = g_try_malloc ((gsize) w * h * 4);
  if (!image || !argb)
    {
      lk_image_free (image);
      g_set_error (error, LK_ERROR, LK_ERROR_DECODE, _ ("%s: not enough memory for the picture"),
                   name);
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
  if (request->bytes)
    image = lk_image_decode_bytes (request->bytes, request->name, &decode, &error);
  else
    image = lk_image_decode_file (request->path, &decode, &error);
  if (!image || !(small = lk_image_scale_to_fit (image, request->size, &error)))
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
  Request *request = g_new0 (Request, 1);
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

void
lk_thumbnailer_load_bytes_async (LkThumbnailer *self, GBytes *bytes, const char *name,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, lk_thumbnailer_load_async);
  request->bytes = g_bytes_ref (bytes);
  request->name = g_strdup (name);
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

  if (texture && request && request->path)
    remember (self, request->path, texture);
  return texture;
}

/* ---------------------------------------------------------------------------------------------- */
/* Pictures dropped or pasted                                                                      */
/* ---------------------------------------------------------------------------------------------- */

struct _LkPictureBytes
{
  gint ref_count;
  GBytes *bytes; /* the encoded picture, or NULL */
  char *problem; /* why there are no bytes, without the picture's name */
};

/* The formats the engine decodes (lk_image_decode_bytes), most preferred first: what GTK
 * applications and web browsers offer (PNG, lossless), then the rest. */
static const char *const picture_mime_types[] = {
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/bmp",
  "image/x-bmp",
  "image/x-portable-pixmap",
  "image/x-portable-graymap",
  "image/x-portable-anymap",
  "image/vnd.adobe.photoshop",
  "image/x-tga",
  "image/vnd.radiance",
};

enum
{
  READ_CHUNK = 256 * 1024,
};

typedef struct
{
  GByteArray *data;
  guint64 limit;
  guint8 chunk[READ_CHUNK];
} Reading;

static void
reading_free (Reading *reading)
{
  g_byte_array_unref (reading->data);
  g_free (reading);
}

static void register_deserializers (GType type);

G_DEFINE_BOXED_TYPE_WITH_CODE (LkPictureBytes, lk_picture_bytes, lk_picture_bytes_ref,
                               lk_picture_bytes_unref, register_deserializers (g_define_type_id))

LkPictureBytes *
lk_picture_bytes_ref (LkPictureBytes *picture)
{
  g_atomic_int_inc (&picture->ref_count);
  return picture;
}

void
lk_picture_bytes_unref (LkPictureBytes *picture)
{
  if (!picture || !g_atomic_int_dec_and_test (&picture->ref_count))
    return;
  g_clear_pointer (&picture->bytes, g_bytes_unref);
  g_free (picture->problem);
  g_free (picture);
}

static void
return_picture (GdkContentDeserializer *deserializer, GBytes *bytes, char *problem)
{
  LkPictureBytes *picture = g_new0 (LkPictureBytes, 1);

  picture->ref_count = 1;
  picture->bytes = bytes;
  picture->problem = problem;
  g_value_take_boxed (gdk_content_deserializer_get_value (deserializer), picture);
  gdk_content_deserializer_return_success (deserializer);
}

static void read_more (GdkContentDeserializer *deserializer);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GdkContentDeserializer *deserializer = user_data;
  Reading *reading = gdk_content_deserializer_get_task_data (deserializer);
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      /* a drop target only logs the errors of a drop: the reason goes into the value, to be shown */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gdk_content_deserializer_return_error (deserializer, g_steal_pointer (&error));
      else
        return_picture (deserializer, NULL,
                        /* Translators: after the picture's name: "Dropped picture: could not be
                         * read (Connection reset by peer)" */
                        g_strdup_printf (_ ("could not be read (%s)"), error->message));
      return;
    }
  if (n == 0)
    {
      /* the whole picture; the array's spare capacity (up to as much again) is given back */
      gsize len = reading->data->len;
      guint8 *data = g_byte_array_steal (reading->data, NULL);
      return_picture (deserializer, g_bytes_new_take (g_realloc (data, MAX (len, 1)), len), NULL);
      return;
    }
  if ((guint64) reading->data->len + (guint64) n > reading->limit)
    {
      /* stop here: not one byte more than the limit is kept, however much the source has */
      g_autofree char *limit = g_format_size_full (reading->limit, G_FORMAT_SIZE_IEC_UNITS);
      return_picture (deserializer, NULL,
                      /* Translators: after the picture's name: "Pasted picture: picture data is
                       * over the 512.0 MiB limit" */
                      g_strdup_printf (_ ("picture data is over the %s limit"), limit));
      return;
    }
  g_byte_array_append (reading->data, reading->chunk, (guint) n);
  read_more (deserializer);
}

static void
read_more (GdkContentDeserializer *deserializer)
{
  Reading *reading = gdk_content_deserializer_get_task_data (deserializer);

  g_input_stream_read_async (
    gdk_content_deserializer_get_input_stream (deserializer), reading->chunk, sizeof reading->chunk,
    gdk_content_deserializer_get_priority (deserializer),
    gdk_content_deserializer_get_cancellable (deserializer), read_cb, deserializer);
}

/* Reads the raw picture, bounded; the deserializer stays alive until it returns. */
static void
deserialize_picture (GdkContentDeserializer *deserializer)
{
  Reading *reading = g_new (Reading, 1);

  reading->data = g_byte_array_new ();
  reading->limit = lk_decode_default_params ().max_file_size;
  gdk_content_deserializer_set_task_data (deserializer, reading, (GDestroyNotify) reading_free);
  read_more (deserializer);
}

static void
register_deserializers (GType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (picture_mime_types); i++)
    gdk_content_register_deserializer (picture_mime_types[i], type, deserialize_picture, NULL,
                                       NULL);
}

gboolean
lk_picture_bytes_offered (GdkContentFormats *formats)
{
  for (gsize i = 0; i < G_N_ELEMENTS (picture_mime_types); i++)
    if (gdk_content_formats_contain_mime_type (formats, picture_mime_types[i]))
      return TRUE;
  return FALSE;
}

GBytes *
lk_picture_bytes_get_bytes (LkPictureBytes *picture, const char *name, GError **error)
{
  if (!picture->bytes)
    {
      /* as the decoder words its errors: the picture's name, then why */
      g_set_error (error, LK_ERROR, LK_ERROR_DECODE, "%s: %s", name, picture->problem);
      return NULL;
    }
  return g_bytes_ref (picture->bytes);
}
