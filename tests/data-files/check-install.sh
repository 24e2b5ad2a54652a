#!/bin/sh
# check-install.sh BUILD_DIR DATADIR APP_ID: `meson install --destdir` puts the desktop file, the
# metainfo, the schema and both icons where desktops look for them, and they name one another
# consistently (Icon= is the installed icon, the launchable is the installed desktop file).
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
build=$1 datadir=$2 id=$3
dest=$(mktemp -d "${TMPDIR:-/tmp}/lookalike-install.XXXXXX") || exit 1
trap 'rm -rf "$dest"' EXIT

if ! meson install -C "$build" --destdir "$dest" --no-rebuild >"$dest/install.log" 2>&1; then
    cat "$dest/install.log"
    echo "FAIL: meson install --destdir failed"
    exit 1
fi

status=0
root=$dest$datadir
desktop=$root/applications/$id.desktop
metainfo=$root/metainfo/$id.metainfo.xml
for f in \
    "$desktop" \
    "$metainfo" \
    "$root/glib-2.0/schemas/$id.gschema.xml" \
    "$root/icons/hicolor/scalable/apps/$id.svg" \
    "$root/icons/hicolor/symbolic/apps/$id-symbolic.svg"; do
    if [ -s "$f" ]; then
        echo "installed: ${f#"$dest"}"
    else
        echo "FAIL: missing or empty: ${f#"$dest"}"
        status=1
    fi
done
[ $status = 0 ] || exit 1

icon=$(sed -n 's/^Icon=//p' "$desktop")
[ "$icon" = "$id" ] || { echo "FAIL: Icon=$icon in the desktop file, expected $id"; status=1; }
exec_cmd=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
if [ -z "$exec_cmd" ]; then
    echo "FAIL: the desktop file has no Exec command"
    status=1
elif ! grep -q "<binary>$exec_cmd</binary>" "$metainfo"; then
    echo "FAIL: the desktop file runs '$exec_cmd', which the metainfo does not provide"
    status=1
fi
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$metainfo" \
    || { echo "FAIL: the metainfo's launchable is not $id.desktop"; status=1; }
grep -q "<id>$id</id>" "$metainfo" || { echo "FAIL: the metainfo's id is not $id"; status=1; }
[ $status = 0 ] && echo "desktop file, metainfo, schema and icons installed and consistent"
exit $status
