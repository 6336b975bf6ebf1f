"""The console's admin and report pages over a real server (uvicorn on loopback), on SQLite and PostgreSQL: 排名 /
红黑榜, 督查通报, 点位, 检查表, 任务批次, 用户与设备, 审计日志.

Roles (no session → the sign-in page; a reviewer gets 403 on every admin page, audited), CSRF on every change (a
refused post changes nothing: the database is read back), imports that name every bad cell and apply nothing, a
broken checklist's FILE:LINE: message, filter values with SQL metacharacters, and exports read back with openpyxl
holding the rows the page shows."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import delete, func, select

from checklists.registry import builtin_checklist
from inspector.core.ids import utcnow
from inspector.core.records import Inspection
from inspector.reports.settings import ISSUER, MIN_INSPECTIONS
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.db.models import assignments, audit_log, checklists, devices, hq_settings, rounds, sites, users
from sync.hq.services.bulletin import today_at_hq
from sync.hq.services.checklist_publish import publish_file
from sync.hq.services.rounds import add_round
from sync.hq.services.settings import set_setting
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, Role
from tests.console_support import PASSWORD, Console, console_user
from tests.sync_support import (
    BACKENDS,
    ROOT,
    HQServer,
    admin_put,
    backend_url,
    enroll,
    item_json,
    make_inspection,
    postgres_url,
    push,
    start_server,
    unique,
)

__all__ = ["postgres_url"]

BUILTIN = ROOT / "checklists" / "builtin"
BROKEN = ROOT / "tests" / "data" / "broken_checklists"
ADMIN_PAGES = ["/sites", "/sites/export", "/checklists", "/rounds", "/users", "/audit", "/audit/export"]
REPORT_PAGES = ["/ranking", "/ranking/export", "/bulletin", "/bulletin/download?fmt=md"]
ADMIN_POSTS = [
    "/sites/preview",
    "/sites/apply",
    "/checklists/preview",
    "/checklists/publish",
    "/rounds",
    "/rounds/assign/preview",
    "/rounds/assign/apply",
    "/users",
    "/users/revoke",
    "/users/device/revoke",
]
NASTY = ["' OR 1=1 --", "%", "_", '"; DROP TABLE sites; --']
SITE_HEADER = "名称,类型,区,街道,社区,网格,责任单位,检查表\n"


@dataclass
class City:
    """Sites in two streets and three communities, inspected this week with different scores."""

    today: date
    inspector: Credentials
    site_ids: dict[str, str]  # name → id


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(backend_url(request, request.param, folder), folder / "files")
    yield server
    server.close()


@pytest.fixture(scope="module")
def admin_name(hq: HQServer) -> str:
    return console_user(hq.db_url, Role.ADMIN)


@pytest.fixture(scope="module")
def reviewer_name(hq: HQServer) -> str:
    return console_user(hq.db_url, Role.REVIEWER)


@pytest.fixture(scope="module")
def admin(hq: HQServer, admin_name: str) -> Iterator[Console]:
    console = Console(hq, admin_name)
    yield console
    console.close()


@pytest.fixture(scope="module")
def reviewer(hq: HQServer, reviewer_name: str) -> Iterator[Console]:
    console = Console(hq, reviewer_name)
    yield console
    console.close()


@pytest.fixture(scope="module")
def city(hq: HQServer) -> City:
    db = Database(hq.db_url)
    try:
        for path in sorted(BUILTIN.glob("*.yaml")):
            publish_file(db, path, now=utcnow())
    finally:
        db.dispose()
    device_admin = enroll(hq, Role.ADMIN)
    inspector = enroll(hq, Role.INSPECTOR)
    places = [
        ("和平里小区", "东城街道", "和平社区"),
        ("幸福苑", "东城街道", "和平社区"),
        ("光明小区", "东城街道", "光明社区"),
        ("新华家园", "西城街道", "新华社区"),
    ]
    ids = {name: unique("site") for name, _, _ in places}
    admin_put(
        hq,
        device_admin,
        "sites",
        {
            "sites": [
                {"id": ids[n], "name": n, "site_type": "楼院", "street": s, "community": c, "responsible_unit": "物业"}
                for n, s, c in places
            ]
        },
    )
    admin_put(
        hq,
        device_admin,
        "assignments",
        {"assignments": [{"user": inspector.user, "site_id": ids[n]} for n, _, _ in places]},
    )
    # 和平社区 passes everything, 光明 fails 1 in 2, 新华 fails 1 in 5.
    for name, fail_every in (("和平里小区", 0), ("幸福苑", 0), ("光明小区", 2), ("新华家园", 5)):
        push(hq, inspector, item_json("inspection", scored(ids[name], fail_every)))
    return City(today_at_hq(), inspector, ids)


def scored(site_id: str, fail_every: int) -> Inspection:
    """A submitted 楼院 inspection answering the checklist's first ten items (a 不符合 every `fail_every`-th)."""
    checklist = builtin_checklist("residential")
    assert checklist is not None
    inspection = make_inspection(site_id, 10, fail_every=fail_every)
    codes = [item.code for item in checklist.items[:10]]
    inspection.results = {
        code: result.model_copy(update={"code": code})
        for code, result in zip(codes, inspection.results.values(), strict=True)
    }
    return inspection


