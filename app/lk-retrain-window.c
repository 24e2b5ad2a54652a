/* lk-retrain-window.c: the Retrain Autoencoder dialog.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two pages. Settings: what the catalog is (its folder, its photos, the model it has and how many
 * photos came since it was trained, read in a worker from the catalog and the model file), and
 * the trainer's parameters as rows whose adjustments hold each one to the range the trainer
 * accepts. Run: the LkTraining the session runs, shown as it reports: epoch, speed, time, the
 * loss curves (LkLossPlot, fed only the points that are new since the last report) and eight
 * validation photos above their reconstructions; then the choice after a stop, or the summary.
 *
 * The retraining belongs to the session, not to the dialog: closing the dialog while it trains
 * asks whether to stop or to go on in the background (the main window's bar shows it); the
 * window keeps the hidden dialog and shows it again from the menu, or by itself when the
 * training stops and a choice is needed.
 */
#define G_LOG_DOMAIN "lk-retrain"

#include "config.h"

#include "lk-retrain-window.h"

#include <glib/gi18n.h>
#include <math.h>

/* the side at which a sample is shown, whatever the input size */
#define SAMPLE_SIDE 72

/* the epochs the loss plot spans at first */
#define PLOT_EPOCHS 20

struct _LkRetrainWindow
{
  AdwWindow parent_instance;

  /* template */
  AdwWindowTitle *window_title;
  GtkWidget *again_button;
  GtkWidget *start_button;
  GtkWidget *stop_button;
  GtkStack *stack;
  AdwActionRow *folder_row;
  AdwActionRow *photos_row;
  AdwActionRow *model_row;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *latent_spin;
  GtkSpinButton *input_spin;
  GtkSpinButton *denoise_spin;
  GtkSwitch *augment_switch;
  GtkSpinButton *rate_spin;
  GtkSpinButton *batch_spin;
  GtkSpinButton *seed_spin;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;
  GtkLabel *detail_label;
  GtkWidget *stopped_box;
  GtkLabel *stopped_label;
  AdwPreferencesGroup *summary_group;
  AdwActionRow *losses_row;
  AdwActionRow *time_row;
  AdwExpanderRow *precision_row;
  GtkToggleButton *log_toggle;
  LkLossPlot *plot;
  AdwPreferencesGroup *samples_group;
  GtkGrid *samples_grid;

  /* owned */
  LkSession *session;
  LkTraining *training;
  GCancellable *cancellable; /* the description's worker */
  GtkWidget *samples[LK_TRAINING_N_SAMPLES];
  GtkWidget *reconstructions[LK_TRAINING_N_SAMPLES];
  GPtrArray *precision_rows;
  AdwMessageDialog *confirm;     /* (nullable) weak: "Stop Training?" */
  LkTrainingState summary_state; /* the state the summary was made in */
  guint n_train_shown, n_validation_shown;
  guint tick;
  gboolean described;
};

G_DEFINE_FINAL_TYPE (LkRetrainWindow, lk_retrain_window, ADW_TYPE_WINDOW)

/* ---------------------------------------------------------------------------------------------- */
/* Words                                                                                           */

/* "12 s", "3 min 05 s", "1 h 02 min" */
static char *
format_duration (double seconds)
{
  gint64 s = (gint64) llround (MAX (seconds, 0));

  if (seconds < 9.95)
    /* Translators: a short duration in seconds, with tenths */
    return g_strdup_printf (_ ("%.1f s"), MAX (seconds, 0));
  if (s < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_ ("%d s"), (int) s);
  if (s < 3600)
    /* Translators: a duration in minutes and seconds */
    return g_strdup_printf (_ ("%d min %02d s"), (int) (s / 60), (int) (s % 60));
  /* Translators: a duration in hours and minutes */
  return g_strdup_printf (_ ("%d h %02d min"), (int) (s / 3600), (int) (s % 3600 / 60));
}

/* "1,617" in the user's locale */
static char *
format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

/* ---------------------------------------------------------------------------------------------- */
/* The catalog's description                                                                       */

typedef struct
{
  GWeakRef dialog;
  char *catalog_path;
  gint64 photos;       /* -1 unknown */
  gint64 embedded;     /* conv-ae vectors */
  guint trained_on;    /* 0: no model */
  char *trained_date;  /* ISO 8601 */
  char *model_problem; /* a model file that cannot be used */
} Description;

