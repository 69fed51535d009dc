"""Draw the web app's icons (static/icons/icon-192.png, icon-512.png) with the standard library.

Pillow is not a dependency, so the PNG is written by hand: zlib for the pixels, struct for
the chunks. Run `python scripts/make_icons.py` after changing the drawing; commit the PNGs.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
BACKGROUND = (0x1F, 0x24, 0x30)
AMBER = (0xE5, 0xA0, 0x0D)
SIZES = (192, 512)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """Colour one point of the unit square: a dark tile with an amber play triangle."""
    # The triangle keeps inside the middle 60 %, the maskable icon's safe zone.
    left, right, top, bottom = 0.36, 0.70, 0.30, 0.70
    if left <= x <= right:
        half = (bottom - top) / 2 * (1 - (x - left) / (right - left))
        if abs(y - 0.5) <= half:
            return AMBER
    return BACKGROUND


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode RGB rows (each prefixed by its filter byte) as a PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def icon(size: int) -> bytes:
    """Draw the icon at `size` by `size` pixels, sampling each pixel's centre."""
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0: none
        for x in range(size):
            row += bytes(pixel((x + 0.5) / size, (y + 0.5) / size))
        rows.append(bytes(row))
    return png(size, size, rows)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (ICONS / f"icon-{size}.png").write_bytes(icon(size))
        print(f"wrote {ICONS / f'icon-{size}.png'}")


if __name__ == "__main__":
    main()
