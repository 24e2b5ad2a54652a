/* lookalike.h: public API of liblookalike, the Lookalike engine.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything outside engine/ talks to the engine through this header only. The engine has no GTK
 * dependency; it uses GLib for errors, reference counting and cancellation.
 *
 * Threading: an LkModel holds read-only weights and may be shared by any number of threads. An
 * LkModelState holds the scratch memory and worker threads of one forward pass; use one per thread
 * that runs the network. Every slow call has a blocking form with a GCancellable.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

#define LK_ERROR (lk_error_quark ())

typedef enum
{
  LK_ERROR_FAILED,           /* anything not covered below */
  LK_ERROR_DECODE,           /* an image file or buffer could not be decoded */
  LK_ERROR_BAD_WEIGHTS,      /* a weights file is malformed or not a network this engine runs */
  LK_ERROR_CORRUPT_INDEX,    /* a catalog index is damaged or is not a Lookalike index */
  LK_ERROR_INVALID_ARGUMENT, /* a parameter is out of range (input size, batch, ...) */
} LkError;

GQuark lk_error_quark (void);

/* ---------------------------------------------------------------------------------------------- */
/* Runtime: threads and BLAS                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/* The engine runs OpenBLAS single-threaded and parallelises with its own worker threads, so the
 * number of busy threads never exceeds what the caller asked for. */

int lk_runtime_get_n_cores (void);

/* The OpenBLAS kernel set in use ("SkylakeX", "Haswell", ...). */
const char *lk_runtime_get_blas_core (void);

/* OpenBLAS picks its kernels once, when it is loaded, and older releases do not recognise recent
 * CPUs: Debian 12's OpenBLAS runs the 2004 "Prescott" kernels, at a fifth of the speed, on
 * Sapphire/Emerald Rapids. The only fix is the OPENBLAS_CORETYPE environment variable, which must
 * be set before the process starts. Call this first thing in main(): when the kernels in use are
 * weaker than the CPU supports and the user has not chosen a core type, it sets
 * OPENBLAS_CORETYPE and re-executes the program with the same arguments. Otherwise, or when
 * re-executing is not possible, it makes OpenBLAS single-threaded (the engine's own threads share
 * the work out) and returns. */
void lk_runtime_ensure_blas_kernels (char **argv);

/* @path (a file name, raw bytes) for one line of text meant for people: as GLib displays file
 * names (U+FFFD for what is not UTF-8), and in double quotes with C escapes ("a\nb.jpg") when it
 * holds a newline, another control character, a quote or a backslash.
 * Returns: (transfer full) */
char *lk_path_display_line (const char *path);

/* ---------------------------------------------------------------------------------------------- */
/* Images                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* A decoded image: 8-bit RGB, rows packed (stride = 3 × width), upright (EXIF orientation
 * applied), alpha already composited onto white. */
typedef struct
{
  int width;
  int height;
  guint8 *pixels; /* (height, width, 3), owned */
} LkImage;

typedef struct
{
  guint64 max_pixels;    /* refuse images with more pixels than this (default 100 megapixels) */
  guint64 max_file_size; /* refuse files larger than this many bytes (default 512 MiB) */
  gboolean apply_orientation; /* honour EXIF orientation (default TRUE) */
  /* Size hints: a JPEG much larger than needed may be decoded scaled down by 1/2, 1/4 or 1/8 (in
   * the DCT domain, far cheaper than decoding it whole) as long as its shorter side stays at least
   * min_short_side and its longer side at least min_long_side. 0 and 0 (default): full size. */
  int min_short_side;
  int min_long_side;
} LkDecodeParams;

LkDecodeParams lk_decode_default_params (void);

typedef enum
{
  LK_SNIFF_NOT_IMAGE,   /* not an image format we know */
  LK_SNIFF_IMAGE,       /* an image the decoder reads */
  LK_SNIFF_UNSUPPORTED, /* an image format the decoder does not read (WebP, HEIC, TIFF, …) */
} LkSniff;

/* How many leading bytes lk_image_sniff wants (it works with fewer). */
#define LK_SNIFF_BYTES 64

/* What a file's first bytes say it is. @format (optional) receives a static name: "JPEG", "WebP".
 * TGA has no signature: its files are recognised by the caller from their name. */
LkSniff lk_image_sniff (const guint8 *head, gsize len, const char **format);

/* Decodes JPEG (baseline, progressive), PNG (8/16-bit, grey, palette, alpha), BMP, GIF (first
 * frame), TGA, PSD, PNM and HDR. Errors are LK_ERROR_DECODE (or G_IO_ERROR for a file that cannot
 * be read) with a message that starts with the file name and says why: "shoe.jpg: truncated JPEG".
 * Memory used while decoding stays within what params->max_pixels implies.
 * Returns: (transfer full) (nullable) */
LkImage *lk_image_decode_file (const char *path, const LkDecodeParams *params, GError **error);

/* Same, from bytes in memory (a drop or a paste). @name is used in error messages.
 * Returns: (transfer full) (nullable) */
LkImage *lk_image_decode_bytes (GBytes *bytes, const char *name, const LkDecodeParams *params,
                                GError **error);

/* Returns: (transfer full) an image of @width × @height, pixels uninitialised, or NULL when the
 * size is not positive or too large to allocate. */
LkImage *lk_image_new (int width, int height);
void lk_image_free (LkImage *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkImage, lk_image_free)

