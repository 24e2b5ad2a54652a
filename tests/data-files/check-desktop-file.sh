#!/bin/sh
# check-desktop-file.sh DESKTOP_FILE_VALIDATE FILE: the launcher passes desktop-file-validate with no
# error, warning or hint. The tool exits 0 on warnings and hints, so anything it prints fails the test.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
status=0
out=$("$1" "$2" 2>&1) || status=$?
if [ $status != 0 ] || [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "FAIL: $(basename "$1") found problems in $2 (exit status $status)"
    exit 1
fi
echo "$2: valid, no warnings or hints"
