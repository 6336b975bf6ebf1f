"""The README's bulletin and ledger samples are the program's output, not typed by hand: a fixed fortnight of
inspections on the demo sites (inspector/core/demo.py) and the built-in checklists, rendered by the report code and
cut to a few lines. The test fails when the README and the program drift apart; to write the README again:

    PYTHONPATH=. python -m tests.test_readme_samples
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from checklists.registry import builtin_checklist, checklist_for_site_type
from checklists.schema import Checklist
from inspector.core.demo import demo_sites
from inspector.core.problems import apply_event, local_date
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
from inspector.core.submission import problems_for_submission
from inspector.reports import load_report_data
from inspector.reports.bulletin import BulletinOptions, render_bulletin
from inspector.reports.export import LEDGER_COLUMNS, ledger_rows

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CHINA = timezone(timedelta(hours=8))
START, END, TODAY = date(2026, 11, 16), date(2026, 11, 30), date(2026, 11, 30)

# (site id, day, inspector, how many of the checklist's items fail, counted from `first`)
WALKS = [
    ("demo-fuhuayuan", date(2026, 11, 3), "张伟", 4, 0),  # the previous fortnight
    ("demo-dongsheng", date(2026, 11, 4), "李娜", 6, 2),
    ("demo-fuhuayuan", date(2026, 11, 17), "张伟", 1, 0),
    ("demo-qingfeng", date(2026, 11, 17), "张伟", 2, 5),
    ("demo-dongsheng", date(2026, 11, 18), "李娜", 5, 2),
    ("demo-youzheng", date(2026, 11, 19), "李娜", 0, 0),
    ("demo-xinglong", date(2026, 11, 19), "李娜", 3, 8),
    ("demo-yingfu-road", date(2026, 11, 20), "张伟", 3, 0),
    ("demo-chaoyang-east-road", date(2026, 11, 20), "张伟", 1, 4),
    ("demo-culture-square", date(2026, 11, 24), "李娜", 2, 0),
    ("demo-jingxin-square", date(2026, 11, 24), "李娜", 1, 3),
]


class DemoHistory:
    """A report source over the fixed history (the shape inspector/reports reads a store by)."""

    def __init__(self, sites: list[Site], inspections: list[Inspection], problems: list[Problem]) -> None:
        self._sites, self._inspections, self._problems = sites, inspections, problems

    def sites(self) -> list[Site]:
        return self._sites

    def inspections(self, site_id: str | None = None) -> list[Inspection]:
        return self._inspections

    def problems(self) -> list[Problem]:
        return self._problems

    def checklist(self, checklist_id: str, version: str) -> Checklist | None:
        return builtin_checklist(checklist_id)


def walk(site: Site, day: date, inspector: str, failing: int, first: int) -> Inspection:
    checklist = checklist_for_site_type(site.site_type)
    assert checklist is not None
    items = checklist.items
    fails = {item.code for item in items[first : first + failing]}
    moment = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    results = {}
    for item in items:
        if item.code in fails:
            picks = item.quick_picks[:1]
            photo = hashlib.sha256(f"{site.id} {day} {item.code}".encode()).hexdigest()  # named, not on disk
            results[item.code] = ItemResult(
                code=item.code,
                verdict=Verdict.FAIL,
                quick_picks=picks,
                note="" if picks else item.title,
                photos=[photo],
            )
        else:
            results[item.code] = ItemResult(code=item.code, verdict=Verdict.PASS)
    return Inspection(
        id=f"readme-{site.id}-{day.isoformat()}",
        site_id=site.id,
        checklist_id=checklist.id,
        checklist_version=checklist.version,
        inspector=inspector,
        batch="2026 第 22 期督查" if day >= START else "2026 第 21 期督查",
        status=InspectionStatus.SUBMITTED,
        started_at=moment,
        finished_at=moment,
        submitted_at=moment,
        results=results,
    )


def then(problem: Problem, kind: EventKind, day: date, **extra: object) -> Problem:
    at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
    event = ProblemEvent.model_validate(
        {"id": f"{problem.id}-{kind.value}-{day}", "problem_id": problem.id, "kind": kind, "device_time": at, **extra}
    )
    return apply_event(problem, event, CHINA)


def history() -> DemoHistory:
    sites = {s.id: s for s in demo_sites()}
    inspections, problems = [], []
    for site_id, day, inspector, failing, first in WALKS:
        inspection = walk(sites[site_id], day, inspector, failing, first)
        checklist = builtin_checklist(inspection.checklist_id)
        found, _ = problems_for_submission(inspection, checklist, sites[site_id], problems, inspector, "dev", CHINA)
        inspections.append(inspection)
        problems.extend(found)
    five = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=5)
    for n, problem in enumerate(problems):
        found = local_date(problem.found_at, CHINA)
        if found < START:  # the previous fortnight's: assigned, fixed, passed on re-inspection
            problem = then(problem, EventKind.ASSIGN, date(2026, 11, 5), deadline=five)
            problem = then(problem, EventKind.SUBMIT_FIX, date(2026, 11, 10))
            problem = then(problem, EventKind.REVIEW_PASS, date(2026, 11, 12))
            problem = then(problem, EventKind.CLOSE, date(2026, 11, 12))  # the office's 销号
        elif n % 3 == 0:  # a third of this fortnight's assigned the day they were found, left open
            problem = then(problem, EventKind.ASSIGN, found, deadline=five)
        elif n % 3 == 1:  # a third assigned, rectified within two days, passed on re-inspection, closed by the office
            problem = then(problem, EventKind.ASSIGN, found, deadline=five)
            problem = then(problem, EventKind.SUBMIT_FIX, found + timedelta(days=2), note="已整改")
            problem = then(problem, EventKind.REVIEW_PASS, found + timedelta(days=3), note="现场已整改")
            problem = then(problem, EventKind.CLOSE, found + timedelta(days=3))
        problems[n] = problem
    return DemoHistory(list(sites.values()), inspections, problems)


def under(lines: list[str], heading: str, after: str = "") -> list[str]:
    """The non-empty lines under `heading` (its first occurrence after the line `after`), to the next heading."""
    start = lines.index(heading, lines.index(after) if after else 0)
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.strip():
            body.append(line)
    return [heading, *body]


def bulletin_sample() -> str:
    options = BulletinOptions(issue_no="2026 年第 22 期", issuer="开发区创建全国文明城市工作指挥部办公室")
    data = load_report_data(history(), CHINA)
    lines = render_bulletin(data, START, END, TODAY, "zh", options, CHINA).splitlines()
    parts = [
        [line for line in lines[:8] if line.strip()],
        under(lines, "## 一、总体情况"),
        under(lines, "## 二、得分率排名"),
        under(lines, "### （一）街道排名"),
        under(lines, "### （二）社区排名"),
        under(lines, "## 三、红榜") + under(lines, "### 楼院类", "## 三、红榜"),
        under(lines, "## 四、黑榜") + under(lines, "### 楼院类", "## 四、黑榜"),
        under(lines, "## 六、整改落实")[:3],
    ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def ledger_sample() -> str:
    """One closed problem of the fortnight, column by column (a CSV line of 23 columns does not read)."""
    data = load_report_data(history(), CHINA)
    columns = LEDGER_COLUMNS["zh"]
    status, kind = columns.index("状态"), columns.index("问题类型")
    rows = list(ledger_rows(data, TODAY, "zh", CHINA))
    this_period = START.strftime("%Y%m%d")
    row = next(r for r in rows if r[status] == "已销号" and r[kind] and str(r[1])[:8] >= this_period)
    cells = zip(columns, row, strict=True)
    return "".join(f"{n:>2}. {name}：{'' if value is None else value}\n" for n, (name, value) in enumerate(cells, 1))


SAMPLES = {"bulletin": bulletin_sample, "ledger": ledger_sample}


def block(text: str, name: str) -> tuple[int, int]:
    """Where the README's generated block `name` sits: between its markers, inside a fence."""
    opening = f"<!-- sample:{name} (generated by tests/test_readme_samples.py) -->\n```\n"
    start = text.index(opening) + len(opening)
    return start, text.index("```\n", start)


def test_the_readme_samples_are_what_the_program_prints_for_the_demo_city() -> None:
    text = README.read_text(encoding="utf-8")
    for name, make in SAMPLES.items():
        start, end = block(text, name)
        assert text[start:end] == make(), f"README sample {name!r} is stale: PYTHONPATH=. python -m {__name__}"


def test_the_bulletin_sample_ranks_the_demo_citys_streets_and_communities() -> None:
    sample = bulletin_sample()
    for name in ("青阳街道", "城关镇", "富华社区", "光明港社区", "东街社区", "双港路社区"):
        assert name in sample
    assert "（未填社区）" not in sample and "※" not in sample  # every demo site is placed


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for name, make in SAMPLES.items():
        start, end = block(text, name)
        text = text[:start] + make() + text[end:]
    README.write_text(text, encoding="utf-8")
    sys.stdout.write(f"written: {README}\n")


if __name__ == "__main__":
    main()
