"""Lists as files: what a page shows, as .xlsx or .csv, with the page's headings and cells (statuses as words).

No cell runs as a formula in the spreadsheet of whoever opens the export (a site named `=HYPERLINK(...)`): the xlsx
stores such text as text, the CSV prefixes `'` to text beginning with `=`, `+`, `-`, `@`, a tab or a carriage return
unless it is a number (`-2.5%`). The CSV has a byte-order mark so that Excel, as the offices open it, reads Chinese
as UTF-8."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from urllib.parse import quote

from starlette.responses import Response

__all__ = ["FORMATS", "table_file"]

FORMATS = ("xlsx", "csv")
Cell = str | int | float | None
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def _csv_safe(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.match(value):
        return "'" + value
    return value


def table_file(
    fmt: str, stem: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, sheet: str = "Sheet1"
) -> Response:
    """A download of the table (`fmt` is xlsx or csv), named `stem-<today>.<fmt>`."""
    name = f"{stem}-{date.today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows([[_csv_safe(c) for c in row] for row in rows])
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
    disposition = f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def when(moment: datetime | None) -> str:
    """A time as the export writes it: the page's local minutes."""
    from sync.hq.services.readmodel import REPORT_TZ

    return "" if moment is None else f"{moment.astimezone(REPORT_TZ):%Y-%m-%d %H:%M}"
