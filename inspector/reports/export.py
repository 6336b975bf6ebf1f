"""`inspector export`: the problem ledger and the inspection results as JSON, CSV or an Excel workbook.

The ledger's columns are the ones 督查 offices use in their published problem lists (温州's 汇总表, 荆州's 问题清单),
with what a 创城办 tracks a problem by through to 销号: 序号, 问题编号, 批次, 街道, 社区, 点位, 条目编号, 检查条目,
存在问题, 问题类型 (数字城管 code and name), 严重程度, 发现人, 发现时间, 照片, 责任单位, 整改时限, 状态, 交办时间,
整改情况, 复查结论, 销号时间, 反弹次数, 逾期天数 (LEDGER_KEYS; the same at HQ and on the laptop). Alongside it go
the per-item results of every inspection and each site's 得分率, because the office reads the two together.

Outputs:
- json: one document (stdout without -o): inspections with their item results and 得分率, problems with their
  events and their ledger state (status, 逾期, due date, conflicts).
- csv: three files, `-o ledger.csv` writing ledger.csv, ledger-inspections.csv and ledger-scores.csv, all UTF-8
  with a BOM: Excel guesses the legacy GBK code page without it and shows Chinese as mojibake.
- xlsx: sheets 问题台账, 检查结果 and 得分率; bold frozen header row, filters, column widths by content. In the
  ledger the 照片 cell holds the count and the names, and, where the photo file is on this computer (the laptop's
  store, HQ's photo folder), a thumbnail of the first photo sits in the cell, its row made tall enough: in ledgers
  of at most THUMBNAILS problems (a unit's, a street's), written by openpyxl, which can embed pictures; a larger one
  (a city's year) names its photos and is written by the much faster xlsx.py (the command says so).
Without -o, csv and xlsx are written to the current folder as inspector-ledger-<today>.*, and the paths are printed.
"""

from __future__ import annotations

import csv
import itertools
import json
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

from checklists.i18n import LANGS, Catalogue, Plural
from inspector.core.problems import ProblemStatus, deadline_text
from inspector.core.records import Severity
from inspector.reports import (
    Filters,
    OutputError,
    ReportData,
    ReportSource,
    ReportStore,
    SourceError,
    Tally,
    load_report_data,
    write_atomically,
)
from inspector.reports.cg import cg_label
from inspector.reports.facts import InspectionFact, ProblemFact, problem_number

__all__ = [
    "EXPORT",
    "LEDGER_COLUMNS",
    "LEDGER_KEYS",
    "PARTS",
    "SHEET_NAMES",
    "export_main",
    "ledger_rows",
    "photo_names",
]

Cell = str | int | float | None

