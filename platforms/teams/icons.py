"""The Teams app package's two icons, drawn here (no image library needed).

Teams wants a 192x192 full-colour icon and a 32x32 outline icon: white on a transparent
background (https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package#app-icons).
Both show a white ring, Mio's mark, on the accent colour or on nothing.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

ACCENT = (0x1F, 0x3A, 0x5F)


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, ...]]) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _ring(size: int, x: int, y: int) -> bool:
    centre = (size - 1) / 2
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
    return size * 0.28 <= distance <= size * 0.40


def color_icon(size: int = 192) -> bytes:
    return _png(
        size, size, lambda x, y: (255, 255, 255, 255) if _ring(size, x, y) else (*ACCENT, 255)
    )


def outline_icon(size: int = 32) -> bytes:
    return _png(
        size, size, lambda x, y: (255, 255, 255, 255) if _ring(size, x, y) else (0, 0, 0, 0)
    )
