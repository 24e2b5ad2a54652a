/* lk-loss-plot.c: live training curves of an autoencoder: loss per step and per epoch.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Training loss arrives once a step and validation loss once an epoch, both against the epoch
 * (fractional for steps). Points are kept raw; drawing decimates: when there are more steps than
 * pixel columns, each column shows the band from its lowest to its highest loss and the line runs
 * through the columns' means, so a redraw costs one pass over the points whatever their number.
 *
 * Every drawing and every hit test starts from a Frame computed afresh from the widget's size,
 * its font and the data: the plot area, both axes and the ticks. Nothing about the layout is
 * cached, so an added point only queues a redraw. Colours come from the style (text colour,
 * libadwaita's named colours), and the style manager's dark and high-contrast changes redraw.
 * The arithmetic (tick steps and labels, values to pixels, decimation) is lk-plot-axis.c's.
 */
#define G_LOG_DOMAIN "lk-loss-plot"

#include "config.h"

#include "lk-loss-plot.h"
#include "lk-plot-axis.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define PAD         6.0  /* around everything */
#define TICK_LENGTH 4.0  /* tick marks, outside the plot area */
#define LABEL_GAP   4.0  /* between a tick mark and its label */
#define REACH       12.0 /* how near, in pixels, the pointer must come to a point */

typedef struct
{
  double epoch, loss;
} Point;

/* the points' arrays are read as (n, 2) arrays of doubles: see lk_plot_axis_decimate () */
G_STATIC_ASSERT (sizeof (Point) == 2 * sizeof (double));

struct _LkLossPlot
{
  GtkWidget parent_instance;

  /* owned */
  GArray *train;      /* of Point, in arrival order */
  GArray *validation; /* of Point, in arrival order */
  int epochs;
  gboolean log_scale;
  guint best;          /* index into validation, G_MAXUINT when there is none */
  double min, max;     /* of every loss received */
  double min_positive; /* the lowest loss above zero (for the log scale), INFINITY when none */
  double max_epoch;
  double top; /* where the y axis reaches up to (see axis_top), when top_valid */
  gboolean top_valid;
  double *scratch; /* (scratch_size) for axis_top */
  gsize scratch_size;
  gboolean hovering;
  double hover_x, hover_y;

  /* borrowed */
  AdwStyleManager *style_manager;
  gulong dark_handler, high_contrast_handler;
};

G_DEFINE_FINAL_TYPE (LkLossPlot, lk_loss_plot, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_LOG_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---------------------------------------------------------------------------------------------- */
/* Layout                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

/* Where everything goes at the widget's current size. */
typedef struct
{
  graphene_rect_t area; /* the plot area, in widget coordinates */
  LkPlotAxis x;         /* epochs, 0..x.hi, along the area's width; no ticks of its own */
  int x_step;           /* epochs between x ticks */
  LkPlotAxis y;         /* losses (log10 of them when y.log), up the area's height, with ticks */
  int label_height;     /* of the small font */
  int title_height;
  gboolean empty; /* no point at all */
} Frame;

static PangoLayout *
make_layout (LkLossPlot *self, const char *text, gboolean small)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);

  if (small)
    {
      PangoAttrList *attrs = pango_attr_list_new ();
      pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  return layout;
}