EXPORT = Catalogue(
    "export",
    {
        "export.ledger.no": ("序号", "No."),
        "export.ledger.number": ("问题编号", "Problem no."),
        "export.ledger.batch": ("批次", "Round"),
        "export.ledger.street": ("街道", "Street"),
        "export.ledger.community": ("社区", "Community"),
        "export.ledger.site": ("点位", "Site"),
        "export.ledger.item_code": ("条目编号", "Item code"),
        "export.ledger.item": ("检查条目", "Checklist item"),
        "export.ledger.problem": ("存在问题", "Problem"),
        "export.ledger.type": ("问题类型", "Problem type (city management code)"),
        "export.ledger.severity": ("严重程度", "Severity"),
        "export.ledger.found_by": ("发现人", "Found by"),
        "export.ledger.found": ("发现时间", "Found"),
        "export.ledger.photos": ("照片", "Photos"),
        "export.ledger.responsible_unit": ("责任单位", "Responsible unit"),
        "export.ledger.deadline": ("整改时限", "Deadline"),
        "export.ledger.status": ("状态", "Status"),
        "export.ledger.assigned": ("交办时间", "Assigned"),
        "export.ledger.rectification": ("整改情况", "Rectification"),
        "export.ledger.re_inspection": ("复查结论", "Re-inspection"),
        "export.ledger.closed": ("销号时间", "Closed"),
        "export.ledger.reopened": ("反弹次数", "Times reopened"),
        "export.ledger.overdue_days": ("逾期天数", "Days overdue"),
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
        "export.photo_list": ("{n} 张：{names}", Plural("{n}: {names}", "{n}: {names}")),
        "export.conflicts": (
            "［{n} 条冲突待核］",
            Plural(" [{n} conflicting event to review]", " [{n} conflicting events to review]"),
        ),
        "export.thumbnails_cut": (
            "台账超过 {n} 个问题，照片只以文件名列出（缩略图只放入不超过 {n} 个问题的台账，如按单位或街道导出）\n",
            "over {n} problems: photos are named, not pictured (thumbnails go into ledgers of at most {n} problems, "
            "such as one unit's or one street's)\n",
        ),
        "export.after_photos": ("（整改后照片 {n} 张）", Plural(" ({n} after-photo)", " ({n} after-photos)")),
        "export.review_note": ("（{note}）", ": {note}"),
        "export.written": ("已写入：{paths}\n", "written: {paths}\n"),
        "export.failed": ("无法写入 {path}：{reason}\n", "cannot write {path}: {reason}\n"),
        "export.store": ("无法读取本地数据：{reason}\n", "cannot read the local data: {reason}\n"),
        "export.list_sep": ("、", ", "),
        "export.bad_parts": (
            "未知的导出内容：{parts}（可选：{known}）\n",
            "unknown export contents: {parts} (choose from: {known})\n",
        ),
    },
    prefixes=("export.verdict.", "export.severity."),  # looked up by the verdict's / severity's value
)


# What an export can hold, in the order its sheets (or files) come: the problem ledger, every inspection's item
# results, and each site's 得分率. The laptop exports all three; HQ the ledger unless asked (a city-year's item
# results are 1.6 million rows).
PARTS = ("problems", "results", "scores")


def _headings(keys: tuple[str, ...]) -> dict[str, list[str]]:
    return {lang: [EXPORT(key, lang) for key in keys] for lang in LANGS}


# The ledger's columns, in this order at HQ and on the laptop (a test pins it): a new column goes at the end, so a
# sheet someone built on the old ones keeps its column letters.
LEDGER_KEYS = (
    "export.ledger.no",
    "export.ledger.number",
    "export.ledger.batch",
    "export.ledger.street",
    "export.ledger.community",
    "export.ledger.site",
    "export.ledger.item_code",
    "export.ledger.item",
    "export.ledger.problem",
    "export.ledger.type",
    "export.ledger.severity",
    "export.ledger.found_by",
    "export.ledger.found",
    "export.ledger.photos",
    "export.ledger.responsible_unit",
    "export.ledger.deadline",
    "export.ledger.status",
    "export.ledger.assigned",
    "export.ledger.rectification",
    "export.ledger.re_inspection",
    "export.ledger.closed",
    "export.ledger.reopened",
    "export.ledger.overdue_days",
)
LEDGER_COLUMNS = _headings(LEDGER_KEYS)
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


def _sorted_problems(data: ReportData) -> list[ProblemFact]:
    return sorted(data.problems, key=lambda p: (p.found_at, data.site_name(p.site_id), p.item_code, p.id))


def photo_names(photo_ids: Sequence[str]) -> list[str]:
    """How a photo is named in a ledger: the first 8 characters of its sha256 (the JSON export has it whole)."""
    return [sha[:8] for sha in photo_ids]


def _ledger_order(data: ReportData) -> Iterator[ProblemFact]:
    """`_sorted_problems`' order, streamed: the source gives the problems by found_at, and only those found at the
    same instant are held to be put in order by site name, item and id."""
    stream = data.source.problems_by_time(data.filters)
    for _, same in itertools.groupby(stream, key=lambda p: p.found_at):
        yield from sorted(same, key=lambda p: (data.site_name(p.site_id), p.item_code, p.id))


