#!/bin/sh
# check-translations.sh SOURCE_ROOT BUILD_ROOT: every language in po/LINGUAS translates every
# message of the current sources, with nothing fuzzy, and msgfmt --check accepts it.
#
# The template is extracted afresh, the way `meson compile lookalike-pot` does it (i18n.gettext
# with preset: 'glib'), and each .po file is merged against it the way `lookalike-update-po`
# does; both go to a temporary directory under BUILD_ROOT, so the source tree is never touched.
# A string added to a source file without a translation therefore fails this test.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_ROOT BUILD_ROOT" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)

for tool in xgettext msgmerge msgattrib msgfmt; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool (GNU gettext tools) is not installed"
    exit 77
  fi
done

langs=$(sed -e 's/#.*//' "$src/po/LINGUAS" | tr -s ' \t' '\n' | grep -v '^$' || true)
if [ -z "$langs" ]; then
  echo "SKIP: po/LINGUAS lists no languages"
  exit 77
fi

tmp=$(mktemp -d "$build/check-translations.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The same arguments as mesonbuild/modules/i18n.py (PRESET_ARGS['glib']) and
# mesonbuild/scripts/gettext.py (run_potgen) pass to xgettext.
pot="$tmp/lookalike.pot"
(cd "$src" && xgettext --package-name=lookalike -f po/POTFILES.in -D "$src" -k_ -o "$pot" \
  --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format --flag=g_print:1:c-format \
  --flag=g_printerr:1:c-format --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format \
  --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format) || {
  echo "FAIL: xgettext could not extract the template from po/POTFILES.in"
  exit 1
}
total=$(msgattrib --no-obsolete "$pot" | grep -c '^msgid ' || true)
total=$((total - 1)) # the header

# the entries of a PO file on stdin, without its header (the entry whose msgid is empty)
entries() {
  awk 'BEGIN { RS = ""; ORS = "\n\n" } !/(^|\n)msgid ""\nmsgstr/'
}

status=0
for lang in $langs; do
  po="$src/po/$lang.po"
  if [ ! -f "$po" ]; then
    echo "FAIL: po/LINGUAS lists $lang, but po/$lang.po does not exist"
    status=1
    continue
  fi
  if ! msgfmt --check -o /dev/null "$po" 2>"$tmp/$lang.msgfmt"; then
    echo "FAIL: msgfmt --check rejects po/$lang.po:"
    cat "$tmp/$lang.msgfmt"
    status=1
    continue
  fi
  merged="$tmp/$lang.po"
  msgmerge --quiet -o "$merged" "$po" "$pot"
  if ! msgfmt --check -o /dev/null "$merged" 2>"$tmp/$lang.msgfmt"; then
    echo "FAIL: msgfmt --check rejects po/$lang.po merged with the current sources:"
    cat "$tmp/$lang.msgfmt"
    status=1
  fi
  # gettext counts a plural message as translated when its first form is: require every form
  untranslated=$(
    msgattrib --untranslated --no-obsolete "$merged" | entries
    msgattrib --translated --no-fuzzy --no-obsolete "$merged" | entries \
      | awk 'BEGIN { RS = ""; ORS = "\n\n" } /\nmsgstr\[[0-9]+\] ""(\n[^"]|$)/'
  )
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$merged" | entries)
  if [ -n "$untranslated" ]; then
    echo "FAIL: po/$lang.po does not translate these messages:"
    printf '%s\n\n' "$untranslated"
    status=1
  fi
  if [ -n "$fuzzy" ]; then
    echo "FAIL: po/$lang.po has fuzzy translations of these messages (check them, then remove the fuzzy flag):"
    printf '%s\n\n' "$fuzzy"
    status=1
  fi
  if [ -z "$untranslated" ] && [ -z "$fuzzy" ]; then
    echo "po/$lang.po: all $total messages translated"
  else
    echo "(meson compile -C BUILD_ROOT lookalike-update-po merges the new messages into po/$lang.po)"
  fi
done
exit $status
