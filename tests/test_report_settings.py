"""Report settings set once per office: the bulletin's 期号 (numbered on), 发文单位 and 红黑榜 rules, at HQ in
`hq_settings` (audited) and on a laptop in its data dir; the bulletin and the notice take them as defaults, and an
option on the command line still wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from inspector.cli import main
from inspector.core.store import Store
from inspector.reports.settings import FILE_NAME, SettingError, bulletin_defaults, check
from sync.hq.db import Database
from sync.hq.db.models import audit_log, hq_settings
from tests.test_bulletin import SITES, build_problems
from tests.test_hq_admin_cli import HQ, hq

__all__ = ["hq"]  # a fixture: pytest finds it among this module's names


# the rules both ends share -------------------------------------------------------------------------------------


def test_values_are_checked_and_normalised() -> None:
    assert check("bulletin.issuer", "  东城区创城办 ") == "东城区创城办"
    assert check("bulletin.list_size", " 05 ") == "5"
    assert check("bulletin.issue_no", "2026 年第 {n} 期") == "2026 年第 {n} 期"


@pytest.mark.parametrize(
    ("key", "value", "zh", "en"),
    [
        ("bulletin.colour", "红", "没有这个设置：bulletin.colour", "known: bulletin.issuer, bulletin.issue_no"),
        ("bulletin.list_size", "三", "bulletin.list_size 应为 0 到 100 的整数", "must be a whole number from 0"),
        ("bulletin.min_inspections", "-1", "应为 0 到 1000 的整数：'-1'", "from 0 to 1000: '-1'"),
        ("bulletin.next_issue", "0", "应为 1 到 100000 的整数", "from 1 to 100000"),
        ("bulletin.issuer", "第一行\n第二行", "不含换行", "on one line"),
        ("bulletin.issuer", "  ", "1 到 200 个字符", "1 to 200 characters"),
        ("bulletin.issue_no", "第 {no} 期", "花括号只能是 {n}", "the only braces bulletin.issue_no may hold are {n}"),
    ],
)
def test_a_refused_value_names_the_key_and_the_rule(key: str, value: str, zh: str, en: str) -> None:
    with pytest.raises(SettingError) as refused:
        check(key, value)
    assert zh in refused.value.text("zh") and en in refused.value.text("en")


def test_the_command_line_wins_over_the_settings_and_the_settings_over_the_built_in_defaults() -> None:
    settings = {"bulletin.issuer": "东城区创城办", "bulletin.issue_no": "2026 年第 {n} 期", "bulletin.next_issue": "9"}
    chosen = bulletin_defaults(settings)
    assert (chosen.issue_no, chosen.issuer, chosen.list_size, chosen.min_inspections) == (
        "2026 年第 9 期", "东城区创城办", 3, 1,
    )  # fmt: skip
    assert chosen.numbered and chosen.number == 9
    given = bulletin_defaults(settings, issue_no="特刊", issuer="市创城办", list_size=5, min_inspections=2)
    assert (given.issue_no, given.issuer, given.list_size, given.min_inspections) == ("特刊", "市创城办", 5, 2)
    assert not given.numbered  # a number given by hand does not move the sequence on
    assert not bulletin_defaults({"bulletin.issue_no": "第 9 期"}).numbered  # a fixed text is not a sequence


# the laptop ----------------------------------------------------------------------------------------------------


def laptop(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(tmp_path / "data"), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_laptop_keeps_its_settings_in_its_data_dir_and_numbers_its_bulletins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(tmp_path / "data") as store:
        store.put_sites(SITES)
    for key, value in [
        ("bulletin.issuer", "东城区创城办"),
        ("bulletin.issue_no", "2026 年第 {n} 期"),
        ("bulletin.next_issue", "9"),
        ("bulletin.list_size", "2"),
    ]:
        code, out, err = laptop(tmp_path, capsys, "report", "settings", "set", key, value)
        assert code == 0, err
        assert f"已设置 {key} = {value}" in out
    stored = json.loads((tmp_path / "data" / FILE_NAME).read_text(encoding="utf-8"))
    assert stored["bulletin.next_issue"] == "9" and stored["bulletin.issuer"] == "东城区创城办"
    listed = laptop(tmp_path, capsys, "report", "settings", "list")[1]
    assert "bulletin.list_size = 2" in listed and "bulletin.min_inspections = 1（默认）" in listed

    period = ["report", "bulletin", "--from", "2026-05-01", "--to", "2026-05-31"]
    preview = laptop(tmp_path, capsys, *period)[1]
    assert preview.splitlines()[2] == "2026 年第 9 期" and "前 2 名入红榜" in preview
    first = tmp_path / "第9期.md"
    code, out, err = laptop(tmp_path, capsys, *period, "-o", str(first))
    assert code == 0, err
    assert "本期期号：2026 年第 9 期；下一期将为：2026 年第 10 期" in out
    assert "2026 年第 9 期" in first.read_text(encoding="utf-8")  # the preview did not use a number up
    second = tmp_path / "第10期.md"
    assert laptop(tmp_path, capsys, *period, "-o", str(second))[0] == 0
    assert second.read_text(encoding="utf-8").splitlines()[2] == "2026 年第 10 期"
    # A number given by hand is used once and leaves the sequence where it was.
    special = tmp_path / "特刊.md"
    code, out, _ = laptop(tmp_path, capsys, *period, "--issue-no", "特刊", "--list-size", "1", "-o", str(special))
    assert code == 0 and "下一期" not in out
    text = special.read_text(encoding="utf-8")
    assert "特刊" in text and "前 1 名入红榜" in text and "东城区创城办" in text
    assert json.loads((tmp_path / "data" / FILE_NAME).read_text(encoding="utf-8"))["bulletin.next_issue"] == "11"


def test_the_notice_is_signed_by_the_laptops_issuer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(tmp_path / "data") as store:
        store.put_sites(SITES)
        for found in build_problems():
            store.save_problem(found)
    assert laptop(tmp_path, capsys, "report", "settings", "set", "bulletin.issuer", "东城区创城办")[0] == 0
    target = tmp_path / "通知书.html"
    code, _, err = laptop(tmp_path, capsys, "report", "notice", "--unit", "二里物业", "-o", str(target))
    assert code == 0, err
    assert "东城区创城办" in target.read_text(encoding="utf-8")


def test_a_refused_setting_or_a_damaged_file_is_named_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = laptop(tmp_path, capsys, "--lang", "en", "report", "settings", "set", "bulletin.list_size", "x")
    assert (code, out) == (1, "") and "bulletin.list_size must be a whole number" in err
    assert not (tmp_path / "data" / FILE_NAME).exists()
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / FILE_NAME).write_text("{broken", encoding="utf-8")
    code, _, err = laptop(tmp_path, capsys, "report", "bulletin", "--from", "2026-05-01", "--to", "2026-05-31")
    assert code == 1 and FILE_NAME in err and "无法读取" in err and "Traceback" not in err


# HQ ------------------------------------------------------------------------------------------------------------


def stored_settings(hq: HQ) -> dict[str, tuple[str, str]]:
    db = Database(hq.url)
    try:
        with db.read() as conn:
            return {r.key: (r.value, r.updated_by) for r in conn.execute(select(hq_settings))}
    finally:
        db.dispose()


def setting_audits(hq: HQ) -> list[dict[str, object]]:
    db = Database(hq.url)
    try:
        with db.read() as conn:
            query = select(audit_log.c.detail).where(audit_log.c.action == "setting").order_by(audit_log.c.id)
            rows = conn.execute(query)
            return [json.loads(r.detail) for r in rows]
    finally:
        db.dispose()


def test_hq_settings_are_stored_audited_and_listed(hq: HQ) -> None:
    assert "已设置 bulletin.issuer = 青阳区创城办" in hq.ok("hq", "settings", "set", "bulletin.issuer", "青阳区创城办")
    assert "already" in hq.ok("hq", "settings", "set", "bulletin.issuer", "青阳区创城办", lang="en")
    hq.ok("hq", "settings", "set", "bulletin.min_inspections", "2")
    assert stored_settings(hq) == {
        "bulletin.issuer": ("青阳区创城办", "hq-admin"),
        "bulletin.min_inspections": ("2", "hq-admin"),
    }
    audits = setting_audits(hq)
    assert [(a["key"], a["value"], a["previous"]) for a in audits] == [
        ("bulletin.issuer", "青阳区创城办", None),
        ("bulletin.min_inspections", "2", None),
    ]  # setting the same value again is not a change
    listed = hq.ok("hq", "settings", "list", lang="zh")
    lines = {line.split()[0]: line for line in listed.splitlines()[1:]}
    assert "青阳区创城办" in lines["bulletin.issuer"] and "hq-admin" in lines["bulletin.issuer"]
    assert "3 （默认）" in lines["bulletin.list_size"] and "（未设置）" in lines["bulletin.issue_no"]


def test_hq_refuses_an_unknown_key_or_a_bad_value_and_stores_nothing(hq: HQ) -> None:
    code, out, err = hq.run("hq", "settings", "set", "bulletin.colour", "红", lang="en")
    assert (code, out) == (1, "") and "no such setting: bulletin.colour" in err
    code, _, err = hq.run("hq", "settings", "set", "bulletin.next_issue", "九")
    assert code == 1 and "bulletin.next_issue 应为 1 到 100000 的整数" in err and "must be" in err  # no --lang
    assert stored_settings(hq) == {} and setting_audits(hq) == []


def test_the_hq_bulletin_takes_its_defaults_from_the_settings_and_numbers_its_issues(hq: HQ, tmp_path: Path) -> None:
    hq.ok("hq", "settings", "set", "bulletin.issuer", "青阳区创城办")
    hq.ok("hq", "settings", "set", "bulletin.issue_no", "2026 年第 {n} 期")
    hq.ok("hq", "settings", "set", "bulletin.next_issue", "12")
    hq.ok("hq", "settings", "set", "bulletin.list_size", "5")
    hq.ok("hq", "settings", "set", "bulletin.min_inspections", "2")
    period = ["hq", "report", "bulletin", "--from", "2026-05-01", "--to", "2026-05-31"]
    preview = hq.ok(*period, lang="zh")
    assert preview.splitlines()[2:5] == ["2026 年第 12 期", "", "青阳区创城办"]
    assert "本期检查不少于 2 次的点位按得分率排序，前 5 名入红榜" in preview
    target = tmp_path / "通报.docx"
    out = hq.ok(*period, "-o", str(target), lang="zh")
    assert "本期期号：2026 年第 12 期；下一期将为：2026 年第 13 期" in out
    from docx import Document

    paragraphs = [p.text for p in Document(str(target)).paragraphs]
    assert "2026 年第 12 期" in paragraphs and "青阳区创城办" in paragraphs
    assert stored_settings(hq)["bulletin.next_issue"] == ("13", "hq-admin")
    assert [a["value"] for a in setting_audits(hq) if a["key"] == "bulletin.next_issue"] == ["12", "13"]
    # An option on the command line wins, once.
    special = hq.ok(*period, "--issue-no", "特刊", "--min-inspections", "1", lang="zh")
    assert special.splitlines()[2] == "特刊" and "本期检查不少于 1 次" in special
    assert stored_settings(hq)["bulletin.next_issue"][0] == "13"


def test_the_hq_notice_is_signed_by_the_hq_issuer_unless_the_command_names_one(
    hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice's signature itself is test_notice's; here, that HQ's setting reaches it."""
    from inspector.reports import notice

    seen: list[object] = []

    def fake_notice_main(*args: object, **keywords: object) -> int:
        seen.append(keywords["issuer"])
        return 0

    monkeypatch.setattr(notice, "notice_main", fake_notice_main)
    target = str(tmp_path / "通知书.html")
    hq.ok("hq", "report", "notice", "--unit", "富华社区居委会", "-o", target)
    hq.ok("hq", "settings", "set", "bulletin.issuer", "青阳区创城办")
    hq.ok("hq", "report", "notice", "--unit", "富华社区居委会", "-o", target)
    hq.ok("hq", "report", "notice", "--unit", "富华社区居委会", "-o", target, "--issuer", "开发区创城办")
    assert seen == ["", "青阳区创城办", "开发区创城办"]
