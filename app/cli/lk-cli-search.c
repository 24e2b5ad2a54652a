/* lk-cli-search.c: `lookalike-cli search`, the catalog ranked against one image.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli search [--index DB] [--backend cnn] [-k 10] [--exclude-self] [--json] IMAGE
 *
 * An image already in the catalog (and unchanged) is searched with its stored vector ("more like
 * this": nothing is decoded); any other is decoded and embedded with the model the catalog was
 * indexed with. With --json:
 *   {"query": PATH, "backend": "cnn", "model": "squeezenet1_1", "results": [{"rank": 1,
 *    "path": ABSOLUTE_PATH, "cosine": 0.8731, "percent": 87, "band": "green", "missing": false}]}
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
#include <stdio.h>

/* Embeds @path the way @identity says the catalog's vectors were made. */
static float *
embed_query (const char *path, const LkModelIdentity *identity, const char *weights,
             const char *catalog_name, GError **error)
{
  g_autoptr (LkEmbedder) embedder =
    lk_embedder_new_for_identity (identity, weights, catalog_name, error);
  g_autoptr (LkEmbedderState) state = NULL;
  g_autoptr (LkImage) image = NULL;
  g_autofree float *vector = NULL;

  if (!embedder || !(state = lk_embedder_state_new (embedder, 0, 1, error))
      || !(image = lk_image_decode_file (path, lk_embedder_get_decode_params (embedder), error)))
    return NULL;
  vector = g_new (float, lk_embedder_get_dim (embedder));
  if (!lk_embedder_embed_image (state, image, vector, error))
    return NULL;
  return g_steal_pointer (&vector);
}

int
lk_cli_search (int argc, char **argv)
{
  g_autofree char *index_path = NULL, *backend_name = NULL, *weights = NULL, *bands_arg = NULL;
  g_auto (GStrv) images = NULL;
  int k = 10;
  gboolean exclude_self = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      N_ ("Catalog file (default: the one last indexed)"), N_ ("FILE") },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name,
      N_ (
        "cnn, conv-ae or compressed (default: cnn where the catalog has CNN vectors or weights are "
        "installed)"),
      N_ ("NAME") },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, N_ ("Number of results (10)"), "K" },
    { "exclude-self", 'x', 0, G_OPTION_ARG_NONE, &exclude_self,
      N_ ("Leave the query out when it is in the catalog"), NULL },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights,
      N_ ("Network weights for an image outside the catalog (default: those it was indexed with)"),
      N_ ("FILE") },
    { "bands", 0, 0, G_OPTION_ARG_STRING, &bands_arg,
      N_ ("Percentages from which a match is green and yellow (70,40)"), N_ ("GREEN,YELLOW") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &images, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new (_ ("IMAGE — the most similar products"));
  g_autoptr (GError) error = NULL;
  LkBackend backend;
  LkBands bands = lk_bands_default ();

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      lk_cli_fail ("search: %s", error->message);
      return LK_CLI_USAGE;
    }
  if (!images || !images[0] || images[1])
    {
      lk_cli_fail (_ ("search: give one image (lookalike-cli search --help)"));
      return LK_CLI_USAGE;
    }
  if (k < 1)
    {
      lk_cli_fail (_ ("search: -k must be at least 1"));
      return LK_CLI_USAGE;
    }
  if (bands_arg
      && (sscanf (bands_arg, "%d,%d", &bands.green_min, &bands.yellow_min) != 2
          || bands.yellow_min < 0 || bands.green_min < bands.yellow_min || bands.green_min > 100))
    {
      lk_cli_fail (_ ("search: --bands takes GREEN,YELLOW percentages, such as 70,40"));
      return LK_CLI_USAGE;
    }
  if (!lk_cli_parse_backend ("search", backend_name, &backend))
    return LK_CLI_USAGE;

  g_autofree char *path = NULL;
  g_autoptr (LkSearchIndex) index =
    lk_cli_load_index (index_path, &backend, weights, &path, &error);
  if (!index)
    return lk_cli_fail ("%s", error->message);
  const LkModelIdentity *identity = lk_search_index_get_identity (index);
  g_autofree char *catalog_name = g_filename_display_basename (path);

  /* the query: an unchanged catalog image by its stored vector, anything else embedded */
  gssize row = lk_search_index_find (index, images[0]);
  g_autofree LkMatch *matches = g_new (LkMatch, k);
  gsize found;
  if (row >= 0 && !lk_search_index_is_missing (index, (gsize) row))
    found = lk_search_index_query_row (index, (gsize) row, (gsize) k, exclude_self, matches);
  else
    {
      g_autofree float *vector = embed_query (images[0], identity, weights, catalog_name, &error);
      if (!vector)
        return lk_cli_fail ("%s", error->message);
      found = lk_search_index_query (index, vector, (gsize) k, exclude_self && row >= 0 ? row : -1,
                                     matches);
    }

  g_autoptr (GString) out = g_string_new (NULL);
  if (json)
    {
      g_string_append_c (out, '{');
      lk_cli_json_path (out, "query", images[0]);
      g_string_append (out, ", \"backend\": ");
      lk_cli_json_string (out, lk_backend_to_string (backend));
      g_string_append (out, ", \"model\": ");
      lk_cli_json_string (out, identity->model);
      g_string_append (out, ", \"results\": [");
    }
  for (gsize r = 0; r < found; r++)
    {
      const char *result = lk_search_index_get_path (index, matches[r].index);
      int percent = lk_score_percent (matches[r].cosine);
      const char *band = lk_band_to_string (lk_score_band (percent, &bands));
      gboolean missing = lk_search_index_is_missing (index, matches[r].index);
      if (json)
        {
          g_string_append_printf (out, "%s{\"rank\": %zu, ", r ? ", " : "", r + 1);
          lk_cli_json_path (out, "path", result);
          g_string_append_printf (out,
                                  ", \"cosine\": %.4f, \"percent\": %d, \"band\": \"%s\", "
                                  "\"missing\": %s}",
                                  matches[r].cosine, percent, band, missing ? "true" : "false");
        }
      else
        {
          g_autofree char *shown = lk_path_display_line (result);
          g_string_append_printf (out, "%3zu. %3d%%  %-6s  %s%s\n", r + 1, percent, band, shown,
                                  missing ? _ ("  (missing)") : "");
        }
    }
  if (json)
    g_string_append (out, "]}\n");
  fwrite (out->str, 1, out->len, stdout);
  return LK_CLI_OK;
}
