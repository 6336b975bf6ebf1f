"""`inspector report bulletin`: the periodic 督查通报 in the shape a 创城办 publishes it, as Markdown, HTML or .docx.

Sections, in order (as in the offices' own 通报: 期号 and 发文单位 under the title, then):
一、总体情况: sites, inspections, problems, 得分率, each against the previous period of the same length;
    rectified / open / overdue as of `today`.
二、得分率排名: 街道, then 社区 (and 社区 per site type when the period covers several), with the formula.
三、红榜 / 四、黑榜: by SITE (小区, 道路, 广场 … with its 社区 and 街道); the black list names the main problems.
五、问题清单: the period's problems grouped 街道 → 社区 → 点位, one a line with its unit and deadline.
六、整改落实: closed in the period, open, 按期整改率 / 返工率 / 延期率 with their formulas, by unit; the overdue list.
七、回头看: sites inspected again in the period (score then and now) and the 反弹 recorded in it.
八、整改要求: the 销号 deadline.

Counting rules:
- An inspection counts for the period by its local submission date; drafts never count.
- 得分率 = 符合 ÷ (符合 + 不符合), 不适用 not counted, every submitted inspection of the unit in the period pooled.
  A unit with nothing scorable is named after the ranking, not ranked.
- A site without 社区 (or 街道) is ranked under its own name with a note: never pooled into a pseudo-community.
  Two communities of the same name in different streets are two communities.
- Problems "found" are those found in the period, 作废 excluded; the overdue list is everything overdue on `today`,
  found in this period or earlier: those are the ones to chase.
- 红榜 / 黑榜 take min(size, n // 2) sites of those inspected at least `min_inspections` times, so no site is on
  both lists.
Everything is computed from facts (ReportData), so HQ's read model prints the same bulletin as a laptop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Protocol, TextIO, TypeVar

from checklists.i18n import Catalogue, Plural
from inspector.core.problems import OPEN_STATUSES, ProblemStatus, deadline_text, local_date
from inspector.core.records import DeadlineRule, Severity, Site
from inspector.reports import (
    Filters,
    OutputError,
    ReportData,
    ReportSource,
    ReportStore,
    SourceError,
    Tally,
    Window,
    collection_paused,
    load_report_data,
)
from inspector.reports import write_atomically as _write
from inspector.reports.document import Block, Heading, Lines, Para, Table, format_for, to_docx, to_html, to_markdown
from inspector.reports.facts import InspectionFact, ProblemFact

__all__ = [
    "BULLETIN",
    "BulletinOptions",
    "CommunityScore",
    "ListRules",
    "Score",
    "build_bulletin",
    "bulletin_blocks",
    "bulletin_main",
    "bulletin_title",
    "community_ranking",
    "list_candidates",
    "pick_lists",
    "previous_period",
    "rectification_rates",
    "render_bulletin",
    "site_ranking",
    "street_ranking",
]

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


@dataclass(frozen=True, slots=True)
class ListRules:
    """How the 红榜 and 黑榜 are drawn: at most `size` sites each, of those inspected at least `min_inspections`
    times in the period; the black list names up to `examples` of a site's problems."""

    size: int = 3
    min_inspections: int = 1
    examples: int = 3


@dataclass(frozen=True, slots=True)
class BulletinOptions:
    issue_no: str = ""  # 期号, e.g. "2026 年第 9 期"
    issuer: str = ""  # 发文单位, e.g. "XX 市创建全国文明城市工作指挥部办公室"
    rules: ListRules = field(default_factory=ListRules)
    close_by: date | None = None  # the 销号 deadline of 整改要求; default: a week after the period


@dataclass(slots=True)
class Score:
    """One ranked unit (a 街道, a 社区 or a site) and what it pooled."""

    key: tuple[str, ...]
    name: str
    street: str = ""
    community: str = ""
    site_type: str = ""
    own_name: bool = False  # a site without 社区 / 街道 ranked under its own name
    sites: set[str] = field(default_factory=set)
    inspections: int = 0
    counts: Tally = field(default_factory=Tally)
    problems: list[ProblemFact] = field(default_factory=list)  # found in the period, void excluded
    rank: int = 0


CommunityScore = Score  # the previous name


@functools.lru_cache(maxsize=8192)
def _order(text: str) -> tuple[str, str]:
    """Chinese names in pinyin order, as an office's lists are (和平二 before 和平一: er < yi); the text breaks ties.
    Kept: a bulletin sorts the same thousand names a dozen times, and each pinyin costs tens of microseconds."""
    from inspector.core.search import search_keys

    return search_keys(text)[1], text


def _in_period(day: date, date_from: date, date_to: date) -> bool:
    return date_from <= day <= date_to


KeyFn = Callable[[Site | None, str], Score]


def _street_unit(site: Site | None, site_id: str) -> Score:
    if site is not None and site.street:
        return Score(("street", site.street), site.street, street=site.street)
    name = site.name if site else site_id
    return Score(("site", site_id), name, own_name=True)


def _community_unit(site: Site | None, site_id: str) -> Score:
    if site is not None and site.community:
        return Score(("community", site.street, site.community), site.community, site.street, site.community)
    name = site.name if site else site_id
    return Score(("site", site_id), name, site.street if site else "", own_name=True)


def _site_unit(site: Site | None, site_id: str) -> Score:
    if site is None:
        return Score(("site", site_id), site_id)
    return Score(("site", site_id), site.name, site.street, site.community, site.site_type)


