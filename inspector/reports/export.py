"""`inspector export`: the problem ledger and the inspection results as JSON, CSV or an Excel workbook.

The ledger's columns are the ones 督查 offices use in their published problem lists (温州's 汇总表, 荆州's 问题清单):
序号, 点位, 存在问题, 责任单位, 整改时限, 状态, 发现时间, 整改情况, 复查结论. Alongside it go the per-item results of
every inspection and each site's 得分率, because the office reads the two together.

Outputs:
- json: one document (stdout without -o): inspections with their item results and 得分率, problems with their
  events and their ledger state (status, 逾期, due date, conflicts).
- csv: three files, `-o ledger.csv` writing ledger.csv, ledger-inspections.csv and ledger-scores.csv, all UTF-8
  with a BOM: Excel guesses the legacy GBK code page without it and shows Chinese as mojibake.
- xlsx: sheets 问题台账, 检查结果 and 得分率; bold frozen header row, filters, column widths by content.
Without -o, csv and xlsx are written to the current folder as inspector-ledger-<today>.*, and the paths are printed.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

from checklists.i18n import LANGS, Catalogue, Plural
from inspector.core.problems import deadline_text, is_overdue
from inspector.core.records import Inspection, Problem, Verdict
from inspector.core.store import StoreError
from inspector.reports import (
    OutputError,
    ReportData,
    ReportStore,
    Tally,
    inspection_day,
    load_report_data,
    tally,
    write_atomically,
)

__all__ = ["EXPORT", "LEDGER_COLUMNS", "SHEET_NAMES", "export_main", "ledger_rows"]

Cell = str | int | float | None

EXPORT = Catalogue(
    "export",
    {
        "export.ledger.no": ("序号", "No."),
        "export.ledger.site": ("点位", "Site"),
        "export.ledger.problem": ("存在问题", "Problem"),
        "export.ledger.responsible_unit": ("责任单位", "Responsible unit"),
        "export.ledger.deadline": ("整改时限", "Deadline"),
        "export.ledger.status": ("状态", "Status"),
        "export.ledger.found": ("发现时间", "Found"),
        "export.ledger.rectification": ("整改情况", "Rectification"),
        "export.ledger.re_inspection": ("复查结论", "Re-inspection"),
        "export.results.site": ("点位", "Site"),
        "export.results.street": ("街道", "Street"),
        "export.results.community": ("社区", "Community"),
        "export.results.date": ("检查日期", "Date"),
        "export.results.inspector": ("检查人", "Inspector"),
        "export.results.round": ("批次", "Round"),
        "export.results.checklist": ("检查表", "Checklist"),
        "export.results.status": ("状态", "Status"),
        "export.results.item_code": ("条目编号", "Item code"),
        "export.results.item": ("检查条目", "Item"),
        "export.results.verdict": ("结论", "Verdict"),
        "export.results.severity": ("严重程度", "Severity"),
        "export.results.description": ("问题描述", "Description"),
        "export.results.photos": ("照片数", "Photos"),
        "export.results.exemption": ("豁免说明", "Exemption"),
        "export.scores.site": ("点位", "Site"),
        "export.scores.street": ("街道", "Street"),
        "export.scores.community": ("社区", "Community"),
        "export.scores.inspections": ("检查次数", "Inspections"),
        "export.scores.last_inspected": ("最近检查", "Last inspected"),
        "export.scores.last_score_rate": ("最近得分率", "Last score rate"),
        "export.scores.pass": ("符合", "Pass"),
        "export.scores.fail": ("不符合", "Fail"),
        "export.scores.n_a": ("不适用", "N/A"),
        "export.scores.overall_score_rate": ("累计得分率", "Overall score rate"),
        "export.sheet.problems": ("问题台账", "Problems"),
        "export.sheet.inspections": ("检查结果", "Inspections"),
        "export.sheet.score_rates": ("得分率", "Score rates"),
        "export.verdict.pass": ("符合", "pass"),
        "export.verdict.fail": ("不符合", "fail"),
        "export.verdict.na": ("不适用", "n/a"),
        "export.verdict.none": ("未检查", "unanswered"),
        "export.severity.minor": ("一般", "minor"),
        "export.severity.major": ("严重", "major"),
        "export.status.submitted": ("已提交", "submitted"),
        "export.status.draft": ("草稿", "draft"),
        "export.deadline": ("{rule}（至 {due}）", "{rule} (by {due})"),
        "export.overdue": ("（逾期 {late} 天）", " (overdue {late} d)"),
        "export.conflicts": (
            "［{n} 条冲突待核］",
            Plural(" [{n} conflicting event to review]", " [{n} conflicting events to review]"),
        ),
        "export.after_photos": ("（整改后照片 {n} 张）", Plural(" ({n} after-photo)", " ({n} after-photos)")),
        "export.review_note": ("（{note}）", ": {note}"),
        "export.written": ("已写入：{paths}\n", "written: {paths}\n"),
        "export.failed": ("无法写入 {path}：{reason}\n", "cannot write {path}: {reason}\n"),
        "export.store": ("无法读取本地数据：{reason}\n", "cannot read the local data: {reason}\n"),
        "export.list_sep": ("、", ", "),
    },
    prefixes=("export.verdict.", "export.severity."),  # looked up by the verdict's / severity's value
)


def _headings(keys: tuple[str, ...]) -> dict[str, list[str]]:
    return {lang: [EXPORT(key, lang) for key in keys] for lang in LANGS}


LEDGER_COLUMNS = _headings(
    (
        "export.ledger.no",
        "export.ledger.site",
        "export.ledger.problem",
        "export.ledger.responsible_unit",
        "export.ledger.deadline",
        "export.ledger.status",
        "export.ledger.found",
        "export.ledger.rectification",
        "export.ledger.re_inspection",
    )
)
RESULT_COLUMNS = _headings(
    (
        "export.results.site",
        "export.results.street",
        "export.results.community",
        "export.results.date",
        "export.results.inspector",
        "export.results.round",
        "export.results.checklist",
        "export.results.status",
        "export.results.item_code",
        "export.results.item",
        "export.results.verdict",
        "export.results.severity",
        "export.results.description",
        "export.results.photos",
        "export.results.exemption",
    )
)
SCORE_COLUMNS = _headings(
    (
        "export.scores.site",
        "export.scores.street",
        "export.scores.community",
        "export.scores.inspections",
        "export.scores.last_inspected",
        "export.scores.last_score_rate",
        "export.scores.pass",
        "export.scores.fail",
        "export.scores.n_a",
        "export.scores.overall_score_rate",
    )
)
SHEET_NAMES = {
    lang: tuple(
        EXPORT(key, lang)
        for key in (
            "export.sheet.problems",
            "export.sheet.inspections",
            "export.sheet.score_rates",
        )
    )
    for lang in LANGS
}


def _when(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# rows -----------------------------------------------------------------------------------------------------------


def _sorted_problems(data: ReportData) -> list[Problem]:
    return sorted(data.problems, key=lambda p: (p.found_at, data.site_name(p.site_id), p.item_code, p.id))


def ledger_rows(data: ReportData, today: date, lang: str = "zh", tz: tzinfo | None = None) -> list[list[Cell]]:
    """One row per problem, oldest first, in LEDGER_COLUMNS order."""
    rows: list[list[Cell]] = []
    for number, problem in enumerate(_sorted_problems(data), start=1):
        view = data.views[problem.id]
        due = view.due.isoformat()
        limit = EXPORT("export.deadline", lang, rule=deadline_text(view.deadline, lang), due=due)
        status = view.status.label(lang)
        if is_overdue(view, today):
            status += EXPORT("export.overdue", lang, late=(today - view.due).days)
        if view.conflicts:
            status += EXPORT("export.conflicts", lang, n=len(view.conflicts))
        fix = view.rectification_note
        if view.after_photos:
            fix += EXPORT("export.after_photos", lang, n=len(view.after_photos))
        review = ""
        if view.review is not None:
            review = view.review.label(lang)
            if view.review_note:
                review += EXPORT("export.review_note", lang, note=view.review_note)
        rows.append(
            [
                number,
                data.site_name(problem.site_id),
                problem.description,
                view.responsible_unit,
                limit,
                status,
                _when(problem.found_at, tz),
                fix.strip(),
                review,
            ]
        )
    return rows


def _result_rows(data: ReportData, lang: str, tz: tzinfo | None) -> list[list[Cell]]:
    """One row per checklist item of every inspection, unanswered items included so gaps are visible."""
    rows: list[list[Cell]] = []
    for inspection in sorted(data.inspections, key=lambda i: (inspection_day(i, tz), data.site_name(i.site_id))):
        site = data.sites.get(inspection.site_id)
        checklist = data.checklist_for(inspection)
        items = {item.code: item for item in checklist.items} if checklist else {}
        codes = list(items) + [code for code in inspection.results if code not in items]
        status = EXPORT("export.status.submitted" if inspection.is_submitted else "export.status.draft", lang)
        head: list[Cell] = [
            data.site_name(inspection.site_id),
            site.street if site else "",
            site.community if site else "",
            inspection_day(inspection, tz).isoformat(),
            inspection.inspector,
            inspection.batch,
            f"{inspection.checklist_id}@{inspection.checklist_version}",
            status,
        ]
        for code in codes:
            result = inspection.results.get(code)
            verdict = result.verdict if result else None
            item = items.get(code)
            severity = None
            if result is not None and verdict is Verdict.FAIL:  # a failure's severity: as recorded, else the item's
                severity = result.severity or (item.severity if item else None)
            rows.append(
                [
                    *head,
                    code,
                    item.title if item else "",
                    EXPORT(f"export.verdict.{verdict.value if verdict else 'none'}", lang),
                    EXPORT(f"export.severity.{severity.value}", lang) if severity else "",
                    result.description if result else "",
                    len(result.photos) if result else 0,
                    (result.exemption or "") if result else "",
                ]
            )
    return rows


@dataclass(frozen=True, slots=True)
class _SiteScore:
    site_id: str
    count: int
    last_day: date
    last: Tally
    overall: Tally


def _site_scores(data: ReportData, tz: tzinfo | None) -> list[_SiteScore]:
    """得分率 per site from submitted inspections: the latest one, and all of them pooled."""
    by_site: dict[str, list[Inspection]] = {}
    for inspection in data.inspections:
        if inspection.is_submitted:
            by_site.setdefault(inspection.site_id, []).append(inspection)
    scores: list[_SiteScore] = []
    for site_id, inspections in by_site.items():
        inspections.sort(key=lambda i: (inspection_day(i, tz), i.submitted_at or i.started_at))
        tallies = [tally(i, data.checklist_for(i)) for i in inspections]
        overall = sum(tallies, Tally())
        scores.append(_SiteScore(site_id, len(inspections), inspection_day(inspections[-1], tz), tallies[-1], overall))

    def key(score: _SiteScore) -> tuple[str, str, str]:
        site = data.sites.get(score.site_id)
        return (site.street, site.community, site.name) if site else ("", "", score.site_id)

    return sorted(scores, key=key)


def _score_rows(data: ReportData, tz: tzinfo | None, rate: Callable[[Tally], Cell]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for score in _site_scores(data, tz):
        site = data.sites.get(score.site_id)
        rows.append(
            [
                data.site_name(score.site_id),
                site.street if site else "",
                site.community if site else "",
                score.count,
                score.last_day.isoformat(),
                rate(score.last),
                score.overall.passed,
                score.overall.failed,
                score.overall.not_applicable,
                rate(score.overall),
            ]
        )
    return rows


# json -----------------------------------------------------------------------------------------------------------


def _json_document(data: ReportData, today: date, tz: tzinfo | None) -> dict[str, Any]:
    inspections = []
    for inspection in data.inspections:
        counts = tally(inspection, data.checklist_for(inspection))
        record = inspection.model_dump(mode="json")
        record["site_name"] = data.site_name(inspection.site_id)
        record["score"] = {
            "passed": counts.passed,
            "failed": counts.failed,
            "not_applicable": counts.not_applicable,
            "rate": counts.rate,
        }
        inspections.append(record)
    problems = []
    for problem in _sorted_problems(data):
        view = data.views[problem.id]
        record = problem.model_dump(mode="json")
        record["site_name"] = data.site_name(problem.site_id)
        record["ledger"] = {
            "status": view.status.value,
            "status_label": view.status.label("zh"),
            "overdue": is_overdue(view, today),
            "due": view.due.isoformat(),
            "responsible_unit": view.responsible_unit,
            "deadline": view.deadline.model_dump(mode="json"),
            "closed_at": view.closed_at.isoformat() if view.closed_at else None,
            "conflicts": [{"event_id": c.event.id, "reason": c.reason("zh")} for c in view.conflicts],
        }
        problems.append(record)
    return {
        "format": "inspector-export",
        "version": 1,
        "exported_on": today.isoformat(),
        "inspections": inspections,
        "problems": problems,
    }


# writing --------------------------------------------------------------------------------------------------------


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell: Cell) -> Cell:
    """Free text that starts like a formula gets a leading apostrophe, as Excel itself writes it: a description
    such as "=HYPERLINK(...)" must be shown, never evaluated when the file is opened."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows([_csv_cell(cell) for cell in row] for row in rows)

    write_atomically(path, write)


