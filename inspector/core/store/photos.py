"""Photos in the data dir: copied in once under their sha256, told by their bytes, with a small metadata file.

A photo is accepted by what its first bytes are (`inspector.core.images`), not by its suffix: a `.jpg` that is a
PDF is refused, a PNG named `.jpeg` is stored as a PNG. Its bytes go to `attachments/<sha256>` (copied and hashed
in one pass, fsynced, then renamed in), its metadata to `attachments/<sha256>.json`. The metadata index is read on
first use: photos are not on the path of opening the store.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from inspector.core.ids import new_id
from inspector.core.images import IMAGE_TYPES, SNIFF_BYTES, same_type, sniff
from inspector.core.records import Attachment
from inspector.core.store import layout
from inspector.core.store.errors import MESSAGES, StoreError
from inspector.core.store.fileformat import parse_attachment
from inspector.core.store.files import RecordFiles
from inspector.core.store.recovery import Recovery
from inspector.core.store.storage import fsync_dir, replace_with_retry, settle_temp_files

_COPY_CHUNK = 1 << 20


class _SourceUnreadable(Exception):
    """Reading the photo failed (not writing the copy): the message must name the source file."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def photo_type(source: Path, head: bytes) -> str | None:
    """The MIME type a photo is stored under: what its bytes are, or None when they are no photo we accept.

    Within the HEIC/HEIF family (one sniffed type) the suffix's name is kept, as phones label either."""
    actual = sniff(head)
    named = next((mime for mime, suffix in IMAGE_TYPES.items() if suffix == source.suffix.lower()), None)
    if actual is not None and named is not None and same_type(named, actual):
        return named
    return actual


class Photos:
    """The attachments folder: adding a photo, its metadata index, and the metadata's updates."""

    def __init__(self, data_dir: Path, lang: str, files: RecordFiles, recovery: Recovery) -> None:
        self.folder = data_dir / layout.ATTACHMENTS
        self.lang = lang
        self._files = files
        self._recovery = recovery
        self._index: dict[str, Attachment] | None = None  # loaded on first use

    def _error(self, key: str, /, **values: object) -> StoreError:
        return StoreError(MESSAGES(key, self.lang, **values))

    def add(self, source: Path) -> Attachment:
        """Copy a photo in under its sha256; the caller gets its own copy of the metadata."""
        incoming = self.folder / f"{layout.INCOMING_PREFIX}{new_id()}.tmp"
        try:
            reader = source.open("rb")
        except FileNotFoundError as error:
            raise self._error("photo_missing", path=source) from error
        except OSError as error:
            raise self._error("photo_unreadable", path=source, reason=error.strerror or str(error)) from error
        with reader:
            try:
                head = reader.read(SNIFF_BYTES)
            except OSError as error:
                raise self._error("photo_unreadable", path=source, reason=error.strerror or str(error)) from error
            mime = photo_type(source, head)
            if mime is None:
                raise self._error("photo_type", path=source)
            digest, size = self._copy_hashing(head, reader, source, incoming)
        target = self.folder / digest
        try:
            if target.exists() and target.stat().st_size == size:
                incoming.unlink()
            else:
                replace_with_retry(incoming, target)
                fsync_dir(self.folder)
        except OSError as error:
            incoming.unlink(missing_ok=True)
            raise self._error("write_failed", path=target, reason=error.strerror or error) from error
        known = self.index().get(digest)
        if known is not None:
            return known.model_copy()
        attachment = Attachment(sha256=digest, size=size, mime=mime, filename=source.name)
        self.write(attachment)
        return attachment.model_copy()

    def _copy_hashing(self, head: bytes, reader: BinaryIO, source: Path, target: Path) -> tuple[str, int]:
        """One pass over the photo (its `head` already read): copy it and hash it, then fsync the copy. Errors name
        the file at fault."""
        digest = hashlib.sha256(head)
        size = len(head)
        try:
            with target.open("wb") as writer:
                writer.write(head)
                while True:
                    try:
                        chunk = reader.read(_COPY_CHUNK)
                    except OSError as error:
                        raise _SourceUnreadable(error) from error
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    writer.write(chunk)
                writer.flush()
                os.fsync(writer.fileno())
        except _SourceUnreadable as failure:
            target.unlink(missing_ok=True)
            reason = failure.error.strerror or str(failure.error)
            raise self._error("photo_unreadable", path=source, reason=reason) from failure.error
        except OSError as error:
            target.unlink(missing_ok=True)
            raise self._error("write_failed", path=target, reason=error.strerror or error) from error
        return digest.hexdigest(), size

    def write(self, attachment: Attachment) -> None:
        """Save a photo's metadata (its upload state too) and index it."""
        self._files.write_attachment(attachment)
        self.index()[attachment.sha256] = attachment

    def index(self) -> dict[str, Attachment]:
        """Every photo's metadata by sha256: the store's own records, not copies."""
        if self._index is None:
            settle_temp_files(self.folder)
            for leftover in self.folder.glob(f"{layout.INCOMING_PREFIX}*.tmp"):
                leftover.unlink(missing_ok=True)
            index: dict[str, Attachment] = {}
            lang = self.lang
            for name, payload in self._recovery.read_folder(self.folder):
                attachment = self._recovery.parsed_or_recovered(
                    self.folder / name, payload, lambda b: parse_attachment(b, lang), "attachment"
                )
                if attachment is not None:
                    index[attachment.sha256] = attachment
            self._index = index
        return self._index

    def checked_sha(self, sha256: str) -> str:
        if not layout.is_sha256(sha256):
            raise self._error("bad_sha", sha=sha256)
        return sha256

    def path(self, sha256: str) -> Path:
        return self.folder / self.checked_sha(sha256)

    def stored(self, sha256: str) -> Attachment:
        """The store's own record of a photo; raises StoreError when there is none."""
        attachment = self.index().get(self.checked_sha(sha256))
        if attachment is None:
            raise self._error("no_attachment", sha=sha256)
        return attachment
