"""Photos in the data dir: copied in once under their sha256, told by their bytes, with a small metadata file.

A photo is accepted by what its first bytes are (`inspector.core.images`), not by its suffix: a `.jpg` that is a
PDF is refused, a PNG named `.jpeg` is stored as a PNG. Its bytes go to `attachments/<sha256>` (copied and hashed
in one pass, fsynced, then renamed in), its metadata to `attachments/<sha256>.json`. The metadata index is read on
first use; opening only checks that every photo's metadata is there and intact (`check`), and a photo whose
metadata is lost gets it rebuilt from its bytes, so a photo that is on disk is never "missing".
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from inspector.core.ids import new_id
from inspector.core.images import IMAGE_TYPES, SNIFF_BYTES, same_type, sniff
from inspector.core.records import Attachment
from inspector.core.store import layout
from inspector.core.store.errors import MESSAGES, StoreError
from inspector.core.store.fileformat import parse_attachment, verified_body
from inspector.core.store.files import RecordFiles
from inspector.core.store.recovery import Recovery
from inspector.core.store.storage import fsync_dir, quarantine, replace_with_retry, settle_temp_files

_COPY_CHUNK = 1 << 20
UNKNOWN_TYPE = "application/octet-stream"  # a rebuilt photo whose bytes no longer sniff as a type we know


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


def _intact(meta_path: Path) -> bool:
    """Whether a metadata file is as the store wrote it (its checksum matches); unreadable counts as not."""
    try:
        return verified_body(meta_path.read_bytes()) is not None
    except OSError:
        return False


def _hashed(path: Path) -> tuple[str, int, bytes]:
    """A stored photo's sha256, size and first bytes (for sniffing its type), in one pass."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as reader:
        while chunk := reader.read(_COPY_CHUNK):
            if not size:
                head = chunk[:SNIFF_BYTES]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


