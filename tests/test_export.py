"""`inspector export`: the ledger and the results as xlsx (read back with openpyxl), CSV with a BOM, and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from checklists.schema import Checklist
from inspector.core.problems import apply_event
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Site,
    Verdict,
)
from inspector.core.store import Store
from inspector.core.submission import problems_for_submission
from inspector.reports.export import export_main

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = timezone(timedelta(hours=8))
TODAY = date(2026, 5, 20)
# Pinned: a new column goes at the end (a sheet built on these keeps its column letters).
LEDGER_HEADER = [
    "序号", "问题编号", "批次", "街道", "社区", "点位", "条目编号", "检查条目", "存在问题", "问题类型", "严重程度",
    "发现人", "发现时间", "照片", "责任单位", "整改时限", "状态", "交办时间", "整改情况", "复查结论", "销号时间",
    "反弹次数", "逾期天数",
]  # fmt: skip
LEDGER_HEADER_EN = [
    "No.", "Problem no.", "Round", "Street", "Community", "Site", "Item code", "Checklist item", "Problem",
    "Problem type (city management code)", "Severity", "Found by", "Found", "Photos", "Responsible unit",
    "Deadline", "Status", "Assigned", "Rectification", "Re-inspection", "Closed", "Times reopened", "Days overdue",
]  # fmt: skip
BEFORE, AFTER = "b" * 64, "a" * 64

CHECKLIST = Checklist.model_validate(
    {
        "id": "test-residential",
        "version": "1",
        "title": "楼院（测试）",
        "site_type": "楼院",
        "sections": [
            {
                "title": "楼道",
                "items": [
                    {"code": "XQ-01", "title": "楼道堆物", "text": "楼道内无乱堆乱放"},
                    {"code": "XQ-02", "title": "飞线充电", "text": "无私拉电线充电", "severity": "严重"},
                    {"code": "XQ-03", "title": "小广告", "text": "无乱贴乱画"},
                    {"code": "XQ-04", "title": "公益广告", "text": "公益广告不少于 2 处"},
                ],
            }
        ],
    }
)
SITES = [
    Site(
        id="s1",
        name="幸福小区",
        site_type="楼院",
        street="东城街道",
        community="幸福社区",
        responsible_unit="幸福社区居委会",
    ),
    Site(
        id="s2", name="和平里", site_type="楼院", street="西城街道", community="和平社区", responsible_unit="和平物业"
    ),
]


def submitted(site_id: str, day: int, verdicts: dict[str, ItemResult]) -> Inspection:
    started = datetime(2026, 5, day, 1, 0, tzinfo=UTC)
    return Inspection(
        site_id=site_id,
        checklist_id=CHECKLIST.id,
        checklist_version=CHECKLIST.version,
        inspector="张三",
        started_at=started,
        finished_at=started + timedelta(hours=1),
        batch="2026 第 5 期督查",
        results=verdicts,
    )


def results(**verdicts: Verdict | ItemResult) -> dict[str, ItemResult]:
    out = {}
    for name, value in verdicts.items():
        code = name.replace("_", "-")
        out[code] = value if isinstance(value, ItemResult) else ItemResult(code=code, verdict=value)
    return out


def event(problem: Problem, kind: EventKind, day: int, **extra: object) -> Problem:
    moment = datetime(2026, 5, day, 2, 0, tzinfo=UTC)
    new = ProblemEvent.model_validate({"problem_id": problem.id, "kind": kind, "device_time": moment, **extra})
    return apply_event(problem, new, SHANGHAI)


def populate(store: Store) -> list[Problem]:
    """Two sites, three submitted inspections, four problems in different states."""
    store.put_sites(SITES)
    store.put_checklist(CHECKLIST)
    first = submitted(
        "s1",
        4,
        results(
            XQ_01=ItemResult(code="XQ-01", verdict=Verdict.FAIL, note="3 号楼 2 单元楼道堆放纸箱", photos=[BEFORE]),
            XQ_02=ItemResult(code="XQ-02", verdict=Verdict.FAIL, quick_picks=["飞线充电"], note="5 号楼"),
            XQ_03=Verdict.PASS,
            XQ_04=Verdict.NA,
        ),
    )
    second = submitted(
        "s2",
        6,
        results(
            XQ_01=Verdict.PASS,
            XQ_02=Verdict.PASS,
            XQ_03=ItemResult(code="XQ-03", verdict=Verdict.FAIL, note="单元门贴满小广告，含“|”和换行\n第二行"),
            XQ_04=ItemResult(code="XQ-04", verdict=Verdict.FAIL, note="公益广告不足"),
        ),
    )
    stored: list[Problem] = []
    for inspection in (first, second):
        site = next(s for s in SITES if s.id == inspection.site_id)
        problems, _ = problems_for_submission(inspection, CHECKLIST, site, [], "张三", "dev-1", SHANGHAI)
        store.save_inspection(inspection)
        store.submit(inspection, problems)
        stored.extend(problems)
    piles, wires, ads, posters = stored
    # 堆物: assigned, fixed, re-inspected (待销号) and closed by the office the same day.
    piles = event(piles, EventKind.ASSIGN, 5, deadline=DeadlineRule(kind=DeadlineKind.DAYS, n=3))
    piles = event(piles, EventKind.SUBMIT_FIX, 7, note="已清理纸箱", photos=[AFTER])
    piles = event(piles, EventKind.REVIEW_PASS, 8, note="现场已清理")
    piles = event(piles, EventKind.CLOSE, 8)
    # 飞线充电: assigned 05-05 with 3 天: due 05-08, overdue on 05-20.
    wires = event(wires, EventKind.ASSIGN, 5, responsible_unit="东城街道城管科")
    # 小广告: fix submitted, re-inspection failed.
    ads = event(ads, EventKind.SUBMIT_FIX, 7, note="已清除")
    ads = event(ads, EventKind.REVIEW_FAIL, 9, note="部分整改：仍有残留")
    for problem in (piles, wires, ads, posters):
        store.save_problem(problem)
    # A draft is exported in the results sheet, marked as a draft.
    store.save_inspection(submitted("s2", 19, results(XQ_01=Verdict.PASS)))
    return [piles, wires, ads, posters]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "data")
    populate(opened)
    yield opened
    opened.close()


def run_export(store: Store, fmt: str, output: Path | None, lang: str = "zh") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = export_main(store, fmt, output, out, err, lang=lang, today=TODAY, tz=SHANGHAI)
    return code, out.getvalue(), err.getvalue()


# xlsx -----------------------------------------------------------------------------------------------------------


def test_xlsx_reads_back_with_the_ledger_columns(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "台账.xlsx"
    code, out, err = run_export(store, "xlsx", target)
    assert (code, err) == (0, "")
    assert str(target) in out
    book = load_workbook(target)
    assert book.sheetnames == ["问题台账", "检查结果", "得分率"]

    ledger = book["问题台账"]
    rows = [list(row) for row in ledger.iter_rows(values_only=True)]
    assert rows[0] == LEDGER_HEADER
    assert len(rows) == 1 + 4  # one row per problem
    assert ledger.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ledger[1])
    by_problem = {row[8]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4]

    piles = by_problem["3 号楼 2 单元楼道堆放纸箱"]
    assert re.fullmatch(r"20260504-[0-9A-HJKMNP-TV-Z]{4}", piles[1])
    assert piles[2:8] == ["2026 第 5 期督查", "东城街道", "幸福社区", "幸福小区", "XQ-01", "楼道内无乱堆乱放"]
    assert piles[10] == "一般"
    assert piles[11] == "张三"
    assert piles[12] == "2026-05-04 10:00"  # found time shown in local time
    assert piles[13] == f"1 张：{BEFORE[:8]}"
    assert piles[14] == "幸福社区居委会"
    assert piles[15] == "3 天（至 2026-05-08）"
    assert piles[16] == "已销号"
    assert piles[17] == "2026-05-05"
    assert piles[18] == "已清理纸箱（整改后照片 1 张）"
    assert piles[19] == "通过（现场已清理）"
    assert piles[20] == "2026-05-08 10:00"
    assert piles[21:] == [0, 0]

    wires = by_problem["飞线充电；5 号楼"]
    assert wires[10] == "严重"
    assert wires[13] == 0
    assert wires[14] == "东城街道城管科"
    assert wires[15] == "3 天（至 2026-05-08）"
    assert wires[16] == "已交办"
    assert wires[20] is None
    assert wires[22] == 12

    ads = by_problem["单元门贴满小广告，含“|”和换行\n第二行"]
    assert str(ads[16]).startswith("整改中")
    assert ads[19] == "不通过（部分整改：仍有残留）"
    assert by_problem["公益广告不足"][14] == "和平物业"
    # the problem number is derived, so the same problem gets the same one in every export
    again = load_workbook(target)["问题台账"]
    assert [row[1] for row in again.iter_rows(min_row=2, values_only=True)] == [row[1] for row in rows[1:]]


def test_the_problem_type_is_the_digital_city_management_code_and_name() -> None:
    from inspector.reports.cg import cg_label

    assert cg_label("06036") == "06036 乱堆杂物"
    assert cg_label("09012") == "09012 占用消防通道"
    assert cg_label("99999") == "99999"  # a code the reference does not name is shown as it is
    assert cg_label(None) == ""


def test_xlsx_results_and_scores_sheets(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "out.xlsx"
    assert run_export(store, "xlsx", target)[0] == 0
    book = load_workbook(target)
    results_rows = list(book["检查结果"].iter_rows(values_only=True))
    assert results_rows[0][:3] == ("点位", "街道", "社区")
    assert len(results_rows) == 1 + 3 * 4  # three inspections (one a draft) × four items
    failing = [r for r in results_rows[1:] if r[10] == "不符合"]
    assert len(failing) == 4
    assert any(r[12] == "飞线充电；5 号楼" and r[11] == "严重" for r in failing)
    drafts = [r for r in results_rows[1:] if r[7] == "草稿"]
    assert {r[10] for r in drafts} == {"符合", "未检查"}

    scores = book["得分率"]
    score_rows = list(scores.iter_rows(values_only=True))
    assert score_rows[0] == (
        "点位",
        "街道",
        "社区",
        "检查次数",
        "最近检查",
        "最近得分率",
        "符合",
        "不符合",
        "不适用",
        "累计得分率",
    )
    by_site = {row[0]: row for row in score_rows[1:]}
    assert set(by_site) == {"幸福小区", "和平里"}  # the draft does not count
    assert by_site["幸福小区"][5] == pytest.approx(1 / 3, abs=1e-4)  # 1 pass, 2 fail, 1 n/a
    assert by_site["和平里"][5] == pytest.approx(0.5)
    assert scores["F2"].number_format == "0.0%"


def test_xlsx_in_english(store: Store, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "ledger.xlsx"
    assert run_export(store, "xlsx", target, lang="en")[0] == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Problems", "Inspections", "Score rates"]
    header = next(book["Problems"].iter_rows(values_only=True))
    assert list(header) == LEDGER_HEADER_EN
    rows = list(book["Problems"].iter_rows(min_row=2, values_only=True))
    assert ("assigned", 12) in [(row[16], row[22]) for row in rows]
    assert {row[10] for row in rows} == {"minor", "major"}


def test_xlsx_opens_in_libreoffice(store: Store, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed on this machine, so the xlsx cannot be opened by it here")
    target = tmp_path / "ledger.xlsx"
    assert run_export(store, "xlsx", target)[0] == 0
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "ledger.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


def test_an_unwritable_output_is_named_and_exits_1(store: Store, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for fmt in ("xlsx", "csv", "json"):
        target = blocker / f"ledger.{fmt}"
        code, out, err = run_export(store, fmt, target)
        assert code == 1
        assert str(target) in err and "无法写入" in err
        assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "data"]  # no temporary files left behind


def test_an_output_folder_gets_a_dated_file(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    assert run_export(store, "xlsx", folder)[0] == 0
    assert [p.name for p in folder.iterdir()] == ["inspector-ledger-2026-05-20.xlsx"]


def test_openpyxl_is_not_imported_until_an_xlsx_is_written() -> None:
    code = (
        "import sys, inspector.reports.export, inspector.reports.bulletin, inspector.reports.notice; "
        "print('openpyxl' in sys.modules, 'docx' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"  # nor python-docx until a .docx is written


# csv ------------------------------------------------------------------------------------------------------------


def test_csv_writes_three_files_with_a_bom(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "ledger.csv"
    code, out, _ = run_export(store, "csv", target)
    assert code == 0
    names = ["ledger.csv", "ledger-inspections.csv", "ledger-scores.csv"]
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == sorted(names)
    assert all(name in out for name in names)
    for name in names:
        assert (tmp_path / name).read_bytes().startswith(b"\xef\xbb\xbf")
    with (tmp_path / "ledger.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == LEDGER_HEADER
    assert len(rows) == 5
    assert "单元门贴满小广告，含“|”和换行\n第二行" in [row[8] for row in rows]  # quoted, not split
    with (tmp_path / "ledger-scores.csv").open(encoding="utf-8-sig", newline="") as stream:
        scores = {row[0]: row for row in csv.reader(stream)}
    assert scores["和平里"][5] == "50.0%"


# json -----------------------------------------------------------------------------------------------------------


def test_json_goes_to_stdout_with_chinese_as_is(store: Store) -> None:
    code, out, err = run_export(store, "json", None)
    assert (code, err) == (0, "")
    assert "幸福小区" in out and "\\u" not in out
    document = json.loads(out)
    assert len(document["inspections"]) == 3
    assert len(document["problems"]) == 4
    wires = next(p for p in document["problems"] if p["item_code"] == "XQ-02")
    assert wires["ledger"]["status"] == "assigned"
    assert wires["ledger"]["overdue"] is True
    assert wires["ledger"]["due"] == "2026-05-08"
    assert wires["ledger"]["overdue_days"] == 12
    assert re.fullmatch(r"20260504-\w{4}", wires["ledger"]["number"])
    assert [e["kind"] for e in wires["events"]] == ["register", "assign"]
    first = next(i for i in document["inspections"] if i["site_id"] == "s1")
    assert first["score"] == {"passed": 1, "failed": 2, "not_applicable": 1, "rate": pytest.approx(1 / 3)}
    assert first["results"]["XQ-01"]["photos"] == [BEFORE]


def test_json_to_a_file(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    assert run_export(store, "json", target)[0] == 0
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "inspector-export"


# without a store on disk: the reports only need the store's reading methods -------------------------------------


class FakeStore:
    def __init__(self, sites: list[Site], inspections: list[Inspection], problems: list[Problem]) -> None:
        self._sites, self._inspections, self._problems = sites, inspections, problems

    def sites(self) -> list[Site]:
        return self._sites

    def inspections(self, site_id: str | None = None) -> list[Inspection]:
        return [i for i in self._inspections if site_id in (None, i.site_id)]

    def problems(self) -> list[Problem]:
        return self._problems

    def checklist(self, checklist_id: str, version: str) -> Checklist | None:
        return None


def test_a_missing_checklist_falls_back_to_the_recorded_verdicts() -> None:
    inspection = submitted("s1", 4, results(XQ_01=Verdict.PASS, XQ_02=Verdict.FAIL, XQ_09=Verdict.PASS))
    inspection = inspection.model_copy(
        update={"status": InspectionStatus.SUBMITTED, "submitted_at": inspection.finished_at}
    )
    out, err = io.StringIO(), io.StringIO()
    assert export_main(FakeStore(SITES, [inspection], []), "json", None, out, err, today=TODAY) == 0
    [record] = json.loads(out.getvalue())["inspections"]
    assert record["score"]["passed"] == 2 and record["score"]["failed"] == 1


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    inspection = submitted("s1", 4, results(XQ_01=Verdict.FAIL))
    inspection.status = InspectionStatus.SUBMITTED
    found = Problem(
        inspection_id=inspection.id,
        site_id="s1",
        item_code="XQ-01",
        item_text="楼道内无乱堆乱放",
        description='=HYPERLINK("http://example.com","点我")',
        found_at=datetime(2026, 5, 4, 2, 0, tzinfo=UTC),
    )
    store = FakeStore(SITES, [inspection], [found])
    target = tmp_path / "x.xlsx"
    assert export_main(store, "xlsx", target, io.StringIO(), io.StringIO(), today=TODAY) == 0
    cell = load_workbook(target)["问题台账"]["I2"]
    assert (cell.value, cell.data_type) == (found.description, "s")
    assert export_main(store, "csv", tmp_path / "x.csv", io.StringIO(), io.StringIO(), today=TODAY) == 0
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[1][8] == "'" + found.description


def test_rows_beyond_a_sheets_limit_continue_on_the_next_sheet(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel opens 1,048,576 rows per sheet; a city-year has 1.6 million item results. Shown here with a limit of 3."""
    from openpyxl import load_workbook

    from inspector.reports import export

    target = tmp_path / "out.xlsx"
    full = tmp_path / "full.xlsx"
    assert run_export(store, "xlsx", full)[0] == 0
    monkeypatch.setattr(export, "SHEET_ROWS", 3)
    assert run_export(store, "xlsx", target)[0] == 0
    whole = [r for r in load_workbook(full)["问题台账"].iter_rows(min_row=2, values_only=True)]
    book = load_workbook(target)
    parts = [name for name in book.sheetnames if name.startswith("问题台账")]
    assert parts == ["问题台账", "问题台账 (2)"]
    split = [r for name in parts for r in book[name].iter_rows(min_row=2, values_only=True)]
    assert split == whole and len(whole) == 4  # every row once, in order, each part with its header
    assert [c.value for c in book["问题台账 (2)"][1]] == [c.value for c in book["问题台账"][1]]
    monkeypatch.setattr(export, "SHEET_ROWS", 4)  # exactly full: no empty sheet after it
    assert run_export(store, "xlsx", target)[0] == 0
    assert [n for n in load_workbook(target).sheetnames if n.startswith("问题台账")] == ["问题台账"]


