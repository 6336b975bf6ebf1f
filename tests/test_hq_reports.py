"""HQ's read model and the reports it feeds, against a real HQ over loopback on SQLite and PostgreSQL.

Three inspectors and a reviewer work through their laptops; HQ's bulletin and ranking must then equal what one
store holding all of their records computes, the read model must equal a fresh derivation from the stored records
after any history (hypothesis drives pushes, repeats, conflicts and reviewer decisions), and the commands
`inspector hq report bulletin`, `inspector hq export` and `inspector hq reindex` must say so in files and words.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update

from inspector.cli import PROBLEM_STATUSES, main
from inspector.core.problems import OPEN_STATUSES, ProblemStatus
from inspector.core.records import DeadlineKind, DeadlineRule, Inspection, Problem, Site
from inspector.core.store import Store
from inspector.core.submission import assign_events, void_events
from inspector.reports import Filters, Window, load_report_data
from inspector.reports.bulletin import community_ranking, previous_period, render_bulletin
from sync.client import sync_once
from sync.credentials import Credentials
from sync.hq.cli_reports import today_at_hq
from sync.hq.db import Database
from sync.hq.db.models import audit_log, rm_inspections, rm_item_results, rm_problems
from sync.hq.services.readmodel import REPORT_TZ, inspection_from_row, problem_from_row, rebuild
from sync.hq.services.report_source import HqSource
from sync.protocol import Role
from tests.sync_support import BACKENDS, HQServer, admin_put, assign, backend_url, enroll, field_sites, postgres_url
from tests.test_tui_ledger import submit_with_failures

__all__ = ["postgres_url"]  # a fixture: pytest finds it among this module's names

# Sites as HQ keeps them: the demo sites' ids and types, placed in 街道 and 社区 (one left without, ranked alone).
PLACES = {
    "demo-limin": ("城关镇", "东街社区"),
    "demo-jingxin": ("城关镇", "东街社区"),
    "demo-fuhuayuan": ("青阳街道", "富华社区"),
    "demo-fuhua-ercun": ("青阳街道", "富华社区"),
    "demo-zhupaixiang": ("城关镇", "西街社区"),
    "demo-jincai": ("", ""),
}


def hq_sites() -> list[dict[str, Any]]:
    demo = {s.id: s for s in field_sites()}
    return [
        {
            "id": site_id,
            "name": demo[site_id].name,
            "site_type": demo[site_id].site_type,
            "street": street,
            "community": community,
            "district": "青阳区",
        }
        for site_id, (street, community) in PLACES.items()
    ]


@pytest.fixture(scope="module", params=BACKENDS)
def hq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = HQServer(backend_url(request, request.param, folder), folder / "files").start()
    yield server
    server.close()


class Device:
    def __init__(self, folder: Path, credentials: Credentials) -> None:
        self.store = Store.open(folder)
        self.store.put_sites(field_sites())
        self.credentials = credentials

    def sync(self) -> None:
        report = asyncio.run(sync_once(self.store, self.credentials))
        assert report.ok, report.error


class AllRecords:
    """One store's view holding every device's records: what a single laptop with all of them would report."""

    def __init__(self, sites: list[Site], inspections: list[Inspection], problems: list[Problem], store: Store):
        self._sites, self._inspections, self._problems, self._store = sites, inspections, problems, store

    def sites(self) -> list[Site]:
        return self._sites

    def inspections(self, site_id: str | None = None) -> list[Inspection]:
        return self._inspections

    def problems(self) -> list[Problem]:
        return self._problems

    def checklist(self, checklist_id: str, version: str) -> Any:
        return self._store.checklist(checklist_id, version)


def db_of(hq: HQServer) -> Database:
    return Database(hq.db_url)


def differences(hq: HQServer) -> Any:
    db = db_of(hq)
    try:
        with db.write() as w:
            return rebuild(w.conn, apply=False)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def city(hq: HQServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three inspectors' walks and a reviewer's decisions, all synced: HQ holds everything, each laptop its part."""
    folder = tmp_path_factory.mktemp("devices")
    admin = enroll(hq, Role.ADMIN)
    admin_put(hq, admin, "sites", {"sites": hq_sites()})
    routes = [
        ["demo-limin", "demo-jingxin"],
        ["demo-fuhuayuan", "demo-fuhua-ercun"],
        ["demo-zhupaixiang", "demo-jincai"],
    ]
    inspectors: list[Device] = []
    for n, sites in enumerate(routes):
        credentials = enroll(hq, Role.INSPECTOR)
        assign(hq, admin, credentials.user, *sites)
        device = Device(folder / f"inspector-{n}", credentials)
        device.sync()  # HQ's sites (with their 街道 and 社区) replace the demo ones
        inspectors.append(device)
    for device, sites in zip(inspectors, routes, strict=True):
        for k, site_id in enumerate(sites):
            submit_with_failures(device.store, site_id, 1 + k + len(sites) % 2)
        submit_with_failures(device.store, sites[0], 0)  # a second, clean inspection of the first site
        device.sync()
    reviewer = Device(folder / "reviewer", enroll(hq, Role.REVIEWER))
    reviewer.sync()
    problems = reviewer.store.problems()
    rule = DeadlineRule(kind=DeadlineKind.DAYS, n=2)
    for result in assign_events(problems[:4], "城关镇城管办", rule, reviewer.credentials.user, "rv"):
        reviewer.store.save_problem(result.problem)
    (voided,) = void_events([reviewer.store.problem(problems[4].id)], reviewer.credentials.user, "rv", note="误报")
    reviewer.store.save_problem(voided.problem)
    reviewer.sync()
    for device in inspectors:
        device.sync()  # the reviewer's decisions reach each inspector's ledger
    everything = AllRecords(
        reviewer.store.sites(),
        [i for d in inspectors for i in d.store.inspections()],
        reviewer.store.problems(),
        inspectors[0].store,
    )
    yield {"admin": admin, "inspectors": inspectors, "reviewer": reviewer, "all": everything}
    for device in [*inspectors, reviewer]:
        device.store.close()