def _rank(
    data: ReportData,
    unit_of: KeyFn,
    date_from: date,
    date_to: date,
    keep: Callable[[Site | None], bool] = lambda _: True,
) -> tuple[list[Score], list[Score]]:
    """(ranked, unscorable): high to low, ties sharing a rank (1, 2, 2, 4) and ordered by name."""
    groups: dict[tuple[str, ...], Score] = {}
    # Each site's group, made once; None for a site not kept. A site with no inspection in the period takes the
    # group of its unit when another site's inspection made one, and none otherwise.
    group_of: dict[str, Score | None] = {}
    counts: dict[tuple[str, ...], list[int]] = {}
    for inspection in data.counted_in(date_from, date_to):
        site_id = inspection.site_id
        if site_id not in group_of:
            site = data.sites.get(site_id)
            made = unit_of(site, site_id) if keep(site) else None
            group_of[site_id] = groups.setdefault(made.key, made) if made is not None else None
        group = group_of[site_id]
        if group is None:
            continue
        group.sites.add(site_id)
        group.inspections += 1
        tally = counts.setdefault(group.key, [0, 0, 0])
        tally[0] += inspection.counts.passed
        tally[1] += inspection.counts.failed
        tally[2] += inspection.counts.not_applicable
    for key, (passed, failed, not_applicable) in counts.items():
        groups[key].counts = Tally(passed, failed, not_applicable)
    for problem in data.found_in(date_from, date_to):
        site_id = problem.site_id
        if site_id not in group_of:
            site = data.sites.get(site_id)
            made = unit_of(site, site_id) if keep(site) else None
            group_of[site_id] = groups.get(made.key) if made is not None else None
        group = group_of[site_id]
        if group is not None:
            group.problems.append(problem)
    scorable = [g for g in groups.values() if g.counts.rate is not None]
    unscorable = sorted((g for g in groups.values() if g.counts.rate is None), key=lambda g: (_order(g.name), g.key))
    scorable.sort(key=lambda g: (-(g.counts.rate or 0.0), _order(g.name), g.key))
    for position, group in enumerate(scorable, start=1):
        previous = scorable[position - 2] if position > 1 else None
        tied = previous is not None and previous.counts.rate == group.counts.rate
        group.rank = previous.rank if tied and previous is not None else position
    return scorable, unscorable


def street_ranking(data: ReportData, date_from: date, date_to: date) -> tuple[list[Score], list[Score]]:
    return _rank(data, _street_unit, date_from, date_to)


def community_ranking(
    data: ReportData, date_from: date, date_to: date, lang: str = "zh", site_type: str | None = None
) -> tuple[list[Score], list[Score]]:
    """社区 by 得分率; a site without 社区 stands under its own name (`own_name`). `lang` is kept for callers."""
    keep: Callable[[Site | None], bool] = lambda _: True  # noqa: E731
    if site_type is not None:
        keep = lambda site: site is not None and site.site_type == site_type  # noqa: E731
    return _rank(data, _community_unit, date_from, date_to, keep)


def site_ranking(data: ReportData, date_from: date, date_to: date) -> tuple[list[Score], list[Score]]:
    return _rank(data, _site_unit, date_from, date_to)


# summary --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Summary:
    sites: int
    inspections: int
    found: int
    major: int
    counts: Tally
    void: int


def _summary(data: ReportData, date_from: date, date_to: date) -> _Summary:
    inspections = data.counted_in(date_from, date_to)
    in_period = data.found_in(date_from, date_to, void=True)
    found = data.found_in(date_from, date_to)
    return _Summary(
        sites=len({i.site_id for i in inspections}),
        inspections=len(inspections),
        found=len(found),
        major=sum(1 for p in found if p.severity is Severity.MAJOR),
        counts=sum((i.counts for i in inspections), Tally()),
        void=len(in_period) - len(found),
    )


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """The period of the same length just before."""
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rates:
    """整改落实 over a set of problems, each rate with its numerator and denominator (None when nothing to divide)."""

    on_time: int
    due: int  # 应整改: deadline reached by today, or already closed
    reworked: int
    ever_closed: int
    extended: int
    assigned: int

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def on_time_rate(self) -> float | None:
        return self._ratio(self.on_time, self.due)

    @property
    def rework_rate(self) -> float | None:
        return self._ratio(self.reworked, self.ever_closed)

    @property
    def extension_rate(self) -> float | None:
        return self._ratio(self.extended, self.assigned)


def _completed_on(problem: ProblemFact, tz: tzinfo | None) -> date | None:
    """When the unit did the work: its last 提交整改, else the 销号 itself (立行立改 closed on the spot)."""
    if problem.fixed_on is not None:
        return problem.fixed_on
    return local_date(problem.closed_at, tz) if problem.closed_at else None


# A fix reported (待复查) or re-inspected as fixed (待销号): done on time if done by the due day, whatever the office's
# 销号 waits for.
_FIX_SUBMITTED = frozenset({ProblemStatus.AWAITING_REVIEW, ProblemStatus.AWAITING_CLOSE})


def rectification_rates(problems: Iterable[ProblemFact], today: date, tz: tzinfo | None = None) -> Rates:
    """按期整改率 = 按期完成整改 ÷ 应整改 (deadline reached by `today`, or closed), 挂账 excluded;
    返工率 = 销号后又反弹 ÷ 曾销号; 延期率 = 延期过 ÷ 已交办."""
    on_time = due = reworked = ever_closed = extended = assigned = 0
    for p in problems:
        if p.status is ProblemStatus.VOID:
            continue
        closed = p.status is ProblemStatus.CLOSED
        if p.status is not ProblemStatus.SHELVED and (closed or p.due < today):
            due += 1
            done = _completed_on(p, tz)
            on_time += done is not None and done <= p.due and (closed or p.status in _FIX_SUBMITTED)
        if closed or p.reopened:
            ever_closed += 1
            reworked += p.reopened > 0
        if p.assigned_on is not None:
            assigned += 1
            extended += p.extended > 0
    return Rates(on_time, due, reworked, ever_closed, extended, assigned)


# text -----------------------------------------------------------------------------------------------------------


