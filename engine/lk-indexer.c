/* lk-indexer.c: bringing a catalog's vectors up to date with its folder.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run is planned, then pipelined:
 *
 *   plan      scan the folder, compare with the catalog: new, changed and not-yet-embedded images
 *             become jobs; catalog items no longer on disk are candidates for removal (or for a
 *             rename, if a new file turns out to have the same content)
 *   prepare   the embedder state's worker threads, one image each: read the file (lk-file.h: never
 *             mapped, never blocking), hash it, decode it at the least size the preprocessing
 *             needs, resample and normalise into the batch
 *   forward   the batch through the network on the same threads
 *   write     a writer thread commits each batch in one transaction
 *
 * Prepare and forward alternate on one set of threads (as many as cores), so decoding never
 * competes with the network for a core; the writer mostly waits on the disk. Between them a queue
 * of at most WRITE_QUEUE batches keeps memory flat whatever the catalog's size. Items are written
 * with their vectors in the same transaction, so killing the process loses at most the batches
 * not yet committed, and the next run's plan picks them up again.
 */
#define G_LOG_DOMAIN "lk-indexer"

#include "lk-embedder.h"
#include "lk-file.h"
#include "lk-indexer.h"
#include "lk-scan.h"
#include "store/lk-catalog-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

enum
{
  WRITE_QUEUE = 2,            /* batches between forward and writer */
  PROGRESS_INTERVAL = 200000, /* µs between progress reports */
};

typedef enum
{
  JOB_NEW,     /* not in the catalog */
  JOB_CHANGED, /* in the catalog, but the file changed */
  JOB_EMBED,   /* in the catalog, unchanged, without a vector from this model */
} JobKind;

typedef struct
{
  /* plan (borrowed) */
  const LkScanEntry *entry;
  const LkCatalogItem *existing;
  JobKind kind;
  /* results */
  gint64 size, mtime_ns; /* of the version read (the scan's when it could not be) */
  guint8 sha256[32];
  gboolean has_sha256;
  const LkCatalogItem *renamed_from; /* a vanished item with the same content */
  int width, height;
  char *error; /* why the image cannot be read */
  int slot;    /* row of its vector in the batch, -1 without one */
} Job;

typedef struct
{
  Job *jobs; /* borrowed from the run's job array */
  int n;
  float *vectors; /* (rows, dim), owned */
} Batch;

typedef struct
{
  LkCatalog *catalog;
  LkBackend backend;
  LkEmbedderState *state;
  LkDecodeParams decode;
  int dim;

  /* prepare phase */
  Job *batch_jobs; /* the images of the batch in flight, each prepared into its own slot */
  GMutex rename_lock;
  GHashTable *vanished_by_hash; /* sha256 (32 bytes) → GQueue of vanished items with vectors */

  /* writer */
  GAsyncQueue *to_writer;
  GMutex lock;
  GCond room;
  int queued;
  GError *write_error;
  gboolean replaced; /* the backend's vectors came from another model and were dropped */
  guint added, updated, renamed;
} Run;

static void
job_clear (Job *job)
{
  g_clear_pointer (&job->error, g_free);
}

/* "shoe.jpg: truncated JPEG" → "truncated JPEG": the summary puts the path itself in front. */
static char *
reason_of (const GError *error, const char *path)
{
  g_autofree char *base = g_filename_display_basename (path);
  gsize len = strlen (base);

  if (strncmp (error->message, base, len) == 0 && strncmp (error->message + len, ": ", 2) == 0)
    return g_strdup (error->message + len + 2);
  return g_strdup (error->message);
}

/* ---------------------------------------------------------------------------------------------- */
/* Prepare                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

static const LkCatalogItem *
claim_rename (Run *run, const guint8 *sha256)
{
  const LkCatalogItem *item = NULL;
  GQueue *candidates;

  g_mutex_lock (&run->rename_lock);
  candidates = g_hash_table_lookup (run->vanished_by_hash, sha256);
  if (candidates)
    item = g_queue_pop_head (candidates);
  g_mutex_unlock (&run->rename_lock);
  return item;
}

/* Why the file of a job could not be read, as the summary says it. */
static char *
read_failure (const GError *error, const char *path)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return g_strdup ("vanished while indexing");
  return reason_of (error, path);
}

