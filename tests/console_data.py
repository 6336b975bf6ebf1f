"""A small city at HQ for the console tests: sites in two 街道 and four 社区, an inspector's submitted inspections over
the last weeks with their problems and photos, and the office's decisions (交办, 作废) and a 复查 with its
after-photo, all pushed through HQ's own push services as devices and reviewers send them.

Dates are relative to today, so the 概览's period and weekly trend hold data whenever the tests run.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from PIL import Image, ImageDraw

from checklists.registry import builtin_checklist
from inspector.core.ids import utcnow
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Severity,
    Site,
    Verdict,
)
from inspector.core.submission import RecheckOutcome, assign_events, problems_for_submission, recheck_events
from sync.client import batch_body, push_item_json
from sync.hq.db import Database
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.auth import Principal
from sync.hq.services.push.queue import PushQueue, prepare
from sync.hq.services.readmodel import REPORT_TZ
from sync.hq.services.reference import upsert_sites
from sync.hq.services.users import add_user, enroll
from sync.protocol import EnrollRequest, Role, SitesUpload

T = TypeVar("T")
CHECKLIST = builtin_checklist("residential")
SITES = [
    ("xl", "兴隆花园", "城关镇", "东街社区"),
    ("yz", "邮政局家属院", "城关镇", "东街社区"),
    ("fg", "房管所家属院", "城关镇", "东街社区"),
    ("yx", "一小家属院", "城关镇", "西街社区"),
    ("qf", "庆枫花苑", "青阳街道", "富华社区"),
    ("xc", "新村小区", "青阳街道", "新村社区"),
]
NOTES = ["楼道堆放杂物", "垃圾桶满溢未清运", "公益广告破损", "绿化带有积存垃圾", "电动车楼道充电"]
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'  # a note the console must show as text


@dataclass
class City:
    sites: list[Site]
    inspector: Principal
    reviewer: Principal
    inspections: list[Inspection] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    fixed: Problem | None = None  # re-inspected as fixed, with an after-photo: waiting for 销号 or closed


def principal(db: Database, name: str, role: Role) -> Principal:
    from sqlalchemy import select

    from sync.hq.db.models import users

    issued = add_user(db, name, role, now=utcnow())
    answer = enroll(db, EnrollRequest(code=issued.code), now=utcnow(), ip=None)
    with db.read() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.name == name)).scalar_one()
    return Principal(int(uid), name, role, answer.device_id)


def push(db: Database, who: Principal, records: list[tuple[str, Inspection | Problem | ProblemEvent]]) -> None:
    body = batch_body([(kind, r.id, r.sync.rev, push_item_json(kind, r)) for kind, r in records])
    answer = PushQueue(db).run(prepare(db, who, body, lang="zh", now=utcnow(), ip=None))
    assert all(r.status.value == "applied" for r in answer.results), answer.results


def jpeg(label: str, seed: int) -> bytes:
    """A small photo-like JPEG: a colour field with a few shapes, different for each seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(0, 560), rng.randrange(0, 400)
        draw.rectangle((x, y, x + rng.randrange(40, 200), y + rng.randrange(30, 120)), fill=(rng.randrange(256),) * 3)
    draw.text((20, 20), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def store_photo(files: AttachmentStore, who: Principal, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    run_async(lambda: files.receive(who, sha, "image/jpeg", chunks(), now=utcnow()))
    return sha


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from synchronous code, on a thread of its own: Playwright's sync API keeps an
    event loop running on the test's thread, where `asyncio.run` is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def populate(db: Database, files_dir: Path, *, inspections: int = 24, seed: int = 3, tag: str = "") -> City:
    """`tag` goes in front of every site id (and the users' names), so several cities can share one database (the
    PostgreSQL test database is one per test session): filter on it with the ledger's text search."""
    assert CHECKLIST is not None
    files_dir.mkdir(parents=True, exist_ok=True)
    (files_dir / "tmp").mkdir(exist_ok=True)
    files = AttachmentStore(db, files_dir)
    sites = [
        Site(
            id=f"{tag}{sid}",
            name=name,
            site_type="楼院",
            district="东湖区",
            street=street,
            community=community,
            responsible_unit=f"{community}居委会",
        )
        for sid, name, street, community in SITES
    ]
    upsert_sites(
        db,
        SitesUpload.model_validate({"sites": [s.model_dump() for s in sites]}),
        actor="a",
        device_id=None,
        now=utcnow(),
    )
    city = City(sites, principal(db, f"{tag}张督查", Role.INSPECTOR), principal(db, f"{tag}李复核", Role.REVIEWER))
    rng = random.Random(seed)
    today = datetime.now(REPORT_TZ).date()
    hostile_pending = True
    for n in range(inspections):
        site = sites[n % len(sites)]
        day = today - timedelta(days=3 * (inspections - n))
        moment = datetime.combine(day, time(9, 30), tzinfo=REPORT_TZ).astimezone(UTC)
        results = {}
        for k, item in enumerate(CHECKLIST.items):
            verdict = rng.choice([Verdict.PASS] * 5 + [Verdict.FAIL, Verdict.NA])
            photos: list[str] = []
            note = ""
            if verdict is Verdict.FAIL:
                note, hostile_pending = (HOSTILE, False) if hostile_pending else (rng.choice(NOTES), False)
                photos = [store_photo(files, city.inspector, jpeg(f"{site.name} {item.code}", n * 100 + k))]
                city.photos.extend(photos)
            results[item.code] = ItemResult(
                code=item.code, verdict=verdict, note=note, photos=photos, answered_at=moment
            )
        record = Inspection(
            site_id=site.id,
            checklist_id=CHECKLIST.id,
            checklist_version=CHECKLIST.version,
            inspector=city.inspector.user,
            status=InspectionStatus.SUBMITTED,
            started_at=moment,
            finished_at=moment + timedelta(minutes=25),
            submitted_at=moment + timedelta(minutes=26),
            results=results,
            batch="十二月" if day.month == today.month else "上月",
        )
        found, _ = problems_for_submission(
            record, CHECKLIST, site, city.problems, city.inspector.user, city.inspector.device_id, REPORT_TZ
        )
        push(
            db,
            city.inspector,
            [
                ("inspection", record),
                *[("problem", p) for p in found],
                *[("event", e) for p in found for e in p.events],
            ],
        )
        city.inspections.append(record)
        city.problems.extend(found)
    # The office assigns every third problem; the first assigned one is re-inspected as fixed, with an after-photo.
    events: list[tuple[str, ProblemEvent]] = []
    for n, problem in enumerate(city.problems[::3]):
        rule = DeadlineRule(kind=DeadlineKind.WORKDAYS if n % 2 else DeadlineKind.DAYS, n=3 + n % 5)
        result = assign_events([problem], None, rule, city.reviewer.user, city.reviewer.device_id, tz=REPORT_TZ)[0]
        assert result.event is not None
        events.append(("event", result.event))
        if n == 0:
            city.fixed = result.problem
    push(db, city.reviewer, events)
    assert city.fixed is not None
    after = store_photo(files, city.inspector, jpeg("整改后", 999))
    fix = recheck_events(
        city.fixed, RecheckOutcome.FIXED, "已清理", [after], city.inspector.user, city.inspector.device_id, tz=REPORT_TZ
    )
    # The inspector's 提交整改 only (复查通过 would close it): 销号 is then the office's, from the console.
    push(db, city.inspector, [("event", fix[0])])
    return city


def today_at_hq() -> date:
    return datetime.now(REPORT_TZ).date()


__all__ = ["CHECKLIST", "City", "Severity", "populate", "today_at_hq"]