static void
description_free (Description *d)
{
  g_weak_ref_clear (&d->dialog);
  g_free (d->catalog_path);
  g_free (d->trained_date);
  g_free (d->model_problem);
  g_free (d);
}

static void
describe_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Description *d = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LkCatalog) catalog = lk_catalog_open_read_only (d->catalog_path, &error);
  g_autofree char *model_path = NULL;
  g_autoptr (LkEmbedder) embedder = NULL;

  d->photos = d->embedded = -1;
  if (!catalog)
    {
      g_task_return_boolean (task, TRUE); /* a catalog not made yet: nothing to say */
      return;
    }
  d->photos = lk_catalog_count_items (catalog, NULL);
  d->embedded = lk_catalog_count_vectors (catalog, LK_BACKEND_CONV_AE, NULL);
  model_path = lk_catalog_get_model_path (catalog, LK_BACKEND_CONV_AE);
  if (g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      if ((embedder = lk_embedder_new_conv_ae (model_path, &error)))
        {
          d->trained_on = lk_embedder_get_trained_on (embedder);
          d->trained_date = g_strdup (lk_embedder_get_trained_date (embedder));
        }
      else
        d->model_problem = g_strdup (error->message);
    }
  g_task_return_boolean (task, TRUE);
}

/* "1 December 2026, 15:52" in local time, from ISO 8601 */
static char *
format_date (const char *iso)
{
  g_autoptr (GDateTime) utc = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  /* Translators: a date and time, see g_date_time_format () */
  return local ? g_date_time_format (local, _ ("%-d %B %Y, %H:%M")) : NULL;
}

static void
describe_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Description *d = g_task_get_task_data (G_TASK (result));
  g_autoptr (LkRetrainWindow) self = g_weak_ref_get (&d->dialog);
  g_autofree char *photos = NULL, *model = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL) || !self)
    return; /* cancelled: the dialog is gone */

  if (d->photos > 0)
    {
      g_autofree char *n = format_count ((guint64) d->photos);
      photos = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%s photo indexed", "%s photos indexed", (gulong) d->photos),
        n);
    }
  else
    photos = g_strdup (_ ("Not counted yet: training reads every photo of the folder"));
  adw_action_row_set_subtitle (self->photos_row, photos);

  if (d->model_problem)
    /* Translators: the reason is an error message naming the file */
    model = g_strdup_printf (_ ("None that can be used (%s)"), d->model_problem);
  else if (!d->trained_on)
    model = g_strdup (_ ("None yet: this training makes the first one"));
  else
    {
      g_autofree char *when = format_date (d->trained_date);
      g_autofree char *on = format_count (d->trained_on);
      g_autofree char *trained = NULL;
      gint64 added = d->embedded > (gint64) d->trained_on ? d->embedded - d->trained_on : 0;

      trained = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Trained %s on %s photo",
                                              "Trained %s on %s photos", d->trained_on),
                                 when ? when : "?", on);
      if (added > 0)
        {
          g_autofree char *n = format_count ((guint64) added);
          /* Translators: "Trained 1 December 2026, 15:52 on 1,455 photos · 162 added since" */
          model = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %s added since",
                                                "%s · %s added since", (gulong) added),
                                   trained, n);
        }
      else
        /* Translators: after "Trained 1 December 2026, 15:52 on 1,455 photos" */
        model = g_strdup_printf (_ ("%s · none added since"), trained);
    }
  adw_action_row_set_subtitle (self->model_row, model);
  self->described = TRUE;
}

static void
describe (LkRetrainWindow *self)
{
  /* no source object: the task's last reference may go in the worker's thread, and a dialog
   * must not be finalized there */
  g_autoptr (GTask) task = g_task_new (NULL, self->cancellable, describe_done_cb, NULL);
  Description *d = g_new0 (Description, 1);
  const char *root = lk_session_get_root (self->session);
  g_autofree char *shown = root ? g_filename_display_name (root) : NULL;
  g_autofree char *name = root ? g_filename_display_basename (root) : NULL;

  adw_action_row_set_subtitle (self->folder_row, shown ? shown : "");
  adw_window_title_set_subtitle (self->window_title, name);
  adw_action_row_set_subtitle (self->photos_row, "…");
  adw_action_row_set_subtitle (self->model_row, "…");
  g_weak_ref_init (&d->dialog, self);
  d->catalog_path = g_strdup (lk_session_get_catalog_path (self->session));
  g_task_set_task_data (task, d, (GDestroyNotify) description_free);
  g_task_run_in_thread (task, describe_worker);
}