static int
text_width (LkLossPlot *self, const char *text, gboolean small)
{
  g_autoptr (PangoLayout) layout = make_layout (self, text, small);
  int width;

  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

static double
map_x (const Frame *f, double epoch)
{
  return lk_plot_axis_to_pixel (&f->x, epoch);
}

static double
map_y (const Frame *f, double loss)
{
  return lk_plot_axis_to_pixel (&f->y, loss);
}

/* The share of the training losses, the highest, the y axis need not reach. */
#define TOP_OUTLIERS 0.02

/* The loss the y axis reaches up to: every validation loss, and the training losses but their
 * highest 2 %. A run's first steps start far above where it soon settles (1.05 and then 0.25 for
 * the product photos) and would flatten the rest against the bottom; they go on off the top. Early
 * in a run, with fewer than 50 steps, none is left out. Made again only when points came. */
static double
axis_top (LkLossPlot *self)
{
  guint n = self->train->len, skip = (guint) (n * TOP_OUTLIERS);
  double top = -INFINITY;

  if (self->top_valid)
    return self->top;
  if (skip == 0)
    top = self->max;
  else
    {
      if (self->scratch_size < n)
        {
          self->scratch_size = MAX (n, 2 * self->scratch_size);
          self->scratch = g_renew (double, self->scratch, self->scratch_size);
        }
      for (guint i = 0; i < n; i++)
        self->scratch[i] = g_array_index (self->train, Point, i).loss;
      top = lk_plot_axis_select (self->scratch, n, n - 1 - skip);
      for (guint i = 0; i < self->validation->len; i++)
        top = MAX (top, g_array_index (self->validation, Point, i).loss);
    }
  self->top = top;
  self->top_valid = TRUE;
  return top;
}

/* The y range and ticks for a plot area @height pixels tall: logarithmic when asked for and some
 * loss is above zero. */
static void
compute_y_axis (LkLossPlot *self, Frame *f, double height)
{
  double top = axis_top (self);

  if (f->empty)
    lk_plot_axis_init (&f->y, 0, 1);
  else if (self->log_scale && isfinite (self->min_positive))
    lk_plot_axis_fit_log (&f->y, self->min_positive, MAX (top, self->min_positive), height,
                          f->label_height);
  else
    lk_plot_axis_fit_linear (&f->y, self->min, top, height, f->label_height);
}

static void
compute_frame (LkLossPlot *self, Frame *f)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  g_autoptr (PangoLayout) small = make_layout (self, "0", TRUE);
  g_autoptr (PangoLayout) title = make_layout (self, _ ("Epoch"), FALSE);
  int y_label_width = 0, x_label_width;
  char buf[32];

  memset (f, 0, sizeof *f);
  pango_layout_get_pixel_size (small, NULL, &f->label_height);
  pango_layout_get_pixel_size (title, NULL, &f->title_height);
  f->empty = self->train->len == 0 && self->validation->len == 0;

  /* legend above; tick labels and the axis title below */
  double top = PAD + f->label_height + 10;
  double bottom = TICK_LENGTH + LABEL_GAP + f->label_height + 4 + f->title_height + PAD;
  double plot_height = MAX (height - top - bottom, 1);

  compute_y_axis (self, f, plot_height);
  for (guint i = 0; i < f->y.n_ticks; i++)
    y_label_width = MAX (y_label_width, text_width (self, f->y.ticks[i].label, TRUE));

  lk_plot_axis_init (&f->x, 0, MAX (MAX (self->epochs, ceil (self->max_epoch - 1e-9)), 1));
  g_snprintf (buf, sizeof buf, "%d", (int) f->x.hi);
  x_label_width = text_width (self, buf, TRUE);

  double left = PAD + f->title_height + 8 + y_label_width + LABEL_GAP + TICK_LENGTH;
  double right = MAX (PAD + 6, x_label_width / 2.0 + PAD);
  double plot_width = MAX (width - left - right, 1);
  f->area = GRAPHENE_RECT_INIT (left, top, plot_width, plot_height);
  /* from the area's (float) coordinates, which everything else is drawn against */
  lk_plot_axis_place (&f->x, f->area.origin.x, f->area.size.width, FALSE, FALSE);
  lk_plot_axis_place (&f->y, f->area.origin.y, f->area.size.height, TRUE, TRUE);

  /* integer epochs, 1, 2, 5, 10… apart so that the labels keep clear of each other */
  f->x_step = lk_plot_axis_integer_step (plot_width / f->x.hi, x_label_width + 16);
}