def _display_width(value: Cell) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Cell]], set[int]]]) -> None:
    from openpyxl import Workbook  # deferred: openpyxl costs a noticeable part of a second to import
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, header, rows, percent_columns in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for number, row in enumerate(rows, start=2):
            sheet.append(list(row))
            for column, value in enumerate(row, start=1):
                if isinstance(value, str) and value.startswith("="):  # openpyxl would store a formula: keep text
                    sheet.cell(row=number, column=column).data_type = "s"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
        for column in percent_columns:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, float):
                    cell.number_format = "0.0%"
        for index, name in enumerate(header, start=1):
            widest = max([_display_width(name), *(_display_width(row[index - 1]) for row in rows)])
            width = min(max(widest + 2, 6), 60)
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = width
            if widest > 60:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    write_atomically(path, lambda target: book.save(target))


def _rate_text(counts: Tally) -> Cell:
    return counts.rate_text()


def _rate_number(counts: Tally) -> Cell:
    return "—" if counts.rate is None else round(counts.rate, 4)


def _csv_paths(output: Path) -> tuple[Path, Path, Path]:
    suffix = output.suffix or ".csv"
    stem = output.name[: -len(output.suffix)] if output.suffix else output.name
    return (
        output.with_name(stem + suffix),
        output.with_name(f"{stem}-inspections{suffix}"),
        output.with_name(f"{stem}-scores{suffix}"),
    )