/* ---------------------------------------------------------------------------------------------- */
/* Settings                                                                                        */

static void
show_params (LkRetrainWindow *self, const LkTrainParams *p)
{
  gtk_spin_button_set_value (self->epochs_spin, p->epochs);
  gtk_spin_button_set_value (self->latent_spin, p->latent);
  gtk_spin_button_set_value (self->input_spin, p->input_size);
  gtk_spin_button_set_value (self->denoise_spin, p->denoise);
  gtk_switch_set_active (self->augment_switch, p->augment);
  gtk_spin_button_set_value (self->rate_spin, p->learning_rate);
  gtk_spin_button_set_value (self->batch_spin, p->batch);
  gtk_spin_button_set_value (self->seed_spin, (double) p->seed);
}

LkTrainParams
lk_retrain_window_get_params (LkRetrainWindow *self)
{
  LkTrainParams p = lk_session_get_train_params (self->session);

  /* a value typed but not yet committed (no Enter, no focus change) counts too */
  gtk_spin_button_update (self->epochs_spin);
  gtk_spin_button_update (self->latent_spin);
  gtk_spin_button_update (self->input_spin);
  gtk_spin_button_update (self->denoise_spin);
  gtk_spin_button_update (self->rate_spin);
  gtk_spin_button_update (self->batch_spin);
  gtk_spin_button_update (self->seed_spin);
  p.epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  p.latent = gtk_spin_button_get_value_as_int (self->latent_spin);
  p.input_size = gtk_spin_button_get_value_as_int (self->input_spin) / 4 * 4;
  p.denoise = gtk_spin_button_get_value (self->denoise_spin);
  p.augment = gtk_switch_get_active (self->augment_switch);
  p.learning_rate = gtk_spin_button_get_value (self->rate_spin);
  p.batch = gtk_spin_button_get_value_as_int (self->batch_spin);
  p.seed = (guint64) gtk_spin_button_get_value (self->seed_spin);
  return p;
}

static void
reset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (widget);
  LkTrainParams defaults = lk_session_get_train_params (self->session);

  show_params (self, &defaults);
}

/* ---------------------------------------------------------------------------------------------- */
/* The run                                                                                         */

static void update (LkRetrainWindow *self);

static void
samples_changed_cb (LkRetrainWindow *self)
{
  int epoch = lk_training_get_samples_epoch (self->training);
  g_autofree char *description = NULL;

  for (guint i = 0; i < LK_TRAINING_N_SAMPLES; i++)
    {
      GdkTexture *sample = lk_training_get_sample (self->training, i);
      gtk_picture_set_paintable (GTK_PICTURE (self->samples[i]), GDK_PAINTABLE (sample));
      gtk_picture_set_paintable (
        GTK_PICTURE (self->reconstructions[i]),
        GDK_PAINTABLE (lk_training_get_reconstruction (self->training, i)));
      gtk_widget_set_visible (self->samples[i], sample != NULL);
      gtk_widget_set_visible (self->reconstructions[i], sample != NULL);
    }
  if (epoch == 0)
    description =
      g_strdup (_ ("Validation photos (top) as the untrained model reconstructs them (bottom)"));
  else
    /* Translators: "…after epoch 3" */
    description =
      g_strdup_printf (_ ("Validation photos (top) as the model reconstructs them (bottom) after "
                          "epoch %d"),
                       epoch);
  adw_preferences_group_set_description (self->samples_group, description);
}

/* feeds the plot the points that are new */
static void
plot_new_points (LkRetrainWindow *self)
{
  guint n_train, n_validation;
  const LkLossPoint *train = lk_training_get_train_points (self->training, &n_train);
  const LkLossPoint *validation = lk_training_get_validation_points (self->training, &n_validation);

  for (; self->n_train_shown < n_train; self->n_train_shown++)
    lk_loss_plot_add_train (self->plot, train[self->n_train_shown].epoch,
                            train[self->n_train_shown].loss);
  for (; self->n_validation_shown < n_validation; self->n_validation_shown++)
    lk_loss_plot_add_validation (self->plot, validation[self->n_validation_shown].epoch,
                                 validation[self->n_validation_shown].loss);
}

