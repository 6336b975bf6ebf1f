"""HQ at the scale of a city's year, on PostgreSQL. Prints one `metric=value` per line.

The city: 1,000 sites (5 区 × 10 街道 × 4 社区, 5 sites each), 200 inspectors (5 sites each) and one reviewer;
50,000 submitted inspections of the built-in 32-item 楼院 checklist over 2025 (1.6 million item results), each with
3 不符合 (150,000 problems, each born with its 登记 event), and 500,000 problem events in all: 交办, 开始整改,
提交整改, 复查通过 / 不通过, 销号, 挂账, 作废 in sequences the machine allows (inspector/core/problems.py), so every
problem folds without a conflict. Everything goes in through HQ's own push services in-process (push/queue.py
`prepare` + `PushQueue.run`, one push of ≤ 500 items at a time, as a device sends them: batch_body/push_item_json),
each inspector's records by that inspector's principal and the office decisions by the reviewer's; so the stored
records (docs, doc_revs, events) and the read model are exactly what HQ would hold. Pushes go in phases: first every
inspector's inspections with their problems and 登记 events, then each problem's next event, and so on; server order
therefore follows the phases, not the calendar (the fold only needs each problem's own events in order).
The build took 12 to 14 minutes on this 2-core machine (2026-12-04), most of it the read model's derivation inside
each push transaction. Every 20 pushes, and once after the build, VACUUM (ANALYZE): what autovacuum does over a year
(each push rewrites its problems' read-model rows), which this machine's PostgreSQL runs without.

    build_s                  building that city-year (users, sites, every push), from an empty database
    build_pushes             how many pushes it took (and build_items the items they held)
    ledger_page_ms_p95       services/ledger.py `ledger_page`: 50 rows of one 街道's open problems sorted by 期限,
                             with the exact count of the filtered rows (p95 of 20 pages over 10 streets; and the
                             median as ledger_page_ms_median)
    ledger_rows_total        the count one of those pages reported
    ranking_quarter_ms       services/ranking.py: the 社区 and then the 街道 得分率 of 2025-Q4, both queries
                             (median of 5)
    bulletin_quarter_s       `inspector hq report bulletin --from 2025-10-01 --to 2025-12-31`'s work in-process:
                             the shared bulletin_main over HqSource (which reads, in SQL, only the records the
                             bulletin's Window names), Markdown to a string (median of 3)
    export_problems_xlsx_s   `python -m inspector hq export --format xlsx` in a subprocess: the ledger (every
                             problem: the command's default --kind problems), wall clock of the subprocess
    bulletin_quarter_cpu_s,  the CPU time each of those took (user + system; the export's that of its process): on
    export_..._cpu_s         shared cores the wall clock includes other people's work, these figures do not
    export_peak_rss_mb       that subprocess's peak RSS (its VmHWM, which a fork does not inherit; ru_maxrss would)
    export_mb                the xlsx file's size
    push_day_ms_empty        one inspector's day over HTTP to a real HQ (`python -m sync.hq`, uvicorn subprocess):
                             8 submitted inspections × 32 items, their 24 problems and 24 登记 events in one push,
                             into an HQ holding only the sites (median of 15, fresh records each time, the two
                             servers pushed to in turns)
    push_day_ms_cityyear     the same into the city-year database
    push_day_ratio           cityyear / empty (target ≤ 1.3)
    console_ledger_ms_p95    the console's ledger page and its 概览, timed on the server (bench/console_timing.py;
    console_overview_ms      targets ≤ 200 ms and ≤ 300 ms)

Run: python bench/hq_bench.py [--quick | --scale F] [--keep-db] [--db NAME] [--only METRIC,...]
  --quick    a city at 1/50 scale (20 sites, 4 inspectors, 1,000 inspections), a smoke run under a minute
  --scale F  the full city's 1,000 sites with F × its inspectors and inspections (and so F × the item results,
             problems and events): `--scale 0.1` is 20 inspectors, 5,000 inspections, 15,000 problems; the build
             time grows about linearly with F, so the small runs show how each figure scales
  --keep-db  keep the city's database (its name is printed on stderr) for later --db runs; otherwise it is dropped
  --db NAME  measure a city kept by an earlier --keep-db run instead of building one (nothing is dropped;
             push_day_ms_cityyear adds its few records to it)
  --only     the measurements to run, by prefix: build is implied, e.g. `--only bulletin,export`
PostgreSQL: $HQ_BENCH_PG (default host=127.0.0.1 port=5432 user=postgres), trust authentication.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.console_timing import console_times  # noqa: E402
from checklists.registry import builtin_checklist  # noqa: E402
from inspector.core.ids import new_id, utcnow  # noqa: E402
from inspector.core.problems import OPEN_STATUSES, ProblemStatus, next_status  # noqa: E402
from inspector.core.records import (  # noqa: E402
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Severity,
    Site,
    Verdict,
)
from inspector.core.submission import problems_for_submission  # noqa: E402
from inspector.reports.bulletin import bulletin_main  # noqa: E402
from inspector.reports.facts import Filters  # noqa: E402
from sync.client import batch_body, push_item_json  # noqa: E402
from sync.hq.cli_reports import today_at_hq  # noqa: E402
from sync.hq.db import Database  # noqa: E402
from sync.hq.db.models import users  # noqa: E402
from sync.hq.server import listening_socket  # noqa: E402
from sync.hq.services.auth import Principal  # noqa: E402
from sync.hq.services.ledger import ledger_page  # noqa: E402
from sync.hq.services.push.queue import PushQueue, prepare  # noqa: E402
from sync.hq.services.ranking import ranking  # noqa: E402
from sync.hq.services.readmodel import REPORT_TZ  # noqa: E402
from sync.hq.services.reference import upsert_sites  # noqa: E402
from sync.hq.services.report_source import HqSource  # noqa: E402
from sync.hq.services.users import add_user, enroll  # noqa: E402
from sync.protocol import MAX_BATCH_ITEMS, PROTOCOL_HEADER, PROTOCOL_VERSION, EnrollRequest, Role, SitesUpload  # noqa: E402

PG = os.environ.get("HQ_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")
CHECKLIST = builtin_checklist("residential")
assert CHECKLIST is not None and len(CHECKLIST.items) == 32
YEAR_START = date(2025, 1, 1)
QUARTER = (date(2025, 10, 1), date(2025, 12, 31))
BATCHES = ("2025 第 1 季度督查", "2025 第 2 季度督查", "2025 第 3 季度督查", "2025 第 4 季度督查")
FAILS_PER_INSPECTION = 3
NOTES = (
    "楼道堆放纸箱、旧家具，影响通行",
    "垃圾桶满溢，周边地面有散落垃圾",
    "墙面有小广告，未及时清理",
    "绿化带内有积存垃圾",
)

# What happens to a problem after its 登记, in a cycle of 30 problems holding 100 events (150,000 → 500,000):
# (events after 登记, how many of the 30 problems).
SEQUENCES: tuple[tuple[tuple[EventKind, ...], int], ...] = (
    ((), 3),  # just found
    ((EventKind.ASSIGN,), 4),
    ((EventKind.ASSIGN, EventKind.START), 3),
    ((EventKind.ASSIGN, EventKind.SUBMIT_FIX), 2),
    ((EventKind.ASSIGN, EventKind.SUBMIT_FIX, EventKind.REVIEW_PASS), 9),  # 复查 on site, closed
    ((EventKind.ASSIGN, EventKind.START, EventKind.SUBMIT_FIX, EventKind.CLOSE), 5),  # 销号 at the office
    ((EventKind.VOID,), 1),
    ((EventKind.ASSIGN, EventKind.SHELVE), 1),
    ((EventKind.ASSIGN, EventKind.SUBMIT_FIX, EventKind.REVIEW_FAIL), 2),
)
CYCLE = [kinds for kinds, n in SEQUENCES for _ in range(n)]
assert len(CYCLE) == 30 and sum(1 + len(k) for k in CYCLE) == 100
REVIEWER_KINDS = frozenset({EventKind.ASSIGN, EventKind.CLOSE, EventKind.VOID, EventKind.SHELVE})
DAYS_AFTER = {  # an event's day after the problem was found
    EventKind.ASSIGN: 1,
    EventKind.VOID: 1,
    EventKind.START: 2,
    EventKind.SHELVE: 3,
    EventKind.SUBMIT_FIX: 4,
    EventKind.REVIEW_PASS: 6,
    EventKind.REVIEW_FAIL: 6,
    EventKind.CLOSE: 6,
}


@dataclass(frozen=True)
class Scale:
    districts: int
    streets: int  # per district
    communities: int  # per street
    sites: int  # per community
    inspectors: int
    inspections: int

    @property
    def site_count(self) -> int:
        return self.districts * self.streets * self.communities * self.sites


FULL = Scale(5, 10, 4, 5, inspectors=200, inspections=50_000)
QUICK = Scale(1, 2, 2, 5, inspectors=4, inspections=1_000)


def scaled(factor: float) -> Scale:
    """The full city's sites, with `factor` of its inspectors (at least one) and of its inspections."""
    inspectors = max(1, round(FULL.inspectors * factor))
    return Scale(
        FULL.districts,
        FULL.streets,
        FULL.communities,
        FULL.sites,
        inspectors=inspectors,
        inspections=max(inspectors, round(FULL.inspections * factor)),
    )


