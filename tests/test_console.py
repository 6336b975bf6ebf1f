"""The HQ console over real HTTP (uvicorn in a subprocess, SQLite and PostgreSQL): sign-in and its safety, the
概览, the 问题台账 with its filters, bulk actions and export, a problem's page, the 检查记录 and their pages, photos.

What a page shows is checked against what HQ's services and database hold; every change is checked in the database
(events, read model, audit log), and every refusal leaves the database as it was.
"""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from inspector.core.problems import OPEN_STATUSES, OVERDUE_STATUSES, ProblemStatus
from inspector.reports.facts import Filters
from sync.hq.db import Database
from sync.hq.db.models import audit_log, console_sessions, events, rm_problems
from sync.hq.services.errors import HqError
from sync.hq.services.ledger import Narrow, ledger_page
from sync.hq.services.report_source import HqSource
from sync.protocol import Role
from tests.console_data import HOSTILE, City, populate, today_at_hq
from tests.console_support import PASSWORD, Console, console_user
from tests.sync_support import BACKENDS, ROOT, HQServer, backend_url, postgres_url, start_server, unique

__all__ = ["postgres_url"]


@pytest.fixture(scope="module", params=BACKENDS)
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HQServer, City]]:
    folder = tmp_path_factory.mktemp("console")
    url = backend_url(request, request.param, folder)
    db = Database(url)
    db.migrate()
    tag = unique("c")[:10] + "-"
    built = populate(db, folder / "files", tag=tag)
    db.dispose()
    server = start_server(url, folder / "files")
    yield server, built
    server.close()


