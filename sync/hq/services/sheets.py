"""Reading the spreadsheets HQ keeps (the 点位 registry, the assignment list) from .xlsx or .csv, pure: no database.

A file is recognised by its bytes, never by its name: an .xlsx is a zip holding `xl/workbook.xml`; a Word document,
an old .xls, a picture or a PDF renamed to .csv is refused by name. CSV is read as UTF-8 (with or without BOM),
UTF-16 with a BOM (Excel's "Unicode text"), or GB18030 (a superset of GBK: what Excel on Chinese Windows saves), and
its delimiter (comma, tab, semicolon) is taken from the header line. From an .xlsx the first sheet is read with
formulas kept as formulas (`data_only=False`), so that a formula cell is refused by name instead of silently read
as its cached value (or as nothing, when the file was written by a program that computes no values); merged cells
are refused too, since only the first cell of a merge holds the value.

Every fault is an `Issue` that says where (file, row, column letter, the column's heading) and why; reading goes
on past a fault so that one run names every bad cell, not just the first.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path

from sync.hq.services.messages import SHEETS

MAX_BYTES = 20 * 1024 * 1024  # a registry of a whole city is well under 1 MB
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Column:
    """One column a table needs: its field key and the headings it may carry (Chinese first, then English)."""

    key: str
    names: tuple[str, ...]
    required: bool = True

    @property
    def label(self) -> str:
        return " / ".join(self.names)


@dataclass(frozen=True)
class Issue:
    """One fault: where it is (row and column when known) and the catalogue key and values that say why."""

    file: str
    key: str
    row: int | None = None
    col: int | None = None  # 1-based
    heading: str = ""
    values: dict[str, object] = field(default_factory=dict)
    last_row: int | None = None  # a merged range's last row: merges wholly above the header are harmless

    @property
    def column_letter(self) -> str:
        return column_letter(self.col) if self.col else ""

    def text(self, lang: str) -> str:
        reason = SHEETS(self.key, lang, **self.values)
        if self.row is not None and self.col is not None:
            where = SHEETS("at_cell", lang, file=self.file, row=self.row, col=self.column_letter, name=self.heading)
        elif self.row is not None:
            where = SHEETS("at_row", lang, file=self.file, row=self.row)
        else:
            where = SHEETS("at_file", lang, file=self.file)
        return f"{where}: {reason}"


@dataclass
class Row:
    """A data row: its row number in the file and the text of each wanted column (stripped; "" when empty)."""

    number: int
    values: dict[str, str]


@dataclass
class Table:
    file: str
    columns: dict[str, int]  # field key → 1-based column number
    headings: dict[str, str]  # field key → the heading as written in the file
    rows: list[Row]

    def issue(self, row: Row, key: str, reason: str, **values: object) -> Issue:
        """An issue at `row`'s cell of column `key`."""
        return Issue(self.file, reason, row.number, self.columns.get(key), self.headings.get(key, key), values)