/* How a photo of any shape becomes the network's square input. */
typedef enum
{
  LK_PREPROCESS_FIT,         /* scale the long side to the input size, pad with the border colour */
  LK_PREPROCESS_CENTER_CROP, /* torchvision's Resize(256/224 × size) + CenterCrop(size) */
  LK_PREPROCESS_STRETCH,     /* scale both sides to the input size, ignoring the aspect ratio */
} LkPreprocess;

/* the best precision@10 on the 1,617 labelled product photos (README, "Preprocessing") */
#define LK_PREPROCESS_DEFAULT LK_PREPROCESS_CENTER_CROP

/* The hints that let the decoder scale a large JPEG down no further than @mode at @size needs. */
void lk_decode_params_set_target (LkDecodeParams *params, LkPreprocess mode, int size);

const char *lk_preprocess_to_string (LkPreprocess mode);
gboolean lk_preprocess_from_string (const char *name, LkPreprocess *mode);

/* Resamples @image to @size × @size the way @mode says (antialiased; an image already at that size
 * is copied unchanged). Returns: (transfer full) (nullable) */
LkImage *lk_image_resample (const LkImage *image, LkPreprocess mode, int size, GError **error);

/* Scales @image so that its longer side is @max_side, keeping its shape (thumbnails, previews);
 * an image already that small is copied. Returns: (transfer full) (nullable) */
LkImage *lk_image_scale_to_fit (const LkImage *image, int max_side, GError **error);

/* Per-channel input normalisation: x = (rgb / 255 - mean) / std. */
typedef struct
{
  float mean[3];
  float std[3];
} LkNormalization;

/* torchvision's ImageNet normalisation: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
LkNormalization lk_normalization_imagenet (void);

/* Writes @image (already @size × @size) as planar normalised floats, out: (3, size, size). */
void lk_image_to_tensor (const LkImage *image, const LkNormalization *norm, float *out);

/* ---------------------------------------------------------------------------------------------- */
/* Feature networks                                                                                */
/* ---------------------------------------------------------------------------------------------- */

#define LK_MODEL_MIN_INPUT_SIZE 64
#define LK_MODEL_MAX_INPUT_SIZE 512

/* Read-only network weights, shared between threads. Reference counted. */
typedef struct _LkModel LkModel;

/* Loads an ImageNet-style CNN from a .safetensors file with torchvision tensor names: ResNet-18,
 * -34, -50, -101, -152 or SqueezeNet 1.1. The architecture is recognised from the tensor names and
 * shapes; BatchNorm is folded into the convolutions. Anything else is LK_ERROR_BAD_WEIGHTS naming
 * the file and the first offending tensor.
 * Returns: (transfer full) (nullable) */
LkModel *lk_model_new_from_file (const char *path, GError **error);

LkModel *lk_model_ref (LkModel *model);
void lk_model_unref (LkModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkModel, lk_model_unref)

/* The weights to use when none are named: $LOOKALIKE_WEIGHTS when set, else the first of
 * resnet50*, resnet18*, squeezenet1_1* (then any) .safetensors file in $XDG_DATA_HOME/lookalike/models
 * or a $XDG_DATA_DIRS/lookalike/models folder, which is where models/download-weights.sh installs.
 * Returns: (transfer full) (nullable) a path, or NULL when there are none */
char *lk_model_find_default_weights (void);

/* "resnet50", "squeezenet1_1", ... */
const char *lk_model_get_name (LkModel *model);
/* Length of the feature vector: 512 or 2048. */
int lk_model_get_dim (LkModel *model);
/* The input normalisation the weights expect. */
LkNormalization lk_model_get_normalization (LkModel *model);
/* The file the weights were loaded from. */
const char *lk_model_get_path (LkModel *model);
/* Lower-case hex SHA-256 of the weights file, of the very bytes the weights were loaded from. */
const char *lk_model_get_weights_sha256 (LkModel *model);

typedef struct
{
  int n_threads;  /* worker threads for one forward pass; 0 = every core */
  int max_batch;  /* the most images one lk_model_state_forward () call takes (default 16) */
  int input_size; /* square input side, LK_MODEL_MIN_INPUT_SIZE..LK_MODEL_MAX_INPUT_SIZE (224) */
} LkStateParams;

LkStateParams lk_state_default_params (void);

/* Per-thread scratch memory and worker threads for running @model. */
typedef struct _LkModelState LkModelState;

/* Returns: (transfer full) (nullable) */
LkModelState *lk_model_state_new (LkModel *model, const LkStateParams *params, GError **error);
void lk_model_state_free (LkModelState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkModelState, lk_model_state_free)

LkModel *lk_model_state_get_model (LkModelState *state);
int lk_model_state_get_input_size (LkModelState *state);
int lk_model_state_get_max_batch (LkModelState *state);

/* Runs the network on @batch images. input: (batch, 3, size, size) normalised floats; out: (batch,
 * dim), the global average pool of the last convolutional stage, before any normalisation.
 * Cancellation is checked between layers. */
gboolean lk_model_state_forward (LkModelState *state, const float *input, int batch, float *out,
                                 GCancellable *cancellable, GError **error);

/* Preprocesses @image the way @state's model expects (resample with @mode, normalise) and writes
 * (3, size, size) floats to @out. */