static void
progress_cb (LkRetrainWindow *self)
{
  plot_new_points (self);
  update (self);
}

/* "1,234 images/s · 12 s elapsed · about 40 s left" */
static char *
describe_speed_and_time (LkRetrainWindow *self)
{
  LkTraining *t = self->training;
  g_autofree char *elapsed = format_duration (lk_training_get_elapsed (t));
  g_autoptr (GString) s = g_string_new (NULL);

  if (lk_training_get_state (t) == LK_TRAINING_RUNNING && lk_training_get_images_per_second (t) > 0)
    {
      g_autofree char *speed =
        format_count ((guint64) llround (lk_training_get_images_per_second (t)));
      /* Translators: training speed */
      g_string_append_printf (s, _ ("%s images/s"), speed);
      g_string_append (s, " · ");
    }
  /* Translators: "12 s elapsed" */
  g_string_append_printf (s, _ ("%s elapsed"), elapsed);
  if (lk_training_get_state (t) == LK_TRAINING_RUNNING && lk_training_get_eta (t) >= 0)
    {
      g_autofree char *left = format_duration (lk_training_get_eta (t));
      g_string_append (s, " · ");
      /* Translators: "about 40 s left" */
      g_string_append_printf (s, _ ("about %s left"), left);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
clear_precision_rows (LkRetrainWindow *self)
{
  for (guint i = 0; self->precision_rows && i < self->precision_rows->len; i++)
    adw_expander_row_remove (self->precision_row, self->precision_rows->pdata[i]);
  g_clear_pointer (&self->precision_rows, g_ptr_array_unref);
}

static int
compare_labels (gconstpointer a, gconstpointer b, gpointer training)
{
  return g_utf8_collate (lk_training_get_label (training, *(const guint *) a),
                         lk_training_get_label (training, *(const guint *) b));
}

/* A row a folder, by name, made when the row is first expanded: a catalog can have hundreds of
 * folders, and rows cost to lay out even folded away. */
static void
precision_expanded_cb (LkRetrainWindow *self)
{
  const LkEvalResult *eval = self->training ? lk_training_get_evaluation (self->training) : NULL;
  g_autoptr (GArray) order = NULL;

  if (!adw_expander_row_get_expanded (self->precision_row) || self->precision_rows || !eval)
    return;
  order = g_array_sized_new (FALSE, FALSE, sizeof (guint), eval->labels);
  for (guint i = 0; i < eval->labels; i++)
    g_array_append_val (order, i);
  g_array_sort_with_data (order, compare_labels, self->training);
  self->precision_rows = g_ptr_array_new ();
  for (guint k = 0; k < eval->labels; k++)
    {
      guint i = g_array_index (order, guint, k);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *value = NULL, *items = format_count (eval->label_items[i]);
      g_autofree char *title = g_markup_escape_text (lk_training_get_label (self->training, i), -1);

      value = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%.3f · %s photo", "%.3f · %s photos", eval->label_items[i]),
        eval->label_precision[i], items);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
      gtk_widget_add_css_class (row, "property");
      adw_expander_row_add_row (self->precision_row, row);
      g_ptr_array_add (self->precision_rows, row);
    }
}

static void
show_summary (LkRetrainWindow *self)
{
  LkTraining *t = self->training;
  const LkTrainSummary *summary = lk_training_get_summary (t);
  const LkEvalResult *eval = lk_training_get_evaluation (t);
  double previous = lk_training_get_previous_precision (t);
  g_autofree char *losses = NULL, *time = NULL, *duration = NULL, *speed = NULL;
  g_autofree char *photos = NULL;

  if (!summary || summary->epochs < 1)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->summary_group), FALSE);
      return;
    }
  losses = g_strdup_printf (
    /* Translators: the summary's losses; "best" is the epoch whose model was kept */
    _ ("Training %.5f · validation %.5f · best validation %.5f at epoch %d of %d"),
    g_array_index (summary->train_loss, double, summary->epochs - 1),
    g_array_index (summary->val_loss, double, summary->epochs - 1),
    g_array_index (summary->val_loss, double, summary->best_epoch - 1), summary->best_epoch,
    summary->epochs);
  adw_action_row_set_subtitle (self->losses_row, losses);
  duration = format_duration (summary->seconds);
  speed = format_count ((guint64) llround (summary->images_per_second));
  photos = format_count (summary->n_train + summary->n_val);
  time = g_strdup_printf (
    /* Translators: "1 min 02 s · 1,234 images/s · 1,455 photos, 146 of them for validation" */
    g_dngettext (GETTEXT_PACKAGE, "%s · %s images/s · %s photo, %u of them for validation",
                 "%s · %s images/s · %s photos, %u of them for validation",
                 summary->n_train + summary->n_val),
    duration, speed, photos, summary->n_val);
  adw_action_row_set_subtitle (self->time_row, time);

  clear_precision_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->precision_row), eval != NULL);
  if (eval)
    {
      g_autofree char *line = NULL;

      if (isfinite (previous))
        /* Translators: precision@10 of the new model, and of the one it replaced */
        line = g_strdup_printf (_ ("%.3f, the previous model %.3f · of each photo’s 10 nearest, "
                                   "the share from its own folder"),
                                eval->precision_at_k, previous);
      else
        line =
          g_strdup_printf (_ ("%.3f · of each photo’s 10 nearest, the share from its own folder"),
                           eval->precision_at_k);
      adw_expander_row_set_subtitle (self->precision_row, line);
      adw_expander_row_set_expanded (self->precision_row, FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->summary_group), TRUE);
}