def column_letter(n: int) -> str:
    """1 → A, 27 → AA: how Excel names a column."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- recognising the file ---------------------------------------------------------------------------------------


_SIGNATURES = (  # (leading bytes, what the file is): files people rename to .csv by mistake
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\xd0\xcf\x11\xe0", "OLE"),  # .xls / .doc of Office 97-2003
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
)


def sniff(data: bytes) -> str:
    """'xlsx', 'text', or what else the bytes are ('docx', 'PNG', 'OLE', 'zip', 'binary', ...)."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return "zip"
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with a BOM: its NULs are the encoding's, not a binary file's
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_table(path: Path, columns: Sequence[Column], *, shown: str | None = None) -> tuple[Table | None, list[Issue]]:
    """The file's rows under the wanted columns, or None and why not. Issues about single cells come back with a
    table (the caller adds its own and reports them all); issues about the whole file (unreadable, not a
    spreadsheet, a required column missing) come back without one."""
    file = shown or path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, [Issue(file, "too_big", values={"mb": MAX_BYTES // (1024 * 1024)})]
        data = path.read_bytes()
    except IsADirectoryError:
        return None, [Issue(file, "is_directory")]
    except FileNotFoundError:
        return None, [Issue(file, "not_found")]
    except OSError as exc:
        return None, [Issue(file, "unreadable", values={"error": exc.strerror or type(exc).__name__})]
    if not data.strip():
        return None, [Issue(file, "empty_file")]
    kind = sniff(data)
    if kind == "xlsx":
        grid, issues = _xlsx_grid(data, file)
    elif kind == "text":
        grid, issues = _csv_grid(data, file)
    else:
        return None, [Issue(file, f"not_sheet.{_KINDS.get(kind, 'other')}", values={"kind": kind})]
    if grid is None:
        return None, issues
    rows = [(n, [c.strip() for c in cells]) for n, cells in grid]
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        return None, [Issue(file, "empty_file")]
    header = _header_index(rows, columns)
    issues = _placed(issues, rows[header])
    table, header_issues = _table(rows[header:], columns, file)
    return table, issues + header_issues


HEADER_SEARCH = 10  # a title or notes may stand above the header: it is looked for in this many first rows


def _header_index(rows: list[tuple[int, list[str]]], columns: Sequence[Column]) -> int:
    """The first row holding every required heading (a title above it is skipped); else the first row."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH]):
        found = {_norm(c) for c in cells}
        if all(any(_norm(name) in found for name in c.names) for c in columns if c.required):
            return index
    return 0


def _placed(issues: list[Issue], header: tuple[int, list[str]]) -> list[Issue]:
    """Cell issues found before the header was known: dropped above it, named by their column's heading below it,
    and a merge that touches the header said to be in the header."""
    number, cells = header
    placed = []
    for issue in issues:
        row, col = issue.row, issue.col
        if row is None or col is None:
            placed.append(issue)
            continue
        if (issue.last_row if issue.last_row is not None else row) < number:
            continue
        if issue.key == "merged" and row <= number:
            issue = replace(issue, key="merged_header")
        if row >= number and col <= len(cells):
            issue = replace(issue, heading=cells[col - 1] or issue.heading)
        placed.append(issue)
    return placed


_KINDS = {"docx": "docx", "pptx": "docx", "OLE": "xls", "zip": "zip"}


# --- CSV ----------------------------------------------------------------------------------------------------------


def _decode(data: bytes, file: str) -> tuple[str | None, list[Issue]]:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), []
            except UnicodeDecodeError as exc:
                return None, [_bad_bytes(data, len(bom) + exc.start, file, encoding)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        if _mostly_utf8(data):  # a UTF-8 file with a few broken bytes: GB18030 would only misplace them
            return None, [_bad_bytes(data, exc.start, file, "UTF-8")]
    try:  # Excel on Chinese Windows saves "CSV" in the ANSI code page: GBK, which GB18030 extends
        return data.decode("gb18030"), []
    except UnicodeDecodeError as exc:
        return None, [_bad_bytes(data, exc.start, file, "UTF-8 / GB18030")]


def _mostly_utf8(data: bytes) -> bool:
    """More well-formed UTF-8 characters beyond ASCII than broken bytes: GBK text almost never forms any."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    return sum(1 for ch in text if ord(ch) > 0x7F) - broken > broken


def _bad_bytes(data: bytes, at: int, file: str, encoding: str) -> Issue:
    """Where undecodable bytes are: the row, and the column counted by commas before them on that row."""
    line_start = data.rfind(b"\n", 0, at) + 1
    row = data.count(b"\n", 0, at) + 1
    col = data.count(b",", line_start, at) + 1
    header = _header_text(data.split(b"\n", 1)[0]).split(",")
    heading = header[col - 1].strip() if row > 1 and col <= len(header) else column_letter(col)
    values: dict[str, object] = {"bytes": data[at : at + 4].hex(" "), "encoding": encoding}
    return Issue(file, "bad_encoding", row, col, heading, values)


def _header_text(line: bytes) -> str:
    """The header line, read as well as a file that is not all in one encoding allows."""
    line = line.removeprefix(b"\xef\xbb\xbf")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("gb18030", "replace")


def _csv_grid(data: bytes, file: str) -> tuple[list[tuple[int, list[str]]] | None, list[Issue]]:
    text, issues = _decode(data, file)
    if text is None:
        return None, issues
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if any(d in first for d in ",\t;") else ","
    grid: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            grid.append((reader.line_num, cells))  # the line the row ends on: a quoted cell may span lines
            if len(grid) > MAX_ROWS + 1:
                return None, [Issue(file, "too_many_rows", values={"max": MAX_ROWS})]
    except csv.Error as exc:
        return None, [Issue(file, "bad_csv", reader.line_num, values={"error": str(exc)})]
    return grid, []


# --- xlsx ---------------------------------------------------------------------------------------------------------


def _xlsx_grid(data: bytes, file: str) -> tuple[list[tuple[int, list[str]]] | None, list[Issue]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except Exception as exc:  # a damaged workbook can fail anywhere inside openpyxl
        return None, [Issue(file, "bad_xlsx", values={"error": f"{type(exc).__name__}: {exc}"})]
    sheet = book.worksheets[0]
    if sheet.max_row > MAX_ROWS + 1:
        return None, [Issue(file, "too_many_rows", values={"max": MAX_ROWS})]
    issues: list[Issue] = []
    for merged in sheet.merged_cells.ranges:
        row, col = merged.min_row, merged.min_col
        values: dict[str, object] = {"cells": merged.coord}
        issues.append(Issue(file, "merged", row, col, column_letter(col), values, last_row=merged.max_row))
    grid: list[tuple[int, list[str]]] = []
    for cells in sheet.iter_rows():
        texts: list[str] = []
        for cell in cells:
            value = cell.value
            if cell.data_type == "f":  # a formula (an ArrayFormula keeps its text in .text)
                formula = value if isinstance(value, str) else getattr(value, "text", None) or "="
                col = int(cell.column or 1)
                found = {"cell": cell.coordinate, "formula": str(formula)[:60]}
                issues.append(Issue(file, "formula", cell.row, col, column_letter(col), dict(found)))
                texts.append("")
                continue
            texts.append(_cell_text(value))
        if cells:
            grid.append((int(cells[0].row or 0), texts))
    return grid, issues


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 101 as 101.0: an id column must read "101"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- headings -----------------------------------------------------------------------------------------------------


def _norm(heading: str) -> str:
    return "".join(heading.split()).lower().replace("（", "(").replace("）", ")")


def _table(rows: list[tuple[int, list[str]]], columns: Sequence[Column], file: str) -> tuple[Table | None, list[Issue]]:
    header_number, header = rows[0]
    wanted = {_norm(name): column for column in columns for name in column.names}
    found: dict[str, int] = {}
    headings: dict[str, str] = {}
    issues: list[Issue] = []
    for index, heading in enumerate(header, start=1):
        column = wanted.get(_norm(heading))
        if column is None:
            continue
        if column.key in found:
            issues.append(
                Issue(
                    file,
                    "duplicate_heading",
                    header_number,
                    index,
                    heading,
                    {"first": column_letter(found[column.key])},
                )
            )
            continue
        found[column.key] = index
        headings[column.key] = heading
    for column in columns:
        if column.required and column.key not in found:
            issues.append(Issue(file, "missing_column", header_number, values={"name": column.label}))
    if issues:
        return None, issues
    data = [
        Row(n, {key: (cells[i - 1] if i <= len(cells) else "") for key, i in found.items()}) for n, cells in rows[1:]
    ]
    if not data:
        return None, [Issue(file, "no_rows", header_number)]
    return Table(file, found, headings, data), []
