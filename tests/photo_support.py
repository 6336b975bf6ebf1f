"""Real photos for the tests, made with Pillow: JPEGs with and without EXIF capture times and orientations, PNGs.

The store and the picker decode what they are given, so a file of magic bytes alone is no photo any more."""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path

from PIL import Image

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 36867


def small_png(color: tuple[int, int, int] = (200, 60, 60), size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(
    size: tuple[int, int] = (64, 48),
    *,
    taken: datetime | None = None,
    orientation: int | None = None,
    gps: bool = False,
    color: tuple[int, int, int] = (40, 120, 200),
) -> bytes:
    """A JPEG whose left half is `color` and right half white, so a rotation shows in its pixels."""
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), color), (0, 0))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if taken is not None:
        exif[EXIF_IFD] = {DATETIME_ORIGINAL: taken.strftime("%Y:%m:%d %H:%M:%S")}
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 18.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def write_photo(folder: Path, name: str, data: bytes, *, mtime: datetime | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    if mtime is not None:
        stamp = mtime.timestamp()
        os.utime(path, (stamp, stamp))
    return path