def period() -> tuple[date, date, date]:
    today = today_at_hq()
    return today - timedelta(days=6), today, today + timedelta(days=5)  # from, to, and a today with overdue ones


def test_the_hq_bulletin_equals_what_one_store_with_all_the_records_computes(
    hq: HQServer, city: dict[str, Any]
) -> None:
    start, end, later = period()
    db = db_of(hq)
    try:
        at_hq = load_report_data(HqSource(db))
    finally:
        db.dispose()
    on_laptop = load_report_data(city["all"], REPORT_TZ)
    assert len(at_hq.inspections) == 9 and len(at_hq.problems) == len(on_laptop.problems) > 5
    for lang in ("zh", "en"):
        assert render_bulletin(at_hq, start, end, later, lang) == render_bulletin(on_laptop, start, end, later, lang)
    ranked, unscorable = community_ranking(at_hq, start, end)
    names = {g.name for g in ranked} | {g.name for g in unscorable}
    assert {"东街社区", "富华社区", "西街社区"} <= names
    assert any(g.own_name for g in [*ranked, *unscorable])  # a site without 社区, ranked under its own name
    laptop_ranked, _ = community_ranking(on_laptop, start, end)
    assert [(g.key, g.rank, g.counts) for g in ranked] == [(g.key, g.rank, g.counts) for g in laptop_ranked]
    bulletin = render_bulletin(at_hq, start, end, later, "zh")
    assert "检查点位 6 个，检查 9 次" in bulletin
    assert "城关镇城管办" in bulletin  # the assigned ones are overdue by `later`
    assert "作废（误报、不立案）1 个" in bulletin


def test_the_hq_bulletin_reads_only_its_window_and_still_equals_the_laptops(hq: HQServer, city: dict[str, Any]) -> None:
    """HQ selects in SQL the records a bulletin reads (Window); the laptop reads everything. Over periods that
    hold the records, follow them, and precede them, the two print the same bulletin."""
    today = today_at_hq()
    on_laptop = load_report_data(city["all"], REPORT_TZ)
    periods = [
        period(),
        (today - timedelta(days=1), today, today + timedelta(days=5)),
        (today + timedelta(days=20), today + timedelta(days=26), today + timedelta(days=30)),
        (today - timedelta(days=40), today - timedelta(days=30), today),
    ]
    db = db_of(hq)
    try:
        for start, end, later in periods:
            window = Window(previous_period(start, end)[0], start, end, later)
            at_hq = load_report_data(HqSource(db), REPORT_TZ, window=window)
            for lang in ("zh", "en"):
                assert render_bulletin(at_hq, start, end, later, lang, tz=REPORT_TZ) == render_bulletin(
                    on_laptop, start, end, later, lang, tz=REPORT_TZ
                ), (start, end, lang)
            if start > today:  # everything is older than the window: only the open problems and, per site, the
                # latest inspection (回头看) are read
                assert 0 < len(at_hq.inspections) < len(on_laptop.inspections)
                assert len({i.site_id for i in at_hq.inspections}) == len(at_hq.inspections)
                assert {p.status for p in at_hq.problems} <= OPEN_STATUSES
                assert 0 < len(at_hq.problems) < len(on_laptop.problems)
    finally:
        db.dispose()