def count(hq: HQServer, table: Any, *where: Any) -> int:
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
    finally:
        db.dispose()


def audit_rows(hq: HQServer, **equal: object) -> list[Any]:
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            query = select(audit_log)
            for key, value in equal.items():
                query = query.where(audit_log.c[key] == value)
            return list(conn.execute(query.order_by(audit_log.c.id)))
    finally:
        db.dispose()


def text_of(page: str) -> str:
    """The page's text without its tags, entities decoded: what a person reads."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def main_of(page: str) -> str:
    found = re.search(r'<main id="main">(.*)</main>', page, re.DOTALL)
    assert found, page[:500]
    return found.group(1)


def period(city: City) -> dict[str, str]:
    return {"date_from": (city.today - timedelta(days=6)).isoformat(), "date_to": city.today.isoformat()}


def upload(console: Console, path: str, name: str, content: bytes, **fields: str) -> httpx.Response:
    return console.client.post(
        path, data={"csrf": console.csrf, **fields}, files={"file": (name, content, "application/octet-stream")}
    )


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    assert found, text_of(page)[:2000]
    return found.group(1)


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def table_rows(page: str, table_id: str | None = None, css: str | None = None) -> list[list[str]]:
    """The body rows of a table on the page, each cell's text."""
    if table_id:
        found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.DOTALL)
    else:
        found = re.search(rf'<table class="[^"]*{css or ""}[^"]*"[^>]*>(.*?)</table>', page, re.DOTALL)
    assert found, page[:300]
    body = re.search(r"<tbody>(.*?)</tbody>", found.group(1), re.DOTALL)
    assert body
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.DOTALL)
    return [[" ".join(text_of(c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.DOTALL)] for r in rows]


# --- roles ---------------------------------------------------------------------------------------------------------


def test_no_session_is_sent_to_sign_in_from_every_page(hq: HQServer) -> None:
    with httpx.Client(base_url=hq.url) as anonymous:
        for path in ADMIN_PAGES + REPORT_PAGES:
            response = anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/signin?next="), path
        for path in ADMIN_POSTS:
            response = anonymous.post(path, data={"csrf": "x"})
            assert response.status_code == 303 and response.headers["location"].startswith("/signin"), path
        fragment = anonymous.get("/sites", headers={"HX-Request": "true"})
        assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/signin")


def test_a_reviewer_gets_403_on_every_admin_page_and_the_refusal_is_audited(
    hq: HQServer, reviewer: Console, reviewer_name: str
) -> None:
    for path in [*ADMIN_PAGES, "/users/revoke?name=x", "/users/device/revoke?id=x"]:
        response = reviewer.get(path)
        assert response.status_code == 403, path
        assert "<html" in response.text and "admin" in response.text
    users_before = count(hq, users)
    for path in ADMIN_POSTS:
        response = reviewer.post(path, data={"name": "intruder", "role": "admin", "date_from": "2026-01-01"})
        assert response.status_code == 403, path
    assert count(hq, users) == users_before
    refused = {r.action for r in audit_rows(hq, actor=reviewer_name, reason="forbidden")}
    assert {"GET /sites", "GET /users", "GET /audit", "POST /users", "POST /rounds", "POST /sites/apply"} <= refused
    fragment = reviewer.fragment("/checklists")
    assert fragment.status_code == 403


def test_a_reviewer_reads_the_ranking_and_the_bulletin_without_the_admin_menu(reviewer: Console, city: City) -> None:
    for path in ("/ranking", "/bulletin"):
        response = reviewer.get(path, params=period(city))
        assert response.status_code == 200, path
        assert 'href="/sites"' not in response.text
    assert reviewer.get("/ranking/export", params=period(city)).status_code == 200
    assert reviewer.get("/bulletin/download", params={"fmt": "docx", **period(city)}).status_code == 200


# --- 排名 / 红黑榜 ---------------------------------------------------------------------------------------------------


def test_ranking_ranks_communities_and_streets_with_formula_change_and_lists(admin: Console, city: City) -> None:
    response = admin.get("/ranking", params=period(city))
    assert response.status_code == 200
    page = response.text
    words = text_of(page)
    assert "得分率 = Σ符合项 ÷（Σ符合项 + Σ不符合项）" in words
    assert "红黑榜规则（与督查通报相同）" in words
    communities = table_rows(page.split('id="community-ranking"')[1])
    assert [r[2] for r in communities] == ["和平社区", "新华社区", "光明社区"]
    assert communities[0][:2] == ["1", "东城街道"] and communities[0][7] == "100.0%"
    assert communities[1][7] == "80.0%" and communities[2][7] == "50.0%"
    # min(3, 3 // 2) = 1 on each list: the best is red, the worst black, the middle neither.
    assert [r[-1] for r in communities] == ["红榜", "", "黑榜"]
    assert all(r[8] == "上期无" for r in communities)  # nothing was inspected in the week before
    streets = table_rows(page.split('id="street-ranking"')[1])
    assert [r[1] for r in streets] == ["东城街道", "西城街道"]  # (10 + 10 + 5) / 30 against 80%
    assert [r[-1] for r in streets] == ["红榜", "黑榜"]


def test_ranking_and_bulletin_draw_their_lists_by_hqs_settings(hq: HQServer, admin: Console, city: City) -> None:
    """`hq settings` makes a community need two inspections: only 和平社区 qualifies, too few for any list, on the
    ranking page and in the bulletin alike; the issuer set for the bulletin shows on the page."""
    db = Database(hq.db_url)
    try:
        set_setting(db, MIN_INSPECTIONS, "2", actor="test", now=utcnow())
        set_setting(db, ISSUER, "示范市创城办", actor="test", now=utcnow())
        page = admin.get("/ranking", params=period(city)).text
        assert "本期检查不少于 2 次的单位" in text_of(page)
        assert [r[-1] for r in table_rows(page.split('id="community-ranking"')[1])] == ["", "", ""]
        bulletin = text_of(admin.get("/bulletin", params=period(city)).text)
        assert "示范市创城办" in bulletin and "本期检查不少于 2 次" in bulletin
    finally:
        with db.small_write() as conn:  # unset again: the other tests read HQ without settings
            conn.execute(delete(hq_settings).where(hq_settings.c.key.in_([MIN_INSPECTIONS, ISSUER])))
        db.dispose()


def test_ranking_exports_hold_the_rows_the_page_shows(admin: Console, city: City) -> None:
    page = admin.get("/ranking", params=period(city)).text
    shown = table_rows(page.split('id="community-ranking"')[1])
    xlsx = admin.get("/ranking/export", params={"level": "community", "fmt": "xlsx", **period(city)})
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    rows = xlsx_rows(xlsx.content)
    assert rows[0][:3] == ["名次", "街道", "社区"]
    assert rows[1:] == shown
    streets = admin.get("/ranking/export", params={"level": "street", "fmt": "csv", **period(city)})
    read = list(csv.reader(io.StringIO(streets.content.decode("utf-8-sig"))))
    assert read[1:] == table_rows(page.split('id="street-ranking"')[1])


def test_ranking_of_a_batch_with_sql_metacharacters_is_empty_not_an_error(admin: Console, city: City) -> None:
    for value in NASTY:
        response = admin.get("/ranking", params={"batch": value, **period(city)})
        assert response.status_code == 200, value
        assert "本期没有已提交的检查" in text_of(response.text)
    assert admin.get("/ranking", params={"date_from": "' OR 1=1 --"}).status_code == 422


def test_ranking_in_english(hq: HQServer, admin_name: str, city: City) -> None:
    english = Console(hq, admin_name, lang="en")
    try:
        english.post("/lang", {"lang": "en", "back": "/"})
        words = text_of(english.get("/ranking", params=period(city)).text)
        assert "score rate = Σpassed ÷ (Σpassed + Σfailed)" in words and "red list" in words
    finally:
        english.post("/lang", {"lang": "zh", "back": "/"})
        english.close()


# --- 督查通报 --------------------------------------------------------------------------------------------------------


def test_bulletin_page_embeds_the_bulletin_without_inline_style_or_script(admin: Console, city: City) -> None:
    response = admin.get("/bulletin", params=period(city))
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    main = main_of(response.text)
    assert "<style" not in response.text and "style=" not in response.text
    assert "<script" not in main
    words = text_of(main)
    assert "督查通报" in words and "三、红榜" in words and "和平社区" in words


def test_bulletin_downloads_are_what_the_hq_command_prints(
    hq: HQServer, admin: Console, city: City, tmp_path: Path
) -> None:
    from sync.hq.cli_reports import bulletin_main

    dates = period(city)
    md = admin.get("/bulletin/download", params={"fmt": "md", **dates})
    assert md.status_code == 200 and "attachment" in md.headers["content-disposition"]
    out, err = io.StringIO(), io.StringIO()
    code = bulletin_main(
        hq.db_url,
        tmp_path,
        date.fromisoformat(dates["date_from"]),
        date.fromisoformat(dates["date_to"]),
        None,
        None,
        out,
        err,
        "zh",
    )
    assert code == 0, err.getvalue()
    assert md.text == out.getvalue()
    page = admin.get("/bulletin/download", params={"fmt": "html", **dates})
    assert page.text.startswith("<!DOCTYPE html>") and "<style>" in page.text  # the whole file, for offline use
    docx_file = tmp_path / "b.docx"
    docx_file.write_bytes(admin.get("/bulletin/download", params={"fmt": "docx", **dates}).content)
    from docx import Document

    paragraphs = [p.text for p in Document(str(docx_file)).paragraphs]
    assert any("红榜" in p for p in paragraphs)
    assert admin.get("/bulletin/download", params={"fmt": "exe"}).status_code == 422


# --- 点位 ------------------------------------------------------------------------------------------------------------


def test_site_import_previews_then_applies_audited_with_the_admin_and_address(
    hq: HQServer, admin: Console, admin_name: str, city: City
) -> None:
    name = unique("新建小区")
    sheet = SITE_HEADER + f"{name},楼院,示范区,南城街道,南湖社区,网格1,南湖物业,residential\n"
    before = count(hq, sites)
    preview = upload(admin, "/sites/preview", "点位表.csv", sheet.encode("utf-8"))
    assert preview.status_code == 200, text_of(preview.text)[:1000]
    words = text_of(preview.text)
    assert "新增 1 个" in words and name in words and "点位表.csv：共 1 行" in words
    assert count(hq, sites) == before  # a preview changes nothing
    applied = admin.post("/sites/apply", {"token": token_of(preview.text)})
    assert applied.status_code == 200 and "已应用" in text_of(applied.text)
    assert count(hq, sites) == before + 1
    row = audit_rows(hq, action="site_import")[-1]
    assert row.actor == admin_name and row.ip == "127.0.0.1"
    # The token is used up: applying again changes nothing.
    assert admin.post("/sites/apply", {"token": token_of(preview.text)}).status_code == 410
    listed = admin.get("/sites", params={"q": name})
    assert table_rows(listed.text, "sites")[0][1] == name


def test_a_site_sheet_with_a_bad_row_names_row_and_column_and_applies_nothing(hq: HQServer, admin: Console) -> None:
    sheet = SITE_HEADER + "好小区,楼院,区,街道,社区,网格,单位,residential\n,楼院,区,街道,社区,网格,单位,residential\n"
    sheet += "坏检查表,楼院,区,街道,社区,网格,单位,nosuch\n"
    before = count(hq, sites)
    response = upload(admin, "/sites/preview", "sites.csv", sheet.encode("utf-8"))
    assert response.status_code == 200  # the preview is the answer: it names what is wrong, offers nothing to apply
    issues = table_rows(response.text, css="issues")
    assert [r[0] for r in issues] == ["3", "4"]
    assert issues[0][1].startswith("A") and "名称" in issues[0][1]
    assert issues[1][1].startswith("H")
    assert "sites.csv" in issues[0][2] and "第3行" in issues[0][2]
    assert 'name="token"' not in response.text  # nothing to apply
    assert count(hq, sites) == before


def test_a_kept_sheet_cannot_be_applied_from_another_session_or_by_a_made_up_token(
    hq: HQServer, admin: Console, admin_name: str
) -> None:
    name = unique("别人的小区")
    sheet = (SITE_HEADER + f"{name},楼院,区,街道,社区,网格,单位,residential\n").encode("utf-8")
    token = token_of(upload(admin, "/sites/preview", "s.csv", sheet).text)
    other = Console(hq, admin_name)
    try:
        before = count(hq, sites)
        for forged in (token, "0" * 32, "../../etc/passwd", ""):
            response = other.post("/sites/apply", {"token": forged})
            assert response.status_code == 410, forged
            assert "重新上传" in text_of(response.text)
        assert count(hq, sites) == before
    finally:
        other.close()


def test_site_list_filters_and_exports_what_it_shows(admin: Console, city: City) -> None:
    page = admin.get("/sites", params={"street": "东城街道"})
    shown = table_rows(page.text, "sites")
    assert sorted(r[1] for r in shown) == ["光明小区", "和平里小区", "幸福苑"]
    exported = xlsx_rows(admin.get("/sites/export", params={"street": "东城街道", "fmt": "xlsx"}).content)
    assert exported[0][:2] == ["编号", "名称"] and exported[1:] == shown
    read = list(csv.reader(io.StringIO(admin.get("/sites/export?fmt=csv&street=东城街道").content.decode("utf-8-sig"))))
    assert read[1:] == shown
    for value in NASTY:
        for key in ("q", "street", "community", "site_type"):
            response = admin.get("/sites", params={key: value})
            assert response.status_code == 200, (key, value)
            assert 'id="sites"' not in response.text, (key, value)


# --- 检查表 ----------------------------------------------------------------------------------------------------------


def test_a_broken_checklist_shows_its_file_line_message_and_publishes_nothing(hq: HQServer, admin: Console) -> None:
    before = count(hq, checklists)
    content = (BROKEN / "missing_field.yaml").read_bytes()
    response = upload(admin, "/checklists/preview", "missing_field.yaml", content)
    assert response.status_code == 200
    assert "missing_field.yaml:12: 缺少必填字段 `sections[0].items[1].text`" in text_of(response.text)
    assert "console-uploads" not in response.text  # named as uploaded, not by HQ's folder
    assert 'name="token"' not in response.text
    assert count(hq, checklists) == before
    many = upload(admin, "/checklists/preview", "many.yaml", (BROKEN / "yaml_syntax.yaml").read_bytes())
    assert many.status_code == 200 and re.search(r"many\.yaml:\d+: ", text_of(many.text))


def test_a_checklist_is_published_once_and_its_version_never_changes(
    hq: HQServer, admin: Console, admin_name: str, city: City
) -> None:
    key = unique("ck")
    text = (BUILTIN / "plaza.yaml").read_text(encoding="utf-8").replace("id: plaza", f"id: {key}", 1)
    preview = upload(admin, "/checklists/preview", f"{key}.yaml", text.encode("utf-8"))
    assert preview.status_code == 200, text_of(preview.text)[:1500]
    assert "检查无误" in text_of(preview.text)
    assert count(hq, checklists, checklists.c.id == key) == 0
    done = admin.post("/checklists/publish", {"token": token_of(preview.text)})
    assert done.status_code == 200 and f"已发布 {key}@2026.1" in text_of(done.text)
    assert count(hq, checklists, checklists.c.id == key) == 1
    assert audit_rows(hq, action="checklists")[-1].actor == admin_name
    assert key in text_of(admin.get("/checklists").text)
    again = upload(admin, "/checklists/preview", f"{key}.yaml", text.encode("utf-8"))
    assert "已以相同内容发布" in text_of(again.text)
    changed = text.replace("title: 公共广场实地考察检查表", "title: 公共广场实地考察检查表（修订）", 1)
    refused = upload(admin, "/checklists/preview", f"{key}.yaml", changed.encode("utf-8"))
    assert refused.status_code == 409
    assert "不能发布" in text_of(refused.text) and 'name="token"' not in refused.text
    assert count(hq, checklists, checklists.c.id == key) == 1


# --- 任务批次 --------------------------------------------------------------------------------------------------------


def test_rounds_are_added_and_assignments_imported_with_progress_and_missed_sites(
    hq: HQServer, admin: Console, admin_name: str, city: City
) -> None:
    name = unique("第一轮")
    start, end = city.today - timedelta(days=30), city.today - timedelta(days=1)
    added = admin.post("/rounds", {"name": name, "date_from": start.isoformat(), "date_to": end.isoformat()})
    assert added.status_code == 303
    page = admin.get(added.headers["location"])
    assert f"已保存批次 {name}" in text_of(page.text) and "已结束" in text_of(page.text)
    assert count(hq, rounds, rounds.c.name == name) == 1
    assert audit_rows(hq, action="round")[-1].actor == admin_name
    reversed_dates = admin.post("/rounds", {"name": name, "date_from": end.isoformat(), "date_to": start.isoformat()})
    assert reversed_dates.status_code == 422
    sheet = f"检查员,点位,批次\n{city.inspector.user},和平里小区,{name}\n{city.inspector.user},新华家园,{name}\n"
    preview = upload(admin, "/rounds/assign/preview", "任务.csv", sheet.encode("utf-8"))
    assert preview.status_code == 200 and "新增 2 条" in text_of(preview.text)
    active = assignments.c.batch == name
    assert count(hq, assignments, active) == 0
    assert admin.post("/rounds/assign/apply", {"token": token_of(preview.text)}).status_code == 200
    assert count(hq, assignments, active) == 2
    assert audit_rows(hq, action="assign_import")[-1].ip == "127.0.0.1"
    progress = table_rows(admin.get("/rounds", params={"round": name}).text.split('id="progress"')[1])
    # The inspections were made with no 批次 (they count for any), so both sites are done.
    assert progress == [[city.inspector.user, "2", "2", "0", "0", "", ""]]
    bad = f"检查员,点位,批次\n{city.inspector.user},没有这个点位,{name}\nnobody,新华家园,{name}\n"
    refused = upload(admin, "/rounds/assign/preview", "bad.csv", bad.encode("utf-8"))
    assert refused.status_code == 200
    assert [r[0] for r in table_rows(refused.text, css="issues")] == ["2", "3"]
    assert count(hq, assignments, active) == 2


def test_a_missed_site_is_named_once_its_round_is_over(hq: HQServer, admin: Console, city: City) -> None:
    name = unique("漏检轮")
    day = city.today - timedelta(days=3)
    admin.post("/rounds", {"name": name, "date_from": day.isoformat(), "date_to": day.isoformat()})
    other = enroll(hq, Role.INSPECTOR)
    sheet = f"检查员,点位,批次\n{other.user},光明小区,{name}\n"
    preview = upload(admin, "/rounds/assign/preview", "m.csv", sheet.encode("utf-8"))
    admin.post("/rounds/assign/apply", {"token": token_of(preview.text)})
    progress = table_rows(admin.get("/rounds", params={"round": name}).text.split('id="progress"')[1])
    assert progress == [[other.user, "1", "0", "0", "1", "光明小区", ""]]


# --- 用户与设备 ------------------------------------------------------------------------------------------------------


def test_adding_an_inspector_shows_its_code_and_a_qr_of_the_enrollment_command(
    hq: HQServer, admin: Console, admin_name: str
) -> None:
    name = unique("督查员")
    response = admin.post("/users", {"name": name, "role": "inspector"})
    assert response.status_code == 200
    code = re.search(r'id="code">([A-Z0-9-]+)<', response.text)
    assert code
    assert f"inspector enroll {hq.url} {code.group(1)}" in text_of(response.text)
    assert re.search(r"<svg[^>]*class=\"segno\"", response.text) and "style=" not in response.text
    assert count(hq, users, users.c.name == name) == 1
    row = audit_rows(hq, action="user_add")[-1]
    assert row.actor == admin_name and row.ip == "127.0.0.1"
    enrolled = httpx.post(
        f"{hq.url}/v1/devices/enroll",
        json={"code": code.group(1), "device_name": "console test"},
        headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
    )
    assert enrolled.status_code == 200, enrolled.text


def test_a_reviewer_added_here_needs_the_password_twice_and_then_signs_in(hq: HQServer, admin: Console) -> None:
    name = unique("复核员")
    mismatch = admin.post("/users", {"name": name, "role": "reviewer", "password": PASSWORD, "password2": "other pass"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in text_of(mismatch.text)
    missing = admin.post("/users", {"name": name, "role": "reviewer"})
    assert missing.status_code == 422
    short = admin.post("/users", {"name": name, "role": "reviewer", "password": "abc", "password2": "abc"})
    assert short.status_code == 422
    assert count(hq, users, users.c.name == name) == 0
    made = admin.post("/users", {"name": name, "role": "reviewer", "password": PASSWORD, "password2": PASSWORD})
    assert made.status_code == 200 and "已设置控制台密码" in text_of(made.text)
    signed = Console(hq, name)
    try:
        assert signed.get("/ranking").status_code == 200
    finally:
        signed.close()


def test_revoking_a_user_and_a_device_asks_first_and_is_audited(hq: HQServer, admin: Console, admin_name: str) -> None:
    device = enroll(hq, Role.INSPECTOR)
    confirm = admin.get("/users/device/revoke", params={"id": device.device_id})
    assert confirm.status_code == 200 and "确定停用设备" in text_of(confirm.text)
    assert count(hq, devices, devices.c.id == device.device_id, devices.c.revoked_at.is_(None)) == 1
    done = admin.post("/users/device/revoke", {"id": device.device_id})
    assert done.status_code == 303
    assert f"已停用设备 {device.device_id}" in text_of(admin.get(done.headers["location"]).text)
    assert count(hq, devices, devices.c.id == device.device_id, devices.c.revoked_at.is_(None)) == 0
    row = audit_rows(hq, action="device_revoke")[-1]
    assert row.actor == admin_name and row.ip == "127.0.0.1"
    other = enroll(hq, Role.INSPECTOR)
    page = admin.get("/users/revoke", params={"name": other.user})
    assert page.status_code == 200 and "确定停用用户" in text_of(page.text)
    assert admin.post("/users/revoke", {"name": other.user}).status_code == 303
    assert count(hq, users, users.c.name == other.user, users.c.revoked_at.is_not(None)) == 1
    assert audit_rows(hq, action="user_revoke")[-1].actor == admin_name
    assert admin.get("/users/revoke", params={"name": "nobody-here"}).status_code == 404
    listing = text_of(admin.get("/users").text)
    assert other.user in listing and "test laptop" in listing


# --- CSRF ------------------------------------------------------------------------------------------------------------


def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(
    hq: HQServer, admin: Console, admin_name: str, city: City
) -> None:
    victim = enroll(hq, Role.INSPECTOR)
    before = {
        "users": count(hq, users),
        "rounds": count(hq, rounds),
        "sites": count(hq, sites),
        "checklists": count(hq, checklists),
        "revoked": count(hq, devices, devices.c.revoked_at.is_not(None)),
    }
    forms: dict[str, dict[str, str]] = {
        "/rounds": {"name": "csrf-round", "date_from": "2026-01-01", "date_to": "2026-01-31"},
        "/users": {"name": "csrf-user", "role": "admin", "password": PASSWORD, "password2": PASSWORD},
        "/users/revoke": {"name": victim.user},
        "/users/device/revoke": {"id": victim.device_id},
        "/sites/apply": {"token": "0" * 32},
        "/checklists/publish": {"token": "0" * 32},
        "/rounds/assign/apply": {"token": "0" * 32},
    }
    sheet = (SITE_HEADER + "csrf小区,楼院,区,街道,社区,网格,单位,residential\n").encode("utf-8")
    for path in ADMIN_POSTS:
        for csrf in (None, "wrong-token"):
            data = dict(forms.get(path, {}))
            if csrf is not None:
                data["csrf"] = csrf
            files = {"file": ("s.csv", sheet, "text/csv")} if path.endswith("preview") else None
            response = admin.client.post(path, data=data, files=files)
            assert response.status_code == 403, (path, csrf)
    after = {
        "users": count(hq, users),
        "rounds": count(hq, rounds),
        "sites": count(hq, sites),
        "checklists": count(hq, checklists),
        "revoked": count(hq, devices, devices.c.revoked_at.is_not(None)),
    }
    assert after == before
    refused = {r.action for r in audit_rows(hq, actor=admin_name, reason="bad_csrf")}
    assert {"POST /users", "POST /rounds", "POST /sites/preview", "POST /users/device/revoke"} <= refused


# --- 审计日志 --------------------------------------------------------------------------------------------------------


def test_audit_log_filters_by_actor_action_and_period_and_exports_the_same_rows(
    hq: HQServer, admin: Console, admin_name: str, city: City
) -> None:
    admin.post("/rounds", {"name": unique("审计轮"), "date_from": "2026-01-01", "date_to": "2026-01-02"})
    page = admin.get("/audit", params={"actor": admin_name, "action": "round"})
    assert page.status_code == 200
    shown = table_rows(page.text, "audit")
    assert shown and all(r[1] == admin_name and r[2] == "round" for r in shown)
    exported = xlsx_rows(admin.get("/audit/export", params={"actor": admin_name, "action": "round"}).content)
    assert exported[0][:3] == ["时间", "操作人", "操作"]
    assert exported[1:] == shown
    today = city.today.isoformat()
    assert table_rows(admin.get("/audit", params={"date_from": today, "date_to": today}).text, "audit")
    old = admin.get("/audit", params={"date_from": "2000-01-01", "date_to": "2000-01-02"})
    assert 'id="audit"' not in old.text and "没有符合条件的记录" in text_of(old.text)
    total = count(hq, audit_log)
    for value in NASTY:
        for key in ("actor", "action"):
            response = admin.get("/audit", params={key: value})
            assert response.status_code == 200, (key, value)
            assert 'id="audit"' not in response.text, (key, value)
    assert count(hq, audit_log) == total
    assert admin.get("/audit", params={"date_to": "yesterday"}).status_code == 422


def test_audit_log_pages_fifty_rows_at_a_time(hq: HQServer, admin: Console, city: City) -> None:
    db = Database(hq.db_url)
    try:
        for n in range(55):
            add_round(db, unique(f"翻页{n}"), date(2026, 2, 1), date(2026, 2, 2), actor="script", now=utcnow())
    finally:
        db.dispose()
    total = count(hq, audit_log)
    assert total > 50
    first = admin.get("/audit")
    assert len(table_rows(first.text, "audit")) == 50 and 'rel="next"' in first.text
    pages = -(-total // 50)
    last = admin.get("/audit", params={"page": pages})
    assert len(table_rows(last.text, "audit")) == total - 50 * (pages - 1)
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
    first_ids = {tuple(r) for r in table_rows(first.text, "audit")}
    second_ids = {tuple(r) for r in table_rows(admin.get("/audit", params={"page": 2}).text, "audit")}
    assert not first_ids & second_ids
