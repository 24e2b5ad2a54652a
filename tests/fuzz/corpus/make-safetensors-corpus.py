#!/usr/bin/python3
"""Writes the seed corpus for tests/fuzz/fuzz-safetensors.c.

Usage: tests/fuzz/corpus/make-safetensors-corpus.py [OUTPUT_DIR]
(default: tests/fuzz/corpus/safetensors beside this script). Standard library only.

Each seed is under 4 KB: a handful of valid files (F32 with metadata, F16, BF16, a scalar, an
empty tensor, integer dtypes, an unaligned data area) and nearly-valid ones that each break one
rule (truncated data, header length past the end, overlapping offsets, a size that does not match
the shape, an unknown dtype, a duplicate name, deep nesting, an integer out of range), so the
fuzzer starts next to every check in engine/store/lk-safetensors.c.

Copyright 2026 The Lookalike authors
SPDX-License-Identifier: GPL-3.0-or-later
"""

import json
import os
import struct
import sys


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def raw(header_text, data=b"", header_length=None, pad=True):
    """8-byte little-endian header length, the header, the data area."""
    header = header_text.encode("utf-8")
    if pad:
        header += b" " * (-len(header) % 8)
    if header_length is None:
        header_length = len(header)
    return struct.pack("<Q", header_length) + header + data


def safetensors(tensors, data, metadata=None, pad=True):
    """tensors: list of (name, dtype, shape, begin, end), in header order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, begin, end in tensors:
        header[name] = entry(dtype, shape, begin, end)
    return raw(json.dumps(header, separators=(",", ":")), data, pad=pad)


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def seeds():
    conv = f32(*[i * 0.5 - 2.0 for i in range(2 * 3 * 2 * 2)])
    bias = f32(1.0, -0.0, float("inf"))
    halves = struct.pack("<8H", 0x0000, 0x8000, 0x3C00, 0x0001, 0x03FF, 0x7BFF, 0x7C00, 0x7E01)
    bfloats = struct.pack("<6H", 0x3F80, 0xC000, 0x0001, 0x7F80, 0xFF80, 0x7FC0)

    yield "valid-f32-metadata", safetensors(
        [("conv1.weight", "F32", [2, 3, 2, 2], 0, 96), ("conv1.bias", "F32", [3], 96, 108)],
        conv + bias, metadata={"format": "pt", "note": "seed \"quoted\" \u00fc"})
    yield "valid-f16", safetensors([("h", "F16", [2, 4], 0, 16)], halves)
    yield "valid-bf16", safetensors([("b", "BF16", [6], 0, 12)], bfloats)
    yield "valid-scalar-empty", safetensors(
        [("scalar", "F32", [], 0, 4), ("empty", "F32", [0, 4], 4, 4), ("after", "F16", [1], 4, 6)],
        f32(3.5) + struct.pack("<H", 0x3C00))
    yield "valid-mixed-dtypes", safetensors(
        [("n", "I64", [], 0, 8), ("mask", "BOOL", [3], 8, 11), ("q", "F8_E4M3", [2], 11, 13),
         ("d", "F64", [1], 13, 21), ("w", "F32", [2], 21, 29)],
        struct.pack("<q", 7) + b"\x01\x00\x01" + b"\x38\x40" + struct.pack("<d", 1.5) + f32(1, 2))
    yield "valid-no-tensors", raw("{}")
    yield "valid-metadata-only", raw('{"__metadata__":{"format":"pt"}}', b"tail")
    # odd header length: the data area is not aligned
    yield "valid-unaligned", safetensors([("w", "F32", [3], 0, 12)], f32(1, 2, 3), pad=False)
    # the header does not list the tensors in offset order
    yield "valid-unsorted", safetensors(
        [("second", "F32", [2], 8, 16), ("first", "F32", [2], 0, 8)], f32(1, 2, 3, 4))

    good = safetensors([("fc.weight", "F32", [2, 2], 0, 16)], f32(1, 2, 3, 4))
    yield "bad-truncated-data", good[:-3]
    yield "bad-truncated-header", good[:30]
    yield "bad-header-past-eof", raw("{}", header_length=123456789)
    yield "bad-header-huge", raw("{}", header_length=1 << 63)
    yield "bad-overlap", safetensors(
        [("a", "F32", [4], 0, 16), ("b", "F32", [4], 8, 24)], f32(*range(6)))
    yield "bad-size-shape", safetensors([("w", "F32", [2, 2], 0, 12)], f32(1, 2, 3, 4))
    yield "bad-past-data", safetensors([("w", "F32", [8], 0, 32)], f32(1, 2, 3, 4))
    yield "bad-dtype", safetensors([("w", "F31", [1], 0, 4)], f32(1))
    yield "bad-duplicate", raw(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
        '"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2))
    yield "bad-nesting", raw("[" * 100 + "]" * 100)
    yield "bad-big-integer", raw(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,-18446744073709551612]}}', f32(1))
    yield "bad-metadata", raw('{"__metadata__":{"epochs":3}}')
    yield "bad-not-json", raw("{/* not json */ 'w': 0x10}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "safetensors")
    os.makedirs(out, exist_ok=True)
    for name, blob in seeds():
        assert len(blob) < 4096, name
        with open(os.path.join(out, name + ".safetensors"), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
