/* lk-error.c: the engine's error domain.
 *
 * Copyright 2026 The Lookalike authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "lookalike.h"

/* the first argument is a quark name, not an expression */
/* clang-format off */
G_DEFINE_QUARK (lk-error-quark, lk_error)
/* clang-format on */