gboolean lk_model_state_prepare_input (LkModelState *state, const LkImage *image, LkPreprocess mode,
                                       float *out, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Backends                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

/* Each backend is a way of turning images into vectors; a catalog keeps one set of vectors per
 * backend. */
typedef enum
{
  LK_BACKEND_CNN,        /* "cnn": features of an ImageNet-pretrained CNN */
  LK_BACKEND_CONV_AE,    /* "conv-ae": a convolutional autoencoder trained on the catalog */
  LK_BACKEND_COMPRESSED, /* "compressed" (or "mlp-ae", as it was named first): CNN features
                          * compressed into short codes */
} LkBackend;

#define LK_N_BACKENDS 3

/* The one list of backends: everything that names or lists them (the window's selector, the
 * settings, the command line's help and messages) reads it here. */
typedef struct
{
  LkBackend backend;
  const char *name;        /* "cnn": how the command line and the settings spell it */
  const char *label;       /* "CNN Features": the backend selector's entry */
  const char *description; /* one sentence: what it measures */
  const char *building;    /* (nullable) for one a catalog builds: what building it does, and
                            * how long it takes */
} LkBackendInfo;

/* @backend's entry. The label and description are English and marked for translation: a user
 * interface shows them through gettext (the engine itself translates nothing).
 * Returns: (transfer none) */
const LkBackendInfo *lk_backend_get_info (LkBackend backend);
/* "cnn, conv-ae, compressed": the names, for a message that lists them. Returns: (transfer none) */
const char *lk_backend_list_names (void);

const char *lk_backend_to_string (LkBackend backend);
gboolean lk_backend_from_string (const char *name, LkBackend *backend);

/* The most components a vector may have (ResNet-152's has 2,048). */
#define LK_MAX_DIM 65536

/* How a backend's vectors are stored. */
typedef enum
{
  LK_VECTOR_FLOAT32, /* "float32": little-endian IEEE floats */
  LK_VECTOR_UINT8,   /* "uint8": bytes, 8-bit codes the backend's model decodes (compressed) */
} LkVectorType;

const char *lk_vector_type_to_string (LkVectorType type);
gboolean lk_vector_type_from_string (const char *name, LkVectorType *type);

/* What made a backend's vectors: vectors made differently are never mixed. Its canonical text
 * (lk_model_identity_to_canonical) is what a catalog stores and compares. */
typedef struct _LkModelIdentity
{
  LkBackend backend;
  char *model;          /* "squeezenet1_1" */
  char *weights_sha256; /* lower-case hex, of the model's file */
  char *weights_path;   /* where that file was when the catalog was indexed: a hint, not part of
                         * the identity */
  int input_size;
  LkPreprocess preprocess;
  int dim;
  LkVectorType vector_type;
  /* (nullable) a backend made of another's vectors (compressed embeddings): the identity of those
   * vectors, part of this one — other CNN weights are another compressed backend */
  struct _LkModelIdentity *upstream;
} LkModelIdentity;

/* The identity of @model's CNN features at @input_size with @preprocess.
 * Returns: (transfer full) */
LkModelIdentity *lk_model_identity_new (LkModel *model, int input_size, LkPreprocess preprocess);
LkModelIdentity *lk_model_identity_copy (const LkModelIdentity *identity);
/* Whether the two make the same vectors (their canonical texts are equal). */
gboolean lk_model_identity_equal (const LkModelIdentity *a, const LkModelIdentity *b);
void lk_model_identity_free (LkModelIdentity *identity);

/* The identity as one line of JSON with its keys sorted and no blank space, the weights' path
 * left out: {"backend":"cnn","dim":512,"input_size":224,"model":"resnet50",…}, an upstream as a
 * nested object under "upstream". Equal identities give equal texts, byte for byte.
 * Returns: (transfer full) */
char *lk_model_identity_to_canonical (const LkModelIdentity *identity);
/* Reads a canonical text back (the path is not in it). Anything but an identity this version
 * writes — a key missing, extra or of another type, a value out of range — is
 * LK_ERROR_CORRUPT_INDEX with a message saying what, without a file name.
 * Returns: (transfer full) (nullable) */
LkModelIdentity *lk_model_identity_from_canonical (const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkModelIdentity, lk_model_identity_free)

/* ---------------------------------------------------------------------------------------------- */
/* Embedders                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

/* A backend made concrete: what turns a photo (or another backend's vector) into this backend's
 * vector. Read-only and shared between threads, like an LkModel; each thread that embeds uses an
 * LkEmbedderState. Reference counted. Indexing, searching and the command line take one and never
 * need to know which backend it is. */
typedef struct _LkEmbedder LkEmbedder;

typedef enum
{
  LK_EMBEDDER_TAKES_IMAGES,  /* photos, decoded */
  LK_EMBEDDER_TAKES_VECTORS, /* another backend's vectors (compressed embeddings take CNN ones) */
} LkEmbedderInput;

/* The CNN backend: @model's pooled features of photos brought to @input_size with @preprocess.
 * Returns: (transfer full) (nullable) */
LkEmbedder *
lk_embedder_new_cnn (LkModel *model, int input_size, LkPreprocess preprocess, GError **error);

/* The embedder that makes the vectors @identity describes, to embed photos the way a catalog's
 * were: for CNN features, the weights at @weights, else where they were when indexing
 * (@identity's path), else the installed ones, refused unless they are the very weights that
 * made the vectors (LK_ERROR_BAD_WEIGHTS: "c.db was indexed with other weights (…)"). @catalog_name
 * names the catalog in that message.
 * Returns: (transfer full) (nullable) */
LkEmbedder *lk_embedder_new_for_identity (const LkModelIdentity *identity, const char *weights,
                                          const char *catalog_name, GError **error);

LkEmbedder *lk_embedder_ref (LkEmbedder *embedder);
void lk_embedder_unref (LkEmbedder *embedder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkEmbedder, lk_embedder_unref)

LkBackend lk_embedder_get_backend (LkEmbedder *embedder);
LkEmbedderInput lk_embedder_get_input (LkEmbedder *embedder);
int lk_embedder_get_dim (LkEmbedder *embedder);
LkVectorType lk_embedder_get_vector_type (LkEmbedder *embedder);
/* What makes its vectors (a catalog keeps vectors of one identity per backend). */
const LkModelIdentity *lk_embedder_get_identity (LkEmbedder *embedder);
/* The decoder's limits, with the size hints that let a big JPEG decode no larger than this
 * embedder needs: decode the photos it embeds with these. */
const LkDecodeParams *lk_embedder_get_decode_params (LkEmbedder *embedder);

/* One thread's scratch memory, worker threads and batch of input slots for an embedder. */
typedef struct _LkEmbedderState LkEmbedderState;

/* @n_threads worker threads (0 = every core), batches of up to @max_batch photos.
 * Returns: (transfer full) (nullable) */
LkEmbedderState *
lk_embedder_state_new (LkEmbedder *embedder, int n_threads, int max_batch, GError **error);
void lk_embedder_state_free (LkEmbedderState *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkEmbedderState, lk_embedder_state_free)

int lk_embedder_state_get_max_batch (LkEmbedderState *state);
/* Prepares @image (decoded with lk_embedder_get_decode_params) into input slot @slot: resampled
 * and normalised as the embedder's network expects. Different slots may be prepared from different
 * threads at once. */
gboolean
lk_embedder_state_prepare (LkEmbedderState *state, int slot, const LkImage *image, GError **error);
/* Moves what slot @from holds to slot @to (to close the gap a photo that failed left). */
void lk_embedder_state_move_slot (LkEmbedderState *state, int to, int from);
/* Embeds slots 0..@n-1: out (n, dim). Cancellation is checked as the network runs. */
gboolean lk_embedder_state_embed (LkEmbedderState *state, int n, float *out,
                                  GCancellable *cancellable, GError **error);
/* One photo: prepared into slot 0 and embedded, out (dim). */
gboolean
lk_embedder_embed_image (LkEmbedderState *state, const LkImage *image, float *out, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Catalogs                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

/* One SQLite file per catalog: the images under a folder (the root), what is known about each
 * (size, modification time, content hash, dimensions, or why it could not be read), and per
 * backend the model identity and one vector per image. */
typedef struct _LkCatalog LkCatalog;

/* Where a catalog of @root lives when no file is named:
 * $XDG_DATA_HOME/lookalike/catalogs/<folder name>-<hash of its absolute path>.db
 * Returns: (transfer full) */
char *lk_catalog_default_path (const char *root);

/* Opens the catalog file at @path for reading and writing. With @root non-NULL, creates it for
 * that folder if it does not exist (whole, under a temporary name, then linked into place: two
 * processes creating it at once share one), and otherwise checks that it indexes that folder; with
 * @root NULL the file must exist. A file that is not a Lookalike catalog, is damaged or comes from
 * a newer version is LK_ERROR_CORRUPT_INDEX ("catalog.db: not a Lookalike index"), and is never
 * written to; one that cannot be written (read-only media, another user's) is
 * G_IO_ERROR_READ_ONLY ("catalog.db: cannot be written (Read-only file system)"): open it with
 * lk_catalog_open_read_only () to search it.
 * Returns: (transfer full) (nullable) */
LkCatalog *lk_catalog_open (const char *path, const char *root, GError **error);

/* Opens an existing catalog for searching and evaluation only. Nothing is written, not even
 * SQLite's lock files where the folder is read-only; indexing it fails with G_IO_ERROR_READ_ONLY.
 * Returns: (transfer full) (nullable) */
LkCatalog *lk_catalog_open_read_only (const char *path, GError **error);
gboolean lk_catalog_is_read_only (LkCatalog *catalog);
void lk_catalog_close (LkCatalog *catalog);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCatalog, lk_catalog_close)

/* The catalog's folder, absolute. */
const char *lk_catalog_get_root (LkCatalog *catalog);
const char *lk_catalog_get_path (LkCatalog *catalog);

/* Returns: (transfer full) (nullable) how @backend's vectors were made, NULL (and no error) when it
 * has none yet. */
LkModelIdentity *lk_catalog_get_identity (LkCatalog *catalog, LkBackend backend, GError **error);
/* How many images have a vector of @backend; -1 on error. */
gint64 lk_catalog_count_vectors (LkCatalog *catalog, LkBackend backend, GError **error);
/* How many photos the catalog has indexed (read and recorded, whatever the backend); -1 on error. */
gint64 lk_catalog_count_items (LkCatalog *catalog, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Indexing                                                                                        */
/* ---------------------------------------------------------------------------------------------- */

typedef enum
{
  LK_INDEX_EMBEDDING, /* images are being read and embedded (done, total, …) */
  LK_INDEX_WAITING,   /* another process is indexing this catalog: this run waits for it */
} LkIndexPhase;

typedef struct
{
  guint64 done;             /* images handled in this run so far */
  guint64 total;            /* images this run has to handle */
  double images_per_second; /* over the run so far */
  double eta_seconds;       /* estimated time left, -1 when unknown */
  LkIndexPhase phase;
} LkIndexProgress;

/* Called from the indexing thread, at most a few times per second. */
typedef void (*LkIndexProgressFunc) (const LkIndexProgress *progress, gpointer user_data);

typedef struct
{
  int n_threads;         /* worker threads; 0 = every core */
  int batch;             /* images per forward pass and per committed transaction (16) */
  LkDecodeParams decode; /* limits (the size hints are the embedder's) */
} LkIndexParams;

LkIndexParams lk_index_default_params (void);

/* Takes the catalog's writer lock: one process at a time brings a catalog up to date. While
 * another process holds it, @progress is called once with LK_INDEX_WAITING and this waits,
 * checking @cancellable. lk_catalog_index () takes the lock itself (and lets it go when it is done)
 * unless the caller holds it already; hold it first to read what the catalog was made with and
 * act on it without another process changing it meanwhile. It is held until lk_catalog_close ()
 * or the end of the process, however it ends. */
gboolean
lk_catalog_lock_for_writing (LkCatalog *catalog, LkIndexProgressFunc progress, gpointer user_data,
                             GCancellable *cancellable, GError **error);

typedef struct
{
  char *path;   /* relative to the catalog root */
  char *reason; /* "truncated JPEG" */
} LkIndexFailure;

typedef struct
{
  guint added;         /* new images */
  guint updated;       /* changed images, and images whose vectors were made by another model */
  guint removed;       /* images no longer in the folder */
  guint renamed;       /* images moved or renamed: same content, vector kept */
  guint unchanged;     /* images left as they were */
  GPtrArray *failures; /* (element-type LkIndexFailure): every image of the catalog that cannot
                        * be read, by path */
  double seconds;
} LkIndexSummary;

void lk_index_summary_free (LkIndexSummary *summary);
/* "added 1,540, updated 3, removed 2, failed 2: a.jpg (truncated JPEG), b.png (…)"
 * Returns: (transfer full) */
char *lk_index_summary_to_string (const LkIndexSummary *summary, guint max_failures);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkIndexSummary, lk_index_summary_free)

/* Brings the vectors of @embedder's backend in @catalog up to date with its folder: new and
 * changed images are embedded, deleted ones removed, renamed ones keep their vector, the rest is
 * left untouched; a different identity than the embedder's replaces all of the backend's vectors. Work is
 * committed a batch at a time, so cancelling (checked between batches) or killing the process
 * loses at most the batch in flight, and the next run continues from there. One process at a
 * time indexes a catalog: another one waits (progress says LK_INDEX_WAITING) until it is done.
 * A catalog whose stored vectors cannot all be read back is LK_ERROR_CORRUPT_INDEX, as searching
 * it would be.
 * @summary: (out) (optional) (transfer full) */
gboolean lk_catalog_index (LkCatalog *catalog, LkEmbedder *embedder, const LkIndexParams *params,
                           LkIndexProgressFunc progress, gpointer user_data,
                           LkIndexSummary **summary, GCancellable *cancellable, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Training the convolutional autoencoder                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* The conv-ae backend's model of a catalog lives beside it: "<catalog>.conv-ae.safetensors".
 * Returns: (transfer full) */
char *lk_catalog_get_model_path (LkCatalog *catalog, LkBackend backend);

/* How many photos the embedder's model was trained on (training and validation), 0 for a backend
 * that is not trained on the catalog. */
guint lk_embedder_get_trained_on (LkEmbedder *embedder);
/* When it was trained, as its model file says ("2026-12-01T15:52:14Z"); NULL for a backend that is
 * not trained on the catalog. */
const char *lk_embedder_get_trained_date (LkEmbedder *embedder);

/* The conv-ae backend with the model file at @path: a safetensors file whose metadata describes
 * the whole network (lk_catalog_train () writes them). A file that is not one, is cut short, or
 * whose metadata and tensors disagree is LK_ERROR_BAD_WEIGHTS naming the file and what is wrong.
 * Returns: (transfer full) (nullable) */
LkEmbedder *lk_embedder_new_conv_ae (const char *path, GError **error);

/* The compressed backend with the compressor file at @path (lk_catalog_train_compressor () writes
 * them) over @upstream, the embedder of the vectors it was fitted on: a photo goes through
 * @upstream, then the compressor. A file that is not one is LK_ERROR_BAD_WEIGHTS naming it and
 * what is wrong; so is one fitted on the vectors of other weights than @upstream's.
 * Returns: (transfer full) (nullable) */
LkEmbedder *lk_embedder_new_compressed (const char *path, LkEmbedder *upstream, GError **error);
/* The embedder of the vectors @embedder is made of (the compressed backend's CNN), NULL for one
 * that embeds photos itself. Returns: (transfer none) (nullable) */
LkEmbedder *lk_embedder_get_upstream (LkEmbedder *embedder);
/* The codes (n, dim) of @n of the upstream's raw vectors @vectors (n, upstream dim), as a photo's
 * would be: what indexing does instead of decoding a photo again. */
void lk_embedder_compress (LkEmbedder *embedder, const float *vectors, gsize n, float *out);
/* For a compressed backend of 8-bit codes (vector type LK_VECTOR_UINT8): the bytes (n, dim) its
 * catalog stores of @n codes @codes (n, dim) from lk_embedder_compress, made unit length first. */
void lk_embedder_quantize (LkEmbedder *embedder, const float *codes, gsize n, guint8 *out);

typedef struct
{
  int input_size;          /* side of the square input, 16–256 and a multiple of 4 (64) */
  LkPreprocess preprocess; /* how photos become the square input (LK_PREPROCESS_FIT: the whole
                            * photo, padded with its border colour; see the README) */
  int latent;              /* length of the latent code, the search vector (128) */
  int epochs;              /* passes over the training images (20) */
  int batch;               /* images per step (32) */
  double learning_rate;    /* AdamW's (0.001) */
  double weight_decay;     /* AdamW's decoupled weight decay (0.0001) */
  double denoise;    /* standard deviation of the Gaussian noise added to inputs, 0–1 (0.05) */
  gboolean augment;  /* random flips, shifts and brightness (TRUE) */
  double invariance; /* weight of a term pulling the codes of two augmentations of each photo
                         * together, 1 − their cosine; 0: none, and each step sees each photo once */
  double validation; /* share of the images held out, chosen by a hash of each path (0.1) */
  int patience;      /* stop after this many epochs without a better validation loss, 0 never (0) */
  guint64 seed;      /* initial weights, order of the batches, noise (1) */
  int n_samples;     /* validation photos the progress reports show reconstructed, 0–64 (0) */
  int n_threads;     /* 0 = every core */
  const char *output; /* the model file to write; NULL: lk_catalog_get_model_path () */
} LkTrainParams;

LkTrainParams lk_train_default_params (void);
/* LK_ERROR_INVALID_ARGUMENT naming the first value out of range: "latent size 0 is outside 2–1024". */
gboolean lk_train_params_check (const LkTrainParams *params, GError **error);

typedef enum
{
  LK_TRAIN_LOADING,  /* the images are read and brought to the input size (done, total) */
  LK_TRAIN_TRAINING, /* steps (done of total), epochs, losses */
  LK_TRAIN_SAVING,   /* the best model is written */
} LkTrainPhase;

typedef struct
{
  LkTrainPhase phase;
  guint64 done;  /* images loaded, or steps taken */
  guint64 total; /* images to load, or steps to take */
  int epoch;     /* the epoch in progress, from 1 */
  int epochs;
  double epoch_position;    /* fractional epochs done: 2.5 is half way through the third */
  double train_loss;        /* mean of this epoch's steps so far (NAN before the first) */
  double val_loss;          /* of the last finished epoch (NAN before one has) */
  gboolean epoch_finished;  /* this report ends an epoch: val_loss is new */
  double images_per_second; /* training images per second over the run so far */
  double eta_seconds;       /* -1 when unknown */
  guint steps_per_epoch;
  /* every step's loss since the previous report, in order: those of steps done − n_step_losses + 1
   * to done (step s ends at epoch s / steps_per_epoch); valid during the call only */
  const float *step_losses;
  guint n_step_losses;
  /* with n_samples in the parameters, in a report before the first step (done 0) and in each
   * epoch's last: n_samples fixed photos of the validation split (of the training images when
   * there is none), as the network sees them and as it reconstructs them, each (n_samples,
   * sample_size, sample_size, 3) 8-bit RGB; NULL in other reports; valid during the call only */
  guint n_samples;
  int sample_size;
  const guint8 *samples;
  const guint8 *reconstructions;
} LkTrainProgress;

/* Called from the training thread, after each step at most a few times per second, and at the
 * end of every epoch. */
typedef void (*LkTrainProgressFunc) (const LkTrainProgress *progress, gpointer user_data);

typedef struct
{
  char *model_path;
  int epochs;           /* epochs run */
  int best_epoch;       /* the epoch whose model was kept (best validation loss), from 1 */
  GArray *train_loss;   /* (element-type double): mean training loss per epoch */
  GArray *val_loss;     /* (element-type double): validation loss per epoch */
  guint n_train, n_val; /* images */
  double images_per_second;
  double seconds;
  gboolean stopped_early; /* patience ran out */
  gboolean cancelled;     /* stopped by the cancellable: the best model so far was kept */
  GPtrArray *failures;    /* (element-type LkIndexFailure): images that could not be read */
  char *architecture;     /* the layers as a JSON array, as the model file records them */
} LkTrainSummary;

void lk_train_summary_free (LkTrainSummary *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkTrainSummary, lk_train_summary_free)

/* Trains a convolutional autoencoder on the images under @catalog's folder and writes it to
 * @params->output (atomically: a crash never leaves half a file, and the previous model stays
 * until the new one is complete). The images are read once (the indexer's reading, so a broken
 * one is a failure in the summary, not an error) and kept at the input size; a tenth, chosen by
 * a hash of each path, is held out for validation. The same seed, folder and thread count give a
 * bit-identical model. Cancelling (checked every step) after at least one epoch keeps the best
 * model so far and returns TRUE with summary->cancelled; before that it is G_IO_ERROR_CANCELLED
 * and nothing is written. Fewer than 2 readable images is LK_ERROR_INVALID_ARGUMENT. Blocking:
 * run it in a worker thread.
 * @summary: (out) (optional) (transfer full) */
gboolean lk_catalog_train (LkCatalog *catalog, const LkTrainParams *params,
                           LkTrainProgressFunc progress, gpointer user_data,
                           LkTrainSummary **summary, GCancellable *cancellable, GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Compressed embeddings                                                                           */
/* ---------------------------------------------------------------------------------------------- */

typedef enum
{
  LK_COMPRESS_PCA,  /* "pca": the leading principal components of the prepared CNN vectors */
  LK_COMPRESS_AE,   /* "ae": an MLP autoencoder trained to reconstruct them */
  LK_COMPRESS_NBR,  /* "nbr": the same MLP, trained to keep each vector's nearest neighbours */
  LK_COMPRESS_BEST, /* the one measured best for the size: nbr below 64 dimensions (for a catalog
                     * of at least 256 vectors), pca from 64 (tests/bench/eval-compress.py) */
} LkCompressMethod;

/* "pca", "ae", "nbr", "best" */
const char *lk_compress_method_to_string (LkCompressMethod method);

typedef struct
{
  LkCompressMethod method; /* LK_COMPRESS_AE or LK_COMPRESS_NBR */
  gboolean decoder;        /* nbr's second phase: the decoder alone, the codes fixed */
  int epoch, epochs;       /* finished, at most (a plateau ends it earlier) */
  double loss;             /* the epoch's mean training loss */
  double score; /* validation: ae and the decoder −(mean squared error), nbr recall@10 of the
                 * held-out rows */
  double best_score;
  int best_epoch;
} LkCompressProgress;

typedef void (*LkCompressProgressFunc) (const LkCompressProgress *progress, gpointer user_data);

typedef struct
{
  LkCompressMethod method; /* (LK_COMPRESS_BEST) */
  int latent; /* the codes' length, 1–1024 and at most the CNN's; 0: 32, or one less than the
               * catalog's vectors when it has fewer (0) */
  const char *output; /* the compressor file to write; NULL: lk_catalog_get_model_path () */
  int epochs;         /* ae, nbr: at most this many passes, 1–10000; 0: the default (400) */
  guint64 seed;       /* ae, nbr: the initial weights and the batches (0) */
  int n_threads;      /* 0: every core */
  gboolean int8;      /* store the codes as 8 bits each (4× smaller, scanned as bytes) (FALSE) */
  LkCompressProgressFunc progress; /* (nullable) ae, nbr: after each epoch, on this thread */
  gpointer user_data;
} LkCompressParams;

LkCompressParams lk_compress_default_params (void);

typedef struct
{
  char *model_path;
  LkCompressMethod method; /* the one fitted (never LK_COMPRESS_BEST) */
  int in_dim, latent;
  guint64 n_items;          /* vectors it was fitted on */
  double retained_variance; /* the share of the (prepared) CNN vectors' variance the codes keep:
                             * 1 − their reconstructions' squared error / the variance */
  double seconds;
  int epochs, best_epoch; /* ae, nbr: run, and whose weights were kept; else 0 */
  gboolean int8;          /* 8-bit codes */
  /* the codes' quality on the catalog (8-bit codes: as decoded, at the float code's length) */
  double mean_cosine;    /* of a prepared vector and its reconstruction */
  double mse;            /* of the reconstructions, per component */
  double self_retrieval; /* the share of items whose reconstruction's nearest prepared vector is
                          * theirs (of 2,000 at most) */
  double precision_at_10, cnn_precision_at_10; /* leave-one-out by folder, of the codes and of
                                                * the CNN vectors as searched; NAN above 20,000 */
  int bytes_per_item, cnn_bytes_per_item;
} LkCompressSummary;

void lk_compress_summary_free (LkCompressSummary *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkCompressSummary, lk_compress_summary_free)

/* Fits a compressor on the catalog's stored CNN vectors (no photo is read: index the catalog with
 * the CNN backend first, else LK_ERROR_INVALID_ARGUMENT) and writes it, with the identity of those
 * vectors, to @params->output (atomically). Seconds for a catalog of 100,000. The compressed
 * backend's embedder is then lk_embedder_new_compressed (path, the CNN embedder); indexing with
 * it makes the codes from the stored vectors.
 * @summary: (out) (optional) (transfer full) */
gboolean lk_catalog_train_compressor (LkCatalog *catalog, const LkCompressParams *params,
                                      LkCompressSummary **summary, GCancellable *cancellable,
                                      GError **error);

/* ---------------------------------------------------------------------------------------------- */
/* Similarity                                                                                      */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  guint index;  /* row in the matrix that was searched */
  float cosine; /* cosine similarity to the query, -1..1 */
} LkMatch;

/* Scales each of the @n rows of @vectors (n, dim) to unit length in place (zero rows stay zero). */
void lk_vectors_normalize (float *vectors, gsize n, int dim);

/* Exact top-k by cosine of a unit-length @query (dim) against @n unit-length rows of @matrix
 * (n, dim). Ties are broken by lower index; @exclude is a row to leave out, or -1. Writes
 * min (k, n) matches, best first, to @out and returns their number. */
gsize lk_top_k (const float *matrix, gsize n, int dim, const float *query, gsize k, gssize exclude,
                LkMatch *out);

/* Leave-one-out retrieval quality: every item queries all the others. */
typedef struct
{
  gsize items;
  guint labels;
  gsize k;
  double precision_at_k; /* mean over all items of (same-label items in the top k) / k */
  double map_at_k;       /* mean average precision at k, over items whose label has others */
  double recall_at_k;    /* mean of (same-label items in the top k) / (other items of the label) */
  double *label_precision; /* (labels): precision at k of the items of each label */
  gsize *label_items;      /* (labels): items per label */
} LkEvalResult;

/* @vectors (n, dim) unit length, @labels (n) in 0..n_labels-1.
 * Returns: (transfer full) */
LkEvalResult *lk_eval_leave_one_out (const float *vectors, gsize n, int dim, const guint *labels,
                                     guint n_labels, gsize k);
void lk_eval_result_free (LkEvalResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkEvalResult, lk_eval_result_free)

/* Worker threads that rank a matrix; one per thread that searches. */
typedef struct _LkRanker LkRanker;

/* Returns: (transfer full) a ranker with @n_threads threads (0 = every core) */
LkRanker *lk_ranker_new (int n_threads);
void lk_ranker_free (LkRanker *ranker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkRanker, lk_ranker_free)

/* lk_top_k on the ranker's threads: each scores its share of the rows (an AVX-512 kernel where the
 * CPU has one, else sgemv) into its own top-k, rows that come close to the k-th best are scored
 * again in double precision so that ties are exact, and the shares are merged. Same result as
 * lk_top_k. A ranker serves one search at a time. */
gsize lk_ranker_top_k (LkRanker *ranker, const float *matrix, gsize n, int dim, const float *query,
                       gsize k, gssize exclude, LkMatch *out);

/* Many queries at once (sgemm): @queries (nq, dim), @excludes (nq) or NULL, @out (nq, k),
 * @found (nq) receives how many matches each query got. */
void
lk_ranker_top_k_many (LkRanker *ranker, const float *matrix, gsize n, int dim, const float *queries,
                      gsize nq, gsize k, const gssize *excludes, LkMatch *out, gsize *found);

/* 8-bit codes: the @k of @n rows of the highest integer score Σ_j code[r][j] · query[j] (higher
 * first, equal ones by lower row; @exclude, a row or -1, left out), each match's cosine field
 * holding that score, exact (|score| < 2²⁴). The codes, @dim ≤ LK_RANKER_U8_MAX_DIM bytes each,
 * are @packed by lk_ranker_pack_u8; @query holds int8 weights (−127–127), zero past @dim up to
 * the next multiple of 4. Scored by AVX-512 VNNI where the CPU has it, else AVX2, else plain C,
 * all exactly alike.
 * Returns: the number of matches */
#define LK_RANKER_U8_MAX_DIM 512
gsize lk_ranker_top_k_u8 (LkRanker *ranker, const guint8 *packed, gsize n, int dim,
                          const gint8 *query, gsize k, gssize exclude, LkMatch *out);
/* The scan's layout: blocks of 16 rows, in each the 16 rows' bytes of every 4 dimensions side by
 * side (zero-padded). @codes (n, dim) into @packed (lk_ranker_u8_packed_bytes). */
gsize lk_ranker_u8_packed_bytes (gsize n, int dim);
void lk_ranker_pack_u8 (guint8 *packed, const guint8 *codes, gsize n, int dim);
/* Row @row's @dim bytes back out of @packed. */
void lk_ranker_unpack_u8_row (guint8 *code, const guint8 *packed, gsize row, int dim);
/* Which kernel the 8-bit scan uses: "avx512-vnni", "avx2" or "c". */
const char *lk_ranker_get_u8_kernel (void);
/* For tests and benchmarks: use kernel @name (NULL: the CPU's best again). FALSE when the CPU
 * lacks it. Process-wide. */
gboolean lk_ranker_set_u8_kernel (const char *name);

/* A catalog's vectors for one backend, loaded for searching: one contiguous (n, dim) float32
 * matrix of unit-length rows, ordered by path (so that equal scores rank by path), put through the
 * backend's post-transform first (CNN features are centred on the catalog's mean), with the paths
 * and file details beside it. */
typedef struct _LkSearchIndex LkSearchIndex;

/* Returns: (transfer full) (nullable); LK_ERROR_FAILED when @backend has no vectors yet. The
 * index is independent of the catalog afterwards, and reference counted: a search running on
 * one thread keeps it alive while another replaces it. */
LkSearchIndex *lk_catalog_load (LkCatalog *catalog, LkBackend backend, GError **error);
LkSearchIndex *lk_search_index_ref (LkSearchIndex *index);
void lk_search_index_unref (LkSearchIndex *index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LkSearchIndex, lk_search_index_unref)

gsize lk_search_index_get_n_items (LkSearchIndex *index);
int lk_search_index_get_dim (LkSearchIndex *index);
/* What a vector of the index takes in the catalog: dim floats, or dim bytes for 8-bit codes. */
gsize lk_search_index_get_bytes_per_item (LkSearchIndex *index);
const LkModelIdentity *lk_search_index_get_identity (LkSearchIndex *index);
/* Absolute path of @row. */
const char *lk_search_index_get_path (LkSearchIndex *index, gsize row);
/* Name of the folder holding @row: its label for evaluation. */
const char *lk_search_index_get_label (LkSearchIndex *index, gsize row);
/* Row of the indexed file at @path (absolute, or relative to the catalog root), or -1. */
gssize lk_search_index_find (LkSearchIndex *index, const char *path);
/* Whether the file of @row was deleted or changed since it was indexed. */
gboolean lk_search_index_is_missing (LkSearchIndex *index, gsize row);
/* Ranks the catalog against a raw vector (as the backend's embedder made it): transformed and
 * normalised like the catalog's rows, then exact cosine top-k. Returns the number of matches. Queries on
 * one index from several threads are safe (they take turns). */
gsize lk_search_index_query (LkSearchIndex *index, const float *vector, gsize k, gssize exclude,
                             LkMatch *out);
/* "More like this": ranks the catalog against one of its own rows, without re-extracting. */
gsize lk_search_index_query_row (LkSearchIndex *index, gsize row, gsize k, gboolean exclude_self,
                                 LkMatch *out);
/* Leave-one-out retrieval quality, each item labelled with its folder's name.
 * Returns: (transfer full) */
LkEvalResult *lk_search_index_evaluate (LkSearchIndex *index, gsize k);

typedef enum
{
  LK_BAND_RED,
  LK_BAND_YELLOW,
  LK_BAND_GREEN,
} LkBand;

typedef struct
{
  int green_min;  /* percent from which a match is green (70) */
  int yellow_min; /* percent from which a match is yellow (40); below is red */
} LkBands;

LkBands lk_bands_default (void);
/* round (100 × max (0, cosine)) */
int lk_score_percent (float cosine);
LkBand lk_score_band (int percent, const LkBands *bands);
/* "green", "yellow", "red" */
const char *lk_band_to_string (LkBand band);

G_END_DECLS
