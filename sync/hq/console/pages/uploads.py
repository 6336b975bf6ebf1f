"""An uploaded file kept at HQ between its preview and its apply, so that what is applied is what was previewed.

The browser gets back only a random id; the bytes stay in HQ's data dir, in a folder named after the session (a
hash of the user and the session's CSRF token), so another session, even of the same user, cannot apply them, and
nothing the form sends back is trusted as content. Apply reads and checks the kept file again: a registry changed
by someone else in between is planned afresh. Kept files are removed once applied and after `KEEP` in any case.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import time
from pathlib import Path

from fastapi import UploadFile

from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.context import HqServices
from sync.hq.services.sheets import MAX_BYTES

__all__ = ["MAX_BYTES", "TooBig", "discard", "keep", "kept"]

KEEP = 3600.0  # seconds a preview stays applicable
ID = re.compile(r"^[0-9a-f]{32}$")
UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")
CHUNK = 64 * 1024


class TooBig(Exception):
    """The upload is larger than MAX_BYTES (nothing kept)."""


def _root(svc: HqServices) -> Path:
    return svc.files.folder.parent / "console-uploads"


def _session_dir(svc: HqServices, who: ConsoleUser) -> Path:
    key = hashlib.sha256(f"{who.user_id}:{who.csrf}".encode()).hexdigest()[:32]
    return _root(svc) / key


def _clean_name(name: str | None, fallback: str) -> str:
    """The file's own name, as the messages show it: its last part, with nothing a path could be made of."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE.sub("_", base).strip("._")[:120]
    return base or fallback


def _sweep(root: Path, now: float) -> None:
    if not root.is_dir():
        return
    for session in root.iterdir():
        for entry in session.iterdir() if session.is_dir() else ():
            try:
                if now - entry.stat().st_mtime > KEEP:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue


async def keep(svc: HqServices, who: ConsoleUser, upload: UploadFile, fallback: str) -> tuple[str, Path]:
    """Keep the uploaded file: (its id, its path, named as the user named it). Raises TooBig."""
    _sweep(_root(svc), time.time())
    token = secrets.token_hex(16)
    folder = _session_dir(svc, who) / token
    folder.mkdir(parents=True)
    path = folder / _clean_name(upload.filename, fallback)
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise TooBig
            out.write(chunk)
    return token, path


def kept(svc: HqServices, who: ConsoleUser, token: str) -> Path | None:
    """The file kept under this id for this session, or None (unknown, another session's, or expired)."""
    if not ID.match(token):
        return None
    folder = _session_dir(svc, who) / token
    try:
        files = [p for p in folder.iterdir() if p.is_file()]
        if len(files) != 1 or time.time() - folder.stat().st_mtime > KEEP:
            return None
    except OSError:
        return None
    return files[0]


def discard(svc: HqServices, who: ConsoleUser, token: str) -> None:
    if ID.match(token):
        shutil.rmtree(_session_dir(svc, who) / token, ignore_errors=True)
