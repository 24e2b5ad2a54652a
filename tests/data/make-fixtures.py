#!/usr/bin/python3
# make-fixtures.py: writes the image fixtures of tests/engine/test-decode.c to tests/data/images/.
#
# Copyright 2026 The Lookalike authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Run it with Debian's interpreter, which has PIL (python3-pil):
#
#     /usr/bin/python3 tests/data/make-fixtures.py
#
# The output is deterministic for a given PIL/libjpeg/zlib (no timestamps, fixed random seed); the
# files are committed, so the tests do not need Python. Everything is tiny (a few KB per file),
# but for the "photos" that exercise scaled JPEG decoding, which are large in pixels but flat
# colour shapes (about 20 KB each).
#
# Most images share one pattern: 48×32 pixels, six flat 16×16 blocks in three columns and two
# rows, block i = (y / 16) * 3 + x / 16 coloured COLOURS[i] (or GREYS[i], with ALPHAS[i] where
# there is alpha). The test program repeats these tables. Flat blocks aligned to the JPEG 8×8 grid,
# saved without chroma subsampling, survive JPEG almost exactly, so lossy fixtures can be checked
# with a small tolerance and lossless ones exactly.
#
# Written by hand, because PIL cannot write them: 16-bit colour PNGs (one of them Adam7
# interlaced), a PNG with an eXIf chunk, PSDs (8-bit RLE-compressed, 16-bit raw), the EXIF blocks
# (both byte orders), and the deliberately broken files at the end.

import io
import os
import random
import struct
import sys
import zlib

from PIL import Image, ImageDraw, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")

W, H, BLOCK = 48, 32, 16
COLOURS = [(220, 40, 40), (40, 180, 60), (40, 60, 200),
           (230, 210, 40), (200, 50, 180), (40, 190, 200)]
GREYS = [0, 50, 100, 150, 200, 255]
ALPHAS = [255, 0, 128, 64, 200, 1]
# Black ink of the CMYK fixture, whose other inks are the complements of COLOURS.
BLACK_INK = [0, 40, 80, 120, 160, 200]

# 16-bit fixtures: 3×2 pixels, values chosen so that rounding (v / 257) and truncation (v >> 8)
# disagree, and so that compositing before or after the 8-bit conversion gives different results.
RGB16 = [(0xFF00, 0x00FF, 0x8080), (0x0000, 0xFFFF, 0x7F80), (0x4000, 0xC0C0, 0x1234),
         (0x0101, 0xFEFF, 0x00C0), (0x8000, 0x7FFF, 0xABCD), (0xFFFF, 0x0000, 0x5555)]
ALPHA16 = [0xFFFF, 0x0000, 0x8000, 0x4000, 0xC000, 0x0101]
GREY16 = [0xFF00, 0x00FF, 0x8080, 0x7F80, 0x0101, 0xABCD]