static void
update (LkRetrainWindow *self)
{
  LkTraining *t = self->training;
  LkTrainingState state = t ? lk_training_get_state (t) : LK_TRAINING_WAITING;
  g_autofree char *status = NULL, *detail = NULL;
  double fraction = 0.0;
  gboolean active = t && lk_training_is_active (t);

  gtk_stack_set_visible_child_name (self->stack, t ? "run" : "settings");
  gtk_widget_set_visible (self->start_button, !t);
  gtk_widget_set_visible (self->stop_button, active);
  gtk_widget_set_tooltip_text (self->stop_button,
                               state == LK_TRAINING_EMBEDDING
                                 ? _ ("Stop embedding: the new model stays, with the photos "
                                      "embedded so far")
                                 : _ ("Stop after the current step"));
  gtk_widget_set_visible (self->again_button, t && !active && state != LK_TRAINING_STOPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "retrain.start",
                                 !t && lk_session_can_retrain (self->session));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "retrain.stop", active);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "retrain.keep-best",
                                 state == LK_TRAINING_STOPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "retrain.keep-previous",
                                 state == LK_TRAINING_STOPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "retrain.again",
                                 t && !active && state != LK_TRAINING_STOPPED);
  gtk_widget_set_visible (self->stopped_box, state == LK_TRAINING_STOPPED);
  if (!t)
    return;

  switch (state)
    {
    case LK_TRAINING_WAITING:
    case LK_TRAINING_READING:
      {
        guint64 total, read = lk_training_get_photos_read (t, &total);
        if (total)
          {
            g_autofree char *a = format_count (read), *b = format_count (total);
            /* Translators: "Reading photos… 640 of 1,617" */
            status = g_strdup_printf (_ ("Reading photos… %s of %s"), a, b);
            fraction = (double) read / total;
          }
        else
          status = g_strdup (_ ("Reading photos…"));
        break;
      }
    case LK_TRAINING_RUNNING:
      {
        g_autofree char *epochs = format_count ((guint64) lk_training_get_epochs (t));
        /* Translators: "Epoch 3 of 20" */
        status = g_strdup_printf (_ ("Epoch %d of %s"), lk_training_get_epoch (t), epochs);
        fraction = lk_training_get_fraction (t);
        break;
      }
    case LK_TRAINING_SAVING:
      status = g_strdup (_ ("Saving the model…"));
      fraction = 1.0;
      break;
    case LK_TRAINING_STOPPED:
      {
        const LkTrainSummary *s = lk_training_get_summary (t);
        g_autofree char *epochs = format_count ((guint64) lk_training_get_params (t)->epochs);
        status = g_strdup_printf (
          /* Translators: "Stopped after 3 of 20 epochs" */
          g_dngettext (GETTEXT_PACKAGE, "Stopped after %d of %s epoch",
                       "Stopped after %d of %s epochs",
                       (gulong) lk_training_get_params (t)->epochs),
          s ? s->epochs : 0, epochs);
        fraction = lk_training_get_fraction (t);
        if (s && s->best_epoch > 0)
          {
            g_autofree char *text = g_strdup_printf (
              /* Translators: after a stop; the loss is a number like 0.01234 */
              _ ("The best model so far, from epoch %d (validation loss %.5f), can replace the "
                 "catalog’s current one. Or the current one stays, and nothing changes."),
              s->best_epoch, g_array_index (s->val_loss, double, s->best_epoch - 1));
            gtk_label_set_label (self->stopped_label, text);
          }
        break;
      }
    case LK_TRAINING_EMBEDDING:
      status = g_strdup (_ ("Embedding the catalog with the new model…"));
      fraction = lk_session_get_progress (self->session);
      detail = g_strdup (lk_session_get_progress_text (self->session));
      break;
    case LK_TRAINING_FINISHED:
      status = g_strdup (lk_training_get_embedding_cancelled (t)
                           ? _ ("Retrained. Embedding stopped: updating the catalog embeds the "
                                "rest.")
                           : _ ("Retrained. The catalog is searched with the new model."));
      fraction = 1.0;
      break;
    case LK_TRAINING_DISCARDED:
      status = g_strdup (_ ("Stopped. The previous model is kept, and nothing changed."));
      fraction = lk_training_get_fraction (t);
      break;
    case LK_TRAINING_FAILED:
      /* Translators: the reason is an error message */
      status = g_strdup_printf (_ ("Training failed: %s"), lk_training_get_error (t));
      break;
    }
  gtk_label_set_label (self->status_label, status);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), active || state == LK_TRAINING_STOPPED);
  if (!detail && state != LK_TRAINING_FINISHED)
    detail = describe_speed_and_time (self);
  gtk_label_set_label (self->detail_label, detail ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL);
  if (state != self->summary_state
      && (state == LK_TRAINING_FINISHED || state == LK_TRAINING_STOPPED))
    show_summary (self); /* once a state: it does not change in it */
  else if (state != LK_TRAINING_FINISHED && state != LK_TRAINING_STOPPED)
    gtk_widget_set_visible (GTK_WIDGET (self->summary_group), FALSE);
  self->summary_state = state;
}