class Photos:
    """The attachments folder: adding a photo, its metadata index, and the metadata's updates."""

    def __init__(self, data_dir: Path, lang: str, files: RecordFiles, recovery: Recovery) -> None:
        self.folder = data_dir / layout.ATTACHMENTS
        self.lang = lang
        self._files = files
        self._recovery = recovery
        self._index: dict[str, Attachment] | None = None  # loaded on first use
        self._unvouched: set[str] = set()  # photo files that could not be read to rebuild their metadata

    def _error(self, key: str, /, **values: object) -> StoreError:
        return StoreError(MESSAGES(key, self.lang, **values))

    def add(self, source: Path) -> Attachment:
        """Copy a photo in under its sha256; the caller gets its own copy of the metadata."""
        # The index is read before anything is copied in: reading it drops leftover incoming files, and bytes
        # without their metadata yet would look like a photo that lost it.
        index = self.index()
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
        known = index.get(digest)
        if known is not None:
            return known.model_copy()
        attachment = Attachment(sha256=digest, size=size, mime=mime, filename=source.name)
        self.write(attachment)
        return attachment.model_copy()

    def add_copy(self, original: Attachment, data: bytes, mime: str) -> Attachment:
        """Keep the upload copy made from `original` (already stored): its bytes under their own sha256, its
        metadata naming the original, then the original's naming the copy, which from then on stays home.

        Each step is durable before the next: a crash between them leaves a copy no record names yet (the caller
        had not been answered) and an original still offered to HQ, which costs bytes, never a photo."""
        index = self.index()
        digest = hashlib.sha256(data).hexdigest()
        target = self.folder / digest
        known = index.get(digest)
        if not (known is not None and target.is_file() and target.stat().st_size == len(data)):
            incoming = self.folder / f"{layout.INCOMING_PREFIX}{new_id()}.tmp"
            try:
                with incoming.open("wb") as writer:
                    writer.write(data)
                    writer.flush()
                    os.fsync(writer.fileno())
                replace_with_retry(incoming, target)
                fsync_dir(self.folder)
            except OSError as error:
                incoming.unlink(missing_ok=True)
                raise self._error("write_failed", path=target, reason=error.strerror or error) from error
        if known is None or known.original != original.sha256:
            base = known.model_copy() if known is not None else None
            copy = (base or Attachment(sha256=digest, size=len(data), mime=mime)).model_copy(
                update={"filename": original.filename, "original": original.sha256}
            )
            self.write(copy)
        stored = index[digest]
        if stored.sha256 != original.sha256 and original.upload_copy != digest:
            self.write(index[original.sha256].model_copy(update={"upload_copy": digest}))
        return stored.model_copy()

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

    def check(self) -> None:
        """At open: a photo whose metadata is missing or fails its checksum must be seen now, so the user is told
        before anything asks for the photo (sync would otherwise end on "No photo"). Intact metadata is only
        checksummed here; the index itself is still read on first use unless something needs recovering."""
        if self._index is not None:
            return
        names = {entry.name for entry in os.scandir(self.folder)}
        for name in names:
            if not layout.is_sha256(name):
                continue
            if f"{name}.json" not in names or not _intact(self.folder / f"{name}.json"):
                self.index()
                return

    def index(self) -> dict[str, Attachment]:
        """Every photo's metadata by sha256: the store's own records, not copies. A photo whose metadata is lost
        (damaged without a good backup, or deleted) gets it rebuilt from its bytes."""
        if self._index is None:
            settle_temp_files(self.folder)
            for leftover in self.folder.glob(f"{layout.INCOMING_PREFIX}*.tmp"):
                leftover.unlink(missing_ok=True)
            index: dict[str, Attachment] = {}
            damaged: dict[str, str] = {}  # sha → what happened to its metadata file, for the note
            lang = self.lang
            for name, payload in self._recovery.read_folder(self.folder):
                sha = name.removesuffix(".json")

                def lost(reason: str, aside: Path, sha: str = sha) -> None:
                    damaged[sha] = MESSAGES("photo_meta_damaged", lang, reason=reason, aside=aside.name)

                attachment = self._recovery.parsed_or_recovered(
                    self.folder / name, payload, lambda b: parse_attachment(b, lang), "attachment", on_lost=lost
                )
                if attachment is not None:
                    index[attachment.sha256] = attachment
            self._index = index
            for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
                if layout.is_sha256(entry.name) and entry.name not in index:
                    self._rebuilt(entry.name, damaged.get(entry.name) or MESSAGES("photo_meta_missing", lang))
        return self._index

    def _rebuilt(self, sha256: str, damage: str) -> Attachment | None:
        """A photo's metadata made again from its bytes: their sha256 must be the file's name, the type is sniffed,
        the size is the file's. It is marked not uploaded: HQ answers HEAD for a photo it holds, so re-confirming
        costs little. Bytes that are not what their name says are not what the records named: they are moved aside
        (kept), so the photo is honestly missing rather than vouched for."""
        if sha256 in self._unvouched:
            return None
        path = self.folder / sha256
        meta_path = self.folder / f"{sha256}.json"
        try:
            digest, size, head = _hashed(path)
            added_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError as error:
            self._recovery.note("unreadable", path=path, reason=error.strerror or error)
            self._unvouched.add(sha256)
            return None
        if digest != sha256:
            aside = quarantine(path)
            self._recovery.note("photo_bytes_bad", path=path, id=sha256, aside=aside.name)
            return None
        # Bytes the store took in were a photo by `sniff`; should its rules have changed since, HQ judges the type.
        mime = sniff(head) or UNKNOWN_TYPE
        attachment = Attachment(sha256=sha256, size=size, mime=mime, added_at=added_at, uploaded=False)
        self.write(attachment)
        what = self._recovery.what("attachment")
        self._recovery.note("photo_rebuilt", what=what, path=meta_path, id=sha256, damage=damage)
        return attachment

    def checked_sha(self, sha256: str) -> str:
        if not layout.is_sha256(sha256):
            raise self._error("bad_sha", sha=sha256)
        return sha256

    def path(self, sha256: str) -> Path:
        return self.folder / self.checked_sha(sha256)

    def stored(self, sha256: str) -> Attachment:
        """The store's own record of a photo; raises StoreError when there is none."""
        index = self.index()
        attachment = index.get(self.checked_sha(sha256))
        if attachment is None and (self.folder / sha256).is_file():  # its metadata went while the store was open
            attachment = self._rebuilt(sha256, MESSAGES("photo_meta_missing", self.lang))
        if attachment is None:
            raise self._error("no_attachment", sha=sha256)
        return attachment
