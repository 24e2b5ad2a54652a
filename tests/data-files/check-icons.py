#!/usr/bin/env python3
# check-icons.py APP_ICON SYMBOLIC_ICON: both icons are self-contained SVG on the canvas the icon
# theme expects (128 and 16 px); the symbolic one is drawn in fills of #2e3436 only, the colour GTK
# replaces with the theme's foreground (strokes and other colours would not follow the theme).
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
FORBIDDEN = {"text", "image", "script", "foreignObject", "use", "style"}
problems = []


def local(tag):
    return tag.rsplit("}", 1)[-1]


def paint_values(el):
    """(property, value) pairs of fill and stroke, from attributes and the style attribute."""
    for prop in ("fill", "stroke"):
        if prop in el.attrib:
            yield prop, el.attrib[prop].strip().lower()
    for decl in el.attrib.get("style", "").split(";"):
        if ":" in decl:
            prop, value = (s.strip().lower() for s in decl.split(":", 1))
            if prop in ("fill", "stroke"):
                yield prop, value


def check(path, size, symbolic):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        problems.append(f"{path}: not readable SVG: {e}")
        return
    if root.tag != SVG + "svg":
        problems.append(f"{path}: root element is {root.tag}, not svg")
    for attr, want in (("width", str(size)), ("height", str(size)), ("viewBox", f"0 0 {size} {size}")):
        if root.get(attr) != want:
            problems.append(f'{path}: {attr}="{root.get(attr)}", expected "{want}"')
    for el in root.iter():
        name = local(el.tag)
        if name in FORBIDDEN:
            problems.append(f"{path}: <{name}> (text, raster images, scripts and references are not allowed)")
        for attr, value in el.attrib.items():
            if local(attr) == "href" and not value.startswith("#"):
                problems.append(f"{path}: external reference {value}")
            if re.search(r"url\(\s*['\"]?[^#'\"\s]", value):
                problems.append(f"{path}: external reference in {local(attr)}: {value}")
        if symbolic:
            for prop, value in paint_values(el):
                if prop == "stroke" and value != "none":
                    problems.append(f"{path}: <{name}> has a stroke; symbolic icons use fills only")
                if prop == "fill" and value not in ("#2e3436", "none"):
                    problems.append(f"{path}: <{name}> fill {value}; symbolic icons use #2e3436 only")
            if name in ("path", "rect", "circle", "ellipse", "polygon") and not dict(paint_values(el)).get("fill"):
                problems.append(f"{path}: <{name}> without an explicit fill")


if len(sys.argv) != 3:
    sys.exit("usage: check-icons.py APP_ICON SYMBOLIC_ICON")
check(sys.argv[1], 128, symbolic=False)
check(sys.argv[2], 16, symbolic=True)
for p in problems:
    print("FAIL:", p)
if not problems:
    print("both icons are self-contained SVG of the right size; the symbolic one is #2e3436 fills")
sys.exit(1 if problems else 0)