def ledger_rows(
    data: ReportData,
    today: date,
    lang: str = "zh",
    tz: tzinfo | None = None,
    problems: Iterable[ProblemFact] | None = None,
) -> Iterator[list[Cell]]:
    """One row per problem in LEDGER_COLUMNS order: `problems` as given (a console view's rows), else the
    source's, oldest first, read as they are written (`data.problems` may be left unloaded)."""
    separator = EXPORT("export.list_sep", lang)
    # Words that repeat from row to row, looked up once each: a city's ledger is 150,000 rows.
    rules: dict[tuple[str, int], str] = {}
    labels: dict[ProblemStatus | Severity, str] = {}
    for number, problem in enumerate(_ledger_order(data) if problems is None else problems, start=1):
        due = problem.due.isoformat()
        rule_key = (problem.deadline.kind.value, problem.deadline.n)
        rule = rules.get(rule_key)
        if rule is None:
            rule = rules[rule_key] = deadline_text(problem.deadline, lang)
        limit = EXPORT("export.deadline", lang, rule=rule, due=due)
        status = labels.get(problem.status) or labels.setdefault(problem.status, problem.status.label(lang))
        severity = labels.get(problem.severity) or labels.setdefault(
            problem.severity, EXPORT(f"export.severity.{problem.severity.value}", lang)
        )
        if problem.conflicts:
            status += EXPORT("export.conflicts", lang, n=problem.conflicts)
        fix = problem.rectification_note
        if problem.after_photos:
            fix += EXPORT("export.after_photos", lang, n=problem.after_photos)
        review = ""
        if problem.review is not None:
            review = problem.review.label(lang)
            if problem.review_note:
                review += EXPORT("export.review_note", lang, note=problem.review_note)
        names = photo_names(problem.photo_ids)
        photos: Cell = problem.photos
        if names:
            photos = EXPORT("export.photo_list", lang, n=problem.photos, names=separator.join(names))
        site = data.sites.get(problem.site_id)
        yield [
            number,
            problem_number(problem),
            problem.batch,
            site.street if site else "",
            site.community if site else "",
            data.site_name(problem.site_id),
            problem.item_code,
            problem.item_text,
            problem.description,
            cg_label(problem.cg_code),
            severity,
            problem.found_by,
            _when(problem.found_at, tz),
            photos,
            problem.responsible_unit,
            limit,
            status,
            problem.assigned_on.isoformat() if problem.assigned_on else "",
            fix.strip(),
            review,
            _when(problem.closed_at, tz) if problem.closed_at else "",
            problem.reopened,
            problem.overdue_days(today),
        ]


def _sorted_inspections(data: ReportData) -> list[InspectionFact]:
    return sorted(data.inspections, key=lambda i: (i.day, data.site_name(i.site_id)))


def _result_rows(data: ReportData, lang: str) -> Iterator[list[Cell]]:
    """One row per checklist item of every inspection, unanswered items included so gaps are visible."""
    inspections = _sorted_inspections(data)
    by_id = {i.id: i for i in inspections}
    heads: dict[str, list[Cell]] = {}
    for item in data.source.item_facts([i.id for i in inspections]):
        head = heads.get(item.inspection_id)
        if head is None:
            heads.clear()  # items come inspection by inspection: one head is enough
            inspection = by_id[item.inspection_id]
            site = data.sites.get(inspection.site_id)
            status = EXPORT("export.status.submitted" if inspection.submitted else "export.status.draft", lang)
            head = heads[item.inspection_id] = [
                data.site_name(inspection.site_id),
                site.street if site else "",
                site.community if site else "",
                inspection.day.isoformat(),
                inspection.inspector,
                inspection.batch,
                inspection.checklist,
                status,
            ]
        yield [
            *head,
            item.code,
            item.title,
            EXPORT(f"export.verdict.{item.verdict.value if item.verdict else 'none'}", lang),
            EXPORT(f"export.severity.{item.severity.value}", lang) if item.severity else "",
            item.description,
            item.photos,
            item.exemption,
        ]


@dataclass(frozen=True, slots=True)
class _SiteScore:
    site_id: str
    count: int
    last_day: date
    last: Tally
    overall: Tally


