#!/bin/sh
# download-weights.sh: install ImageNet weights where Lookalike finds them by default.
#
#   models/download-weights.sh [resnet50|resnet18|squeezenet1_1|all]     (default: resnet50)
#
# Into ${XDG_DATA_HOME:-~/.local/share}/lookalike/models/ (or $LOOKALIKE_MODELS_DIR):
#   resnet50   timm's resnet50.a1_in1k (Apache-2.0), safetensors with torchvision's tensor names,
#              used as is.  ~100 MB.
#   resnet18   timm's resnet18.a1_in1k (Apache-2.0), likewise.  ~47 MB.
#   squeezenet1_1  torchvision's squeezenet1_1 checkpoint (BSD-3-Clause), converted with
#              models/convert-weights.py, which needs python3-torch.  ~5 MB.
# Needs a network connection and curl or wget.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${LOOKALIKE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/lookalike/models}
mkdir -p "$dest"

fetch() { # URL FILE
  if command -v curl >/dev/null; then
    curl -fL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null; then
    wget -O "$2" "$1"
  else
    echo "download-weights: install curl or wget" >&2
    exit 1
  fi
}

get_timm() { # NAME
  out="$dest/$1.a1_in1k.safetensors"
  tmp="$out.part"
  fetch "https://huggingface.co/timm/$1.a1_in1k/resolve/main/model.safetensors" "$tmp"
  mv "$tmp" "$out"
  echo "installed $out (sha256 $(sha256sum "$out" | cut -d' ' -f1))"
}

get_squeezenet() {
  out="$dest/squeezenet1_1-imagenet.safetensors"
  tmp=$(mktemp --suffix=.pth)
  fetch https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth "$tmp"
  # torchvision names its files after the first hex digits of their SHA-256
  case $(sha256sum "$tmp") in
    b8a52dc0*) ;;
    *) echo "download-weights: squeezenet1_1-b8a52dc0.pth has the wrong checksum" >&2
       rm -f "$tmp"; exit 1 ;;
  esac
  /usr/bin/python3 "$here/convert-weights.py" "$tmp" "$out" --arch squeezenet1_1
  rm -f "$tmp"
}

case ${1:-resnet50} in
  resnet50|resnet18) get_timm "${1:-resnet50}" ;;
  squeezenet1_1) get_squeezenet ;;
  all) get_timm resnet50; get_timm resnet18; get_squeezenet ;;
  *) echo "usage: $0 [resnet50|resnet18|squeezenet1_1|all]" >&2; exit 2 ;;
esac
