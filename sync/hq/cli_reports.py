"""`inspector hq report bulletin`, `inspector hq export` and `inspector hq reindex`: reports from HQ's read model.

The bulletin and the exports are the laptop's own report code (inspector/reports/) reading HqSource instead of a
store, with days counted in China's time; `reindex` derives the read model again from the stored records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from checklists.i18n import Catalogue
from inspector.core.ids import utcnow
from inspector.reports.facts import Filters
from sync.hq.cli import EXIT_ERROR, EXIT_OK, _line, _open_db, say
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.readmodel import REPORT_TZ

__all__ = ["bulletin_main", "export_main", "notice_main", "reindex_main", "today_at_hq"]

TEXT = Catalogue(
    "hq.cli_reports",
    {
        "reindex_same": (
            "读模型与存储的记录一致（检查 {inspections} 条、问题 {problems} 条）",
            "the read model matches the stored records (inspections: {inspections}, problems: {problems})",
        ),
        "reindex_fixed": (
            "读模型与存储的记录不一致，已重建：检查 {inspections} 行、条目 {items} 行、问题 {problems} 行不同",
            "the read model differed from the stored records and was rebuilt: {inspections} inspection rows, "
            "{items} item rows, {problems} problem rows differed",
        ),
        "reindex_differs": (
            "读模型与存储的记录不一致：检查 {inspections} 行、条目 {items} 行、问题 {problems} 行不同"
            "（未修改；去掉 --check 即重建）",
            "the read model differs from the stored records: {inspections} inspection rows, {items} item rows, "
            "{problems} problem rows (nothing changed; run without --check to rebuild)",
        ),
    },
)


def bulletin_main(
    db_url: str | None,
    data_dir: Path,
    date_from: date,
    date_to: date,
    batch: str | None,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    lang: str | None = None,
    **given: Any,
) -> int:
    """The bulletin over HQ's read model. `given` are the command's options (issue_no, issuer, list_size,
    min_inspections: None when not given, then HQ's settings decide; fmt, close_by). A numbered issue written to a
    file moves `bulletin.next_issue` on (audited) and says which number comes next."""
    from inspector.reports import bulletin
    from inspector.reports.settings import SETTINGS_TEXT, bulletin_keywords, next_issue_text
    from sync.hq.services import settings
    from sync.hq.services.audit import HQ_ADMIN
    from sync.hq.services.report_source import HqSource

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        stored = settings.values(db)
        keywords, defaults = bulletin_keywords(stored, given)
        code = bulletin.bulletin_main(
            HqSource(db),
            date_from,
            date_to,
            output,
            out,
            err,
            lang or "zh",
            today_at_hq(),
            REPORT_TZ,
            batch,
            **keywords,  # type: ignore[arg-type]
        )
        if code != EXIT_OK or not defaults.numbered or output is None:
            return code
        settings.advance_issue(db, defaults.number, actor=HQ_ADMIN, now=utcnow())
    finally:
        db.dispose()
    next_no = next_issue_text(stored, defaults.number)
    _line(out, say(SETTINGS_TEXT, "issued", lang, issue_no=defaults.issue_no, next_no=next_no))
    return EXIT_OK


def notice_main(
    db_url: str | None,
    data_dir: Path,
    unit: str,
    output: Path,
    out: TextIO,
    err: TextIO,
    lang: str | None = None,
    **options: Any,
) -> int:
    """A unit's 整改通知书 from HQ's read model, with the before-photos HQ holds (DATA_DIR/hq/attachments); its
    发文单位 is HQ's setting `bulletin.issuer` unless the command names one."""
    from inspector.reports import notice
    from inspector.reports.settings import ISSUER
    from sync.hq.services import settings
    from sync.hq.services.report_source import HqSource

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        if options.get("issuer") is None:
            options["issuer"] = settings.get(db, ISSUER) or ""
        source = HqSource(db, data_dir / "hq" / "attachments")
        return notice.notice_main(source, unit, output, out, err, lang or "zh", today_at_hq(), REPORT_TZ, **options)
    finally:
        db.dispose()


def export_main(
    db_url: str | None,
    data_dir: Path,
    fmt: str,
    output: Path | None,
    filters: Filters,
    out: TextIO,
    err: TextIO,
    lang: str | None = None,
    parts: Sequence[str] = ("problems",),
) -> int:
    """The ledger by default (`parts`: export.PARTS): a city-year's item results are 1.6 million rows, written only
    when asked for."""
    from inspector.reports import export
    from sync.hq.services.report_source import HqSource

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        source = HqSource(db, data_dir / "hq" / "attachments")  # the xlsx ledger's thumbnails, when it is small
        return export.export_main(source, fmt, output, out, err, lang or "zh", today_at_hq(), REPORT_TZ, filters, parts)
    finally:
        db.dispose()


def reindex_main(
    db_url: str | None, data_dir: Path, check: bool, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    """Exit 0 when the model matched (or was rebuilt), 1 under --check when it differs: a monitor can alert."""
    from sqlalchemy import func, select

    from sync.hq.db.models import rm_inspections, rm_problems
    from sync.hq.services import audit
    from sync.hq.services.readmodel import rebuild

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        with db.write() as w:
            found = rebuild(w.conn, apply=not check)
            counts = {
                "inspections": w.conn.execute(select(func.count()).select_from(rm_inspections)).scalar_one(),
                "problems": w.conn.execute(select(func.count()).select_from(rm_problems)).scalar_one(),
            }
            if found.any and not check:
                audit.record(
                    w.conn,
                    action="reindex",
                    actor="hq-admin",
                    at=utcnow(),
                    inspections=found.inspections,
                    items=found.items,
                    problems=found.problems,
                )
    finally:
        db.dispose()
    values = {"inspections": found.inspections, "items": found.items, "problems": found.problems}
    if not found.any:
        _line(out, say(TEXT, "reindex_same", lang, **counts))
        return EXIT_OK
    if check:
        _line(out, say(TEXT, "reindex_differs", lang, **values))
        return EXIT_ERROR
    _line(out, say(TEXT, "reindex_fixed", lang, **values))
    return EXIT_OK