/* The point nearest to (@x, @y) in x, within REACH; a validation point within reach wins. */
static gboolean
find_point (LkLossPlot *self, const Frame *f, double x, double y, gboolean *validation,
            guint *index)
{
  const graphene_rect_t *a = &f->area;
  double nearest = INFINITY, nearest_dy = INFINITY;

  if (f->empty || x < a->origin.x - REACH || x > a->origin.x + a->size.width + REACH
      || y < a->origin.y - REACH || y > a->origin.y + a->size.height + REACH)
    return FALSE;
  for (guint i = 0; i < self->validation->len; i++)
    {
      double dx = fabs (map_x (f, g_array_index (self->validation, Point, i).epoch) - x);
      if (dx <= REACH && dx < nearest)
        {
          nearest = dx;
          *validation = TRUE;
          *index = i;
        }
    }
  if (isfinite (nearest))
    return TRUE;
  for (guint i = 0; i < self->train->len; i++)
    {
      const Point *p = &g_array_index (self->train, Point, i);
      double dx = fabs (map_x (f, p->epoch) - x);
      if (dx > REACH || dx > nearest + 1e-9)
        continue;
      double dy = fabs (map_y (f, p->loss) - y);
      if (dx < nearest - 1e-9 || dy < nearest_dy)
        {
          nearest = dx;
          nearest_dy = dy;
          *validation = FALSE;
          *index = i;
        }
    }
  return isfinite (nearest);
}

static void
format_epoch (char *buf, gsize size, double epoch)
{
  if (fabs (epoch - round (epoch)) < 1e-9)
    g_snprintf (buf, size, "%.0f", epoch);
  else
    g_snprintf (buf, size, "%.2f", epoch);
}

static char *
describe_point (LkLossPlot *self, gboolean validation, guint index)
{
  const Point *p = &g_array_index (validation ? self->validation : self->train, Point, index);
  char epoch[32], loss[32];

  format_epoch (epoch, sizeof epoch, p->epoch);
  g_snprintf (loss, sizeof loss, "%.4g", p->loss);
  if (!validation)
    /* Translators: a point of the training curve: "Epoch 2.45 · training loss 0.01234" */
    return g_strdup_printf (_ ("Epoch %s · training loss %s"), epoch, loss);
  if (index == self->best)
    /* Translators: the lowest validation loss so far: "Epoch 3 · validation loss 0.01452 (best)" */
    return g_strdup_printf (_ ("Epoch %s · validation loss %s (best)"), epoch, loss);
  /* Translators: a point of the validation curve: "Epoch 3 · validation loss 0.01452" */
  return g_strdup_printf (_ ("Epoch %s · validation loss %s"), epoch, loss);
}

char *
lk_loss_plot_describe_at (LkLossPlot *self, double x, double y)
{
  Frame f;
  gboolean validation = FALSE;
  guint index = 0;

  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), NULL);

  compute_frame (self, &f);
  if (!find_point (self, &f, x, y, &validation, &index))
    return NULL;
  return describe_point (self, validation, index);
}

/* ---------------------------------------------------------------------------------------------- */
/* Drawing                                                                                         */
/* ---------------------------------------------------------------------------------------------- */

typedef struct
{
  GdkRGBA fg, bg, train, validation, best;
  gboolean high_contrast;
  double train_width, validation_width, marker_radius;
} Style;

static void
lookup_color (GtkStyleContext *context, const char *name, const char *fallback, GdkRGBA *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (context, name, color))
    gdk_rgba_parse (color, fallback);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
get_style (LkLossPlot *self, Style *s)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self));
  gboolean dark = adw_style_manager_get_dark (self->style_manager);

  gtk_style_context_get_color (context, &s->fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  s->high_contrast = adw_style_manager_get_high_contrast (self->style_manager);
  lookup_color (context, "window_bg_color", dark ? "#242424" : "#fafafa", &s->bg);
  lookup_color (context, "accent_color", dark ? "#78aeed" : "#1c71d8", &s->train);
  /* libadwaita's orange_2 and orange_5: a hue apart from the blue accent, legible on both */
  gdk_rgba_parse (&s->validation, dark ? "#ffa348" : "#c64600");
  lookup_color (context, "success_color", dark ? "#8ff0a4" : "#1b8553", &s->best);
  s->train_width = s->high_contrast ? 2.5 : 1.5;
  s->validation_width = s->high_contrast ? 3 : 2;
  s->marker_radius = s->high_contrast ? 4.5 : 3.5;
}