def _site_scores(data: ReportData) -> list[_SiteScore]:
    """得分率 per site from submitted inspections: the latest one, and all of them pooled."""
    by_site: dict[str, list[InspectionFact]] = {}
    for inspection in data.inspections:
        if inspection.submitted:
            by_site.setdefault(inspection.site_id, []).append(inspection)
    scores: list[_SiteScore] = []
    for site_id, inspections in by_site.items():
        inspections.sort(key=lambda i: (i.day, i.counted_at))
        overall = sum((i.counts for i in inspections), Tally())
        last = inspections[-1]
        scores.append(_SiteScore(site_id, len(inspections), last.day, last.counts, overall))

    def key(score: _SiteScore) -> tuple[str, str, str]:
        site = data.sites.get(score.site_id)
        return (site.street, site.community, site.name) if site else ("", "", score.site_id)

    return sorted(scores, key=key)


def _score_rows(data: ReportData, rate: Callable[[Tally], Cell]) -> Iterator[list[Cell]]:
    for score in _site_scores(data):
        site = data.sites.get(score.site_id)
        yield [
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


# json -----------------------------------------------------------------------------------------------------------


def _json_document(data: ReportData, today: date, parts: Collection[str] = PARTS) -> dict[str, Any]:
    """The records whole, each with what the reports derived from it (its score; a problem's ledger state): the
    inspections for the results and scores parts, the problems for the problems part, each key only when asked."""
    inspections = {i.id: i for i in data.inspections}
    problems = {p.id: p for p in data.problems}
    out_inspections: list[dict[str, Any]] = []
    out_problems: list[dict[str, Any]] = []
    for kind, record in data.source.documents(list(inspections), list(problems)):
        record["site_name"] = data.site_name(record.get("site_id", ""))
        if kind == "inspection" and (fact := inspections.get(record["id"])) is not None:
            counts = fact.counts
            record["score"] = {
                "passed": counts.passed,
                "failed": counts.failed,
                "not_applicable": counts.not_applicable,
                "rate": counts.rate,
            }
            out_inspections.append(record)
        elif kind == "problem" and (problem := problems.get(record["id"])) is not None:
            record["ledger"] = {
                "number": problem_number(problem),
                "status": problem.status.value,
                "status_label": problem.status.label("zh"),
                "overdue": problem.overdue_days(today) > 0,
                "due": problem.due.isoformat(),
                "responsible_unit": problem.responsible_unit,
                "deadline": problem.deadline.model_dump(mode="json"),
                "closed_at": problem.closed_at.isoformat() if problem.closed_at else None,
                "conflicts": problem.conflicts,
                "overdue_days": problem.overdue_days(today),
                "extended": problem.extended,
                "fixed_on": problem.fixed_on.isoformat() if problem.fixed_on else None,
            }
            out_problems.append(record)
    order = {p.id: n for n, p in enumerate(_sorted_problems(data))}
    out_problems.sort(key=lambda r: order[r["id"]])
    document: dict[str, Any] = {"format": "inspector-export", "version": 2, "exported_on": today.isoformat()}
    if _wants_inspections(parts):
        document["inspections"] = out_inspections
    if "problems" in parts:
        document["problems"] = out_problems
    return document


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


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows([_csv_cell(cell) for cell in row] for row in rows)

    write_atomically(path, write)


def _display_width(value: Cell) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# Excel opens at most 1,048,576 rows per sheet, the header included: HQ's 1.6 million item results of a city-year
# continue on further sheets.
SHEET_ROWS = 1_048_575

# Column widths are measured on the first rows: a streamed sheet must set them before any row is written.
WIDTH_SAMPLE_ROWS = 500

# Ledger thumbnails: at most this many per workbook, each at most THUMB_SIZE pixels (width, height).
THUMBNAILS = 1000
THUMB_SIZE = (120, 90)
PHOTO_COLUMN = LEDGER_KEYS.index("export.ledger.photos") + 1  # 1-based, as openpyxl counts


def _write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]], set[int]]]) -> None:
    """Streamed (xlsx.py): memory stays flat however many rows, which HQ's 150,000-problem exports need. Each sheet
    has a bold frozen header, a filter, widths by content and percentages formatted."""
    from inspector.reports.xlsx import Workbook

    def write(target: Path) -> None:
        with Workbook(target) as book:
            for title, header, rows, percent_columns in sheets:
                stream = iter(rows)
                sample = [row for _, row in zip(range(WIDTH_SAMPLE_ROWS), stream, strict=False)]
                widest = [
                    max([_display_width(name), *(_display_width(row[i]) for row in sample)])
                    for i, name in enumerate(header)
                ]
                widths = [min(max(w + 2, 6), 60) for w in widest]
                wrapped = {i for i, w in enumerate(widest, start=1) if w > 60}
                pending = itertools.chain(sample, stream)
                part = 1
                while True:  # a sheet holds at most SHEET_ROWS rows (Excel's limit); more go on "title (2)" ...
                    sheet = book.add_sheet(
                        title if part == 1 else f"{title} ({part})",
                        header,
                        widths,
                        percent=percent_columns,
                        wrapped=wrapped,
                    )
                    for row in itertools.islice(pending, SHEET_ROWS):
                        sheet.append(row)
                    following = next(pending, None) if sheet.rows == SHEET_ROWS else None
                    if following is None:
                        break
                    pending = itertools.chain([following], pending)
                    part += 1

    write_atomically(path, write)


