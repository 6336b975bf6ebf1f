"""The 督查通报: counts, the 得分率 ranking, 红榜 / 黑榜 and the overdue problems by responsible unit."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from checklists.schema import Checklist, Severity
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
    SyncState,
    Verdict,
)
from inspector.core.store import Store
from inspector.reports import load_report_data
from inspector.reports.bulletin import bulletin_main, community_ranking, render_bulletin

SHANGHAI = timezone(timedelta(hours=8))
START, END, TODAY = date(2026, 5, 1), date(2026, 5, 31), date(2026, 5, 31)


def site(site_id: str, community: str, street: str = "东城街道", unit: str = "") -> Site:
    return Site(
        id=site_id, name=f"{community}{site_id}号院", site_type="楼院", street=street, community=community,
        responsible_unit=unit,
    )  # fmt: skip


SITES = [
    site("a", "阳光社区", unit="阳光社区居委会"),
    site("h1", "和平一社区"),
    site("h2a", "和平二社区", street="西城街道"),
    site("h2b", "和平二社区", street="西城街道"),
    site("d", "丁香社区", unit="丁香社区居委会"),
    site("e", "二里社区", unit="二里物业"),
    site("f", "枫林社区"),
]


def inspection(site_id: str, day: date, passed: int, failed: int, na: int = 0, *, draft: bool = False) -> Inspection:
    verdicts = [Verdict.PASS] * passed + [Verdict.FAIL] * failed + [Verdict.NA] * na
    moment = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
    return Inspection(
        site_id=site_id,
        checklist_id="no-such-checklist",  # scored from the recorded verdicts
        checklist_version="1",
        status=InspectionStatus.DRAFT if draft else InspectionStatus.SUBMITTED,
        started_at=moment,
        submitted_at=None if draft else moment,
        results={f"T-{n}": ItemResult(code=f"T-{n}", verdict=v) for n, v in enumerate(verdicts, start=1)},
    )


INSPECTIONS = [
    inspection("a", date(2026, 5, 3), 5, 0),  # 100%
    inspection("h1", date(2026, 5, 4), 4, 1),  # 80%
    inspection("h2a", date(2026, 5, 5), 4, 1),  # 和平二 pooled: 12 / 15 = 80%, tied with 和平一
    inspection("h2b", date(2026, 5, 6), 8, 2),
    inspection("d", date(2026, 5, 7), 1, 1),  # 50%
    inspection("e", date(2026, 5, 8), 1, 4),  # 20%
    inspection("f", date(2026, 5, 9), 0, 0, 3),  # nothing scorable
    inspection("a", date(2026, 4, 30), 0, 5),  # before the period: ignored
    inspection("d", date(2026, 5, 10), 0, 9, draft=True),  # a draft: ignored
]


def problem(pid: str, site_id: str, found: date, description: str, **extra: object) -> Problem:
    at = datetime(found.year, found.month, found.day, 2, 0, tzinfo=UTC)
    unit = next(s.responsible_unit for s in SITES if s.id == site_id)
    return Problem.model_validate(
        {
            "id": pid,
            "inspection_id": "i-" + pid,
            "site_id": site_id,
            "item_code": "T-1",
            "item_text": "条文",
            "description": description,
            "responsible_unit": unit,
            "deadline": DeadlineRule(kind=DeadlineKind.DAYS, n=5),
            "found_at": at,
            "events": [ProblemEvent(problem_id=pid, kind=EventKind.REGISTER, device_time=at)],
            **extra,
        }
    )


def then(p: Problem, kind: EventKind, day: date, **extra: object) -> Problem:
    at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
    return apply_event(p, ProblemEvent.model_validate({"problem_id": p.id, "kind": kind, "device_time": at, **extra}))


def build_problems() -> list[Problem]:
    p1 = then(problem("p1", "e", date(2026, 5, 8), "楼道堆放杂物", severity=Severity.MAJOR), EventKind.ASSIGN, START)
    p2 = problem("p2", "e", date(2026, 5, 8), "小广告未清理")
    p2 = then(then(p2, EventKind.SUBMIT_FIX, date(2026, 5, 9)), EventKind.CLOSE, date(2026, 5, 10))
    p3 = then(problem("p3", "d", date(2026, 4, 1), "绿地种菜"), EventKind.ASSIGN, date(2026, 4, 2))
    p4 = then(problem("p4", "d", date(2026, 5, 7), "误报"), EventKind.VOID, date(2026, 5, 8))
    p5 = then(
        problem("p5", "h1", date(2026, 5, 4), "飞线充电"),
        EventKind.ASSIGN,
        date(2026, 5, 4),
        responsible_unit="二里物业",
    )
    p6 = problem("p6", "a", date(2026, 4, 10), "垃圾桶满溢")
    p6 = then(then(p6, EventKind.SUBMIT_FIX, date(2026, 4, 11)), EventKind.CLOSE, date(2026, 4, 12))
    p6 = then(p6, EventKind.REOPEN, date(2026, 5, 28))
    p7 = then(problem("p7", "h2a", date(2026, 5, 5), "公益广告破损"), EventKind.SUBMIT_FIX, date(2026, 5, 20))
    return [p1, p2, p3, p4, p5, p6, p7]


class FakeStore:
    def __init__(self, sites: list[Site], inspections: list[Inspection], problems: list[Problem]) -> None:
        self._sites, self._inspections, self._problems = sites, inspections, problems

    def sites(self) -> list[Site]:
        return self._sites

    def inspections(self, site_id: str | None = None) -> list[Inspection]:
        return self._inspections

    def problems(self) -> list[Problem]:
        return self._problems

    def checklist(self, checklist_id: str, version: str) -> Checklist | None:
        return None


def render(lang: str = "zh") -> str:
    data = load_report_data(FakeStore(SITES, INSPECTIONS, build_problems()), SHANGHAI)
    return render_bulletin(data, START, END, TODAY, lang)


def section(markdown: str, heading: str) -> list[str]:
    """The non-empty lines under a `## ` heading that starts with `heading`."""
    lines = markdown.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("## ") and heading in line)
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.strip():
            body.append(line)
    return body


def test_ranking_by_score_rate_with_shared_ranks() -> None:
    data = load_report_data(FakeStore(SITES, INSPECTIONS, build_problems()), SHANGHAI)
    ranked, unscorable = community_ranking(data, START, END)
    assert [(g.rank, g.community, g.counts.rate_text()) for g in ranked] == [
        (1, "阳光社区", "100.0%"),
        (2, "和平一社区", "80.0%"),
        (2, "和平二社区", "80.0%"),
        (4, "丁香社区", "50.0%"),
        (5, "二里社区", "20.0%"),
    ]
    assert ranked[2].sites == {"h2a", "h2b"}
    assert [g.community for g in unscorable] == ["枫林社区"]


def test_the_title_and_the_counts() -> None:
    markdown = render()
    assert markdown.startswith("# 督查通报（2026-05-01 至 2026-05-31）\n")
    overview = section(markdown, "总体情况")
    assert "- 检查点位 7 个，检查 7 次。" in overview  # the April inspection and the draft do not count
    assert "- 发现问题 4 个（严重 1 个，一般 3 个）。" in overview  # p1 p2 p5 p7; p4 is void, p3 p6 are older
    assert "- 截至 2026-05-31，已整改销号 1 个，未整改 3 个，其中逾期 2 个。" in overview
    assert "- 反弹（回头看发现问题复发）1 个。" in overview
    assert "- 作废（误报、不立案）1 个，未计入。" in overview


def test_the_ranking_table() -> None:
    table = section(render(), "得分率排名")
    assert table[0] == "| 排名 | 社区 | 街道 | 检查点位 | 符合 | 不符合 | 得分率 |"
    assert table[2] == "| 1 | 阳光社区 | 东城街道 | 1 | 5 | 0 | 100.0% |"
    assert table[4] == "| 2 | 和平二社区 | 西城街道 | 2 | 12 | 3 | 80.0% |"
    assert table[6].startswith("| 5 | 二里社区 |")
    assert table[-1] == "以下社区本期没有可计分条目，未参加排名：枫林社区。"


def test_red_and_black_lists() -> None:
    markdown = render()
    assert section(markdown, "红榜") == [
        "1. 阳光社区（东城街道）：得分率 100.0%",
        "2. 和平一社区（东城街道）：得分率 80.0%",
    ]
    black = section(markdown, "黑榜")
    assert black[0] == "1. 二里社区（东城街道）：得分率 20.0%，发现问题 2 个"
    assert black[1].strip() == "主要问题：楼道堆放杂物；小广告未清理"
    assert black[2] == "2. 丁香社区（东城街道）：得分率 50.0%，发现问题 0 个"  # its only problem was voided
    assert len(black) == 3


def test_overdue_problems_grouped_by_unit_most_first() -> None:
    # p6 was reopened on 05-28 (due 06-02) and p7 awaits re-inspection: neither is overdue.
    assert section(render(), "逾期未整改问题") == [
        "### 二里物业（2 个）",
        "1. 二里社区e号院：楼道堆放杂物（5 天，应于 2026-05-06 前完成，已逾期 25 天，已交办）",
        "2. 和平一社区h1号院：飞线充电（5 天，应于 2026-05-09 前完成，已逾期 22 天，已交办）",
        "### 丁香社区居委会（1 个）",
        "1. 丁香社区d号院：绿地种菜（5 天，应于 2026-04-07 前完成，已逾期 54 天，已交办）",
    ]


def test_too_few_communities_for_red_and_black_lists() -> None:
    data = load_report_data(FakeStore(SITES, INSPECTIONS[:1], []), SHANGHAI)
    markdown = render_bulletin(data, START, END, TODAY, "zh")
    assert section(markdown, "红榜") == ["参评社区不足 2 个，本期不设红黑榜。"]
    assert section(markdown, "逾期未整改问题") == ["无逾期未整改问题。"]


def test_table_cells_are_escaped() -> None:
    odd = [Site(id="x", name="怪名", site_type="楼院", community="A|B\n社区")]
    data = load_report_data(FakeStore(odd, [inspection("x", date(2026, 5, 3), 1, 0)], []), SHANGHAI)
    markdown = render_bulletin(data, START, END, TODAY, "zh")
    assert "| 1 | A\\|B 社区 |" in markdown


def test_english() -> None:
    markdown = render("en")
    assert markdown.startswith("# Inspection bulletin (2026-05-01 to 2026-05-31)\n")
    assert "- Problems found: 4 (1 major, 3 minor)." in markdown
    assert section(markdown, "Red list")[0] == "1. 阳光社区 (东城街道): score rate 100.0%"
    assert "### 二里物业 (2)" in markdown


# the command ----------------------------------------------------------------------------------------------------


def run(
    date_from: date | str, date_to: date | str, output: Path | None = None, lang: str = "zh"
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    code = bulletin_main(store, date_from, date_to, output, out, err, lang=lang, today=TODAY, tz=SHANGHAI)
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_markdown_to_stdout_and_accepts_dates_or_text() -> None:
    code, out, err = run("2026-05-01", date(2026, 5, 31))
    assert (code, err) == (0, "")
    assert out == render()


@pytest.mark.parametrize("bad", ["2026-13-01", "2026/05/01", "yesterday", ""])
def test_a_bad_date_is_named(bad: str) -> None:
    code, out, err = run(bad, "2026-05-31")
    assert code == 1 and out == ""
    assert repr(bad) in err and "YYYY-MM-DD" in err
    assert run("2026-05-01", bad, lang="en")[2].startswith("not a date")


def test_from_after_to_is_refused() -> None:
    code, out, err = run("2026-06-01", "2026-05-01")
    assert code == 1 and out == ""
    assert "2026-06-01" in err and "晚于" in err


def test_the_command_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "通报.md"
    code, out, _ = run("2026-05-01", "2026-05-31", target)
    assert code == 0 and str(target) in out
    assert target.read_text(encoding="utf-8") == render()
    code, _, err = run("2026-05-01", "2026-05-31", tmp_path / "missing" / "通报.md")
    assert code == 1 and "missing" in err and "无法写入" in err


def test_with_the_real_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "data") as store:
        store.put_sites(SITES)
        for record in INSPECTIONS[:2]:
            draft = record.model_copy(update={"status": InspectionStatus.DRAFT, "submitted_at": None})
            store.save_inspection(draft)
            store.submit(draft, [])
        for found in build_problems():
            store.save_problem(found)
        out, err = io.StringIO(), io.StringIO()
        assert bulletin_main(store, date(2000, 1, 1), date(2100, 1, 1), None, out, err, today=TODAY, tz=SHANGHAI) == 0
    markdown = out.getvalue()
    assert "- 检查点位 2 个，检查 2 次。" in markdown
    assert "### 二里物业（2 个）" in markdown
    assert section(markdown, "红榜") == ["1. 阳光社区（东城街道）：得分率 100.0%"]


def test_a_reopening_hq_refused_is_not_counted_as_a_rebound() -> None:
    problems = build_problems()
    p6 = problems[5]
    refused = next(e for e in p6.events if e.kind is EventKind.REOPEN)
    refused.sync.state = SyncState.REJECTED  # e.g. sent by a role that may not reopen: shown, never applied
    data = load_report_data(FakeStore(SITES, INSPECTIONS, problems), SHANGHAI)
    overview = section(render_bulletin(data, START, END, TODAY, "zh"), "总体情况")
    assert not any(line.startswith("- 反弹") for line in overview), overview