static void
set_source (cairo_t *cr, const GdkRGBA *color, double alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static GdkRGBA
with_alpha (const GdkRGBA *color, double alpha)
{
  return (GdkRGBA){ color->red, color->green, color->blue, color->alpha * alpha };
}

/* Half-pixel aligned, for crisp one-pixel lines. */
static double
crisp (double v)
{
  return floor (v) + 0.5;
}

static void
draw_grid (cairo_t *cr, const Frame *f, const Style *s)
{
  const graphene_rect_t *a = &f->area;
  double x0 = crisp (a->origin.x), y1 = crisp (a->origin.y + a->size.height);

  cairo_set_line_width (cr, 1);
  set_source (cr, &s->fg, s->high_contrast ? 0.3 : 0.1);
  for (guint i = 0; i < f->y.n_ticks; i++)
    {
      double y = crisp (map_y (f, f->y.ticks[i].value));
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, a->origin.x + a->size.width, y);
    }
  for (int e = f->x_step; e <= f->x.hi; e += f->x_step)
    {
      double x = crisp (map_x (f, e));
      cairo_move_to (cr, x, a->origin.y);
      cairo_line_to (cr, x, y1);
    }
  cairo_stroke (cr);

  /* the axes and their tick marks */
  set_source (cr, &s->fg, s->high_contrast ? 1 : 0.5);
  cairo_move_to (cr, x0, a->origin.y);
  cairo_line_to (cr, x0, y1);
  cairo_line_to (cr, a->origin.x + a->size.width, y1);
  for (guint i = 0; i < f->y.n_ticks; i++)
    {
      double y = crisp (map_y (f, f->y.ticks[i].value));
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, x0 - TICK_LENGTH, y);
    }
  for (int e = 0; e <= f->x.hi; e += f->x_step)
    {
      double x = crisp (map_x (f, e));
      cairo_move_to (cr, x, y1);
      cairo_line_to (cr, x, y1 + TICK_LENGTH);
    }
  cairo_stroke (cr);
}

