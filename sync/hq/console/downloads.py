"""Lists as files: what a page shows, as .xlsx or .csv, with the page's headings and cells (statuses as words); and
a file written elsewhere (the ledger's export) sent as a download.

No cell runs as a formula in the spreadsheet of whoever opens the export (a site named `=HYPERLINK(...)`): the xlsx
stores such text as text, the CSV prefixes `'` to text beginning with `=`, `+`, `-`, `@`, a tab or a carriage return
unless it is a number (`-2.5%`). The CSV has a byte-order mark so that Excel, as the offices open it, reads Chinese
as UTF-8."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

from sync.hq.console.views import bad_param
from sync.hq.services.readmodel import REPORT_TZ

__all__ = ["FORMATS", "check_format", "download", "table_file", "when"]

FORMATS = ("xlsx", "csv")
Cell = str | int | float | None
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise bad_param("format", fmt)
    return fmt


def _csv_safe(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.match(value):
        return "'" + value
    return value


def _disposition(name: str) -> str:
    """`filename=` for old clients (ASCII only: the header is Latin-1), `filename*=` with the real, Chinese name."""
    plain = name if name.isascii() else "download" + Path(name).suffix
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def table_file(
    fmt: str, stem: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet: str = "Sheet1"
) -> Response:
    """A download of the table (`fmt` is xlsx or csv), named `stem-<today at HQ>.<fmt>`."""
    name = f"{stem}-{datetime.now(REPORT_TZ):%Y%m%d}.{check_format(fmt)}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows([_csv_safe(c) for c in row] for row in rows)
        body = ("\ufeff" + text.getvalue()).encode("utf-8")
        media = "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        ws = book.create_sheet(sheet[:31])

        def cell(value: Cell) -> object:
            if isinstance(value, str) and value.startswith("="):
                text = WriteOnlyCell(ws, value=value)
                text.data_type = "s"  # text, never a formula
                return text
            return value

        ws.append(list(headers))
        for row in rows:
            ws.append([cell(c) for c in row])
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        media = XLSX
    return Response(body, media_type=media, headers={"Content-Disposition": _disposition(name)})


def download(path: Path, name: str) -> FileResponse:
    """Send a file written in a temporary folder of its own (the ledger's export), then remove the folder."""
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8" if path.suffix == ".csv" else XLSX,
        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True),
        headers={"Content-Disposition": _disposition(name)},
    )


def when(moment: datetime | None) -> str:
    """A time as the export writes it: the page's local minutes."""
    return "" if moment is None else f"{moment.astimezone(REPORT_TZ):%Y-%m-%d %H:%M}"
