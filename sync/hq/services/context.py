"""What every HQ front end in the server process shares: the database, the photo store and the one push queue.

One `HqServices` is made per server (sync/hq/server.py) and handed to the device API and the web console alike, so
a 交办 made in a browser goes through the same group-commit queue as a device's push and can never race it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sync.hq.db import Database
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.push import PushQueue, StageHook


@dataclass
class HqServices:
    db: Database
    files: AttachmentStore
    pushes: PushQueue

    @classmethod
    def start(cls, db: Database, files_dir: Path, on_push_stage: StageHook | None = None) -> HqServices:
        """`on_push_stage` is passed to the push queue (see StageHook): an extension point for tools, which
        production never sets."""
        return cls(db=db, files=AttachmentStore(db, files_dir), pushes=PushQueue(db, on_push_stage))
