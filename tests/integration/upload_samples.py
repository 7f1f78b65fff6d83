"""Files people send: a real PNG (drawn here), a JPEG-shaped photo, a small PDF, and files
that only pretend to be one of those."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 64, height: int = 40, seed: int = 0) -> bytes:
    """A real PNG: a pale page with a dark band, like a photographed certificate."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = []
    for y in range(height):
        band = height // 3 <= y < height // 3 + 4
        shade = (40 + seed) % 256 if band else 235
        rows.append(b"\x00" + bytes([shade, shade, (shade + seed) % 256]) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def jpeg_like(size: int = 2048, seed: int = 1) -> bytes:
    """Bytes that begin and end as a JPEG does (what the gateway reads of a photo)."""
    body = bytes((i * 7 + seed) % 256 for i in range(max(0, size - 24)))
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + body + b"\xff\xd9"
    )


def pdf(text: str = "Student certificate") -> bytes:
    """A one-page PDF."""
    stream = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


#: A program renamed to look like a PDF: its first bytes give it away.
NOT_A_PDF = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
#: A web page sent as a "photo".
NOT_AN_IMAGE = b"<html><script>alert(1)</script></html>"
