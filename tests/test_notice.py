"""The 整改通知书: one responsible unit's problems to rectify, their before-photos, the requirements and a 回执."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from inspector.core.records import EventKind, Problem
from inspector.core.store import Store
from inspector.reports import ReportData, load_report_data
from inspector.reports.document import to_markdown
from inspector.reports.facts import problem_number
from inspector.reports.notice import build_notice, notice_main, notice_number, notice_problems
from tests.test_bulletin import INSPECTIONS, SHANGHAI, SITES, TODAY, FakeStore, build_problems


def _png() -> bytes:
    """A valid 1×1 PNG, checksums and all: python-docx reads its header to size it."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def data() -> ReportData:
    return load_report_data(FakeStore(SITES, INSPECTIONS, build_problems()), SHANGHAI)


def test_a_notice_lists_exactly_the_units_open_problems() -> None:
    report = data()
    problems, awaiting = notice_problems(report, "二里物业")
    # p1 (assigned), p5 (h1's, assigned to 二里物业) and p8 (registered); p2 is closed: not listed
    assert sorted(p.id for p in problems) == ["p1", "p5", "p8"]
    assert awaiting == 0
    problems, awaiting = notice_problems(report, "城关城管中队")
    assert [p.id for p in problems] == ["p9"]  # came back after 销号
    assert awaiting == 1  # p10's fix waits for the reviewers, not the unit


def test_the_notice_blocks(tmp_path: Path) -> None:
    report = data()
    blocks = build_notice(report, "二里物业", TODAY, number="ZG-2026-001", issuer="东城区创城办")
    markdown = to_markdown(blocks)
    lines = markdown.splitlines()
    assert lines[0] == "# 整改通知书"
    assert "编号：ZG-2026-001" in lines and "**二里物业：**" in lines
    assert "经督查，你单位负责整改的以下问题尚未整改到位（共 3 个），现予交办，请按要求限期整改。" in lines
    rows = [line for line in lines if line.startswith("| ") and "号院" in line]
    numbers = {p.id: problem_number(p) for p in report.problems}
    listed = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[:3]]
    assert listed == [
        ["1", numbers["p1"], "二里社区e号院", "楼道堆放杂物", "T-1 条文",
         "5 天，2026-05-06 前", "已交办（已逾期 25 天）"],
        ["2", numbers["p8"], "二里社区e号院", "垃圾桶未分类；桶身脏污", "T-1 条文",
         "5 天，2026-05-25 前", "登记（已逾期 6 天）"],
        ["3", numbers["p5"], "和平一社区h1号院", "飞线充电", "T-1 条文",
         "5 天，2026-05-09 前", "已交办（已逾期 22 天）"],
    ]  # fmt: skip
    receipt = rows[3:]
    assert receipt == [
        f"| 1 | {numbers['p1']} | 二里社区e号院 |  |  |  |",
        f"| 2 | {numbers['p8']} | 二里社区e号院 |  |  |  |",
        f"| 3 | {numbers['p5']} | 和平一社区h1号院 |  |  |  |",
    ]
    assert "## 整改回执" in lines
    # every deadline has passed: three more days, never a date gone by
    assert any("最迟于 2026-06-03 前整改到位" in line for line in lines)
    assert "---" in lines  # the 回执 on a page of its own
    assert "无整改前照片。" in lines


def with_photo(problems: list[Problem], pid: str, sha: str) -> list[Problem]:
    return [p.model_copy(update={"photos": [sha]}) if p.id == pid else p for p in problems]


def test_the_docx_embeds_the_before_photo_when_it_is_at_hand(tmp_path: Path) -> None:
    import docx

    sha_here, sha_gone = "c" * 64, "d" * 64
    problems = with_photo(with_photo(build_problems(), "p1", sha_here), "p5", sha_gone)

    class StoreWithPhotos(FakeStore):
        def attachment_path(self, sha256: str) -> Path:
            return tmp_path / sha256

    (tmp_path / sha_here).write_bytes(PNG)
    target = tmp_path / "通知书.docx"
    out, err = io.StringIO(), io.StringIO()
    store = StoreWithPhotos(SITES, INSPECTIONS, problems)
    code = notice_main(store, "二里物业", target, out, err, today=TODAY, tz=SHANGHAI, issuer="东城区创城办")
    assert (code, err.getvalue()) == (0, "")
    document = docx.Document(str(target))
    assert len(document.inline_shapes) == 1  # the photo on this computer; the other is named
    text = [p.text for p in document.paragraphs]
    assert "整改通知书" in text and "二里物业：" in text
    assert f"编号：{notice_number('二里物业', TODAY)}" in text
    assert any(line.endswith("（本机没有照片文件）") and sha_gone[:8] in line for line in text)
    listed, receipt = document.tables
    assert [row.cells[3].text for row in listed.rows][1:] == ["楼道堆放杂物", "垃圾桶未分类；桶身脏污", "飞线充电"]
    assert [cell.text for cell in receipt.rows[0].cells] == [
        "序号",
        "问题编号",
        "点位",
        "整改措施及完成情况",
        "完成时间",
        "整改后照片（张）",
    ]
    assert len(receipt.rows) == 1 + 3


def test_html_and_the_period(tmp_path: Path) -> None:
    target = tmp_path / "通知书.html"
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    code = notice_main(
        store, "二里物业", target, out, err, today=TODAY, tz=SHANGHAI, date_from="2026-05-05", date_to="2026-05-31"
    )
    assert code == 0, err.getvalue()
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "楼道堆放杂物" in page and "垃圾桶未分类；桶身脏污" in page
    assert "飞线充电" not in page  # found on 05-04, before --from


def test_a_unit_with_nothing_open_gets_no_notice(tmp_path: Path) -> None:
    target = tmp_path / "通知书.docx"
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    assert notice_main(store, "无此单位", target, out, err, today=TODAY, tz=SHANGHAI) == 1
    assert "无此单位" in err.getvalue() and "二里物业" in err.getvalue()  # the units that have some are named
    assert not target.exists()


@pytest.mark.parametrize("name", ["通知书.md", "通知书.txt"])
def test_a_notice_is_docx_or_html(tmp_path: Path, name: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    assert notice_main(store, "二里物业", tmp_path / name, out, err, today=TODAY) == 1
    assert ".docx" in err.getvalue()


def test_the_command_with_the_real_store(tmp_path: Path) -> None:
    from inspector.cli import main

    with Store.open(tmp_path / "data") as store:
        store.put_sites(SITES)
        for found in build_problems():
            store.save_problem(found)
        closed = next(p for p in store.problems() if p.id == "p2")
        assert closed.events[-1].kind is EventKind.CLOSE
    target = tmp_path / "通知书.docx"
    argv = ["--data-dir", str(tmp_path / "data"), "report", "notice", "--unit", "二里物业", "-o", str(target)]
    assert main(argv) == 0
    import docx

    listed = docx.Document(str(target)).tables[0]
    assert len(listed.rows) == 1 + 3


def test_a_photo_that_is_not_an_image_is_named_not_fatal(tmp_path: Path) -> None:
    sha = "e" * 64
    (tmp_path / sha).write_bytes(b"not an image")

    class StoreWithPhotos(FakeStore):
        def attachment_path(self, sha256: str) -> Path:
            return tmp_path / sha256

    store = StoreWithPhotos(SITES, INSPECTIONS, with_photo(build_problems(), "p1", sha))
    target = tmp_path / "通知书.docx"
    assert notice_main(store, "二里物业", target, io.StringIO(), io.StringIO(), today=date(2026, 5, 31)) == 0