# --- the city ---------------------------------------------------------------------------------------------------


def city_sites(scale: Scale) -> list[Site]:
    out: list[Site] = []
    n = 0
    for d in range(scale.districts):
        district = f"{'东西南北中'[d % 5]}湖区" if d < 5 else f"第{d + 1}区"
        for s in range(scale.streets):
            street = f"{district[:2]}第{s + 1}街道"
            for c in range(scale.communities):
                community = f"{street[:-2]}{c + 1}社区"
                for k in range(scale.sites):
                    out.append(
                        Site(
                            id=f"site-{n:04d}",
                            name=f"{community}{k + 1}号院",
                            site_type="楼院",
                            district=district,
                            street=street,
                            community=community,
                            grid=f"{community}第{k % 2 + 1}网格",
                            address=f"{street}{k + 1}号",
                            responsible_unit=f"{street}城管中队",
                            checklist_id="residential",
                        )
                    )
                    n += 1
    return out


@dataclass
class Person:
    principal: Principal
    name: str


def people(db: Database, count: int, role: Role, prefix: str) -> list[Person]:
    out = []
    for n in range(count):
        name = f"{prefix}{n + 1:03d}"
        issued = add_user(db, name, role, now=utcnow())
        answer = enroll(db, EnrollRequest(code=issued.code, device_name="bench"), now=utcnow(), ip=None)
        with db.read() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.name == name)).scalar_one()
        out.append(Person(Principal(int(uid), name, role, answer.device_id), name))
    return out


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of that day in China's time, stored as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=REPORT_TZ).astimezone(UTC)


