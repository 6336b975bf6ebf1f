"""The ledger page and the 得分率 ranking over HQ's read model (SQLite), against the shared report code's numbers.

Records go in through HQ's push services, as devices send them; `ledger_page` must return what the report source's
facts give once filtered, sorted and cut into pages, and `ranking` the bulletin's `community_ranking`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from checklists.registry import builtin_checklist
from inspector.core.ids import utcnow
from inspector.core.problems import OPEN_STATUSES, ProblemStatus
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Site,
    Verdict,
)
from inspector.core.submission import assign_events, problems_for_submission, void_events
from inspector.reports import load_report_data
from inspector.reports.bulletin import community_ranking
from inspector.reports.facts import Filters, Tally
from sync.hq.db import Database
from sync.hq.services.auth import Principal
from sync.hq.services.ledger import ledger_page
from sync.hq.services.ranking import ranking
from sync.hq.services.readmodel import REPORT_TZ
from sync.hq.services.reference import upsert_sites
from sync.hq.services.report_source import HqSource
from sync.protocol import Role, SitesUpload
from tests.console_data import principal, push

CHECKLIST = builtin_checklist("residential")
PLACES = [("城关镇", "东街社区"), ("城关镇", "西街社区"), ("青阳街道", "富华社区"), ("青阳街道", "新村社区")]
Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def _sites() -> list[Site]:
    return [
        Site(
            id=f"s{n}",
            name=f"{community}{n}号院",
            site_type="楼院",
            district="东湖区",
            street=street,
            community=community if n != 7 else "北苑社区",
            responsible_unit=f"{street}城管中队",
        )
        for n, (street, community) in enumerate(PLACES * 2)
    ]


def _inspection(rng: random.Random, site: Site, day: date, who: Principal) -> Inspection:
    assert CHECKLIST is not None
    moment = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
    verdicts = [rng.choice([Verdict.PASS] * 6 + [Verdict.FAIL, Verdict.NA]) for _ in CHECKLIST.items]
    if site.id == "s7":  # the one site of 北苑社区: nothing scorable (every item 不适用), so unranked
        verdicts = [Verdict.NA] * len(verdicts)
    return Inspection(
        site_id=site.id,
        checklist_id=CHECKLIST.id,
        checklist_version=CHECKLIST.version,
        inspector=who.user,
        status=InspectionStatus.SUBMITTED,
        started_at=moment,
        finished_at=moment,
        submitted_at=moment,
        results={
            item.code: ItemResult(
                code=item.code, verdict=v, note="堆物" if v is Verdict.FAIL else "", answered_at=moment
            )
            for item, v in zip(CHECKLIST.items, verdicts, strict=True)
        },
        batch="一季度" if day <= Q1[1] else "二季度",
    )


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    folder: Path = tmp_path_factory.mktemp("ledger")
    db = Database(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}")
    db.migrate()
    sites = _sites()
    upsert_sites(
        db,
        SitesUpload.model_validate({"sites": [s.model_dump() for s in sites]}),
        actor="a",
        device_id=None,
        now=utcnow(),
    )
    inspector = principal(db, "张三", Role.INSPECTOR)
    reviewer = principal(db, "复核员", Role.REVIEWER)
    rng = random.Random(7)
    problems: list[Problem] = []
    for n in range(40):
        site = sites[n % len(sites)]
        day = date(2025, 1, 3) + timedelta(days=4 * n)  # Q1 and into Q2
        record = _inspection(rng, site, day, inspector)
        found, _ = problems_for_submission(record, CHECKLIST, site, [], inspector.user, inspector.device_id, REPORT_TZ)
        push(
            db,
            inspector,
            [
                ("inspection", record),
                *[("problem", p) for p in found],
                *[("event", e) for p in found for e in p.events],
            ],
        )
        problems.extend(found)
    # The office assigns most of them with varied deadlines (so 期限 differ) and voids a few.
    events: list[tuple[str, ProblemEvent]] = []
    for n, problem in enumerate(problems):
        if n % 7 == 0:
            results = void_events(
                [problem], reviewer.user, reviewer.device_id, now=problem.found_at + timedelta(days=1)
            )
        elif n % 3:
            rule = DeadlineRule(kind=DeadlineKind.DAYS, n=1 + n % 9)
            results = assign_events(
                [problem], None, rule, reviewer.user, reviewer.device_id, now=problem.found_at + timedelta(days=n % 4)
            )
        else:
            continue
        events.extend(("event", r.event) for r in results if r.event is not None)
    for start in range(0, len(events), 200):
        push(db, reviewer, events[start : start + 200])
    yield db
    db.dispose()


def _expected(db: Database, filters: Filters, statuses: frozenset[ProblemStatus] | None) -> list[str]:
    facts = [f for f in HqSource(db).problem_facts(filters) if statuses is None or f.status in statuses]
    return [f.id for f in sorted(facts, key=lambda f: (f.due, f.id))]


@pytest.mark.parametrize(
    ("filters", "statuses"),
    [
        (Filters(street="城关镇"), OPEN_STATUSES),
        (Filters(street="青阳街道", community="富华社区"), None),
        (Filters(status=ProblemStatus.ASSIGNED), None),
        (Filters(date_from=Q1[0], date_to=Q1[1], unit="城关镇城管中队"), OPEN_STATUSES),
        (Filters(), None),
    ],
)
def test_ledger_page_filters_sorts_and_counts(
    hq: Database, filters: Filters, statuses: frozenset[ProblemStatus] | None
) -> None:
    expected = _expected(hq, filters, statuses)
    assert expected, "the data should hold rows for every filter tried"
    total, page = ledger_page(hq, filters, "due", 0, 50, statuses=statuses)
    assert total == len(expected)
    assert [f.id for f in page] == expected[:50]
    assert [f.due for f in page] == sorted(f.due for f in page)


def test_ledger_pages_cover_every_row_once(hq: Database) -> None:
    filters = Filters()
    expected = _expected(hq, filters, OPEN_STATUSES)
    seen: list[str] = []
    for offset in range(0, len(expected) + 7, 7):
        total, page = ledger_page(hq, filters, "due", offset, 7, statuses=OPEN_STATUSES)
        assert total == len(expected)
        seen += [f.id for f in page]
    assert seen == expected
    assert ledger_page(hq, filters, "due", len(expected), 7, statuses=OPEN_STATUSES) == (len(expected), [])
    assert ledger_page(hq, Filters(street="nowhere"), "due", 0, 50) == (0, [])
    with pytest.raises(KeyError):
        ledger_page(hq, filters, "no-such-sort")


def test_ranking_equals_the_bulletins(hq: Database) -> None:
    data = load_report_data(HqSource(hq), REPORT_TZ)
    ranked, unscorable = community_ranking(data, *Q1)
    shared = [
        (g.street, g.community, g.counts.passed, g.counts.failed, g.counts.rate, g.rank, len(g.sites)) for g in ranked
    ]
    shared += [(g.street, g.community, g.counts.passed, g.counts.failed, None, 0, len(g.sites)) for g in unscorable]
    ours = [(r.street, r.community, r.passed, r.failed, r.rate, r.rank, r.sites) for r in ranking(hq, *Q1)]
    assert ours == shared
    assert unscorable, "one group had nothing scorable"

    by_street: dict[str, Tally] = {}
    for g in ranked + unscorable:
        by_street[g.street] = by_street.get(g.street, Tally()) + g.counts
    streets = ranking(hq, *Q1, level="street")
    assert {r.street: (r.passed, r.failed, r.rate) for r in streets} == {
        s: (t.passed, t.failed, t.rate) for s, t in by_street.items()
    }
    assert [r.rank for r in streets] == [1, 2]
    assert all(r.community == "" for r in streets)


def test_ranking_by_batch(hq: Database) -> None:
    data = load_report_data(HqSource(hq), REPORT_TZ, Filters(batch="二季度"))
    ranked, _ = community_ranking(data, date(2025, 1, 1), date(2025, 12, 31))
    ours = ranking(hq, date(2025, 1, 1), date(2025, 12, 31), batch="二季度")
    assert [(r.community, r.passed, r.failed, r.rank) for r in ours if r.rate is not None] == [
        (g.community, g.counts.passed, g.counts.failed, g.rank) for g in ranked
    ]
    assert ranking(hq, date(2030, 1, 1), date(2030, 12, 31)) == []