static gboolean
tick_cb (gpointer data)
{
  update (LK_RETRAIN_WINDOW (data));
  return G_SOURCE_CONTINUE;
}

static void
state_cb (LkRetrainWindow *self)
{
  LkTrainingState state = lk_training_get_state (self->training);

  if (lk_training_is_active (self->training) && !self->tick)
    self->tick = g_timeout_add_seconds (1, tick_cb, self);
  else if (!lk_training_is_active (self->training))
    g_clear_handle_id (&self->tick, g_source_remove);
  /* "Stop Training?" is moot once it has stopped (or finished) anyway */
  if (self->confirm && !lk_training_is_active (self->training))
    adw_message_dialog_response (self->confirm, "back");
  plot_new_points (self);
  update (self);
  /* a stop waits for the user: shown however it was stopped (from the window's bar too) */
  if (state == LK_TRAINING_STOPPED && !gtk_widget_get_visible (GTK_WIDGET (self)))
    gtk_window_present (GTK_WINDOW (self));
  if (state == LK_TRAINING_STOPPED)
    gtk_widget_grab_focus (GTK_WIDGET (self->stopped_box));
}

static void
session_progress_cb (LkRetrainWindow *self)
{
  if (self->training && lk_training_get_state (self->training) == LK_TRAINING_EMBEDDING)
    update (self);
}

static void
follow (LkRetrainWindow *self, LkTraining *training)
{
  if (self->training)
    g_signal_handlers_disconnect_by_data (self->training, self);
  g_set_object (&self->training, training);
  g_clear_handle_id (&self->tick, g_source_remove);
  self->summary_state = LK_TRAINING_WAITING;
  clear_precision_rows (self);
  self->n_train_shown = self->n_validation_shown = 0;
  if (!training)
    {
      update (self);
      return;
    }
  /* a long run's axis grows with it (the plot stretches to points beyond its span) rather than
   * showing its first epochs squeezed against the left edge */
  lk_loss_plot_reset (self->plot, MIN (lk_training_get_params (training)->epochs, PLOT_EPOCHS));
  g_signal_connect_swapped (training, "progress", G_CALLBACK (progress_cb), self);
  g_signal_connect_swapped (training, "samples-changed", G_CALLBACK (samples_changed_cb), self);
  g_signal_connect_swapped (training, "notify::state", G_CALLBACK (state_cb), self);
  if (lk_training_get_n_samples (training))
    samples_changed_cb (self);
  else
    adw_preferences_group_set_description (
      self->samples_group, _ ("Validation photos and their reconstructions appear here once the "
                              "photos are read."));
  state_cb (self);
}