def test_the_hq_bulletin_in_every_format_and_the_notice_equal_the_laptops(
    hq: HQServer, city: dict[str, Any], tmp_path: Path
) -> None:
    from inspector.reports.bulletin import BulletinOptions, build_bulletin
    from inspector.reports.document import to_markdown
    from inspector.reports.notice import build_notice, notice_problems

    start, end, later = period()
    db = db_of(hq)
    try:
        at_hq = load_report_data(HqSource(db))
    finally:
        db.dispose()
    on_laptop = load_report_data(city["all"], REPORT_TZ)
    options = BulletinOptions(issue_no="第 9 期", issuer="城关镇创城办")
    assert build_bulletin(at_hq, start, end, later, "zh", options, REPORT_TZ) == build_bulletin(
        on_laptop, start, end, later, "zh", options, REPORT_TZ
    )
    unit = "城关镇城管办"
    listed, _ = notice_problems(at_hq, unit)
    assert listed and [p.id for p in listed] == [p.id for p in notice_problems(on_laptop, unit)[0]]
    assert to_markdown(build_notice(at_hq, unit, later)) == to_markdown(build_notice(on_laptop, unit, later))
    # the commands
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "通报.docx"
    argv = ["--lang", "zh", "hq", "report", "bulletin", "--db", hq.db_url, "--issue-no", "第 9 期"]
    code = main_with([*argv, "--from", start.isoformat(), "--to", end.isoformat(), "-o", str(target)], out, err)
    assert code == 0, err.getvalue()
    import docx

    assert "第 9 期" in [p.text for p in docx.Document(str(target)).paragraphs]
    notice = tmp_path / "通知书.docx"
    argv = ["--lang", "zh", "hq", "report", "notice", "--db", hq.db_url, "--unit", unit, "-o", str(notice)]
    assert main_with(argv, out, err) == 0, err.getvalue()
    assert len(docx.Document(str(notice)).tables[0].rows) == 1 + len(listed)


def test_the_reviewers_laptop_had_no_inspections_but_hq_has_them_all(hq: HQServer, city: dict[str, Any]) -> None:
    """The issue's first finding: a reviewer's device prints 「检查 0 次」; HQ's command prints the city's."""
    start, end, _ = period()
    assert city["reviewer"].store.inspections() == []
    out, err = io.StringIO(), io.StringIO()
    args = ["--lang", "zh", "hq", "report", "bulletin", "--db", hq.db_url]
    code = main_with([*args, "--from", start.isoformat(), "--to", end.isoformat()], out, err)
    assert code == 0, err.getvalue()
    assert "检查点位 6 个，检查 9 次" in out.getvalue()


def main_with(argv: list[str], out: io.StringIO, err: io.StringIO) -> int:
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        return main(argv)


def test_the_read_model_equals_a_fresh_derivation_and_reindex_repairs_it(hq: HQServer, city: dict[str, Any]) -> None:
    assert not differences(hq).any
    out, err = io.StringIO(), io.StringIO()
    assert main_with(["--lang", "en", "hq", "reindex", "--db", hq.db_url, "--check"], out, err) == 0
    assert "matches the stored records" in out.getvalue()
    db = db_of(hq)
    try:
        with db.write() as w:  # damage: a row lost, a status changed by hand
            victim = w.conn.execute(select(rm_problems.c.id).order_by(rm_problems.c.id)).scalars().first()
            w.conn.execute(update(rm_problems).where(rm_problems.c.id == victim).values(status="closed"))
            w.conn.execute(delete(rm_item_results).where(rm_item_results.c.position == 0))
    finally:
        db.dispose()
    out = io.StringIO()
    assert main_with(["--lang", "en", "hq", "reindex", "--db", hq.db_url, "--check"], out, err) == 1
    assert "1 problem rows" in out.getvalue() and "nothing changed" in out.getvalue()
    assert differences(hq).problems == 1  # --check changed nothing
    out = io.StringIO()
    assert main_with(["--lang", "zh", "hq", "reindex", "--db", hq.db_url], out, err) == 0
    assert "已重建" in out.getvalue()
    assert not differences(hq).any
    db = db_of(hq)
    try:
        with db.read() as conn:
            actions = conn.execute(select(audit_log.c.action).where(audit_log.c.action == "reindex")).scalars().all()
    finally:
        db.dispose()
    assert actions == ["reindex"]