BULLETIN = Catalogue(
    "bulletin",
    {
        "bulletin.title": ("督查通报（{start} 至 {end}）", "Inspection bulletin ({start} to {end})"),
        "bulletin.issue_no": ("{issue_no}", "No. {issue_no}"),
        "bulletin.issuer": ("{issuer}", "{issuer}"),
        "bulletin.as_of": (
            "通报期间：{start} 至 {end}；统计截至 {today}。",
            "Period: {start} to {end}; figures as of {today}.",
        ),
        "bulletin.overview": ("一、总体情况", "1. Overview"),
        "bulletin.sites": (
            "- 本期共检查点位 {sites} 个，检查 {inspections} 次，综合得分率 {rate}。",
            Plural(
                "- Sites inspected: {sites} ({inspections} inspection); overall score rate {rate}.",
                "- Sites inspected: {sites} ({inspections} inspections); overall score rate {rate}.",
                count="inspections",
            ),
        ),
        "bulletin.found": (
            "- 发现并交办问题 {found} 个（严重 {major} 个，一般 {minor} 个）。",
            "- Problems found: {found} ({major} major, {minor} minor).",
        ),
        "bulletin.progress": (
            "- 截至 {today}，本期问题已整改销号 {rectified} 个，未整改 {open} 个，其中逾期 {overdue} 个。",
            "- By {today}: {rectified} of them rectified and closed, {open} open, of which {overdue} overdue.",
        ),
        "bulletin.void": (
            "- 作废（误报、不立案）{void} 个，未计入。",
            "- Void (misjudged or not accepted): {void}, not counted.",
        ),
        "bulletin.compare": (
            "与上期（{start} 至 {end}）比较：",
            "Against the previous period ({start} to {end}):",
        ),
        "bulletin.compare_head": ("指标|本期|上期|增减", "Measure|This period|Previous|Change"),
        "bulletin.m.sites": ("检查点位（个）", "Sites inspected"),
        "bulletin.m.inspections": ("检查次数", "Inspections"),
        "bulletin.m.found": ("发现问题（个）", "Problems found"),
        "bulletin.m.major": ("其中严重（个）", "of which major"),
        "bulletin.m.rate": ("综合得分率", "Overall score rate"),
        "bulletin.same": ("持平", "no change"),
        "bulletin.points": ("{delta} 个百分点", "{delta} pts"),
        "bulletin.ranking": ("二、得分率排名", "2. Score-rate rankings"),
        "bulletin.formula": (
            "得分率 = 符合条目数 ÷（符合条目数 + 不符合条目数）× 100%，不适用条目不计；"
            "同一单位本期所有已提交检查合并计算；得分率相同的并列。",
            "Score rate = items passed ÷ (passed + failed) × 100%, n/a items not counted; every submitted "
            "inspection of the unit in the period pooled; equal rates share a rank.",
        ),
        "bulletin.by_street": ("（一）街道排名", "(a) Streets"),
        "bulletin.by_community": ("（二）社区排名", "(b) Communities"),
        "bulletin.by_type": ("（{n}）{site_type}类社区排名", "({n}) Communities, {site_type} sites"),
        "bulletin.street_head": (
            "排名|街道|检查点位|检查次数|符合|不符合|得分率|较上期",
            "Rank|Street|Sites|Inspections|Pass|Fail|Score rate|Change",
        ),
        "bulletin.community_head": (
            "排名|社区|街道|检查点位|检查次数|符合|不符合|得分率|较上期",
            "Rank|Community|Street|Sites|Inspections|Pass|Fail|Score rate|Change",
        ),
        "bulletin.new": ("上期未检查", "new"),
        "bulletin.own_mark": ("※", "†"),
        "bulletin.own_community": (
            "※ 未填社区的点位按点位名称单独排名，不并入任何社区：{names}。",
            "† Sites without a community are ranked under their own name, never pooled: {names}.",
        ),
        "bulletin.own_street": (
            "※ 未填街道的点位按点位名称单独排名：{names}。",
            "† Sites without a street are ranked under their own name: {names}.",
        ),
        "bulletin.no_ranking": ("本期没有可计分的检查。", "No scorable inspections in this period."),
        "bulletin.unscorable": (
            "以下单位本期没有可计分条目，未参加排名：{names}。",
            "Not ranked (nothing scorable in this period): {names}.",
        ),
        "bulletin.red": ("三、红榜", "3. Red list"),
        "bulletin.black": ("四、黑榜", "4. Black list"),
        "bulletin.list_rules": (
            "评选规则：本期检查不少于 {min} 次的点位按得分率排序，前 {size} 名入红榜、后 {size} 名入黑榜"
            "（参评点位不足 {double} 个时各取一半，同一点位不同时上榜）。",
            "Rules: sites inspected at least {min} time(s) in the period, by score rate; the top {size} go on the "
            "red list and the bottom {size} on the black list (half each when fewer than {double} qualify; no site "
            "on both).",
        ),
        "bulletin.type_group": ("{site_type}类", "{site_type} sites"),
        "bulletin.too_few": (
            "参评点位不足 2 个，本期不设红黑榜。",
            "Fewer than 2 sites qualify: no red or black list this period.",
        ),
        "bulletin.not_enough": (
            "检查次数不足 {min} 次、未参评的点位：{names}。",
            "Not ranked (inspected fewer than {min} times): {names}.",
        ),
        "bulletin.place": ("{site_type}，{community}，{street}", "{site_type}, {community}, {street}"),
        "bulletin.no_community": ("未填社区", "no community"),
        "bulletin.no_street": ("未填街道", "no street"),
        "bulletin.red_line": ("{n}. {site}（{place}）：得分率 {rate}", "{n}. {site} ({place}): score rate {rate}"),
        "bulletin.black_line": (
            "{n}. {site}（{place}）：得分率 {rate}，发现问题 {count} 个",
            Plural(
                "{n}. {site} ({place}): score rate {rate}, {count} problem found",
                "{n}. {site} ({place}): score rate {rate}, {count} problems found",
                count="count",
            ),
        ),
        "bulletin.black_examples": ("，主要问题：{examples}", "; main problems: {examples}"),
        "bulletin.problems": ("五、问题清单", "5. Problems found"),
        "bulletin.no_problems": ("本期未发现问题。", "No problems found in this period."),
        "bulletin.problem_line": (
            "{n}. {problem}（{item}；责任单位：{unit}；整改时限：{rule}，{due} 前；{status}）",
            "{n}. {problem} ({item}; responsible: {unit}; deadline: {rule}, by {due}; {status})",
        ),
        "bulletin.own_group": ("{name}（{note}）", "{name} ({note})"),
        "bulletin.rectification": ("六、整改落实", "6. Rectification"),
        "bulletin.rect_counts": (
            "本期销号 {closed} 个；截至 {today}，全部未整改问题 {open} 个，其中逾期 {overdue} 个。",
            "Closed in the period: {closed}. As of {today}: {open} open problems in all, {overdue} overdue.",
        ),
        "bulletin.rates": (
            "本期问题：按期整改率 {on_time}（{a}/{b}），返工率 {rework}（{c}/{d}），延期率 {extension}（{e}/{f}）。",
            "This period's problems: on time {on_time} ({a}/{b}), reworked {rework} ({c}/{d}), "
            "extended {extension} ({e}/{f}).",
        ),
        "bulletin.rates_formula": (
            "按期整改率 = 在整改时限内完成整改的问题 ÷ 已到整改时限或已销号的问题（挂账不计）；"
            "返工率 = 销号后又反弹的问题 ÷ 曾销号的问题；延期率 = 延长过整改时限的问题 ÷ 已交办的问题。",
            "On-time rate = rectified within the deadline ÷ deadline reached or closed (shelved not counted); "
            "rework rate = reopened after closing ÷ ever closed; extension rate = deadline extended ÷ assigned.",
        ),
        "bulletin.unit_head": (
            "责任单位|本期问题|已销号|未整改|逾期|按期整改率|返工率|延期率",
            "Responsible unit|Problems|Closed|Open|Overdue|On time|Rework|Extended",
        ),
        "bulletin.overdue": ("逾期未整改问题（截至 {today}，按责任单位）", "Overdue (as of {today}, by unit)"),
        "bulletin.no_overdue": ("无逾期未整改问题。", "No overdue problems."),
        "bulletin.unit": ("{unit}（{count} 个）", "{unit} ({count})"),
        "bulletin.overdue_line": (
            "{n}. {site}：{problem}（{rule}，应于 {due} 前完成，已逾期 {late} 天，{status}）",
            Plural(
                "{n}. {site}: {problem} ({rule}, due {due}, {late} day overdue, {status})",
                "{n}. {site}: {problem} ({rule}, due {due}, {late} days overdue, {status})",
                count="late",
            ),
        ),
        "bulletin.follow_up": ("七、回头看", "7. Follow-up"),
        "bulletin.reinspected": (
            "本期复查点位 {n} 个（本期之前检查过、本期再次检查）：",
            "Sites inspected again in the period: {n}",
        ),
        "bulletin.reinspect_head": (
            "点位|社区|上次检查|上次得分率|本期检查|本期得分率|变化",
            "Site|Community|Previous|Score then|This period|Score now|Change",
        ),
        "bulletin.reopened": (
            "本期反弹（销号后回头看发现问题复发，重新交办）{n} 个：",
            "Reopened in the period (came back after closing): {n}",
        ),
        "bulletin.reopen_line": (
            "{n}. {site}：{problem}（{day} 反弹，责任单位：{unit}）",
            "{n}. {site}: {problem} (reopened {day}, responsible: {unit})",
        ),
        "bulletin.no_follow_up": ("本期没有回头看记录。", "No follow-up inspections or reopenings this period."),
        "bulletin.requirements": ("八、整改要求", "8. Requirements"),
        "bulletin.requirements_text": (
            "请各责任单位对照问题清单逐条整改，能立行立改的立即整改，其余须在整改时限内完成，"
            "并于 {close_by} 前完成整改销号，整改情况和整改后照片及时提交复查。"
            "逾期未整改的问题将在下期通报中点名；已销号问题要开展回头看，防止反弹回潮。",
            "Each responsible unit rectifies its problems one by one: on the spot where it can, otherwise within "
            "the deadline, and has them closed by {close_by}, submitting the rectification and after-photos for "
            "re-inspection. Problems still overdue will be named in the next bulletin; closed ones are followed up "
            "so they do not come back.",
        ),
        "bulletin.list_sep": ("、", ", "),
        "bulletin.no_unit": ("（未指定责任单位）", "(no responsible unit)"),
        "bulletin.bad_date": (
            "日期格式不对：{value}（应为 YYYY-MM-DD，例如 2026-05-01）",
            "not a date: {value} (expected YYYY-MM-DD, e.g. 2026-05-01)",
        ),
        "bulletin.reversed": (
            "开始日期 {start} 晚于结束日期 {end}（--from 应不晚于 --to）",
            "--from {start} is after --to {end}",
        ),
        "bulletin.bad_format": (
            "无法识别的输出格式：{value}（可用 md、html、docx，或用 -o 文件的后缀 .md / .html / .docx 指定）",
            "unknown output format: {value} (md, html or docx, or the -o file's suffix .md / .html / .docx)",
        ),
        "bulletin.docx_needs_file": (
            ".docx 需要用 -o 指定输出文件",
            "a .docx needs an output file (-o FILE.docx)",
        ),
        "bulletin.store": ("无法读取本地数据：{reason}", "cannot read the local data: {reason}"),
        "bulletin.failed": ("无法写入 {output}：{reason}", "cannot write {output}: {reason}"),
        "bulletin.written": ("已写入：{output}", "written: {output}"),
    },
)


