"""Photos by sha256 (`HEAD`/`PUT`/`GET /v1/attachments/{sha256}`): stored once, verified before they count.

An upload streams to a temp file while it is hashed; only a body whose hash, size and image type check out is
renamed into place (fsync first), so an interrupted or damaged upload never leaves a half photo under a good name.
Files live outside any web root, named by their hash.

Reading a photo follows reading a record: reviewers and admins read every photo; an inspector reads a photo named
by a record it may read (its own, or a problem it may pull: the pull's own rule, `pull.problem_scope`, over the
`photo_refs` index the push writes), or one whose bytes it uploaded itself (`photo_uploaders`), so a device can ask
again about its own photo before the record naming it reaches HQ. To anyone else HQ answers as if it held no such
photo (404), so a known hash tells nothing; the route audits the refusal."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import anyio.to_thread
from sqlalchemy import exists, insert, or_, select
from sqlalchemy.exc import IntegrityError

from inspector.core.images import SNIFF_BYTES, same_type, sniff
from sync.hq.db import Database
from sync.hq.db.models import attachments, docs, photo_refs, photo_uploaders
from sync.hq.services.auth import Principal
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.pull import problem_scope
from sync.protocol import ATTACHMENT_TYPES

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha(sha256: str) -> None:
    if not SHA256.match(sha256):
        raise HqError(Kind.INVALID, "bad_hash")


class AttachmentStore:
    def __init__(self, db: Database, folder: Path) -> None:
        self.db = db
        self.folder = folder
        (folder / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.folder / sha256[:2] / sha256

    def mime(self, sha256: str) -> str | None:
        """The stored type, or None when HQ does not hold this photo (row and file both needed)."""
        with self.db.read() as conn:
            row = conn.execute(select(attachments.c.mime).where(attachments.c.sha256 == sha256)).first()
        if row is None or not self.path(sha256).is_file():
            return None
        return str(row.mime)

    def readable(self, who: Principal, sha256: str) -> bool:
        """May `who` read this photo (whether or not HQ holds it)?"""
        if who.sees_everything:
            return True
        named = (
            select(photo_refs.c.sha256)
            .join(docs, docs.c.id == photo_refs.c.doc_id)
            .where(
                photo_refs.c.sha256 == sha256,
                or_(docs.c.owner_user_id == who.user_id, (docs.c.kind == "problem") & problem_scope(who)),
            )
        )
        uploaded = select(photo_uploaders.c.sha256).where(
            photo_uploaders.c.sha256 == sha256, photo_uploaders.c.user_id == who.user_id
        )
        with self.db.read() as conn:
            return bool(conn.execute(select(or_(exists(named), exists(uploaded)))).scalar())

    async def receive(
        self, who: Principal, sha256: str, content_type: str | None, chunks: AsyncIterator[bytes], *, now: datetime
    ) -> None:
        """Stream, verify and keep one upload. Raises HqError saying what was wrong with it."""
        declared = (content_type or "").split(";")[0].strip().lower()
        if declared not in ATTACHMENT_TYPES:
            types = ", ".join(ATTACHMENT_TYPES)
            if not declared:
                raise HqError(Kind.UNSUPPORTED_TYPE, "bad_type", key="type_missing", types=types)
            raise HqError(Kind.UNSUPPORTED_TYPE, "bad_type", key="type_not_accepted", types=types, got=declared)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.folder / "tmp", prefix=sha256[:8])
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise HqError(Kind.INVALID, "empty")
            if digest.hexdigest() != sha256:
                raise HqError(Kind.INVALID, "hash_mismatch", actual=digest.hexdigest(), sha=sha256)
            actual = sniff(head)
            if not same_type(declared, actual):
                if actual is None:
                    raise HqError(Kind.UNSUPPORTED_TYPE, "bad_type", key="bytes_unknown", declared=declared)
                raise HqError(
                    Kind.UNSUPPORTED_TYPE, "bad_type", key="bytes_not_declared", actual=actual, declared=declared
                )
            final = self.path(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(final)
        finally:
            tmp.unlink(missing_ok=True)
        await anyio.to_thread.run_sync(self._record, who, sha256, size, declared, now)

    def _record(self, who: Principal, sha256: str, size: int, mime: str, now: datetime) -> None:
        try:
            with self.db.small_write() as conn:
                held = conn.execute(select(attachments.c.sha256).where(attachments.c.sha256 == sha256)).first()
                if held is None:
                    conn.execute(
                        insert(attachments).values(
                            sha256=sha256, size=size, mime=mime, device_id=who.device_id, uploaded_at=now
                        )
                    )
        except IntegrityError:  # the same photo arrived twice at once: either copy is the photo
            pass
        try:
            with self.db.small_write() as conn:  # whoever sent the verified bytes may read them back
                mine = photo_uploaders.c.user_id == who.user_id
                if (
                    conn.execute(
                        select(photo_uploaders.c.sha256).where(photo_uploaders.c.sha256 == sha256, mine)
                    ).first()
                    is None
                ):
                    conn.execute(insert(photo_uploaders).values(sha256=sha256, user_id=who.user_id, uploaded_at=now))
        except IntegrityError:  # the same user's two devices at once: one row says it
            pass
