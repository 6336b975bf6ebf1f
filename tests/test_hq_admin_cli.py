"""The HQ admin commands run as a person runs them (`inspector.cli.main` with argv, on a real SQLite file and on
PostgreSQL): sites and assignments from spreadsheets, checklists published once per version, users, devices and
the audit log. Every bad input is named by row and column and leaves HQ unchanged."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from inspector.cli import main
from inspector.core.ids import new_id, utcnow
from sync.hq.db import Database
from sync.hq.db.models import assignments, audit_log, doc_revs, docs, sites, users
from sync.hq.services import readmodel
from sync.hq.services.readmodel import REPORT_TZ
from sync.hq.services.site_import import site_id_for
from sync.hq.services.users import enroll
from sync.protocol import EnrollRequest
from tests.sync_support import PG_PORT, PNG, ROOT, _admin_execute, _postgres_reason, make_inspection

EXAMPLES = ROOT / "examples"
BUILTIN = ROOT / "checklists" / "builtin"
HEADER = "名称,类型,区,街道,社区,网格,责任单位,检查表\n"


@dataclass
class HQ:
    url: str
    data_dir: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, *argv: str, lang: str | None = None) -> tuple[int, str, str]:
        prefix = ["--data-dir", str(self.data_dir)] + (["--lang", lang] if lang else [])
        command = list(argv)
        if command[0] == "hq" and "--help" not in command:
            command.append(f"--db={self.url}")
        self.capsys.readouterr()
        try:
            code = main([*prefix, *command])
        except SystemExit as exc:  # argparse refuses bad arguments this way
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        folder = f"{self.data_dir.parent}/"  # files are named as given: shown here by their names
        return code, captured.out.replace(folder, ""), captured.err.replace(folder, "")

    def ok(self, *argv: str, lang: str | None = None) -> str:
        code, out, err = self.run(*argv, lang=lang)
        assert code == 0, err
        return out

    def count(self, table: object) -> int:
        db = Database(self.url)
        try:
            with db.read() as conn:
                return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
        finally:
            db.dispose()

    def audit_actions(self) -> list[str]:
        db = Database(self.url)
        try:
            with db.read() as conn:
                return [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))]
        finally:
            db.dispose()

    def publish_builtins(self) -> None:
        for path in sorted(BUILTIN.glob("*.yaml")):
            self.ok("hq", "checklist", "publish", str(path))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hq(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[HQ]:
    """A fresh HQ database per test: a SQLite file, or a PostgreSQL database made and dropped around the test."""
    if request.param == "sqlite":
        yield HQ(f"sqlite:///{(tmp_path / 'hq.sqlite3').as_posix()}", tmp_path / "data", capsys)
        return
    reason = _postgres_reason()
    if reason is not None:
        pytest.skip(reason)
    name = f"inspector_admin_{uuid.uuid4().hex[:10]}"
    _admin_execute(f"CREATE DATABASE {name}")
    try:
        yield HQ(f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}/{name}", tmp_path / "data", capsys)
    finally:
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def csv_file(tmp_path: Path, text: str, name: str = "sites.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_file(tmp_path: Path, rows: list[list[object]], *, merge: str | None = None, name: str = "sites.xlsx") -> Path:
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


# --- the sample files, end to end ------------------------------------------------------------------------------


def test_the_example_files_preview_apply_and_list(hq: HQ) -> None:
    hq.publish_builtins()
    out = hq.ok("hq", "site", "import", str(EXAMPLES / "sites.csv"))
    assert "新增 8" in out and "邮政局家属院" in out and "--apply" in out
    assert hq.count(sites) == 0  # a preview changes nothing
    out = hq.ok("hq", "site", "import", str(EXAMPLES / "sites.csv"), "--apply", lang="en")
    assert "applied at HQ: 8 changed, 0 unchanged" in out
    listing = hq.ok("hq", "site", "list")
    assert all(name in listing for name in ("邮政局家属院", "房管所家属院", "一小家属院", "兴隆花园", "庆枫花苑"))
    assert site_id_for("兴隆花园") in listing
    again = hq.ok("hq", "site", "import", str(EXAMPLES / "sites.csv"), "--apply", lang="en")
    assert "unchanged 8" in again and "0 changed, 8 unchanged" in again

    for name in ("张伟", "李娜"):
        hq.ok("hq", "user", "add", name, "--role", "inspector")
    out = hq.ok("hq", "assign", "import", str(EXAMPLES / "assignments.csv"), "--apply")
    assert "新增 8" in out
    assert hq.count(assignments) == 8
    progress = hq.ok("hq", "assign", "list", "--batch", "2026 第 9 期督查", lang="en")
    assert [line.split()[:4] for line in progress.splitlines()[1:]] == [
        ["张伟", "5", "0", "5"],
        ["李娜", "3", "0", "3"],
    ]
    actions = hq.audit_actions()
    for action in ("checklists", "site_import", "user_add", "assign_import"):
        assert action in actions
    db = Database(hq.url)
    try:
        with db.read() as conn:
            rows = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "site_import")).all()
    finally:
        db.dispose()
    first = json.loads(rows[0].detail)  # one row per apply, written with the change
    assert len(rows) == 2 and first["changed"] == 8 and first["file"].endswith("sites.csv")
    assert len(first["added"]) == 8 and json.loads(rows[1].detail)["unchanged"] == 8
    audit = hq.ok("hq", "audit", "--actor", "hq-admin", "--limit", "3", lang="en")
    assert len(audit.splitlines()) == 4 and "assign_import" in audit


def test_a_changed_site_is_previewed_with_its_fields_and_missing_ones_are_kept(hq: HQ, tmp_path: Path) -> None:
    hq.publish_builtins()
    hq.ok("hq", "site", "import", str(EXAMPLES / "sites.csv"), "--apply")
    lines = (EXAMPLES / "sites.csv").read_text(encoding="utf-8").splitlines()
    edited = [lines[0], lines[1].replace("邮政局,", "邮政局、东街社区,"), *lines[2:5]]
    out = hq.ok("hq", "site", "import", str(csv_file(tmp_path, "\n".join(edited) + "\n")), lang="en")
    assert "changed 1: 邮政局家属院 (unit)" in out
    assert "unchanged 3" in out
    assert "not in the file 4" in out and "富华巷" in out


def test_gbk_csv_from_excel_on_chinese_windows(hq: HQ, tmp_path: Path) -> None:
    hq.publish_builtins()
    text = HEADER + "兴隆花园,楼院,城关区,城关镇,富华社区,富华一网格,兴隆物业公司,residential\r\n"
    for encoding in ("gb18030", "gbk"):
        path = csv_file(tmp_path, text.replace("\n", "\r\n"), encoding=encoding)
        hq.ok("hq", "site", "import", str(path), "--apply")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "庆枫花苑,楼院,城关区,城关镇,富华社区,,庆枫物业,\n").encode())
    hq.ok("hq", "site", "import", str(bom), "--apply")
    listing = hq.ok("hq", "site", "list")
    assert "兴隆花园" in listing and "富华社区" in listing and "庆枫花苑" in listing
    assert hq.count(sites) == 2


def test_english_headings_and_an_id_column(hq: HQ, tmp_path: Path) -> None:
    hq.publish_builtins()
    text = "id,name,type,district,street,community,grid,unit,checklist,address\n"
    text += "CG-001,Post office compound,楼院,Chengguan,Chengguan,Dongjie,1,Post office,residential,18 East St\n"
    hq.ok("hq", "site", "import", str(csv_file(tmp_path, text)), "--apply")
    assert "CG-001" in hq.ok("hq", "site", "list", lang="en")


# --- bad site files: every fault by row and column, nothing applied --------------------------------------------


GOOD = "兴隆花园,楼院,城关区,城关镇,富华社区,富华一网格,兴隆物业公司,residential\n"


def bad_site_files(tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    """name → (file, fragments every one of which the error output must hold)."""
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "report.csv").write_bytes(docx.getvalue())
    (tmp_path / "photo.csv").write_bytes(PNG)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "bytes.csv").write_bytes((HEADER + GOOD).encode() + b"\x80\xff,x\n")
    rows: list[list[object]] = [["名称", "类型", "区", "街道", "社区", "网格", "责任单位", "检查表"]]
    formula = [*rows, ["兴隆花园", "楼院", "", "", "", "", '=B2&"物业"', ""]]
    merged = [["名称", None, "区", "街道", "社区", "网格", "责任单位", "检查表"], ["兴隆花园", "楼院"] + [""] * 6]
    return {
        "missing column": (
            csv_file(tmp_path, "名称,类型,区,街道,社区,网格,检查表\n" + GOOD, "missing.csv"),
            ["missing.csv 第1行", "责任单位 / unit"],
        ),
        "empty name": (
            csv_file(tmp_path, HEADER + GOOD + ",楼院,,,,,,\n", "noname.csv"),
            ["noname.csv 第3行 第A列（名称）: 不能为空"],
        ),
        "duplicate name": (
            csv_file(tmp_path, HEADER + GOOD + GOOD, "twice.csv"),
            ["twice.csv 第3行 第A列（名称）", "第 2 行"],
        ),
        "unpublished checklist": (
            csv_file(tmp_path, HEADER + GOOD.replace("residential", "xiaoqu-2025"), "nolist.csv"),
            ["nolist.csv 第2行 第H列（检查表）", "xiaoqu-2025"],
        ),
        "checklist for another type": (
            csv_file(tmp_path, HEADER + GOOD.replace("residential", "backstreet"), "othertype.csv"),
            ["othertype.csv 第2行 第H列（检查表）: 检查表 backstreet 适用于 背街小巷，不适用于类型 楼院"],
        ),
        "empty type": (
            csv_file(tmp_path, HEADER + GOOD.replace("楼院", ""), "notype.csv"),
            ["notype.csv 第2行 第B列（类型）"],
        ),
        "bad id": (
            csv_file(tmp_path, "编号," + HEADER + "CG 001," + GOOD, "badid.csv"),
            ["badid.csv 第2行 第A列（编号）", "CG 001"],
        ),
        "empty file": (tmp_path / "empty.csv", ["empty.csv: 文件是空的"]),
        "header only": (csv_file(tmp_path, HEADER, "header.csv"), ["header.csv 第1行: 只有表头"]),
        "merged header": (
            xlsx_file(tmp_path, merged, merge="A1:B1", name="merged.xlsx"),
            ["merged.xlsx 第1行 第A列（名称）: 表头有合并单元格 A1:B1", "缺少必需的列：类型 / type"],
        ),
        "formula": (xlsx_file(tmp_path, formula), ["sites.xlsx 第2行 第G列（责任单位）", "G2"]),
        "png renamed csv": (tmp_path / "photo.csv", ["photo.csv: ", "PNG"]),
        "docx renamed csv": (tmp_path / "report.csv", ["report.csv: ", "Word"]),
        "bad encoding": (tmp_path / "bytes.csv", ["bytes.csv 第3行 第A列（名称）", "80 ff"]),
    }


CASES = [
    "missing column",
    "empty name",
    "duplicate name",
    "unpublished checklist",
    "checklist for another type",
    "empty type",
    "bad id",
    "empty file",
    "header only",
    "merged header",
    "formula",
    "png renamed csv",
    "docx renamed csv",
    "bad encoding",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_site_file_is_named_by_row_and_column_and_nothing_is_applied(hq: HQ, tmp_path: Path, case: str) -> None:
    hq.publish_builtins()
    path, fragments = bad_site_files(tmp_path)[case]
    before = hq.audit_actions()
    code, out, err = hq.run("hq", "site", "import", str(path), "--apply")
    assert code == 1, (out, err)
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "未做任何更改" in err
    assert hq.count(sites) == 0
    assert hq.audit_actions() == before


def test_every_bad_row_is_reported_not_just_the_first_in_english_too(hq: HQ, tmp_path: Path) -> None:
    hq.publish_builtins()
    text = HEADER + GOOD + ",楼院,,,,,,\n" + GOOD + "庆枫花苑,楼院,,,,,,nosuch\n" + "一小家属院,楼院,,,,,,\n"
    code, _, err = hq.run("hq", "site", "import", str(csv_file(tmp_path, text)), lang="en")
    assert code == 1
    lines = err.splitlines()
    assert lines[:3] == [
        "sites.csv row 3, column A (名称): must not be empty",
        "sites.csv row 4, column A (名称): the site name 兴隆花园 repeats row 2",
        lines[2],
    ]
    assert lines[2].startswith("sites.csv row 5, column H (检查表): HQ has not published the checklist nosuch")
    assert lines[-1] == "3 problems found; nothing was changed"
    assert hq.count(sites) == 0


def test_a_missing_file_is_one_line(hq: HQ, tmp_path: Path) -> None:
    code, _, err = hq.run("hq", "site", "import", str(tmp_path / "nope.xlsx"), lang="en")
    assert code == 1 and "nope.xlsx: no such file" in err


# --- assignments -------------------------------------------------------------------------------------------------


def with_sites_and_users(hq: HQ) -> None:
    hq.publish_builtins()
    hq.ok("hq", "site", "import", str(EXAMPLES / "sites.csv"), "--apply")
    hq.ok("hq", "user", "add", "张伟", "--role", "inspector")
    hq.ok("hq", "user", "add", "李娜", "--role", "inspector")


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("王五,兴隆花园,第9期", "第2行 第A列（检查员）: 总部没有用户 王五"),
        ("张伟,幸福花园,第9期", "第2行 第B列（点位）: 总部没有编号或名称为 幸福花园 的点位"),
        ("张伟,兴隆花园,", "第2行 第C列（批次）: 不能为空"),
        (",兴隆花园,第9期", "第2行 第A列（检查员）: 不能为空"),
    ],
)
def test_bad_assignment_rows(hq: HQ, tmp_path: Path, row: str, fragment: str) -> None:
    with_sites_and_users(hq)
    path = csv_file(tmp_path, "检查员,点位,批次\n" + row + "\n李娜,庆枫花苑,第9期\n", "assign.csv")
    code, _, err = hq.run("hq", "assign", "import", str(path), "--apply")
    assert code == 1
    assert f"assign.csv {fragment}" in err
    assert hq.count(assignments) == 0


def test_assignment_by_site_id_english_headings_and_withdrawal(hq: HQ, tmp_path: Path) -> None:
    with_sites_and_users(hq)
    first = "inspector,site,batch\n张伟,兴隆花园,B1\n张伟," + site_id_for("庆枫花苑") + ",B1\n李娜,富华巷,B2\n"
    hq.ok("hq", "assign", "import", str(csv_file(tmp_path, first, "a.csv")), "--apply")
    second = "inspector,site,batch\n张伟,兴隆花园,B1\n"
    out = hq.ok("hq", "assign", "import", str(csv_file(tmp_path, second, "b.csv")), lang="en")
    assert "withdrawn 1" in out and "庆枫花苑" in out and "unchanged 1" in out
    hq.ok("hq", "assign", "import", str(csv_file(tmp_path, second, "b.csv")), "--apply")
    listing = hq.ok("hq", "assign", "list", lang="en")
    assert [line.split()[:4] for line in listing.splitlines()[1:]] == [["张伟", "1", "0", "1"], ["李娜", "1", "0", "1"]]


def test_done_counts_a_submitted_inspection_of_the_site_in_the_batch(hq: HQ, tmp_path: Path) -> None:
    with_sites_and_users(hq)
    text = "检查员,点位,批次\n张伟,兴隆花园,B1\n张伟,庆枫花苑,B1\n张伟,富华巷,B2\n"
    hq.ok("hq", "assign", "import", str(csv_file(tmp_path, text, "a.csv")), "--apply")
    inspection = make_inspection(site_id_for("兴隆花园"), inspector="张伟")
    inspection.batch = "B1"
    db = Database(hq.url)
    try:
        with db.write() as w:
            uid = w.conn.execute(select(users.c.id).where(users.c.name == "张伟")).scalar_one()
            rev = new_id()
            w.conn.execute(
                docs.insert().values(
                    id=inspection.id,
                    kind="inspection",
                    current_rev=rev,
                    change_id=w.next_change_id(),
                    owner_user_id=uid,
                    owner_device_id="dev",
                    site_id=inspection.site_id,
                    received_at=utcnow(),
                )
            )
            w.conn.execute(
                doc_revs.insert().values(
                    id=inspection.id,
                    rev=rev,
                    kind="inspection",
                    content_sha="0" * 64,
                    state="synced",
                    server_version=w.next_value,
                    user_id=uid,
                    device_id="dev",
                    received_at=utcnow(),
                    data=inspection.model_dump_json(),
                )
            )
            readmodel.refresh(w.conn, inspections=[inspection.id])  # as the push that stores it does
    finally:
        db.dispose()
    b1 = hq.ok("hq", "assign", "list", "--batch", "B1", lang="en").splitlines()[1]
    assert b1.split()[:5] == ["张伟", "2", "1", "1", "0"] and "庆枫花苑" in b1
    b2 = hq.ok("hq", "assign", "list", "--batch", "B2", lang="en").splitlines()[1]
    assert b2.split()[:5] == ["张伟", "1", "0", "1", "0"]
    # B1's round ended yesterday: its site not walked is missed, no longer due; B2's round is still open.
    today = utcnow().astimezone(REPORT_TZ).date()
    assert "round B1 added" in hq.ok(
        "hq", "round", "add", "B1", "--from", "2026-01-01", "--to", str(today - timedelta(days=1)), lang="en"
    )
    hq.ok("hq", "round", "add", "B2", "--from", "2026-01-01", "--to", str(today + timedelta(days=3)))
    b1 = hq.ok("hq", "assign", "list", "--round", "B1", lang="en").splitlines()[1]
    assert b1.split()[:5] == ["张伟", "2", "1", "0", "1"] and b1.rstrip().endswith("庆枫花苑")
    b2 = hq.ok("hq", "assign", "list", "--round", "B2", lang="en").splitlines()[1]
    assert b2.split()[:5] == ["张伟", "1", "0", "1", "0"]
    rounds = {line.split()[0]: line for line in hq.ok("hq", "round", "list").splitlines()[1:]}
    assert "已结束" in rounds["B1"] and "进行中" in rounds["B2"]


def test_rounds_are_added_once_and_bad_dates_are_refused(hq: HQ) -> None:
    assert "已建立批次 第9期" in hq.ok("hq", "round", "add", "第9期", "--from", "2026-09-01", "--to", "2026-09-30")
    again = hq.ok("hq", "round", "add", "第9期", "--from", "2026-09-01", "--to", "2026-09-30", lang="en")
    assert "nothing changed" in again
    code, _, err = hq.run("hq", "round", "add", "第10期", "--from", "2026-10-31", "--to", "2026-10-01", lang="en")
    assert code == 1 and "starts on 2026-10-31, after its end 2026-10-01" in err
    code, _, err = hq.run("hq", "round", "add", "第10期", "--from", "2026-10-31", "--to", "tomorrow")
    assert code == 2 and "不是日期" in err
    assert "第10期" not in hq.ok("hq", "round", "list")
    db = Database(hq.url)
    try:
        with db.read() as conn:
            actions = conn.execute(select(audit_log.c.action).where(audit_log.c.action == "round")).scalars().all()
    finally:
        db.dispose()
    assert len(actions) == 1


# --- checklists ----------------------------------------------------------------------------------------------


def test_publish_is_once_per_version(hq: HQ, tmp_path: Path) -> None:
    source = BUILTIN / "plaza.yaml"
    out = hq.ok("hq", "checklist", "publish", str(source), lang="en")
    assert out.startswith("published checklist plaza@2026.1")
    assert "unchanged" in hq.ok("hq", "checklist", "publish", str(source), lang="en")
    changed = tmp_path / "plaza.yaml"
    changed.write_text(source.read_text(encoding="utf-8").replace("公共广场实地考察", "广场考察", 1), encoding="utf-8")
    (tmp_path / "modules").symlink_to(BUILTIN / "modules")
    code, _, err = hq.run("hq", "checklist", "publish", str(changed), lang="en")
    assert code == 1
    assert "checklist plaza@2026.1 was published on" in err and "differs in: title" in err and "new version" in err
    edited = source.read_text(encoding="utf-8").replace("code: GC-", "code: GX-", 1)
    changed.write_text(edited, encoding="utf-8")
    code, _, err = hq.run("hq", "checklist", "publish", str(changed))
    assert code == 1 and "已发布的版本不能修改" in err and "+GX-" in err and "-GC-" in err
    listing = hq.ok("hq", "checklist", "list", lang="en")
    assert listing.splitlines()[1].split()[:4] == ["plaza", "2026.1", "公共广场", "19"]
    assert hq.audit_actions().count("checklists") == 2  # the refusal rolled back with its audit row


def test_publish_reports_the_loader_errors_by_line(hq: HQ, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: bad\nversion: "1"\ntitle: 坏表\nsite_type: 楼院\nsections: 3\n', encoding="utf-8")
    code, _, err = hq.run("hq", "checklist", "publish", str(bad))
    assert code == 1
    assert "bad.yaml:5: `sections`" in err
    assert "HQ has published no checklist yet" in hq.ok("hq", "checklist", "list", lang="en")


# --- users, devices, audit -----------------------------------------------------------------------------------


def test_users_devices_revoke_and_audit(hq: HQ) -> None:
    hq.ok("hq", "user", "add", "张伟", "--role", "inspector")
    code_line = [line for line in hq.ok("hq", "user", "add", "审核员甲", "--role", "reviewer", lang="en").splitlines()]
    code = code_line[1].split(": ", 1)[1]
    db = Database(hq.url)
    try:
        device = enroll(
            db, EnrollRequest(code=code, device_name="ThinkPad E14", app_version="0.9"), now=utcnow(), ip=None
        )
    finally:
        db.dispose()
    users_out = hq.ok("hq", "user", "list", lang="en")
    assert "审核员甲" in users_out and "reviewer" in users_out
    devices_out = hq.ok("hq", "device", "list", lang="en")
    assert device.device_id in devices_out and "ThinkPad E14" in devices_out and "0.9" in devices_out
    out = hq.ok("hq", "device", "revoke", device.device_id, lang="en")
    assert out.startswith(f"revoked device {device.device_id}")
    assert "already revoked" in hq.ok("hq", "device", "revoke", device.device_id, lang="en")
    code_, _, err = hq.run("hq", "device", "revoke", "no-such-device", lang="en")
    assert code_ == 1 and "no device with the id no-such-device" in err
    assert hq.audit_actions().count("device_revoke") == 1
    audit = hq.ok("hq", "audit", "--actor", "审核员甲", lang="en")
    assert "enroll" in audit and "user_add" not in audit
    assert "no audit entries match" in hq.ok("hq", "audit", "--since", "2999-01-01", lang="en")
    detail = json.loads(hq.ok("hq", "audit", "--limit", "1", lang="en").splitlines()[1].split(None, 5)[5])
    assert detail == {"user": "审核员甲"}


def test_bad_limit_is_refused_by_the_parser(hq: HQ) -> None:
    code, _, err = hq.run("hq", "audit", "--limit", "0", lang="en")
    assert code == 2  # argparse's usage error, as for every bad option
    assert "not a whole number from 1 to 10000" in err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hq_help_lists_every_command(capsys: pytest.CaptureFixture[str], lang: str) -> None:
    with pytest.raises(SystemExit):
        main(["--lang", lang, "hq", "--help"])
    out = capsys.readouterr().out
    for command in ("serve", "user", "device", "site", "assign", "checklist", "audit"):
        assert command in out
    assert ("点位" in out) == (lang == "zh")


def test_the_registry_as_an_xlsx_with_a_title_row_and_numbers(hq: HQ, tmp_path: Path) -> None:
    hq.publish_builtins()
    lines = (EXAMPLES / "sites.csv").read_text(encoding="utf-8").splitlines()
    rows: list[list[object]] = [["城关镇创文点位台账（2026）"], *[line.split(",") for line in lines]]
    rows[2][5] = 1  # a 网格 typed as a number: Excel stores 1.0
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:I1")
    path = tmp_path / "台账.xlsx"
    book.save(path)
    out = hq.ok("hq", "site", "import", str(path), "--apply")
    assert "台账.xlsx：8 行" in out and "已写入总部：8 项更改" in out
    listing = hq.ok("hq", "site", "list")
    assert "城关镇/东街社区/1 " in listing