PhotoPaths = Callable[[Sequence[str]], list[Path]]


@dataclass(slots=True)
class _Thumbnails:
    """The ledger's thumbnails as the rows stream: the first photo of each problem that has its file here."""

    paths_of: PhotoPaths
    photo_ids: Iterator[Sequence[str]]

    def next_image(self) -> tuple[Any, int] | None:
        """The image for the row being written and its height in pixels, or None."""
        ids = next(self.photo_ids, ())
        paths = self.paths_of(ids[:1]) if ids else []
        return _thumbnail(paths[0]) if paths else None


def _thumbnail(path: Path) -> tuple[Any, int] | None:
    """A small JPEG of the photo, upright (EXIF orientation applied), as an openpyxl image; None when the file is
    not an image Pillow reads (the cell still names it)."""
    import io

    from openpyxl.drawing.image import Image as SheetImage
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as photo:
            small = ImageOps.exif_transpose(photo).convert("RGB")
            small.thumbnail(THUMB_SIZE)
            buffer = io.BytesIO()
            small.save(buffer, format="JPEG", quality=80)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    buffer.seek(0)
    image = SheetImage(buffer)
    return image, int(image.height)


def _write_xlsx_with_thumbnails(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Cell]], set[int]]],
    thumbnails: _Thumbnails,
) -> None:
    """A ledger small enough for pictures (at most THUMBNAILS problems), through openpyxl, which can embed them
    (our own writer, xlsx.py, cannot, and is some ten times faster for a city's export): the same sheets as
    `_write_xlsx`, and the first sheet's 照片 column gets `thumbnails`."""
    from openpyxl import Workbook  # deferred: openpyxl costs a noticeable part of a second to import
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for number, (title, header, rows, percent_columns) in enumerate(sheets):
        pictures = thumbnails if number == 0 else None
        stream = iter(rows)
        sample = [row for _, row in zip(range(WIDTH_SAMPLE_ROWS), stream, strict=False)]
        widths = [
            max([_display_width(name), *(_display_width(row[i]) for row in sample)]) for i, name in enumerate(header)
        ]
        wrapped = {i for i, widest in enumerate(widths, start=1) if widest > 60}
        pending = itertools.chain(sample, stream)
        part = 1
        while True:  # a sheet holds at most SHEET_ROWS rows (Excel's limit); more go on "title (2)", "title (3)" ...
            sheet: Worksheet = book.create_sheet(title if part == 1 else f"{title} ({part})")
            for index, widest in enumerate(widths, start=1):
                width = min(max(widest + 2, 6), 60)
                if pictures is not None and index == PHOTO_COLUMN:
                    width = max(width, THUMB_SIZE[0] // 7 + 2)  # a column width is about 7 pixels a unit
                sheet.column_dimensions[get_column_letter(index)].width = width
            sheet.freeze_panes = "A2"
            head = []
            for name in header:
                cell = WriteOnlyCell(sheet, value=name)
                cell.font = bold
                head.append(cell)
            sheet.append(head)
            count = 0
            for row in itertools.islice(pending, SHEET_ROWS):
                picture = pictures.next_image() if pictures is not None else None
                if picture is not None:
                    image, height = picture
                    image.anchor = f"{get_column_letter(PHOTO_COLUMN)}{count + 2}"
                    sheet.add_image(image)
                    # points (a pixel is 0.75 pt), and a line below the picture for the cell's own text, which Excel
                    # sets at the bottom
                    sheet.row_dimensions[count + 2].height = height * 0.75 + 18
                sheet.append(_row_cells(sheet, row, percent_columns, wrapped, wrap))
                count += 1
            if count:
                sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
            following = next(pending, None) if count == SHEET_ROWS else None
            if following is None:
                break
            pending = itertools.chain([following], pending)
            part += 1
    write_atomically(path, lambda target: book.save(target))


def _row_cells(sheet: Any, row: Sequence[Cell], percent_columns: set[int], wrapped: set[int], wrap: Any) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    out = []
    for column, value in enumerate(row, start=1):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith("="):  # a formula in openpyxl's eyes: keep it text
            cell.data_type = "s"
        if column in percent_columns and isinstance(value, float):
            cell.number_format = "0.0%"
        if column in wrapped:
            cell.alignment = wrap
        out.append(cell)
    return out


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


def _wants_inspections(parts: Collection[str]) -> bool:
    return "results" in parts or "scores" in parts


def export_main(
    store: ReportStore | ReportSource,
    fmt: str,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    today: date | None = None,
    tz: tzinfo | None = None,
    filters: Filters | None = None,
    parts: Collection[str] = PARTS,
) -> int:
    """Write the export of `parts` (PARTS: the ledger, the item results, the site scores; a sheet or a file each,
    in that order); 0 when done, 1 with a message naming the path when it cannot be written. Only what a part
    needs is read: the ledger alone reads no inspection, and item results are read only for the results part."""
    today = today or date.today()
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        err.write(EXPORT("export.bad_parts", lang, parts=", ".join(unknown), known=", ".join(PARTS)))
        return 1
    try:
        # The ledger streams its problems from the source (ledger_rows); only JSON holds them all in memory.
        problems = "problems" in parts and fmt == "json"
        data = load_report_data(store, tz, filters, inspections=_wants_inspections(parts), problems=problems)
    except SourceError as exc:
        err.write(EXPORT("export.store", lang, reason=exc))
        return 1
    if output is not None and output.is_dir():
        output = output / f"inspector-ledger-{today.isoformat()}.{fmt}"
    written: list[Path] = []
    code = _lang(lang)
    try:
        if fmt == "json":
            text = json.dumps(_json_document(data, today, parts), ensure_ascii=False, indent=2) + "\n"
            if output is None:
                out.write(text)
                return 0
            write_atomically(output, lambda target: target.write_text(text, encoding="utf-8"))
            written.append(output)
        elif fmt == "csv":
            paths = _csv_paths(output or Path(f"inspector-ledger-{today.isoformat()}.csv"))
            files: dict[str, tuple[Path, Sequence[str], Callable[[], Iterable[Sequence[Cell]]]]] = {
                "problems": (paths[0], LEDGER_COLUMNS[code], lambda: ledger_rows(data, today, lang, tz)),
                "results": (paths[1], RESULT_COLUMNS[code], lambda: _result_rows(data, lang)),
                "scores": (paths[2], SCORE_COLUMNS[code], lambda: _score_rows(data, _rate_text)),
            }
            for part in PARTS:
                if part in parts:
                    path, header, rows = files[part]
                    _write_csv(path, header, rows())
                    written.append(path)
        elif fmt == "xlsx":
            path = output or Path(f"inspector-ledger-{today.isoformat()}.xlsx")
            ledger_name, results_name, scores_name = SHEET_NAMES[code]
            facts, thumbnails, too_many = _pictured(data) if "problems" in parts else (None, None, False)
            sheets = {
                "problems": (ledger_name, LEDGER_COLUMNS[code], ledger_rows(data, today, lang, tz, facts), set()),
                "results": (results_name, RESULT_COLUMNS[code], _result_rows(data, lang), set()),
                "scores": (scores_name, SCORE_COLUMNS[code], _score_rows(data, _rate_number), {6, 10}),
            }
            chosen = [sheets[part] for part in PARTS if part in parts]
            if thumbnails is not None:
                _write_xlsx_with_thumbnails(path, chosen, thumbnails)
            else:
                _write_xlsx(path, chosen)
            written.append(path)
            if too_many:
                out.write(EXPORT("export.thumbnails_cut", lang, n=THUMBNAILS))
        else:
            err.write(f"unknown format: {fmt!r} (json, csv, xlsx)\n")
            return 1
    except SourceError as exc:
        err.write(EXPORT("export.store", lang, reason=exc))
        return 1
    except OutputError as exc:
        err.write(EXPORT("export.failed", lang, path=exc.path, reason=exc.cause.strerror or exc.cause))
        return 1
    separator = EXPORT("export.list_sep", lang)
    out.write(EXPORT("export.written", lang, paths=separator.join(str(p) for p in written)))
    return 0


def _pictured(data: ReportData) -> tuple[Iterable[ProblemFact] | None, _Thumbnails | None, bool]:
    """(the ledger's problems, their thumbnails, whether there were too many for pictures). Pictures go in when the
    source can say where a photo's file is (the laptop's store, HQ given its folder) and the ledger has at most
    THUMBNAILS problems: a unit's or a street's list, not a city's year, which would grow by gigabytes and must be
    written by the fast writer. The problems are read once, the first THUMBNAILS + 1 to decide."""
    paths_of = _photo_finder(data)
    if paths_of is None:
        return None, None, False
    order = _ledger_order(data)
    head = list(itertools.islice(order, THUMBNAILS + 1))
    if len(head) > THUMBNAILS:  # too many to picture: say so only if there were photos here to picture
        return itertools.chain(head, order), None, any(paths_of(p.photo_ids[:1]) for p in head if p.photo_ids)
    return head, _Thumbnails(paths_of, (p.photo_ids for p in head)), False


def _photo_finder(data: ReportData) -> PhotoPaths | None:
    """Where the photos' files are, when the source can say (the laptop's store, HQ given its folder)."""
    locate = getattr(data.source, "photo_path", None)
    if locate is None:
        return None

    def paths_of(photo_ids: Sequence[str]) -> list[Path]:
        found = (locate(sha) for sha in photo_ids)
        return [path for path in found if isinstance(path, Path)]

    return paths_of


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def write_ledger(
    path: Path,
    fmt: str,
    data: ReportData,
    problems: Sequence[ProblemFact],
    today: date,
    lang: str = "zh",
    tz: tzinfo | None = None,
) -> None:
    """The ledger alone, one xlsx sheet or one CSV, with the columns of every ledger, of exactly `problems` in their
    order: what HQ's console downloads for the view on screen (pictured when it is small enough and the source knows
    where the photos are). Raises OutputError when the file cannot be written."""
    code = _lang(lang)
    rows = ledger_rows(data, today, lang, tz, problems)
    if fmt == "csv":
        _write_csv(path, LEDGER_COLUMNS[code], rows)
        return
    sheet = (SHEET_NAMES[code][0], LEDGER_COLUMNS[code], rows, set[int]())
    paths_of = _photo_finder(data)
    if paths_of is not None and len(problems) <= THUMBNAILS:
        _write_xlsx_with_thumbnails(path, [sheet], _Thumbnails(paths_of, (p.photo_ids for p in problems)))
    else:
        _write_xlsx(path, [sheet])
