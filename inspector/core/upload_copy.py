"""The copy of a photo that goes to HQ: upright, at most 2048 px on its long side, JPEG at quality 85, no GPS.

A phone's photo is 4-12 MB; the field network is weak and HQ's reviewers look at it on a screen. The laptop keeps
the original (content-addressed, for whoever asks for it later) and sends this copy, also content-addressed, so
the record names both. The orientation a phone writes as an EXIF tag is applied to the pixels, since not every
viewer at HQ honours the tag (and the copy drops it). GPS is dropped unless HQ asks for it (the laptop's setting,
`photo_files.PhotoSettings.keep_gps`): where a photo was taken is personal data the ledger does not need. The
capture time, the camera's make and model stay: reviewers use them to judge a photo.

Making the copy decodes the whole photo (100-300 ms for 12 megapixels): call it off the UI thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

LONG_SIDE = 2048
# A JPEG is decoded at a power-of-two reduction (its DCT scaled: no resampling needed) when that leaves at least this
# long side: a 4000 x 3000 phone photo comes out at 2000 x 1500, at a quarter of the full decode's work.
MIN_LONG_SIDE = 1600
QUALITY = 85
MIME = "image/jpeg"

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_ORIENTATION = 0x0112
# IFD0 tags the copy keeps: Make, Model, DateTime, Software is dropped (it would name the phone's firmware).
_KEPT_IFD0 = (0x010F, 0x0110, 0x0132)
# Exif IFD tags kept: DateTimeOriginal, DateTimeDigitized, OffsetTime*, exposure facts a reviewer may read.
_KEPT_EXIF = (0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x829A, 0x829D, 0x8827, 0x920A)


class CopyError(Exception):
    """Pillow cannot decode this photo (HEIC without a plugin, a damaged file): the original is sent as it is."""


@dataclass(frozen=True, slots=True)
class UploadCopy:
    data: bytes
    width: int
    height: int


def make_upload_copy(source: Path, *, keep_gps: bool = False) -> UploadCopy:
    """The upload copy's bytes. Raises CopyError when Pillow cannot read the photo."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(source) as opened:
            exif = opened.getexif()
            if opened.format == "JPEG":
                width, height = opened.size
                scale = MIN_LONG_SIDE / max(width, height)
                if max(width, height) > LONG_SIDE:
                    opened.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise CopyError(str(error) or type(error).__name__) from error
    image = _flattened(image)
    if max(image.size) > LONG_SIDE:
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, exif=_kept_exif(exif, keep_gps).tobytes(), optimize=False)
    return UploadCopy(out.getvalue(), image.width, image.height)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels (JPEG has no alpha): a transparent PNG is put on white, as a viewer would show it."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _kept_exif(source: Image.Exif, keep_gps: bool) -> Image.Exif:
    from PIL import Image

    kept = Image.Exif()
    for tag in _KEPT_IFD0:
        if tag in source:
            kept[tag] = source[tag]
    sub = source.get_ifd(_EXIF_IFD)
    if sub:
        kept_sub = {tag: sub[tag] for tag in _KEPT_EXIF if tag in sub}
        if kept_sub:
            kept[_EXIF_IFD] = kept_sub
    if keep_gps:
        gps = source.get_ifd(_GPS_IFD)
        if gps:
            kept[_GPS_IFD] = dict(gps)
    return kept