def export_main(
    store: ReportStore,
    fmt: str,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    today: date | None = None,
    tz: tzinfo | None = None,
) -> int:
    """Write the export; 0 when done, 1 with a message naming the path when it cannot be written."""
    today = today or date.today()
    try:
        data = load_report_data(store, tz)
    except StoreError as exc:
        err.write(EXPORT("export.store", lang, reason=exc))
        return 1
    if output is not None and output.is_dir():
        output = output / f"inspector-ledger-{today.isoformat()}.{fmt}"
    written: list[Path] = []
    try:
        if fmt == "json":
            text = json.dumps(_json_document(data, today, tz), ensure_ascii=False, indent=2) + "\n"
            if output is None:
                out.write(text)
                return 0
            write_atomically(output, lambda target: target.write_text(text, encoding="utf-8"))
            written.append(output)
        elif fmt == "csv":
            paths = _csv_paths(output or Path(f"inspector-ledger-{today.isoformat()}.csv"))
            _write_csv(paths[0], LEDGER_COLUMNS[_lang(lang)], ledger_rows(data, today, lang, tz))
            _write_csv(paths[1], RESULT_COLUMNS[_lang(lang)], _result_rows(data, lang, tz))
            _write_csv(paths[2], SCORE_COLUMNS[_lang(lang)], _score_rows(data, tz, _rate_text))
            written.extend(paths)
        elif fmt == "xlsx":
            path = output or Path(f"inspector-ledger-{today.isoformat()}.xlsx")
            ledger_name, results_name, scores_name = SHEET_NAMES[_lang(lang)]
            _write_xlsx(
                path,
                [
                    (ledger_name, LEDGER_COLUMNS[_lang(lang)], ledger_rows(data, today, lang, tz), set()),
                    (results_name, RESULT_COLUMNS[_lang(lang)], _result_rows(data, lang, tz), set()),
                    (scores_name, SCORE_COLUMNS[_lang(lang)], _score_rows(data, tz, _rate_number), {6, 10}),
                ],
            )
            written.append(path)
        else:
            err.write(f"unknown format: {fmt!r} (json, csv, xlsx)\n")
            return 1
    except OutputError as exc:
        err.write(EXPORT("export.failed", lang, path=exc.path, reason=exc.cause.strerror or exc.cause))
        return 1
    separator = EXPORT("export.list_sep", lang)
    out.write(EXPORT("export.written", lang, paths=separator.join(str(p) for p in written)))
    return 0


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"
