"""inspector/reports/xlsx.py, the exports' streamed Excel writer: read back with openpyxl and opened by LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from inspector.reports.xlsx import MAX_CELL_CHARS, Workbook, column_letter


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 2, 26, 27, 52, 53, 702, 703)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def write(path: Path, rows: list[list[object]], **options: object) -> None:
    with Workbook(path) as book:
        sheet = book.add_sheet("问题台账", ["编号", "说明", "比率"], [8, 30, 10], **options)  # type: ignore[arg-type]
        for row in rows:
            sheet.append(row)  # type: ignore[arg-type]


def test_values_read_back_as_they_were_written(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    rows: list[list[object]] = [
        [1, "楼道堆放纸箱 & <杂物>", 0.5],
        [2, "  两端有空格  ", 1],
        [3, "第一行\r\n第二行", None],
        [4, "", float("nan")],
        [5, '=HYPERLINK("http://example.com")', True],
    ]
    write(target, rows, percent=[3], wrapped=[2])
    sheet = load_workbook(target)["问题台账"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["编号", "说明", "比率"],
        [1, "楼道堆放纸箱 & <杂物>", 0.5],
        [2, "  两端有空格  ", 1],
        [3, "第一行\r\n第二行", None],  # the carriage return kept, not turned into a line feed
        [4, None, "nan"],  # nothing for an empty text; NaN, which Excel has no number for, as text
        [5, '=HYPERLINK("http://example.com")', True],
    ]
    assert sheet["B6"].data_type == "s"  # text that looks like a formula is text, never evaluated
    assert all(cell.font.bold for cell in sheet[1]) and not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C6"
    assert sheet["C2"].number_format == "0.0%" and sheet["A2"].number_format == "General"
    assert sheet["B2"].alignment.wrap_text and not sheet["A2"].alignment.wrap_text
    assert sheet.column_dimensions["B"].width == 30


def test_text_excel_cannot_hold_is_made_safe(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    write(target, [[1, "\x01控制字符\x1f", 0.0], [2, "x" * (MAX_CELL_CHARS + 10), 0.0], [3, "_x0041_", 0.0]])
    sheet = load_workbook(target)["问题台账"]
    assert sheet["B2"].value == "\ufffd控制字符\ufffd"  # XML 1.0 cannot carry them; the file must still open
    assert sheet["B3"].value == "x" * MAX_CELL_CHARS  # Excel's limit for one cell
    # Excel decodes _xHHHH_ in text; the writer escapes the underscore (_x005F_) so Excel shows it as typed.
    with zipfile.ZipFile(target) as archive:
        assert "<t>_x005F_x0041_</t>" in archive.read("xl/worksheets/sheet1.xml").decode()


def test_several_sheets_in_order_and_an_empty_one_without_a_filter(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"
    with Workbook(target) as book:
        first = book.add_sheet("it's (2)", ["a"], [6])
        first.append(["one"])
        book.add_sheet("空", ["b"], [6])
    opened = load_workbook(target)
    assert opened.sheetnames == ["it's (2)", "空"]
    assert [c.value for c in opened["it's (2)"]["A"]] == ["a", "one"]
    assert opened["空"].auto_filter.ref is None
    with zipfile.ZipFile(target) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        assert archive.testzip() is None
    assert "'it''s (2)'!$A$1:$A$2" in workbook  # the filter's name, quoted as Excel quotes sheet names


def test_a_failure_while_writing_leaves_the_file_unfinished_and_closed(tmp_path: Path) -> None:
    target = tmp_path / "x.xlsx"

    def rows() -> list[list[object]]:
        raise OSError("disk full")

    with pytest.raises(OSError), Workbook(target) as book:
        sheet = book.add_sheet("a", ["a"], [6])
        for row in rows():
            sheet.append(row)  # type: ignore[arg-type]
    with zipfile.ZipFile(target) as archive:  # no workbook part: never mistaken for a whole file
        assert archive.namelist() == []


def test_libreoffice_opens_what_it_writes(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed on this machine, so the xlsx cannot be opened by it here")
    target = tmp_path / "x.xlsx"
    write(target, [[1, "楼道 & <杂物>\r\n第二行", 0.25], [2, "\x01", float("inf")]], percent=[3], wrapped=[2])
    profile = (tmp_path / "lo-profile").as_uri()
    as_utf8_csv = "csv:Text - txt - csv (StarCalc):44,34,76"  # comma, double quotes, UTF-8; cells as shown
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", as_utf8_csv]
    subprocess.run([*command, "--outdir", str(tmp_path), str(target)], check=True, capture_output=True, timeout=300)
    text = (tmp_path / "x.csv").read_text(encoding="utf-8")
    assert '1,"楼道 & <杂物>' in text and ",25.0%" in text and "\ufffd" in text
