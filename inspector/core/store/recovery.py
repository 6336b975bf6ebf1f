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
from inspector.core.store.fileformat import Damage, resealed, verified_body
from inspector.core.store.layout import json_names
from inspector.core.store.storage import atomic_write_bytes, backup_path, quarantine, settle_temp_files

_T = TypeVar("_T")


def record_id(path: Path) -> str:
    """The record a file holds, for a note: its name without `.json` (a record's file is named by its id)."""
    return path.name.removesuffix(".json")


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
        return self.parsed_or_recovered(path, payload, parse, kind, lost_key=lost_key)

    def recover(
        self,
        path: Path,
        parse: Callable[[bytes], _T],
        kind: str,
        reason: str,
        lost_key: str = "damaged_lost",
        *,
        on_lost: Callable[[str, Path], _T | None] | None = None,
        restored_key: Callable[[_T], str] | None = None,
    ) -> _T | None:
        """Move a damaged file aside and put its backup in its place when the backup parses.

        Without a usable backup, `on_lost(reason, aside)` may bring the record back from elsewhere (it says so in
        its own note); else the record is lost, with `lost_key`'s note. `restored_key` picks the note of a restore
        when the backup says more than "the last change may be missing" (a submitted inspection whose backup is
        its draft)."""
        self._forget(path)
        aside = quarantine(path)
        try:
            payload = backup_path(path).read_bytes()
            value = parse(payload)
        except (OSError, Damage):
            if on_lost is not None:
                return on_lost(reason, aside)
            self.note(lost_key, what=self.what(kind), path=path, id=record_id(path), reason=reason, aside=aside.name)
            return None
        atomic_write_bytes(path, payload)
        key = restored_key(value) if restored_key is not None else "damaged_restored"
        self.note(key, what=self.what(kind), path=path, id=record_id(path), reason=reason, aside=aside.name)
        return value

    def parsed_or_recovered(
        self,
        path: Path,
        payload: bytes,
        parse: Callable[[bytes], _T],
        kind: str,
        *,
        lost_key: str = "damaged_lost",
        version: Callable[[_T], object] | None = None,
        on_lost: Callable[[str, Path], _T | None] | None = None,
        restored_key: Callable[[_T], str] | None = None,
    ) -> _T | None:
        """Parse a file read already; damage is recovered (`recover`), and a file that validates although its
        checksum fails is reported (`_edited`): nothing the store did not write is taken in silence."""
        try:
            value = parse(payload)
        except Damage as damage:
            return self.recover(path, parse, kind, damage.reason, lost_key, on_lost=on_lost, restored_key=restored_key)
        if verified_body(payload) is None:
            return self._edited(path, payload, value, parse, kind, version)
        return value

    def _edited(
        self,
        path: Path,
        payload: bytes,
        value: _T,
        parse: Callable[[bytes], _T],
        kind: str,
        version: Callable[[_T], object] | None,
    ) -> _T:
        """A file that validates but whose checksum fails: edited by hand, or damaged where it still makes sense.

        Its backup replaces it only when the backup is intact and holds the same version of the record (`version`,
        the sync rev): then nothing saved is lost. Otherwise the backup is older than the last save and the file is
        kept as it is, sealed with a fresh checksum so it is reported once. Either way its bytes are kept aside."""
        self._forget(path)
        what, rid = self.what(kind), record_id(path)
        if version is not None:
            try:
                backup = backup_path(path).read_bytes()
                previous = parse(backup) if verified_body(backup) is not None else None
            except (OSError, Damage):
                previous = None
            if previous is not None and version(previous) == version(value):
                aside = quarantine(path)
                atomic_write_bytes(path, backup)
                self.note("edited_restored", what=what, path=path, id=rid, aside=aside.name)
                return previous
        aside = quarantine(path)  # the bytes as found, for a person to compare
        atomic_write_bytes(path, resealed(payload))
        self.note("edited_kept", what=what, path=path, id=rid, aside=aside.name)
        return value

    def reread(
        self, path: Path, parse: Callable[[bytes], _T], kind: str, restored_key: Callable[[_T], str] | None = None
    ) -> _T | None:
        """Read a file again (its body was left for later at open); damage found now is recovered like at open."""
        try:
            payload = path.read_bytes()
        except OSError as error:
            self.note("unreadable", path=path, reason=error.strerror or error)
            return None
        self._forget(path)
        return self.parsed_or_recovered(path, payload, parse, kind, restored_key=restored_key)

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