def make_inspection(rng: random.Random, site: Site, day: date, inspector: Person) -> Inspection:
    codes = [item.code for item in CHECKLIST.items]
    failed = set(rng.sample(range(len(codes)), FAILS_PER_INSPECTION))
    not_applicable = rng.randrange(len(codes)) if rng.random() < 0.25 else -1
    start = at(day, 9, rng.randrange(0, 50))
    results: dict[str, ItemResult] = {}
    for n, code in enumerate(codes):
        moment = start + timedelta(seconds=40 * n)
        if n in failed:
            note = rng.choice(NOTES)
            results[code] = ItemResult(
                code=code,
                verdict=Verdict.FAIL,
                severity=Severity.MAJOR if rng.random() < 0.2 else Severity.MINOR,
                note=note,
                quick_picks=[note.split("，")[0]],
                photos=[uuid.uuid5(uuid.NAMESPACE_URL, f"{site.id}/{day}/{code}").hex * 2],
                answered_at=moment,
            )
        elif n == not_applicable and n not in failed:
            results[code] = ItemResult(code=code, verdict=Verdict.NA, answered_at=moment)
        else:
            results[code] = ItemResult(code=code, verdict=Verdict.PASS, answered_at=moment)
    finished = start + timedelta(seconds=40 * len(codes))
    return Inspection(
        site_id=site.id,
        checklist_id=CHECKLIST.id,
        checklist_version=CHECKLIST.version,
        inspector=inspector.name,
        device_id=inspector.principal.device_id,
        status=InspectionStatus.SUBMITTED,
        started_at=start,
        finished_at=finished,
        submitted_at=finished + timedelta(minutes=1),
        results=results,
        batch=BATCHES[(day.month - 1) // 3],
    )


def submitted_day(
    rng: random.Random, sites: list[Site], day: date, inspector: Person, count: int
) -> tuple[list[Inspection], list[Problem]]:
    """`count` inspections of that day and the problems a laptop derives from them (each with its 登记 event)."""
    inspections, problems = [], []
    for n in range(count):
        site = sites[n % len(sites)]
        record = make_inspection(rng, site, day, inspector)
        found, _ = problems_for_submission(
            record, CHECKLIST, site, [], inspector.name, inspector.principal.device_id, REPORT_TZ
        )
        inspections.append(record)
        problems.extend(found)
    return inspections, problems


def items_of(inspections: list[Inspection], problems: list[Problem]) -> list[tuple[str, str, str, bytes]]:
    """What a laptop pushes after submitting: the inspections, their problems, then the problems' events."""
    out = [("inspection", r.id, r.sync.rev, push_item_json("inspection", r)) for r in inspections]
    out += [("problem", p.id, p.sync.rev, push_item_json("problem", p)) for p in problems]
    out += [("event", e.id, e.sync.rev, push_item_json("event", e)) for p in problems for e in p.events]
    return out


# --- building ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Track:
    """What later phases need of a problem (not the record: 150,000 of those would be memory for nothing)."""

    id: str
    owner: int  # the inspector's index
    found: date
    unit: str
    kinds: tuple[EventKind, ...]
    status: ProblemStatus = ProblemStatus.REGISTERED


ANALYZE_EVERY = 20  # pushes between the build's VACUUM (ANALYZE) runs (see Builder.analyze)


class Builder:
    def __init__(self, db: Database, scale: Scale) -> None:
        self.db = db
        self.scale = scale
        self.queue = PushQueue(db)
        self.pushes = 0
        self.items = 0

    def push(self, who: Principal, batch: list[tuple[str, str, str, bytes]]) -> None:
        for start in range(0, len(batch), MAX_BATCH_ITEMS):
            part = batch[start : start + MAX_BATCH_ITEMS]
            job = prepare(self.db, who, batch_body(part), lang="zh", now=utcnow(), ip=None)
            answer = self.queue.run(job)
            bad = [r for r in answer.results if r.status.value not in ("applied",)]
            if bad:
                raise SystemExit(f"push refused {len(bad)} items, e.g. {bad[0]}")
            self.pushes += 1
            self.items += len(part)
            if self.pushes % ANALYZE_EVERY == 0:
                self.analyze()

    def analyze(self) -> None:
        """What autovacuum does for a database that grows: VACUUM, so a problem's read-model row rewritten by each
        push reuses the space its old versions held (without it rm_problems ends the year at four times its live
        size), and ANALYZE, so the planner drops the plans it made for near-empty tables (a sequential scan of
        rm_item_results per push: the build slowed quadratically). Some PostgreSQL installs, this machine's among
        them, run with autovacuum off."""
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")

    def build(self, sites: list[Site], inspectors: list[Person], reviewer: Person) -> None:
        rng = random.Random(20251)
        per_inspector = self.scale.inspections // len(inspectors)
        sites_each = len(sites) // len(inspectors)
        tracks: list[Track] = []
        cycle = 0
        for n, person in enumerate(inspectors):  # phase 0: every inspector's year of inspections
            mine = sites[n * sites_each : (n + 1) * sites_each]
            pending: list[tuple[str, str, str, bytes]] = []
            for k in range(per_inspector):
                day = YEAR_START + timedelta(days=k * 365 // per_inspector)
                inspections, problems = submitted_day(rng, [mine[k % len(mine)]], day, person, 1)
                for p in problems:
                    tracks.append(
                        Track(p.id, n, p.found_at.astimezone(REPORT_TZ).date(), p.responsible_unit, CYCLE[cycle % 30])
                    )
                    cycle += 1
                batch = items_of(inspections, problems)
                if len(pending) + len(batch) > MAX_BATCH_ITEMS:
                    self.push(person.principal, pending)
                    pending = []
                pending += batch
            if pending:
                self.push(person.principal, pending)
        rng.shuffle(tracks)  # the office and the field work through them in no particular order
        depth = max(len(t.kinds) for t in tracks)
        for phase in range(depth):  # then each problem's next event, by whoever does it
            by_actor: dict[int, list[ProblemEvent]] = {}
            for track in tracks:
                if phase >= len(track.kinds):
                    continue
                kind = track.kinds[phase]
                track.status = next_status(track.status, kind)  # raises if the sequence were illegal
                actor = -1 if kind in REVIEWER_KINDS else track.owner
                person = reviewer if actor < 0 else inspectors[actor]
                by_actor.setdefault(actor, []).append(event_for(track, kind, person))
            for actor, made in sorted(by_actor.items()):
                person = reviewer if actor < 0 else inspectors[actor]
                self.push(person.principal, [("event", e.id, e.sync.rev, push_item_json("event", e)) for e in made])


def event_for(track: Track, kind: EventKind, person: Person) -> ProblemEvent:
    """The event the app's helpers (inspector/core/submission.py) would append for this step."""
    when = at(track.found + timedelta(days=DAYS_AFTER[kind]), 10 if person.principal.role is Role.REVIEWER else 15)
    event = ProblemEvent(
        problem_id=track.id, kind=kind, actor=person.name, device_id=person.principal.device_id, device_time=when
    )
    if kind is EventKind.ASSIGN:
        event.responsible_unit = track.unit
        event.deadline = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=5)
        event.note = "请按期整改"
    elif kind is EventKind.SUBMIT_FIX:
        event.note = "已清理完毕"
        event.photos = [uuid.uuid5(uuid.NAMESPACE_URL, f"after/{track.id}").hex * 2]
    elif kind is EventKind.REVIEW_PASS:
        event.note = "复查已整改"
    elif kind is EventKind.REVIEW_FAIL:
        event.note = "未整改：仍有堆物"
    elif kind is EventKind.VOID:
        event.note = "误报"
    elif kind is EventKind.SHELVE:
        event.note = "需立项改造，挂账管理"
    return event


# --- databases and the server -----------------------------------------------------------------------------------


def admin(statement: str) -> None:
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def db_url(name: str) -> str:
    params = dict(part.split("=", 1) for part in PG.split())
    user, host, port = params.get("user", "postgres"), params.get("host", "127.0.0.1"), params.get("port", "5432")
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


def fresh_db(name: str, sites: list[Site]) -> Database:
    admin(f"CREATE DATABASE {name}")
    db = Database(db_url(name))
    db.migrate()
    for start in range(0, len(sites), 10_000):
        upload = SitesUpload.model_validate({"sites": [s.model_dump() for s in sites[start : start + 10_000]]})
        upsert_sites(db, upload, actor="hq-admin", device_id=None, now=utcnow())
    return db


class Server:
    def __init__(self, url: str, folder: Path) -> None:
        self.db_url = url
        self.sock = listening_socket()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        command = [sys.executable, "-m", "sync.hq", "--db", url, "--files", str(folder / "files")]
        command += ["--fd", str(self.sock.fileno())]
        self.log = (folder / "hq.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, pass_fds=(self.sock.fileno(),), stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"the HQ server did not start; see {folder / 'hq.log'}")
            time.sleep(0.1)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        self.sock.close()


class DayPusher:
    """One inspector enrolled at a server, pushing a day at a time as a laptop does: body built before the clock
    starts, answer read."""

    def __init__(self, server: Server, sites: list[Site]) -> None:
        db = Database(server.db_url)
        try:
            issued = add_user(db, f"bench-day-{new_id()[-12:]}", Role.INSPECTOR, now=utcnow())
        finally:
            db.dispose()
        headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        answer = httpx.post(f"{server.url}/v1/devices/enroll", json={"code": issued.code}, headers=headers).json()
        self.person = Person(Principal(0, issued.user, Role.INSPECTOR, answer["device_id"]), issued.user)
        self.auth = {**headers, "Authorization": f"Bearer {answer['token']}", "Content-Type": "application/json"}
        self.url, self.sites = server.url, sites
        self.rng = random.Random()
        self.client = httpx.Client(timeout=120)
        self.days = 0

    def push_day(self) -> float:
        """Seconds for one push of 8 inspections (their 24 problems and 登记 events), fresh records each time."""
        day = date(2025, 12, 1) + timedelta(days=self.days)
        self.days += 1
        body = batch_body(items_of(*submitted_day(self.rng, self.sites[:8], day, self.person, 8)))
        started = time.perf_counter()
        response = self.client.post(f"{self.url}/v1/sync/push", content=body, headers=self.auth)
        response.json()
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert all(r["status"] == "applied" for r in response.json()["results"]), response.text[:500]
        return elapsed

    def close(self) -> None:
        self.client.close()


def push_days_ms(empty: Server, city: Server, sites: list[Site], rounds: int = 15) -> tuple[float, float]:
    """Medians (ms) of `rounds` day pushes into each server, taken in turns (which goes first alternating), so a
    drift in the machine's load hits both alike; each server's first push warms it and is not counted."""
    pushers = [DayPusher(empty, sites), DayPusher(city, sites)]
    times: list[list[float]] = [[], []]
    try:
        for pusher in pushers:
            pusher.push_day()
        for n in range(rounds):
            for k in (0, 1) if n % 2 == 0 else (1, 0):
                times[k].append(pushers[k].push_day())
    finally:
        for pusher in pushers:
            pusher.close()
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


# --- the measurements -------------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def ledger_ms(db: Database, sites: list[Site]) -> tuple[float, float, int]:
    streets = list(dict.fromkeys(s.street for s in sites))[:10]
    times, total = [], 0
    for n in range(20):
        street = streets[n % len(streets)]
        started = time.perf_counter()
        total, page = ledger_page(
            db, Filters(street=street), "due", (n // len(streets)) * 50, 50, statuses=OPEN_STATUSES
        )
        times.append((time.perf_counter() - started) * 1000)
        assert len(page) == min(50, max(0, total - (n // len(streets)) * 50)), (len(page), total)
    return p95(times), statistics.median(times), total


def ranking_ms(db: Database) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        communities = ranking(db, *QUARTER, level="community")
        streets = ranking(db, *QUARTER, level="street")
        times.append((time.perf_counter() - started) * 1000)
        assert communities and streets
    return statistics.median(times)


def bulletin_s(db: Database) -> tuple[float, float]:
    """`hq report bulletin`'s own work in-process (cli_reports.bulletin_main without opening the database): the
    shared bulletin_main over HqSource, Markdown to a string."""
    times, cpu = [], []
    for _ in range(3):
        out, err = io.StringIO(), io.StringIO()
        started, used = time.perf_counter(), time.process_time()
        code = bulletin_main(HqSource(db), *QUARTER, None, out, err, "zh", today_at_hq(), REPORT_TZ, None)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        assert code == 0 and "社区" in out.getvalue(), err.getvalue()
    return statistics.median(times), statistics.median(cpu)


# The export in its own process, reporting its own peak: VmHWM is per address space, so unlike ru_maxrss it does not
# carry over the high-water mark of the forking bench (which holds a city's worth of records by then).
EXPORT_AND_PEAK = """
import sys
from inspector.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status", encoding="ascii") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")), file=sys.stderr)
sys.exit(code)
"""


def export(url: str, folder: Path) -> tuple[float, float, float, float]:
    target = folder / "problems.xlsx"
    command = [
        sys.executable,
        "-c",
        EXPORT_AND_PEAK,
        "hq",
        "export",
        "--db",
        url,
        "--format",
        "xlsx",
        "-o",
        str(target),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started, children = time.perf_counter(), os.times()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
    elapsed, after = time.perf_counter() - started, os.times()
    cpu = after.children_user + after.children_system - children.children_user - children.children_system
    if done.returncode != 0:
        raise SystemExit(f"the export failed: {done.stderr.decode(errors='replace')[-2000:]}")
    peak_kb = int(done.stderr.decode().strip().splitlines()[-1])
    return elapsed, cpu, peak_kb / 1024, target.stat().st_size / 1e6


def _option(name: str) -> str | None:
    if name not in sys.argv:
        return None
    at = sys.argv.index(name)
    if at + 1 >= len(sys.argv):
        raise SystemExit(f"{name} needs a value")
    return sys.argv[at + 1]


def main() -> None:
    quick = "--quick" in sys.argv
    factor = _option("--scale")
    reuse = _option("--db")
    only = [part for part in (_option("--only") or "").split(",") if part]
    keep = "--keep-db" in sys.argv or reuse is not None
    scale = QUICK if quick else scaled(float(factor)) if factor else FULL

    def wanted(metric: str) -> bool:
        return not only or any(metric.startswith(prefix) for prefix in only)

    tag = uuid.uuid4().hex[:8]
    city_name, empty_name = reuse or f"hq_bench_{tag}", f"hq_bench_{tag}_empty"
    sites = city_sites(scale)
    created: list[str] = []
    print(f"scale={'quick' if quick else factor or 1} inspections={scale.inspections}", flush=True)
    with tempfile.TemporaryDirectory(prefix="hq-bench-") as tmp:
        folder = Path(tmp)
        try:
            if reuse is None:
                started = time.perf_counter()
                created.append(city_name)
                db = fresh_db(city_name, sites)
                inspectors = people(db, scale.inspectors, Role.INSPECTOR, "督查员")
                reviewer = people(db, 1, Role.REVIEWER, "复核员")[0]
                builder = Builder(db, scale)
                builder.build(sites, inspectors, reviewer)
                builder.analyze()  # the last pushes' dead rows and statistics, as autovacuum would leave them
                print(f"build_s={time.perf_counter() - started:.1f}", flush=True)
                print(f"build_pushes={builder.pushes}")
                print(f"build_items={builder.items}", flush=True)
            else:
                db = Database(db_url(city_name))
            if wanted("ledger"):
                page_p95, page_median, total = ledger_ms(db, sites)
                print(f"ledger_page_ms_p95={page_p95:.1f}")
                print(f"ledger_page_ms_median={page_median:.1f}")
                print(f"ledger_rows_total={total}", flush=True)
            if wanted("ranking"):
                print(f"ranking_quarter_ms={ranking_ms(db):.1f}", flush=True)
            if wanted("bulletin"):
                wall, cpu = bulletin_s(db)
                print(f"bulletin_quarter_s={wall:.2f}")
                print(f"bulletin_quarter_cpu_s={cpu:.2f}", flush=True)
            if wanted("console"):
                console_p95, console_median, overview_ms = console_times(db, folder / "console")
                print(f"console_ledger_ms_p95={console_p95:.1f}")
                print(f"console_ledger_ms_median={console_median:.1f}")
                print(f"console_overview_ms={overview_ms:.1f}", flush=True)
            db.dispose()
            if wanted("export"):
                seconds, cpu, peak_mb, size_mb = export(db_url(city_name), folder)
                print(f"export_problems_xlsx_s={seconds:.1f}")
                print(f"export_problems_xlsx_cpu_s={cpu:.1f}")
                print(f"export_peak_rss_mb={peak_mb:.0f}")
                print(f"export_mb={size_mb:.1f}", flush=True)
            if wanted("push"):
                created.append(empty_name)
                fresh_db(empty_name, sites).dispose()
                (folder / "empty").mkdir()
                (folder / "city").mkdir()
                empty_server = Server(db_url(empty_name), folder / "empty")  # each its own log and photo folder
                city_server = Server(db_url(city_name), folder / "city")
                try:
                    empty_ms, city_ms = push_days_ms(empty_server, city_server, sites)
                finally:
                    empty_server.close()
                    city_server.close()
                print(f"push_day_ms_empty={empty_ms:.0f}")
                print(f"push_day_ms_cityyear={city_ms:.0f}")
                print(f"push_day_ratio={city_ms / empty_ms:.2f}", flush=True)
        finally:
            for name in created:
                if keep and name == city_name:
                    print(f"kept database {name}", file=sys.stderr)
                else:
                    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
