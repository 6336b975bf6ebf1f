"""Reading record files so that a damaged one costs only itself: moved aside, replaced by its backup when that
is good, and a note for the user saying which file, where it went and what was kept.

A damaged file is never deleted: `quarantine` keeps it as `<name>.damaged-<UTC time>` for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from inspector.core.store.errors import MESSAGES, what
from inspector.core.store.fileformat import Damage
from inspector.core.store.layout import json_names
from inspector.core.store.storage import atomic_write_bytes, backup_path, quarantine, settle_temp_files

_T = TypeVar("_T")


class Recovery:
    """Reads files for the store and keeps the recovery notes (`Store.recovery_notes`)."""

    def __init__(self, lang: str, forget: Callable[[Path], None]) -> None:
        self.lang = lang
        self.notes: list[str] = []  # one line per damaged or unreadable file, for the user
        self._forget = forget  # drops the store's open handle of a file replaced here

    def note(self, key: str, /, **values: object) -> None:
        self.notes.append(MESSAGES(key, self.lang, **values))

    def what(self, kind: str) -> str:
        return what(kind, self.lang)

    def load_file(self, path: Path, parse: Callable[[bytes], _T], kind: str, lost_key: str) -> _T | None:
        """Parse one file; a damaged one is moved aside and replaced by its backup when that is good."""
        try:
            payload = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            self.note("unreadable", path=path, reason=error.strerror or error)
            return None
        try:
            return parse(payload)
        except Damage as damage:
            return self.recover(path, parse, kind, damage.reason, lost_key)

    def recover(
        self, path: Path, parse: Callable[[bytes], _T], kind: str, reason: str, lost_key: str = "damaged_lost"
    ) -> _T | None:
        """Move a damaged file aside and put its backup in its place when the backup parses."""
        self._forget(path)
        aside = quarantine(path)
        try:
            payload = backup_path(path).read_bytes()
            value = parse(payload)
        except (OSError, Damage):
            self.note(lost_key, what=self.what(kind), path=path, reason=reason, aside=aside.name)
            return None
        atomic_write_bytes(path, payload)
        self.note("damaged_restored", what=self.what(kind), path=path, reason=reason, aside=aside.name)
        return value

    def parsed_or_recovered(self, path: Path, payload: bytes, parse: Callable[[bytes], _T], kind: str) -> _T | None:
        try:
            return parse(payload)
        except Damage as damage:
            return self.recover(path, parse, kind, damage.reason, "damaged_lost")

    def reread(self, path: Path, parse: Callable[[bytes], _T], kind: str) -> _T | None:
        """Read a file again (its body was left for later at open); damage found now is recovered like at open."""
        try:
            payload = path.read_bytes()
        except OSError as error:
            self.note("unreadable", path=path, reason=error.strerror or error)
            return None
        self._forget(path)
        return self.parsed_or_recovered(path, payload, parse, kind)

    def read_folder(self, folder: Path) -> Iterator[tuple[str, bytes]]:
        """Every record file of a folder, as bytes. The hot loop of opening (8,500 files at 100,000 results), so it
        reads with plain `open` on names and builds a Path only for a file that needs recovery."""
        settle_temp_files(folder)
        base = str(folder)
        for name in json_names(folder):
            try:
                with open(os.path.join(base, name), "rb") as handle:  # noqa: PTH118, PTH123  # no Path per file: speed
                    yield name, handle.read()
            except OSError as error:
                self.note("unreadable", path=folder / name, reason=error.strerror or error)