def _trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def test_the_export_at_hq_respects_its_filters(hq: HQServer, city: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "东街.xlsx"
    out, err = io.StringIO(), io.StringIO()
    argv = ["--lang", "zh", "hq", "export", "--db", hq.db_url, "--format", "xlsx", "-o", str(target)]
    place = ["--street", "城关镇", "--community", "东街社区"]
    assert main_with([*argv, *place, "--kind", "all"], out, err) == 0, err.getvalue()
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["问题台账", "检查结果", "得分率"]
    ledger = list(book["问题台账"].iter_rows(min_row=2, values_only=True))
    east = {"利民小区", "景馨花园小区"}
    assert ledger and {row[5] for row in ledger} <= east  # 点位
    results = list(book["检查结果"].iter_rows(min_row=2, values_only=True))
    assert results and {row[2] for row in results} == {"东街社区"}
    book.close()
    assert main_with([*argv, *place], out, err) == 0, err.getvalue()  # the ledger alone, unless asked
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["问题台账"]
    assert list(book["问题台账"].iter_rows(min_row=2, values_only=True)) == ledger
    book.close()
    assert main_with([*argv, *place, "--kind", "results"], out, err) == 0, err.getvalue()
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["检查结果"]
    # (a trailing empty cell reads as None from one writer's sheet and is left off by the other's: the same sheet)
    assert [_trimmed(r) for r in book["检查结果"].iter_rows(min_row=2, values_only=True)] == [
        _trimmed(r) for r in results
    ]
    book.close()
    target = tmp_path / "assigned.csv"
    argv = ["--lang", "en", "hq", "export", "--db", hq.db_url, "--format", "csv", "-o", str(target)]
    assert main_with([*argv, "--status", "assigned", "--unit", "城关镇城管办"], out, err) == 0, err.getvalue()
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["assigned.csv"]  # no results or scores file
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 4 and all("城关镇城管办" in line for line in lines[1:])
    json_out = io.StringIO()
    argv = ["hq", "export", "--db", hq.db_url, "--format", "json", "--status", "assigned", "--unit", "城关镇城管办"]
    assert main_with(argv, json_out, err) == 0, err.getvalue()
    document = json.loads(json_out.getvalue())
    assert "inspections" not in document and len(document["problems"]) == 4
    assert {p["ledger"]["responsible_unit"] for p in document["problems"]} == {"城关镇城管办"}


def test_the_hq_ledger_streams_the_same_rows_in_the_same_order_as_the_laptop(
    hq: HQServer, city: dict[str, Any]
) -> None:
    """HQ's ledger reads its problems as a stream ordered in SQL (problems_by_time), never all at once; the
    laptop sorts its list. The rows and their order are the same."""
    from inspector.reports.export import ledger_rows

    today = today_at_hq() + timedelta(days=5)
    db = db_of(hq)
    try:
        at_hq = load_report_data(HqSource(db), REPORT_TZ, inspections=False, problems=False)
        assert at_hq.problems == [] and at_hq.inspections == []  # nothing held: the rows come from the source
        rows = list(ledger_rows(at_hq, today, "zh", REPORT_TZ))
    finally:
        db.dispose()
    on_laptop = load_report_data(city["all"], REPORT_TZ)
    assert rows == list(ledger_rows(on_laptop, today, "zh", REPORT_TZ))
    assert len(rows) == len(on_laptop.problems) > 5 and [row[0] for row in rows] == list(range(1, len(rows) + 1))


def test_report_rows_read_in_bulk_are_the_rows_read_one_by_one_and_in_utc(hq: HQServer, city: dict[str, Any]) -> None:
    """HqSource reads report rows past SQLAlchemy's result processing (db.plain_rows). They must make the facts the
    row-by-row path makes, with every time in UTC even where the database's sessions default to China's zone."""
    url = hq.db_url
    if url.startswith("postgresql"):
        url += "?options=-c%20timezone%3DAsia%2FShanghai"
    db = Database(url)
    try:
        source = HqSource(db)
        problems = sorted(source.problem_facts(Filters()), key=lambda f: f.id)
        inspections = sorted(source.inspection_facts(Filters()), key=lambda f: f.id)
        with db.read() as conn:
            if not db.is_sqlite:
                assert conn.exec_driver_sql("SHOW TIME ZONE").scalar() == "Asia/Shanghai"
            one_by_one = [problem_from_row(r) for r in conn.execute(select(rm_problems).order_by(rm_problems.c.id))]
            each_inspection = [
                inspection_from_row(r) for r in conn.execute(select(rm_inspections).order_by(rm_inspections.c.id))
            ]
    finally:
        db.dispose()
    assert len(problems) == len(city["all"].problems()) > 5 and len(inspections) == 9
    assert problems == one_by_one and inspections == each_inspection
    times = [t for f in problems for t in (f.found_at, f.closed_at) if t is not None]
    times += [t for f in inspections for t in (f.counted_at, f.started_at, f.finished_at) if t is not None]
    assert times and all(t.utcoffset() == timedelta(0) for t in times)
    assert any(f.closed_at is not None or f.assigned_on is not None for f in problems)


def test_the_cli_knows_every_problem_status() -> None:
    assert tuple(s.value for s in ProblemStatus) == PROBLEM_STATUSES


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    code = main_with(["--lang", "en", "hq", "reindex", "--db", url], out, err)
    assert code == 1 and "cannot open the HQ database" in err.getvalue() and "Traceback" not in err.getvalue()


# --- the read model after any history ---------------------------------------------------------------------------

ACTIONS = st.lists(
    st.sampled_from(["walk", "walk_clean", "repeat", "assign", "void", "race", "resync"]), min_size=1, max_size=6
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_the_read_model_equals_a_recomputation_after_any_history(
    hq: HQServer, city: dict[str, Any], actions: list[str]
) -> None:
    field = city["inspectors"][1]
    office = city["reviewer"]
    site = "demo-fuhuayuan"
    for action in actions:
        if action == "walk":
            submit_with_failures(field.store, site, 2)
            field.sync()
        elif action == "walk_clean":
            submit_with_failures(field.store, site, 0)
            field.sync()
        elif action == "repeat":  # a lost answer: everything offered again, HQ answers duplicate
            field.store.mark_all_unsynced()
            field.sync()
        elif action in ("assign", "void", "race"):
            office.sync()
            open_ones = [p for p in office.store.problems() if p.site_id == site]
            if not open_ones:
                continue
            target = open_ones[-1]
            rule = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=3)
            if action == "void":
                results = void_events([target], office.credentials.user, "rv", note="重复")
            else:
                results = assign_events([target], "富华社区居委会", rule, office.credentials.user, "rv")
            if results and results[0].ok:
                office.store.save_problem(results[0].problem)
            if action == "race" and results and results[0].ok:  # a second office acting on the same state
                (late,) = void_events([target], office.credentials.user, "rv2", note="误报")
                if late.ok:
                    merged = office.store.problem(target.id)
                    extra = [e for e in late.problem.events if e.id not in {x.id for x in merged.events}]
                    office.store.save_problem(merged.model_copy(update={"events": [*merged.events, *extra]}))
            office.sync()
        else:
            field.sync()
        assert not differences(hq).any, action
    db = db_of(hq)
    try:
        with db.read() as conn:
            held = conn.execute(select(func.count()).select_from(rm_inspections)).scalar_one()
    finally:
        db.dispose()
    assert held >= 9


def test_the_migration_builds_the_read_model_of_an_existing_hq(hq: HQServer, city: dict[str, Any]) -> None:
    """An HQ at 0003 (records stored, no read model) upgraded: every row derived from what it holds."""
    from alembic import command
    from alembic.config import Config

    from sync.hq.db import MIGRATIONS_DIR

    db = db_of(hq)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0003")
        with db.engine.connect() as conn:
            assert not db.engine.dialect.has_table(conn, "rm_inspections")
        db.migrate()
        with db.read() as conn:
            inspections = conn.execute(select(func.count()).select_from(rm_inspections)).scalar_one()
            problems = conn.execute(select(func.count()).select_from(rm_problems)).scalar_one()
    finally:
        db.dispose()
    assert inspections >= 9 and problems > 5
    assert not differences(hq).any


def test_migration_0006_adds_the_notice_columns_to_an_hq_made_at_0004(tmp_path: Path) -> None:
    """0004 creates the read model from models.py, so a new HQ has the columns already; one made by the code of
    0004's time lacks them, and 0006 adds them (and takes them away on a downgrade)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from sync.hq.db import MIGRATIONS_DIR

    added = ("photo_ids", "extended", "fixed_on")
    db = Database(f"sqlite:///{tmp_path / 'hq.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def columns(conn: Any) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns("rm_problems")}

    try:
        with db.engine.connect() as conn, conn.begin():
            config.attributes["connection"] = conn
            command.upgrade(config, "0004")
            for name in added:
                conn.execute(text(f"ALTER TABLE rm_problems DROP COLUMN {name}"))
            assert not columns(conn) & set(added)
        db.migrate()
        with db.engine.connect() as conn, conn.begin():
            assert set(added) <= columns(conn)
            config.attributes["connection"] = conn
            command.downgrade(config, "0004")
            assert not columns(conn) & set(added)
    finally:
        db.dispose()
