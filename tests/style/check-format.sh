#!/bin/sh
# check-format.sh SOURCE_ROOT: every C file of ours is formatted as .clang-format says.
# Exits 77 (skip) when clang-format is not installed.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 77; }
files=$(find engine app data tests -name '*.[ch]' -not -path '*/corpus/*' | sort)
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "$(echo "$files" | wc -l) files formatted as .clang-format says"
