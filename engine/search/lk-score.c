/* lk-score.c: how a cosine is shown to people, shared by the CLI and the window.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

#include <math.h>

LkBands
lk_bands_default (void)
{
  return (LkBands){ .green_min = 70, .yellow_min = 40 };
}

int
lk_score_percent (float cosine)
{
  if (!(cosine > 0.0f)) /* also NaN */
    return 0;
  return (int) lroundf (100.0f * MIN (cosine, 1.0f));
}

LkBand
lk_score_band (int percent, const LkBands *bands)
{
  LkBands b = bands ? *bands : lk_bands_default ();

  if (percent >= b.green_min)
    return LK_BAND_GREEN;
  if (percent >= b.yellow_min)
    return LK_BAND_YELLOW;
  return LK_BAND_RED;
}

const char *
lk_band_to_string (LkBand band)
{
  switch (band)
    {
    case LK_BAND_GREEN:
      return "green";
    case LK_BAND_YELLOW:
      return "yellow";
    case LK_BAND_RED:
    default:
      return "red";
    }
}