# photos in the xlsx ledger ---------------------------------------------------------------------------------------


def photo_store(tmp_path: Path) -> tuple[Store, str]:
    """One inspection: a failure with a real photo in the store, and one whose photo this laptop does not have."""
    from PIL import Image

    source = tmp_path / "现场.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(source, format="JPEG")
    store = Store.open(tmp_path / "data")
    store.put_sites(SITES)
    store.put_checklist(CHECKLIST)
    sha = store.add_attachment(source).sha256
    inspection = submitted(
        "s1",
        4,
        results(
            XQ_01=ItemResult(code="XQ-01", verdict=Verdict.FAIL, note="楼道堆放纸箱", photos=[sha, BEFORE]),
            XQ_02=ItemResult(code="XQ-02", verdict=Verdict.FAIL, note="飞线充电", photos=[BEFORE]),
        ),
    )
    problems, _ = problems_for_submission(inspection, CHECKLIST, SITES[0], [], "张三", "dev-1", SHANGHAI)
    store.save_inspection(inspection)
    store.submit(inspection, problems)
    return store, sha


def test_the_xlsx_ledger_shows_a_thumbnail_of_the_first_photo_where_the_file_is_here(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    store, sha = photo_store(tmp_path)
    target = tmp_path / "台账.xlsx"
    try:
        code, _, err = run_export(store, "xlsx", target)
    finally:
        store.close()
    assert (code, err) == (0, "")
    ledger = load_workbook(target)["问题台账"]
    rows = {row[8]: (n, row) for n, row in enumerate(ledger.iter_rows(min_row=2, values_only=True), start=2)}
    piles_row, piles = rows["楼道堆放纸箱"]
    assert piles[13] == f"2 张：{sha[:8]}、{BEFORE[:8]}"  # the count and the names, whatever is embedded
    assert rows["飞线充电"][1][13] == f"1 张：{BEFORE[:8]}"
    images = ledger._images  # openpyxl keeps a loaded sheet's pictures here
    assert len(images) == 1  # the second problem's photo is not on this laptop: named, not shown
    anchor = images[0].anchor._from
    assert (anchor.col, anchor.row) == (13, piles_row - 1)  # 0-based: column N (照片) of the problem's row
    assert (images[0].width, images[0].height) == (120, 90)  # 800×600 scaled into 120×90
    assert ledger.row_dimensions[piles_row].height >= 90 * 0.75 + 15  # the picture, and a line for the names
    assert ledger.column_dimensions["N"].width >= 120 / 7


def test_a_ledger_over_the_limit_names_its_photos_and_the_command_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    from inspector.reports import export

    monkeypatch.setattr(export, "THUMBNAILS", 0)
    store, _ = photo_store(tmp_path)
    target = tmp_path / "台账.xlsx"
    try:
        code, out, _ = run_export(store, "xlsx", target)
    finally:
        store.close()
    assert code == 0 and "台账超过 0 个问题，照片只以文件名列出" in out
    ledger = load_workbook(target)["问题台账"]
    assert ledger._images == []
    assert any("张" in str(cell.value) for row in ledger.iter_rows(min_row=2) for cell in row)  # the photo, named
