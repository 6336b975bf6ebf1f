"""A list as the user downloads it: a header and rows, as an .xlsx sheet or a UTF-8 CSV (with a BOM, so Chinese
Excel opens it right), written to a temporary file that is removed once sent.

Cells that start like a formula are kept as text (the ledger export's rule), so a note such as "=HYPERLINK(...)"
is shown, never evaluated."""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from sync.hq.console.views import bad_param

Cell = str | int | float | None
FORMATS = ("xlsx", "csv")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise bad_param("format", fmt)
    return fmt


def _text_safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


def table_file(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """The table written to a fresh temporary folder; the caller sends it with `download`."""
    folder = Path(tempfile.mkdtemp(prefix="hq-download-"))
    path = folder / f"table.{check_format(fmt)}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows([_text_safe(c) for c in row] for row in rows)
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title[:31])
        sheet.append(list(header))
        for row in rows:
            sheet.append([_text_safe(c) for c in row])
        book.save(path)
    return path


def download(path: Path, name: str) -> FileResponse:
    """Send a file made by `table_file` (or any file in a folder of its own), then remove its folder."""
    fmt = path.suffix.lstrip(".")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX,
        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
