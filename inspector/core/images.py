"""The photo types Inspector accepts, told by their bytes.

One definition for both ends: the laptop's store checks a photo when it is attached, HQ checks it again when it
arrives, and both look at the first bytes of the file rather than at its suffix or a Content-Type header, which
can lie (a `.jpg` that is really a PDF, a phone's HEIC renamed to `.jpg`).
"""

from __future__ import annotations

# MIME type -> the suffix a photo of that type is stored under.
IMAGE_TYPES: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/gif": ".gif",
}

# How many leading bytes `sniff` needs to tell every type above.
SNIFF_BYTES = 16

_HEIF = frozenset({"image/heic", "image/heif"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


def sniff(head: bytes) -> str | None:
    """The image type the first bytes of a file really are, or None when they are no photo we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def same_type(declared: str, actual: str | None) -> bool:
    """Whether a declared type matches what the bytes are (HEIC and HEIF are one family: phones label either)."""
    return actual == declared or (actual in _HEIF and declared in _HEIF)
