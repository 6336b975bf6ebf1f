"""The 督查通报: counts, the 得分率 ranking, 红榜 / 黑榜 and the overdue problems by responsible unit."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

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
from inspector.reports import ReportData, load_report_data
from inspector.reports.bulletin import (
    BulletinOptions,
    ListRules,
    bulletin_main,
    community_ranking,
    previous_period,
    rectification_rates,
    render_bulletin,
    site_ranking,
)

SHANGHAI = timezone(timedelta(hours=8))
START, END, TODAY = date(2026, 5, 1), date(2026, 5, 31), date(2026, 5, 31)


def site(
    site_id: str, community: str, street: str = "东城街道", unit: str = "", site_type: str = "楼院", name: str = ""
) -> Site:
    return Site(
        id=site_id, name=name or f"{community}{site_id}号院", site_type=site_type, street=street,
        community=community, responsible_unit=unit,
    )  # fmt: skip


SITES = [
    site("a", "阳光社区", unit="阳光社区居委会"),
    site("h1", "和平一社区"),
    site("h2a", "和平二社区", street="西城街道"),
    site("h2b", "和平二社区", street="西城街道"),
    site("d", "丁香社区", unit="丁香社区居委会"),
    site("e", "二里社区", unit="二里物业"),
    site("f", "枫林社区"),
    # A square with no 社区: ranked under its own name, never pooled into a pseudo-community.
    site("g", "", unit="城关城管中队", site_type="公共广场", name="人民广场"),
    # A 和平一社区 in another street: a community of its own.
    site("k", "和平一社区", street="西城街道"),
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
    inspection("h2a", date(2026, 5, 5), 4, 1),  # 和平二 pooled: 12 / 15 = 80%, tied with 和平一 (东城)
    inspection("h2b", date(2026, 5, 6), 8, 2),
    inspection("d", date(2026, 5, 7), 1, 1),  # 50%
    inspection("e", date(2026, 5, 8), 1, 4),  # e pooled: 4 / 10 = 40%; inspected again: 回头看
    inspection("e", date(2026, 5, 20), 3, 2),
    inspection("f", date(2026, 5, 9), 0, 0, 3),  # nothing scorable
    inspection("g", date(2026, 5, 10), 3, 1),  # 人民广场: 7 / 8 = 87.5%
    inspection("g", date(2026, 5, 15), 4, 0),
    inspection("k", date(2026, 5, 12), 3, 2),  # 60%
    # the previous period (2026-03-31 to 2026-04-30): 东城街道 2 / 8 = 25%
    inspection("a", date(2026, 4, 30), 0, 5),
    inspection("h1", date(2026, 4, 20), 2, 3),
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
    # A wording with the list separator inside it: the black list numbers problems ①②③ so it cannot be misread.
    p8 = problem("p8", "e", date(2026, 5, 20), "垃圾桶未分类；桶身脏污")
    # 人民广场: one closed and then come back (返工), one whose deadline was extended (延期) and then fixed in time.
    p9 = problem("p9", "g", date(2026, 5, 10), "广场地面烟头较多")
    p9 = then(then(p9, EventKind.SUBMIT_FIX, date(2026, 5, 11)), EventKind.CLOSE, date(2026, 5, 12))
    p9 = then(p9, EventKind.REOPEN, date(2026, 5, 25))
    three, seven = DeadlineRule(kind=DeadlineKind.DAYS, n=3), DeadlineRule(kind=DeadlineKind.DAYS, n=7)
    p10 = then(
        problem("p10", "g", date(2026, 5, 10), "健身器材损坏"), EventKind.ASSIGN, date(2026, 5, 10), deadline=three
    )
    p10 = then(p10, EventKind.ASSIGN, date(2026, 5, 12), deadline=seven)  # due 05-13 → 05-19
    p10 = then(p10, EventKind.SUBMIT_FIX, date(2026, 5, 15))
    return [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10]


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


def data_of(inspections: list[Inspection] | None = None, problems: list[Problem] | None = None) -> ReportData:
    chosen = INSPECTIONS if inspections is None else inspections
    return load_report_data(FakeStore(SITES, chosen, build_problems() if problems is None else problems), SHANGHAI)


def render(lang: str = "zh", options: BulletinOptions | None = None) -> str:
    return render_bulletin(data_of(), START, END, TODAY, lang, options, SHANGHAI)


def section(markdown: str, heading: str) -> list[str]:
    """The non-empty lines under a `## ` heading that contains `heading`, up to the next `## `."""
    lines = markdown.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("## ") and heading in line)
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.strip():
            body.append(line)
    return body


def sub(lines: list[str], heading: str) -> list[str]:
    """The lines under a `###` / `####` heading inside a section, up to the next heading of that level or above."""
    start = next(n for n, line in enumerate(lines) if line.startswith("#") and line.endswith(heading))
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("#") and len(line) - len(line.lstrip("#")) <= level:
            break
        body.append(line)
    return body


def test_the_title_issue_number_and_issuer() -> None:
    options = BulletinOptions(issue_no="2026 年第 9 期", issuer="东城区创城办")
    markdown = render(options=options)
    assert markdown.splitlines()[:7] == [
        "# 督查通报（2026-05-01 至 2026-05-31）",
        "",
        "2026 年第 9 期",
        "",
        "东城区创城办",
        "",
        "通报期间：2026-05-01 至 2026-05-31；统计截至 2026-05-31。",
    ]
    assert markdown.rstrip().endswith("东城区创城办\n\n2026-05-31")  # signed at the end
    assert not render().startswith("# 督查通报（2026-05-01 至 2026-05-31）\n\n2026")  # both optional


def test_overview_counts_and_the_change_against_the_previous_period() -> None:
    overview = section(render(), "总体情况")
    assert overview[:4] == [
        "- 本期共检查点位 9 个，检查 11 次，综合得分率 72.0%。",  # the April ones and the draft do not count
        "- 发现并交办问题 7 个（严重 1 个，一般 6 个）。",  # p4 is void, p3 p6 are older
        "- 截至 2026-05-31，本期问题已整改销号 1 个，未整改 6 个，其中逾期 4 个。",
        "- 作废（误报、不立案）1 个，未计入。",
    ]
    assert overview[4] == "与上期（2026-03-31 至 2026-04-30）比较："  # the 31 days before
    assert overview[7:] == [
        "| 检查点位（个） | 9 | 2 | +7 |",
        "| 检查次数 | 11 | 2 | +9 |",
        "| 发现问题（个） | 7 | 2 | +5 |",
        "| 其中严重（个） | 1 | 0 | +1 |",
        "| 综合得分率 | 72.0% | 20.0% | +52.0 个百分点 |",
    ]


def test_the_previous_period_has_the_same_length() -> None:
    assert previous_period(date(2026, 5, 4), date(2026, 5, 10)) == (date(2026, 4, 27), date(2026, 5, 3))


def test_streets_ranked_with_the_formula_and_the_change() -> None:
    ranking = section(render(), "得分率排名")
    assert ranking[0].startswith("得分率 = 符合条目数 ÷（符合条目数 + 不符合条目数）× 100%，不适用条目不计")
    assert sub(ranking, "（一）街道排名")[2:] == [
        "| 1 | 西城街道 | 3 | 3 | 15 | 5 | 75.0% | 上期未检查 |",
        "| 2 | 东城街道 | 6 | 8 | 21 | 9 | 70.0% | +50.0 个百分点 |",
    ]


def test_communities_ranked_with_shared_ranks_and_a_site_without_community_under_its_own_name() -> None:
    ranked, unscorable = community_ranking(data_of(), START, END)
    assert [(g.rank, g.name, g.street, g.counts.rate_text(), g.own_name) for g in ranked] == [
        (1, "阳光社区", "东城街道", "100.0%", False),
        (2, "人民广场", "东城街道", "87.5%", True),  # no 社区: its own name, not a pseudo-community
        (3, "和平二社区", "西城街道", "80.0%", False),  # ties in pinyin order: heping-er before heping-yi
        (3, "和平一社区", "东城街道", "80.0%", False),
        (5, "和平一社区", "西城街道", "60.0%", False),  # the same name in another street: another community
        (6, "丁香社区", "东城街道", "50.0%", False),
        (7, "二里社区", "东城街道", "40.0%", False),
    ]
    assert ranked[2].sites == {"h2a", "h2b"}
    assert [g.name for g in unscorable] == ["枫林社区"]
    table = sub(section(render(), "得分率排名"), "（二）社区排名")
    assert table[0] == "| 排名 | 社区 | 街道 | 检查点位 | 检查次数 | 符合 | 不符合 | 得分率 | 较上期 |"
    assert table[3] == "| 2 | 人民广场※ | 东城街道 | 1 | 2 | 7 | 1 | 87.5% | 上期未检查 |"
    assert table[5] == "| 3 | 和平一社区 | 东城街道 | 1 | 1 | 4 | 1 | 80.0% | +40.0 个百分点 |"
    assert "※ 未填社区的点位按点位名称单独排名，不并入任何社区：人民广场。" in table
    assert "以下单位本期没有可计分条目，未参加排名：枫林社区。" in table
    assert not any("未填社区）" in line for line in table)


def test_communities_per_site_type_when_there_are_several() -> None:
    ranking = section(render(), "得分率排名")
    squares = [line for line in sub(ranking, "（三）公共广场类社区排名") if line.startswith("| 1")]
    assert squares == ["| 1 | 人民广场※ | 东城街道 | 1 | 2 | 7 | 1 | 87.5% | 上期未检查 |"]
    homes = sub(ranking, "（四）楼院类社区排名")
    assert homes[2].startswith("| 1 | 阳光社区 |") and homes[-2].startswith("| 6 | 二里社区 |")
    only_homes = [i for i in INSPECTIONS if i.site_id != "g"]
    markdown = render_bulletin(data_of(only_homes), START, END, TODAY, "zh")
    assert "类社区排名" not in markdown


def test_red_and_black_lists_by_site_with_the_rules() -> None:
    markdown = render()
    red = section(markdown, "红榜")
    assert red[0] == (
        "评选规则：本期检查不少于 1 次的点位按得分率排序，前 3 名入红榜、后 3 名入黑榜"
        "（参评点位不足 6 个时各取一半，同一点位不同时上榜）。"
    )
    assert sub(red, "### 公共广场类") == ["参评点位不足 2 个，本期不设红黑榜。"]
    assert sub(red, "### 楼院类") == [
        "1. 阳光社区a号院（楼院，阳光社区，东城街道）：得分率 100.0%",
        "2. 和平二社区h2a号院（楼院，和平二社区，西城街道）：得分率 80.0%",
        "3. 和平二社区h2b号院（楼院，和平二社区，西城街道）：得分率 80.0%",  # h1 ties, after them in pinyin
    ]
    assert sub(section(markdown, "黑榜"), "### 楼院类") == [
        # numbered ①②③: the "；" inside the third problem cannot be mistaken for a separator
        "1. 二里社区e号院（楼院，二里社区，东城街道）：得分率 40.0%，发现问题 3 个，"
        "主要问题：①楼道堆放杂物②小广告未清理③垃圾桶未分类；桶身脏污",
        "2. 丁香社区d号院（楼院，丁香社区，东城街道）：得分率 50.0%，发现问题 0 个",  # its only problem was voided
        "3. 和平一社区k号院（楼院，和平一社区，西城街道）：得分率 60.0%，发现问题 0 个",
    ]


def test_the_list_rules_are_parameters() -> None:
    one = render(options=BulletinOptions(rules=ListRules(size=1, examples=1)))
    assert sub(section(one, "红榜"), "### 楼院类") == ["1. 阳光社区a号院（楼院，阳光社区，东城街道）：得分率 100.0%"]
    assert sub(section(one, "黑榜"), "### 楼院类") == [
        "1. 二里社区e号院（楼院，二里社区，东城街道）：得分率 40.0%，发现问题 3 个，主要问题：①楼道堆放杂物"
    ]
    twice = render(options=BulletinOptions(rules=ListRules(min_inspections=2)))
    black = section(twice, "黑榜")
    assert black[-1] == (
        "检查次数不足 2 次、未参评的点位：阳光社区a号院、和平二社区h2a号院、和平二社区h2b号院、和平一社区h1号院、"
        "和平一社区k号院、丁香社区d号院。"
    )
    # e and g are the only sites inspected twice, one of each type: too few on either list
    assert sub(section(twice, "红榜"), "### 楼院类") == ["参评点位不足 2 个，本期不设红黑榜。"]


def test_site_ranking_pools_a_sites_inspections() -> None:
    ranked, _ = site_ranking(data_of(), START, END)
    by_name = {s.name: s for s in ranked}
    assert by_name["人民广场"].inspections == 2 and by_name["人民广场"].counts.rate_text() == "87.5%"
    assert (by_name["人民广场"].community, by_name["人民广场"].site_type) == ("", "公共广场")


def test_the_problem_list_by_street_community_and_site() -> None:
    problems = section(render(), "问题清单")
    east = sub(problems, "### 东城街道")
    assert sub(east, "#### 二里社区") == [
        "**二里社区e号院**",
        "1. 楼道堆放杂物（T-1；责任单位：二里物业；整改时限：5 天，2026-05-06 前；已交办）",
        "2. 小广告未清理（T-1；责任单位：二里物业；整改时限：5 天，2026-05-13 前；已销号）",
        "3. 垃圾桶未分类；桶身脏污（T-1；责任单位：二里物业；整改时限：5 天，2026-05-25 前；登记）",
    ]
    assert sub(east, "#### 人民广场（未填社区）")[0] == "**人民广场**"
    west = sub(problems, "### 西城街道")
    assert west[-1] == "1. 公益广告破损（T-1；责任单位：（未指定责任单位）；整改时限：5 天，2026-05-10 前；待复查）"
    assert not any("误报" in line or "绿地种菜" in line for line in problems)  # void; found before the period


def test_rectification_rates_and_units() -> None:
    rates = rectification_rates([p for p in data_of().problems if START <= p.found_on <= END], TODAY, SHANGHAI)
    # 按期: p2 (fixed 05-09, due 05-13, closed) and p10 (fixed 05-15 within its extended deadline 05-19)
    assert (rates.on_time, rates.due) == (2, 7)
    assert (rates.reworked, rates.ever_closed) == (1, 2)  # p9 came back after 销号; p2 did not
    assert (rates.extended, rates.assigned) == (1, 4)  # p10's deadline was moved from 05-13 to 05-19
    rectification = section(render(), "整改落实")
    assert rectification[:2] == [
        "本期销号 1 个；截至 2026-05-31，全部未整改问题 8 个，其中逾期 5 个。",
        "本期问题：按期整改率 28.6%（2/7），返工率 50.0%（1/2），延期率 25.0%（1/4）。",
    ]
    assert rectification[2].startswith("按期整改率 = 在整改时限内完成整改的问题 ÷ 已到整改时限或已销号的问题")
    assert rectification[5:8] == [
        "| 二里物业 | 4 | 1 | 3 | 3 | 25.0% | 0.0% | 0.0% |",
        "| 城关城管中队 | 2 | 0 | 2 | 1 | 50.0% | 100.0% | 50.0% |",
        "| （未指定责任单位） | 1 | 0 | 1 | 0 | 0.0% | — | — |",
    ]


def test_overdue_problems_grouped_by_unit_most_first() -> None:
    # p6 was reopened on 05-28 (due 06-02), p7 and p10 await re-inspection: none of them is overdue.
    overdue = sub(section(render(), "整改落实"), "### 逾期未整改问题（截至 2026-05-31，按责任单位）")
    assert [line for line in overdue if line] == [
        "#### 二里物业（3 个）",
        "1. 二里社区e号院：楼道堆放杂物（5 天，应于 2026-05-06 前完成，已逾期 25 天，已交办）",
        "2. 和平一社区h1号院：飞线充电（5 天，应于 2026-05-09 前完成，已逾期 22 天，已交办）",
        "3. 二里社区e号院：垃圾桶未分类；桶身脏污（5 天，应于 2026-05-25 前完成，已逾期 6 天，登记）",
        "#### 丁香社区居委会（1 个）",
        "1. 丁香社区d号院：绿地种菜（5 天，应于 2026-04-07 前完成，已逾期 54 天，已交办）",
        "#### 城关城管中队（1 个）",
        "1. 人民广场：广场地面烟头较多（5 天，应于 2026-05-30 前完成，已逾期 1 天，已交办）",
    ]


def test_follow_up_reinspections_and_reopenings() -> None:
    follow_up = section(render(), "回头看")
    assert follow_up[0] == "本期复查点位 4 个（本期之前检查过、本期再次检查）："
    assert follow_up[3:7] == [
        "| 二里社区e号院 | 二里社区 | 2026-05-08 | 20.0% | 2026-05-20 | 60.0% | +40.0 个百分点 |",
        "| 和平一社区h1号院 | 和平一社区 | 2026-04-20 | 40.0% | 2026-05-04 | 80.0% | +40.0 个百分点 |",
        "| 人民广场 | 未填社区 | 2026-05-10 | 75.0% | 2026-05-15 | 100.0% | +25.0 个百分点 |",
        "| 阳光社区a号院 | 阳光社区 | 2026-04-30 | 0.0% | 2026-05-03 | 100.0% | +100.0 个百分点 |",
    ]
    assert follow_up[7:] == [
        "本期反弹（销号后回头看发现问题复发，重新交办）2 个：",
        "1. 人民广场：广场地面烟头较多（2026-05-25 反弹，责任单位：城关城管中队）",
        "2. 阳光社区a号院：垃圾桶满溢（2026-05-28 反弹，责任单位：阳光社区居委会）",
    ]


def test_the_requirements_name_the_closing_deadline() -> None:
    assert "并于 2026-06-07 前完成整改销号" in section(render(), "整改要求")[0]  # a week after the period
    later = render(options=BulletinOptions(close_by=date(2026, 6, 15)))
    assert "并于 2026-06-15 前完成整改销号" in section(later, "整改要求")[0]


def test_too_few_sites_for_red_and_black_lists() -> None:
    markdown = render_bulletin(data_of(INSPECTIONS[:1], []), START, END, TODAY, "zh")
    assert section(markdown, "红榜")[1:] == ["参评点位不足 2 个，本期不设红黑榜。"]
    assert section(markdown, "整改落实")[-1] == "无逾期未整改问题。"
    assert section(markdown, "问题清单") == ["本期未发现问题。"]
    assert section(markdown, "回头看") == ["本期没有回头看记录。"]


def test_table_cells_are_escaped() -> None:
    odd = [Site(id="x", name="怪名", site_type="楼院", community="A|B\n社区")]
    data = load_report_data(FakeStore(odd, [inspection("x", date(2026, 5, 3), 1, 0)], []), SHANGHAI)
    markdown = render_bulletin(data, START, END, TODAY, "zh")
    assert "| 1 | A\\|B 社区 |" in markdown


def test_english() -> None:
    markdown = render("en")
    assert markdown.startswith("# Inspection bulletin (2026-05-01 to 2026-05-31)\n")
    assert "- Problems found: 7 (1 major, 6 minor)." in markdown
    red = section(markdown, "Red list")
    assert "1. 阳光社区a号院 (楼院, 阳光社区, 东城街道): score rate 100.0%" in red
    assert "#### 二里物业 (3)" in markdown
    assert "| 2 | 人民广场† | 东城街道 | 1 | 2 | 7 | 1 | 87.5% | new |" in markdown


# the formats ----------------------------------------------------------------------------------------------------


def test_the_docx_holds_the_same_tables(tmp_path: Path) -> None:
    import docx

    target = tmp_path / "通报.docx"
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    code = bulletin_main(
        store, START, END, target, out, err, today=TODAY, tz=SHANGHAI, issue_no="第 9 期", issuer="东城区创城办"
    )
    assert (code, err.getvalue()) == (0, "")
    document = docx.Document(str(target))
    text = [p.text for p in document.paragraphs]
    assert "督查通报（2026-05-01 至 2026-05-31）" in text and "第 9 期" in text and "东城区创城办" in text
    assert "一、总体情况" in text and "八、整改要求" in text
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    markdown = render(options=BulletinOptions(issue_no="第 9 期", issuer="东城区创城办"))
    expected = [
        [[cell.strip().replace("\\|", "|") for cell in line.strip("|").split(" | ")] for line in block]
        for block in _markdown_tables(markdown)
    ]
    assert tables == expected
    streets = tables[1]
    assert streets[1] == ["1", "西城街道", "3", "3", "15", "5", "75.0%", "上期未检查"]
    black = "1. 二里社区e号院（楼院，二里社区，东城街道）：得分率 40.0%，发现问题 3 个，主要问题：①楼道堆放杂物"
    assert any(line.startswith(black) for line in text)


def test_docx_columns_are_as_wide_as_their_text_on_an_a4_page(tmp_path: Path) -> None:
    """Seen in LibreOffice: equal columns wrapped 「93.8%」 and 「东街社区」 while a 条文 ran down a whole page."""
    import docx
    from docx.shared import Cm

    from inspector.reports.document import Table, column_shares, to_docx

    ranking = Table(["排名", "社区", "得分率"], [["1", "和平二社区", "93.8%"]], frozenset({0}))
    clause = "在显著位置宣传展示“社会主义核心价值观”等内容的公益广告" * 5
    notice = Table(
        ["序号", "问题编号", "存在问题", "依据条目", "整改时限"],
        [["1", "20261203-QN7J", "小区内公益性广告少；3 号楼北侧", clause, "5 天，2026-12-08 前"]],
    )
    target = tmp_path / "表.docx"
    to_docx([ranking, notice], target)
    document = docx.Document(str(target))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
    usable = section.page_width - section.left_margin - section.right_margin
    first, second = ([cell.width for cell in table.rows[0].cells] for table in document.tables)
    assert abs(sum(first) - usable) < Cm(0.01) and abs(sum(second) - usable) < Cm(0.01)
    assert first[1] >= Cm(10 * 0.21)  # 和平二社区 on one line
    assert second[3] > second[2] > second[1] > second[0]  # the 条文 widest, 序号 narrowest
    assert second[3] < usable * 0.5  # long, but not the whole page
    assert column_shares(ranking)[1] > column_shares(ranking)[0]


def _markdown_tables(markdown: str) -> list[list[str]]:
    """Each Markdown table's lines without its alignment row."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            if not line.startswith("| ---") and not line.startswith("| ---:"):
                current.append(line.strip())
        elif current:
            tables.append([row[2:-2] for row in current])
            current = []
    return tables