def _t(key: str, lang: str, **values: object) -> str:
    return BULLETIN(key, lang, **values)


class _LineWords:
    """What a long list writes on every line, looked up once: the line's message, each state's label and each
    deadline rule's wording (a city-year's bulletin writes 100,000 lines)."""

    def __init__(self, key: str, lang: str) -> None:
        zh, en = BULLETIN.entry(key)
        self.lang = lang
        text = zh if lang != "en" else en
        self.line: Callable[..., str] = (
            (lambda **values: text.choose(values).format(**values)) if isinstance(text, Plural) else text.format
        )
        self._labels: dict[ProblemStatus, str] = {}
        self._rules: dict[tuple[str, int], str] = {}

    def status(self, status: ProblemStatus) -> str:
        label = self._labels.get(status)
        if label is None:
            label = self._labels[status] = status.label(self.lang)
        return label

    def rule(self, rule: DeadlineRule) -> str:
        key = (rule.kind.value, rule.n)
        text = self._rules.get(key)
        if text is None:
            text = self._rules[key] = deadline_text(rule, self.lang)
        return text


def _head(key: str, lang: str) -> list[str]:
    return _t(key, lang).split("|")


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _delta(now: int, before: int, lang: str) -> str:
    if now == before:
        return _t("bulletin.same", lang)
    return f"{now - before:+d}"


