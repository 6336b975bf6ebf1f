"""Thumbnails of stored photos for the console's lists: made once, kept on disk beside the photos, then served.

A page of a ledger shows dozens of photos; sending each 2048-px upload copy (300-800 KB) to draw a 320-px tile
would make the page slow on an HQ intranet. A thumbnail (long side 320 px, JPEG) is made on first request with
Pillow and cached under `<files>/thumbs/<aa>/<sha256>-320.jpg`: named by the photo's hash, so it never goes
stale (a hash names one content forever) and two requests racing to make it write the same bytes. It is written to
a temp file and renamed in, so a crash leaves no half thumbnail under the good name.

Who may see a photo is not decided here: the caller asks `AttachmentStore.readable` first, as for the full image.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from sync.hq.services.attachments import AttachmentStore, check_sha
from sync.hq.services.errors import HqError, Kind

THUMB_SIDE = 320
THUMB_QUALITY = 80
THUMB_MIME = "image/jpeg"


class Thumbnails:
    def __init__(self, files: AttachmentStore, *, side: int = THUMB_SIDE) -> None:
        self.files = files
        self.side = side
        self.folder = files.folder / "thumbs"

    def path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}-{self.side}.jpg"

    def thumbnail(self, sha256: str) -> Path:
        """The cached thumbnail's path, made now if it is not there yet. Raises HqError NOT_FOUND when HQ lacks
        the photo, UNSUPPORTED_TYPE when Pillow cannot decode it (a HEIC: the console links the full image)."""
        check_sha(sha256)
        cached = self.path(sha256)
        if cached.is_file():
            return cached
        if self.files.mime(sha256) is None:
            raise HqError(Kind.NOT_FOUND, "not_found", key="photo_not_found", sha=sha256)
        data = self._make(sha256)
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=cached.parent, prefix=f".{sha256[:8]}", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(cached)
        finally:
            tmp.unlink(missing_ok=True)
        return cached

    def thumbnail_bytes(self, sha256: str) -> bytes:
        return self.thumbnail(sha256).read_bytes()

    def _make(self, sha256: str) -> bytes:
        from PIL import Image, ImageOps, UnidentifiedImageError

        side = self.side
        try:
            with Image.open(self.files.path(sha256)) as opened:
                opened.draft("RGB", (side, side))  # a JPEG decodes at 1/2..1/8 scale: most of the cost saved
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((side, side), Image.Resampling.LANCZOS)
                image = image.convert("RGB")
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            reason = str(error) or type(error).__name__
            raise HqError(Kind.UNSUPPORTED_TYPE, "thumbnail_failed", sha=sha256, reason=reason) from error
        out = io.BytesIO()
        image.save(out, "JPEG", quality=THUMB_QUALITY)
        return out.getvalue()
