#!/bin/sh
# bench-app.sh [BUILDDIR]: the window's figures on the development data (../shared), under Xvfb.
#   start-up to the first frame, the longest main-loop stall while indexing the 1,617 product
#   photos, and drop-to-results for a 224-pixel product photo and a 20-megapixel shoe photo
#   (median of 7 drops); the stall while the Conv Autoencoder is built (Build It), then while it is
#   retrained from the Retrain dialog for 20 epochs (bench-app's last two arguments). Then
#   scrolling through 10,000 results of an 11,319-photo catalog. Each twice: with the renderer
#   the application chooses (on Xvfb, where OpenGL is Mesa's llvmpipe drawing every frame in full
#   on the CPU, it chooses cairo, which redraws only what changed) and with GTK's OpenGL renderer
#   forced, so that the renderer's share of every figure shows.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/_build}
shared=$root/../shared
[ -d "$shared/data/products" ] || { echo "bench-app: $shared is absent"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# queries from outside the catalog, so that they are decoded and embedded, not looked up
cp "$shared/data/products/Casual Shoes/$(ls "$shared/data/products/Casual Shoes" | head -n 1)" "$tmp/product-224.jpg"
cp "$shared/data/shoes/sneakers_12.jpg" "$tmp/shoe-20mp.jpg"   # 5472 × 3648
for renderer in chosen gl; do
  if [ $renderer = chosen ]; then unset GSK_RENDERER; else export GSK_RENDERER=$renderer; fi
  GSETTINGS_SCHEMA_DIR=$build/data GSETTINGS_BACKEND=memory GTK_A11Y=none NO_AT_BRIDGE=1 \
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    "$build/tests/bench/bench-app" "$shared/models/squeezenet1_1-imagenet.safetensors" \
    "$shared/data/products" "$tmp/product-224.jpg" "$tmp/shoe-20mp.jpg" 7 20 2>/dev/null
  echo
done

# scrolling 10,000 results: a catalog of seven links to each product photo (11,319 items)
mkdir "$tmp/large"
for copy in 1 2 3 4 5 6 7; do
  mkdir "$tmp/large/$copy"
  find "$shared/data/products" -name '*.jpg' | while read -r f; do
    ln -s "$f" "$tmp/large/$copy/$(basename "$(dirname "$f")" | tr ' ' _)-$(basename "$f")"
  done
done
for renderer in chosen gl; do
  if [ $renderer = chosen ]; then unset GSK_RENDERER; else export GSK_RENDERER=$renderer; fi
  GSETTINGS_SCHEMA_DIR=$build/data GSETTINGS_BACKEND=memory GTK_A11Y=none NO_AT_BRIDGE=1 \
    xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    "$build/tests/bench/bench-app" --scroll "$shared/models/squeezenet1_1-imagenet.safetensors" \
    "$tmp/large" "$tmp/product-224.jpg" 2>/dev/null
  echo
done
