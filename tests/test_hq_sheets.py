"""Reading HQ's spreadsheets (sync/hq/services/sheets.py), no database: file kinds told by their bytes, the
encodings Excel saves CSV in, the header check, and every fault named by row, column letter and heading."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sync.hq.services.sheets import Column, column_letter, read_table, sniff
from tests.sync_support import PNG

COLUMNS = (
    Column("name", ("名称", "name")),
    Column("type", ("类型", "type")),
    Column("note", ("备注",), required=False),
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def xlsx(tmp_path: Path, rows: list[list[object]], *, merge: str | None = None, name: str = "t.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    path = tmp_path / name
    book.save(path)
    return path


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 8, 26, 27, 52, 703)] == ["A", "H", "Z", "AA", "AZ", "AAA"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b""), ("utf-16-le", b"\xff\xfe")],
)
def test_csv_in_every_encoding_excel_saves(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "名称,类型,备注\r\n兴隆花园,楼院,富华路 106 号\r\n庆枫花苑,楼院,\r\n"
    table, issues = read_table(write(tmp_path, "s.csv", bom + text.encode(encoding)), COLUMNS)
    assert issues == []
    assert table is not None
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "兴隆花园", "type": "楼院", "note": "富华路 106 号"}),
        (3, {"name": "庆枫花苑", "type": "楼院", "note": ""}),
    ]


def test_english_headings_any_case_tabs_and_blank_lines(tmp_path: Path) -> None:
    data = "Name\tTYPE\n\n一小家属院\t楼院\n".encode()
    table, issues = read_table(write(tmp_path, "s.txt", data), COLUMNS)
    assert issues == [] and table is not None
    assert [(r.number, r.values["name"]) for r in table.rows] == [(3, "一小家属院")]


def test_a_quoted_cell_over_two_lines_keeps_the_row_number_it_ends_on(tmp_path: Path) -> None:
    data = '名称,类型\n"邮政局\n家属院",楼院\n房管所家属院,楼院\n'.encode()
    table, _ = read_table(write(tmp_path, "s.csv", data), COLUMNS)
    assert table is not None
    assert [r.number for r in table.rows] == [3, 4]


def test_missing_column_is_named_in_both_spellings(tmp_path: Path) -> None:
    table, issues = read_table(write(tmp_path, "s.csv", "名称,地址\n兴隆花园,x\n".encode()), COLUMNS)
    assert table is None
    assert [i.text("zh") for i in issues] == ["s.csv 第1行: 缺少必需的列：类型 / type"]
    assert issues[0].text("en") == "s.csv row 1: a required column is missing: 类型 / type"


def test_duplicate_heading(tmp_path: Path) -> None:
    _, issues = read_table(write(tmp_path, "s.csv", "名称,类型,name\na,b,c\n".encode()), COLUMNS)
    assert [i.text("en") for i in issues] == ["s.csv row 1, column C (name): the same heading as column A"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (PNG, "not_sheet.other"),
        (b"%PDF-1.4\n...", "not_sheet.other"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "not_sheet.xls"),
        (b"", "empty_file"),
        (b"  \r\n\r\n", "empty_file"),
        (b"\x00\x01\x02binary", "not_sheet.other"),
    ],
)
def test_files_that_are_not_spreadsheets(tmp_path: Path, data: bytes, key: str) -> None:
    table, issues = read_table(write(tmp_path, "s.csv", data), COLUMNS)
    assert table is None and [i.key for i in issues] == [key]


def test_a_word_document_renamed_csv(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff(buffer.getvalue()) == "docx"
    _, issues = read_table(write(tmp_path, "s.csv", buffer.getvalue()), COLUMNS)
    assert "Word" in issues[0].text("en")


def test_an_xlsx_is_known_by_its_bytes_whatever_its_name(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [["名称", "类型"], ["兴隆花园", "楼院"], [101, 2.0]], name="sites.csv")
    table, issues = read_table(path, COLUMNS)
    assert issues == [] and table is not None
    assert [r.values["name"] for r in table.rows] == ["兴隆花园", "101"]


def test_bad_encoding_names_the_row_and_column(tmp_path: Path) -> None:
    data = "名称,类型\n兴隆花园,楼院\n".encode() + b"abc,\x80\xff\n"
    table, issues = read_table(write(tmp_path, "s.csv", data), COLUMNS)
    assert table is None
    assert [(i.key, i.row, i.column_letter, i.heading) for i in issues] == [("bad_encoding", 3, "B", "类型")]


def test_formulas_are_refused_by_cell_all_of_them(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [["名称", "类型"], ["兴隆花园", '=IF(1,"楼院","")'], ['=A2&"二期"', "楼院"]])
    table, issues = read_table(path, COLUMNS)
    assert [(i.row, i.column_letter, i.heading, i.values["cell"]) for i in issues] == [
        (2, "B", "类型", "B2"),
        (3, "A", "名称", "A3"),
    ]
    assert issues[0].text("zh").startswith("t.xlsx 第2行 第B列（类型）: 单元格 B2 是公式")
    assert table is not None  # the caller adds its own row checks and reports them all together


def test_merged_header_and_merged_data_cells(tmp_path: Path) -> None:
    path = xlsx(tmp_path, [["名称", "类型"], ["兴隆花园", "楼院"]], merge="A1:B1")
    _, issues = read_table(path, COLUMNS)
    assert [(i.key, i.row, i.column_letter, i.heading) for i in issues] == [
        ("merged_header", 1, "A", "名称"),
        ("missing_column", 1, "", ""),
    ]
    path = xlsx(tmp_path, [["名称", "类型"], ["兴隆花园", "楼院"], ["庆枫花苑", None]], merge="B2:B3")
    _, issues = read_table(path, COLUMNS)
    assert [(i.key, i.row, i.column_letter, i.values["cells"]) for i in issues] == [("merged", 2, "B", "B2:B3")]


def test_a_title_above_the_header_merged_or_not_is_skipped(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["城关镇创文点位台账", None],
        ["（2026 年 9 月）"],
        ["名称", "类型"],
        ["兴隆花园", "楼院"],
    ]
    table, issues = read_table(xlsx(tmp_path, rows, merge="A1:B1"), COLUMNS)
    assert issues == [] and table is not None
    assert [(r.number, r.values["name"]) for r in table.rows] == [(4, "兴隆花园")]


def test_a_damaged_xlsx(tmp_path: Path) -> None:
    data = xlsx(tmp_path, [["名称", "类型"]]).read_bytes()[:300]
    _, issues = read_table(write(tmp_path, "s.xlsx", data), COLUMNS)
    assert [i.key for i in issues] in (["bad_xlsx"], ["not_sheet.zip"])


def test_header_only(tmp_path: Path) -> None:
    _, issues = read_table(write(tmp_path, "s.csv", "名称,类型\n".encode()), COLUMNS)
    assert [i.text("en") for i in issues] == ["s.csv row 1: there is a header but no data rows"]