def block(x, y):
    return (y // BLOCK) * 3 + x // BLOCK


def pattern(mode="RGB", colours=COLOURS):
    img = Image.new(mode, (W, H))
    for y in range(H):
        for x in range(W):
            i = block(x, y)
            if mode == "RGB":
                img.putpixel((x, y), colours[i])
            elif mode == "RGBA":
                img.putpixel((x, y), colours[i] + (ALPHAS[i],))
            elif mode == "L":
                img.putpixel((x, y), GREYS[i])
            elif mode == "LA":
                img.putpixel((x, y), (GREYS[i], ALPHAS[i]))
    return img


def palette_pattern(colours=COLOURS):
    img = Image.new("P", (W, H))
    img.putpalette([v for c in colours for v in c])
    for y in range(H):
        for x in range(W):
            img.putpixel((x, y), block(x, y))
    return img


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def save(name, img, **kwargs):
    buf = io.BytesIO()
    img.save(buf, format=kwargs.pop("format"), **kwargs)
    write(name, buf.getvalue())
    return buf.getvalue()


# PNG by hand --------------------------------------------------------------------------------------

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(width, height, rows, colour_type, depth=16, interlace=False, extra_chunks=b""):
    """rows[y][x] is a tuple of samples; filter 0 (none) on every row."""
    def pack(px):
        return b"".join(struct.pack(">H" if depth == 16 else "B", v) for v in px)

    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        for y in range(y0, height, dy):
            xs = range(x0, width, dx)
            if len(xs):
                raw += b"\0" + b"".join(pack(rows[y][x]) for x in xs)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra_chunks +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


# EXIF by hand -------------------------------------------------------------------------------------

def exif_tiff(orientation, big_endian, ifd_offset=8):
    """A TIFF structure with IFD0 = {Make: "Lookalike", Orientation: orientation}."""
    e = ">" if big_endian else "<"
    make = b"Lookalike\0"
    n = 2
    data_offset = 8 + 2 + 12 * n + 4

    def entry(tag, kind, count, value):
        return struct.pack(e + "HHI", tag, kind, count) + value

    ifd = (struct.pack(e + "H", n) +
           entry(0x010F, 2, len(make), struct.pack(e + "I", data_offset)) +
           entry(0x0112, 3, 1, struct.pack(e + "HH", orientation, 0)) +
           struct.pack(e + "I", 0))
    return (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, ifd_offset) + ifd + make


# What ImageOps.exif_transpose () does for each orientation, and so the inverse that stores the
# upright pattern so that it comes out upright again.
TRANSPOSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
INVERSE = {**TRANSPOSE, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def stored_for(orientation, upright):
    method = INVERSE[orientation]
    return upright if method is None else upright.transpose(method)


# A "photo" for scaled decoding: flat shapes on a light ground, edges on and off the 8×8 grid, one
# of them curved, nothing symmetric (so that a wrong orientation shows). Flat colour compresses
# to almost nothing, so 1600×1200 pixels take about 20 KB.
PHOTO_W, PHOTO_H = 1600, 1200
PHOTO_GROUND = (235, 230, 220)
PHOTO_SHAPES = [  # (kind, box, colour)
    ("ellipse", (300, 560, 900, 880), (200, 40, 40)),
    ("rectangle", (1104, 152, 1447, 519), (40, 60, 200)),
    ("rectangle", (248, 120, 531, 327), (40, 180, 60)),
    ("rectangle", (0, 1000, 1599, 1063), (230, 210, 40)),
    ("rectangle", (1200, 704, 1579, 1175), (30, 30, 30)),
]


def photo(scale=1):
    img = Image.new("RGB", (PHOTO_W // scale, PHOTO_H // scale), PHOTO_GROUND)
    draw = ImageDraw.Draw(img)
    for kind, box, colour in PHOTO_SHAPES:
        getattr(draw, kind)(tuple(v // scale for v in box), fill=colour)
    return img


def max_diff(a, b):
    assert a.size == b.size, (a.size, b.size)
    return max(abs(p - q) for pa, pb in zip(a.getdata(), b.getdata()) for p, q in zip(pa, pb))


# PSD by hand --------------------------------------------------------------------------------------

def packbits(row):
    out = b""
    i = 0
    while i < len(row):
        run = 1
        while i + run < len(row) and run < 128 and row[i + run] == row[i]:
            run += 1
        if run >= 2:
            out += struct.pack("bB", 1 - run, row[i])
            i += run
        else:
            j = i
            while j < len(row) and j - i < 128 and (j + 1 >= len(row) or row[j + 1] != row[j]):
                j += 1
            j = max(j, i + 1)
            out += struct.pack("B", j - i - 1) + bytes(row[i:j])
            i = j
    return out


def psd_raw16(width, height, pixels):
    """Uncompressed 16-bit RGB PSD; pixels[i] is an (r, g, b) tuple of 16-bit values."""
    header = (b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 +
              struct.pack(">HIIHH", 3, height, width, 16, 3) + struct.pack(">III", 0, 0, 0))
    planes = b"".join(struct.pack(">H", px[c]) for c in range(3) for px in pixels)
    return header + struct.pack(">H", 0) + planes


def psd_rle(img):
    rgb = img.convert("RGB")
    channels = [[[rgb.getpixel((x, y))[c] for x in range(W)] for y in range(H)] for c in range(3)]
    packed = [[packbits(row) for row in ch] for ch in channels]
    header = (b"8BPS" + struct.pack(">H", 1) + b"\0" * 6 +
              struct.pack(">HIIHH", 3, H, W, 8, 3) +  # channels, height, width, depth, RGB
              struct.pack(">III", 0, 0, 0))  # colour mode data, image resources, layers: empty
    counts = b"".join(struct.pack(">H", len(r)) for ch in packed for r in ch)
    return header + struct.pack(">H", 1) + counts + b"".join(r for ch in packed for r in ch)


def main():
    os.makedirs(OUT, exist_ok=True)
    upright = pattern()

    # JPEG: baseline and progressive, 4:4:4 so that flat colour blocks stay flat.
    baseline = save("baseline.jpg", upright, format="JPEG", quality=95, subsampling=0)
    save("progressive.jpg", upright, format="JPEG", quality=95, subsampling=0, progressive=True)
    assert max_diff(Image.open(io.BytesIO(baseline)).convert("RGB"), upright) <= 4

    # CMYK, stored inverted with an Adobe marker as Photoshop does (and PIL): block i has inks
    # 255 - COLOURS[i] and black BLACK_INK[i], so it decodes to COLOURS[i] × (1 - black / 255).
    cmyk = Image.new("CMYK", (W, H))
    for y in range(H):
        for x in range(W):
            i = block(x, y)
            cmyk.putpixel((x, y), tuple(255 - v for v in COLOURS[i]) + (BLACK_INK[i],))
    save("cmyk.jpg", cmyk, format="JPEG", quality=95)

    # Photos for scaled decoding, 4:2:0 like a camera's: baseline and progressive 1600×1200, and
    # an 800×600 one stored on its side (600×800) with EXIF orientation 6.
    save("photo.jpg", photo(), format="JPEG", quality=75, optimize=True)
    save("photo-progressive.jpg", photo(), format="JPEG", quality=75, progressive=True)
    save("photo-orient-6.jpg", stored_for(6, photo(scale=2)), format="JPEG", quality=75,
         optimize=True, exif=b"Exif\0\0" + exif_tiff(6, big_endian=False))

    # PNG, 8-bit: RGB, grey, palette, palette with a transparent entry, RGBA, grey + alpha.
    save("rgb.png", upright, format="PNG")
    save("grey.png", pattern("L"), format="PNG")
    save("palette.png", palette_pattern(), format="PNG")
    save("palette-trns.png", palette_pattern(), format="PNG", transparency=1)
    save("rgba.png", pattern("RGBA"), format="PNG")
    save("grey-alpha.png", pattern("LA"), format="PNG")

    # PNG, 16-bit (3×2 pixels): RGB, grey, and interlaced RGBA.
    rows = lambda px: [px[0:3], px[3:6]]
    write("rgb16.png", png(3, 2, rows(RGB16), colour_type=2))
    write("grey16.png", png(3, 2, rows([(g,) for g in GREY16]), colour_type=0))
    write("rgba16.png", png(3, 2, rows([c + (a,) for c, a in zip(RGB16, ALPHA16)]), colour_type=6,
                            interlace=True))

    # The other formats stb_image reads.
    save("pattern.bmp", upright, format="BMP")
    save("pattern.tga", upright, format="TGA", compression="tga_rle")
    write("pattern.psd", psd_rle(upright))
    write("rgb16.psd", psd_raw16(3, 2, RGB16))
    second = palette_pattern(list(reversed(COLOURS)))
    save("animated.gif", palette_pattern(), format="GIF", save_all=True, append_images=[second],
         duration=100, loop=0)
    gif = Image.open(os.path.join(OUT, "animated.gif"))
    assert gif.n_frames == 2 and max_diff(gif.convert("RGB"), upright) == 0

    # EXIF orientations 1-8: the upright pattern stored transformed and tagged, so that every one
    # of them decodes to the upright pattern. Even orientations little-endian, odd big-endian.
    for o in range(1, 9):
        tiff = exif_tiff(o, big_endian=o % 2 == 1)
        data = save("orient-%d.jpg" % o, stored_for(o, upright), format="JPEG", quality=95,
                    subsampling=0, exif=b"Exif\0\0" + tiff)
        check = Image.open(io.BytesIO(data))
        assert check.getexif().get(0x0112) == o
        assert max_diff(ImageOps.exif_transpose(check).convert("RGB"), upright) <= 4, o

    # An EXIF block whose IFD0 offset points past its end: decoded as stored.
    save("exif-bad-offset.jpg", stored_for(6, upright), format="JPEG", quality=95, subsampling=0,
         exif=b"Exif\0\0" + exif_tiff(6, big_endian=False, ifd_offset=0x7FFFFFF0))

    # A lossless PNG with an eXIf chunk (orientation 6) before IDAT.
    stored = stored_for(6, upright)
    write("orient-6.png", png(stored.width, stored.height,
                              [[stored.getpixel((x, y)) for x in range(stored.width)]
                               for y in range(stored.height)],
                              colour_type=2, depth=8,
                              extra_chunks=png_chunk(b"eXIf", exif_tiff(6, big_endian=True))))
    check = Image.open(os.path.join(OUT, "orient-6.png"))
    assert max_diff(ImageOps.exif_transpose(check).convert("RGB"), upright) == 0

    # Bad input.
    write("empty.jpg", b"")
    # Cut in the middle of the entropy-coded data, where stb_image pads with zeros and succeeds.
    sos = baseline.index(b"\xff\xda")
    write("truncated.jpg", baseline[: sos + (len(baseline) - sos) // 2])
    rng = random.Random(20260101)
    write("garbage.jpg", bytes(rng.randrange(256) for _ in range(512)))
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    write("huge.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
          png_chunk(b"IDAT", zlib.compress(b"\0" * 64, 9)) + png_chunk(b"IEND", b""))
    rgb_png = open(os.path.join(OUT, "rgb.png"), "rb").read()
    idat = rgb_png.index(b"IDAT")
    write("truncated.png", rgb_png[: idat + 4 + 40])
    # 1×1 pixel, but its zlib stream inflates to 8 MiB: must fail within the memory budget.
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    write("bomb.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
          png_chunk(b"IDAT", zlib.compress(b"\0" * (8 << 20), 9)) + png_chunk(b"IEND", b""))
    # Only the magic of a lossy WebP: enough to be recognised, not decodable by anything.
    vp8 = b"VP8 " + struct.pack("<I", 10) + b"\x30\x01\x00\x9d\x01\x2a\x30\x00\x20\x00"
    write("sandal.webp", b"RIFF" + struct.pack("<I", 4 + len(vp8)) + b"WEBP" + vp8)

    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print("%-22s %6d" % (name, size))
    print("%-22s %6d" % ("total", total))


if __name__ == "__main__":
    sys.exit(main())
