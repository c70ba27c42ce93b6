"""A "check this photo" flag written into the encoded photo itself, so it travels with the attachment whatever
carries the bytes (the outbox seals and chunks them; central opens them).

The flag is a small XMP packet: in a WebP file an ``XMP `` chunk (the file becomes the extended VP8X form,
which every WebP decoder reads), in a JPEG file an APP1 XMP segment after the start marker. The packet holds one
property, ``layanan:review``, with the reason (``low_confidence``: the outline was not trusted and the whole
frame was kept; ``no_outline``: no document outline was found). Pure Python, no image library: it lives in the
shared core because the kiosk writes the flag (``kiosk.vision.pipeline``) and the office console reads it
(``central.web.requests``) to tell the clerk which photo to check.
"""

from __future__ import annotations

import re
import struct

XMP_NS = "https://layanan-desa.invalid/ns/capture/1.0/"
"""Namespace of the ``layanan:review`` property (an identifier, never fetched)."""
_JPEG_XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"


def xmp_packet(reason: str) -> bytes:
    if not re.fullmatch(r"[a-z_]{1,40}", reason):
        raise ValueError(f"review reason {reason!r} must be a short snake_case id")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:layanan="{XMP_NS}" layanan:review="{reason}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        out.append((tag, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def _webp_size(chunks: list[tuple[bytes, bytes]]) -> tuple[int, int]:
    for tag, body in chunks:
        if tag == b"VP8 " and len(body) >= 10:
            w, h = struct.unpack("<HH", body[6:10])
            return w & 0x3FFF, h & 0x3FFF
        if tag == b"VP8L" and len(body) >= 5:
            bits = int.from_bytes(body[1:5], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if tag == b"VP8X" and len(body) >= 10:
            return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    raise ValueError("not a WebP image this module understands")


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def add_review(data: bytes, reason: str) -> bytes:
    """``data`` (a WebP or JPEG file) with the review flag ``reason`` written into its metadata."""
    packet = xmp_packet(reason)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunks = [c for c in _chunks(data) if c[0] != b"XMP "]
        w, h = _webp_size(chunks)
        flags = 0x04  # XMP
        if chunks[0][0] == b"VP8X":
            flags |= chunks[0][1][0]
            chunks = chunks[1:]
        vp8x = bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
        body = (
            b"WEBP"
            + _chunk(b"VP8X", vp8x)
            + b"".join(_chunk(t, b) for t, b in chunks)
            + _chunk(b"XMP ", packet)
        )
        return b"RIFF" + struct.pack("<I", len(body)) + body
    if data[:2] == b"\xff\xd8":
        payload = _JPEG_XMP_ID + packet
        return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    raise ValueError("the review flag can only be written into a WebP or JPEG file")


def read_review(data: bytes) -> str | None:
    """The review reason written by :func:`add_review`, or None."""
    m = re.search(rb'layanan:review="([a-z_]{1,40})"', data[:4096] if data[:2] == b"\xff\xd8" else data)
    return m.group(1).decode() if m else None