/* The indexer's reading of one scanned file (lk-indexer.h). */
GBytes *
lk_index_read_entry (const char *root, const LkScanEntry *entry, guint64 max_file_size,
                     LkFileInfo *info, char **reason)
{
  g_autofree char *path = g_build_filename (root, entry->path, NULL);
  g_autofree char *name = g_filename_display_basename (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  memset (info, 0, sizeof *info);
  if (entry->kind == LK_SNIFF_UNSUPPORTED)
    {
      *reason = g_strdup_printf ("unsupported image format (%s)",
                                 entry->format ? entry->format : "unknown");
      return NULL;
    }
  if (entry->kind == LK_SNIFF_NOT_IMAGE)
    {
      *reason = g_strdup (entry->reason);
      return NULL;
    }
  /* read, not mapped (a file rewritten meanwhile would kill the process), without blocking on
   * anything but a regular file, and refused by its size before a byte is read */
  bytes = lk_file_read (AT_FDCWD, path, name, "an image", max_file_size, info, &error);
  if (!bytes)
    {
      *reason = read_failure (error, path);
      return NULL;
    }
  if (info->changed)
    {
      *reason = g_strdup ("changed while indexing");
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

LkImage *
lk_index_decode (GBytes *bytes, const char *path, const LkDecodeParams *decode, char **reason)
{
  g_autofree char *name = g_filename_display_basename (path);
  g_autoptr (GError) error = NULL;
  LkImage *image = lk_image_decode_bytes (bytes, name, decode, &error);

  if (!image)
    *reason = reason_of (error, path);
  return image;
}

static void
prepare_task (void *ctx, int index, int thread)
{
  Run *run = ctx;
  Job *job = &run->batch_jobs[index];
  g_autofree char *path =
    g_build_filename (lk_catalog_get_root (run->catalog), job->entry->path, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LkImage) image = NULL;
  LkFileInfo info;

  (void) thread;
  job->slot = -1;
  job->size = job->entry->size;
  job->mtime_ns = job->entry->mtime_ns;
  bytes = lk_index_read_entry (lk_catalog_get_root (run->catalog), job->entry,
                               run->decode.max_file_size, &info, &job->error);
  if (!bytes)
    {
      /* what was read is no one version of the file; the next run reads it again (an impossible
       * size makes sure the plan sees a change) */
      if (info.changed)
        job->size = -1;
      return;
    }
  /* changed since the scan, but read whole: this is the version that is indexed (and for a file
   * the catalog knows, new content: every backend's vector of it is stale) */
  job->size = info.size;
  job->mtime_ns = info.mtime_ns;
  if (job->kind == JOB_EMBED
      && (info.size != job->existing->size || info.mtime_ns != job->existing->mtime_ns))
    job->kind = JOB_CHANGED;
  {
    gsize length;
    const guint8 *data = g_bytes_get_data (bytes, &length);
    g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
    gsize digest_len = sizeof job->sha256;
    g_checksum_update (sum, data, (gssize) length);
    g_checksum_get_digest (sum, job->sha256, &digest_len);
    job->has_sha256 = TRUE;
  }

  /* a file that moved keeps its vector: no need to decode it again */
  if (job->kind == JOB_NEW && run->vanished_by_hash
      && (job->renamed_from = claim_rename (run, job->sha256)))
    return;

  if (!(image = lk_index_decode (bytes, path, &run->decode, &job->error)))
    return;
  job->width = image->width;
  job->height = image->height;
  /* into this job's own slot; the forward pass closes the gaps */
  if (!lk_embedder_state_prepare (run->state, index, image, &error))
    {
      job->error = reason_of (error, path);
      return;
    }
  job->slot = index;
}

static gboolean
all_finite (const float *v, int n)
{
  for (int i = 0; i < n; i++)
    if (!isfinite (v[i]))
      return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Writer                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Fault injection for tests: LOOKALIKE_FAULT_WRITE_DELAY_MS makes the writer pause inside its
 * transaction after each image's row, before its vector, so that a test killing the process lands
 * there. */
static guint
write_delay_ms (void)
{
  static gsize once;
  static guint delay;

  if (g_once_init_enter (&once))
    {
      const char *value = g_getenv ("LOOKALIKE_FAULT_WRITE_DELAY_MS");
      delay = value ? (guint) g_ascii_strtoull (value, NULL, 10) : 0;
      g_once_init_leave (&once, 1);
    }
  return delay;
}

static gboolean
write_batch (Run *run, Batch *batch, GError **error)
{
  guint delay = write_delay_ms ();

  if (!lk_catalog_begin (run->catalog, error))
    return FALSE;
  for (int i = 0; i < batch->n; i++)
    {
      Job *job = &batch->jobs[i];
      const LkScanEntry *entry = job->entry;

      if (job->renamed_from)
        {
          if (!lk_catalog_move_item (run->catalog, job->renamed_from->id, entry->path, job->size,
                                     job->mtime_ns, error))
            goto fail;
          continue;
        }

      LkCatalogItem item = {
        .path = entry->path,
        .size = job->size,
        .mtime_ns = job->mtime_ns,
        .has_sha256 = job->has_sha256,
        .width = job->width,
        .height = job->height,
        .error = job->error,
      };
      memcpy (item.sha256, job->sha256, sizeof item.sha256);
      if (!lk_catalog_put_item (run->catalog, &item, error))
        goto fail;
      if (delay) /* between an image's row and its vector: the worst place to be killed */
        g_usleep (delay * G_TIME_SPAN_MILLISECOND);
      /* new content makes every backend's old vector of this item stale */
      if (job->kind == JOB_CHANGED && !lk_catalog_clear_vectors (run->catalog, item.id, error))
        goto fail;
      if (!lk_catalog_put_vector (
            run->catalog, run->backend, item.id,
            job->slot >= 0 ? batch->vectors + (gsize) job->slot * run->dim : NULL, run->dim, error))
        goto fail;
    }
  return lk_catalog_commit (run->catalog, error);

fail:
  lk_catalog_rollback (run->catalog);
  return FALSE;
}

static void
count_batch (Run *run, const Batch *batch)
{
  for (int i = 0; i < batch->n; i++)
    {
      const Job *job = &batch->jobs[i];
      if (job->renamed_from)
        run->renamed++;
      else if (job->slot < 0)
        continue; /* it failed: counted with the failures, not as added or updated */
      else if (job->kind == JOB_NEW || (job->kind == JOB_EMBED && !run->replaced))
        run->added++; /* new to the catalog, or to this backend */
      else
        run->updated++;
    }
}

static gpointer
writer_thread (gpointer data)
{
  Run *run = data;
  Batch *batch;

  while ((batch = g_async_queue_pop (run->to_writer)) != (Batch *) run)
    {
      GError *error = NULL;
      gboolean failed;

      g_mutex_lock (&run->lock);
      failed = run->write_error != NULL;
      g_mutex_unlock (&run->lock);
      if (!failed && write_batch (run, batch, &error))
        count_batch (run, batch);

      g_mutex_lock (&run->lock);
      if (error && !run->write_error)
        run->write_error = error;
      else if (error)
        g_error_free (error);
      run->queued--;
      g_cond_signal (&run->room);
      g_mutex_unlock (&run->lock);
      g_free (batch->vectors);
      g_free (batch);
    }
  return NULL;
}

/* Hands @batch to the writer, waiting while WRITE_QUEUE batches are already queued. FALSE once
 * the writer has failed. */
static gboolean
send_batch (Run *run, Batch *batch)
{
  gboolean ok;

  g_mutex_lock (&run->lock);
  while (run->queued >= WRITE_QUEUE && !run->write_error)
    g_cond_wait (&run->room, &run->lock);
  ok = run->write_error == NULL;
  if (ok)
    run->queued++;
  g_mutex_unlock (&run->lock);
  if (ok)
    g_async_queue_push (run->to_writer, batch);
  else
    {
      g_free (batch->vectors);
      g_free (batch);
    }
  return ok;
}

/* ---------------------------------------------------------------------------------------------- */
/* Plan and run                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

LkIndexParams
lk_index_default_params (void)
{
  return (LkIndexParams){
    .n_threads = 0,
    .batch = 16,
    .decode = lk_decode_default_params (),
  };
}

static void
failure_free (LkIndexFailure *failure)
{
  g_free (failure->path);
  g_free (failure->reason);
  g_free (failure);
}

static void
add_failure (GPtrArray *failures, const char *path, const char *reason)
{
  LkIndexFailure *failure = g_new (LkIndexFailure, 1);
  failure->path = g_strdup (path);
  failure->reason = g_strdup (reason);
  g_ptr_array_add (failures, failure);
}

static int
compare_failures (gconstpointer a, gconstpointer b)
{
  const LkIndexFailure *x = *(LkIndexFailure *const *) a, *y = *(LkIndexFailure *const *) b;
  return strcmp (x->path, y->path);
}

void
lk_index_summary_free (LkIndexSummary *summary)
{
  if (!summary)
    return;
  if (summary->failures)
    g_ptr_array_unref (summary->failures);
  g_free (summary);
}

/* 1540 → "1,540" */
static void
append_count (GString *out, guint n)
{
  g_autofree char *digits = g_strdup_printf ("%u", n);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
}

char *
lk_index_summary_to_string (const LkIndexSummary *summary, guint max_failures)
{
  GString *out = g_string_new ("added ");
  guint failed = summary->failures ? summary->failures->len : 0;

  append_count (out, summary->added);
  g_string_append (out, ", updated ");
  append_count (out, summary->updated);
  g_string_append (out, ", removed ");
  append_count (out, summary->removed);
  if (summary->renamed)
    {
      g_string_append (out, ", renamed ");
      append_count (out, summary->renamed);
    }
  g_string_append (out, ", failed ");
  append_count (out, failed);
  for (guint i = 0; i < failed && i < max_failures; i++)
    {
      const LkIndexFailure *f = summary->failures->pdata[i];
      g_autofree char *shown = lk_path_display_line (f->path);
      g_string_append_printf (out, "%s %s (%s)", i ? "," : ":", shown, f->reason);
    }
  if (failed > max_failures)
    g_string_append_printf (out, ", … and %u more", failed - max_failures);
  return g_string_free (out, FALSE);
}

static void
report (const LkIndexProgress *p, LkIndexProgressFunc progress, gpointer user_data)
{
  if (progress)
    progress (p, user_data);
}

typedef struct
{
  LkIndexProgressFunc progress;
  gpointer user_data;
} Waiting;

static void
waiting_cb (gpointer data)
{
  Waiting *waiting = data;
  LkIndexProgress p = { .eta_seconds = -1, .phase = LK_INDEX_WAITING };

  report (&p, waiting->progress, waiting->user_data);
}

gboolean
lk_catalog_lock_for_writing (LkCatalog *catalog, LkIndexProgressFunc progress, gpointer user_data,
                             GCancellable *cancellable, GError **error)
{
  Waiting waiting = { progress, user_data };

  return lk_catalog_lock_writer (catalog, waiting_cb, &waiting, cancellable, error);
}

static void
queue_free (gpointer queue)
{
  g_queue_free (queue);
}

/* SHA-256 digests (32 bytes) as hash-table keys */
static guint
digest_hash (gconstpointer key)
{
  guint h;
  memcpy (&h, key, sizeof h);
  return h;
}

static gboolean
digest_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, 32) == 0;
}

/* A backend of another's vectors: the upstream's vectors brought up to date (the photos read),
 * then the codes made of them, both under one hold of the writer lock. */
static gboolean
index_through_upstream (LkCatalog *catalog, LkEmbedder *embedder, const LkIndexParams *params,
                        LkIndexProgressFunc progress, gpointer user_data,
                        LkIndexSummary **summary_out, GCancellable *cancellable, GError **error)
{
  g_autoptr (LkIndexSummary) summary = NULL;
  gboolean locked_here = !lk_catalog_holds_writer_lock (catalog);
  gint64 start = g_get_monotonic_time ();
  guint made = 0;

  if (!lk_catalog_lock_for_writing (catalog, progress, user_data, cancellable, error))
    return FALSE;
  g_autoptr (LkCatalogLockGuard) guard = locked_here ? catalog : NULL;
  (void) guard; /* only its cleanup matters */
  if (!lk_catalog_index (catalog, lk_embedder_get_upstream (embedder), params, progress, user_data,
                         &summary, cancellable, error)
      || !lk_index_compress (catalog, embedder, progress, user_data, &made, cancellable, error))
    return FALSE;
  summary->seconds = (g_get_monotonic_time () - start) / 1e6;
  if (summary_out)
    *summary_out = g_steal_pointer (&summary);
  return TRUE;
}

gboolean
lk_catalog_index (LkCatalog *catalog, LkEmbedder *embedder, const LkIndexParams *params_in,
                  LkIndexProgressFunc progress, gpointer user_data, LkIndexSummary **summary_out,
                  GCancellable *cancellable, GError **error)
{
  LkIndexParams params = params_in ? *params_in : lk_index_default_params ();
  g_autoptr (LkModelIdentity) identity = NULL;
  g_autoptr (GHashTable) items = NULL, embedded = NULL;
  g_autoptr (LkScanResult) scan = NULL;
  g_autoptr (GArray) jobs = NULL;
  g_autoptr (GHashTable) present = NULL;
  g_autoptr (GPtrArray) vanished = NULL;
  g_autoptr (LkIndexSummary) summary = g_new0 (LkIndexSummary, 1);
  g_autoptr (LkEmbedderState) state = NULL;
  gint64 start = g_get_monotonic_time ();
  LkBackend backend = lk_embedder_get_backend (embedder);
  Run run = { .catalog = catalog, .backend = backend };

  if (params.batch < 1)
    params.batch = 1;
  if (lk_embedder_get_upstream (embedder))
    return index_through_upstream (catalog, embedder, &params, progress, user_data, summary_out,
                                   cancellable, error);
  identity = lk_model_identity_copy (lk_embedder_get_identity (embedder));

  /* the state first: it checks the batch before anything is written */
  if (!(state = lk_embedder_state_new (embedder, params.n_threads, params.batch, error)))
    return FALSE;

  /* one process at a time; the caller's lock stays theirs, one taken here ends with this run */
  gboolean locked_here = !lk_catalog_holds_writer_lock (catalog);
  if (!lk_catalog_lock_for_writing (catalog, progress, user_data, cancellable, error))
    return FALSE;
  g_autoptr (LkCatalogLockGuard) guard = locked_here ? catalog : NULL;
  (void) guard; /* only its cleanup matters */

  /* plan; the vectors already stored are read back first, as a search would read them, so that
   * a damaged catalog is reported here rather than indexed on */
  if (!lk_catalog_set_identity (catalog, backend, identity, &run.replaced, error)
      || !lk_catalog_check_vectors (catalog, backend, identity->dim, error)
      || !(items = lk_catalog_load_items (catalog, error))
      || !(embedded = lk_catalog_load_embedded (catalog, backend, error))
      || !(scan = lk_scan_folder (lk_catalog_get_root (catalog), items, cancellable, error)))
    return FALSE;

  summary->failures = g_ptr_array_new_with_free_func ((GDestroyNotify) failure_free);
  jobs = g_array_new (FALSE, TRUE, sizeof (Job));
  g_array_set_clear_func (jobs, (GDestroyNotify) job_clear);
  present = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < scan->entries->len; i++)
    {
      const LkScanEntry *entry = scan->entries->pdata[i];
      const LkCatalogItem *item = g_hash_table_lookup (items, entry->path);
      Job job = { .entry = entry, .existing = item, .slot = -1 };

      g_hash_table_add (present, entry->path);
      if (!item)
        job.kind = JOB_NEW;
      else if (item->size != entry->size || item->mtime_ns != entry->mtime_ns)
        job.kind = JOB_CHANGED;
      else if (item->error)
        {
          /* unchanged and still unreadable: say so, but do not try again */
          add_failure (summary->failures, item->path, item->error);
          summary->unchanged++;
          continue;
        }
      else if (!g_hash_table_contains (embedded, &item->id))
        job.kind = JOB_EMBED;
      else
        {
          summary->unchanged++;
          continue;
        }
      g_array_append_val (jobs, job);
    }

  /* items gone from the folder (not merely behind a folder that could not be read this time);
   * those with a vector may turn out to have been renamed */
  vanished = g_ptr_array_new ();
  run.vanished_by_hash = g_hash_table_new_full (digest_hash, digest_equal, g_free, queue_free);
  {
    GHashTableIter iter;
    LkCatalogItem *item;
    g_hash_table_iter_init (&iter, items);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
      {
        if (g_hash_table_contains (present, item->path)
            || lk_scan_result_covers_problem (scan, item->path))
          continue;
        g_ptr_array_add (vanished, item);
        if (item->has_sha256 && !item->error && g_hash_table_contains (embedded, &item->id))
          {
            GQueue *queue = g_hash_table_lookup (run.vanished_by_hash, item->sha256);
            if (!queue)
              {
                queue = g_queue_new ();
                g_hash_table_insert (run.vanished_by_hash, g_memdup2 (item->sha256, 32), queue);
              }
            g_queue_push_tail (queue, item);
          }
      }
  }

  /* pipeline: the caller's limits, the embedder's size hints */
  run.state = state;
  run.decode = params.decode;
  run.decode.min_short_side = lk_embedder_get_decode_params (embedder)->min_short_side;
  run.decode.min_long_side = lk_embedder_get_decode_params (embedder)->min_long_side;
  run.dim = lk_embedder_get_dim (embedder);
  g_mutex_init (&run.rename_lock);
  g_mutex_init (&run.lock);
  g_cond_init (&run.room);
  run.to_writer = g_async_queue_new ();
  GThread *writer = g_thread_new ("lk-index-writer", writer_thread, &run);

  LkIndexProgress p = { .done = 0, .total = jobs->len, .eta_seconds = -1 };
  gint64 last_report = 0;
  GError *local = NULL;
  report (&p, progress, user_data);

  for (guint first = 0; first < jobs->len && !local; first += (guint) params.batch)
    {
      int n = (int) MIN ((guint) params.batch, jobs->len - first);
      Batch *batch;
      int rows = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, &local))
        break;
      g_mutex_lock (&run.lock);
      if (run.write_error)
        local = g_error_copy (run.write_error);
      g_mutex_unlock (&run.lock);
      if (local)
        break;

      run.batch_jobs = &g_array_index (jobs, Job, first);
      lk_embedder_state_run_tasks (state, n, prepare_task, &run);

      /* the images that decoded run as one batch: close the gaps the others left */
      for (int i = 0; i < n; i++)
        if (run.batch_jobs[i].slot >= 0)
          {
            lk_embedder_state_move_slot (state, rows, i);
            run.batch_jobs[i].slot = rows++;
          }
      batch = g_new0 (Batch, 1);
      batch->jobs = run.batch_jobs;
      batch->n = n;
      batch->vectors = g_new (float, (gsize) MAX (rows, 1) * run.dim);
      if (rows > 0 && !lk_embedder_state_embed (state, rows, batch->vectors, NULL, &local))
        {
          g_free (batch->vectors);
          g_free (batch);
          break;
        }
      /* a vector that is not finite would make the catalog unsearchable: that image failed */
      for (int i = 0; i < n; i++)
        {
          Job *job = &run.batch_jobs[i];
          if (job->slot >= 0 && !all_finite (batch->vectors + (gsize) job->slot * run.dim, run.dim))
            {
              job->error = g_strdup ("the network made a vector that is not finite (NaN)");
              job->slot = -1;
            }
        }
      if (!send_batch (&run, batch))
        continue; /* the writer failed: the loop picks its error up */

      p.done += (guint64) n;
      gint64 now = g_get_monotonic_time ();
      double elapsed = (now - start) / 1e6;
      p.images_per_second = elapsed > 0 ? p.done / elapsed : 0;
      p.eta_seconds = p.images_per_second > 0 ? (p.total - p.done) / p.images_per_second : -1;
      if (now - last_report >= PROGRESS_INTERVAL || p.done == p.total)
        {
          report (&p, progress, user_data);
          last_report = now;
        }
    }

  /* everything handed to the writer gets committed, even after a cancel */
  g_async_queue_push (run.to_writer, &run);
  g_thread_join (writer);
  if (!local && run.write_error)
    local = g_error_copy (run.write_error);
  g_clear_error (&run.write_error);
  g_async_queue_unref (run.to_writer);
  g_cond_clear (&run.room);
  g_mutex_clear (&run.lock);
  g_mutex_clear (&run.rename_lock);

  /* what vanished for good (was not renamed) goes, in one transaction */
  if (!local)
    {
      g_autoptr (GHashTable) moved = g_hash_table_new (g_int64_hash, g_int64_equal);
      for (guint i = 0; i < jobs->len; i++)
        {
          const Job *job = &g_array_index (jobs, Job, i);
          if (job->renamed_from)
            g_hash_table_add (moved, (gpointer) &job->renamed_from->id);
        }
      if (lk_catalog_begin (catalog, &local))
        {
          for (guint i = 0; i < vanished->len && !local; i++)
            {
              const LkCatalogItem *item = vanished->pdata[i];
              if (g_hash_table_contains (moved, &item->id))
                continue;
              if (lk_catalog_delete_item (catalog, item->id, &local))
                summary->removed++;
            }
          if (local)
            lk_catalog_rollback (catalog);
          else
            lk_catalog_commit (catalog, &local);
        }
    }
  g_hash_table_unref (run.vanished_by_hash);

  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }

  for (guint i = 0; i < jobs->len; i++)
    {
      const Job *job = &g_array_index (jobs, Job, i);
      if (job->error)
        add_failure (summary->failures, job->entry->path, job->error);
    }
  for (guint i = 0; i < scan->problems->len; i++)
    {
      const LkScanProblem *problem = scan->problems->pdata[i];
      add_failure (summary->failures, problem->path, problem->reason);
    }
  g_ptr_array_sort (summary->failures, compare_failures);
  summary->added = run.added;
  summary->updated = run.updated;
  summary->renamed = run.renamed;
  summary->seconds = (g_get_monotonic_time () - start) / 1e6;
  if (summary_out)
    *summary_out = g_steal_pointer (&summary);
  return TRUE;
}