static void
draw_train (LkLossPlot *self, cairo_t *cr, const Frame *f, const Style *s)
{
  GArray *points = self->train;
  guint n_columns = lk_plot_axis_n_columns (&f->x);

  if (points->len == 0)
    return;
  cairo_set_line_width (cr, s->train_width);
  set_source (cr, &s->train, 1);
  if (points->len <= n_columns)
    {
      for (guint i = 0; i < points->len; i++)
        {
          const Point *p = &g_array_index (points, Point, i);
          cairo_line_to (cr, map_x (f, p->epoch), map_y (f, p->loss));
        }
      if (points->len == 1)
        {
          double x, y;
          cairo_get_current_point (cr, &x, &y);
          cairo_new_path (cr);
          cairo_arc (cr, x, y, s->marker_radius - 1, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      cairo_stroke (cr);
      return;
    }

  /* more steps than pixels: a band from each column's lowest to highest, a line through means */
  g_autofree LkPlotAxisColumn *columns = g_new (LkPlotAxisColumn, n_columns);
  lk_plot_axis_decimate (columns, (const double *) points->data, &f->x, n_columns, points->len);
  for (guint c = 0; c < n_columns; c++)
    if (columns[c].n)
      cairo_line_to (cr, lk_plot_axis_column_pixel (&f->x, c), map_y (f, columns[c].max));
  for (guint c = n_columns; c-- > 0;)
    if (columns[c].n)
      cairo_line_to (cr, lk_plot_axis_column_pixel (&f->x, c), map_y (f, columns[c].min));
  cairo_close_path (cr);
  set_source (cr, &s->train, s->high_contrast ? 0.4 : 0.25);
  cairo_fill (cr);
  for (guint c = 0; c < n_columns; c++)
    if (columns[c].n)
      cairo_line_to (cr, lk_plot_axis_column_pixel (&f->x, c),
                     map_y (f, columns[c].sum / columns[c].n));
  set_source (cr, &s->train, 1);
  cairo_stroke (cr);
}

static void
draw_marker (cairo_t *cr, double x, double y, double radius, const GdkRGBA *color, const Style *s)
{
  cairo_new_path (cr);
  cairo_arc (cr, x, y, radius + 1.5, 0, 2 * G_PI);
  set_source (cr, &s->bg, 1);
  cairo_fill (cr);
  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  set_source (cr, color, 1);
  cairo_fill (cr);
}

static void
draw_ring (cairo_t *cr, double x, double y, double radius, const Style *s)
{
  cairo_new_path (cr);
  cairo_set_line_width (cr, s->high_contrast ? 3 : 2);
  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  set_source (cr, &s->best, 1);
  cairo_stroke (cr);
}

static double
best_ring_radius (const Style *s)
{
  return s->marker_radius + 4;
}

static void
draw_validation (LkLossPlot *self, cairo_t *cr, const Frame *f, const Style *s)
{
  GArray *points = self->validation;

  cairo_set_line_width (cr, s->validation_width);
  set_source (cr, &s->validation, 1);
  for (guint i = 0; i < points->len; i++)
    {
      const Point *p = &g_array_index (points, Point, i);
      cairo_line_to (cr, map_x (f, p->epoch), map_y (f, p->loss));
    }
  cairo_stroke (cr);
  /* a marker an epoch while they stand apart; packed closer than three of their widths, they
   * would be a bead chain hiding the line: then the best one only */
  if (points->len < 2 || fabs (map_x (f, 1.0) - map_x (f, 0.0)) >= 6 * s->marker_radius)
    for (guint i = 0; i < points->len; i++)
      {
        const Point *p = &g_array_index (points, Point, i);
        draw_marker (cr, map_x (f, p->epoch), map_y (f, p->loss), s->marker_radius, &s->validation,
                     s);
      }
  else if (self->best != G_MAXUINT)
    {
      const Point *p = &g_array_index (points, Point, self->best);
      draw_marker (cr, map_x (f, p->epoch), map_y (f, p->loss), s->marker_radius, &s->validation,
                   s);
    }
  if (self->best != G_MAXUINT)
    {
      const Point *p = &g_array_index (points, Point, self->best);
      draw_ring (cr, map_x (f, p->epoch), map_y (f, p->loss), best_ring_radius (s), s);
    }
}

static void
draw_hover (LkLossPlot *self, cairo_t *cr, const Frame *f, const Style *s)
{
  gboolean validation = FALSE;
  guint index = 0;

  if (!self->hovering || !find_point (self, f, self->hover_x, self->hover_y, &validation, &index))
    return;
  const Point *p = &g_array_index (validation ? self->validation : self->train, Point, index);
  double x = map_x (f, p->epoch), y = map_y (f, p->loss);

  cairo_new_path (cr);
  cairo_set_line_width (cr, 1);
  set_source (cr, &s->fg, s->high_contrast ? 0.7 : 0.35);
  cairo_move_to (cr, crisp (x), f->area.origin.y);
  cairo_line_to (cr, crisp (x), f->area.origin.y + f->area.size.height);
  cairo_stroke (cr);
  draw_marker (cr, x, y, s->marker_radius + 1.5, validation ? &s->validation : &s->train, s);
}

static void
append_text (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (round (x), round (y)));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
draw_labels (LkLossPlot *self, GtkSnapshot *snapshot, const Frame *f, const Style *s)
{
  const graphene_rect_t *a = &f->area;
  GdkRGBA tick_color = with_alpha (&s->fg, s->high_contrast ? 1 : 0.7);
  GdkRGBA title_color = with_alpha (&s->fg, s->high_contrast ? 1 : 0.85);
  int w, h;
  char buf[32];

  for (guint i = 0; i < f->y.n_ticks; i++)
    {
      g_autoptr (PangoLayout) layout = make_layout (self, f->y.ticks[i].label, TRUE);
      pango_layout_get_pixel_size (layout, &w, &h);
      append_text (snapshot, layout, a->origin.x - TICK_LENGTH - LABEL_GAP - w,
                   map_y (f, f->y.ticks[i].value) - h / 2.0, &tick_color);
    }
  for (int e = 0; e <= f->x.hi; e += f->x_step)
    {
      g_snprintf (buf, sizeof buf, "%d", e);
      g_autoptr (PangoLayout) layout = make_layout (self, buf, TRUE);
      pango_layout_get_pixel_size (layout, &w, &h);
      append_text (snapshot, layout, map_x (f, e) - w / 2.0,
                   a->origin.y + a->size.height + TICK_LENGTH + LABEL_GAP, &tick_color);
    }

  g_autoptr (PangoLayout) epoch = make_layout (self, _ ("Epoch"), FALSE);
  pango_layout_get_pixel_size (epoch, &w, &h);
  append_text (snapshot, epoch, a->origin.x + (a->size.width - w) / 2,
               gtk_widget_get_height (GTK_WIDGET (self)) - PAD - h, &title_color);

  g_autoptr (PangoLayout) loss = make_layout (self, _ ("Loss"), FALSE);
  pango_layout_get_pixel_size (loss, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (
    snapshot, &GRAPHENE_POINT_INIT (PAD, round (a->origin.y + (a->size.height + w) / 2)));
  gtk_snapshot_rotate (snapshot, -90);
  gtk_snapshot_append_layout (snapshot, loss, &title_color);
  gtk_snapshot_restore (snapshot);

  if (f->empty)
    {
      g_autoptr (PangoLayout) waiting =
        make_layout (self, _ ("Waiting for the first step…"), FALSE);
      GdkRGBA dim = with_alpha (&s->fg, s->high_contrast ? 1 : 0.55);
      pango_layout_get_pixel_size (waiting, &w, &h);
      append_text (snapshot, waiting, a->origin.x + (a->size.width - w) / 2,
                   a->origin.y + (a->size.height - h) / 2, &dim);
    }

  if (self->best != G_MAXUINT)
    {
      const Point *p = &g_array_index (self->validation, Point, self->best);
      double x = map_x (f, p->epoch), y = map_y (f, p->loss), r = best_ring_radius (s) + 2;
      /* Translators: the label beside the lowest validation loss on the plot */
      g_autoptr (PangoLayout) layout = make_layout (self, _ ("best"), TRUE);
      pango_layout_get_pixel_size (layout, &w, &h);
      /* above the ring (training loss runs below validation loss), unless that leaves the plot */
      double ly = y - r - h > a->origin.y ? y - r - h : y + r;
      double lx = CLAMP (x - w / 2.0, a->origin.x + 2, a->origin.x + a->size.width - w);
      append_text (snapshot, layout, lx, ly, &s->best);
    }
}

/* Swatches and names above the plot area, at its right. */
static void
draw_legend (LkLossPlot *self, GtkSnapshot *snapshot, cairo_t *cr, const Frame *f, const Style *s)
{
  const char *names[] = { _ ("Training"), _ ("Validation"), _ ("Best validation") };
  PangoLayout *layouts[G_N_ELEMENTS (names)];
  const double swatch = 18, gap = 5, spacing = 16;
  double total = 0, x, cy = PAD + f->label_height / 2.0;
  int w;

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      layouts[i] = make_layout (self, names[i], TRUE);
      pango_layout_get_pixel_size (layouts[i], &w, NULL);
      total += swatch + gap + w + (i ? spacing : 0);
    }
  x = MAX (PAD, f->area.origin.x + f->area.size.width - total);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      cairo_new_path (cr);
      if (i < 2)
        {
          cairo_set_line_width (cr, i == 0 ? s->train_width : s->validation_width);
          set_source (cr, i == 0 ? &s->train : &s->validation, 1);
          cairo_move_to (cr, x, cy);
          cairo_line_to (cr, x + swatch, cy);
          cairo_stroke (cr);
          if (i == 1)
            draw_marker (cr, x + swatch / 2, cy, s->marker_radius, &s->validation, s);
        }
      else
        {
          draw_marker (cr, x + swatch / 2, cy, s->marker_radius, &s->validation, s);
          draw_ring (cr, x + swatch / 2, cy, best_ring_radius (s) - 1.5, s);
        }
      x += swatch + gap;
      append_text (snapshot, layouts[i], x, PAD, &s->fg);
      pango_layout_get_pixel_size (layouts[i], &w, NULL);
      x += w + spacing;
      g_object_unref (layouts[i]);
    }
}

static void
lk_loss_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  LkLossPlot *self = LK_LOSS_PLOT (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  Frame f;
  Style s;
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;
  compute_frame (self, &f);
  get_style (self, &s);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  draw_grid (cr, &f, &s);
  cairo_save (cr);
  /* the markers at the plot's edges may stick out a little; nothing else does */
  cairo_rectangle (cr, f.area.origin.x - REACH, f.area.origin.y - REACH,
                   f.area.size.width + 2 * REACH, f.area.size.height + 2 * REACH);
  cairo_clip (cr);
  draw_train (self, cr, &f, &s);
  draw_validation (self, cr, &f, &s);
  draw_hover (self, cr, &f, &s);
  cairo_restore (cr);
  draw_legend (self, snapshot, cr, &f, &s);
  cairo_destroy (cr);

  draw_labels (self, snapshot, &f, &s);
}

static void
lk_loss_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                      int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 320;
      *natural = 480;
    }
  else
    {
      *minimum = 160;
      *natural = 240;
    }
}