@pytest.fixture
def address() -> str:
    """A loopback address of its own (127.x.y.z), so the per-address sign-in throttle of one test never meets
    another's."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def _client(hq: HQServer, address: str, lang: str = "zh") -> httpx.Client:
    return httpx.Client(
        base_url=hq.url,
        transport=httpx.HTTPTransport(local_address=address),
        headers={"Accept-Language": lang},
        timeout=60,
    )


@pytest.fixture
def reviewer(city: tuple[HQServer, City]) -> Iterator[Console]:
    hq, _ = city
    console = Console(hq, console_user(hq.db_url, Role.REVIEWER))
    yield console
    console.close()


def _db(hq: HQServer) -> Database:
    return Database(hq.db_url)


def _tag(city: City) -> str:
    return city.sites[0].id.rsplit("-", 1)[0] + "-"


def _count(hq: HQServer, table: object, *where: object) -> int:
    db = _db(hq)
    try:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]
    finally:
        db.dispose()


# --- signing in ---------------------------------------------------------------------------------------------------


def test_without_a_session_pages_send_to_sign_in_and_fragments_answer_401(city: tuple[HQServer, City]) -> None:
    hq, _ = city
    for path in ("/", "/ledger?status=all", "/inspections", "/problems/x", "/photos/" + "a" * 64):
        answer = httpx.get(hq.url + path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/signin?next=")
    fragment = httpx.get(hq.url + "/ledger", headers={"HX-Request": "true"}, follow_redirects=False)
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"].startswith("/signin")
    assert httpx.post(hq.url + "/ledger/act", data={"action": "void"}, follow_redirects=False).status_code == 303
    page = httpx.get(hq.url + "/signin")
    assert page.status_code == 200 and "登录" in page.text
    assert "Sign in" in httpx.get(hq.url + "/signin", headers={"Accept-Language": "en"}).text


def test_sign_in_sets_an_httponly_samesite_cookie_and_a_strict_csp(city: tuple[HQServer, City], address: str) -> None:
    hq, _ = city
    name = console_user(hq.db_url, Role.REVIEWER)
    with _client(hq, address) as client:
        answer = client.post("/signin", data={"name": name, "password": PASSWORD, "next": "/ledger"})
        assert answer.status_code == 303 and answer.headers["location"] == "/ledger"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
        page = client.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["cache-control"] == "no-store"
        # No inline script or handler anywhere on the page (the policy would block it, so it must not be needed).
        assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []
        assert re.findall(r"\son[a-z]+=", page.text) == []
        assert ' style="' not in page.text
    with _client(hq, address) as client:  # behind a TLS proxy that says so, the cookie is Secure
        answer = client.post(
            "/signin", data={"name": name, "password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
        )
        assert "Secure" in answer.headers["set-cookie"]


def test_the_next_address_is_only_ever_a_path_of_this_site(city: tuple[HQServer, City], address: str) -> None:
    hq, _ = city
    name = console_user(hq.db_url, Role.REVIEWER)
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        with _client(hq, address) as client:
            answer = client.post("/signin", data={"name": name, "password": PASSWORD, "next": hostile})
            assert answer.headers["location"] == "/", hostile


def test_a_wrong_password_is_refused_audited_and_repeated_ones_are_slowed(
    city: tuple[HQServer, City], address: str
) -> None:
    hq, _ = city
    name = console_user(hq.db_url, Role.REVIEWER)
    with _client(hq, address) as client:
        for _ in range(5):
            answer = client.post("/signin", data={"name": name, "password": "wrong password"})
            assert answer.status_code == 401
            assert "用户名或密码不正确" in answer.text and "hq_session" not in answer.headers.get("set-cookie", "")
        slowed = client.post("/signin", data={"name": name, "password": PASSWORD})
        assert slowed.status_code == 429 and "秒后再试" in slowed.text  # even the right password waits now
    assert _count(hq, audit_log, audit_log.c.action == "console_signin", audit_log.c.actor == name) >= 2
    # The user's own counter slows every address: the same name from elsewhere waits too.
    other = f"127.{random.randint(1, 254)}.1.{random.randint(2, 254)}"
    with _client(hq, other) as client:
        assert client.post("/signin", data={"name": name, "password": PASSWORD}).status_code == 429


def test_an_unknown_name_is_refused_with_the_same_words(city: tuple[HQServer, City], address: str) -> None:
    hq, _ = city
    with _client(hq, address) as client:
        answer = client.post("/signin", data={"name": unique("nobody"), "password": PASSWORD})
        assert answer.status_code == 401 and "用户名或密码不正确" in answer.text


def test_an_inspector_cannot_sign_in_nor_get_a_password(city: tuple[HQServer, City], address: str) -> None:
    hq, built = city
    with pytest.raises(HqError, match=r"inspectors|督查员"):
        console_user(hq.db_url, Role.INSPECTOR)
    with _client(hq, address) as client:
        answer = client.post("/signin", data={"name": built.inspector.user, "password": PASSWORD})
        assert answer.status_code == 401


def test_sign_out_revocation_and_idle_time_end_a_session(city: tuple[HQServer, City]) -> None:
    hq, _ = city
    console = Console(hq, console_user(hq.db_url, Role.REVIEWER))
    assert console.get("/").status_code == 200
    assert console.post("/signout").status_code == 303
    assert console.get("/", follow_redirects=False).status_code == 303
    # Idle: a session not seen for longer than the idle time is over.
    idle = Console(hq, console_user(hq.db_url, Role.REVIEWER))
    db = _db(hq)
    try:
        with db.small_write() as conn:
            conn.execute(
                update(console_sessions)
                .where(console_sessions.c.user_id == _user_id(db, idle.name))
                .values(last_seen_at=_ago(hours=3), created_at=_ago(hours=3))
            )
    finally:
        db.dispose()
    expired = idle.get("/", follow_redirects=False)
    assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
    # Revocation: `inspector hq user revoke` ends the session at once.
    revoked = Console(hq, console_user(hq.db_url, Role.REVIEWER))
    assert revoked.get("/").status_code == 200
    _inspector("--db", hq.db_url, "hq", "user", "revoke", revoked.name, data_dir=Path(hq.files).parent)
    assert revoked.get("/", follow_redirects=False).status_code == 303


def _ago(**delta: float) -> object:
    from inspector.core.ids import utcnow

    return utcnow() - timedelta(**delta)


def _user_id(db: Database, name: str) -> int:
    from sync.hq.db.models import users

    with db.read() as conn:
        return int(conn.execute(select(users.c.id).where(users.c.name == name)).scalar_one())


def _inspector(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    db_args: list[str] = []
    rest = list(args)
    if rest[:1] == ["--db"]:
        db_args, rest = rest[:2], rest[2:]
    command = [sys.executable, "-m", "inspector", "--data-dir", str(data_dir), *rest[:3], *db_args, *rest[3:]]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)


def test_user_add_asks_a_reviewer_for_a_password_twice_and_user_password_changes_it(
    city: tuple[HQServer, City], address: str
) -> None:
    hq, built = city
    folder = Path(hq.files).parent
    name = unique("审核")
    mismatch = _inspector("--db", hq.db_url, "hq", "user", "add", name, "--role", "reviewer", data_dir=folder,
                          stdin="first-password\nother-password\n")  # fmt: skip
    assert mismatch.returncode == 1 and "不一致" in mismatch.stderr and "Traceback" not in mismatch.stderr
    with _client(hq, address) as client:  # nothing was created: no such user can sign in
        assert client.post("/signin", data={"name": name, "password": "first-password"}).status_code == 401
    made = _inspector("--db", hq.db_url, "hq", "user", "add", name, "--role", "reviewer", data_dir=folder,
                      stdin="first-password\nfirst-password\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "绑定码" in made.stdout
    short = _inspector("--db", hq.db_url, "hq", "user", "password", name, data_dir=folder, stdin="short\nshort\n")
    assert short.returncode == 1 and "至少" in short.stderr
    changed = _inspector("--db", hq.db_url, "hq", "user", "password", name, data_dir=folder,
                         stdin="second-password\nsecond-password\n")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    with _client(hq, address) as client:
        assert client.post("/signin", data={"name": name, "password": "first-password"}).status_code == 401
        assert client.post("/signin", data={"name": name, "password": "second-password"}).status_code == 303
    refused = _inspector("--db", hq.db_url, "hq", "user", "password", built.inspector.user, data_dir=folder,
                         stdin="inspector-pass\ninspector-pass\n")  # fmt: skip
    assert refused.returncode == 1 and "督查员" in refused.stderr


def test_the_language_switch_is_remembered_for_the_user(city: tuple[HQServer, City]) -> None:
    hq, _ = city
    console = Console(hq, console_user(hq.db_url, Role.REVIEWER))
    assert "问题台账" in console.get("/ledger").text
    assert console.post("/lang", {"lang": "en", "back": "/ledger"}).headers["location"] == "/ledger"
    assert "Problem ledger" in console.get("/ledger").text
    again = Console(hq, console.name)  # another session of the same user, on another PC
    assert "Problem ledger" in again.get("/ledger").text
    assert console.post("/lang", {"lang": "xx"}).status_code == 422


# --- CSRF -----------------------------------------------------------------------------------------------------------


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    city: tuple[HQServer, City], reviewer: Console
) -> None:
    hq, built = city
    target = built.problems[1].id
    before = _count(hq, events)
    form = {"action": "void", "note": "误报", "scope": "selected", "ids": target, "expected": "1", "view": ""}
    for token in (None, "forged-token", reviewer.csrf[:-2] + "xx"):
        data = {**form, **({"csrf": token} if token else {})}
        answer = reviewer.client.post("/ledger/act", data=data)
        assert answer.status_code == 403, token
        assert "表单已过期" in answer.text
        answer = reviewer.client.post(f"/problems/{target}/act", data=data)
        assert answer.status_code == 403
    assert _count(hq, events) == before
    assert _count(hq, audit_log, audit_log.c.reason == "bad_csrf", audit_log.c.actor == reviewer.name) >= 1


# --- the ledger ---------------------------------------------------------------------------------------------------


def _ledger_count(
    hq: HQServer, filters: Filters, statuses: object = OPEN_STATUSES, narrow: Narrow | None = None
) -> int:
    db = _db(hq)
    try:
        return ledger_page(db, filters, statuses=statuses, narrow=narrow)[0]  # type: ignore[arg-type]
    finally:
        db.dispose()


def _total(page: str) -> int:
    found = re.search(r'id="total">共 (\d+) 条', page) or re.search(r'id="total">(\d+) rows?', page)
    assert found, page[:500]
    return int(found.group(1))


def test_the_ledger_filters_count_and_page_as_the_service_does(city: tuple[HQServer, City], reviewer: Console) -> None:
    hq, built = city
    tag = _tag(built)
    street_only = reviewer.get("/ledger", params={"street": "城关镇", "q": tag})
    assert street_only.status_code == 200
    expected = _ledger_count(hq, Filters(street="城关镇"), narrow=Narrow(text=tag))
    assert _total(street_only.text) == expected > 0
    everything = reviewer.get("/ledger", params={"status": "all", "q": tag})
    assert _total(everything.text) == _ledger_count(hq, Filters(), None, Narrow(text=tag)) == len(built.problems)
    fragment = reviewer.fragment("/ledger", params={"status": "all", "q": tag})
    assert "<html" not in fragment.text and _total(fragment.text) == len(built.problems)
    overdue = reviewer.get("/ledger", params={"overdue": "1", "q": tag})
    assert _total(overdue.text) == _ledger_count(hq, Filters(overdue_on=today_at_hq()), narrow=Narrow(text=tag))
    assert reviewer.get("/ledger", params={"status": "bogus"}).status_code == 422
    assert "status" in reviewer.get("/ledger", params={"status": "bogus"}).text
    assert reviewer.get("/ledger", params={"date_from": "2026-13-40"}).status_code == 422


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", "%", "_", "\\", '"; DROP TABLE rm_problems; --', "东街%社区"])
def test_filter_values_with_sql_metacharacters_match_nothing_and_break_nothing(
    city: tuple[HQServer, City], reviewer: Console, hostile: str
) -> None:
    hq, _ = city
    for name in ("q", "street", "unit", "item", "batch", "community"):
        answer = reviewer.get("/ledger", params={"status": "all", name: hostile})
        assert answer.status_code == 200, (name, hostile)
        assert _total(answer.text) == 0, (name, hostile)
    for name in ("q", "street", "community", "site_type", "checklist", "inspector", "batch"):
        listed = reviewer.get("/inspections", params={name: hostile})
        assert listed.status_code == 200 and _total(listed.text) == 0, (name, hostile)
    assert _count(hq, rm_problems) > 0


def test_a_hostile_note_shows_as_text(city: tuple[HQServer, City], reviewer: Console) -> None:
    _, built = city
    victim = next(p for p in built.problems if p.description.startswith("<script>"))
    for path in (
        f"/problems/{victim.id}",
        "/ledger?" + urlencode({"status": "all", "q": "<script>"}),
        f"/inspections/{victim.inspection_id}",
    ):
        page = reviewer.get(path).text
        assert HOSTILE not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<img src=x onerror" not in page


def test_bulk_assign_of_all_matching_confirms_the_exact_count_then_acts_on_exactly_those(
    city: tuple[HQServer, City], reviewer: Console
) -> None:
    hq, built = city
    view = urlencode({"status": "registered", "community": "东街社区", "q": _tag(built)})
    matching = _ledger_count(
        hq, Filters(community="东街社区", status=None), {ProblemStatus.REGISTERED}, Narrow(text=_tag(built))
    )
    assert matching > 1
    form = {"action": "assign", "scope": "all", "view": view, "unit": "城关镇城管中队", "deadline_kind": "workdays",
            "deadline_n": "5"}  # fmt: skip
    confirmation = reviewer.post("/ledger/confirm", form, headers={"HX-Request": "true"})
    assert confirmation.status_code == 200 and "<html" not in confirmation.text
    assert (
        f'data-count="{matching}"' in confirmation.text and f"将对 {matching} 个问题执行「交办」" in confirmation.text
    )
    before = _count(hq, events, events.c.kind == "assign")
    stale = reviewer.post("/ledger/act", {**form, "expected": str(matching + 1)})
    assert "筛选结果已变化" in stale.text and _count(hq, events, events.c.kind == "assign") == before
    done = reviewer.post("/ledger/act", {**form, "expected": str(matching)})
    assert done.status_code == 200 and f"已生效 {matching} 个问题" in done.text
    assert _count(hq, events, events.c.kind == "assign") == before + matching
    assigned = _count(
        hq,
        rm_problems,
        rm_problems.c.community == "东街社区",
        rm_problems.c.site_id.startswith(_tag(built)),
        rm_problems.c.responsible_unit == "城关镇城管中队",
        rm_problems.c.deadline_kind == "workdays",
        rm_problems.c.deadline_n == 5,
    )
    assert assigned >= matching
    row = _last_audit(hq, "console_assign")
    assert row.actor == reviewer.name and row.ip == "127.0.0.1" and '"applied": ' + str(matching) in row.detail


def _last_audit(hq: HQServer, action: str) -> object:
    db = _db(hq)
    try:
        with db.read() as conn:
            return conn.execute(
                select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id.desc()).limit(1)
            ).one()
    finally:
        db.dispose()


def test_void_and_shelve_need_a_reason(city: tuple[HQServer, City], reviewer: Console) -> None:
    hq, built = city
    target = built.problems[2].id
    before = _count(hq, events)
    for action in ("void", "shelve"):
        answer = reviewer.post("/ledger/confirm", {"action": action, "scope": "selected", "ids": target, "note": " "})
        assert answer.status_code == 422 and "须写明原因" in answer.text
    assert _count(hq, events) == before


def test_close_needs_the_recheck_after_photo(city: tuple[HQServer, City], reviewer: Console) -> None:
    hq, built = city
    assert built.fixed is not None
    without = next(p for p in built.problems if p.id not in (built.fixed.id,) and not p.events[1:])
    refused = reviewer.post(f"/problems/{without.id}/act", {"action": "close", "note": "已整改"})
    assert refused.status_code == 409 and "未执行" in refused.text
    closed = reviewer.post(f"/problems/{built.fixed.id}/act", {"action": "close", "note": "复查属实"})
    assert closed.status_code == 303
    page = reviewer.get(f"/problems/{built.fixed.id}").text
    assert "已销号" in page and 'data-kind="close"' in page
    assert _count(hq, rm_problems, rm_problems.c.id == built.fixed.id, rm_problems.c.status == "closed") == 1


def test_the_ledger_export_holds_the_rows_of_the_view_with_their_statuses(
    city: tuple[HQServer, City], reviewer: Console
) -> None:
    hq, built = city
    params = {"status": "all", "street": "青阳街道", "q": _tag(built)}
    expected = _ledger_count(hq, Filters(street="青阳街道"), None, Narrow(text=_tag(built)))
    answer = reviewer.get("/ledger/export", params={**params, "format": "xlsx"})
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "序号" and "状态" in rows[0]
    assert len(rows) - 1 == expected > 0
    status_column = rows[0].index("状态")
    labels = {s.label("zh") for s in ProblemStatus}
    assert all(str(row[status_column]).split("（")[0] in labels for row in rows[1:])
    assert {row[rows[0].index("街道")] for row in rows[1:]} == {"青阳街道"}
    csv_answer = reviewer.get("/ledger/export", params={**params, "format": "csv"})
    assert csv_answer.content.startswith(b"\xef\xbb\xbf") and csv_answer.text.count("\n") == expected + 1
    assert reviewer.get("/ledger/export", params={"format": "pdf"}).status_code == 422


# --- inspections, problems, photos --------------------------------------------------------------------------------


def test_inspections_list_and_one_inspection_show_what_hq_holds(city: tuple[HQServer, City], reviewer: Console) -> None:
    _, built = city
    listed = reviewer.get("/inspections", params={"q": _tag(built)})
    assert _total(listed.text) == len(built.inspections)
    some = built.inspections[-1]
    narrowed = reviewer.get("/inspections", params={"q": _tag(built), "community": "富华社区"})
    assert _total(narrowed.text) == sum(1 for i in built.inspections if i.site_id.endswith("qf"))
    page = reviewer.get(f"/inspections/{some.id}")
    assert page.status_code == 200
    failed = [code for code, r in some.results.items() if r.verdict is not None and r.verdict.value == "fail"]
    for code in failed:
        assert f'id="item-{code}"' in page.text
    for problem in (p for p in built.problems if p.inspection_id == some.id):
        assert f"/problems/{problem.id}" in page.text
    for sha in (s for r in some.results.values() for s in r.photos):
        assert f"/photos/{sha}/thumb" in page.text
    assert reviewer.get("/inspections/no-such-id").status_code == 404
    export = reviewer.get("/inspections/export", params={"q": _tag(built), "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert len(rows) - 1 == len(built.inspections)
    assert reviewer.get("/inspections", params={"rate_min": "abc"}).status_code == 422


def test_photos_are_served_by_their_hash_and_unknown_ones_are_404(
    city: tuple[HQServer, City], reviewer: Console
) -> None:
    _, built = city
    sha = built.photos[0]
    answer = reviewer.get(f"/photos/{sha}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert answer.content[:2] == b"\xff\xd8"
    thumb = reviewer.get(f"/photos/{sha}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert len(thumb.content) < len(answer.content)  # made smaller, once (the second answer is the kept file)
    assert reviewer.get(f"/photos/{sha}/thumb").content == thumb.content
    assert reviewer.get("/photos/" + "0" * 64).status_code == 404
    assert reviewer.get("/photos/not-a-hash").status_code == 422


def test_the_overview_counts_what_the_read_model_holds(city: tuple[HQServer, City], reviewer: Console) -> None:
    hq, _ = city
    today = today_at_hq()
    page = reviewer.get("/").text
    assert "<svg" in page and "近 12 周趋势" in page
    db = _db(hq)
    try:
        facts = HqSource(db).problem_facts(Filters())
    finally:
        db.dispose()
    late = [f for f in facts if f.status in OVERDUE_STATUSES]
    expected = {
        "n-overdue": sum(1 for f in late if f.due < today),
        "n-soon": sum(1 for f in late if today <= f.due <= today + timedelta(days=2)),
        "n-conflicts": sum(1 for f in facts if f.conflicts and f.status in OPEN_STATUSES),
    }
    shown = {key: int(re.search(rf'id="{key}">(\d+)<', page).group(1)) for key in expected}  # type: ignore[union-attr]
    assert shown == expected and expected["n-overdue"] > 0
    period = reviewer.get("/", params={"date_from": (today - timedelta(days=29)).isoformat()}).text
    found = sum(1 for f in facts if today - timedelta(days=29) <= f.found_on <= today)
    assert re.search(r'id="card-found"><div class="label">[^<]*</div><div class="big">(\d+)<', period).group(1) == str(
        found
    )  # type: ignore[union-attr]
    assert reviewer.get("/", params={"date_from": "yesterday"}).status_code == 422
    best = re.findall(r"<td>\d+</td><td>([^<]+)</td>", page.split('id="best"')[1].split('id="worst"')[0])
    worst = re.findall(r"<td>\d+</td><td>([^<]+)</td>", page.split('id="worst"')[1])
    assert best and not set(best) & set(worst)  # the best and the worst never name the same 社区


def test_fragments_and_the_print_view_hold_the_same_rows(city: tuple[HQServer, City], reviewer: Console) -> None:
    _, built = city
    tag = _tag(built)
    fragment = reviewer.fragment("/inspections", params={"q": tag})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert _total(fragment.text) == len(built.inspections)
    printed = reviewer.get("/ledger", params={"status": "all", "q": tag, "size": "1000"})
    assert printed.text.count('name="ids" value=') == min(len(built.problems), 1000)
    paged = reviewer.get("/ledger", params={"status": "all", "q": tag})
    assert paged.text.count('name="ids" value=') == min(len(built.problems), 50)
    assert reviewer.get("/ledger", params={"size": "5000"}).status_code == 422