def _rate_delta(now: float | None, before: float | None, lang: str) -> str:
    if now is None or before is None:
        return "—" if now is None else _t("bulletin.new", lang)
    points = round((now - before) * 100, 1)
    if points == 0:
        return _t("bulletin.same", lang)
    return _t("bulletin.points", lang, delta=f"{points:+.1f}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _place(score: Score, lang: str) -> str:
    return _t(
        "bulletin.place",
        lang,
        site_type=score.site_type or "—",
        community=score.community or _t("bulletin.no_community", lang),
        street=score.street or _t("bulletin.no_street", lang),
    )


def _examples(problems: Sequence[ProblemFact], count: int) -> str:
    """The main problems, severe first, numbered ①②③ so no problem's own punctuation can split one in two."""
    chosen = sorted(problems, key=lambda p: (p.severity is not Severity.MAJOR, p.found_at, p.id))[:count]
    return "".join(
        f"{CIRCLED[n] if n < len(CIRCLED) else f'({n + 1})'}{_one_line(p.description)}" for n, p in enumerate(chosen)
    )


# the bulletin ---------------------------------------------------------------------------------------------------


def build_bulletin(
    data: ReportData,
    date_from: date,
    date_to: date,
    today: date,
    lang: str = "zh",
    options: BulletinOptions | None = None,
    tz: tzinfo | None = None,
) -> list[Block]:
    """The whole bulletin as blocks (document.py writes them as Markdown, HTML or .docx)."""
    lang = "en" if lang == "en" else "zh"
    options = options or BulletinOptions()
    blocks: list[Block] = [Heading(1, _t("bulletin.title", lang, start=date_from, end=date_to))]
    if options.issue_no:
        blocks.append(Para(_t("bulletin.issue_no", lang, issue_no=options.issue_no), align="center"))
    if options.issuer:
        blocks.append(Para(_t("bulletin.issuer", lang, issuer=options.issuer), align="center"))
    blocks.append(Para(_t("bulletin.as_of", lang, start=date_from, end=date_to, today=today)))
    blocks += _overview(data, date_from, date_to, today, lang)
    blocks += _rankings(data, date_from, date_to, lang)
    blocks += _red_black(data, date_from, date_to, options.rules, lang)
    blocks += _problem_list(data, date_from, date_to, lang)
    blocks += _rectification(data, date_from, date_to, today, lang, tz)
    blocks += _follow_up(data, date_from, date_to, lang)
    close_by = options.close_by or date_to + timedelta(days=7)
    blocks += [
        Heading(2, _t("bulletin.requirements", lang)),
        Para(_t("bulletin.requirements_text", lang, close_by=close_by)),
    ]
    if options.issuer:
        blocks += [Para(options.issuer, align="right"), Para(today.isoformat(), align="right")]
    return blocks


def render_bulletin(
    data: ReportData,
    date_from: date,
    date_to: date,
    today: date,
    lang: str = "zh",
    options: BulletinOptions | None = None,
    tz: tzinfo | None = None,
) -> str:
    """The whole bulletin as Markdown text."""
    return to_markdown(build_bulletin(data, date_from, date_to, today, lang, options, tz))


def _overview(data: ReportData, date_from: date, date_to: date, today: date, lang: str) -> list[Block]:
    now = _summary(data, date_from, date_to)
    prev_from, prev_to = previous_period(date_from, date_to)
    before = _summary(data, prev_from, prev_to)
    found = data.found_in(date_from, date_to)
    closed = sum(1 for p in found if p.status is ProblemStatus.CLOSED)
    lines = [
        _t("bulletin.sites", lang, sites=now.sites, inspections=now.inspections, rate=now.counts.rate_text()),
        _t("bulletin.found", lang, found=now.found, major=now.major, minor=now.found - now.major),
        _t(
            "bulletin.progress",
            lang,
            today=today,
            rectified=closed,
            open=sum(1 for p in found if p.status in OPEN_STATUSES),
            overdue=sum(1 for p in found if p.overdue_days(today) > 0),
        ),
    ]
    if now.void:
        lines.append(_t("bulletin.void", lang, void=now.void))
    rows = [
        [_t("bulletin.m.sites", lang), str(now.sites), str(before.sites), _delta(now.sites, before.sites, lang)],
        [
            _t("bulletin.m.inspections", lang),
            str(now.inspections),
            str(before.inspections),
            _delta(now.inspections, before.inspections, lang),
        ],
        [_t("bulletin.m.found", lang), str(now.found), str(before.found), _delta(now.found, before.found, lang)],
        [_t("bulletin.m.major", lang), str(now.major), str(before.major), _delta(now.major, before.major, lang)],
        [
            _t("bulletin.m.rate", lang),
            now.counts.rate_text(),
            before.counts.rate_text(),
            _rate_delta(now.counts.rate, before.counts.rate, lang),
        ],
    ]
    return [
        Heading(2, _t("bulletin.overview", lang)),
        Lines(lines),
        Para(_t("bulletin.compare", lang, start=prev_from, end=prev_to)),
        Table(_head("bulletin.compare_head", lang), rows, frozenset({1, 2})),
    ]


def _ranking_table(
    ranked: Sequence[Score], previous: dict[tuple[str, ...], Score], with_street: bool, lang: str
) -> Table:
    mark = _t("bulletin.own_mark", lang)
    rows = []
    for g in ranked:
        before = previous.get(g.key)
        change = _rate_delta(g.counts.rate, before.counts.rate if before else None, lang)
        name = g.name + (mark if g.own_name else "")
        place = [name, g.street or "—"] if with_street else [name]
        counts = [str(len(g.sites)), str(g.inspections), str(g.counts.passed), str(g.counts.failed)]
        rows.append([str(g.rank), *place, *counts, g.counts.rate_text(), change])
    head = _head("bulletin.community_head" if with_street else "bulletin.street_head", lang)
    first_number = 3 if with_street else 2
    return Table(head, rows, frozenset({0, *range(first_number, first_number + 4)}))


def _ranking_blocks(
    ranked: list[Score], unscorable: list[Score], previous: list[Score], with_street: bool, lang: str
) -> list[Block]:
    if not ranked and not unscorable:
        return [Para(_t("bulletin.no_ranking", lang))]
    blocks: list[Block] = []
    if ranked:
        blocks.append(_ranking_table(ranked, {g.key: g for g in previous}, with_street, lang))
    else:
        blocks.append(Para(_t("bulletin.no_ranking", lang)))
    separator = _t("bulletin.list_sep", lang)
    own = [g.name for g in ranked if g.own_name]
    if own:
        key = "bulletin.own_community" if with_street else "bulletin.own_street"
        blocks.append(Para(_t(key, lang, names=separator.join(own))))
    if unscorable:
        blocks.append(Para(_t("bulletin.unscorable", lang, names=separator.join(g.name for g in unscorable))))
    return blocks


def _rankings(data: ReportData, date_from: date, date_to: date, lang: str) -> list[Block]:
    prev_from, prev_to = previous_period(date_from, date_to)
    blocks: list[Block] = [Heading(2, _t("bulletin.ranking", lang)), Para(_t("bulletin.formula", lang))]
    streets, streets_unscorable = street_ranking(data, date_from, date_to)
    blocks.append(Heading(3, _t("bulletin.by_street", lang)))
    blocks += _ranking_blocks(streets, streets_unscorable, street_ranking(data, prev_from, prev_to)[0], False, lang)
    communities, communities_unscorable = community_ranking(data, date_from, date_to)
    previous = community_ranking(data, prev_from, prev_to)[0]
    blocks.append(Heading(3, _t("bulletin.by_community", lang)))
    blocks += _ranking_blocks(communities, communities_unscorable, previous, True, lang)
    types = _site_types(data, date_from, date_to)
    if len(types) > 1:
        numerals = "三四五六七八九十" if lang == "zh" else "cdefghij"
        for n, site_type in enumerate(types):
            ranked, unscorable = community_ranking(data, date_from, date_to, lang, site_type)
            before = community_ranking(data, prev_from, prev_to, lang, site_type)[0]
            label = numerals[n] if n < len(numerals) else str(n + 3)
            blocks.append(Heading(3, _t("bulletin.by_type", lang, n=label, site_type=site_type)))
            blocks += _ranking_blocks(ranked, unscorable, before, True, lang)
    return blocks


def _site_types(data: ReportData, date_from: date, date_to: date) -> list[str]:
    types = set()
    for inspection in data.counted_in(date_from, date_to):
        site = data.sites.get(inspection.site_id)
        types.add(site.site_type if site else "")
    return sorted(t for t in types if t)


class Counted(Protocol):
    @property
    def inspections(self) -> int: ...


C = TypeVar("C", bound=Counted)


def list_candidates(ranked: Sequence[C], rules: ListRules) -> tuple[list[C], list[C]]:
    """(eligible, too few inspections): who may stand on the 红榜 / 黑榜, in rank order."""
    return (
        [s for s in ranked if s.inspections >= rules.min_inspections],
        [s for s in ranked if s.inspections < rules.min_inspections],
    )


def pick_lists(eligible: Sequence[C], rules: ListRules) -> tuple[list[C], list[C]]:
    """(红榜 best first, 黑榜 worst first) from eligible units ranked best first: min(size, n // 2) each, so none is
    on both. The console's ranking page marks its 社区 and 街道 by the same rule."""
    size = min(rules.size, len(eligible) // 2)
    if size == 0:
        return [], []
    return list(eligible[:size]), list(reversed(eligible[-size:]))


def _red_black(data: ReportData, date_from: date, date_to: date, rules: ListRules, lang: str) -> list[Block]:
    ranked, _ = site_ranking(data, date_from, date_to)
    eligible, too_few = list_candidates(ranked, rules)
    rule_text = Para(_t("bulletin.list_rules", lang, min=rules.min_inspections, size=rules.size, double=2 * rules.size))
    types = sorted({s.site_type for s in eligible})
    groups = [(t, [s for s in eligible if s.site_type == t]) for t in types] if len(types) > 1 else [("", eligible)]
    red: list[Block] = [Heading(2, _t("bulletin.red", lang)), rule_text]
    black: list[Block] = [Heading(2, _t("bulletin.black", lang))]
    for site_type, sites in groups:
        red_sites, black_sites = pick_lists(sites, rules)
        if site_type:
            red.append(Heading(3, _t("bulletin.type_group", lang, site_type=site_type)))
            black.append(Heading(3, _t("bulletin.type_group", lang, site_type=site_type)))
        if not red_sites:
            red.append(Para(_t("bulletin.too_few", lang)))
            black.append(Para(_t("bulletin.too_few", lang)))
            continue
        red.append(
            Lines(
                [
                    _t("bulletin.red_line", lang, n=n, site=s.name, place=_place(s, lang), rate=s.counts.rate_text())
                    for n, s in enumerate(red_sites, start=1)
                ]
            )
        )
        lines = []
        for n, s in enumerate(black_sites, start=1):
            line = _t(
                "bulletin.black_line",
                lang,
                n=n,
                site=s.name,
                place=_place(s, lang),
                rate=s.counts.rate_text(),
                count=len(s.problems),
            )
            if s.problems:
                line += _t("bulletin.black_examples", lang, examples=_examples(s.problems, rules.examples))
            lines.append(line)
        black.append(Lines(lines))
    if too_few:
        names = _t("bulletin.list_sep", lang).join(s.name for s in too_few)
        black.append(Para(_t("bulletin.not_enough", lang, min=rules.min_inspections, names=names)))
    return red + black


def _group_names(site: Site | None, site_id: str, lang: str) -> tuple[str, str, str]:
    """(street, community, site) headings of the problem list; a missing level is the site itself, noted."""
    name = site.name if site else site_id
    street = (
        site.street
        if site and site.street
        else _t("bulletin.own_group", lang, name=name, note=_t("bulletin.no_street", lang))
    )
    community = (
        site.community
        if site and site.community
        else _t("bulletin.own_group", lang, name=name, note=_t("bulletin.no_community", lang))
    )
    return street, community, name


def _problem_list(data: ReportData, date_from: date, date_to: date, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(2, _t("bulletin.problems", lang))]
    found = data.found_in(date_from, date_to)
    if not found:
        return [*blocks, Para(_t("bulletin.no_problems", lang))]
    words, no_unit = _LineWords("bulletin.problem_line", lang), _t("bulletin.no_unit", lang)
    tree: dict[str, dict[str, dict[str, list[ProblemFact]]]] = {}
    for problem in found:
        street, community, site = _group_names(data.sites.get(problem.site_id), problem.site_id, lang)
        tree.setdefault(street, {}).setdefault(community, {}).setdefault(site, []).append(problem)
    for street in sorted(tree, key=_order):
        blocks.append(Heading(3, street))
        for community in sorted(tree[street], key=_order):
            blocks.append(Heading(4, community))
            for site in sorted(tree[street][community], key=_order):
                problems = sorted(tree[street][community][site], key=lambda p: (p.found_at, p.item_code, p.id))
                blocks.append(Para(site, bold=True))
                blocks.append(
                    Lines(
                        [
                            words.line(
                                n=n,
                                problem=_one_line(p.description),
                                item=p.item_code,
                                unit=p.responsible_unit or no_unit,
                                rule=words.rule(p.deadline),
                                due=p.due,
                                status=words.status(p.status),
                            )
                            for n, p in enumerate(problems, start=1)
                        ]
                    )
                )
    return blocks


def _rectification(
    data: ReportData, date_from: date, date_to: date, today: date, lang: str, tz: tzinfo | None
) -> list[Block]:
    found = data.found_in(date_from, date_to)
    closed_in_period = sum(
        1
        for p in data.problems
        if p.closed_at is not None and _in_period(local_date(p.closed_at, tz), date_from, date_to)
    )
    open_all = [p for p in data.problems if p.status in OPEN_STATUSES and p.found_on <= date_to]
    overdue_all = [p for p in data.problems if p.overdue_days(today) > 0]
    rates = rectification_rates(found, today, tz)
    blocks: list[Block] = [
        Heading(2, _t("bulletin.rectification", lang)),
        Para(
            _t(
                "bulletin.rect_counts",
                lang,
                closed=closed_in_period,
                today=today,
                open=len(open_all),
                overdue=len(overdue_all),
            )
        ),
        Para(
            _t(
                "bulletin.rates",
                lang,
                on_time=_pct(rates.on_time_rate),
                a=rates.on_time,
                b=rates.due,
                rework=_pct(rates.rework_rate),
                c=rates.reworked,
                d=rates.ever_closed,
                extension=_pct(rates.extension_rate),
                e=rates.extended,
                f=rates.assigned,
            )
        ),
        Para(_t("bulletin.rates_formula", lang)),
    ]
    by_unit: dict[str, list[ProblemFact]] = {}
    for problem in found:
        by_unit.setdefault(problem.responsible_unit or _t("bulletin.no_unit", lang), []).append(problem)
    if by_unit:
        rows = []
        for unit, problems in sorted(
            by_unit.items(), key=lambda pair: (-sum(p.overdue_days(today) > 0 for p in pair[1]), pair[0])
        ):
            unit_rates = rectification_rates(problems, today, tz)
            rows.append(
                [
                    unit,
                    str(len(problems)),
                    str(sum(p.status is ProblemStatus.CLOSED for p in problems)),
                    str(sum(p.status in OPEN_STATUSES for p in problems)),
                    str(sum(p.overdue_days(today) > 0 for p in problems)),
                    _pct(unit_rates.on_time_rate),
                    _pct(unit_rates.rework_rate),
                    _pct(unit_rates.extension_rate),
                ]
            )
        blocks.append(Table(_head("bulletin.unit_head", lang), rows, frozenset(range(1, 8))))
    blocks.append(Heading(3, _t("bulletin.overdue", lang, today=today)))
    grouped: dict[str, list[ProblemFact]] = {}
    for problem in overdue_all:
        grouped.setdefault(problem.responsible_unit or _t("bulletin.no_unit", lang), []).append(problem)
    if not grouped:
        return [*blocks, Para(_t("bulletin.no_overdue", lang))]
    words = _LineWords("bulletin.overdue_line", lang)
    # The units with the most overdue problems first: that is whom the bulletin is for.
    for unit, problems in sorted(grouped.items(), key=lambda pair: (-len(pair[1]), pair[0])):
        problems.sort(key=lambda p: (p.due, data.site_name(p.site_id), p.item_code))
        blocks.append(Heading(4, _t("bulletin.unit", lang, unit=unit, count=len(problems))))
        blocks.append(
            Lines(
                [
                    words.line(
                        n=n,
                        site=data.site_name(p.site_id),
                        problem=_one_line(p.description),
                        rule=words.rule(p.deadline),
                        due=p.due,
                        late=p.overdue_days(today),
                        status=words.status(p.status),
                    )
                    for n, p in enumerate(problems, start=1)
                ]
            )
        )
    return blocks


def _follow_up(data: ReportData, date_from: date, date_to: date, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(2, _t("bulletin.follow_up", lang))]
    history: dict[str, list[InspectionFact]] = {}
    for inspection in data.inspections:
        if inspection.submitted and inspection.day <= date_to:
            history.setdefault(inspection.site_id, []).append(inspection)
    rows = []
    for site_id, inspections in history.items():
        inspections.sort(key=lambda i: (i.counted_at, i.id))
        earlier = [i for i in inspections if i.day < date_from]
        current = [i for i in inspections if i.day >= date_from]
        if not current or (not earlier and len(current) < 2):
            continue
        before = earlier[-1] if earlier else current[0]
        latest = current[-1]
        site = data.sites.get(site_id)
        community = (site.community if site else "") or _t("bulletin.no_community", lang)
        rows.append(
            [
                data.site_name(site_id),
                community,
                before.day.isoformat(),
                before.counts.rate_text(),
                latest.day.isoformat(),
                latest.counts.rate_text(),
                _rate_delta(latest.counts.rate, before.counts.rate, lang),
            ]
        )
    rows.sort(key=lambda r: (_order(r[1]), _order(r[0])))
    reopened = sorted(
        ((day, p) for p in data.problems for day in p.reopened_on if _in_period(day, date_from, date_to)),
        key=lambda pair: (pair[0], data.site_name(pair[1].site_id), pair[1].id),
    )
    if not rows and not reopened:
        return [*blocks, Para(_t("bulletin.no_follow_up", lang))]
    if rows:
        blocks += [
            Para(_t("bulletin.reinspected", lang, n=len(rows))),
            Table(_head("bulletin.reinspect_head", lang), rows),
        ]
    if reopened:
        blocks.append(Para(_t("bulletin.reopened", lang, n=len(reopened))))
        blocks.append(
            Lines(
                [
                    _t(
                        "bulletin.reopen_line",
                        lang,
                        n=n,
                        site=data.site_name(p.site_id),
                        problem=_one_line(p.description),
                        day=day,
                        unit=p.responsible_unit or _t("bulletin.no_unit", lang),
                    )
                    for n, (day, p) in enumerate(reopened, start=1)
                ]
            )
        )
    return blocks


# the command ----------------------------------------------------------------------------------------------------


def _parse_date(value: date | str, lang: str) -> date | str:
    """The date, or the message explaining what is wrong with it."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return BULLETIN("bulletin.bad_date", lang, value=repr(value))


def write_document(
    blocks: Sequence[Block], title: str, fmt: str, output: Path | None, out: TextIO, err: TextIO, lang: str
) -> int:
    """Write blocks as `fmt` to `output` (Markdown and HTML may go to `out`); 1 with a message when it cannot."""
    if fmt == "docx" and output is None:
        err.write(_t("bulletin.docx_needs_file", lang) + "\n")
        return 1
    text = to_html(blocks, title, lang) if fmt == "html" else to_markdown(blocks)
    if output is None:
        out.write(text)
        return 0
    try:
        if fmt == "docx":
            _write(output, lambda target: to_docx(blocks, target))
        else:
            _write(output, lambda target: target.write_text(text, encoding="utf-8"))
    except OutputError as exc:
        reason = exc.cause.strerror or exc.cause
        err.write(_t("bulletin.failed", lang, output=output, reason=reason) + "\n")
        return 1
    out.write(_t("bulletin.written", lang, output=output) + "\n")
    return 0


def bulletin_blocks(
    store: ReportStore | ReportSource,
    date_from: date,
    date_to: date,
    today: date,
    lang: str = "zh",
    options: BulletinOptions | None = None,
    tz: tzinfo | None = None,
    batch: str | None = None,
) -> list[Block]:
    """The bulletin of a store or source (a laptop's, HQ's read model), only `batch` when given. Raises SourceError."""
    window = Window(previous_period(date_from, date_to)[0], date_from, date_to, today)  # what HQ reads
    with collection_paused():
        data = load_report_data(store, tz, Filters(batch=batch), window=window)
        blocks = build_bulletin(data, date_from, date_to, today, lang, options, tz)
        del data  # freed before collection resumes, which then has nothing of it to scan
    return blocks


def bulletin_title(date_from: date, date_to: date, lang: str) -> str:
    return _t("bulletin.title", lang, start=date_from, end=date_to)


def bulletin_main(
    store: ReportStore | ReportSource,
    date_from: date | str,
    date_to: date | str,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    today: date | None = None,
    tz: tzinfo | None = None,
    batch: str | None = None,
    *,
    issue_no: str = "",
    issuer: str = "",
    fmt: str | None = None,
    rules: ListRules | None = None,
    close_by: date | str | None = None,
) -> int:
    """Write the bulletin to `output` (or `out`) in the format `fmt` or the output's suffix names; 1 with a clear
    message for bad dates, an unknown format or an unwritable file."""
    lang = "en" if lang == "en" else "zh"
    start, end = _parse_date(date_from, lang), _parse_date(date_to, lang)
    deadline = _parse_date(close_by, lang) if close_by is not None else None
    problems = [p for p in (start, end, deadline) if isinstance(p, str)]
    if problems:
        err.write("\n".join(problems) + "\n")
        return 1
    assert isinstance(start, date) and isinstance(end, date) and not isinstance(deadline, str)
    if start > end:
        err.write(BULLETIN("bulletin.reversed", lang, start=start, end=end) + "\n")
        return 1
    chosen = format_for(output, fmt)
    if chosen is None:
        err.write(_t("bulletin.bad_format", lang, value=fmt or (output.suffix if output else "")) + "\n")
        return 1
    try:
        options = BulletinOptions(issue_no, issuer, rules or ListRules(), deadline)
        blocks = bulletin_blocks(store, start, end, today or date.today(), lang, options, tz, batch)
    except SourceError as exc:
        err.write(BULLETIN("bulletin.store", lang, reason=exc) + "\n")
        return 1
    title = bulletin_title(start, end, lang)
    return write_document(blocks, title, chosen, output, out, err, lang)