static gboolean
lk_loss_plot_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  g_autofree char *text = NULL;

  if (keyboard)
    return FALSE;
  text = lk_loss_plot_describe_at (LK_LOSS_PLOT (widget), x, y);
  if (!text)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* ---------------------------------------------------------------------------------------------- */
/* Data                                                                                            */
/* ---------------------------------------------------------------------------------------------- */

/* What a screen reader says: the latest training loss and the best validation loss. */
static void
update_accessible_label (LkLossPlot *self)
{
  g_autofree char *label = NULL;
  g_autofree char *train = NULL;
  char epoch[32], loss[32];

  if (self->train->len)
    {
      const Point *p = &g_array_index (self->train, Point, self->train->len - 1);
      format_epoch (epoch, sizeof epoch, p->epoch);
      g_snprintf (loss, sizeof loss, "%.4g", p->loss);
      /* Translators: part of the loss plot's spoken summary: "training loss 0.0123 at epoch 2.5" */
      train = g_strdup_printf (_ ("training loss %s at epoch %s"), loss, epoch);
    }
  if (self->best != G_MAXUINT)
    {
      const Point *p = &g_array_index (self->validation, Point, self->best);
      format_epoch (epoch, sizeof epoch, p->epoch);
      g_snprintf (loss, sizeof loss, "%.4g", p->loss);
      if (train)
        /* Translators: the loss plot's spoken summary: "Loss curves: training loss 0.0123 at
         * epoch 2.5, best validation loss 0.0145 at epoch 2" */
        label = g_strdup_printf (_ ("Loss curves: %s, best validation loss %s at epoch %s"), train,
                                 loss, epoch);
      else
        label =
          g_strdup_printf (_ ("Loss curves: best validation loss %s at epoch %s"), loss, epoch);
    }
  else if (train)
    /* Translators: the loss plot's spoken summary: "Loss curves: training loss 0.0123 at epoch 2.5" */
    label = g_strdup_printf (_ ("Loss curves: %s"), train);
  else
    label = g_strdup (_ ("Loss curves: no training steps yet"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
add_point (LkLossPlot *self, GArray *points, double epoch, double loss)
{
  Point p = { epoch, loss };
  gboolean first = self->train->len == 0 && self->validation->len == 0;

  g_array_append_val (points, p);
  self->min = first ? loss : MIN (self->min, loss);
  self->max = first ? loss : MAX (self->max, loss);
  if (loss > 0)
    self->min_positive = MIN (self->min_positive, loss);
  self->max_epoch = MAX (self->max_epoch, epoch);
  self->top_valid = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
lk_loss_plot_add_train (LkLossPlot *self, double epoch, double loss)
{
  g_return_if_fail (LK_IS_LOSS_PLOT (self));

  if (!isfinite (epoch) || !isfinite (loss))
    return;
  add_point (self, self->train, epoch, loss);
  if (self->train->len == 1)
    update_accessible_label (self);
}

void
lk_loss_plot_add_validation (LkLossPlot *self, double epoch, double loss)
{
  g_return_if_fail (LK_IS_LOSS_PLOT (self));

  if (!isfinite (epoch) || !isfinite (loss))
    return;
  add_point (self, self->validation, epoch, loss);
  if (self->best == G_MAXUINT || loss < g_array_index (self->validation, Point, self->best).loss)
    self->best = self->validation->len - 1;
  update_accessible_label (self);
}

void
lk_loss_plot_reset (LkLossPlot *self, int epochs)
{
  g_return_if_fail (LK_IS_LOSS_PLOT (self));

  g_array_set_size (self->train, 0);
  g_array_set_size (self->validation, 0);
  self->epochs = MAX (epochs, 0);
  self->best = G_MAXUINT;
  self->min = self->max = 0;
  self->min_positive = INFINITY;
  self->max_epoch = 0;
  self->top_valid = FALSE;
  update_accessible_label (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
lk_loss_plot_get_n_points (LkLossPlot *self)
{
  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), 0);

  return self->train->len + self->validation->len;
}

guint
lk_loss_plot_get_n_train_points (LkLossPlot *self)
{
  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), 0);

  return self->train->len;
}

guint
lk_loss_plot_get_n_validation_points (LkLossPlot *self)
{
  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), 0);

  return self->validation->len;
}