def test_html_is_printable_and_escaped(tmp_path: Path) -> None:
    target = tmp_path / "通报.html"
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    assert bulletin_main(store, START, END, target, out, err, today=TODAY, tz=SHANGHAI) == 0
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@page { size: A4" in page
    assert "<h2>二、得分率排名</h2>" in page
    assert "<td>人民广场※</td>" in page
    assert page.count("<table>") == len(_markdown_tables(render()))


def test_the_format_follows_the_suffix_or_the_option(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    store = FakeStore(SITES, INSPECTIONS, build_problems())
    assert bulletin_main(store, START, END, None, out, err, today=TODAY, tz=SHANGHAI, fmt="html") == 0
    assert out.getvalue().startswith("<!DOCTYPE html>")
    target = tmp_path / "通报.txt"
    out, err = io.StringIO(), io.StringIO()
    assert bulletin_main(store, START, END, target, out, err, today=TODAY, tz=SHANGHAI) == 1
    assert ".txt" in err.getvalue() and not target.exists()
    out, err = io.StringIO(), io.StringIO()
    assert bulletin_main(store, START, END, None, out, err, today=TODAY, tz=SHANGHAI, fmt="docx") == 1
    assert "-o" in err.getvalue()
    target = tmp_path / "通报"
    assert bulletin_main(store, START, END, target, io.StringIO(), io.StringIO(), today=TODAY, fmt="docx") == 0
    assert target.read_bytes().startswith(b"PK")  # a .docx is a zip


def test_the_cli_takes_the_bulletin_options(tmp_path: Path) -> None:
    from inspector.cli import main

    data = tmp_path / "data"
    with Store.open(data) as store:
        store.put_sites(SITES)
    target = tmp_path / "通报.md"
    argv = [
        "--data-dir", str(data), "report", "bulletin", "--from", "2026-05-01", "--to", "2026-05-31",
        "--issue-no", "第 9 期", "--issuer", "东城区创城办", "--list-size", "2", "--min-inspections", "1",
        "--close-by", "2026-06-20", "-o", str(target),
    ]  # fmt: skip
    assert main(argv) == 0
    markdown = target.read_text(encoding="utf-8")
    assert "第 9 期" in markdown and "2026-06-20" in markdown and "前 2 名入红榜" in markdown


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
    assert "- 本期共检查点位 2 个，检查 2 次，综合得分率 90.0%。" in markdown
    assert "#### 二里物业（3 个）" in markdown
    assert section(markdown, "红榜")[1:] == ["1. 阳光社区a号院（楼院，阳光社区，东城街道）：得分率 100.0%"]


def test_a_reopening_hq_refused_is_not_counted_as_a_rebound() -> None:
    problems = build_problems()
    p6 = problems[5]
    refused = next(e for e in p6.events if e.kind is EventKind.REOPEN)
    refused.sync.state = SyncState.REJECTED  # e.g. sent by a role that may not reopen: shown, never applied
    data = load_report_data(FakeStore(SITES, INSPECTIONS, problems), SHANGHAI)
    overview = section(render_bulletin(data, START, END, TODAY, "zh"), "总体情况")
    assert not any(line.startswith("- 反弹") for line in overview), overview


def test_an_extension_is_a_new_deadline_later_than_the_one_running_and_a_rebound_is_not_one() -> None:
    from inspector.core.problems import fold
    from inspector.reports.facts import problem_fact

    three, seven = DeadlineRule(kind=DeadlineKind.DAYS, n=3), DeadlineRule(kind=DeadlineKind.DAYS, n=7)
    p = then(problem("x", "e", date(2026, 5, 1), "堆物"), EventKind.ASSIGN, date(2026, 5, 1), deadline=seven)
    p = then(p, EventKind.ASSIGN, date(2026, 5, 2), deadline=three)  # due 05-08 → 05-05: earlier, not 延期
    p = then(p, EventKind.SUBMIT_FIX, date(2026, 5, 4))
    p = then(p, EventKind.CLOSE, date(2026, 5, 5))
    p = then(p, EventKind.REOPEN, date(2026, 5, 20), deadline=three)  # a new round, not 延期
    fact = problem_fact(p, fold(p, SHANGHAI), "", SHANGHAI)
    assert (fact.extended, fact.fixed_on) == (0, date(2026, 5, 4))
    p = then(p, EventKind.ASSIGN, date(2026, 5, 21), deadline=seven)  # 05-23 → 05-28: 延期
    fact = problem_fact(p, fold(p, SHANGHAI), "", SHANGHAI)
    assert fact.extended == 1 and fact.reopened == 1


def test_a_site_without_street_is_ranked_under_its_own_name_among_the_streets() -> None:
    lone = Site(id="z", name="滨河路", site_type="背街小巷")  # neither 街道 nor 社区
    sites = [*SITES, lone]
    inspections = [*INSPECTIONS, inspection("z", date(2026, 5, 11), 1, 1)]
    data = load_report_data(FakeStore(sites, inspections, []), SHANGHAI)
    markdown = render_bulletin(data, START, END, TODAY, "zh")
    streets = sub(section(markdown, "得分率排名"), "（一）街道排名")
    assert "| 3 | 滨河路※ | 1 | 1 | 1 | 1 | 50.0% | 上期未检查 |" in streets
    assert "※ 未填街道的点位按点位名称单独排名：滨河路。" in streets
    communities = sub(section(markdown, "得分率排名"), "（二）社区排名")
    assert any(line.startswith("| ") and "| 滨河路※ | — |" in line for line in communities)


def test_a_report_pauses_cyclic_collection_only_while_it_reads_and_computes(store: Store) -> None:
    """A report makes its facts with the cyclic collector off (collection_paused), and leaves it as it found it:
    on again after a report, still off when the caller had turned it off."""
    import gc

    from inspector.reports.bulletin import bulletin_blocks
    from inspector.reports.local import LocalSource

    seen: list[bool] = []

    class Watched(LocalSource):
        def problem_facts(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(gc.isenabled())
            return super().problem_facts(*args, **kwargs)

    assert gc.isenabled()
    load_report_data(Watched(store))
    bulletin_blocks(Watched(store), date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 1))
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        load_report_data(Watched(store))
        assert not gc.isenabled()
    finally:
        gc.enable()
