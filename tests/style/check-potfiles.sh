#!/bin/sh
# check-potfiles.sh SOURCE_ROOT: po/POTFILES.in lists, sorted, every source file with translatable
# strings, and nothing that does not exist.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
cd "$1"
listed=$(grep -v '^#' po/POTFILES.in | grep -v '^$' || true)
status=0
if [ "$listed" != "$(printf '%s\n' "$listed" | LC_ALL=C sort)" ]; then
  echo "po/POTFILES.in is not sorted"
  status=1
fi
for f in $listed; do
  [ -f "$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; status=1; }
done
for f in $(grep -rlE '\<N?_ ?\(' --include='*.c' --include='*.ui' app engine 2>/dev/null | sort); do
  printf '%s\n' "$listed" | grep -qx "$f" || { echo "$f has translatable strings but is not in po/POTFILES.in"; status=1; }
done
[ $status = 0 ] && echo "po/POTFILES.in covers every file with translatable strings"
exit $status