gboolean
lk_loss_plot_get_best (LkLossPlot *self, double *epoch, double *loss)
{
  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), FALSE);

  if (self->best == G_MAXUINT)
    return FALSE;
  const Point *p = &g_array_index (self->validation, Point, self->best);
  if (epoch)
    *epoch = p->epoch;
  if (loss)
    *loss = p->loss;
  return TRUE;
}

void
lk_loss_plot_set_log_scale (LkLossPlot *self, gboolean log_scale)
{
  g_return_if_fail (LK_IS_LOSS_PLOT (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;
  self->log_scale = log_scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

gboolean
lk_loss_plot_get_log_scale (LkLossPlot *self)
{
  g_return_val_if_fail (LK_IS_LOSS_PLOT (self), FALSE);

  return self->log_scale;
}

/* ---------------------------------------------------------------------------------------------- */
/* Object                                                                                          */
/* ---------------------------------------------------------------------------------------------- */

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, gpointer data)
{
  LkLossPlot *self = LK_LOSS_PLOT (data);

  self->hovering = TRUE;
  self->hover_x = x;
  self->hover_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
leave_cb (GtkEventControllerMotion *controller, gpointer data)
{
  LkLossPlot *self = LK_LOSS_PLOT (data);

  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
style_changed_cb (AdwStyleManager *manager, GParamSpec *pspec, gpointer data)
{
  gtk_widget_queue_draw (GTK_WIDGET (data));
}

GtkWidget *
lk_loss_plot_new (void)
{
  return g_object_new (LK_TYPE_LOSS_PLOT, NULL);
}

static void
lk_loss_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LkLossPlot *self = LK_LOSS_PLOT (object);

  switch (prop_id)
    {
    case PROP_LOG_SCALE:
      g_value_set_boolean (value, self->log_scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_loss_plot_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LkLossPlot *self = LK_LOSS_PLOT (object);

  switch (prop_id)
    {
    case PROP_LOG_SCALE:
      lk_loss_plot_set_log_scale (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lk_loss_plot_dispose (GObject *object)
{
  LkLossPlot *self = LK_LOSS_PLOT (object);

  g_clear_signal_handler (&self->dark_handler, self->style_manager);
  g_clear_signal_handler (&self->high_contrast_handler, self->style_manager);

  G_OBJECT_CLASS (lk_loss_plot_parent_class)->dispose (object);
}

static void
lk_loss_plot_finalize (GObject *object)
{
  LkLossPlot *self = LK_LOSS_PLOT (object);

  g_array_unref (self->train);
  g_array_unref (self->validation);
  g_free (self->scratch);

  G_OBJECT_CLASS (lk_loss_plot_parent_class)->finalize (object);
}

static void
lk_loss_plot_class_init (LkLossPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = lk_loss_plot_get_property;
  object_class->set_property = lk_loss_plot_set_property;
  object_class->dispose = lk_loss_plot_dispose;
  object_class->finalize = lk_loss_plot_finalize;
  widget_class->snapshot = lk_loss_plot_snapshot;
  widget_class->measure = lk_loss_plot_measure;
  widget_class->query_tooltip = lk_loss_plot_query_tooltip;

  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lk-loss-plot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
lk_loss_plot_init (LkLossPlot *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->train = g_array_new (FALSE, FALSE, sizeof (Point));
  self->validation = g_array_new (FALSE, FALSE, sizeof (Point));
  self->best = G_MAXUINT;
  self->min_positive = INFINITY;

  self->style_manager = adw_style_manager_get_default ();
  self->dark_handler =
    g_signal_connect (self->style_manager, "notify::dark", G_CALLBACK (style_changed_cb), self);
  self->high_contrast_handler = g_signal_connect (self->style_manager, "notify::high-contrast",
                                                  G_CALLBACK (style_changed_cb), self);

  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  update_accessible_label (self);
}
