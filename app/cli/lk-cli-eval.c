/* lk-cli-eval.c: `lookalike-cli eval`, retrieval quality on a labelled catalog.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * lookalike-cli eval [--index DB] [--backend cnn] [-k 10] [--json]
 *
 * Leave-one-out: every image queries all the others; its label is the name of its folder.
 * JSON keys: precision_at_k, map_at_k, recall_at_k, items, labels, k, and per_label.
 */
#include "config.h"

#include "lk-cli.h"

#include <glib/gi18n.h>
#include <stdio.h>

typedef struct
{
  const char *name;
  double precision;
  gsize items;
} Label;

static int
compare_labels (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (((const Label *) a)->name, ((const Label *) b)->name);
}

int
lk_cli_eval (int argc, char **argv)
{
  g_autofree char *index_path = NULL, *backend_name = NULL;
  g_auto (GStrv) rest = NULL;
  int k = 10;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      N_ ("Catalog file (default: the one last indexed)"), N_ ("FILE") },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name,
      N_ (
        "cnn, conv-ae or compressed (default: cnn where the catalog has CNN vectors or weights are "
        "installed)"),
      N_ ("NAME") },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, N_ ("Neighbours per query (10)"), "K" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("— retrieval quality by folder"));
  g_autoptr (GError) error = NULL;
  LkBackend backend;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Every image queries all the others; a match is right when it "
                                   "comes from the same folder."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      lk_cli_fail ("eval: %s", error->message);
      return LK_CLI_USAGE;
    }
  if (rest && rest[0])
    {
      lk_cli_fail (_ ("eval: unexpected argument “%s” (the catalog is given with --index)"),
                   rest[0]);
      return LK_CLI_USAGE;
    }
  if (k < 1)
    {
      lk_cli_fail (_ ("eval: -k must be at least 1"));
      return LK_CLI_USAGE;
    }
  if (!lk_cli_parse_backend ("eval", backend_name, &backend))
    return LK_CLI_USAGE;

  g_autofree char *path = NULL;
  g_autoptr (LkSearchIndex) index = lk_cli_load_index (index_path, &backend, NULL, &path, &error);
  if (!index)
    return lk_cli_fail ("%s", error->message);
  g_autoptr (LkEvalResult) result = lk_search_index_evaluate (index, (gsize) k);

  /* per-label figures, by name */
  g_autoptr (GArray) labels = g_array_sized_new (FALSE, TRUE, sizeof (Label), result->labels);
  g_array_set_size (labels, result->labels);
  {
    g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
    guint next = 0;
    /* lk_search_index_evaluate numbers labels in order of first appearance */
    for (gsize i = 0; i < result->items; i++)
      {
        const char *name = lk_search_index_get_label (index, i);
        if (g_hash_table_contains (seen, name))
          continue;
        g_hash_table_add (seen, (gpointer) name);
        g_array_index (labels, Label, next) =
          (Label){ name, result->label_precision[next], result->label_items[next] };
        next++;
      }
  }
  g_array_sort (labels, compare_labels);

  g_autoptr (GString) out = g_string_new (NULL);
  if (json)
    {
      g_string_append_printf (out,
                              "{\"k\": %d, \"items\": %zu, \"labels\": %u, \"precision_at_k\": "
                              "%.4f, \"map_at_k\": %.4f, \"recall_at_k\": %.4f, \"backend\": ",
                              k, result->items, result->labels, result->precision_at_k,
                              result->map_at_k, result->recall_at_k);
      lk_cli_json_string (out, lk_backend_to_string (backend));
      g_string_append (out, ", \"model\": ");
      lk_cli_json_string (out, lk_search_index_get_identity (index)->model);
      g_string_append (out, ", \"per_label\": {");
      for (guint i = 0; i < labels->len; i++)
        {
          const Label *l = &g_array_index (labels, Label, i);
          if (i)
            g_string_append (out, ", ");
          lk_cli_json_string (out, l->name);
          g_string_append_printf (out, ": {\"precision_at_k\": %.4f, \"items\": %zu}", l->precision,
                                  l->items);
        }
      g_string_append (out, "}}\n");
    }
  else
    {
      g_autofree char *images = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%zu image", "%zu images", result->items), result->items);
      g_autofree char *labelled = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u label", "%u labels", result->labels), result->labels);
      /* Translators: "1617 images, 20 labels, squeezenet1_1 (cnn), leave-one-out at k = 10" */
      g_string_append_printf (out, _ ("%s, %s, %s (%s), leave-one-out at k = %d\n"), images,
                              labelled, lk_search_index_get_identity (index)->model,
                              lk_backend_to_string (backend), k);
      g_string_append_printf (out,
                              _ ("precision@%d  %.4f\nmAP@%d        %.4f\nrecall@%d     %.4f\n"), k,
                              result->precision_at_k, k, result->map_at_k, k, result->recall_at_k);
      g_string_append (out, _ ("\nper label (precision@k, images):\n"));
      for (guint i = 0; i < labels->len; i++)
        {
          const Label *l = &g_array_index (labels, Label, i);
          g_autofree char *shown = lk_path_display_line (l->name);
          g_string_append_printf (out, "  %-28s %.4f  %zu\n", shown, l->precision, l->items);
        }
    }
  fwrite (out->str, 1, out->len, stdout);
  return LK_CLI_OK;
}
