"""`inspector hq settings set KEY VALUE` and `inspector hq settings list`: what an office sets once for its reports.

The keys and their rules are inspector/reports/settings.py's (the bulletin's 期号 and 发文单位, the 红黑榜 rules);
the values live in HQ's database (services/settings.py), each change in the audit log as `setting`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue
from inspector.core.ids import utcnow
from inspector.reports.settings import KEYS, SETTINGS_TEXT
from sync.hq.cli import EXIT_ERROR, EXIT_OK, _error, _line, _open_db, _table, _when, say
from sync.hq.services.errors import HqError

TEXT = Catalogue(
    "hq.cli_settings",
    {
        "set": ("已设置 {name} = {value}", "set {name} = {value}"),
        "same": ("{name} 已是 {value}，未改动", "{name} is {value} already: nothing changed"),
        "col.key": ("设置", "setting"),
        "col.value": ("值", "value"),
        "col.meaning": ("说明", "meaning"),
        "col.updated": ("修改时间", "changed"),
        "col.by": ("修改人", "by"),
        "default": ("（默认）", "(default)"),
        "unset": ("（未设置）", "(not set)"),
    },
)


def set_main(
    db_url: str | None, data_dir: Path, key: str, value: str, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    from sync.hq.services.audit import HQ_ADMIN
    from sync.hq.services.settings import set_setting

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        stored, changed = set_setting(db, key, value, actor=HQ_ADMIN, now=utcnow())
    except HqError as exc:
        _line(err, _error(exc, lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    _line(out, say(TEXT, "set" if changed else "same", lang, name=key, value=stored))
    return EXIT_OK


def list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str | None = None) -> int:
    from sync.hq.services.settings import list_settings

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = list_settings(db)
    finally:
        db.dispose()
    shown = lang or "zh"
    rows = []
    for s in found:
        if s.updated_at is None:
            value = f"{s.value} {TEXT('default', shown)}" if s.value else TEXT("unset", shown)
        else:
            value = s.value
        meaning = SETTINGS_TEXT(f"key.{s.key}", shown) if s.key in KEYS else ""
        rows.append([s.key, value, meaning, _when(s.updated_at), s.updated_by or "-"])
    keys = ("col.key", "col.value", "col.meaning", "col.updated", "col.by")
    _table(out, [TEXT(k, shown) for k in keys], rows)
    return EXIT_OK