static void
start_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (widget);
  LkTrainParams params = lk_retrain_window_get_params (self);
  g_autoptr (LkTraining) training = NULL;
  g_autoptr (GError) error = NULL;

  if (!lk_session_can_retrain (self->session))
    return;
  if (!lk_train_params_check (&params, &error))
    {
      /* the rows keep every value in range; a combination can still be refused */
      GtkWidget *dialog =
        adw_message_dialog_new (GTK_WINDOW (self), _ ("These Settings Cannot Be Used"), NULL);
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  training = lk_training_new (&params);
  for (guint i = 0; i < LK_TRAINING_N_SAMPLES; i++)
    {
      gtk_picture_set_paintable (GTK_PICTURE (self->samples[i]), NULL);
      gtk_picture_set_paintable (GTK_PICTURE (self->reconstructions[i]), NULL);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->summary_group), FALSE);
  lk_session_retrain (self->session, training);
  follow (self, training);
  gtk_widget_grab_focus (self->stop_button);
}

static void
stop_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (widget);

  if (self->training && self->training == lk_session_get_training (self->session)
      && lk_training_is_active (self->training))
    lk_session_cancel (self->session);
}

static void
keep_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (widget);

  if (self->training && self->training == lk_session_get_training (self->session)
      && lk_training_get_state (self->training) == LK_TRAINING_STOPPED)
    lk_session_resolve_training (self->session, g_str_equal (name, "retrain.keep-best"));
}

static void
again_action (GtkWidget *widget, const char *name, GVariant *param)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (widget);

  follow (self, NULL);
  describe (self);
  gtk_widget_grab_focus (self->start_button);
}

/* ---------------------------------------------------------------------------------------------- */
/* Closing                                                                                         */

static gboolean
destroy_idle (gpointer data)
{
  gtk_window_destroy (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static void
confirm_response_cb (AdwMessageDialog *dialog, const char *response, LkRetrainWindow *self)
{
  if (g_str_equal (response, "background"))
    gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  else if (g_str_equal (response, "stop") && self->training)
    {
      lk_training_set_discard_on_stop (self->training, TRUE);
      if (lk_training_is_active (self->training))
        lk_session_cancel (self->session);
      /* not while the message dialog, transient for this one, is still answering */
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      g_idle_add_full (G_PRIORITY_DEFAULT, destroy_idle, g_object_ref (self), g_object_unref);
    }
}

static gboolean
close_request_cb (LkRetrainWindow *self)
{
  AdwMessageDialog *dialog;

  if (self->training && lk_training_get_state (self->training) == LK_TRAINING_STOPPED
      && self->training == lk_session_get_training (self->session))
    {
      /* closing without a choice keeps what the catalog has */
      lk_session_resolve_training (self->session, FALSE);
      return FALSE;
    }
  if (!self->training || !lk_training_is_active (self->training))
    return FALSE;
  if (self->confirm)
    return TRUE;

  if (lk_training_get_state (self->training) == LK_TRAINING_EMBEDDING)
    {
      dialog = ADW_MESSAGE_DIALOG (
        adw_message_dialog_new (GTK_WINDOW (self), _ ("Stop Embedding?"), NULL));
      adw_message_dialog_set_body (
        dialog, _ ("The new model is in place, and the catalog is being embedded with it. That "
                   "can go on in the background, the main window showing how far it is; or stop "
                   "now, keeping the photos embedded so far (updating the catalog embeds the "
                   "rest)."));
      adw_message_dialog_add_responses (dialog, "back", _ ("_Back"), "background",
                                        _ ("Continue in _Background"), "stop",
                                        _ ("_Stop Embedding"), NULL);
    }
  else
    {
      dialog =
        ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _ ("Stop Training?"), NULL));
      adw_message_dialog_set_body (
        dialog, _ ("The model is still learning. It can go on in the background, the main window "
                   "showing how far it is; or stop now, keeping the catalog’s current model."));
      adw_message_dialog_add_responses (dialog, "back", _ ("_Back"), "background",
                                        _ ("Continue in _Background"), "stop", _ ("_Stop Training"),
                                        NULL);
    }
  adw_message_dialog_set_response_appearance (dialog, "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "background");
  adw_message_dialog_set_close_response (dialog, "back");
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  self->confirm = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->confirm);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------- */

static void
lk_retrain_window_dispose (GObject *object)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick, g_source_remove);
  if (self->confirm)
    g_object_remove_weak_pointer (G_OBJECT (self->confirm), (gpointer *) &self->confirm);
  self->confirm = NULL;
  if (self->training)
    g_signal_handlers_disconnect_by_data (self->training, self);
  g_clear_object (&self->training);
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->precision_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), LK_TYPE_RETRAIN_WINDOW);
  G_OBJECT_CLASS (lk_retrain_window_parent_class)->dispose (object);
}

