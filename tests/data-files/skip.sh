#!/bin/sh
# skip.sh REASON: a test whose tool is missing; says why and exits 77, which meson counts as SKIP.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
echo "SKIP: $*"
exit 77