static void
lk_retrain_window_finalize (GObject *object)
{
  LkRetrainWindow *self = LK_RETRAIN_WINDOW (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (lk_retrain_window_parent_class)->finalize (object);
}

static void
lk_retrain_window_class_init (LkRetrainWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = lk_retrain_window_dispose;
  object_class->finalize = lk_retrain_window_finalize;

  g_type_ensure (LK_TYPE_LOSS_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/lookalike/Lookalike/ui/"
                                                             "lk-retrain-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, again_button);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, stop_button);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, folder_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, photos_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, model_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, latent_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, input_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, denoise_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, augment_switch);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, rate_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, stopped_box);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, stopped_label);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, summary_group);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, losses_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, time_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, precision_row);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, log_toggle);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, plot);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, samples_group);
  gtk_widget_class_bind_template_child (widget_class, LkRetrainWindow, samples_grid);

  gtk_widget_class_install_action (widget_class, "retrain.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "retrain.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "retrain.keep-best", NULL, keep_action);
  gtk_widget_class_install_action (widget_class, "retrain.keep-previous", NULL, keep_action);
  gtk_widget_class_install_action (widget_class, "retrain.again", NULL, again_action);
  gtk_widget_class_install_action (widget_class, "retrain.reset", NULL, reset_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
lk_retrain_window_init (LkRetrainWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < LK_TRAINING_N_SAMPLES; i++)
    {
      GtkWidget **pictures[2] = { self->samples, self->reconstructions };
      for (int row = 0; row < 2; row++)
        {
          GtkWidget *picture = gtk_picture_new ();
          gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
          gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
          gtk_widget_set_size_request (picture, SAMPLE_SIDE, SAMPLE_SIDE);
          gtk_widget_add_css_class (picture, "lk-sample");
          gtk_grid_attach (self->samples_grid, picture, (int) i, row, 1, 1);
          pictures[row][i] = picture;
        }
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->samples_grid),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Validation photos above their reconstructions"), -1);
  g_object_bind_property (self->log_toggle, "active", self->plot, "log-scale",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  g_signal_connect_swapped (self->precision_row, "notify::expanded",
                            G_CALLBACK (precision_expanded_cb), self);
}

LkRetrainWindow *
lk_retrain_window_new (GtkWindow *parent, LkSession *session)
{
  LkRetrainWindow *self = g_object_new (LK_TYPE_RETRAIN_WINDOW, "transient-for", parent, NULL);
  LkTrainParams defaults = lk_session_get_train_params (session);

  self->session = g_object_ref (session);
  g_signal_connect_swapped (session, "notify::progress", G_CALLBACK (session_progress_cb), self);
  g_signal_connect_swapped (session, "notify::state", G_CALLBACK (update), self);
  show_params (self, &defaults);
  describe (self);
  follow (self, lk_session_get_training (session));
  return self;
}

LkTraining *
lk_retrain_window_get_training (LkRetrainWindow *self)
{
  return self->training;
}

LkLossPlot *
lk_retrain_window_get_plot (LkRetrainWindow *self)
{
  return self->plot;
}

gboolean
lk_retrain_window_is_described (LkRetrainWindow *self)
{
  return self->described;
}
